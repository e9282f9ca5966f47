// The row kernels for AVX2 + FMA CPUs (x86-64-v3), 8 floats a vector.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define LANES 8
#define KERNEL(name) name##_x86_64_v3
#include "kernel_body.h"
#pragma clang attribute pop
#endif
