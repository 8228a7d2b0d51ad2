/* Range requests (RFC 9110 14) and conditional requests (RFC 9110 13). */
#ifndef PORTICO_HTTP_RANGE_H
#define PORTICO_HTTP_RANGE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "http/http_parse.h"

enum http_range_result {
    HTTP_RANGE_NONE,          /* no usable single range: answer the whole (200) */
    HTTP_RANGE_OK,            /* one satisfiable range: 206 */
    HTTP_RANGE_UNSATISFIABLE  /* 416 with Content-Range: bytes * / size */
};

/* Parses a Range header value against a representation of `size` bytes:
 * "bytes=a-b", "bytes=a-", "bytes=-n" (case-insensitive unit, OWS allowed
 * around the comma-free spec). A syntactically invalid value, another
 * unit, or several ranges give HTTP_RANGE_NONE (serve the whole file). A
 * valid range that starts at or beyond size (or "-0") gives
 * UNSATISFIABLE. On OK, *first and *last are the inclusive byte positions
 * (last clamped to size - 1). */
enum http_range_result http_range_parse(const char *value, size_t len, uint64_t size,
                                        uint64_t *first, uint64_t *last);

/* Writes the strong ETag of a file: "\"<mtime_sec hex>-<mtime_nsec hex>-<size hex>\""
 * into out (at least HTTP_ETAG_MAX bytes); returns its length. */
#define HTTP_ETAG_MAX 64
size_t http_etag_make(char *out, time_t mtime_sec, long mtime_nsec, uint64_t size);

enum http_cond_result {
    HTTP_COND_PROCEED,          /* answer normally */
    HTTP_COND_NOT_MODIFIED,     /* 304 (GET/HEAD) */
    HTTP_COND_PRECONDITION_FAILED /* 412 */
};

/* Evaluates the preconditions of RFC 9110 13.2.2 for a GET/HEAD of a file
 * with this ETag and Last-Modified time: If-Match (strong compare; "*"
 * matches) else If-Unmodified-Since -> 412; then If-None-Match (weak
 * compare, W/ prefixes ignored, lists and "*") -> 304, else (only when
 * If-None-Match is absent) If-Modified-Since -> 304 when mtime <= the date.
 * Unparseable dates are ignored. */
enum http_cond_result http_conditional(const struct http_request_head *h, const char *etag,
                                       size_t etag_len, time_t mtime);

/* If-Range (RFC 9110 13.1.5): returns 1 when the Range header applies (no
 * If-Range, or it is the same strong ETag, or an HTTP-date exactly equal
 * to mtime), 0 when the whole representation must be sent instead. */
int http_if_range_applies(const struct http_request_head *h, const char *etag, size_t etag_len,
                          time_t mtime);

#endif
