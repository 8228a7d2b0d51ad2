/* Incremental decoder for the chunked transfer coding (RFC 9112 7.1).
 *
 * Decodes in place: the data bytes are moved to the front of the buffer.
 * Chunk extensions and trailer fields are accepted and ignored. The state
 * lives in struct http_chunked, so input may be split anywhere. */
#ifndef PORTICO_HTTP_CHUNKED_H
#define PORTICO_HTTP_CHUNKED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct http_chunked {
    int state;          /* private */
    uint64_t remaining; /* bytes left in the current chunk (private) */
    unsigned digits;    /* hex digits seen in the current size (private) */
    uint64_t total;     /* data bytes decoded so far */
};

#define HTTP_CHUNKED_ERROR (-1)
#define HTTP_CHUNKED_MORE (-2)

void http_chunked_init(struct http_chunked *d);

/* Decodes buf[0..*len). On return, buf[0..*len) holds the decoded data
 * bytes of this call (possibly 0).
 *
 * Returns HTTP_CHUNKED_MORE when the body is not finished yet (all input
 * consumed), HTTP_CHUNKED_ERROR on malformed input (bad size, overflow,
 * missing CRLF), or, once the last chunk and trailers are complete, the
 * number n >= 0 of bytes that followed the body in the input (a pipelined
 * next request); those n bytes are moved to buf[*len .. *len + n). */
ssize_t http_chunked_decode(struct http_chunked *d, char *buf, size_t *len);

#endif
