package dev.graft.attention.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/** A recursive-descent reader of the {@link AttentionSpec} syntax that reports the position of every error. */
final class SpecParser {
    /** Largest global token position (and layer number) accepted: far beyond any model, small enough to list. */
    static final int MAX_POSITION = 1 << 20;
    private static final String KNOWN = "dense, window, blocksparse, topk";

    private final String text;
    private final List<Integer> entryPositions = new ArrayList<>();
    private int pos;
    private int patternStart;

    /** One argument of a pattern: its name (null if positional), value, and where each starts. */
    private record Arg(String name, int namePos, String value, int valuePos) {
    }

    SpecParser(String text) {
        this.text = text;
    }

    int[] entryPositions() {
        return entryPositions.stream().mapToInt(Integer::intValue).toArray();
    }

    List<AttentionSpec.Entry> parse() {
        skipWs();
        if (atEnd()) {
            throw error(pos, "the spec is empty; write e.g. 'all:dense' or '0-2:window(8),3-5:dense'");
        }
        List<AttentionSpec.Entry> entries = new ArrayList<>();
        while (true) {
            int start = pos;
            AttentionSpec.Layers layers = layers();
            skipWs();
            expect(':', "expected ':' between the layer range and its pattern");
            skipWs();
            AttentionPattern pattern = pattern();
            for (AttentionSpec.Entry e : entries) {
                if (e.layers().overlaps(layers)) {
                    throw error(start, AttentionSpec.overlap(layers, e.layers()));
                }
            }
            entries.add(new AttentionSpec.Entry(layers, pattern));
            entryPositions.add(start);
            skipWs();
            if (atEnd()) {
                return entries;
            }
            expect(',', "expected ',' before the next 'layers:pattern' entry");
            skipWs();
        }
    }

    private AttentionSpec.Layers layers() {
        int start = pos;
        String word = word();
        if (word.equalsIgnoreCase("all")) {
            return AttentionSpec.Layers.ALL;
        }
        pos = start;
        int first = number("a layer number or 'all'");
        skipWs();
        int last = first;
        if (peek('-')) {
            pos++;
            skipWs();
            last = number("the last layer of the range");
        }
        if (last < first) {
            throw error(start, "layer range " + first + "-" + last + " is reversed (write " + last + "-" + first + ")");
        }
        return new AttentionSpec.Layers(first, last);
    }

    private AttentionPattern pattern() {
        int start = pos;
        patternStart = pos;
        String name = word().toLowerCase(Locale.ROOT);
        if (name.isEmpty()) {
            throw error(pos, "expected a pattern name (" + KNOWN + ")");
        }
        skipWs();
        List<Arg> args = new ArrayList<>();
        boolean parens = peek('(');
        if (parens) {
            args = arguments();
        }
        try {
            return switch (name) {
                case "dense" -> {
                    bind(name, args, List.of());
                    yield new AttentionPattern.Dense();
                }
                case "window" -> {
                    Map<String, Arg> a = bind(name, args, List.of("width", "dilation", "global"));
                    int width = intArg(a, "width", null, 1, "window width");
                    int dilation = intArg(a, "dilation", 1, 1, "window dilation");
                    List<Integer> globals = a.containsKey("global") ? positions(a.get("global")) : List.of();
                    yield new AttentionPattern.Window(width, dilation, globals);
                }
                case "blocksparse" -> {
                    Map<String, Arg> a = bind(name, args, List.of("block", "window", "global", "random", "seed"));
                    yield new AttentionPattern.BlockSparse(
                            intArg(a, "block", 64, 1, "blocksparse block size"),
                            intArg(a, "window", AttentionPattern.BlockSparse.DEFAULT_WINDOW, 1, "blocksparse window"),
                            intArg(a, "global", AttentionPattern.BlockSparse.DEFAULT_GLOBAL, 0, "blocksparse global"),
                            intArg(a, "random", AttentionPattern.BlockSparse.DEFAULT_RANDOM, 0, "blocksparse random"),
                            a.containsKey("seed") ? longValue(a.get("seed"), "blocksparse seed") : 0L);
                }
                case "topk" -> {
                    Map<String, Arg> a = bind(name, args, List.of("k"));
                    yield new AttentionPattern.TopK(intArg(a, "k", null, 1, "topk k"));
                }
                default -> throw error(start, "unknown pattern '" + name + "'; known: " + KNOWN);
            };
        } catch (AttentionSpecException e) {
            throw e;
        } catch (IllegalArgumentException e) { // a record's own check
            throw error(start, e.getMessage());
        }
    }

    /** '(' [arg (',' arg)*] ')' — pos is at '('. */
    private List<Arg> arguments() {
        int open = pos++;
        List<Arg> args = new ArrayList<>();
        skipWs();
        if (peek(')')) {
            pos++;
            return args;
        }
        while (true) {
            skipWs();
            int start = pos;
            String first = value();
            if (first.isEmpty()) {
                throw error(pos, atEnd() ? "unclosed '(' opened at position " + open : "expected an argument");
            }
            skipWs();
            if (peek('=')) {
                pos++;
                skipWs();
                int valuePos = pos;
                String v = value();
                if (v.isEmpty()) {
                    throw error(pos, "expected a value after '" + first + "='");
                }
                args.add(new Arg(first.toLowerCase(Locale.ROOT), start, v, valuePos));
            } else {
                args.add(new Arg(null, start, first, start));
            }
            skipWs();
            if (peek(',')) {
                pos++;
                continue;
            }
            if (peek(')')) {
                pos++;
                return args;
            }
            throw error(pos, atEnd() ? "unclosed '(' opened at position " + open : "expected ',' or ')', found '" + text.charAt(pos) + "'");
        }
    }

