/* Incremental HTTP/1.1 request-head parser (RFC 9112).
 *
 * The parser allocates nothing and does no I/O. It re-reads the head from
 * the start of the caller's buffer on every call, so the result is the same
 * for any split of the input; the caller only calls it again once new bytes
 * arrived. Every struct str in the result points into the caller's buffer. */
#ifndef PORTICO_HTTP_PARSE_H
#define PORTICO_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/str.h"

enum http_method {
    HTTP_METHOD_UNKNOWN = 0,
    HTTP_GET,
    HTTP_HEAD,
    HTTP_POST,
    HTTP_PUT,
    HTTP_DELETE,
    HTTP_OPTIONS, /* only a proxy location passes these on: */
    HTTP_PATCH,   /* elsewhere they get 405 like any method not allowed */
    HTTP_METHOD_COUNT
};

#define HTTP_METHOD_BIT(m) (1u << (m))

#define HTTP_MAX_HEADERS 100

struct http_header {
    struct str name;  /* as sent (case preserved) */
    struct str value; /* leading/trailing OWS stripped */
};

struct http_request_head {
    enum http_method method;
    struct str method_str;
    struct str target;    /* raw request-target as sent */
    struct str path;      /* raw (still percent-encoded) path, starts with '/', no query */
    struct str query;     /* after '?', without it; len 0 if none */
    bool has_query;       /* a '?' was present (even if the query is empty) */
    struct str authority; /* host[:port] of an absolute-form target, else len 0 */
    int minor_version;    /* 0 or 1 */
    struct str version;   /* "HTTP/1.1" as sent once the request line is whole (a 505's
                           * "HTTP/2.0" too); len 0 before: for the log */

    struct http_header headers[HTTP_MAX_HEADERS];
    size_t num_headers;

    /* Derived from the headers. */
    struct str host;        /* authority of an absolute-form target, else Host header value */
    int64_t content_length; /* -1 when absent */
    bool chunked;           /* Transfer-Encoding: chunked */
    bool keep_alive;        /* by version and Connection header */
    bool expect_continue;   /* Expect: 100-continue */

    /* When the result is HTTP_PARSE_ERROR: the status to answer
     * (400, 414, 431, 501, 505) and a short reason for the log. */
    int error_status;
    const char *error_reason;
};

/* An empty head (no method, no headers; its strings point at buf with
 * length 0), as the parser starts from. The header array is left as it
 * is: it is valid only up to num_headers. */
void http_request_head_reset(struct http_request_head *h, const char *buf);

#define HTTP_PARSE_ERROR (-1)
#define HTTP_PARSE_INCOMPLETE (-2)

/* Parses the request head in buf[0..len).
 *
 * max_head is limits.header_size: when no complete head fits in max_head
 * bytes, the result is an error with 414 (the request line alone is longer)
 * or 431 (the head is).
 *
 * Returns the number of bytes the head occupies (body starts there),
 * HTTP_PARSE_INCOMPLETE when more bytes are needed, or HTTP_PARSE_ERROR with
 * out->error_status set. On error, the fields parsed so far in out may be
 * used for logging (method, target). Leading empty lines before the request
 * line are skipped (RFC 9112 2.2) and counted in the returned length. */
long http_parse_request(const char *buf, size_t len, size_t max_head,
                        struct http_request_head *out);

/* The head was parsed in from[0..len) and those bytes now live at to:
 * every slice of h pointing into the old place is moved along (slices
 * that point elsewhere stay). */
void http_head_rebase(struct http_request_head *h, const char *from, size_t len, const char *to);

/* Finds a header by lower-case name; NULL when absent. */
const struct http_header *http_find_header(const struct http_request_head *h,
                                           const char *lower_name, size_t name_len);

/* A Connection field among the n names name (a comma-separated list,
 * tokens ASCII case-insensitive): a hop-by-hop header (RFC 9110 7.6.1). */
bool http_headers_connection_names(const struct http_header *headers, size_t n, struct str name);

/* The same in any array of n parsed fields (a request's or a response's):
 * the first field named lower_name[0..name_len), ASCII case-insensitively;
 * NULL when there is none. */
const struct http_header *http_headers_find(const struct http_header *headers, size_t n,
                                            const char *lower_name, size_t name_len);

/* Method name to enum: HTTP_METHOD_UNKNOWN for anything else. */
enum http_method http_method_from(struct str s);
const char *http_method_name(enum http_method m);

#endif
