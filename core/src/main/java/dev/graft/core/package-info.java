/**
 * Graft core: everything the other modules stand on.
 *
 * <ul>
 *   <li>{@link dev.graft.core.tensor} — tensors as immutable views over Arrow memory, arenas that own them,
 *       Arrow columns and IPC files of the {@code arrow.fixed_shape_tensor} extension type;</li>
 *   <li>{@link dev.graft.core.kernels} — the {@code Kernels} interface and its scalar reference;
 *       {@link dev.graft.core.kernels.vector} the Vector API implementation (the only package that
 *       imports {@code jdk.incubator.vector});</li>
 *   <li>{@link dev.graft.core.parallel} — the sized compute pool kernels run on;</li>
 *   <li>{@link dev.graft.core.io} — safetensors files, read memory-mapped and written atomically;</li>
 *   <li>{@link dev.graft.core.backbone} — what every backbone takes and gives (token batches, pooling).</li>
 * </ul>
 *
 * <p>{@link dev.graft.core.JvmFlags} names the JVM flags Graft needs and checks them before the first Arrow
 * allocation; {@link dev.graft.core.Graft} reports the build and platform (provenance).
 *
 * <p>Depends on Arrow Java and Jackson only. Nothing in core depends on the other Graft modules.
 */
package dev.graft.core;
