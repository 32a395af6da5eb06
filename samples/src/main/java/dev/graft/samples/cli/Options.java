package dev.graft.samples.cli;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} and {@code --flag} options of one command. Every option a command reads is declared by
 * reading it; {@link #rejectUnknown()} then fails on anything the command did not read (a typo'd option).
 */
public final class Options {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Set<String> read = new LinkedHashSet<>();
    private final Set<String> flagNames;
    private final Map<String, List<String>> repeated = new LinkedHashMap<>();

    /**
     * @param args      the arguments after the command name
     * @param flagNames options that take no value
     */
    public Options(List<String> args, Set<String> flagNames) {
        this(args, flagNames, Set.of());
    }

    /**
     * @param args       the arguments after the command name
     * @param flagNames  options that take no value
     * @param repeatable options that may be given more than once ({@link #getAll})
     */
    public Options(List<String> args, Set<String> flagNames, Set<String> repeatable) {
        this.flagNames = Set.copyOf(flagNames);
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--") || a.length() == 2) {
                throw new UsageException("unexpected argument '" + a + "' (options look like --name value)");
            }
            String name = a.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (flagNames.contains(name)) {
                value = "true";
            } else {
                if (i + 1 >= args.size() || args.get(i + 1).startsWith("--") && args.get(i + 1).length() > 2) {
                    throw new UsageException("option --" + name + " needs a value"
                            + (i + 1 < args.size() ? " (got the option " + args.get(i + 1) + " next)" : ""));
                }
                value = args.get(++i);
            }
            if (repeatable.contains(name)) {
                repeated.computeIfAbsent(name, n -> new java.util.ArrayList<>()).add(value);
                values.putIfAbsent(name, value);
            } else if (values.put(name, value) != null) {
                throw new UsageException("option --" + name + " given twice");
            }
        }
    }

    /** Every value of a repeatable option, in command-line order; empty when it is absent. */
    public List<String> getAll(String name) {
        read.add(name);
        return List.copyOf(repeated.getOrDefault(name, List.of()));
    }

    public boolean has(String name) {
        read.add(name);
        return values.containsKey(name);
    }

    public String get(String name, String defaultValue) {
        read.add(name);
        return values.getOrDefault(name, defaultValue);
    }

    public String require(String name) {
        read.add(name);
        String v = values.get(name);
        if (v == null) {
            throw new UsageException("missing required option --" + name);
        }
        return v;
    }

    /**
     * A flag: absent is false, {@code --name} or {@code --name=true} is true, {@code --name=false} is false;
     * any other value is a usage error naming the option.
     */
    public boolean flag(String name) {
        read.add(name);
        if (!flagNames.contains(name)) {
            throw new IllegalStateException("--" + name + " is not declared as a flag");
        }
        String v = values.get(name);
        if (v == null) {
            return false;
        }
        return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new UsageException("--" + name + " takes no value, or =true or =false; got '" + v + "'");
        };
    }

    /** A whole number in {@code [min, max]}, or {@code defaultValue} when the option is absent. */
    public int getInt(String name, int defaultValue, int min, int max) {
        return (int) getLong(name, defaultValue, min, max);
    }

    /** A whole number in {@code [min, max]}, or {@code defaultValue} when the option is absent. */
    public long getLong(String name, long defaultValue, long min, long max) {
        String v = get(name, null);
        if (v == null) {
            return defaultValue;
        }
        long x;
        try {
            x = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be an integer, got '" + v + "'");
        }
        if (x < min || x > max) {
            throw new UsageException("--" + name + " must be " + range(min, max) + ", got " + x);
        }
        return x;
    }

    /** A finite number in {@code [min, max]}, or {@code defaultValue} when the option is absent. */
    public double getDouble(String name, double defaultValue, double min, double max) {
        String v = get(name, null);
        if (v == null) {
            return defaultValue;
        }
        double x;
        try {
            x = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a number, got '" + v + "'");
        }
        if (!(x >= min && x <= max)) {
            throw new UsageException("--" + name + " must be between " + number(min) + " and " + number(max) + ", got " + v);
        }
        return x;
    }

    /** A path that is not empty. */
    public String requirePath(String name) {
        String v = require(name);
        if (v.isBlank()) {
            throw new UsageException("--" + name + " needs a file or directory name, got ''");
        }
        return v;
    }

    private static String range(long min, long max) {
        if (max == Long.MAX_VALUE || max == Integer.MAX_VALUE) {
            return "at least " + min;
        }
        return "between " + min + " and " + max;
    }

    private static String number(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
    }

    /** Fails on any option that the command never read. */
    public void rejectUnknown() {
        for (String name : values.keySet()) {
            if (!read.contains(name)) {
                throw new UsageException("unknown option --" + name);
            }
        }
    }
}
