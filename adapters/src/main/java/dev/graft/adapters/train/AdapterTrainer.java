package dev.graft.adapters.train;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.Adapters;
import dev.graft.adapters.adapter.TrainingHooks;
import dev.graft.adapters.nn.AdamW;
import dev.graft.adapters.nn.Layer;
import dev.graft.adapters.nn.LossResult;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.nn.Softmax;
import dev.graft.adapters.nn.SoftmaxCrossEntropy;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.EncoderOutput;
import dev.graft.backbones.bert.EncoderTape;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.tokenizer.EncodedBatch;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Trains an adapter and a classification head jointly through a frozen backbone: each step tokenises a
 * mini-batch, runs the training forward ({@link EncoderTape}) with the adapter's training hooks, pools the selected
 * stages, runs the head, back-propagates the cross-entropy through the head, the pooling and the recorded layers
 * into the adapter's and head's parameters, clips the global gradient norm and takes an AdamW step (separate
 * learning rates for adapter and head, one {@link LearningRateSchedule} shape: linear warm-up, linear decay). After
 * every epoch the validation accuracy is measured on the inference path (the adapter attached as immutable hooks);
 * the best epoch's adapter and head are restored at the end, and training stops after {@code patience} epochs
 * without improvement.
 *
 * <p>The backbone is shared and only read: other threads may serve inference from it meanwhile. Deterministic for
 * a given seed, data, initial parameters and kernels.
 */
public final class AdapterTrainer {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int EVALUATION_BATCH = 64;
    /** Batches per run sorted by length (see {@link #batchesByLength}). */
    static final int LENGTH_GROUP = 50;

    /**
     * @param learningRate     the adapter's peak learning rate (PEFT's LoRA examples use 1e-4 – 1e-3)
     * @param headLearningRate the head's peak learning rate
     * @param warmupRatio      share of all steps spent warming up
     * @param maxGradNorm      clip the global gradient norm (adapter and head together) to this; 0 = no clipping
     * @param hiddenDropout    BERT's hidden dropout inside the recorded layers during training
     * @param attentionDropout BERT's attention-probability dropout inside the recorded layers
     * @param patience         stop after this many epochs without a better validation accuracy
     */
    public record Config(int epochs, int batchSize, double learningRate, double headLearningRate, double weightDecay,
                         double warmupRatio, double maxGradNorm, float hiddenDropout, float attentionDropout, long seed,
                         int patience) {
        public Config {
            if (epochs < 1 || batchSize < 1 || patience < 1) {
                throw new IllegalArgumentException("adapter training: epochs, batch size and patience must be ≥ 1, got "
                        + epochs + ", " + batchSize + ", " + patience);
            }
            if (!(learningRate > 0) || !(headLearningRate > 0) || weightDecay < 0 || maxGradNorm < 0) {
                throw new IllegalArgumentException("adapter training: learning rates must be > 0, weight decay and"
                        + " clipping ≥ 0");
            }
            new EncoderTape.Options(hiddenDropout, attentionDropout, seed); // validates the rates
        }

        /**
         * 8 epochs of 32, adapter 1e-3, head 3e-3, decay 0.01, 6 % warm-up, clip at 1, BERT's dropouts, patience 3:
         * the recipe chosen on banking77's validation split (docs/ADAPTERS.md, "Accuracy").
         */
        public static Config defaults() {
            return new Config(8, 32, 1e-3, 3e-3, 0.01, 0.06, 1.0, 0.1f, 0.1f, 42, 3);
        }
    }

