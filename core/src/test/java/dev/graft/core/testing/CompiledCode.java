package dev.graft.core.testing;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * The compiled code of this JVM at one moment, read from HotSpot's {@code Compiler.codelist} diagnostic command
 * (what {@code jcmd PID Compiler.codelist} prints): one entry per nmethod with its compilation level and state. A
 * test running in a child JVM ({@link ForkedJvm}) uses it to verify that the methods it depends on were compiled at
 * the level it needs before it measures, and that nothing was compiled or deoptimized while it measured.
 *
 * @param entries the nmethods, in the order the JVM lists them
 */
public record CompiledCode(List<Entry> entries) {
    private static final int IN_USE = 0;
    /** Code that the measuring machinery itself runs (JMX, the allocation counters), not code under test. */
    private static final List<String> MACHINERY = List.of("javax.management.", "com.sun.jmx.", "sun.management.",
            "com.sun.management.", "java.lang.management.", "dev.graft.core.testing.ZeroAllocation.",
            "dev.graft.core.testing.CompiledCode");

    /**
     * One nmethod.
     *
     * @param id the compile id
     * @param level 1 to 3 for C1 code, 4 for C2 code
     * @param state 0 while in use (entrant); other values once made not entrant or unloaded
     * @param method the method's class and name, {@code dev.graft.core.kernels.vector.VectorKernels.gelu} (no
     *        signature: overloads share it; an OSR compilation has its method's name)
     */
    public record Entry(int id, int level, int state, String method) {
    }

    /** The code list now. */
    public static CompiledCode now() {
        return parse(codelist());
    }

    /** The raw {@code Compiler.codelist} output. */
    static String codelist() {
        try {
            return (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerCodelist",
                    new Object[] {null}, new String[] {String[].class.getName()});
        } catch (JMException e) {
            throw new IllegalStateException("cannot run the Compiler.codelist diagnostic command", e);
        }
    }

    /** Parses lines of the form {@code 583 4 0 dev.graft.core.kernels.KernelArgs.f32(Ljava/lang/String;...)V [0x.., ..]}. */
    static CompiledCode parse(String codelist) {
        List<Entry> entries = new ArrayList<>();
        for (String line : codelist.split("\n")) {
            String[] parts = line.trim().split(" ", 4);
            int paren = parts.length == 4 ? parts[3].indexOf('(') : -1;
            if (paren > 0 && parts[0].chars().allMatch(Character::isDigit)) {
                entries.add(new Entry(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]),
                        parts[3].substring(0, paren)));
            }
        }
        return new CompiledCode(List.copyOf(entries));
    }

    /** The highest level of in-use code of {@code method} ({@link Entry#method} form), 0 if it has none. */
    public int level(String method) {
        int level = 0;
        for (Entry e : entries) {
            if (e.state() == IN_USE && e.method().equals(method)) {
                level = Math.max(level, e.level());
            }
        }
        return level;
    }

    /** Which of {@code methods} have no in-use code at {@code level}. */
    public List<String> missing(List<String> methods, int level) {
        return methods.stream().filter(m -> level(m) != level).toList();
    }

    /** Names of the methods starting with {@code prefix} that have in-use code, each with its level: {@code name@4}. */
    public Set<String> methodsStartingWith(String prefix) {
        Set<String> names = new TreeSet<>();
        for (Entry e : entries) {
            if (e.state() == IN_USE && e.method().startsWith(prefix)) {
                names.add(e.method() + "@" + e.level());
            }
        }
        return names;
    }

    /**
     * The nmethods (id, level, state, method) outside the measuring machinery: two snapshots with the same key
     * had nothing compiled, recompiled, made not entrant or unloaded in between.
     */
    public Set<String> key() {
        Set<String> key = new TreeSet<>();
        for (Entry e : entries) {
            if (MACHINERY.stream().noneMatch(e.method()::startsWith)) {
                key.add(e.id() + " " + e.level() + " " + e.state() + " " + e.method());
            }
        }
        return key;
    }

    /** What changed from {@code before} to this snapshot: entries that appeared (+) or disappeared (-), at most 20. */
    public List<String> changesSince(CompiledCode before) {
        Set<String> now = key();
        Set<String> then = before.key();
        List<String> changes = new ArrayList<>();
        now.stream().filter(k -> !then.contains(k)).forEach(k -> changes.add("+" + k));
        then.stream().filter(k -> !now.contains(k)).forEach(k -> changes.add("-" + k));
        return changes.size() > 20 ? changes.subList(0, 20) : changes;
    }

    /**
     * Fails unless this JVM runs in {@code mode}: read back from the VM options (blocking compilation, the tiers)
     * rather than trusted from the command line.
     */
    public static void requireMode(JitMode mode) {
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        String info = System.getProperty("java.vm.info", "");
        boolean ok = switch (mode) {
            case INTERPRETED -> info.contains("interpreted mode");
            case C1 -> option(vm, "BackgroundCompilation").equals("false") && option(vm, "TieredStopAtLevel").equals("1");
            case C2 -> option(vm, "BackgroundCompilation").equals("false") && option(vm, "TieredCompilation").equals("false");
        };
        if (!ok) {
            throw new IllegalStateException("this JVM does not run in mode " + mode + " (" + String.join(" ", mode.flags())
                    + "): java.vm.info '" + info + "', BackgroundCompilation " + option(vm, "BackgroundCompilation")
                    + ", TieredCompilation " + option(vm, "TieredCompilation") + ", TieredStopAtLevel "
                    + option(vm, "TieredStopAtLevel"));
        }
    }

    private static String option(HotSpotDiagnosticMXBean vm, String name) {
        return vm.getVMOption(name).getValue();
    }
}
