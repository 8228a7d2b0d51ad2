/* MIME types by file extension. */
#ifndef PORTICO_MIME_H
#define PORTICO_MIME_H

#include <stdbool.h>
#include <stddef.h>

struct mime_override {
    const char *ext;  /* with the leading dot, e.g. ".wasm" */
    const char *type; /* e.g. "application/wasm" */
};

/* Content type for a file name (the part after its last '.' in the last
 * path segment, case-insensitive). Overrides are searched first, then the
 * built-in table (nginx's mime.types with .js as text/javascript, and more),
 * by binary search. Types come bare, without a charset: the `charset`
 * setting adds one when the head is written. Unknown ->
 * "application/octet-stream". The returned string is static or owned by
 * the overrides. */
const char *mime_type_for(const char *name, size_t len,
                          const struct mime_override *overrides, size_t n_overrides);

/* Whether the `charset` setting applies to type: text/<anything>,
 * application/javascript or application/json (case-insensitive), with no
 * charset parameter of its own (an override like "text/html;
 * charset=iso-8859-1" keeps it). False for NULL and for parameters that do
 * not parse. */
bool mime_type_takes_charset(const char *type);

#endif
