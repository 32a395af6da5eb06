package dev.graft.samples.cli;

import java.util.List;

/** The list of commands, in the order {@code --help} shows them. */
final class Commands {
    private Commands() {
    }

    static List<Command> all() {
        return List.of(new SimilarityCommand(), new EmbedCommand(), new StsCommand(), new TrainHeadCommand(), new EvalCommand(),
                new PredictCommand(), new ComposeCommand(), new MergeCommand(), new BenchCommand(), new TensorsCommand());
    }
}
