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
/// `mask[j·mask_stride]` is false become -inf; `bias[j·bias_stride]` is added to the others,
/// and so is the ALiBi term −slope·|query − j| (Press et al. 2022), `query` being the row's
/// position relative to entry 0. `mask` and `bias` may be NULL; a stride of 0 broadcasts one value.
void ak_mask_row(float *s, int n, int lo, int hi,
                 const bool *mask, long mask_stride, const float *bias, long bias_stride,
                 float alibi_slope, long query);

/// Soft-capping (Gemma 2): s ← cap · tanh(s / cap) for each entry of the [rows, cols] tile.
void ak_softcap_rows(float *s, int rows, int cols, long ld, float cap);

/// Hard attention on one row: replaces `s` by the one-hot of its first maximum
/// (all zeros if every entry is -inf). Returns that index, or -1.
int ak_hardmax_row(float *s, int n);

/// Additive (Bahdanau) scores for one query: scores[j] = Σ_k v[k] · tanh(q[k] + keys[j·ld + k]),
/// k < hidden, j < n_keys. `q` already holds s_i W_q + b.
void ak_additive_scores(const float *q, const float *keys, long ld, int n_keys, int hidden,
                        const float *v, float *scores);


/// The largest |x| of `x[0..<n]` as its IEEE bit pattern (sign cleared): bit patterns of
/// non-negative floats order as integers, and a result ≥ 0x7f800000 means some x is ±inf or NaN.
/// One vectorised pass both checks finiteness and bounds magnitudes.
unsigned ak_max_abs_bits(const float *x, long n);

/// In place on `x[0..<n]`: GELU in its exact form, x·Φ(x) = x/2·(1 + erf(x/√2)), as PyTorch's
/// default "gelu" (erf within 1.5e-7 absolute).
void ak_gelu(float *x, long n);

/// The instruction set whose kernels were chosen, for logs and benchmarks.
const char *ak_instruction_set(void);

/// The same as a level, for comparing with what BLAS uses.
enum { AK_LEVEL_BASELINE = 0, AK_LEVEL_X86_64_V3 = 1, AK_LEVEL_X86_64_V4 = 2 };
int ak_instruction_level(void);

/// The core OpenBLAS chose for itself when it loaded, if the engine replaced it by one that
/// uses the CPU's best instruction set (see blas_core.c); NULL when OpenBLAS's choice stands.
const char *ak_blas_core_replaced(void);

/// A spin-wait hint to the CPU (PAUSE on x86-64): for the worker pool's short spins.
void ak_cpu_relax(void);

/// Sets the calling thread's nice value (Linux: `setpriority(PRIO_PROCESS, gettid(), nice)`).
/// Returns 0, or the errno of the failure (EACCES when lowering it needs a privilege).
int ak_set_thread_nice(int nice);

/// The calling thread's nice value (0 where threads have none of their own).
int ak_thread_nice(void);

/// Has glibc's allocator keep freed blocks up to 64 MiB for reuse instead of unmapping them
/// (allocator.c says why); nothing on other C libraries. Returns whether glibc took the settings.
bool ak_allocator_keep_freed_blocks(void);

/// Gives the allocator's free pages back to the system (glibc's `malloc_trim(0)`).
void ak_allocator_trim(void);

#endif
