/**
 * Task recipes — what the command line and the notebooks call: train a head on a labelled data set through the
 * feature cache ({@link dev.graft.adapters.tasks.ClassificationTask}, {@link dev.graft.adapters.tasks.TaggingTask}),
 * save it with its training record and learning curve ({@link dev.graft.adapters.tasks.TrainedHead}), evaluate it
 * and run it over many inputs in length-sorted batches.
 */
package dev.graft.adapters.tasks;
