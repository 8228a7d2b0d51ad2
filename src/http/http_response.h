/* Serialises a response head. Pure: no I/O. */
#ifndef PORTICO_HTTP_RESPONSE_H
#define PORTICO_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_response_head {
    int status;
    const char *date;         /* IMF-fixdate; server/ makes it once a second */
    const char *content_type; /* NULL: no Content-Type */
    const char *charset;      /* non-NULL: "; charset=<it>" follows the type */
    int64_t content_length;   /* -1: no Content-Length */
    bool keep_alive;
    bool upgrade;             /* 101: Connection: upgrade (the extras carry Upgrade) */
    const char *extra;        /* further header lines, each ending in CRLF */
    size_t extra_len;
};

/* Writes "HTTP/1.1 <status> <reason>", Server, Date, Content-Type,
 * Content-Length, Connection, the extra lines and the blank line into buf.
 * Returns the length, or 0 when cap is too small. */
size_t http_response_head_write(char *buf, size_t cap, const struct http_response_head *h);

#endif
