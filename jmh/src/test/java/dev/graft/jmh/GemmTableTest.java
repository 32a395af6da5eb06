package dev.graft.jmh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class GemmTableTest {
    private static final List<String> CSV = List.of(
            "\"Benchmark\",\"Mode\",\"Threads\",\"Samples\",\"Score\",\"Score Error (99.9%)\",\"Unit\","
                    + "\"Param: impl\",\"Param: layout\",\"Param: shape\",\"Param: threads\"",
            "\"dev.graft.jmh.GemmBenchmark.gemm\",\"avgt\",1,5,20.000000,1.500000,\"ms/op\",graft-vector,kn,"
                    + "1024x1024x1024,1",
            "\"dev.graft.jmh.GemmBenchmark.gemm:calls\",\"avgt\",1,5,100.000000,NaN,\"#\",graft-vector,kn,"
                    + "1024x1024x1024,1",
            "\"dev.graft.jmh.GemmBenchmark.gemm:cpuNanos\",\"avgt\",1,5,2000000000.000000,NaN,\"#\",graft-vector,kn,"
                    + "1024x1024x1024,1",
            "\"dev.graft.jmh.GemmScalarBenchmark.gemm\",\"ss\",1,3,1000.000000,NaN,\"ms/op\",kn,4096x384x384");

    @Test
    void joinsTheCountersWithTheirScoreAndComputesGflops() {
        List<GemmTable.Row> rows = GemmTable.parse(CSV.subList(0, 4));
        assertThat(rows).hasSize(1);
        GemmTable.Row r = rows.getFirst();
        assertThat(r.impl).isEqualTo("graft-vector");
        assertThat(r.ms).isEqualTo(20.0);
        assertThat(r.errorMs).isEqualTo(1.5);
        // 2·1024³ flops in 20 ms; 100 calls in 2 s of CPU.
        assertThat(r.gflops()).isCloseTo(107.37, within(0.01));
        assertThat(r.cpuGflops()).isCloseTo(107.37, within(0.01));
    }

    @Test
    void theScalarBenchmarkHasNoThreadOrImplParameter() {
        List<String> csv = List.of(
                "\"Benchmark\",\"Mode\",\"Threads\",\"Samples\",\"Score\",\"Score Error (99.9%)\",\"Unit\","
                        + "\"Param: layout\",\"Param: shape\"",
                "\"dev.graft.jmh.GemmScalarBenchmark.gemm\",\"ss\",1,3,1000.000000,NaN,\"ms/op\",kn,4096x384x384");
        GemmTable.Row r = GemmTable.parse(csv).getFirst();
        assertThat(r.impl).isEqualTo("graft-scalar");
        assertThat(r.threads).isEqualTo(1);
        assertThat(r.errorMs).isNaN();
    }

    @Test
    void shapesParseAndRejectNonsense() {
        assertThat(GemmShape.parse("4096x384x1536")).isEqualTo(new GemmShape(4096, 384, 1536));
        assertThat(new GemmShape(2, 3, 4).flops()).isEqualTo(48.0);
        assertThatThrownBy(() -> GemmShape.parse("4096x384")).hasMessageContaining("MxNxK");
        assertThatThrownBy(() -> new GemmShape(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
