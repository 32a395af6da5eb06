/**
 * Runnable examples of Graft: the command line ({@link dev.graft.samples.cli}) that {@code samples/graft}
 * starts, and the JShell notebooks under {@code samples/notebooks}, which {@code samples/notebook} runs through
 * {@link dev.graft.samples.notebooks}. Depends on every other module.
 */
package dev.graft.samples;
