/**
 * The small differentiable building blocks task heads are made of — linear and MLP layers, the learned
 * softmax-weighted mix of a backbone's layers, activations, dropout — with their backward passes, the losses,
 * the AdamW optimiser, and full-batch L-BFGS ({@link dev.graft.adapters.nn.Lbfgs}, strong-Wolfe line search) for
 * objectives solved to convergence. Everything is plain Java over {@code float[]} on the heap: a head has thousands of
 * parameters, not billions, and the frozen backbone's features are what it reads.
 * {@link dev.graft.adapters.nn.ParameterBudget} bounds what rebuilding a saved head or adapter from its config may
 * allocate by what its weights file holds. Depends on nothing but the JDK.
 */
package dev.graft.adapters.nn;