    /** Names every argument: the first may be positional (the first name), the others must be named. */
    private Map<String, Arg> bind(String pattern, List<Arg> args, List<String> names) {
        Map<String, Arg> bound = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            Arg a = args.get(i);
            if (names.isEmpty()) {
                throw error(a.namePos(), pattern + " takes no arguments");
            }
            String name = a.name();
            if (name == null) {
                if (i > 0) {
                    throw error(a.namePos(), "argument " + (i + 1) + " of " + pattern + " needs a name, one of "
                            + names.subList(1, names.size()) + " (e.g. " + names.get(Math.min(1, names.size() - 1)) + "=…)");
                }
                name = names.getFirst();
            }
            if (!names.contains(name)) {
                throw error(a.namePos(), "unknown argument '" + name + "' of " + pattern + "; known: " + names);
            }
            if (bound.put(name, a) != null) {
                throw error(a.namePos(), "argument '" + name + "' of " + pattern + " is given twice");
            }
        }
        return bound;
    }

    private int intArg(Map<String, Arg> args, String name, Integer defaultValue, int min, String what) {
        Arg a = args.get(name);
        if (a == null) {
            if (defaultValue == null) {
                throw error(patternStart, what + " is required, e.g. " + what.split(" ")[0] + "(8)");
            }
            return defaultValue;
        }
        long v = longValue(a, what);
        if (v < min) {
            throw error(a.valuePos(), what + " must be >= " + min + ", was " + v);
        }
        if (v > Integer.MAX_VALUE) {
            throw error(a.valuePos(), what + " is too large: " + v);
        }
        return (int) v;
    }

    private long longValue(Arg a, String what) {
        try {
            return Long.parseLong(a.value());
        } catch (NumberFormatException e) {
            throw error(a.valuePos(), what + " must be a whole number, was '" + a.value() + "'");
        }
    }

    /** item ('|' item)*, item := 'cls' | N | N '..' M. */
    private List<Integer> positions(Arg a) {
        TreeSet<Integer> out = new TreeSet<>();
        String v = a.value();
        int at = 0;
        for (String item : v.split("\\|", -1)) {
            int itemPos = a.valuePos() + at;
            at += item.length() + 1;
            if (item.equalsIgnoreCase("cls")) {
                out.add(0);
                continue;
            }
            int dots = item.indexOf("..");
            int from = position(item.substring(0, dots < 0 ? item.length() : dots), itemPos);
            int to = dots < 0 ? from : position(item.substring(dots + 2), itemPos + dots + 2);
            if (to < from) {
                throw error(itemPos, "global range " + item + " is reversed");
            }
            for (int p = from; p <= to; p++) {
                out.add(p);
            }
        }
        return List.copyOf(out);
    }

    private int position(String s, int at) {
        try {
            int p = Integer.parseInt(s);
            if (p < 0 || p >= MAX_POSITION) {
                throw error(at, "global token position must be in [0, " + MAX_POSITION + "), was " + p);
            }
            return p;
        } catch (NumberFormatException e) {
            throw error(at, "global tokens are 'cls', positions and ranges joined by '|' (e.g. cls|100..115), found '" + s + "'");
        }
    }

    private int number(String what) {
        int start = pos;
        while (!atEnd() && Character.isDigit(text.charAt(pos))) {
            pos++;
        }
        if (start == pos) {
            throw error(start, "expected " + what + (atEnd() ? "" : ", found '" + text.charAt(start) + "'"));
        }
        String digits = text.substring(start, pos);
        if (digits.length() > 7 || Integer.parseInt(digits) >= MAX_POSITION) {
            throw error(start, "layer number " + digits + " is too large");
        }
        return Integer.parseInt(digits);
    }

    /** Letters, digits and '_'. */
    private String word() {
        int start = pos;
        while (!atEnd() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
            pos++;
        }
        return text.substring(start, pos);
    }

    /** Everything up to whitespace or one of {@code , ( ) = :}. */
    private String value() {
        int start = pos;
        while (!atEnd() && ",()=:".indexOf(text.charAt(pos)) < 0 && !Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
        return text.substring(start, pos);
    }

    private void expect(char c, String problem) {
        if (!peek(c)) {
            throw error(pos, problem + (atEnd() ? " (the spec ended)" : ", found '" + text.charAt(pos) + "'"));
        }
        pos++;
    }

    private boolean peek(char c) {
        return !atEnd() && text.charAt(pos) == c;
    }

    private boolean atEnd() {
        return pos >= text.length();
    }

    private void skipWs() {
        while (!atEnd() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private AttentionSpecException error(int at, String problem) {
        return new AttentionSpecException(text, at, problem);
    }
}
