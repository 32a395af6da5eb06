# shellcheck shell=sh
# Finds a JDK 25 (or newer) and exports JAVA_HOME to it — sourced by mvnw, samples/graft, samples/notebook and
# .ci/run, so that all of them pick the same JDK. POSIX sh (mvnw runs under /bin/sh with `set -euf`).
# Order: JAVA_HOME if it is a JDK 25+; else the `java` on the PATH if it is one; else the first JDK 25+ in the
# usual install locations (Linux packages, SDKMAN!, macOS). If none is found JAVA_HOME is left as it was and
# graft_jdk25_found is empty; the caller decides (Maven's enforcer then names the JDK Graft needs).

graft_is_jdk25() {
  # $1: a directory; true when it holds a JDK (java and javac) of feature version 25 or later.
  [ -n "$1" ] && [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  if [ -r "$1/release" ]; then
    graft_v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release")
  else
    graft_v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  [ -n "$graft_v" ] && [ "$graft_v" -ge 25 ] 2>/dev/null
}

graft_find_jdk25() {
  if [ -n "${JAVA_HOME:-}" ] && graft_is_jdk25 "$JAVA_HOME"; then
    printf '%s\n' "$JAVA_HOME"; return 0
  fi
  if graft_java=$(command -v java 2>/dev/null); then
    graft_java=$(readlink -f "$graft_java" 2>/dev/null || printf '%s' "$graft_java")
    graft_home=$(dirname "$(dirname "$graft_java")")
    if graft_is_jdk25 "$graft_home"; then printf '%s\n' "$graft_home"; return 0; fi
  fi
  if [ -x /usr/libexec/java_home ] && graft_home=$(/usr/libexec/java_home -v 25+ 2>/dev/null) \
      && graft_is_jdk25 "$graft_home"; then
    printf '%s\n' "$graft_home"; return 0
  fi
  case $- in *f*) graft_noglob=1; set +f ;; *) graft_noglob= ;; esac
  graft_found=
  for graft_home in /usr/lib/jvm/temurin-25-jdk-* /usr/lib/jvm/java-25-openjdk* /usr/lib/jvm/jdk-25* \
      /usr/lib/jvm/*-2[5-9]* /usr/lib/jvm/*-2[5-9]-* /opt/java/openjdk /opt/jdk-25* \
      "${HOME:-/nonexistent}"/.sdkman/candidates/java/25* "${HOME:-/nonexistent}"/.jdks/*25* \
      /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    if graft_is_jdk25 "$graft_home"; then graft_found=$graft_home; break; fi
  done
  [ -z "$graft_noglob" ] || set -f
  [ -n "$graft_found" ] && printf '%s\n' "$graft_found"
}

graft_jdk25_found=$(graft_find_jdk25 || true)
if [ -n "$graft_jdk25_found" ]; then
  JAVA_HOME=$graft_jdk25_found
  export JAVA_HOME
fi
