/**
 * Guice wiring: {@link dev.graft.adapters.guice.GraftModule} binds the kernels, the backbone registry, the head
 * types (a multibinder a user's module adds to) and named composed models a service injects.
 */
package dev.graft.adapters.guice;
