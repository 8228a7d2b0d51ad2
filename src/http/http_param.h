/* The parameters after a media type or a disposition type in a header
 * value (RFC 9110 5.6.6, RFC 6266 4.1):
 *
 *     type *( OWS ";" OWS [ name OWS "=" OWS value ] )
 *
 * A value is a token, running to the next ';' or whitespace, or a
 * quoted-string, in which a backslash escapes only '"' and '\' (so that a
 * Windows path sent unescaped survives). The iterator reads the caller's
 * bytes in place, allocates nothing and never looks past their end. */
#ifndef PORTICO_HTTP_PARAM_H
#define PORTICO_HTTP_PARAM_H

#include <stddef.h>

#include "lib/cbuf.h"
#include "lib/str.h"

struct http_param_iter {
    const char *s;
    size_t len, at;
};

struct http_param {
    struct str name;   /* a slice of the header value; empty for "; =x" */
    struct cbuf value; /* unescaped into the caller's buffer, NUL bytes left out */
};

enum http_param_result {
    HTTP_PARAM_END,   /* no more parameters (a trailing ';' is allowed) */
    HTTP_PARAM_OK,    /* *p holds the next parameter */
    HTTP_PARAM_EMPTY, /* an empty element between two ';': skip it or refuse it */
    HTTP_PARAM_ERROR, /* no ';' where one was due, a name without '=', an
                         unterminated quoted-string: stop */
};

/* Starts on value[0..len): skips leading OWS and returns the type, a slice
 * running to the first ';' or whitespace (possibly empty). */
struct str http_param_begin(struct http_param_iter *it, const char *value, size_t len);

/* Reads the next parameter into *p; its value is written to buf[0..cap)
 * (cap >= 1) as a C string, p->value.overflow set when it was cut.
 * Call again after HTTP_PARAM_OK or HTTP_PARAM_EMPTY only. */
enum http_param_result http_param_next(struct http_param_iter *it, struct http_param *p,
                                       char *buf, size_t cap);

#endif
