/**
 * Training task modules. On frozen backbone features: {@link dev.graft.adapters.train.LbfgsTrainer} (a linear head's
 * convex problem solved with full-batch L-BFGS, the L2 strength chosen on validation, a final fit on training +
 * validation), {@link dev.graft.adapters.train.Trainer} (AdamW mini-batches, seeded shuffles, validation each epoch,
 * early stopping that restores the best epoch), its
 * {@link dev.graft.adapters.train.TrainerConfig}, results and listeners ({@link dev.graft.adapters.train.ProgressBar}),
 * deterministic stratified {@link dev.graft.adapters.train.Splits}, the {@link dev.graft.adapters.train.TrainingSet}
 * contract with an in-memory implementation, and {@link dev.graft.adapters.train.LearningCurve} plots. Through the
 * frozen backbone: {@link dev.graft.adapters.train.AdapterTrainer} trains an adapter and a head jointly (the
 * backbone's {@code EncoderTape} forward/backward, the adapter's training hooks, batches grouped by length, a
 * {@link dev.graft.adapters.train.LearningRateSchedule} with warm-up, global gradient clipping). Depends on
 * {@code dev.graft.adapters.nn}, {@code dev.graft.adapters.adapter}, the backbones (encoder, tokenizer,
 * {@code eval.Spearman}) and the JDK ({@code java.desktop} for the headless PNG).
 */
package dev.graft.adapters.train;
