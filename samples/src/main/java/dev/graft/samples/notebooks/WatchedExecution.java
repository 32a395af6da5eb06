package dev.graft.samples.notebooks;

import java.net.InetAddress;
import java.util.Map;
import java.util.function.Consumer;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControl.ResolutionException;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

/**
 * JShell's usual execution engine (a JVM started over JDI, with the {@code -R} options) that also tells
 * {@link NotebookRunner} when a snippet calls code with an unresolved reference — e.g. a method whose body names a
 * variable that was never declared. The jshell tool reports that only in an interactive session; while it runs a
 * file it says nothing and goes on. Selected with {@code --execution graftnotebook}.
 */
public final class WatchedExecution implements ExecutionControlProvider {
    /** The name for {@code --execution}. */
    static final String NAME = "graftnotebook";

    /** Who hears of unresolved calls; set by {@link NotebookRunner} before the tool starts. */
    private static volatile Consumer<ResolutionException> listener = e -> {};

    static void listener(Consumer<ResolutionException> listener) {
        WatchedExecution.listener = listener;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) throws Throwable {
        // The engine JShell chooses when no --execution is given (jdk.jshell.JShell).
        String loopback = InetAddress.getLoopbackAddress().getHostAddress();
        ExecutionControl engine = ExecutionControl.generate(env,
                "failover:0(jdi:hostname(" + loopback + ")),1(jdi:launch(true)), 2(jdi)");
        return new Watched(engine);
    }

    private record Watched(ExecutionControl engine) implements ExecutionControl {
        @Override
        public void load(ClassBytecodes[] cbcs) throws ClassInstallException, NotImplementedException,
                EngineTerminationException {
            engine.load(cbcs);
        }

        @Override
        public void redefine(ClassBytecodes[] cbcs) throws ClassInstallException, NotImplementedException,
                EngineTerminationException {
            engine.redefine(cbcs);
        }

        @Override
        public String invoke(String className, String methodName) throws RunException, EngineTerminationException,
                InternalException {
            try {
                return engine.invoke(className, methodName);
            } catch (ResolutionException e) {
                listener.accept(e);
                throw e;
            }
        }

        @Override
        public String varValue(String className, String varName) throws RunException, EngineTerminationException,
                InternalException {
            try {
                return engine.varValue(className, varName);
            } catch (ResolutionException e) {
                listener.accept(e);
                throw e;
            }
        }

        @Override
        public void addToClasspath(String path) throws EngineTerminationException, InternalException {
            engine.addToClasspath(path);
        }

        @Override
        public void stop() throws EngineTerminationException, InternalException {
            engine.stop();
        }

        @Override
        public Object extensionCommand(String command, Object arg) throws RunException, EngineTerminationException,
                InternalException {
            return engine.extensionCommand(command, arg);
        }

        @Override
        public void close() {
            engine.close();
        }
    }
}
