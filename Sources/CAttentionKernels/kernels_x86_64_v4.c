// The row kernels for AVX-512 CPUs (x86-64-v4), 16 floats a vector.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"))), apply_to = function)
#define LANES 16
#define KERNEL(name) name##_x86_64_v4
#include "kernel_body.h"
#pragma clang attribute pop
#endif
