/* kiln_internal.h: what libKiln's Swift code needs from C and kiln.h does not offer callers (not installed). */
#ifndef KILN_INTERNAL_H
#define KILN_INTERNAL_H

/* The path of the shared library this code is in (libKiln.so), from the dynamic loader; NULL if it does not say.
 * The string is the loader's and lives as long as the library is loaded. */
const char *kiln_internal_library_path(void);

#endif /* KILN_INTERNAL_H */
