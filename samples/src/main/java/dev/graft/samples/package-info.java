/**
 * Runnable examples of Graft: the command line ({@link dev.graft.samples.cli}) that {@code samples/graft}
 * starts, and the JShell notebooks under {@code samples/notebooks}. Depends on every other module.
 */
package dev.graft.samples;
