/* Chunked transfer coding decoder (RFC 9112 7.1): see http_chunked.h.
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-ext    = *( BWS ";" ... )
 *
 * A byte-level state machine; data runs are moved with one memmove each.
 * Bare LF is accepted wherever CRLF is expected. Extensions and trailer
 * fields are skipped, but their length is capped so that a client cannot
 * keep the decoder busy forever without producing data. */
#include "http/http_chunked.h"

#include <string.h>

#include "lib/ascii.h"

enum {
    CH_SIZE0,      /* first hex digit of a chunk size */
    CH_SIZE,       /* more hex digits */
    CH_BWS,        /* whitespace after the size, ';' must follow */
    CH_EXT,        /* chunk extension, up to the line end */
    CH_SIZE_LF,    /* LF after the size line's CR */
    CH_DATA,       /* chunk data */
    CH_DATA_CR,    /* CRLF after chunk data */
    CH_DATA_LF,    /* LF after chunk data's CR */
    CH_TRAILER0,   /* start of a trailer line, or the final empty line */
    CH_TRAILER,    /* inside a trailer field line */
    CH_TRAILER_LF, /* LF after a trailer line's CR */
    CH_END_LF,     /* LF of the final empty line */
    CH_DONE,
    CH_ERROR,
};

#define CH_MAX_SIZE ((uint64_t)1 << 60)
#define CH_MAX_DIGITS 16
#define CH_MAX_EXT 4096      /* bytes of extension per size line */
#define CH_MAX_TRAILER 16384 /* bytes of trailer lines, without the final empty line */

/* A byte that may not appear in an extension or trailer line. */
static int ch_is_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

void http_chunked_init(struct http_chunked *d)
{
    d->state = CH_SIZE0;
    d->remaining = 0;
    d->digits = 0;
    d->total = 0;
}

ssize_t http_chunked_decode(struct http_chunked *d, char *buf, size_t *len)
{
    char *in = buf, *end = buf + *len, *out = buf;
    int st = d->state;

    if (st == CH_ERROR)
        goto fail;
    if (st == CH_DONE)
        goto done;

    while (in < end) {
        unsigned char c;
        int h;

        if (st == CH_DATA) {
            size_t n = (size_t)(end - in);
            if (d->remaining < n)
                n = (size_t)d->remaining;
            if (out != in)
                memmove(out, in, n);
            out += n;
            in += n;
            d->remaining -= n;
            d->total += n;
            if (d->remaining == 0)
                st = CH_DATA_CR;
            continue;
        }

        c = (unsigned char)*in++;
        switch (st) {
        case CH_SIZE0:
            if ((h = ascii_hex_value(c)) < 0)
                goto fail;
            d->remaining = (uint64_t)h;
            d->digits = 1;
            st = CH_SIZE;
            break;
        case CH_SIZE:
            if ((h = ascii_hex_value(c)) >= 0) {
                if (++d->digits > CH_MAX_DIGITS ||
                    d->remaining > (CH_MAX_SIZE - (uint64_t)h) / 16)
                    goto fail;
                d->remaining = d->remaining * 16 + (uint64_t)h;
            } else if (c == ';') {
                d->digits = 0; /* now counts extension bytes */
                st = CH_EXT;
            } else if (c == ' ' || c == '\t') {
                d->digits = 1;
                st = CH_BWS;
            } else if (c == '\r') {
                st = CH_SIZE_LF;
            } else if (c == '\n') {
                goto size_line_done;
            } else {
                goto fail;
            }
            break;
        case CH_BWS:
            if (++d->digits > CH_MAX_EXT)
                goto fail;
            if (c == ';')
                st = CH_EXT;
            else if (c != ' ' && c != '\t')
                goto fail;
            break;
        case CH_EXT:
            if (c == '\r')
                st = CH_SIZE_LF;
            else if (c == '\n')
                goto size_line_done;
            else if (ch_is_ctl(c) || ++d->digits > CH_MAX_EXT)
                goto fail;
            break;
        case CH_SIZE_LF:
            if (c != '\n')
                goto fail;
        size_line_done:
            d->digits = 0; /* counts trailer bytes after the last chunk */
            st = d->remaining ? CH_DATA : CH_TRAILER0;
            break;
        case CH_DATA_CR:
            if (c == '\r')
                st = CH_DATA_LF;
            else if (c == '\n')
                st = CH_SIZE0;
            else
                goto fail;
            break;
        case CH_DATA_LF:
            if (c != '\n')
                goto fail;
            st = CH_SIZE0;
            break;
        case CH_TRAILER0:
            if (c == '\r') {
                st = CH_END_LF;
                break;
            }
            if (c == '\n')
                goto done;
            st = CH_TRAILER; /* c is the line's first byte */
            /* fall through */
        case CH_TRAILER:
            if (++d->digits > CH_MAX_TRAILER)
                goto fail;
            if (c == '\r')
                st = CH_TRAILER_LF;
            else if (c == '\n')
                st = CH_TRAILER0;
            else if (ch_is_ctl(c))
                goto fail;
            break;
        case CH_TRAILER_LF:
            if (c != '\n' || ++d->digits > CH_MAX_TRAILER)
                goto fail;
            st = CH_TRAILER0;
            break;
        case CH_END_LF:
            if (c != '\n')
                goto fail;
            goto done;
        default:
            goto fail;
        }
    }
    d->state = st;
    *len = (size_t)(out - buf);
    return HTTP_CHUNKED_MORE;

done: {
    size_t n = (size_t)(end - in);
    if (n != 0 && out != in)
        memmove(out, in, n);
    d->state = CH_DONE;
    *len = (size_t)(out - buf);
    return (ssize_t)n;
}

fail:
    d->state = CH_ERROR;
    *len = (size_t)(out - buf);
    return HTTP_CHUNKED_ERROR;
}
