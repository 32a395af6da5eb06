/**
 * Small task modules that attach to a frozen backbone. Today: task heads that read its output, one package per
 * head type ({@code classification}, {@code tagging}, {@code embedding}, {@code regression}) on the shared
 * contract in {@code head}; {@link dev.graft.adapters.HeadTypes} lists the built-in types. Around them:
 * {@code compose} (many heads, one backbone pass), {@code serving} (request batching in front of a
 * composed model), {@code guice}, {@code features} (the Arrow feature cache),
 * {@code nn} + {@code train} + {@code tasks} (training heads on frozen features), {@code data} + {@code metrics}.
 * Adapters inside the backbone, one package per type ({@code lora}, {@code bottleneck}, {@code ia3}) on the contract
 * in {@code adapter} (typed sites, attachment, the PEFT file layout); {@link dev.graft.adapters.AdapterTypes} lists
 * them. Depends on {@code core} and
 * {@code backbones}; no head-type package depends on another.
 */
package dev.graft.adapters;
