// Chooses, once at load time, the copy of each row kernel compiled for the best
// instruction set the CPU supports (GNU indirect functions): one portable binary.
#include "attention_kernels.h"

// Each variant's signature is the public one with a suffix.
#define DECLARE_VARIANTS(ret, name, params) \
    ret name##_x86_64_v4 params; ret name##_x86_64_v3 params; ret name##_baseline params;
#define KERNELS(X) \
    X(void, ak_softmax_rows, (float *x, int rows, int cols, long ld)) \
    X(void, ak_online_softmax_rows, (float *s, int rows, int cols, long ld, float *row_max, float *row_sum, float *correction)) \
    X(void, ak_scale_rows, (float *x, int rows, int cols, long ld, const float *factors)) \
    X(void, ak_mask_row, (float *s, int n, int lo, int hi, const bool *mask, long mask_stride, const float *bias, long bias_stride, float alibi_slope, long query)) \
    X(void, ak_softcap_rows, (float *s, int rows, int cols, long ld, float cap)) \
    X(int, ak_hardmax_row, (float *s, int n)) \
    X(unsigned, ak_max_abs_bits, (const float *x, long n)) \
    X(void, ak_gelu, (float *x, long n)) \
    X(void, ak_additive_scores, (const float *q, const float *keys, long ld, int n_keys, int hidden, const float *v, float *scores))

KERNELS(DECLARE_VARIANTS)

#if defined(__x86_64__)
// Resolvers run while the dynamic loader relocates the program, before a sanitizer's
// runtime is set up: instrumented, they would touch shadow memory that does not exist
// yet and crash every `swift test --sanitize=address` (or thread) at load. This attribute
// removes all instrumentation; `no_sanitize("thread")` would keep TSan's function-entry hook.
#define NOT_INSTRUMENTED __attribute__((disable_sanitizer_instrumentation))

NOT_INSTRUMENTED static int best_instruction_set(void) {
    __builtin_cpu_init();  // resolvers may run before constructors
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")) return AK_LEVEL_X86_64_V4;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return AK_LEVEL_X86_64_V3;
    return AK_LEVEL_BASELINE;
}

#define DEFINE_RESOLVED(ret, name, params) \
    NOT_INSTRUMENTED static void *resolve_##name(void) { \
        switch (best_instruction_set()) { \
        case AK_LEVEL_X86_64_V4: return (void *)name##_x86_64_v4; \
        case AK_LEVEL_X86_64_V3: return (void *)name##_x86_64_v3; \
        default: return (void *)name##_baseline; \
        } \
    } \
    ret name params __attribute__((ifunc("resolve_" #name)));
KERNELS(DEFINE_RESOLVED)

int ak_instruction_level(void) { return best_instruction_set(); }

const char *ak_instruction_set(void) {
    switch (best_instruction_set()) {
    case AK_LEVEL_X86_64_V4: return "x86-64-v4 (AVX-512)";
    case AK_LEVEL_X86_64_V3: return "x86-64-v3 (AVX2, FMA)";
    default: return "x86-64 baseline (SSE2)";
    }
}
#else
// Other architectures: the portable copy, through the same public names.
void ak_softmax_rows(float *x, int rows, int cols, long ld) { ak_softmax_rows_baseline(x, rows, cols, ld); }
void ak_online_softmax_rows(float *s, int rows, int cols, long ld, float *m, float *l, float *c) { ak_online_softmax_rows_baseline(s, rows, cols, ld, m, l, c); }
void ak_scale_rows(float *x, int rows, int cols, long ld, const float *f) { ak_scale_rows_baseline(x, rows, cols, ld, f); }
void ak_mask_row(float *s, int n, int lo, int hi, const bool *m, long ms, const float *b, long bs, float a, long q) { ak_mask_row_baseline(s, n, lo, hi, m, ms, b, bs, a, q); }
void ak_softcap_rows(float *s, int rows, int cols, long ld, float cap) { ak_softcap_rows_baseline(s, rows, cols, ld, cap); }
int ak_hardmax_row(float *s, int n) { return ak_hardmax_row_baseline(s, n); }
void ak_additive_scores(const float *q, const float *k, long ld, int n, int h, const float *v, float *o) { ak_additive_scores_baseline(q, k, ld, n, h, v, o); }
unsigned ak_max_abs_bits(const float *x, long n) { return ak_max_abs_bits_baseline(x, n); }
void ak_gelu(float *x, long n) { ak_gelu_baseline(x, n); }
int ak_instruction_level(void) { return AK_LEVEL_BASELINE; }
const char *ak_instruction_set(void) { return "portable"; }
#endif
