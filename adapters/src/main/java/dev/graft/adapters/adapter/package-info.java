/**
 * The contract every adapter type implements ({@link dev.graft.adapters.adapter.Adapter},
 * {@link dev.graft.adapters.adapter.AdapterType}), attaching adapters to a frozen encoder's typed sites with shape
 * checks ({@link dev.graft.adapters.adapter.Adapters}), and the Hugging Face PEFT file layout
 * ({@link dev.graft.adapters.adapter.PeftIO}: {@code adapter_config.json} + {@code adapter_model.safetensors}).
 * Depends on {@code core}, {@code backbones} (its sites), {@code nn} (parameters) and {@code head} (JSON mapper,
 * atomic directories); never on an adapter-type package.
 */
package dev.graft.adapters.adapter;