    /**
     * Trains {@code adapter} and {@code head} (a network over the pooled {@code stages}, stage-major, as a
     * {@code FeatureKind.Pooled} head reads them) in place.
     *
     * @return the per-epoch history; the adapter and head hold the best epoch's parameters
     */
    public TrainingResult trainClassifier(BertBackbone backbone, Adapter adapter, Layer head, Pooling pooling,
                                          int[] stages, List<String> texts, int[] labels, List<String> validationTexts,
                                          int[] validationLabels, Config cfg, TrainingListener listener) {
        Objects.requireNonNull(adapter, "adapter");
        TrainingListener events = listener == null ? TrainingListener.NONE : listener;
        int hidden = backbone.config().hiddenSize();
        if (head.inputSize() != stages.length * hidden) {
            throw new IllegalArgumentException("the head reads " + head.inputSize() + " features but " + stages.length
                    + " pooled stages give " + stages.length * hidden);
        }
        if (texts.size() != labels.length || texts.isEmpty()) {
            throw new IllegalArgumentException(texts.size() + " training texts with " + labels.length + " labels");
        }
        SoftmaxCrossEntropy lossFn = new SoftmaxCrossEntropy(head.outputSize());
        boolean validate = validationTexts != null && !validationTexts.isEmpty();
        Objective objective = new Objective() {
            @Override
            public List<String> texts() {
                return texts;
            }

            @Override
            public LossResult step(int[] members, EncoderTape.Options dropout, long seed, TensorArena arena) {
                List<String> part = new ArrayList<>(members.length);
                int[] y = new int[members.length];
                for (int r = 0; r < members.length; r++) {
                    part.add(texts.get(members[r]));
                    y[r] = labels[members[r]];
                }
                return AdapterTrainer.step(backbone, adapter, head, pooling, stages, part, y, lossFn, dropout, seed,
                        arena);
            }

            @Override
            public int validationSize() {
                return validate ? validationTexts.size() : 0;
            }

            @Override
            public double[] evaluate(TensorArena arena) {
                return AdapterTrainer.evaluate(backbone, adapter, head, pooling, stages, validationTexts,
                        validationLabels, lossFn, arena);
            }
        };
        return run(objective, adapter, head, cfg, events);
    }

    /**
     * Trains {@code adapter} and a token-classification {@code head} (a network over the first sub-token of each
     * word at the selected {@code stages}, stage-major, as a {@code FeatureKind.WordTokens} head reads them) in place,
     * on sentences of words with a tag index per word.
     *
     * @return the per-epoch history (validation metric: word accuracy); adapter and head hold the best epoch's
     *         parameters
     */
    public TrainingResult trainTagger(BertBackbone backbone, Adapter adapter, Layer head, int[] stages,
                                      List<List<String>> sentences, int[][] tags, List<List<String>> validationSentences,
                                      int[][] validationTags, Config cfg, TrainingListener listener) {
        Objects.requireNonNull(adapter, "adapter");
        int hidden = backbone.config().hiddenSize();
        if (head.inputSize() != stages.length * hidden) {
            throw new IllegalArgumentException("the head reads " + head.inputSize() + " features but " + stages.length
                    + " stages give " + stages.length * hidden);
        }
        if (sentences.size() != tags.length || sentences.isEmpty()) {
            throw new IllegalArgumentException(sentences.size() + " training sentences with " + tags.length + " tag rows");
        }
        SoftmaxCrossEntropy lossFn = new SoftmaxCrossEntropy(head.outputSize());
        List<String> joined = sentences.stream().map(w -> String.join(" ", w)).toList();
        boolean validate = validationSentences != null && !validationSentences.isEmpty();
        Objective objective = new Objective() {
            @Override
            public List<String> texts() {
                return joined;
            }

            @Override
            public LossResult step(int[] members, EncoderTape.Options dropout, long seed, TensorArena arena) {
                List<List<String>> part = new ArrayList<>(members.length);
                int[][] y = new int[members.length][];
                for (int r = 0; r < members.length; r++) {
                    part.add(sentences.get(members[r]));
                    y[r] = tags[members[r]];
                }
                return tagStep(backbone, adapter, head, stages, part, y, lossFn, dropout, seed, arena);
            }

            @Override
            public int validationSize() {
                return validate ? validationSentences.size() : 0;
            }

            @Override
            public double[] evaluate(TensorArena arena) {
                return evaluateTagger(backbone, adapter, head, stages, validationSentences, validationTags, lossFn, arena);
            }
        };
        return run(objective, adapter, head, cfg, listener == null ? TrainingListener.NONE : listener);
    }

    /** What the loop needs from a kind of example. */
    private interface Objective {
        /** One text per example: what batches are grouped by. */
        List<String> texts();

        /** Forward and backward over the examples {@code members}: gradients end in the parameters. */
        LossResult step(int[] members, EncoderTape.Options dropout, long seed, TensorArena arena);

        int validationSize();

        /** {loss, metric} on the validation examples through the inference path. */
        double[] evaluate(TensorArena arena);
    }

