/**
 * LoRA (Hu et al. 2021): a rank-r update {@code (alpha/r)·B·A} beside any of a layer's Linear projections (query,
 * key, value, attention output, intermediate, output), B initialised to zero so a fresh adapter changes nothing;
 * merging into copies of the frozen weights; PEFT's {@code LORA} file format. Depends on the {@code adapter}
 * contract, {@code nn}, {@code core} and {@code backbones}; on no other adapter type.
 */
package dev.graft.adapters.lora;
