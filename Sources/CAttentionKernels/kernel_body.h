// The row kernels, written once for a vector of LANES floats. Included by one .c file
// per instruction set, each of which defines LANES, KERNEL(name) and a target pragma;
// dispatch.c picks the best compiled copy for the running CPU.
#include "attention_kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define INLINE static inline __attribute__((always_inline))

typedef float vf __attribute__((ext_vector_type(LANES)));
typedef int vi __attribute__((ext_vector_type(LANES)));


INLINE vf vload(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
INLINE void vstore(float *p, vf v) { memcpy(p, &v, sizeof v); }
INLINE vf splat(float x) { return (vf)x; }
// Lane-wise selects, not __builtin_elementwise_max/min: those keep IEEE maxNum's NaN rule, which
// costs a compare and a blend beside every max. Scores are never NaN (inputs are checked finite),
// and `a > b ? a : b` is exactly one MAXPS/MINPS.
INLINE vf vmax(vf a, vf b) { return a > b ? a : b; }
INLINE vf vmin(vf a, vf b) { return a < b ? a : b; }

// Horizontal max and sum by folding halves: log2(LANES) dependent steps, where a scalar
// chain (the loop, or __builtin_reduce_max, which keeps NaN order) takes LANES − 1. They run
// once per row of every score tile, so on narrow tiles their latency is a real cost.
typedef float vf2 __attribute__((ext_vector_type(2)));
typedef float vf4 __attribute__((ext_vector_type(4)));
typedef float vf8 __attribute__((ext_vector_type(8)));
typedef float vf16 __attribute__((ext_vector_type(16)));
INLINE float max2(vf2 v) { return v.x > v.y ? v.x : v.y; }
INLINE float max4(vf4 v) { return max2(v.lo > v.hi ? v.lo : v.hi); }
INLINE float max8(vf8 v) { return max4(v.lo > v.hi ? v.lo : v.hi); }
INLINE float max16(vf16 v) { return max8(v.lo > v.hi ? v.lo : v.hi); }
INLINE float sum2(vf2 v) { return v.x + v.y; }
INLINE float sum4(vf4 v) { return sum2(v.lo + v.hi); }
INLINE float sum8(vf8 v) { return sum4(v.lo + v.hi); }
INLINE float sum16(vf16 v) { return sum8(v.lo + v.hi); }
#define CONCAT(a, b) CONCAT_(a, b)
#define CONCAT_(a, b) a##b
INLINE float hmax(vf v) { return CONCAT(max, LANES)(v); }
INLINE float hsum(vf v) { return CONCAT(sum, LANES)(v); }

// exp(x) = 2^n · exp(r), n = round(x / ln 2), |r| ≤ ln2 / 2, exp(r) by the Cephes
// minimax polynomial (relative error about 1e-7). Inputs below −87.3 (including −inf)
// give exactly 0, so masked scores get exactly zero weight.
INLINE vf vexp(vf x) {
    vi underflow = x < splat(-87.3f);
    x = vmin(vmax(x, splat(-87.3f)), splat(88.3f));
    vf n = __builtin_elementwise_floor(x * 1.44269504088896341f + 0.5f);
    vf r = x - n * 0.693359375f + n * 2.12194440e-4f;
    vf p = splat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    vi bits = (__builtin_convertvector(n, vi) + 127) << 23;
    vf result = p * (vf)bits;
    return (vf)((vi)result & ~underflow);
}

// tanh(x): an odd Taylor polynomial near 0 (where (e−1)/(e+1) would cancel), and
// (e^{2x} − 1)/(e^{2x} + 1) elsewhere; |x| ≥ 9 is ±1 to float precision.
INLINE vf vtanh(vf x) {
    vf ax = __builtin_elementwise_abs(x);
    vf x2 = x * x;
    vf small = x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315
                 + x2 * (62.0f / 2835 + x2 * (-1382.0f / 155925))))));
    vf e = vexp(2.0f * vmin(vmax(x, splat(-9.0f)), splat(9.0f)));
    vf large = (e - 1.0f) / (e + 1.0f);
    vi use_small = ax < splat(0.55f);
    return use_small ? small : large;
}

// Loads up to LANES floats, padding with `fill`.
INLINE vf load_partial(const float *p, int count, float fill) {
    float buffer[LANES];
    for (int i = 0; i < LANES; i++) buffer[i] = i < count ? p[i] : fill;
    return vload(buffer);
}

INLINE void store_partial(float *p, int count, vf v) {
    float buffer[LANES];
    vstore(buffer, v);
    for (int i = 0; i < count; i++) p[i] = buffer[i];
}

INLINE float row_max(const float *x, int n) {
    vf m = splat(-INFINITY);
    int j = 0;
    for (; j + LANES <= n; j += LANES) m = vmax(m, vload(x + j));
    if (j < n) m = vmax(m, load_partial(x + j, n - j, -INFINITY));
    return hmax(m);
}

// x ← exp(x − shift) in place; returns the sum of the new values.
INLINE float exp_shifted_sum(float *x, int n, float shift) {
    vf sum = splat(0);
    int j = 0;
    for (; j + LANES <= n; j += LANES) {
        vf e = vexp(vload(x + j) - shift);
        vstore(x + j, e);
        sum += e;
    }
    if (j < n) {
        vf e = vexp(load_partial(x + j, n - j, -INFINITY) - shift);
        store_partial(x + j, n - j, e);
        sum += e;
    }
    return hsum(sum);
}

INLINE void scale_row(float *x, int n, float factor) {
    int j = 0;
    for (; j + LANES <= n; j += LANES) vstore(x + j, vload(x + j) * factor);
    for (; j < n; j++) x[j] *= factor;
}