    /** The training loop shared by every objective (see the class comment). */
    private static TrainingResult run(Objective objective, Adapter adapter, Layer head, Config cfg,
                                      TrainingListener events) {
        List<Parameter> adapterParams = adapter.parameters();
        List<Parameter> headParams = head.parameters();
        List<Parameter> all = new ArrayList<>(adapterParams);
        all.addAll(headParams);
        AdamW adapterOpt = new AdamW(cfg.learningRate(), cfg.weightDecay());
        AdamW headOpt = new AdamW(cfg.headLearningRate(), cfg.weightDecay());
        List<String> texts = objective.texts();
        int n = texts.size();
        int batchSize = Math.min(cfg.batchSize(), n);
        int batches = (n + batchSize - 1) / batchSize;
        long totalSteps = (long) batches * cfg.epochs();
        LearningRateSchedule adapterLr = LearningRateSchedule.of(cfg.learningRate(), cfg.warmupRatio(), totalSteps);
        LearningRateSchedule headLr = LearningRateSchedule.of(cfg.headLearningRate(), cfg.warmupRatio(), totalSteps);
        EncoderTape.Options dropout = new EncoderTape.Options(cfg.hiddenDropout(), cfg.attentionDropout(), cfg.seed());
        boolean validate = objective.validationSize() > 0;

        events.onStart(cfg.epochs(), batches, n, objective.validationSize(), "accuracy");
        List<EpochStats> history = new ArrayList<>();
        List<float[]> best = Trainer.snapshot(all);
        int bestEpoch = 0;
        double bestMetric = Double.NEGATIVE_INFINITY;
        int sinceImprovement = 0;
        boolean stoppedEarly = false;
        long step = 0;
        try (TensorArena root = TensorArena.root("adapter-training")) {
            for (int epoch = 1; epoch <= cfg.epochs(); epoch++) {
                long start = System.nanoTime();
                List<int[]> epochBatches = batchesByLength(texts, batchSize, new SplittableRandom(Trainer.mix(cfg.seed(), epoch)));
                double lossSum = 0;
                double weightSum = 0;
                for (int b = 0; b < batches; b++) {
                    long stepSeed = Trainer.mix(cfg.seed() ^ 0x5DEECE66DL, step);
                    LossResult loss;
                    AdamW.zeroGrad(all);
                    try (TensorArena arena = root.child("step")) {
                        loss = objective.step(epochBatches.get(b), dropout.withSeed(stepSeed), stepSeed, arena);
                    }
                    if (!Double.isFinite(loss.loss())) {
                        Trainer.restore(all, best);
                        throw new ArithmeticException("adapter training: the loss became " + loss.loss() + " in epoch "
                                + epoch + ", batch " + (b + 1) + "; lower the learning rate (now " + cfg.learningRate() + ")");
                    }
                    lossSum += loss.loss() * loss.weight();
                    weightSum += loss.weight();
                    if (cfg.maxGradNorm() > 0) {
                        AdamW.clipGradNorm(all, cfg.maxGradNorm());
                    }
                    adapterOpt.learningRate(adapterLr.at(step));
                    headOpt.learningRate(headLr.at(step));
                    adapterOpt.step(adapterParams);
                    headOpt.step(headParams);
                    step++;
                    events.onBatch(epoch, b + 1, batches, weightSum > 0 ? lossSum / weightSum : 0);
                }
                double trainSeconds = (System.nanoTime() - start) / 1e9;
                double[] evaluation = validate ? objective.evaluate(root) : new double[] {Double.NaN, Double.NaN};
                EpochStats stats = new EpochStats(epoch, weightSum > 0 ? lossSum / weightSum : 0, evaluation[0],
                        evaluation[1], n / Math.max(trainSeconds, 1e-9), (System.nanoTime() - start) / 1e9,
                        adapterOpt.learningRate());
                history.add(stats);
                boolean improved = !validate || evaluation[1] > bestMetric;
                if (improved) {
                    bestMetric = evaluation[1];
                    bestEpoch = epoch;
                    sinceImprovement = 0;
                    Trainer.copyInto(all, best);
                } else {
                    sinceImprovement++;
                }
                events.onEpoch(stats, improved);
                if (validate && sinceImprovement >= cfg.patience()) {
                    stoppedEarly = epoch < cfg.epochs();
                    break;
                }
            }
        }
        Trainer.restore(all, best);
        TrainingResult result = new TrainingResult(bestEpoch, "accuracy", history, stoppedEarly);
        events.onFinish(result);
        return result;
    }

