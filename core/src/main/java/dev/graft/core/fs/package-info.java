/**
 * How Graft writes files and directories without losing anything: {@link dev.graft.core.fs.AtomicFiles} (one file,
 * written beside its target and renamed into place), {@link dev.graft.core.fs.SavedDirectory} (a directory of
 * files that never deletes or replaces a file Graft did not write) and {@link dev.graft.core.fs.TempFiles} (the
 * hidden temporary files both use, deleted when the JVM ends early and, after a crash, by the next run).
 *
 * <p>Outputs get the permissions the user's umask gives, like any other file the user creates.
 * Depends on the JDK and Jackson only.
 */
package dev.graft.core.fs;
