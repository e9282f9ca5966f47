#ifndef ATTENTION_KERNELS_H
#define ATTENTION_KERNELS_H
// Row kernels of the attention engine. Each is compiled for AVX-512, AVX2+FMA and
// baseline x86-64, and the loader picks the best the CPU has (see kernels.c).
#include <stdbool.h>

/// In place, per row of `x` ([rows, cols], leading dimension `ld`): softmax with the
/// row maximum subtracted. A row whose entries are all -inf becomes all zeros.
void ak_softmax_rows(float *x, int rows, int cols, long ld);

/// One step of the online softmax (Milakov & Gimelshein 2018; FlashAttention, Dao et al. 2022):
/// for each row r of the score tile `s`, with running maximum `row_max[r]` and running sum
/// `row_sum[r]`: m' = max(m, max_j s_rj); s_rj ← exp(s_rj − m'); `correction[r]` = exp(m − m');
/// l ← l·correction + Σ_j s_rj; m ← m'. A row still wholly masked (m' = −inf) gets zeros and
/// correction 1.
void ak_online_softmax_rows(float *s, int rows, int cols, long ld,
                            float *row_max, float *row_sum, float *correction);

/// x[r, :] *= factors[r] for each row.
void ak_scale_rows(float *x, int rows, int cols, long ld, const float *factors);

/// Applies the visibility of one row of scores: entries outside [lo, hi) or where
/// `mask[j·mask_stride]` is false become -inf; `bias[j·bias_stride]` is added to the others.
/// `mask` and `bias` may be NULL; a stride of 0 broadcasts one value.
void ak_mask_row(float *s, int n, int lo, int hi,
                 const bool *mask, long mask_stride, const float *bias, long bias_stride);

/// Hard attention on one row: replaces `s` by the one-hot of its first maximum
/// (all zeros if every entry is -inf). Returns that index, or -1.
int ak_hardmax_row(float *s, int n);

/// Additive (Bahdanau) scores for one query: scores[j] = Σ_k v[k] · tanh(q[k] + keys[j·ld + k]),
/// k < hidden, j < n_keys. `q` already holds s_i W_q + b.
void ak_additive_scores(const float *q, const float *keys, long ld, int n_keys, int hidden,
                        const float *v, float *scores);


/// The instruction set whose kernels were chosen, for logs and benchmarks.
const char *ak_instruction_set(void);

#endif
