/** Test support for attention kernels: random cases and the scalar masked-dense reference. */
package dev.graft.attention.testing;
