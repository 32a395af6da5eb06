package com.example;

import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.backbone.Pooling;
import java.util.List;

public class Main {
    public static void main(String[] args) throws Exception {
        try (BertBackbone bert = Backbones.builder("all-minilm-l6-v2").optThreads(2).build()) {
            float[][] e = bert.embed(List.of("A man is playing a guitar.", "Someone plays an instrument."),
                    Pooling.MEAN, /* normalize */ true);
            double cosine = 0;
            for (int i = 0; i < e[0].length; i++) {
                cosine += e[0][i] * e[1][i];
            }
            System.out.printf("%d dimensions, cosine similarity %.2f%n", e[0].length, cosine);
        }
    }
}
