/* File names for uploads: what a client sends is never trusted as a path. */
#ifndef PORTICO_UPLOAD_NAME_H
#define PORTICO_UPLOAD_NAME_H

#include <stddef.h>

/* Sanitises a client-supplied file name into a single safe path segment:
 * keeps only the part after the last '/' or '\\', drops NUL and control
 * bytes (< 0x20, 0x7f), trims leading and trailing spaces and trailing
 * dots; "." and ".." and an empty result count as no name. Writes a NUL-terminated name of at most cap - 1 bytes (cut at a
 * UTF-8 character boundary, keeping the extension when it has to shorten)
 * and returns its length, or 0 when there is no usable name (the caller
 * generates one). */
size_t upload_name_sanitize(const char *in, size_t len, char *out, size_t cap);

/* Writes the n-th alternative (n >= 1) of a taken name into out, the
 * suffix going before the last extension: "a.txt" -> "a-1.txt",
 * "archive.tar.gz" -> "archive.tar-1.gz", "README" -> "README-1", and a
 * dot-file without another dot ".env" -> ".env-1". Returns the length, or
 * 0 when cap is too small. */
size_t upload_name_variant(const char *name, unsigned n, char *out, size_t cap);

#endif