    /**
     * One epoch's batches, grouped by length as Hugging Face's {@code group_by_length} does, so a batch pads to
     * similar lengths (random batches of banking77 pad to about twice the mean length): a seeded shuffle, then
     * runs of {@value #LENGTH_GROUP} batches sorted by text length and cut into batches, then the batches shuffled.
     */
    public static List<int[]> batchesByLength(List<String> texts, int batchSize, SplittableRandom random) {
        int n = texts.size();
        int[] order = IntStream.range(0, n).toArray();
        Splits.shuffle(order, random);
        List<int[]> batches = new ArrayList<>();
        int group = LENGTH_GROUP * batchSize;
        for (int from = 0; from < n; from += group) {
            int[] run = java.util.Arrays.copyOfRange(order, from, Math.min(n, from + group));
            int[] sorted = IntStream.of(run).boxed()
                    .sorted(Comparator.<Integer>comparingInt(i -> texts.get(i).length()).thenComparingInt(i -> i))
                    .mapToInt(Integer::intValue).toArray();
            for (int b = 0; b < sorted.length; b += batchSize) {
                batches.add(java.util.Arrays.copyOfRange(sorted, b, Math.min(sorted.length, b + batchSize)));
            }
        }
        for (int i = batches.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int[] t = batches.get(i);
            batches.set(i, batches.get(j));
            batches.set(j, t);
        }
        return batches;
    }

    /**
     * One training step's forward and backward over {@code texts} (no optimizer step): gradients are added into the
     * adapter's and head's {@code grads()}. Public for benchmarks; {@link #trainClassifier} is the training loop.
     */
    public static LossResult step(BertBackbone backbone, Adapter adapter, Layer head, Pooling pooling, int[] stages,
                           List<String> texts, int[] labels, SoftmaxCrossEntropy lossFn, EncoderTape.Options dropout,
                           long seed, TensorArena arena) {
        TokenBatch batch = backbone.tokenize(texts, arena);
        TrainingHooks th = adapter.trainingHooks(arena, seed);
        boolean allStages = needsAllStages(backbone, stages);
        try (EncoderTape tape = EncoderTape.forward(backbone.encoder(), batch, SiteHooks.of(th.hooks()), dropout,
                allStages, arena)) {
            EncoderOutput out = tape.output();
            float[] features = pool(backbone, out, batch, pooling, stages, arena);
            Layer.Tape headTape = head.forward(features, texts.size(), true, seed);
            LossResult loss = lossFn.compute(headTape.output(), texts.size(), labels);
            float[] dFeatures = head.backward(headTape, loss.gradient(), true);
            int hidden = backbone.config().hiddenSize();
            for (int s = 0; s < stages.length; s++) {
                if (stages[s] >= tape.firstRecordedLayer() + 1) { // stages at or below the first recorded layer's input get nothing
                    poolBackward(pooling, batch, dFeatures, stages.length * hidden, s * hidden, hidden,
                            tape.stageGradient(stages[s]));
                }
            }
            tape.backward();
            th.flushGradients();
            return loss;
        }
    }

    /** One tagging step: rows are words, read from their first sub-token at each stage. */
    static LossResult tagStep(BertBackbone backbone, Adapter adapter, Layer head, int[] stages,
                              List<List<String>> sentences, int[][] tags, SoftmaxCrossEntropy lossFn,
                              EncoderTape.Options dropout, long seed, TensorArena arena) {
        EncodedBatch encoded = backbone.tokenizer().encodeWords(sentences, arena);
        TokenBatch batch = encoded.tokens();
        WordRows rows = wordRows(encoded, sentences, tags, 0);
        int[] rowTokens = rows.tokens();
        int[] y = rows.labels();
        TrainingHooks th = adapter.trainingHooks(arena, seed);
        boolean allStages = needsAllStages(backbone, stages);
        try (EncoderTape tape = EncoderTape.forward(backbone.encoder(), batch, SiteHooks.of(th.hooks()), dropout,
                allStages, arena)) {
            float[] features = gather(backbone, tape.output(), stages, rowTokens);
            Layer.Tape headTape = head.forward(features, rowTokens.length, true, seed);
            LossResult loss = lossFn.compute(headTape.output(), rowTokens.length, y);
            float[] d = head.backward(headTape, loss.gradient(), true);
            int hidden = backbone.config().hiddenSize();
            int rowSize = stages.length * hidden;
            for (int s = 0; s < stages.length; s++) {
                if (stages[s] > tape.firstRecordedLayer()) {
                    MemorySegment dStage = tape.stageGradient(stages[s]);
                    for (int r = 0; r < rowTokens.length; r++) {
                        long base = (long) rowTokens[r] * hidden;
                        for (int j = 0; j < hidden; j++) {
                            dStage.setAtIndex(F32, base + j, dStage.getAtIndex(F32, base + j) + d[r * rowSize + s * hidden + j]);
                        }
                    }
                }
            }
            tape.backward();
            th.flushGradients();
            return loss;
        }
    }