void KERNEL(ak_softmax_rows)(float *x, int rows, int cols, long ld) {
    for (int r = 0; r < rows; r++) {
        float *row = x + r * ld;
        float m = row_max(row, cols);
        if (m == -INFINITY) {
            memset(row, 0, sizeof(float) * (size_t)cols);
            continue;
        }
        float sum = exp_shifted_sum(row, cols, m);
        scale_row(row, cols, 1.0f / sum);
    }
}

void KERNEL(ak_online_softmax_rows)(float *s, int rows, int cols, long ld,
                                     float *row_max_state, float *row_sum, float *correction) {
    for (int r = 0; r < rows; r++) {
        float *row = s + r * ld;
        float previous = row_max_state[r];
        float m = fmaxf(previous, row_max(row, cols));
        if (m == -INFINITY) {
            memset(row, 0, sizeof(float) * (size_t)cols);
            correction[r] = 1.0f;
            continue;
        }
        float sum = exp_shifted_sum(row, cols, m);
        // The vector exp, not expf: no call per row. exp(−inf) is 0 when nothing was seen yet.
        float c = vexp(splat(previous - m))[0];
        correction[r] = c;
        row_sum[r] = row_sum[r] * c + sum;
        row_max_state[r] = m;
    }
}

void KERNEL(ak_scale_rows)(float *x, int rows, int cols, long ld, const float *factors) {
    for (int r = 0; r < rows; r++) {
        if (factors[r] != 1.0f) scale_row(x + r * ld, cols, factors[r]);
    }
}

void KERNEL(ak_mask_row)(float *s, int n, int lo, int hi,
                          const bool *mask, long mask_stride, const float *bias, long bias_stride,
                          float alibi_slope, long query) {
    // Clamp [lo, hi) into [0, n]: a row's interval may start after this tile ends.
    if (lo < 0) lo = 0;
    if (lo > n) lo = n;
    if (hi > n) hi = n;
    if (hi < lo) hi = lo;
    for (int j = 0; j < lo; j++) s[j] = -INFINITY;
    for (int j = hi; j < n; j++) s[j] = -INFINITY;
    if (bias) {
        for (int j = lo; j < hi; j++) s[j] += bias[j * bias_stride];
    }
    if (alibi_slope != 0) {
        for (int j = lo; j < hi; j++) s[j] -= alibi_slope * (float)labs(query - j);
    }
    if (mask) {
        for (int j = lo; j < hi; j++) {
            if (!mask[j * mask_stride]) s[j] = -INFINITY;
        }
    }
}

void KERNEL(ak_softcap_rows)(float *s, int rows, int cols, long ld, float cap) {
    float inverse = 1.0f / cap;
    for (int r = 0; r < rows; r++) {
        float *row = s + r * ld;
        int j = 0;
        for (; j + LANES <= cols; j += LANES) vstore(row + j, vtanh(vload(row + j) * inverse) * cap);
        if (j < cols) store_partial(row + j, cols - j, vtanh(load_partial(row + j, cols - j, 0) * inverse) * cap);
    }
}

int KERNEL(ak_hardmax_row)(float *s, int n) {
    int best = -1;
    float best_value = -INFINITY;
    for (int j = 0; j < n; j++) {
        if (s[j] > best_value) {  // strict: ties keep the lowest index
            best_value = s[j];
            best = j;
        }
    }
    memset(s, 0, sizeof(float) * (size_t)n);
    if (best >= 0) s[best] = 1.0f;
    return best;
}

void KERNEL(ak_additive_scores)(const float *q, const float *keys, long ld, int n_keys, int hidden,
                                 const float *v, float *scores) {
    for (int j = 0; j < n_keys; j++) {
        const float *key = keys + j * ld;
        vf sum = splat(0);
        int k = 0;
        for (; k + LANES <= hidden; k += LANES) {
            sum += vload(v + k) * vtanh(vload(q + k) + vload(key + k));
        }
        if (k < hidden) {
            int rest = hidden - k;
            sum += load_partial(v + k, rest, 0) * vtanh(load_partial(q + k, rest, 0) + load_partial(key + k, rest, 0));
        }
        scores[j] = hsum(sum);
    }
}

unsigned KERNEL(ak_max_abs_bits)(const float *x, long n) {
    vi largest = (vi)0;
    long j = 0;
    for (; j + LANES <= n; j += LANES) {
        vi bits;
        memcpy(&bits, x + j, sizeof bits);
        largest = __builtin_elementwise_max(largest, bits & 0x7fffffff);
    }
    unsigned result = (unsigned)__builtin_reduce_max(largest);
    for (; j < n; j++) {
        unsigned bits;
        memcpy(&bits, x + j, sizeof bits);
        bits &= 0x7fffffffu;
        if (bits > result) result = bits;
    }
    return result;
}

// erf(x) by Abramowitz & Stegun 7.1.26 (absolute error at most 1.5e-7, near Float32's
// rounding of erf itself), odd in x: one exp and one division per lane.
INLINE vf verf(vf x) {
    vf ax = __builtin_elementwise_abs(x);
    vf t = 1.0f / (1.0f + 0.3275911f * ax);
    vf y = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
    vf e = 1.0f - y * vexp(-ax * ax);
    return x < 0.0f ? -e : e;
}

void KERNEL(ak_gelu)(float *x, long n) {
    long j = 0;
    for (; j + LANES <= n; j += LANES) {
        vf v = vload(x + j);
        vstore(x + j, 0.5f * v * (1.0f + verf(v * 0.70710678118654752f)));
    }
    if (j < n) {
        int rest = (int)(n - j);
        vf v = load_partial(x + j, rest, 0);
        vf g = 0.5f * v * (1.0f + verf(v * 0.70710678118654752f));
        for (int i = 0; i < rest; i++) x[j + i] = g[i];
    }
}
