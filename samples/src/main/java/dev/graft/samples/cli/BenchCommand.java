package dev.graft.samples.cli;

import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.data.TextLines;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.serving.ServingFront;
import dev.graft.backbones.bert.BertBackbone;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * {@code bench}: how many texts per second a composed model serves on this machine — with one head, with N heads
 * sharing one backbone pass, and with the backbone run once per head — measured back to back. A quick wall-clock
 * look; the JMH benchmark {@code CompositionBenchmark} is the measurement of record.
 */
final class BenchCommand implements GraftCli.FlagCommand {
    static final List<String> SAMPLE = List.of(
            "I still have not received my new card, I ordered over a week ago.",
            "How do I locate my card?",
            "Why was my transfer declined?",
            "Can I top up my account with a cheque?",
            "The exchange rate you applied to my payment is wrong.",
            "What should I do if my card was stolen?",
            "Is there a fee for withdrawing cash abroad?",
            "My PIN is blocked after three wrong attempts, how can I unblock it?");

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "throughput of a composed model here: 1 head, N heads on one pass, N separate passes";
    }

    @Override
    public Set<String> flags() {
        return Set.of("serve", "warm-up", "overload");
    }

    @Override
    public String usage() {
        return """
                usage: samples/graft bench [--model NAME|DIR] [--heads N] [--batch N] [--seconds S] [--threads N]
                                           [--input FILE]

                Builds N classification heads (77 labels, untrained weights — speed does not depend on them) on the
                backbone and measures, one after the other, texts per second for: the backbone with 1 head; the
                backbone with N heads (one pass, shared); and N one-head models called in turn (N passes).

                options:
                """ + BackboneOptions.USAGE + """

                  --heads N            heads in the composed model (default 8)
                  --batch N            texts per call (default 32)
                  --seconds S          measuring time per case, after as long a warm-up (default 5)
                  --input FILE         texts to cycle through, one per line (default: 8 built-in banking questions)

                serving (see docs/SERVING.md):
                  --serve              instead: N concurrent callers each sending one text at a time, calling the
                                       model directly, then through a ServingFront (one classification head);
                                       throughput, latency p50/p90/p99, lost/duplicated answers, answers vs the
                                       direct single call, time to first result after build()
                  --callers N          concurrent callers (default 64)
                  --warm-up            warm the model up in ServingFront.build()
                  --overload           then offer 10× the rate the front sustained, open loop
                  --budget N           real tokens per batch (default 1024)
                  --max-wait-ms N      longest wait for a batch to fill (default 5)
                  --queue N            queue capacity (default 4096)
                  --workers N          worker threads running batches (default 2)""";
    }

    @Override
    public int run(Options o, PrintStream out, PrintStream err) throws Exception {
        BackboneOptions bo = BackboneOptions.read(o);
        int heads = o.getInt("heads", 8, 1, 256);
        int batch = o.getInt("batch", 32, 1, 1 << 16);
        int seconds = o.getInt("seconds", 5, 1, 3600);
        String input = o.get("input", null);
        boolean serve = o.flag("serve");
        int callers = o.getInt("callers", 64, 1, 4096);
        boolean warmUp = o.flag("warm-up");
        boolean overload = o.flag("overload");
        ServingFront.Builder settings = ServingFront.builder().optTokenBudget(o.getInt("budget", 1024, 1, 1 << 20))
                .optMaxWait(java.time.Duration.ofMillis(o.getInt("max-wait-ms", 5, 0, 60_000)))
                .optQueueCapacity(o.getInt("queue", 4096, 1, 1 << 24)).optWorkers(o.getInt("workers", 2, 1, 256));
        o.rejectUnknown();
        if (!serve && (o.has("callers") || warmUp || overload)) {
            throw new UsageException("--callers, --warm-up and --overload go with --serve");
        }
        List<String> pool = input == null ? SAMPLE : TextLines.read(input).stream().map(LabeledText::text).toList();
        if (pool.isEmpty()) {
            throw new IllegalArgumentException(input + ": no texts");
        }
        List<String> texts = IntStream.range(0, batch).mapToObj(i -> pool.get(i % pool.size())).toList();
        List<String> labels = IntStream.range(0, 77).mapToObj(i -> "intent_" + i).toList();
        if (serve) {
            try (BertBackbone backbone = bo.open();
                 ComposedModel model = ComposedModel.builder().backbone(backbone).head("intent",
                         new SequenceClassification().create(ClassificationConfig.of(labels), BackboneInfo.of(backbone), 0)).build()) {
                out.printf(Locale.ROOT, "%s, %s, %d texts%n", BackboneInfo.of(backbone).describe(),
                        dev.graft.adapters.train.ProgressText.count(bo.threads(), "thread", "threads"), pool.size());
                ServeBench.run(model, pool, callers, seconds, warmUp, overload, settings, out);
            }
            return 0;
        }
        try (BertBackbone backbone = bo.open()) {
            BackboneInfo info = BackboneInfo.of(backbone);
            List<Head> all = new ArrayList<>();
            for (int h = 0; h < heads; h++) {
                all.add(new SequenceClassification().create(ClassificationConfig.of(labels), info, h));
            }
            ComposedModel.Builder one = ComposedModel.builder().backbone(backbone).head("h0", all.getFirst());
            ComposedModel.Builder many = ComposedModel.builder().backbone(backbone);
            List<ComposedModel> separate = new ArrayList<>();
            for (int h = 0; h < heads; h++) {
                many.head("h" + h, all.get(h));
                separate.add(ComposedModel.builder().backbone(backbone).head("h" + h, all.get(h)).build());
            }
            try (ComposedModel single = one.build(); ComposedModel shared = many.build()) {
                out.printf(Locale.ROOT, "%s, %s, batch %d, %d s per case after %d s warm-up%n", info.describe(),
                        dev.graft.adapters.train.ProgressText.count(bo.threads(), "thread", "threads"),
                        batch, seconds, seconds);
                out.println(shared.plan());
                double s1 = measure(() -> single.predict(texts), batch, seconds);
                out.printf(Locale.ROOT, "1 head:                 %8.1f texts/s%n", s1);
                double sn = measure(() -> shared.predict(texts), batch, seconds);
                out.printf(Locale.ROOT, "%d heads, one pass:     %8.1f texts/s  (%.2f× of 1 head)%n", heads, sn, sn / s1);
                double sp = measure(() -> separate.forEach(m -> m.predict(texts)), batch, seconds);
                out.printf(Locale.ROOT, "%d heads, %d passes:    %8.1f texts/s  (one pass is %.1f× faster)%n", heads, heads, sp, sn / sp);
            } finally {
                separate.forEach(ComposedModel::close);
            }
        }
        return 0;
    }

    private static double measure(Runnable call, int batch, int seconds) {
        long warm = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < warm) {
            call.run();
        }
        long calls = 0;
        long t0 = System.nanoTime();
        long end = t0 + seconds * 1_000_000_000L;
        long now;
        do {
            call.run();
            calls++;
            now = System.nanoTime();
        } while (now < end);
        return calls * batch / ((now - t0) / 1e9);
    }
}
