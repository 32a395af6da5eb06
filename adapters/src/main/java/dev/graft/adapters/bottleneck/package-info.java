/**
 * Bottleneck adapters (Houlsby et al. 2019; Pfeiffer et al. 2021): {@code h + up(act(down(h)))} on a block's output
 * h, before the block's residual and LayerNorm — after the attention block and after the feed-forward (Houlsby), or
 * after the feed-forward only (Pfeiffer). Up-projection initialised to zero so a fresh adapter changes nothing.
 *
 * <p>File format: PEFT has no bottleneck type, so Graft writes its own in PEFT's layout — {@code adapter_config.json}
 * with {@code "peft_type": "GRAFT_BOTTLENECK"}, {@code placement} ("houlsby" | "pfeiffer"), {@code reduction_factor},
 * {@code non_linearity} ("relu" | "gelu" | "tanh"), {@code residual}, {@code base_model_name_or_path}; and
 * {@code adapter_model.safetensors} with {@code base_model.model.encoder.layer.N.attention.output.adapter.down.weight}
 * {@code [m, H]}, {@code ….down.bias} {@code [m]}, {@code ….up.weight} {@code [H, m]}, {@code ….up.bias} {@code [H]}
 * (and {@code ….layer.N.output.adapter.…} after the feed-forward), m = H / reduction_factor. Depends on the
 * {@code adapter} contract, {@code nn}, {@code core} and {@code backbones}.
 */
package dev.graft.adapters.bottleneck;
