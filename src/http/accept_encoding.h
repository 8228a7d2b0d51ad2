/* Accept-Encoding (RFC 9110 12.5.3): which content codings a client takes,
 * with their q-values.
 *
 *     Accept-Encoding = #( codings [ OWS ";" OWS "q=" qvalue ] )
 *     codings         = content-coding / "identity" / "*"
 *     qvalue          = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
 *
 * The parser is incremental: a field value may be fed in any number of
 * pieces, cut anywhere, and gives the same result as fed whole. It
 * allocates nothing, never looks past a piece's end and keeps no pointer
 * into it. Several Accept-Encoding fields of one request are one list: each
 * is fed and ended with accept_encoding_end_field().
 *
 * Lenient where that is safe: parameters other than q are skipped (token or
 * quoted-string values), empty list elements and parameters too. An element
 * that breaks the grammar (a q that is no qvalue: "q=2", "q=0.5000",
 * "q=\"1\""; a stray character; a parameter without '=') is ignored as a
 * whole, and parsing picks up at the next comma. When a coding is named
 * twice, its first (valid) element counts, as nginx reads the first "gzip".
 * "x-gzip" is gzip (RFC 9110 8.4.1.3). Coding names are case-insensitive. */
#ifndef PORTICO_ACCEPT_ENCODING_H
#define PORTICO_ACCEPT_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "http/http_parse.h"

/* The codings portico cares about; any other name is parsed and ignored. */
enum http_coding {
    HTTP_CODING_GZIP,
    HTTP_CODING_BR,
    HTTP_CODING_IDENTITY,
    HTTP_CODING_ANY, /* "*" */
    HTTP_CODING_COUNT
};

#define ACCEPT_ENCODING_NAME_MAX 8 /* "identity": longer names match none */
#define ACCEPT_ENCODING_UNSET (-1)

struct accept_encoding {
    /* Per coding: the q-value its element gave, in thousandths (0..1000),
     * or ACCEPT_ENCODING_UNSET when the fields name it nowhere. */
    int16_t q[HTTP_CODING_COUNT];

    /* The parser's state within the current element (private). */
    uint8_t state;
    uint8_t name_len;        /* of the coding; ACCEPT_ENCODING_NAME_MAX + 1: too long */
    char name[ACCEPT_ENCODING_NAME_MAX];
    uint8_t param_len;       /* of the parameter name being read (saturates) */
    char param_first;        /* its first byte, lower-cased */
    uint8_t qstate;          /* the qvalue being read: see accept_encoding.c */
    uint8_t qdigits;         /* its fraction digits so far */
    int16_t qvalue;          /* ... and its value so far */
    int16_t elem_q;          /* the element's q (1000 unless it says otherwise) */
};

/* Starts empty: no field seen names any coding. */
void accept_encoding_init(struct accept_encoding *ae);

/* Feeds the next piece s[0..len) of a field value. */
void accept_encoding_feed(struct accept_encoding *ae, const char *s, size_t len);

/* The field value ended: its last element counts (when complete and
 * valid), and the next field starts afresh. */
void accept_encoding_end_field(struct accept_encoding *ae);

/* Every Accept-Encoding field of h, fed and ended in order, into ae
 * (initialised here). */
void accept_encoding_read(const struct http_request_head *h, struct accept_encoding *ae);

/* The q-value (thousandths) the fields give coding c: its own element's,
 * else that of "*", else 1000 for identity (always acceptable unless
 * refused) and 0 for a coding never named. No Accept-Encoding field at all
 * therefore accepts identity only, as nginx reads it. */
unsigned accept_encoding_q(const struct accept_encoding *ae, enum http_coding c);

/* accept_encoding_q(ae, c) > 0: the client takes c. */
static inline int accept_encoding_takes(const struct accept_encoding *ae, enum http_coding c)
{
    return accept_encoding_q(ae, c) > 0;
}

#endif