    /**
     * The rows of a tagging batch: per word (sentence by sentence) the flat token index (sequence · T + token) it is
     * read from, and its tag. A word without a token of its own (past the token limit) is left out: the model never
     * saw it, so there are no features to learn its tag from.
     */
    record WordRows(int[] tokens, int[] labels) {
    }

    /** {@link WordRows} of {@code sentences}, whose tags are {@code tags[tagOffset + i]}. */
    static WordRows wordRows(EncodedBatch encoded, List<List<String>> sentences, int[][] tags, int tagOffset) {
        int width = encoded.tokens().tokens();
        int words = sentences.stream().mapToInt(List::size).sum();
        int[] rows = new int[words];
        int[] labels = new int[words];
        int r = 0;
        for (int i = 0; i < sentences.size(); i++) {
            int[] first = encoded.ownFirstTokens(i, sentences.get(i).size());
            for (int w = 0; w < first.length; w++) {
                if (first[w] >= 0) {
                    rows[r] = i * width + first[w];
                    labels[r++] = tags[tagOffset + i][w];
                }
            }
        }
        return new WordRows(Arrays.copyOf(rows, r), Arrays.copyOf(labels, r));
    }

    /** Rows [words, stages·H]: the hidden state of each row's token at each stage, stage-major. */
    static float[] gather(BertBackbone backbone, EncoderOutput out, int[] stages, int[] rowTokens) {
        int hidden = backbone.config().hiddenSize();
        int rowSize = stages.length * hidden;
        float[] data = new float[rowTokens.length * rowSize];
        for (int s = 0; s < stages.length; s++) {
            Tensor stage = stages[s] == backbone.config().numLayers() ? out.lastHidden() : out.layers().get(stages[s]);
            for (int r = 0; r < rowTokens.length; r++) {
                MemorySegment.copy(stage.segment(), ValueLayout.JAVA_FLOAT, (long) rowTokens[r] * hidden * Float.BYTES,
                        data, r * rowSize + s * hidden, hidden);
            }
        }
        return data;
    }

    /** {loss, word accuracy} of the tagger on the inference path, the adapter attached as hooks. */
    static double[] evaluateTagger(BertBackbone backbone, Adapter adapter, Layer head, int[] stages,
                                   List<List<String>> sentences, int[][] tags, SoftmaxCrossEntropy lossFn,
                                   TensorArena parent) {
        int classes = head.outputSize();
        boolean allStages = needsAllStages(backbone, stages);
        double lossSum = 0;
        double weightSum = 0;
        long correct = 0;
        long words = 0;
        try (TensorArena arena = parent.child("evaluate");
             Adapters attached = Adapters.attach(backbone.encoder(), List.of(adapter), arena)) {
            for (int from = 0; from < sentences.size(); from += EVALUATION_BATCH) {
                List<List<String>> part = sentences.subList(from, Math.min(sentences.size(), from + EVALUATION_BATCH));
                try (TensorArena batchArena = arena.child("batch")) {
                    EncodedBatch encoded = backbone.tokenizer().encodeWords(part, batchArena);
                    EncoderOutput out = backbone.encode(encoded.tokens(), batchArena, allStages, attached.hooks());
                    WordRows rows = wordRows(encoded, part, tags, from);
                    int[] rowTokens = rows.tokens();
                    float[] features = gather(backbone, out, stages, rowTokens);
                    float[] logits = new float[rowTokens.length * classes];
                    head.apply(features, rowTokens.length, logits);
                    int[] y = rows.labels();
                    LossResult loss = lossFn.compute(logits, rowTokens.length, y);
                    lossSum += loss.loss() * loss.weight();
                    weightSum += loss.weight();
                    for (int k = 0; k < y.length; k++) {
                        if (Softmax.argmax(logits, k * classes, classes) == y[k]) {
                            correct++;
                        }
                    }
                    words += y.length;
                }
            }
        }
        return new double[] {weightSum > 0 ? lossSum / weightSum : 0, words == 0 ? 0 : (double) correct / words};
    }

