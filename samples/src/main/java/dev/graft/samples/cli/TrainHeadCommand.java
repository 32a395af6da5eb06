package dev.graft.samples.cli;

import static dev.graft.adapters.train.ProgressText.count;

import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.tasks.TrainedAdapter;

import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.data.TaggedSentence;
import dev.graft.adapters.features.FeatureCache;
import dev.graft.adapters.head.LayerSelection;
import dev.graft.adapters.tasks.ClassificationTask;
import dev.graft.adapters.tasks.HeadOptimizer;
import dev.graft.adapters.tasks.TaggingTask;
import dev.graft.adapters.tasks.TrainedHead;
import dev.graft.adapters.tasks.TrainingOptions;
import dev.graft.adapters.train.LbfgsTrainer;
import dev.graft.adapters.train.ProgressBar;
import dev.graft.adapters.train.TrainerConfig;
import dev.graft.backbones.bert.BertBackbone;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code train-head}: train a classification or tagging head on frozen backbone features and save it. */
final class TrainHeadCommand implements GraftCli.FlagCommand {

    @Override
    public String name() {
        return "train-head";
    }

    @Override
    public String summary() {
        return "train a classification or tagging head on a frozen backbone (features cached as Arrow files)";
    }

    @Override
    public Set<String> flags() {
        return Set.of("balanced", OutputTargets.OVERWRITE);
    }

    @Override
    public String usage() {
        return """
                usage: samples/graft train-head [--model NAME|DIR] --task classification|tagging --train FILE
                                                [--validation FILE] [--format csv|conllu] [--text-column NAME]
                                                [--label-column NAME] [--layers last|mix|N] [--epochs N] [--seed S]
                                                [--optimizer lbfgs|adamw] [--l2 X] --output DIR [--overwrite]

                Extracts the backbone's features for the data once (cached under --cache-dir; a second run on the
                same data and model reads them back), trains the head and saves head_config.json, head.safetensors and
                learning-curve.png into DIR. A linear head (no --hidden, --dropout or --layers mix) is trained by
                default with full-batch L-BFGS to convergence: the L2 strength is chosen on a validation set
                (--validation, or a seeded share of --train), then the head is fitted on training and validation
                examples together, so the result does not depend on --seed beyond that split. Other heads train with
                AdamW and early stopping on the validation set. DIR must be new or empty, or hold a head saved earlier
                and --overwrite be given: then only the files Graft saved there are replaced, every other file in DIR
                stays. This is checked before training starts; a new DIR appears only when complete.

                options:
                """ + BackboneOptions.USAGE + "\n" + DataOptions.USAGE + """

                  --task T             classification (one label per text, CSV) or tagging (a tag per word, CoNLL-U)
                  --layers L           last (default), mix (a learned mix of all layers) or a layer number
                  --hidden N           hidden width of an MLP head (default 0: linear)
                  --dropout P          dropout while training (default 0)
                  --optimizer O        lbfgs (default for a linear head) or adamw (default otherwise)
                  --l2 X               with lbfgs: use this L2 strength instead of choosing one of 1e-2, 3e-3, …, 1e-6
                                       on validation
                  --max-iterations N   with lbfgs: most iterations per fit (default 500)
                  --epochs N           AdamW: most epochs (default 100; early stopping usually ends sooner)
                  --patience N         epochs without improvement before stopping (default 6)
                  --plateau N          halve the learning rate after N epochs without improvement (default 2; 0: never)
                  --batch-size N       examples per step (default 32)
                  --lr X               AdamW learning rate (default 1e-3)
                  --weight-decay X     AdamW weight decay (default 0.01)
                  --validation-fraction X  share of --train held out when there is no --validation (default 0.1)
                  --balanced           weight classes by inverse frequency
                  --seed S             seed for initialisation, shuffling and splits (default 42)
                  --cache-dir DIR      feature cache (default ~/.cache/graft/features)
                  --output DIR         where the head is saved
                  --overwrite          replace the head saved in DIR (only Graft's files; the rest of DIR stays)

                adapters (trained jointly with the head through the frozen backbone; saved beside the head in
                Hugging Face PEFT's layout, adapter_config.json + adapter_model.safetensors):
                  --adapter T          lora, houlsby, pfeiffer or ia3 (default: none, the head alone)
                  --lora-rank N        LoRA rank r (default 8)
                  --lora-alpha X       LoRA alpha; the update is scaled by alpha/r (default 16)
                  --lora-dropout P     dropout on LoRA's input while training (default 0.1)
                  --lora-targets L     comma-separated: query,key,value,attention-output,intermediate,output
                                       (default query,value)
                  --reduction-factor N bottleneck width = hidden / N (default 16)
                  --adapter-activation A  bottleneck non-linearity: relu, gelu or tanh (default relu)
                  --lr X               with --adapter: the adapter's peak learning rate (default 1e-3)
                  --head-lr X          with --adapter: the head's peak learning rate (default 3e-3)
                  --warmup X           share of the steps spent warming the learning rate up (default 0.06),
                                       then linear decay to 0
                  --clip X             clip the global gradient norm to X (default 1; 0: off)
                  --backbone-dropout P BERT's hidden and attention dropout inside the adapted layers (default 0.1)
                  --init-head DIR      start from this saved classification head (trained on the frozen backbone
                                       over the same labels) instead of a fresh one: linear probing, then
                                       fine-tuning
                  (--epochs defaults to 8 and --patience to 3 with --adapter)""";
    }

