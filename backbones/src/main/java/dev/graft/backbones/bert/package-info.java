/**
 * The BERT encoder: {@link dev.graft.backbones.bert.BertConfig}, its weights
 * ({@link dev.graft.backbones.bert.BertWeights}, shapes stated once), and the forward pass.
 */
package dev.graft.backbones.bert;
