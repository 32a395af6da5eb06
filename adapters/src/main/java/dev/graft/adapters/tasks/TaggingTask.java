package dev.graft.adapters.tasks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.head.NetworkHead;
import dev.graft.adapters.train.AdapterTrainer;
import dev.graft.adapters.compose.Inputs;
import dev.graft.adapters.data.LabelSet;
import dev.graft.adapters.data.TaggedSentence;
import dev.graft.adapters.data.UnknownLabelException;
import dev.graft.adapters.features.FeatureFile;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.metrics.TaggingMetrics;
import dev.graft.adapters.tagging.TaggingConfig;
import dev.graft.adapters.tagging.TokenClassification;
import dev.graft.adapters.train.Splits;
import dev.graft.adapters.train.TrainingResult;
import dev.graft.adapters.train.TrainingSet;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.tensor.NonFiniteOutputException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Train, evaluate and run a token-classification head on sentences of tagged words (CoNLL-U part-of-speech data,
 * BIO entity data). Each word is one training row, read from its first sub-token.
 */
public final class TaggingTask {
    private TaggingTask() {
    }

    /**
     * Trains a tagging head on frozen features of {@code backbone}. Without a validation set, whole sentences (the
     * options' fraction, seeded) are held out, so no sentence is on both sides.
     */
    public static TrainedHead train(BertBackbone backbone, List<TaggedSentence> train, List<TaggedSentence> validation,
                                    TrainingOptions o) throws IOException {
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no training sentences");
        }
        LabelSet tags = LabelSet.ofTags(train);
        BackboneInfo info = BackboneInfo.of(backbone);
        TaggingConfig config = new TaggingConfig(tags.labels(), o.layers(), o.hiddenSize(), o.activation(), o.dropout());
        Head head = new TokenClassification().create(config, info, o.trainer().seed());
        FeatureKind kind = new FeatureKind.WordTokens(o.layers());
        int[][] trainTags = tags.tagIndices(train);
        long t0 = System.nanoTime();
        try (FeatureFile trainFeatures = o.cache().features(backbone, words(train), kind, o.extractionBatch(),
                HeadFitting.progress(o, "training"),
                i -> java.util.Objects.toString(train.get(i).source(), null))) {
            HeadFitting.logFeatures(o, "training", trainFeatures, t0);
            boolean cached = trainFeatures.fromCache();
            HeadFitting.Fitted fitted;
            int validationSentences;
            if (validation != null) {
                int[][] validationTags = tags.tagIndices(validation);
                long t1 = System.nanoTime();
                try (FeatureFile vf = o.cache().features(backbone, words(validation), kind, o.extractionBatch(),
                        HeadFitting.progress(o, "validation"),
                        i -> java.util.Objects.toString(validation.get(i).source(), null))) {
                    HeadFitting.logFeatures(o, "validation", vf, t1);
                    cached &= vf.fromCache();
                    fitted = HeadFitting.fit(head, trainFeatures.trainingSet(null, (s, w) -> trainTags[s][w]),
                            vf.trainingSet(null, (s, w) -> validationTags[s][w]), o);
                }
                validationSentences = validation.size();
            } else if (o.trainer().validationFraction() > 0) {
                Splits.Split split = Splits.random(train.size(), o.trainer().validationFraction(), o.trainer().seed());
                boolean[] inTrain = new boolean[train.size()];
                boolean[] inValidation = new boolean[train.size()];
                for (int s : split.train()) {
                    inTrain[s] = true;
                }
                for (int s : split.validation()) {
                    inValidation[s] = true;
                }
                TrainingSet t = trainFeatures.trainingSet(inTrain, (s, w) -> trainTags[s][w]);
                TrainingSet v = trainFeatures.trainingSet(inValidation, (s, w) -> trainTags[s][w]);
                fitted = HeadFitting.fit(head, t, v, o);
                validationSentences = split.validation().length;
            } else {
                fitted = HeadFitting.fit(head, trainFeatures.trainingSet(null, (s, w) -> trainTags[s][w]), null, o);
                validationSentences = 0;
            }
            return new TrainedHead(head, fitted.result(), HeadFitting.record("tagging", head, fitted, o, train.size(),
                    trainFeatures.rows(), validationSentences, cached, backbone.maxLength()), cached);
        }
    }

    /**
     * Trains {@code adapter} and a fresh tagging head jointly through the frozen {@code backbone}
     * ({@link AdapterTrainer#trainTagger}); the head's structure comes from {@code o}, the schedule from {@code a}.
     * Without {@code validation}, whole sentences (the options' fraction, seeded) are held out.
     */
    public static TrainedAdapter trainWithAdapter(BertBackbone backbone, Adapter adapter, List<TaggedSentence> train,
                                                  List<TaggedSentence> validation, TrainingOptions o,
                                                  AdapterTrainer.Config a) {
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no training sentences");
        }
        LabelSet tags = LabelSet.ofTags(train);
        BackboneInfo info = BackboneInfo.of(backbone);
        TaggingConfig config = new TaggingConfig(tags.labels(), o.layers(), o.hiddenSize(), o.activation(), o.dropout());
        NetworkHead head = (NetworkHead) new TokenClassification().create(config, info, o.trainer().seed());
        List<TaggedSentence> fit = train;
        List<TaggedSentence> held = validation;
        if (held == null && o.trainer().validationFraction() > 0) {
            Splits.Split split = Splits.random(train.size(), o.trainer().validationFraction(), o.trainer().seed());
            fit = IntStream.of(split.train()).mapToObj(train::get).toList();
            held = IntStream.of(split.validation()).mapToObj(train::get).toList();
        }
        TrainingResult result = new AdapterTrainer().trainTagger(backbone, adapter, head.network(),
                o.layers().stages(info.numLayers()), fit.stream().map(TaggedSentence::words).toList(),
                tags.tagIndices(fit), held == null ? null : held.stream().map(TaggedSentence::words).toList(),
                held == null ? null : tags.tagIndices(held), a, o.listener());
        int words = fit.stream().mapToInt(t -> t.words().size()).sum();
        ObjectNode record = HeadFitting.record("tagging", head, result, o, train.size(), words,
                held == null ? 0 : held.size(), false, backbone.maxLength());
        record.set("adapter_trainer", Json.mapper().valueToTree(a));
        record.put("adapter_parameters", adapter.parameterCount());
        record.put("backbone_parameters", backbone.encoder().weights().parameterCount());
        return new TrainedAdapter(new TrainedHead(head, result, record, false), adapter);
    }

    /** Word-level accuracy (and entity-level F1 for BIO tags) of {@code headName} on tagged {@code test} sentences. */
    public static TaggingMetrics evaluate(ComposedModel model, String headName, List<TaggedSentence> test, int batchSize) {
        HeadOutput.Tagging out = predict(model, headName, test.stream().map(TaggedSentence::words).toList(), batchSize);
        List<String> known = ((TaggingConfig) model.head(headName).config()).labels();
        List<List<String>> gold = new ArrayList<>(test.size());
        for (int i = 0; i < test.size(); i++) {
            TaggedSentence s = test.get(i);
            for (String tag : s.tags()) {
                if (!known.contains(tag)) {
                    throw new UnknownLabelException(tag, s.source() == null ? "test sentence " + i : s.source().toString(), known);
                }
            }
            gold.add(s.tags());
        }
        return TaggingMetrics.of(gold, out.tags());
    }

    /** Runs one tagging head over many sentences in batches (sorted by length), results in input order. */
    public static HeadOutput.Tagging predict(ComposedModel model, String headName, List<List<String>> sentences, int batchSize) {
        int n = sentences.size();
        List<List<String>> tags = new ArrayList<>(java.util.Collections.nCopies(n, null));
        List<float[]> scores = new ArrayList<>(java.util.Collections.nCopies(n, null));
        List<List<HeadOutput.Span>> spans = new ArrayList<>(java.util.Collections.nCopies(n, null));
        List<String> joined = sentences.stream().map(s -> String.join(" ", s)).toList();
        for (int[] batch : ClassificationTask.batches(joined, batchSize)) {
            List<List<String>> part = IntStream.of(batch).mapToObj(sentences::get).toList();
            HeadOutput.Tagging t;
            try {
                t = model.predict(new Inputs.Words(part), List.of(headName)).tagging(headName);
            } catch (NonFiniteOutputException e) { // name the sentence by its index among the caller's
                throw e.atInput(batch[e.input()]);
            }
            for (int i = 0; i < batch.length; i++) {
                tags.set(batch[i], t.tags().get(i));
                scores.set(batch[i], t.scores().get(i));
                spans.set(batch[i], t.spans().get(i));
            }
        }
        return new HeadOutput.Tagging(sentences, tags, scores, spans);
    }

    static Inputs.Words words(List<TaggedSentence> sentences) {
        return new Inputs.Words(sentences.stream().map(TaggedSentence::words).toList());
    }
}