    /** Whether the stages read are more than the last one (so every stage's hidden states must be kept). */
    private static boolean needsAllStages(BertBackbone backbone, int[] stages) {
        return stages.length > 1 || stages[0] != backbone.config().numLayers();
    }

    /** Pooled rows [B, stages·H], stage-major, as {@code BackbonePass} builds them. */
    static float[] pool(BertBackbone backbone, EncoderOutput out, TokenBatch batch, Pooling pooling, int[] stages,
                        TensorArena arena) {
        int hidden = backbone.config().hiddenSize();
        int b = batch.batchSize();
        int rowSize = stages.length * hidden;
        float[] data = new float[b * rowSize];
        for (int s = 0; s < stages.length; s++) {
            Tensor stage = stages[s] == backbone.config().numLayers() ? out.lastHidden() : out.layers().get(stages[s]);
            Tensor pooled = pooling.apply(backbone.kernels(), stage, batch.attentionMask(), arena);
            for (int i = 0; i < b; i++) {
                MemorySegment.copy(pooled.segment(), ValueLayout.JAVA_FLOAT, (long) i * hidden * Float.BYTES, data,
                        i * rowSize + s * hidden, hidden);
            }
        }
        return data;
    }

    /** Adds the gradient of one pooled stage (columns [col, col + hidden) of each row of d) into dStage [B·T, H]. */
    static void poolBackward(Pooling pooling, TokenBatch batch, float[] d, int rowSize, int col, int hidden,
                             MemorySegment dStage) {
        int tokens = batch.tokens();
        Tensor mask = batch.attentionMask();
        for (int i = 0; i < batch.batchSize(); i++) {
            int count = 0;
            for (int t = 0; t < tokens; t++) {
                count += mask.getInt((long) i * tokens + t) != 0 ? 1 : 0;
            }
            for (int t = 0; t < tokens; t++) {
                float w;
                if (pooling == Pooling.CLS) {
                    w = t == 0 ? 1f : 0f;
                } else {
                    w = mask.getInt((long) i * tokens + t) != 0 && count > 0 ? 1f / count : 0f;
                }
                if (w == 0f) {
                    continue;
                }
                long base = ((long) i * tokens + t) * hidden;
                for (int j = 0; j < hidden; j++) {
                    dStage.setAtIndex(F32, base + j, dStage.getAtIndex(F32, base + j) + w * d[i * rowSize + col + j]);
                }
            }
        }
    }

    /** {loss, accuracy} on the inference path, the adapter attached as hooks. */
    static double[] evaluate(BertBackbone backbone, Adapter adapter, Layer head, Pooling pooling, int[] stages,
                             List<String> texts, int[] labels, SoftmaxCrossEntropy lossFn, TensorArena parent) {
        int classes = head.outputSize();
        boolean allStages = needsAllStages(backbone, stages);
        int[] order = IntStream.range(0, texts.size()).boxed()
                .sorted(Comparator.<Integer>comparingInt(i -> texts.get(i).length()).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
        double lossSum = 0;
        double weightSum = 0;
        long correct = 0;
        try (TensorArena arena = parent.child("evaluate");
             Adapters attached = Adapters.attach(backbone.encoder(), List.of(adapter), arena)) {
            for (int from = 0; from < order.length; from += EVALUATION_BATCH) {
                int rows = Math.min(EVALUATION_BATCH, order.length - from);
                List<String> part = new ArrayList<>(rows);
                int[] y = new int[rows];
                for (int r = 0; r < rows; r++) {
                    part.add(texts.get(order[from + r]));
                    y[r] = labels[order[from + r]];
                }
                try (TensorArena batchArena = arena.child("batch")) {
                    TokenBatch batch = backbone.tokenize(part, batchArena);
                    EncoderOutput out = backbone.encode(batch, batchArena, allStages, attached.hooks());
                    float[] features = pool(backbone, out, batch, pooling, stages, batchArena);
                    float[] logits = new float[rows * classes];
                    head.apply(features, rows, logits);
                    LossResult loss = lossFn.compute(logits, rows, y);
                    lossSum += loss.loss() * loss.weight();
                    weightSum += loss.weight();
                    for (int r = 0; r < rows; r++) {
                        if (Softmax.argmax(logits, r * classes, classes) == y[r]) {
                            correct++;
                        }
                    }
                }
            }
        }
        return new double[] {weightSum > 0 ? lossSum / weightSum : 0, (double) correct / texts.size()};
    }
}
