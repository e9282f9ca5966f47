// The row kernels for any CPU (SSE2 on x86-64, NEON on arm64), 4 floats a vector.
#define LANES 4
#define KERNEL(name) name##_baseline
#include "kernel_body.h"
