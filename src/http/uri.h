/* Request-target path decoding and normalisation. */
#ifndef PORTICO_URI_H
#define PORTICO_URI_H

#include <stddef.h>

/* Percent-decodes the raw path src[0..len) into dst (capacity >= len + 1,
 * NUL-terminated on success) and resolves "." and ".." segments and
 * repeated slashes ("//" -> "/"). A trailing slash is kept ("/a/" stays
 * "/a/", "/a/." becomes "/a/"). The result always starts with '/'.
 *
 * Returns the length of the normalised path, or -1 when the path is
 * invalid: it does not start with '/', it has a bad percent escape, it
 * decodes to a NUL byte (%00 or a raw NUL), or ".." would climb above "/".
 * Every -1 is answered with 400. Decoded "%2F" is a path separator like
 * '/'. */
long uri_normalize_path(const char *src, size_t len, char *dst);

#endif
