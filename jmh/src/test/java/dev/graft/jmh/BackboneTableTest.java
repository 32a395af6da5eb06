package dev.graft.jmh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class BackboneTableTest {
    private static final String HEADER = "\"Benchmark\",\"Mode\",\"Threads\",\"Samples\",\"Score\","
            + "\"Score Error (99.9%)\",\"Unit\",\"Param: impl\",\"Param: shape\",\"Param: threads\"";

    private static String row(String metric, double score, String impl, String shape, int threads) {
        return "\"dev.graft.jmh.BackboneBenchmark." + metric + "\",\"thrpt\",1,5," + score + ",1.5,\"ops/s\","
                + impl + "," + shape + "," + threads;
    }

    @Test
    void sentencesPerSecondAndRatioPerCaseBiggestBatchFirst() {
        String table = BackboneTable.table(List.of(HEADER,
                row("encode", 60, "graft", "1x16", 1),
                row("encode:sentences", 60, "graft", "1x16", 1),
                row("encode:sentences", 120, "ort", "1x16", 1),
                row("encode", 0.5, "graft", "32x128", 2),
                row("encode:sentences", 16, "graft", "32x128", 2),
                row("encode:sentences", 20, "ort", "32x128", 2)));

        assertThat(table.lines().toList()).containsExactly(
                "| batch × tokens | threads | Graft (sentences/s) | ORT (sentences/s) | Graft / ORT |",
                "|---|---:|---:|---:|---:|",
                "| 32 × 128 | 2 | 16.0 ± 1.5 | 20.0 ± 1.5 | 0.80× |",
                "| 1 × 16 | 1 | 60.0 ± 1.5 | 120 ± 1.5 | 0.50× |");
    }

    @Test
    void rejectsCsvWithoutTheBenchmarkParameters() {
        assertThatThrownBy(() -> BackboneTable.table(List.of("\"Benchmark\",\"Score\"")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a BackboneBenchmark CSV");
    }
}
