/**
 * Test helpers shared by Graft's test suites (published in core's test-jar): seeded random data, error
 * measures and exact reference math for kernel tests. Depends on {@code dev.graft.core.tensor} only.
 */
package dev.graft.core.testing;
