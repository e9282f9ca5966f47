// glibc's allocator settings and trim: malloc.h, which Swift's Glibc module does
// not include. Elsewhere these do nothing.
#include "attention_kernels.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void ak_allocator_keep_freed_blocks(void) {
#if defined(__GLIBC__)
    // Blocks up to 64 MiB come from the arenas (not a fresh mapping each), and a free never
    // gives the heap's top back by itself: freed bodies and tensors are reused while requests
    // come in. ak_allocator_trim gives the memory back once the server is idle.
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

void ak_allocator_trim(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
