/* The lexical pieces of an HTTP/1 head (RFC 9112, RFC 9110 5 and 8.6),
 * shared by the request parser (http_parse.c) and the response parser
 * (http_resp.c): octet classes, the version, line ends, field lines, lists
 * and the framing fields both read the same way (Content-Length,
 * Transfer-Encoding, Connection). Internal to src/http.
 *
 * Everything here is static inline: each parser gets its own inlined copy,
 * so the hot loops make no calls. The scanners keep the parsers' contract:
 * they read strictly left to right and never at or past end; they return
 * HTTP_PARSE_INCOMPLETE when end comes first, and HTTP_PARSE_ERROR with
 * *why (a static string for the log) as soon as a wrong byte is seen. Which
 * status an error gets is the parser's business. */
#ifndef PORTICO_HTTP_LEX_H
#define PORTICO_HTTP_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "http/http_parse.h"
#include "lib/str.h"

/* Octet classes. */
enum {
    HL_TCHAR = 1,  /* token (RFC 9110 5.6.2) */
    HL_VCHAR = 2,  /* inside a field value or reason phrase: VCHAR, obs-text, SP, HTAB */
    HL_UCHAR = 4,  /* request-target before the query: visible, obs-text; not '#', '?' */
    HL_QCHAR = 8,  /* request-target in the query: as HL_UCHAR plus '?' */
    HL_HCHAR = 16, /* uri-host [":" port]: unreserved, sub-delims, ':', '[', ']', '%' */
};

static const unsigned char hl_class[256] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    2,  31, 14, 3,  31, 31, 31, 31, 30, 30, 31, 31, 30, 31, 31, 14,
    31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 30, 30, 14, 30, 14, 10,
    14, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31,
    31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 30, 14, 30, 15, 31,
    15, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31,
    31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 14, 15, 14, 31, 0,
    14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14,
    14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14,
    14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14,
    14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14,
    14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14,
    14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14,
    14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14,
    14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14,
};

#define HL_IS(c, cls) (hl_class[(unsigned char)(c)] & (cls))

/* Sets the parser's error and returns HTTP_PARSE_ERROR from the caller. */
#define HL_FAIL(out, status, reason)                                                     \
    do {                                                                                 \
        (out)->error_status = (status);                                                  \
        (out)->error_reason = (reason);                                                  \
        return HTTP_PARSE_ERROR;                                                         \
    } while (0)

/* Fast path over the long runs of a head: skips, 16 bytes at a time and
 * never past end, every byte that is none of these: a byte up to ctl_max
 * other than ctl_ok, DEL, stop1, stop2. Returns the first byte that may not
 * be skipped, or the start of the last partial block; the table-driven
 * loops after it finish the job (and do all of it without SSE2). */
static inline const char *hl_skip(const char *p, const char *end, char ctl_max, char ctl_ok,
                                  char stop1, char stop2)
{
#if defined(__SSE2__)
    const __m128i lim = _mm_set1_epi8(ctl_max), ok = _mm_set1_epi8(ctl_ok);
    const __m128i del = _mm_set1_epi8(0x7f), s1 = _mm_set1_epi8(stop1);
    const __m128i s2 = _mm_set1_epi8(stop2);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i bad = _mm_cmpeq_epi8(_mm_min_epu8(x, lim), x); /* x <= ctl_max */
        bad = _mm_andnot_si128(_mm_cmpeq_epi8(x, ok), bad);
        bad = _mm_or_si128(bad, _mm_cmpeq_epi8(x, del));
        bad = _mm_or_si128(bad, _mm_cmpeq_epi8(x, s1));
        bad = _mm_or_si128(bad, _mm_cmpeq_epi8(x, s2));
        int m = _mm_movemask_epi8(bad);
        if (m != 0)
            return p + __builtin_ctz((unsigned)m);
        p += 16;
    }
#endif
    (void)end;
    (void)ctl_max;
    (void)ctl_ok;
    (void)stop1;
    (void)stop2;
    return p;
}

/* A field value or reason phrase: no control byte but HTAB. */
static inline const char *hl_skip_value(const char *p, const char *end)
{
    return hl_skip(p, end, 0x1f, '\t', 0x7f, 0x7f);
}

/* Scans a field value or reason phrase from *pp up to its line end.
 * Returns 0 with *pp at the CR or LF, HTTP_PARSE_INCOMPLETE, or
 * HTTP_PARSE_ERROR with *pp at a byte a value may not hold (a control byte
 * other than HTAB, DEL). */
static inline long hl_scan_value(const char **pp, const char *end)
{
    const char *p = hl_skip_value(*pp, end);
    while (p < end && HL_IS(*p, HL_VCHAR))
        p++;
    if (p == end)
        return HTTP_PARSE_INCOMPLETE;
    *pp = p;
    return *p == '\r' || *p == '\n' ? 0 : HTTP_PARSE_ERROR;
}

