package dev.graft.attention.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.attention.AttentionKernel;
import dev.graft.attention.blocksparse.BlockSparseAttention;
import dev.graft.attention.dense.DenseAttention;
import dev.graft.attention.spec.AttentionPattern.BlockSparse;
import dev.graft.attention.spec.AttentionPattern.Dense;
import dev.graft.attention.spec.AttentionPattern.TopK;
import dev.graft.attention.spec.AttentionPattern.Window;
import dev.graft.attention.spec.AttentionSpec.Entry;
import dev.graft.attention.spec.AttentionSpec.Layers;
import dev.graft.attention.testing.Impls;
import dev.graft.attention.topk.TopKAttention;
import dev.graft.attention.window.WindowAttention;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The spec syntax: what it reads, its canonical text, and a clear error (with position) for every invalid spec. */
class AttentionSpecTest {

    @Test
    void readsTheDocumentedExamples() {
        AttentionSpec s = AttentionSpec.parse("0-2:window(8,global=cls),3-5:dense");
        assertThat(s.entries()).containsExactly(
                new Entry(new Layers(0, 2), new Window(8, 1, List.of(0))),
                new Entry(new Layers(3, 5), new Dense()));
        assertThat(s.perLayer(6)).containsExactly(new Window(8, 1, List.of(0)), new Window(8, 1, List.of(0)),
                new Window(8, 1, List.of(0)), new Dense(), new Dense(), new Dense());

        assertThat(AttentionSpec.parse("all:topk(8)").perLayer(3)).containsOnly(new TopK(8)).hasSize(3);
        assertThat(AttentionSpec.parse("all:blocksparse(64,window=3,global=2,random=3,seed=7)").patternFor(5))
                .isEqualTo(new BlockSparse(64, 3, 2, 3, 7));
        assertThat(AttentionSpec.parse("all:window(256,global=0..15)").patternFor(0))
                .isEqualTo(new Window(256, 1, java.util.stream.IntStream.range(0, 16).boxed().toList()));
    }

