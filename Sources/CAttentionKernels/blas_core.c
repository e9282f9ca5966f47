// Makes OpenBLAS use kernels that match the CPU when its own detection falls short.
//
// OpenBLAS built with DYNAMIC_ARCH (Debian's, the container's) picks its kernels by CPU
// model number when it loads. A release older than the CPU does not know the model and falls
// back to its SSE3 "Prescott" kernels: Debian 12's 0.3.21 does so on Intel Xeon family 6 model
// 0xCF (Emerald Rapids), where sgemm then runs about 3.3x slower than with its AVX-512 kernels
// (BENCHMARKS.md, "BLAS core"). OpenBLAS's only switch is the OPENBLAS_CORETYPE variable,
// read by its load-time constructor, so this file's constructor, which runs after OpenBLAS's
// (a library's initialisers run before those of the program that needs it) and before main,
// while no code of the program runs yet (OpenBLAS's own threads wait idle), sets it and makes
// OpenBLAS choose again through the same exported pair of functions its constructor and
// destructor use.
//
// It changes nothing when OPENBLAS_CORETYPE is set (the operator's choice, e.g. a kernel kept
// off for a known bug), when OpenBLAS's core already uses the CPU's best instruction set, or
// when OpenBLAS has no DYNAMIC_ARCH entry points (its kernels are then fixed at build time).
#define _GNU_SOURCE
#include "attention_kernels.h"
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// The instruction set an OpenBLAS core's kernels use, on the scale of ak_instruction_level.
static int core_level(const char *core) {
    static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
    static const char *const avx2[] = {"Haswell", "Zen", "Excavator"};
    for (size_t i = 0; i < sizeof avx512 / sizeof *avx512; i++)
        if (strcasecmp(core, avx512[i]) == 0) return AK_LEVEL_X86_64_V4;
    for (size_t i = 0; i < sizeof avx2 / sizeof *avx2; i++)
        if (strcasecmp(core, avx2[i]) == 0) return AK_LEVEL_X86_64_V3;
    return AK_LEVEL_BASELINE;
}

static char replaced_core[32];

__attribute__((constructor)) static void match_blas_core_to_cpu(void) {
    if (getenv("OPENBLAS_CORETYPE")) return;
    const char *(*corename)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "openblas_get_corename");
    void (*quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    void (*init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    const char *chosen = corename && quit && init ? corename() : NULL;
    if (!chosen) return;

    int cpu = ak_instruction_level();
    if (core_level(chosen) >= cpu) return;
    const char *wanted = cpu == AK_LEVEL_X86_64_V4 ? "SkylakeX" : "Haswell";
    strncpy(replaced_core, chosen, sizeof replaced_core - 1);
    // setenv copies the environment to a new array to add the variable; the process's own
    // array, which it gets back below, stays as it was. Giving it back matters beyond tidiness:
    // with the Swift standard library linked statically (the container image), the program
    // read an empty command line after setenv and ignored its subcommand (the image's
    // HEALTHCHECK started a second server); with the original array back it reads it whole.
    char **environment = environ;
    setenv("OPENBLAS_CORETYPE", wanted, 0);
    quit();   // forgets the chosen core (gotoblas = NULL)
    init();   // chooses again, now by the variable, and sets the core's blocking parameters
    environ = environment;
}

const char *ak_blas_core_replaced(void) { return replaced_core[0] ? replaced_core : NULL; }