/* The line end at *pp, which holds CR or LF: CRLF, or a lone LF as RFC
 * 9112 2.2 lets a recipient accept. Steps *pp over it; a CR followed by
 * anything but LF is an error (bare CR). */
static inline long hl_eol(const char **pp, const char *end)
{
    const char *p = *pp;
    if (*p == '\r') {
        if (end - p < 2)
            return HTTP_PARSE_INCOMPLETE;
        if (p[1] != '\n')
            return HTTP_PARSE_ERROR;
        p++;
    }
    *pp = p + 1;
    return 0;
}

/* "HTTP/" DIGIT "." DIGIT at *pp, checked byte by byte so that a wrong
 * byte is reported as soon as it arrives. Steps *pp over it. */
static inline long hl_version(const char **pp, const char *end, int *major, int *minor)
{
    static const char proto[] = "HTTP/?.?";
    const char *p = *pp;
    int digits[2], nd = 0;
    for (int i = 0; i < 8; i++, p++) {
        if (p == end)
            return HTTP_PARSE_INCOMPLETE;
        if (proto[i] == '?') {
            if (*p < '0' || *p > '9')
                return HTTP_PARSE_ERROR;
            digits[nd++] = *p - '0';
        } else if (*p != proto[i]) {
            return HTTP_PARSE_ERROR;
        }
    }
    *major = digits[0];
    *minor = digits[1];
    *pp = p;
    return 0;
}

/* One field line at *pp (which is neither a line end nor whitespace):
 * token ":" OWS value OWS line-end, no obs-fold. Stores name and trimmed
 * value in *h and steps *pp past the line end. */
static inline long hl_field_line(const char **pp, const char *end, struct http_header *h,
                                 const char **why)
{
    const char *p = *pp, *name = p;
    while (p < end && HL_IS(*p, HL_TCHAR))
        p++;
    if (p == end)
        return HTTP_PARSE_INCOMPLETE;
    if (*p != ':' || p == name) {
        *why = *p == ':'                ? "empty header name"
               : *p == ' ' || *p == '\t' ? "whitespace before colon in header"
                                        : "invalid header name";
        return HTTP_PARSE_ERROR;
    }
    h->name = str_make(name, (size_t)(p - name));
    p++;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    const char *v = p;
    long r = hl_scan_value(&p, end);
    if (r == HTTP_PARSE_ERROR)
        *why = "invalid character in header value";
    if (r < 0)
        return r;
    const char *ve = p;
    if ((r = hl_eol(&p, end)) < 0) {
        *why = "bare CR";
        return r;
    }
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    h->value = str_make(v, (size_t)(ve - v));
    *pp = p;
    return 0;
}

/* What a parser does with each complete field line: returns 0, or
 * HTTP_PARSE_ERROR with *why when the field is refused. */
typedef long (*hl_field_fn)(void *ctx, const struct http_header *h, const char **why);

/* hl_fields: a field line begins where max fields are already stored. */
#define HL_TOO_MANY (-3)

/* The field lines of a head, up to and including the empty line that ends
 * it. Each is stored in hs[*n], *n is incremented (so the fields so far
 * are there on error too), then it is handed to field(ctx, ...). Returns 0
 * with *pp past the empty line, HTTP_PARSE_INCOMPLETE, HTTP_PARSE_ERROR
 * with *why, or HL_TOO_MANY. With field a constant, the compiler inlines
 * this loop into its one caller and calls field directly. */
static inline long hl_fields(const char **pp, const char *end, struct http_header *hs, size_t max,
                             size_t *n, hl_field_fn field, void *ctx, const char **why)
{
    const char *p = *pp;
    long r;
    for (;;) {
        if (p == end)
            return HTTP_PARSE_INCOMPLETE;
        if (*p == '\r' || *p == '\n') {
            if ((r = hl_eol(&p, end)) == HTTP_PARSE_ERROR)
                *why = "bare CR";
            if (r == 0)
                *pp = p;
            return r;
        }
        if (*p == ' ' || *p == '\t') { /* obs-fold, or space before the first field */
            *why = "header line starts with whitespace";
            return HTTP_PARSE_ERROR;
        }
        if (*n == max)
            return HL_TOO_MANY;
        if ((r = hl_field_line(&p, end, &hs[*n], why)) < 0)
            return r;
        if ((r = field(ctx, &hs[(*n)++], why)) < 0)
            return r;
    }
}

static inline struct str hl_trim_ows(const char *s, const char *e)
{
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    return str_make(s, (size_t)(e - s));
}

/* Iterates a comma-separated list (RFC 9110 5.6.1): *pos is the cursor,
 * NULL once exhausted. Elements come back OWS-trimmed and may be empty. */
static inline bool hl_list_next(const char **pos, const char *end, struct str *elem)
{
    const char *s = *pos, *p = *pos;
    if (p == NULL)
        return false;
    while (p < end && *p != ',')
        p++;
    *elem = hl_trim_ows(s, p);
    *pos = p < end ? p + 1 : NULL;
    return true;
}

