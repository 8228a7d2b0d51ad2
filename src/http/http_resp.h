/* Incremental HTTP/1.x response-head parser, for the head an upstream
 * server sends back to the reverse proxy (RFC 9112 4-6, RFC 9110 for
 * fields).
 *
 * Like the request parser it allocates nothing and does no I/O. It re-reads
 * the head from the start of the caller's buffer on every call, so the
 * result is the same for any split of the input; the caller only calls it
 * again once new bytes arrived. Every struct str in the result points into
 * the caller's buffer.
 *
 * What it accepts:
 *   - the status line "HTTP/1.x" SP 3DIGIT SP reason CRLF, with a status in
 *     100..599 and a reason of HTAB, SP, VCHAR and obs-text (possibly
 *     empty). "HTTP/1.1 200" CRLF, without the SP before an empty reason,
 *     is accepted too: many servers send it and picohttpparser and nginx
 *     take it. HTTP/1.2 .. 1.9 count as 1.1 (RFC 9110 2.5); other majors,
 *     and anything before "HTTP/" (an empty line included), are refused;
 *   - header fields as the request parser reads them: token names, no
 *     whitespace before the colon, values with leading and trailing OWS
 *     trimmed, no obs-fold, no NUL or other control byte but HTAB, no bare
 *     CR; lines may end in a lone LF; at most HTTP_RESP_MAX_HEADERS.
 *
 * Framing (RFC 9112 6.3), in this order:
 *   1. a response to HEAD, and every 1xx, 204 and 304, has no body,
 *      whatever its header fields say (HTTP_BODY_NONE);
 *   2. Transfer-Encoding: the only coding accepted is "chunked", once
 *      (HTTP_BODY_CHUNKED). Any other coding, before or after chunked, is
 *      refused rather than read until close as RFC 9112 6.3 allows: the
 *      proxy never sends TE, so the server may not use one (RFC 9110
 *      10.1.4), and the gateway could neither decode it nor pass it on to
 *      a client that did not ask for it. Transfer-Encoding in an HTTP/1.0
 *      response is refused (RFC 9112 6.1: faulty framing);
 *   3. Content-Length: HTTP_BODY_LENGTH;
 *   4. otherwise the body runs until the server closes (HTTP_BODY_CLOSE).
 * The framing fields are checked in every response, even one without a
 * body: Transfer-Encoding together with Content-Length is refused (a
 * smuggling vector); Content-Length must be 1*DIGIT, at most 2^62; a list
 * ("5, 5") or repeated fields are accepted only when they all say the same
 * number (RFC 9110 8.6), any two different values are refused.
 *
 * A 2xx answer to CONNECT (RFC 9112 6.3 rule 2) is not handled: the proxy
 * never sends CONNECT. */
#ifndef PORTICO_HTTP_RESP_H
#define PORTICO_HTTP_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_parse.h"
#include "lib/str.h"

#define HTTP_RESP_MAX_HEADERS 100

enum http_body {
    HTTP_BODY_NONE,    /* no body: the next response starts right after the head */
    HTTP_BODY_LENGTH,  /* content_length bytes */
    HTTP_BODY_CHUNKED, /* the chunked coding (http_chunked.h) */
    HTTP_BODY_CLOSE,   /* until the server closes the connection */
};

/* A response head as received from an upstream server. */
struct http_response_in {
    int minor_version; /* 0 or 1 */
    int status;        /* 100..599; 0 when the parse failed before it */
    struct str reason; /* as sent (may be empty) */

    struct http_header headers[HTTP_RESP_MAX_HEADERS];
    size_t num_headers;

    /* Derived from status, headers and the request method. */
    enum http_body body;
    /* The Content-Length value when has_content_length, else 0. With
     * HTTP_BODY_NONE (HEAD, 304) it is the length the body would have
     * had, which a gateway passes on. */
    uint64_t content_length;
    bool has_content_length;
    /* The upstream keeps the connection open after this response: HTTP/1.1
     * unless Connection: close, HTTP/1.0 only with Connection: keep-alive;
     * never with HTTP_BODY_CLOSE nor after a 101. */
    bool keep_alive;
    /* Status 101 with an Upgrade field (a 101 without one is refused): the
     * connection now speaks another protocol. Whether the client asked for
     * that protocol is the caller's check. */
    bool upgrade;

    /* When the result is HTTP_PARSE_ERROR: 502 (the gateway got an invalid
     * response) and a short reason for the log. */
    int error_status;
    const char *error_reason;
};

/* Parses the response head in buf[0..len); head_request says the request
 * was HEAD (its response has no body).
 *
 * max_head is the largest head accepted: when no complete head fits in
 * max_head bytes, the result is an error, known as soon as max_head bytes
 * are in. Bytes past max_head are never looked at.
 *
 * Returns the number of bytes the head occupies (the body starts there),
 * HTTP_PARSE_INCOMPLETE when more bytes are needed, or HTTP_PARSE_ERROR
 * with out->error_status set; on error, the status line and fields parsed
 * so far may be used for logging.
 *
 * 1xx responses other than 101 are interim (RFC 9110 15.2): they come
 * back as a complete head with their status and HTTP_BODY_NONE, and the
 * caller skips them and parses again from buf + the result, until a final
 * response (or a 101) arrives. */
long http_parse_response(const char *buf, size_t len, size_t max_head, bool head_request,
                         struct http_response_in *out);

/* Finds a header field by lower-case name (the first one when repeated);
 * NULL when absent. */
const struct http_header *http_resp_find(const struct http_response_in *r,
                                         const char *lower_name, size_t name_len);

#endif
