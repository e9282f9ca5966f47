// glibc's allocator settings and trim: malloc.h, which Swift's Glibc module does
// not include. Elsewhere these do nothing.
#include "attention_kernels.h"
// malloc.h first: glibc defines __GLIBC__ in the headers it ships (features.h), and the
// header above includes only the compiler's own, so testing __GLIBC__ before any glibc header
// compiled both functions to nothing.
#if defined(__linux__)
#include <malloc.h>
#endif

bool ak_allocator_keep_freed_blocks(void) {
#if defined(__GLIBC__)
    // Blocks up to 64 MiB come from the arenas (not a fresh mapping each), and a free never
    // gives the heap's top back by itself: freed bodies and tensors are reused while requests
    // come in. ak_allocator_trim gives the memory back once the server is idle.
    return mallopt(M_MMAP_THRESHOLD, 64 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
#else
    return false;
#endif
}

void ak_allocator_trim(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
