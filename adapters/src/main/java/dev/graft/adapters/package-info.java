/**
 * Small task modules that attach to a frozen backbone. Today: task heads that read its output, one package per
 * head type ({@code classification}, {@code tagging}, {@code embedding}, {@code regression}) on the shared
 * contract in {@code head}; {@link dev.graft.adapters.HeadTypes} lists the built-in types. Around them:
 * {@code compose} (many heads, one backbone pass), {@code guice}, {@code features} (the Arrow feature cache),
 * {@code nn} + {@code train} + {@code tasks} (training heads on frozen features), {@code data} + {@code metrics}.
 * Adapters inside the backbone (LoRA, bottleneck, (IA)³) will be packages here too. Depends on {@code core} and
 * {@code backbones}; no head-type package depends on another.
 */
package dev.graft.adapters;