    @Override
    public int run(Options o, PrintStream out, PrintStream err) throws Exception {
        BackboneOptions bo = BackboneOptions.read(o);
        String task = o.require("task").toLowerCase(Locale.ROOT);
        if (!task.equals("classification") && !task.equals("tagging")) {
            throw new UsageException("--task must be classification or tagging, got '" + task + "'");
        }
        Path trainFile = Path.of(o.require("train"));
        String validationArg = o.get("validation", null);
        DataOptions data = DataOptions.read(o);
        LayerSelection layers;
        try {
            layers = LayerSelection.parse(o.get("layers", "last"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--layers: " + e.getMessage());
        }
        int hidden = o.getInt("hidden", 0, 0, 1 << 16);
        double dropout = o.getDouble("dropout", 0, 0, 0.99);
        TrainerConfig defaults = TrainerConfig.defaults();
        TrainerConfig tc = defaults
                .withEpochs(o.getInt("epochs", defaults.epochs(), 1, 1_000_000))
                .withPatience(o.getInt("patience", defaults.patience(), 1, 1_000_000))
                .withPlateauEpochs(o.getInt("plateau", defaults.plateauEpochs(), 0, 1_000_000))
                .withBatchSize(o.getInt("batch-size", defaults.batchSize(), 1, 1 << 20))
                .withLearningRate(o.getDouble("lr", defaults.learningRate(), 1e-9, 10))
                .withWeightDecay(o.getDouble("weight-decay", defaults.weightDecay(), 0, 10))
                .withValidationFraction(o.getDouble("validation-fraction", defaults.validationFraction(), 0, 0.9))
                .withSeed(o.getLong("seed", defaults.seed(), Long.MIN_VALUE, Long.MAX_VALUE))
                .withClassWeighting(o.flag("balanced") ? TrainerConfig.ClassWeighting.BALANCED : TrainerConfig.ClassWeighting.NONE);
        HeadChoice optimizer = HeadChoice.read(o, hidden, dropout, layers);
        String cacheDir = o.get("cache-dir", null);
        Path output = Path.of(o.require("output"));
        boolean overwrite = o.flag(OutputTargets.OVERWRITE);
        AdapterChoice adapter = AdapterChoice.read(o, tc.seed());
        String initHead = o.get("init-head", null);
        if (initHead != null && (adapter == null || !task.equals("classification"))) {
            throw new UsageException("--init-head needs --adapter and --task classification");
        }
        if (adapter != null && optimizer.optimizer() == HeadOptimizer.LBFGS) {
            throw new UsageException("--optimizer lbfgs and --l2 train a head alone; --adapter trains with AdamW");
        }
        o.rejectUnknown();
        OutputTargets.checkHeadDirectory(output, overwrite); // before the long run, not after it

        FeatureCache cache = cacheDir != null ? new FeatureCache(Path.of(cacheDir)) : FeatureCache.defaultCache();
        TrainingOptions options = TrainingOptions.defaults()
                .withLayers(layers).withPooling(bo.pooling()).withHidden(hidden, "gelu").withDropout((float) dropout)
                .withTrainer(tc).withCache(cache).withLog(err)
                .withListener(NoValidation.warning(new ProgressBar(err), err, task, validationArg, tc.validationFraction()))
                .withOptimizer(optimizer.optimizer()).withLbfgs(optimizer.lbfgs().withThreads(bo.threads()));
        long t0 = System.nanoTime();
        if (adapter != null) {
            return trainWithAdapter(bo, data, task, trainFile, validationArg, options, adapter, initHead, output, err,
                    t0);
        }
        TrainedHead trained;
        try (BertBackbone backbone = bo.open()) {
            if (task.equals("classification")) {
                List<LabeledText> train = data.texts(trainFile);
                List<LabeledText> validation = validationArg == null ? null : data.texts(Path.of(validationArg));
                err.printf(Locale.ROOT, "training a classification head on %s (%s) with %s%n", count(train.size(), "text", "texts"), trainFile, bo.model());
                trained = ClassificationTask.train(backbone, train, validation, options);
            } else {
                List<TaggedSentence> train = data.sentences(trainFile);
                List<TaggedSentence> validation = validationArg == null ? null : data.sentences(Path.of(validationArg));
                err.printf(Locale.ROOT, "training a tagging head on %s (%s) with %s%n", count(train.size(), "sentence", "sentences"), trainFile, bo.model());
                trained = TaggingTask.train(backbone, train, validation, options);
            }
        }
        trained.record().put("train_file", trainFile.toString());
        if (validationArg != null) {
            trained.record().put("validation_file", validationArg);
        }
        NoValidation.warnIfLbfgsHadNoValidation(trained, err, task, validationArg, tc.validationFraction());
        NoValidation.record(trained);
        trained.save(output);
        err.printf(Locale.ROOT, "saved %s head (%,d parameters, %s) to %s in %.1f s%n", trained.head().type(),
                trained.head().parameterCount(), HeadChoice.describe(trained), output, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** {@code --optimizer}, {@code --l2}, {@code --max-iterations}: how a head alone is trained. */
    record HeadChoice(HeadOptimizer optimizer, LbfgsTrainer.Config lbfgs) {
        static HeadChoice read(Options o, int hidden, double dropout, LayerSelection layers) {
            String name = o.get("optimizer", null);
            HeadOptimizer optimizer = name == null ? HeadOptimizer.AUTO : switch (name.toLowerCase(Locale.ROOT)) {
                case "lbfgs", "l-bfgs" -> HeadOptimizer.LBFGS;
                case "adamw" -> HeadOptimizer.ADAMW;
                default -> throw new UsageException("--optimizer must be lbfgs or adamw, got '" + name + "'");
            };
            LbfgsTrainer.Config lbfgs = LbfgsTrainer.Config.defaults();
            String l2 = o.get("l2", null);
            if (l2 != null) {
                if (optimizer == HeadOptimizer.ADAMW) {
                    throw new UsageException("--l2 is the L-BFGS penalty; AdamW uses --weight-decay");
                }
                lbfgs = lbfgs.withFixedL2(o.getDouble("l2", 0, 0, 1e3));
                optimizer = HeadOptimizer.LBFGS;
            }
            lbfgs = lbfgs.withMaxIterations(o.getInt("max-iterations", lbfgs.maxIterations(), 1, 1_000_000));
            if (optimizer == HeadOptimizer.LBFGS && (hidden > 0 || dropout > 0)) {
                throw new UsageException("--optimizer lbfgs trains a linear head (optionally over --layers mix), not one"
                        + " with --hidden or --dropout; use --optimizer adamw");
            }
            return new HeadChoice(optimizer, lbfgs);
        }

        static String describe(TrainedHead trained) {
            if (trained.record().get("lbfgs") instanceof com.fasterxml.jackson.databind.JsonNode n) {
                return String.format(Locale.ROOT, "l-bfgs, L2 %s chosen by %s, %d iterations, |gradient| %.1e, %s",
                        n.get("chosen_l2").asDouble(), n.get("chosen_by").asText(), n.get("final").get("iterations").asInt(),
                        n.get("final").get("gradient_norm").asDouble(), NoValidation.validated(trained.result())
                                ? String.format(Locale.ROOT, "validation %s %.4f", trained.result().metricName(),
                                trained.result().bestMetric()) : "no validation");
            }
            return "adamw, " + NoValidation.describe(trained.result());
        }
    }

    private static int trainWithAdapter(BackboneOptions bo, DataOptions data, String task, Path trainFile,
                                        String validationArg, TrainingOptions options, AdapterChoice choice,
                                        String initHead, Path output, PrintStream err, long t0) throws Exception {
        TrainedAdapter trained;
        try (BertBackbone backbone = bo.open()) {
            Adapter adapter = choice.create(backbone.encoder().sites());
            long backboneParams = backbone.encoder().weights().parameterCount();
            String what = String.format(Locale.ROOT, "%s (%,d parameters, %.3f %% of the backbone's %,d)", adapter.describe(),
                    adapter.parameterCount(), 100.0 * adapter.parameterCount() / backboneParams, backboneParams);
            if (task.equals("classification")) {
                List<LabeledText> train = data.texts(trainFile);
                List<LabeledText> validation = validationArg == null ? null : data.texts(Path.of(validationArg));
                err.printf(Locale.ROOT, "training %s and a classification head on %s (%s) through %s%n", what, count(train.size(), "text", "texts"),
                        trainFile, bo.model());
                Head start = null;
                if (initHead != null) {
                    start = HeadIO.load(Path.of(initHead), HeadTypes.registry(), BackboneInfo.of(backbone)).head();
                    err.printf(Locale.ROOT, "starting from head %s (%s)%n", initHead, start.type());
                }
                trained = ClassificationTask.trainWithAdapter(backbone, adapter, start, train, validation, options,
                        choice.trainer());
            } else {
                List<TaggedSentence> train = data.sentences(trainFile);
                List<TaggedSentence> validation = validationArg == null ? null : data.sentences(Path.of(validationArg));
                err.printf(Locale.ROOT, "training %s and a tagging head on %s (%s) through %s%n", what, count(train.size(), "sentence", "sentences"),
                        trainFile, bo.model());
                trained = TaggingTask.trainWithAdapter(backbone, adapter, train, validation, options, choice.trainer());
            }
        }
        trained.trained().record().put("train_file", trainFile.toString());
        if (validationArg != null) {
            trained.trained().record().put("validation_file", validationArg);
        }
        NoValidation.record(trained.trained());
        trained.save(output);
        TrainedHead h = trained.trained();
        err.printf(Locale.ROOT, "saved %s with a %s head (%,d + %,d parameters, %s) to %s in %.1f s%n",
                trained.adapter().describe(), h.head().type(), trained.adapter().parameterCount(),
                h.head().parameterCount(), NoValidation.describe(h.result()), output, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
