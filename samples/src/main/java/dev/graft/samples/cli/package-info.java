/**
 * The {@code samples/graft} command line: {@link dev.graft.samples.cli.GraftCli} dispatches to one
 * {@link dev.graft.samples.cli.Command} per sub-command; {@link dev.graft.samples.cli.Options} parses
 * {@code --name value} options with clear errors.
 */
package dev.graft.samples.cli;
