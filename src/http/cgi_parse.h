/* The header block a CGI script writes before its body (RFC 3875 6).
 *
 * Like the request parser it allocates nothing, re-reads the block from
 * the start of the buffer on every call, and returns slices into it. */
#ifndef PORTICO_CGI_PARSE_H
#define PORTICO_CGI_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/str.h"

#define CGI_MAX_HEADERS 64

struct cgi_response {
    int status;              /* from "Status: 418 I'm a teapot"; 0 when absent */
    struct str reason;       /* the reason phrase given with Status, may be empty */
    struct str content_type; /* len 0 when absent */
    struct str location;     /* len 0 when absent */
    int64_t content_length;  /* -1 when absent */
    /* Every other header, to pass to the client as is (never Status,
     * Content-Type, Location, Content-Length, Connection,
     * Transfer-Encoding, Keep-Alive, Server or Date). */
    struct { struct str name, value; } headers[CGI_MAX_HEADERS];
    size_t num_headers;
};

#define CGI_PARSE_ERROR (-1)
#define CGI_PARSE_INCOMPLETE (-2)

/* Parses the header block in buf[0..len): lines end in LF or CRLF, the
 * block ends with an empty line. Returns the length of the block (the
 * body starts there), CGI_PARSE_INCOMPLETE, or CGI_PARSE_ERROR when it is
 * malformed: a line without a colon or with an invalid field name,
 * obs-fold, a NUL or bare CR, a Status that is not 3 digits in 100..599
 * optionally followed by a space and a reason, a Content-Length that is
 * not digits or differs when repeated, more than CGI_MAX_HEADERS others,
 * no Content-Type, Location nor Status at all, or a block longer than max
 * bytes without its end. */
long cgi_parse_headers(const char *buf, size_t len, size_t max, struct cgi_response *out);

#endif