/* Content-Length values above this are refused. */
#define HL_MAX_CONTENT_LENGTH ((uint64_t)1 << 62)

/* 1*DIGIT, at most HL_MAX_CONTENT_LENGTH. Returns 0 or -1. */
static inline int hl_parse_length(struct str s, uint64_t *out)
{
    uint64_t v = 0;
    if (s.len == 0)
        return -1;
    for (size_t i = 0; i < s.len; i++) {
        unsigned d = (unsigned)(unsigned char)s.p[i] - '0';
        if (d > 9 || v > (HL_MAX_CONTENT_LENGTH - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* What the framing fields of a head say, gathered line by line. */
struct hl_framing {
    uint64_t content_length;
    unsigned te_chunked; /* "chunked" elements in Transfer-Encoding */
    unsigned te_other;   /* any other coding */
    bool cl_seen;
    bool te_seen;
    bool conn_close;      /* a "close" connection option */
    bool conn_keep_alive; /* a "keep-alive" connection option */
};

/* Content-Length: a value or a list of equal values; repeated fields must
 * agree too (RFC 9110 8.6). */
static inline long hl_content_length(struct hl_framing *f, struct str value, const char **why)
{
    const char *pos = value.p;
    struct str elem;
    while (hl_list_next(&pos, value.p + value.len, &elem)) {
        uint64_t v;
        if (hl_parse_length(elem, &v) < 0) {
            *why = "invalid Content-Length";
            return HTTP_PARSE_ERROR;
        }
        if (f->cl_seen && v != f->content_length) {
            *why = "conflicting Content-Length";
            return HTTP_PARSE_ERROR;
        }
        f->content_length = v;
        f->cl_seen = true;
    }
    return 0;
}

/* Counts the codings of Transfer-Encoding; empty elements are skipped. */
static inline void hl_transfer_encoding(struct hl_framing *f, struct str value)
{
    const char *pos = value.p;
    struct str elem;
    f->te_seen = true;
    while (hl_list_next(&pos, value.p + value.len, &elem)) {
        if (elem.len == 0)
            continue;
        if (STR_CASE_EQ(elem, "chunked"))
            f->te_chunked++;
        else
            f->te_other++;
    }
}

static inline void hl_connection(struct hl_framing *f, struct str value)
{
    const char *pos = value.p;
    struct str elem;
    while (hl_list_next(&pos, value.p + value.len, &elem)) {
        if (STR_CASE_EQ(elem, "close"))
            f->conn_close = true;
        else if (STR_CASE_EQ(elem, "keep-alive"))
            f->conn_keep_alive = true;
    }
}

/* Records a Content-Length, Transfer-Encoding or Connection field in f.
 * Returns 1 when the name was one of them, 0 when not, HTTP_PARSE_ERROR
 * with *why for an invalid or conflicting Content-Length. The length
 * switch keeps the common case (a field nobody interprets) to one
 * comparison. */
static inline long hl_framing_field(struct hl_framing *f, struct str name, struct str value,
                                    const char **why)
{
    switch (name.len) {
    case 10:
        if (!STR_CASE_EQ(name, "connection"))
            return 0;
        hl_connection(f, value);
        return 1;
    case 14:
        if (!STR_CASE_EQ(name, "content-length"))
            return 0;
        return hl_content_length(f, value, why) < 0 ? HTTP_PARSE_ERROR : 1;
    case 17:
        if (!STR_CASE_EQ(name, "transfer-encoding"))
            return 0;
        hl_transfer_encoding(f, value);
        return 1;
    }
    return 0;
}

/* Once the head is complete: NULL when Transfer-Encoding is absent or says
 * exactly "chunked" (once, across lists and repeated fields), else why the
 * framing cannot be trusted (RFC 9112 6.1, 6.3). *unsupported is set when
 * the reason is a coding other than one chunked (a server answers that
 * with 501 rather than 400). */
static inline const char *hl_te_check(const struct hl_framing *f, int minor_version,
                                      bool *unsupported)
{
    *unsupported = false;
    if (!f->te_seen)
        return NULL;
    if (minor_version == 0)
        return "Transfer-Encoding in HTTP/1.0";
    if (f->cl_seen)
        return "both Transfer-Encoding and Content-Length";
    if (f->te_chunked + f->te_other == 0)
        return "empty Transfer-Encoding";
    if (f->te_other != 0 || f->te_chunked != 1) {
        *unsupported = true;
        return "unsupported transfer coding";
    }
    return NULL;
}

/* Whether the connection stays open after the message, by version and
 * Connection options (RFC 9112 9.3): HTTP/1.1 unless "close", HTTP/1.0
 * only with "keep-alive" (and no "close"). */
static inline bool hl_keep_alive(const struct hl_framing *f, int minor_version)
{
    if (minor_version == 1)
        return !f->conn_close;
    return f->conn_keep_alive && !f->conn_close;
}

#endif