    @Test
    void defaultsWhitespaceCaseAndUncoveredLayers() {
        AttentionSpec s = AttentionSpec.parse("  1 : Window( 4 , dilation = 2 , global = cls|7|9..10 ) , 3:BLOCKSPARSE ");
        assertThat(s.perLayer(5)).containsExactly(new Dense(), new Window(4, 2, List.of(0, 7, 9, 10)), new Dense(),
                new BlockSparse(64, 3, 2, 3, 0), new Dense());
        assertThat(s.toString()).isEqualTo("1:window(4,dilation=2,global=0|7|9..10),3:blocksparse(64,window=3,global=2,random=3,seed=0)");
        assertThat(AttentionSpec.parse("all:dense()")).isEqualTo(AttentionSpec.dense());
        assertThat(AttentionSpec.parse("all:blocksparse(window=5)").patternFor(0)).isEqualTo(new BlockSparse(64, 5, 2, 3, 0));
        assertThat(AttentionSpec.parse("0:topk(k=3)").patternFor(0)).isEqualTo(new TopK(3));
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "0-2:window(8,global=cls),3-5:dense",
            "all:topk(8)",
            "all:window(8)",
            "0:dense,1-4:window(16,dilation=3,global=0..3|100)",
            "all:blocksparse(32,window=1,global=0,random=5,seed=-9)",
            "5-5:topk(1),0-1:window(1,global=cls)"})
    void canonicalTextReadsBackToAnEqualSpec(String text) {
        AttentionSpec s = AttentionSpec.parse(text);
        assertThat(AttentionSpec.parse(s.toString())).isEqualTo(s);
        assertThat(s.toString().replace("5-5", "5")).isEqualTo(text.replace("5-5", "5"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = ';', value = {
            // spec; position; message part
            "0-2:window(0);11;window width must be >= 1, was 0",
            "0-2:window(-3);11;window width must be >= 1, was -3",
            "all:window(8,dilation=0);22;window dilation must be >= 1, was 0",
            "all:topk(0);9;topk k must be >= 1, was 0",
            "all:topk(k=-1);11;topk k must be >= 1",
            "all:topk();4;topk k is required",
            "all:window;4;window width is required",
            "0-2:window(8),2-4:dense;14;layers 2-4 overlap layers 0-2",
            "all:dense,3:topk(4);10;layers 3 overlap layers all",
            "0-2:windw(8);4;unknown pattern 'windw'; known: dense, window, blocksparse, topk",
            "0-2:window(8,dilaton=2);13;unknown argument 'dilaton' of window",
            "0-2:window(8,2);13;argument 2 of window needs a name",
            "0-2:window(8,width=4);13;argument 'width' of window is given twice",
            "0-2:dense(3);10;dense takes no arguments",
            "0-2 window(8);4;expected ':' between the layer range and its pattern, found 'w'",
            "0-2:window(8;12;unclosed '(' opened at position 10",
            "0-2:window(8,;13;unclosed '(' opened at position 10",
            "0-2:window(8 9);13;expected ',' or ')', found '9'",
            "0-2:window(x);11;window width must be a whole number, was 'x'",
            "3-1:dense;0;layer range 3-1 is reversed",
            "x:dense;0;expected a layer number or 'all', found 'x'",
            "0-2:dense 3-5:dense;10;expected ',' before the next 'layers:pattern' entry",
            "0-2:dense,;10;expected a layer number or 'all'",
            "0-2:;4;expected a pattern name",
            "all:window(8,global=cls|x);24;global tokens are 'cls', positions and ranges",
            "all:window(8,global=9..3);20;global range 9..3 is reversed",
            "all:window(8,global=99999999);20;global token position must be in [0, 1048576)",
            "all:blocksparse(64,random=-1);26;blocksparse random must be >= 0",
            "all:blocksparse(0);16;blocksparse block size must be >= 1",
            "'   ';3;the spec is empty"})
    void invalidSpecsFailNamingThePosition(String spec, int position, String message) {
        String text = spec.startsWith("'") ? spec.substring(1, spec.length() - 1) : spec;
        assertThatThrownBy(() -> AttentionSpec.parse(text))
                .isInstanceOfSatisfying(AttentionSpecException.class, e -> assertThat(e.position()).isEqualTo(position))
                .hasMessageContaining(message)
                .hasMessageContaining("position " + position);
    }

    @Test
    void aLayerRangeOutsideTheModelFailsWhenTheSpecMeetsIt() {
        AttentionSpec s = AttentionSpec.parse("0-2:window(8),4-7:dense");
        assertThat(s.perLayer(8)).hasSize(8);
        assertThatThrownBy(() -> s.perLayer(6))
                .isInstanceOf(AttentionSpecException.class)
                .hasMessageContaining("position 14")
                .hasMessageContaining("layer range 4-7 is outside the model's 6 layers (0-5)");
        assertThatThrownBy(() -> AttentionSpec.all(new TopK(2)).perLayer(0)).hasMessageContaining("at least one layer");
        assertThat(AttentionSpec.parse("all:topk(2)").perLayer(1)).containsExactly(new TopK(2));
    }

    @Test
    void specsBuiltInCodeAreCheckedToo() {
        assertThatThrownBy(() -> AttentionSpec.of(List.of(new Entry(new Layers(0, 3), new Dense()),
                new Entry(Layers.of(3), new TopK(1))))).isInstanceOf(AttentionSpecException.class)
                .hasMessageContaining("layers 3 overlap layers 0-3");
        assertThatThrownBy(() -> new Window(0)).hasMessageContaining("window width must be >= 1, was 0");
        assertThatThrownBy(() -> new Window(4, 1, List.of(3, -1))).hasMessageContaining("positions must be >= 0");
        assertThatThrownBy(() -> new Layers(3, 1)).hasMessageContaining("0 <= first <= last");
        assertThat(new Window(4, 1, List.of(5, 0, 5)).globalTokens()).containsExactly(0, 5);
    }

    @Test
    void kernelsFollowTheSpecAndEqualPatternsShareOne() {
        List<AttentionKernel> k = AttentionSpec.parse("0-1:window(8,global=cls),2:topk(4),3:blocksparse(16)")
                .kernels(Impls.VECTOR, 5);
        assertThat(k).hasSize(5);
        assertThat(k.get(0)).isInstanceOf(WindowAttention.class).isSameAs(k.get(1));
        assertThat(k.get(0).name()).isEqualTo("window(8,global=0)");
        assertThat(k.get(2)).isInstanceOf(TopKAttention.class);
        assertThat(k.get(3)).isInstanceOf(BlockSparseAttention.class);
        assertThat(k.get(4)).isInstanceOf(DenseAttention.class);
    }
}
