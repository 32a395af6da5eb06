/**
 * (IA)³ (Liu et al. 2022): learned per-channel scaling of the keys, the values and the feed-forward's intermediate
 * activation, initialised to 1 so a fresh adapter changes nothing; PEFT's {@code IA3} file format (keys and values
 * scale the output of {@code key}/{@code value}; the intermediate activation is the input of the feed-forward module
 * {@code output.dense}); merging folds the scalings into copies of the key/value/output weights. Depends on the {@code adapter} contract, {@code nn}, {@code core} and {@code backbones}.
 */
package dev.graft.adapters.ia3;
