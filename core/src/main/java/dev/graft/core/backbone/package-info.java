/**
 * What every backbone takes and gives, independent of architecture: {@link dev.graft.core.backbone.TokenBatch}
 * in. Backbone implementations live in the {@code backbones} module.
 */
package dev.graft.core.backbone;
