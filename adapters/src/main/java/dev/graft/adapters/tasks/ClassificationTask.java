package dev.graft.adapters.tasks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.head.NetworkHead;
import dev.graft.adapters.train.AdapterTrainer;
import dev.graft.adapters.train.Splits;

import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.compose.Inputs;
import dev.graft.adapters.data.LabelSet;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.data.UnknownLabelException;
import dev.graft.adapters.features.FeatureFile;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.metrics.ClassificationMetrics;
import dev.graft.adapters.train.TrainingResult;
import dev.graft.adapters.train.TrainingSet;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.tensor.NonFiniteOutputException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/** Train, evaluate and run a sequence-classification head on labelled texts (banking77-style intent data). */
public final class ClassificationTask {
    private ClassificationTask() {
    }

    /**
     * Trains a classification head on frozen features of {@code backbone}. Labels are the sorted set of training
     * labels; a validation label outside it is an error naming its file and line.
     *
     * @param validation held-out examples for early stopping, or null to carve the options' fraction out of train
     */
    public static TrainedHead train(BertBackbone backbone, List<LabeledText> train, List<LabeledText> validation,
                                    TrainingOptions o) throws IOException {
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no training examples");
        }
        LabelSet labels = LabelSet.ofTexts(train);
        BackboneInfo info = BackboneInfo.of(backbone);
        ClassificationConfig config = new ClassificationConfig(labels.labels(), o.pooling(), o.layers(), o.hiddenSize(),
                o.activation(), o.dropout());
        Head head = new SequenceClassification().create(config, info, o.trainer().seed());
        FeatureKind kind = new FeatureKind.Pooled(o.pooling(), o.layers());
        int[] trainLabels = labels.indices(train);
        long t0 = System.nanoTime();
        try (FeatureFile trainFeatures = o.cache().features(backbone, texts(train), kind, o.extractionBatch(),
                HeadFitting.progress(o, "training"),
                i -> java.util.Objects.toString(train.get(i).source(), null))) {
            HeadFitting.logFeatures(o, "training", trainFeatures, t0);
            TrainingSet trainSet = trainFeatures.trainingSet(null, (input, word) -> trainLabels[input]);
            boolean cached = trainFeatures.fromCache();
            HeadFitting.Fitted fitted;
            int validationExamples;
            if (validation != null) {
                int[] validationLabels = labels.indices(validation);
                long t1 = System.nanoTime();
                try (FeatureFile vf = o.cache().features(backbone, texts(validation), kind, o.extractionBatch(),
                        HeadFitting.progress(o, "validation"),
                        i -> java.util.Objects.toString(validation.get(i).source(), null))) {
                    HeadFitting.logFeatures(o, "validation", vf, t1);
                    cached &= vf.fromCache();
                    fitted = HeadFitting.fit(head, trainSet, vf.trainingSet(null, (input, word) -> validationLabels[input]), o);
                }
                validationExamples = validation.size();
            } else {
                fitted = HeadFitting.fit(head, trainSet, null, o);
                validationExamples = Splits.stratified(trainLabels, o.trainer().validationFraction(), o.trainer().seed()).validation().length; // the trainer's own carve
            }
            return new TrainedHead(head, fitted.result(), HeadFitting.record("classification", head, fitted, o, train.size(),
                    train.size(), validationExamples, cached, backbone.maxLength()), cached);
        }
    }

    /**
     * Trains {@code adapter} and a fresh classification head jointly through the frozen {@code backbone}
     * ({@link AdapterTrainer}); the head's structure (pooling, layers, hidden width) comes from {@code o}, the
     * schedule from {@code a}. Without {@code validation}, a stratified share ({@code o.trainer().validationFraction()})
     * of train is held out with the options' seed — hyperparameters are chosen on it, never on a test set.
     */
    public static TrainedAdapter trainWithAdapter(BertBackbone backbone, Adapter adapter, List<LabeledText> train,
                                                  List<LabeledText> validation, TrainingOptions o,
                                                  AdapterTrainer.Config a) {
        return trainWithAdapter(backbone, adapter, null, train, validation, o, a);
    }

    /**
     * As {@link #trainWithAdapter(BertBackbone, Adapter, List, List, TrainingOptions, AdapterTrainer.Config)}, but
     * starting from {@code initialHead} (a classification head trained on the frozen backbone, whose labels must be
     * the training set's) instead of a fresh one: "linear probing, then fine-tuning" (Kumar et al., 2022), which keeps
     * a random head's large early gradients from disturbing the adapter. The head's structure then comes from it,
     * not from {@code o}; {@code initialHead} itself is not modified.
     *
     * @throws IllegalArgumentException when the head is not a classification head over the training labels
     */
    public static TrainedAdapter trainWithAdapter(BertBackbone backbone, Adapter adapter, Head initialHead,
                                                  List<LabeledText> train, List<LabeledText> validation,
                                                  TrainingOptions o, AdapterTrainer.Config a) {
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no training examples");
        }
        LabelSet labels = LabelSet.ofTexts(train);
        BackboneInfo info = BackboneInfo.of(backbone);
        NetworkHead head;
        if (initialHead == null) {
            ClassificationConfig config = new ClassificationConfig(labels.labels(), o.pooling(), o.layers(),
                    o.hiddenSize(), o.activation(), o.dropout());
            head = (NetworkHead) new SequenceClassification().create(config, info, o.trainer().seed());
        } else {
            if (!(initialHead.config() instanceof ClassificationConfig c) || !(initialHead instanceof NetworkHead n)) {
                throw new IllegalArgumentException("the initial head is a " + initialHead.type()
                        + " head, not a classification head");
            }
            if (!c.labels().equals(labels.labels())) {
                throw new IllegalArgumentException("the initial head's " + c.labels().size() + " labels are not the"
                        + " training set's " + labels.labels().size());
            }
            head = (NetworkHead) new SequenceClassification().create(c, info, o.trainer().seed());
            List<dev.graft.adapters.nn.Parameter> from = n.network().parameters();
            List<dev.graft.adapters.nn.Parameter> to = head.network().parameters();
            for (int i = 0; i < from.size(); i++) {
                to.get(i).load(from.get(i).values());
            }
            o = o.withPooling(c.pooling()).withLayers(c.layers());
        }
        List<LabeledText> fit = train;
        List<LabeledText> held = validation;
        if (held == null && o.trainer().validationFraction() > 0) {
            Splits.Split split = Splits.stratified(labels.indices(train), o.trainer().validationFraction(),
                    o.trainer().seed());
            fit = IntStream.of(split.train()).mapToObj(train::get).toList();
            held = IntStream.of(split.validation()).mapToObj(train::get).toList();
        }
        int[] stages = o.layers().stages(info.numLayers());
        TrainingResult result = new AdapterTrainer().trainClassifier(backbone, adapter, head.network(), o.pooling(),
                stages, texts(fit).texts(), labels.indices(fit), held == null ? null : texts(held).texts(),
                held == null ? null : labels.indices(held), a, o.listener());
        ObjectNode record = HeadFitting.record("classification", head, result, o, train.size(), fit.size(),
                held == null ? 0 : held.size(), false, backbone.maxLength());
        record.set("adapter_trainer", Json.mapper().valueToTree(a));
        record.put("adapter_parameters", adapter.parameterCount());
        record.put("backbone_parameters", backbone.encoder().weights().parameterCount());
        return new TrainedAdapter(new TrainedHead(head, result, record, false), adapter);
    }

    /** Accuracy, macro-F1 and the per-class figures of {@code headName} on labelled {@code test} texts. */
    public static ClassificationMetrics evaluate(ComposedModel model, String headName, List<LabeledText> test, int batchSize) {
        HeadOutput.Classification out = predict(model, headName, test.stream().map(LabeledText::text).toList(), batchSize);
        List<String> labels = out.labels();
        int[] gold = new int[test.size()];
        int[] predicted = new int[test.size()];
        for (int i = 0; i < test.size(); i++) {
            LabeledText t = test.get(i);
            gold[i] = labels.indexOf(t.label());
            if (gold[i] < 0) {
                throw new UnknownLabelException(t.label(), t.source() == null ? "test example " + i : t.source().toString(), labels);
            }
            predicted[i] = out.labelIndex(i);
        }
        return ClassificationMetrics.of(gold, predicted, labels.size());
    }

    /**
     * Runs one head over many texts in batches (texts sorted by length so batches pad little), results in input
     * order.
     */
    public static HeadOutput.Classification predict(ComposedModel model, String headName, List<String> texts, int batchSize) {
        List<String> labels = null;
        float[][] probabilities = new float[texts.size()][];
        for (int[] batch : batches(texts, batchSize)) {
            List<String> part = IntStream.of(batch).mapToObj(texts::get).toList();
            HeadOutput.Classification c;
            try {
                c = model.predict(part, headName).classification(headName);
            } catch (NonFiniteOutputException e) { // name the text by its index among the caller's
                throw e.atInput(batch[e.input()]);
            }
            labels = c.labels();
            for (int i = 0; i < batch.length; i++) {
                probabilities[batch[i]] = c.probabilities(i);
            }
        }
        return new HeadOutput.Classification(labels, probabilities);
    }

    static Inputs.Texts texts(List<LabeledText> examples) {
        return new Inputs.Texts(examples.stream().map(LabeledText::text).toList());
    }

    /** Index batches of at most {@code size}, over inputs sorted by length (ties by index). */
    static List<int[]> batches(List<String> texts, int size) {
        int[] order = IntStream.range(0, texts.size()).boxed()
                .sorted(Comparator.<Integer>comparingInt(i -> texts.get(i).length()).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < order.length; i += size) {
            out.add(java.util.Arrays.copyOfRange(order, i, Math.min(order.length, i + size)));
        }
        return out;
    }
}
