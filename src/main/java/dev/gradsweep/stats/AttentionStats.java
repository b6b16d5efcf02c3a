package dev.gradsweep.stats;

/**
 * One attention head of one transformer block at one training step, reduced over the minibatch's sequences and
 * queries in double (a row of the attention table, docs/schema.md#attention). For query i of a sequence the head's
 * weights are p_ij = softmax_j(s_ij) over the keys j it may see (all, or j ≤ i under a causal mask), with the logits
 * s_ij = q_i·k_j / √d_h.
 *
 * @param layer        the block, 0 nearest the input (as the params and layers rows of its arrays)
 * @param head         the head, 0 … heads − 1
 * @param entropyMean  mean over every query of every sequence of H_i = −Σ_j p_ij ln p_ij (nats; 0: each query attends
 *                     to one key, ln(keys seen): uniform)
 * @param entropyMin   per sequence the smallest H_i over its queries, averaged over the batch's sequences
 * @param maxLogit     the largest s_ij over the batch, queries and the keys they may see (after the 1/√d_h scale,
 *                     before the softmax)
 * @param tokenCosMean the block's mean pairwise cosine similarity between its token representations: for each
 *                     sequence the mean of cos(x_i, x_j) over pairs i ≠ j of the block's output rows (the residual
 *                     stream leaving it, before any final norm), averaged over the sequences; 1 is rank collapse (Noci et al. 2022). The
 *                     same value on every head row of the block; NaN (stored as null) for seq_len 1, which has no pairs.
 *                     The other values are stored as measured, NaN and ±Inf included (a diverged run)
 */
public record AttentionStats(
        int layer, int head, double entropyMean, double entropyMin, double maxLogit, double tokenCosMean) {}
