/**
 * Training task heads on frozen backbone features: {@link dev.graft.adapters.train.Trainer} (AdamW mini-batches,
 * seeded shuffles, validation each epoch, early stopping that restores the best epoch), its
 * {@link dev.graft.adapters.train.TrainerConfig}, results and listeners ({@link dev.graft.adapters.train.ProgressBar}),
 * deterministic stratified {@link dev.graft.adapters.train.Splits}, the {@link dev.graft.adapters.train.TrainingSet}
 * contract with an in-memory implementation, and {@link dev.graft.adapters.train.LearningCurve} plots. Depends on
 * {@code dev.graft.adapters.nn}, the backbones' {@code eval.Spearman} (Pearson's r for regression validation) and the
 * JDK ({@code java.desktop} for the headless PNG) only.
 */
package dev.graft.adapters.train;
