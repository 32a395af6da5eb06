/**
 * Running the JShell notebooks of {@code samples/notebooks}: {@link dev.graft.samples.notebooks.NotebookRunner} is
 * what {@code samples/notebook FILE} starts — the real {@code jshell} tool, reading the notebook line by line as
 * {@code jshell FILE} does, with an exit status that says whether any snippet failed.
 */
package dev.graft.samples.notebooks;
