/**
 * Test-only helpers for the backbones module: {@link dev.graft.backbones.testing.OrtReference}, the ONNX Runtime
 * reference every Graft encoder is checked against, and {@link dev.graft.backbones.testing.ModelResources}, which
 * finds the embedded models' files and the shared data sets. May depend on anything on the test classpath.
 */
package dev.graft.backbones.testing;
