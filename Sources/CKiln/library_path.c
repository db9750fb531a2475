/* library_path.c: where libKiln was loaded from (dladdr), so it can find the llvm backend library next to it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

#include "kiln_internal.h"

const char *kiln_internal_library_path(void) {
    Dl_info info;
    if (dladdr((const void *)&kiln_internal_library_path, &info) == 0) return NULL;
    return info.dli_fname;
}
