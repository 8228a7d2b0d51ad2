/* MIME types by file extension. */
#ifndef PORTICO_MIME_H
#define PORTICO_MIME_H

#include <stddef.h>

struct mime_override {
    const char *ext;  /* with the leading dot, e.g. ".wasm" */
    const char *type; /* e.g. "application/wasm" */
};

/* Content type for a file name (the part after its last '.' in the last
 * path segment, case-insensitive). Overrides are searched first; text types
 * carry "; charset=utf-8". Unknown -> "application/octet-stream".
 * The returned string is static or owned by the overrides. */
const char *mime_type_for(const char *name, size_t len,
                          const struct mime_override *overrides, size_t n_overrides);

#endif
