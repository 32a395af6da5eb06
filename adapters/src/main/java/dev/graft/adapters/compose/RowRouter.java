package dev.graft.adapters.compose;

import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.FeatureRows;
import dev.graft.adapters.head.Features;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.backbones.sites.SiteHooks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Per-row adapter routing for {@link ComposedModel#predictRows}: each row is expanded into one pass-row per model
 * pass (adapter, or the plain backbone) its heads read, pass-rows are sorted by pass so that each pass's rows form
 * one contiguous segment, and encoded with {@link SiteHooks#routed}: in one pass when the rows' lengths are alike,
 * else in one routed pass per length bucket (a batch pads every row to its longest; a bucket keeps the padded token
 * rows within {@link #MAX_PADDING} of the real ones), or one pass per segment when a merged adapter is among them.
 * Each head runs once on each segment's features, and its output is split back into one output per row.
 */
final class RowRouter {
    private RowRouter() {
    }

    /**
     * Padded token rows a routed pass may spend per real token before the rows are split into passes by length:
     * a batch pads every row to its longest, so one pass over short and long rows computes mostly padding.
     */
    static final double MAX_PADDING = 1.3;

    /**
     * What a call of these requests does: which rows failed up front, which heads each row runs, and the plan — one
     * {@link Step.Route} per length bucket (or, with a merged adapter, one Route of one pass per segment).
     */
    record Routing(List<Set<String>> headsOf, String[] errors, List<Step.Route> routes, Plan plan, boolean byWords) {
    }

    static Routing route(ComposedModel model, List<Request> requests) {
        int n = requests.size();
        List<Set<String>> headsOf = new ArrayList<>(n);
        String[] errors = new String[n];
        Map<Integer, List<Integer>> byPass = new TreeMap<>();
        Set<String> allHeads = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            Request q = requests.get(i);
            Set<String> names = new LinkedHashSet<>(q.heads().isEmpty() ? model.headNames() : q.heads());
            List<String> unknown = names.stream().filter(h -> !model.headNames().contains(h)).toList();
            if (!unknown.isEmpty()) {
                errors[i] = "unknown head" + (unknown.size() == 1 ? " '" + unknown.getFirst() + "'"
                        : "s " + unknown.stream().map(h -> "'" + h + "'").toList())
                        + " (this model has " + model.headNames() + ")";
                headsOf.add(null);
                continue;
            }
            if (q.text().isBlank()) {
                errors[i] = "the text is empty: there is nothing to encode";
                headsOf.add(null);
                continue;
            }
            headsOf.add(names);
            allHeads.addAll(names);
            Set<Integer> passes = new LinkedHashSet<>();
            names.forEach(h -> passes.add(model.passIndex(h)));
            for (int p : passes) {
                byPass.computeIfAbsent(p, k -> new ArrayList<>()).add(i);
            }
        }
        boolean byWords = false;
        boolean allLayers = false;
        Set<FeatureKind> kinds = new LinkedHashSet<>();
        for (String h : allHeads) {
            FeatureKind kind = model.head(h).input();
            byWords |= kind instanceof FeatureKind.WordTokens;
            int[] stages = kind.layers().stages(model.backboneInfo().numLayers());
            allLayers |= stages.length > 1 || stages[0] != model.backboneInfo().numLayers();
            kinds.add(kind);
        }
        // pass-rows in (pass, input) order
        List<int[]> passRows = new ArrayList<>();
        boolean onePass = true;
        for (Map.Entry<Integer, List<Integer>> e : byPass.entrySet()) {
            e.getValue().forEach(i -> passRows.add(new int[] {e.getKey(), i}));
            onePass &= !model.passMerged(e.getKey());
        }
        List<Step.Route> routes = new ArrayList<>();
        if (!passRows.isEmpty()) {
            if (onePass) {
                int[] lengths = lengths(model, requests, passRows, byWords);
                for (List<Integer> bucket : buckets(lengths)) {
                    List<int[]> rows = bucket.stream().map(passRows::get).toList();
                    int tokens = bucket.stream().mapToInt(b -> lengths[b]).max().orElse(0);
                    routes.add(new Step.Route(allLayers, true, tokens, segments(model, rows)));
                }
            } else {
                routes.add(new Step.Route(allLayers, false, 0, segments(model, passRows)));
            }
        }
        List<Step> steps = new ArrayList<>();
        if (!routes.isEmpty()) {
            steps.add(new Step.Tokenize(byWords));
            steps.addAll(routes);
            kinds.forEach(k -> steps.add(new Step.Derive(k)));
            allHeads.forEach(h -> steps.add(new Step.RunHead(h, model.head(h).type())));
        }
        return new Routing(headsOf, errors, routes, new Plan(steps), byWords);
    }

    /** Consecutive pass-rows of one pass as one segment each; rows numbered from 0. */
    private static List<Step.Segment> segments(ComposedModel model, List<int[]> rows) {
        List<Step.Segment> segments = new ArrayList<>();
        int from = 0;
        for (int r = 1; r <= rows.size(); r++) {
            if (r == rows.size() || rows.get(r)[0] != rows.get(from)[0]) {
                int pass = rows.get(from)[0];
                segments.add(new Step.Segment(pass, model.passLabel(pass), from,
                        rows.subList(from, r).stream().map(x -> x[1]).toList()));
                from = r;
            }
        }
        return segments;
    }

    /**
     * Token count (with [CLS] and [SEP]) of each pass-row's text as this call tokenises it; each input is tokenised
     * once, however many pass-rows (adapters) it has.
     */
    private static int[] lengths(ComposedModel model, List<Request> requests, List<int[]> passRows, boolean byWords) {
        Map<Integer, Integer> slot = new LinkedHashMap<>();
        passRows.forEach(r -> slot.putIfAbsent(r[1], slot.size()));
        List<String> texts = slot.keySet().stream().map(i -> requests.get(i).text()).toList();
        int[] perInput;
        try (BackbonePass tokens = BackbonePass.tokenize(model.backbone(), model.backboneInfo(), new Inputs.Texts(texts),
                byWords, model.callArena())) {
            perInput = tokens.encoded().tokens().lengths();
        }
        return passRows.stream().mapToInt(r -> perInput[slot.get(r[1])]).toArray();
    }

    /**
     * Pass-row indices split into passes by length: sorted by length, a pass grows while its padded token rows stay
     * within {@link #MAX_PADDING} of its real tokens. Each bucket's indices ascending (so in (pass, input) order).
     */
    static List<List<Integer>> buckets(int[] lengths) {
        Integer[] order = new Integer[lengths.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> lengths[a] != lengths[b] ? Integer.compare(lengths[a], lengths[b]) : Integer.compare(a, b));
        List<List<Integer>> buckets = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        long real = 0;
        for (int i : order) {
            long padded = (long) (current.size() + 1) * lengths[i];
            if (!current.isEmpty() && padded > MAX_PADDING * (real + lengths[i])) {
                buckets.add(current);
                current = new ArrayList<>();
                real = 0;
            }
            current.add(i);
            real += lengths[i];
        }
        if (!current.isEmpty()) {
            buckets.add(current);
        }
        buckets.forEach(b -> b.sort(null));
        return buckets;
    }

    static List<RowResult> run(ComposedModel model, List<Request> requests) {
        Routing routing = route(model, requests);
        int n = requests.size();
        List<Map<String, HeadOutput>> outputs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            outputs.add(new HashMap<>());
        }
        String[] errors = routing.errors().clone();
        for (Step.Route route : routing.routes()) {
            if (route.onePass()) {
                List<String> texts = new ArrayList<>();
                route.segments().forEach(g -> g.inputs().forEach(i -> texts.add(requests.get(i).text())));
                try (BackbonePass tokens = BackbonePass.tokenize(model.backbone(), model.backboneInfo(),
                        new Inputs.Texts(texts), routing.byWords(), model.callArena())) {
                    int tokensPerRow = tokens.encoded().tokens().tokens();
                    int[] starts = new int[route.segments().size() + 1];
                    List<SiteHooks> hooks = new ArrayList<>();
                    for (int s = 0; s < route.segments().size(); s++) {
                        Step.Segment g = route.segments().get(s);
                        starts[s + 1] = (g.firstRow() + g.inputs().size()) * tokensPerRow;
                        hooks.add(model.passHooks(g.pass()));
                    }
                    try (BackbonePass pass = tokens.encode(SiteHooks.routed(starts, hooks), route.allLayers())) {
                        Map<FeatureKind, FeatureRows> rows = new HashMap<>();
                        Function<FeatureKind, FeatureRows> all = k -> rows.computeIfAbsent(k, pass::rows);
                        for (Step.Segment g : route.segments()) {
                            int from = g.firstRow();
                            int to = from + g.inputs().size();
                            Features f = new Features(model.backboneInfo(), pass.texts().subList(from, to),
                                    pass.words() == null ? null : pass.words().subList(from, to),
                                    k -> slice(all.apply(k), from, to));
                            runHeads(model, g, f, routing.byWords(), routing.headsOf(), outputs, errors);
                        }
                    }
                }
            } else {
                for (Step.Segment g : route.segments()) {
                    List<String> texts = g.inputs().stream().map(i -> requests.get(i).text()).toList();
                    try (BackbonePass tokens = BackbonePass.tokenize(model.backbone(), model.backboneInfo(),
                            new Inputs.Texts(texts), routing.byWords(), model.callArena());
                         BackbonePass pass = tokens.encode(model.passHooks(g.pass()), route.allLayers())) {
                        Features f = new Features(model.backboneInfo(), pass.texts(), pass.words(), pass::rows);
                        runHeads(model, g, f, routing.byWords(), routing.headsOf(), outputs, errors);
                    }
                }
            }
        }
        List<RowResult> results = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Map<String, HeadOutput> ordered = new LinkedHashMap<>();
            if (errors[i] == null) {
                Map<String, HeadOutput> mine = outputs.get(i);
                routing.headsOf().get(i).forEach(h -> ordered.put(h, mine.get(h)));
            }
            results.add(new RowResult(i, errors[i] == null ? ordered : Map.of(), errors[i]));
        }
        return results;
    }

    /** Runs each head of segment g's pass that any of its rows asked for, and hands each row its own output. */
    private static void runHeads(ComposedModel model, Step.Segment g, Features f, boolean byWords,
                                 List<Set<String>> headsOf, List<Map<String, HeadOutput>> outputs, String[] errors) {
        Set<String> wanted = new LinkedHashSet<>();
        for (int i : g.inputs()) {
            for (String h : headsOf.get(i)) {
                if (model.passIndex(h) == g.pass()) {
                    wanted.add(h);
                }
            }
        }
        for (String h : wanted) {
            HeadOutput out;
            try {
                out = model.runHead(h, f);
            } catch (RuntimeException e) {
                // e.g. a non-finite output for one row: run the head row by row so that only the rows it fails on fail
                out = null;
            }
            for (int r = 0; r < g.inputs().size(); r++) {
                int i = g.inputs().get(r);
                if (!headsOf.get(i).contains(h)) {
                    continue;
                }
                if (out == null || out instanceof HeadOutput.Custom) { // the head again on this row alone
                    int from = r;
                    Features one = new Features(f.backbone(), f.texts().subList(r, r + 1),
                            byWords ? f.words().subList(r, r + 1) : null, k -> slice(f.rows(k), from, from + 1));
                    try {
                        outputs.get(i).put(h, model.runHead(h, one));
                    } catch (RuntimeException e) {
                        errors[i] = errors[i] == null ? e.getMessage() : errors[i];
                    }
                } else {
                    outputs.get(i).put(h, row(out, r));
                }
            }
        }
    }

    /** Row r of a head's output, as an output of one row. */
    static HeadOutput row(HeadOutput out, int r) {
        return switch (out) {
            case HeadOutput.Classification c -> new HeadOutput.Classification(c.labels(), new float[][] {c.probabilities(r)});
            case HeadOutput.Tagging t -> new HeadOutput.Tagging(List.of(t.words().get(r)), List.of(t.tags().get(r)),
                    List.of(t.scores().get(r)), List.of(t.spans().get(r)));
            case HeadOutput.Embedding e -> new HeadOutput.Embedding(new float[][] {e.vector(r)});
            case HeadOutput.Regression x -> new HeadOutput.Regression(new float[] {x.score(r)});
            case HeadOutput.Custom c -> throw new IllegalArgumentException("a " + c.getClass().getSimpleName()
                    + " output cannot be split into rows");
        };
    }

    /** Inputs [from, to) of rows. */
    static FeatureRows slice(FeatureRows rows, int from, int to) {
        int a = rows.starts()[from];
        int b = rows.starts()[to];
        int[] starts = new int[to - from + 1];
        for (int i = 0; i <= to - from; i++) {
            starts[i] = rows.starts()[from + i] - a;
        }
        float[] data = Arrays.copyOfRange(rows.data(), a * rows.rowSize(), b * rows.rowSize());
        return new FeatureRows(data, b - a, rows.rowSize(), starts, rows.withoutToken().get(a, b));
    }
}
