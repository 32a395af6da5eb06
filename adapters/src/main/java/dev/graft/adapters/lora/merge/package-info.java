/**
 * Weighted merges of LoRA adapters with PEFT's {@code add_weighted_adapter} semantics: {@code linear}, {@code cat},
 * {@code svd}, {@code ties}, {@code ties_svd}, {@code dare_linear}, {@code dare_ties}, {@code magnitude_prune} and the
 * {@code dare_linear_svd}, {@code dare_ties_svd}, {@code magnitude_prune_svd} variants ({@link
 * dev.graft.adapters.lora.merge.MergeMethod}), defined as PEFT's {@code utils/merge_utils.py} defines them and computed
 * in double. The result is a new {@link dev.graft.adapters.lora.Lora} (saved in the PEFT layout with
 * {@link dev.graft.adapters.adapter.PeftIO}) or a copy of the backbone's weights with it folded in, written as a
 * Hugging Face model directory ({@link dev.graft.adapters.lora.merge.LoraMerge#fold}). Depends on the {@code lora}
 * package, the {@code adapter} contract and {@code backbones}.
 */
package dev.graft.adapters.lora.merge;
