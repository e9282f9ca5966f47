#ifndef CBLAS_SHIM_H
#define CBLAS_SHIM_H
// Debian installs OpenBLAS's cblas.h under /usr/include/x86_64-linux-gnu/ (found via pkg-config).
#include <cblas.h>
#endif
