package dev.graft.backbones.bert;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.attention.spec.AttentionSpec;
import dev.graft.backbones.huggingface.HfTestModels;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteHook;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.TensorArena;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** The encoder's hook points: each hook is called once per forward at its site, with the site's dimensions. */
class AdaptedLayerTest {

    @Test
    void everyHookIsCalledOnceAtItsSiteWithItsShape() {
        try (TensorArena arena = TensorArena.root("adapted-layer"); Kernels kernels = Kernels.create(1)) {
            BertWeights w = HfTestModels.randomWeights(arena, HfTestModels.TINY, true, 3);
            BertEncoder enc = new BertEncoder(w, kernels, AttentionSpec.dense().kernels(kernels, 2), arena.child("p"));
            int[] ids = {2, 3, 4, 5, 6, 7};
            int[] ones = {1, 1, 1, 1, 1, 0};
            TokenBatch batch = new TokenBatch(arena.copyOf(ids, 2, 3), arena.copyOf(ones, 2, 3),
                    arena.copyOf(new int[6], 2, 3), new int[] {3, 2});
            Map<Site, String> calls = new ConcurrentHashMap<>();
            Map<Site, SiteHook> hooks = new HashMap<>();
            for (SiteShape s : enc.sites()) {
                Site site = s.site();
                hooks.put(site, switch (site.kind().role()) {
                    case PROJECTION -> (SiteHook.Projection) (k, rows, x, xOff, ldx, y, yOff, ldy, scratch) ->
                            calls.merge(site, rows + "x" + ldx + "->" + ldy, (a, b) -> a + "," + b);
                    case RESIDUAL -> (SiteHook.Residual) (k, rows, h, hOff, ldh, out, outOff, ldOut, scratch) ->
                            calls.merge(site, rows + "x" + ldh, (a, b) -> a + "," + b);
                    case SCALE -> (SiteHook.Scale) (rows, y, off, ld) -> calls.merge(site, rows + "@" + off,
                            (a, b) -> a + "," + b);
                });
            }
            float[] plain;
            try (TensorArena out = arena.child("out")) {
                plain = enc.encode(batch, out).lastHidden().toFloatArray();
            }
            try (TensorArena out = arena.child("out")) {
                // hooks that add nothing and scale nothing leave the output as it is
                assertThat(enc.encode(batch, out, false, SiteHooks.of(hooks)).lastHidden().toFloatArray())
                        .containsExactly(plain);
            }
            assertThat(calls).hasSize(enc.sites().size());
            // projections: the delta is added twice where the block output is also needed by a residual hook
            assertThat(calls.get(new Site(0, SiteKind.QUERY))).isEqualTo("6x16->48");
            assertThat(calls.get(new Site(1, SiteKind.INTERMEDIATE))).isEqualTo("6x16->32");
            assertThat(calls.get(new Site(1, SiteKind.OUTPUT))).isEqualTo("6x32->16,6x32->16");
            assertThat(calls.get(new Site(0, SiteKind.AFTER_FFN))).isEqualTo("6x16");
            assertThat(calls.get(new Site(0, SiteKind.VALUE_SCALE))).isEqualTo("6@32");
            assertThat(calls.get(new Site(1, SiteKind.INTERMEDIATE_SCALE))).isEqualTo("6@0");
            assertThat(List.of(enc.sites().getFirst().site())).containsExactly(new Site(0, SiteKind.QUERY));
        }
    }

}
