/* Request-head parser (RFC 9112 section 2-3, 5-6; RFC 9110 for fields).
 *
 * The head is re-read from its first byte on every call. The scan runs
 * strictly left to right and every decision depends only on the bytes
 * consumed up to that point, so an error found in a prefix is exactly the
 * error the complete input gives: the result never depends on how the input
 * was split. Only the first max_head bytes are ever looked at; when they hold
 * no complete head, the limit error is known and returned at once. */
#include "http/http_parse.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Octet classes. */
enum {
    HP_TCHAR = 1,  /* token (RFC 9110 5.6.2) */
    HP_VCHAR = 2,  /* inside a field value: VCHAR, obs-text, SP, HTAB */
    HP_UCHAR = 4,  /* request-target before the query: visible, obs-text; not '#', '?' */
    HP_QCHAR = 8,  /* request-target in the query: as HP_UCHAR plus '?' */
    HP_HCHAR = 16, /* uri-host [":" port]: unreserved, sub-delims, ':', '[', ']', '%' */
};

static const unsigned char hp_class[256] = {
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

#define HP_IS(c, cls) (hp_class[(unsigned char)(c)] & (cls))

/* Fast paths over the long runs of a head: skip, 16 bytes at a time and
 * never past end, bytes a field value (hp_skip_value) or a request-target
 * up to `stop` (hp_skip_target) may hold. They return the first byte that
 * may not be skipped, or the start of the last partial block; the
 * table-driven loops after them finish the job (and do all of it without
 * SSE2). */
static inline const char *hp_skip_value(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i c1f = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f);
    const __m128i tab = _mm_set1_epi8('\t');
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i bad = _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x); /* x <= 0x1f */
        bad = _mm_andnot_si128(_mm_cmpeq_epi8(x, tab), bad);
        bad = _mm_or_si128(bad, _mm_cmpeq_epi8(x, del));
        int m = _mm_movemask_epi8(bad);
        if (m != 0)
            return p + __builtin_ctz((unsigned)m);
        p += 16;
    }
#endif
    (void)end;
    return p;
}

static inline const char *hp_skip_target(const char *p, const char *end, char stop)
{
#if defined(__SSE2__)
    const __m128i c20 = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
    const __m128i hash = _mm_set1_epi8('#'), st = _mm_set1_epi8(stop);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i bad = _mm_cmpeq_epi8(_mm_min_epu8(x, c20), x); /* x <= SP */
        bad = _mm_or_si128(bad, _mm_cmpeq_epi8(x, del));
        bad = _mm_or_si128(bad, _mm_cmpeq_epi8(x, hash));
        bad = _mm_or_si128(bad, _mm_cmpeq_epi8(x, st));
        int m = _mm_movemask_epi8(bad);
        if (m != 0)
            return p + __builtin_ctz((unsigned)m);
        p += 16;
    }
#endif
    (void)end;
    (void)stop;
    return p;
}

/* Content-Length values above this are refused (400). */
#define HP_MAX_CONTENT_LENGTH ((uint64_t)1 << 62)

#define HP_FAIL(out, status, reason)                                                     \
    do {                                                                                 \
        (out)->error_status = (status);                                                  \
        (out)->error_reason = (reason);                                                  \
        return HTTP_PARSE_ERROR;                                                         \
    } while (0)

/* What the header lines say, gathered until the head is complete. */
struct hp_fields {
    uint64_t content_length;
    struct str host;
    unsigned host_count;
    unsigned te_chunked; /* "chunked" elements in Transfer-Encoding */
    unsigned te_other;   /* any other coding */
    bool cl_seen;
    bool te_seen;
    bool conn_close;
    bool conn_keep_alive;
    bool expect_continue;
};

static struct str hp_trim_ows(const char *s, const char *e)
{
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    return str_make(s, (size_t)(e - s));
}

/* Iterates a comma-separated list (RFC 9110 5.6.1): *pos is the cursor,
 * NULL once exhausted. Elements come back OWS-trimmed and may be empty. */
static bool hp_list_next(const char **pos, const char *end, struct str *elem)
{
    const char *s = *pos, *p = *pos;
    if (p == NULL)
        return false;
    while (p < end && *p != ',')
        p++;
    *elem = hp_trim_ows(s, p);
    *pos = p < end ? p + 1 : NULL;
    return true;
}

/* 1*DIGIT, at most HP_MAX_CONTENT_LENGTH. Returns 0 or -1. */
static int hp_parse_length(struct str s, uint64_t *out)
{
    uint64_t v = 0;
    if (s.len == 0)
        return -1;
    for (size_t i = 0; i < s.len; i++) {
        unsigned d = (unsigned)(unsigned char)s.p[i] - '0';
        if (d > 9 || v > (HP_MAX_CONTENT_LENGTH - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Content-Length: a value or a list of equal values; repeated headers must
 * agree too (RFC 9110 8.6). */
static long hp_content_length(struct hp_fields *f, struct str value,
                              struct http_request_head *out)
{
    const char *pos = value.p;
    struct str elem;
    while (hp_list_next(&pos, value.p + value.len, &elem)) {
        uint64_t v;
        if (hp_parse_length(elem, &v) < 0)
            HP_FAIL(out, 400, "invalid Content-Length");
        if (f->cl_seen && v != f->content_length)
            HP_FAIL(out, 400, "conflicting Content-Length");
        f->content_length = v;
        f->cl_seen = true;
    }
    return 0;
}

static long hp_host(struct hp_fields *f, struct str value, struct http_request_head *out)
{
    if (++f->host_count > 1)
        HP_FAIL(out, 400, "more than one Host header");
    for (size_t i = 0; i < value.len; i++)
        if (!HP_IS(value.p[i], HP_HCHAR))
            HP_FAIL(out, 400, "invalid Host header");
    f->host = value;
    return 0;
}

static void hp_transfer_encoding(struct hp_fields *f, struct str value)
{
    const char *pos = value.p;
    struct str elem;
    f->te_seen = true;
    while (hp_list_next(&pos, value.p + value.len, &elem)) {
        if (elem.len == 0)
            continue;
        if (STR_CASE_EQ(elem, "chunked"))
            f->te_chunked++;
        else
            f->te_other++;
    }
}

static void hp_connection(struct hp_fields *f, struct str value)
{
    const char *pos = value.p;
    struct str elem;
    while (hp_list_next(&pos, value.p + value.len, &elem)) {
        if (STR_CASE_EQ(elem, "close"))
            f->conn_close = true;
        else if (STR_CASE_EQ(elem, "keep-alive"))
            f->conn_keep_alive = true;
    }
}

/* Looks at one complete header line; the length switch keeps the common
 * case (a header we do not interpret) to one comparison. */
static long hp_field(struct hp_fields *f, struct str name, struct str value,
                     struct http_request_head *out)
{
    switch (name.len) {
    case 4:
        if (STR_CASE_EQ(name, "host"))
            return hp_host(f, value, out);
        break;
    case 6:
        if (STR_CASE_EQ(name, "expect"))
            f->expect_continue = STR_CASE_EQ(value, "100-continue");
        break;
    case 10:
        if (STR_CASE_EQ(name, "connection"))
            hp_connection(f, value);
        break;
    case 14:
        if (STR_CASE_EQ(name, "content-length"))
            return hp_content_length(f, value, out);
        break;
    case 17:
        if (STR_CASE_EQ(name, "transfer-encoding"))
            hp_transfer_encoding(f, value);
        break;
    }
    return 0;
}

/* Splits the request-target [t, e) (q: its first '?' or NULL) into path,
 * query and authority. Only origin-form and absolute-form are valid for the
 * methods we implement (RFC 9112 3.2). */
static long hp_target(const char *t, const char *e, const char *q,
                      struct http_request_head *out)
{
    const char *lim = q ? q : e;
    out->authority = str_make(t, 0);
    if (*t == '/') {
        out->path = str_make(t, (size_t)(lim - t));
    } else {
        const char *s;
        if (e - t >= 7 && str_case_eq(str_make(t, 7), "http://", 7))
            s = t + 7;
        else if (e - t >= 8 && str_case_eq(str_make(t, 8), "https://", 8))
            s = t + 8;
        else if (e - t == 1 && *t == '*')
            HP_FAIL(out, 400, "asterisk-form request-target");
        else
            HP_FAIL(out, 400, "invalid request-target");
        const char *a = s;
        while (s < lim && *s != '/') {
            /* Also refuses userinfo ('@'): RFC 9110 4.2.4. */
            if (!HP_IS(*s, HP_HCHAR))
                HP_FAIL(out, 400, "invalid authority in request-target");
            s++;
        }
        if (s == a)
            HP_FAIL(out, 400, "empty authority in request-target");
        out->authority = str_make(a, (size_t)(s - a));
        out->path = s < lim ? str_make(s, (size_t)(lim - s)) : STR_LIT("/");
    }
    if (q) {
        out->has_query = true;
        out->query = str_make(q + 1, (size_t)(e - q - 1));
    } else {
        out->query = str_make(e, 0);
    }
    return 0;
}

/* The request line, after any leading empty lines. On success returns 0 and
 * sets *pp past its line end. */
static long hp_request_line(const char *buf, const char *end, const char **pp,
                            struct http_request_head *out)
{
    const char *p = buf;

    for (;;) { /* RFC 9112 2.2: empty lines before the request line */
        if (p == end)
            return HTTP_PARSE_INCOMPLETE;
        if (*p == '\n') {
            p++;
            continue;
        }
        if (*p != '\r')
            break;
        if (end - p < 2)
            return HTTP_PARSE_INCOMPLETE;
        if (p[1] != '\n')
            HP_FAIL(out, 400, "bare CR");
        p += 2;
    }

    const char *m = p;
    while (p < end && HP_IS(*p, HP_TCHAR))
        p++;
    if (p == end)
        return HTTP_PARSE_INCOMPLETE;
    if (*p != ' ' || p == m)
        HP_FAIL(out, 400, "invalid method");
    out->method_str = str_make(m, (size_t)(p - m));
    p++;

    const char *t = p, *q = NULL;
    p = hp_skip_target(p, end, '?');
    while (p < end && HP_IS(*p, HP_UCHAR))
        p++;
    if (p < end && *p == '?') {
        q = p++;
        p = hp_skip_target(p, end, '#');
        while (p < end && HP_IS(*p, HP_QCHAR))
            p++;
    }
    if (p == end)
        return HTTP_PARSE_INCOMPLETE;
    if (*p != ' ')
        HP_FAIL(out, 400,
                *p == '\r' || *p == '\n' ? "missing HTTP version"
                                         : "invalid character in request-target");
    if (p == t)
        HP_FAIL(out, 400, "empty request-target");
    const char *te = p++;
    out->target = str_make(t, (size_t)(te - t));

    int major, minor;
    if (end - p >= 10 && memcmp(p, "HTTP/1.1\r\n", 10) == 0) {
        major = minor = 1;
        p += 10;
    } else {
        /* "HTTP/" DIGIT "." DIGIT, checked byte by byte so that a wrong
         * byte is reported as soon as it arrives. */
        static const char proto[] = "HTTP/?.?";
        int digits[2], nd = 0;
        for (int i = 0; i < 8; i++, p++) {
            if (p == end)
                return HTTP_PARSE_INCOMPLETE;
            if (proto[i] == '?') {
                if (*p < '0' || *p > '9')
                    HP_FAIL(out, 400, "invalid HTTP version");
                digits[nd++] = *p - '0';
            } else if (*p != proto[i]) {
                HP_FAIL(out, 400, "invalid HTTP version");
            }
        }
        if (p == end)
            return HTTP_PARSE_INCOMPLETE;
        if (*p == '\r') {
            if (++p == end)
                return HTTP_PARSE_INCOMPLETE;
            if (*p != '\n')
                HP_FAIL(out, 400, "bare CR");
        } else if (*p != '\n') {
            HP_FAIL(out, 400, "invalid HTTP version");
        }
        p++;
        major = digits[0];
        minor = digits[1];
    }

    if (major != 1 || minor > 1)
        HP_FAIL(out, 505, "HTTP version not supported");
    out->minor_version = minor;
    out->method = http_method_from(out->method_str);
    if (out->method == HTTP_METHOD_UNKNOWN)
        HP_FAIL(out, 501, "method not implemented");
    long r = hp_target(t, te, q, out);
    if (r < 0)
        return r;
    *pp = p;
    return 0;
}

/* Header lines up to and including the empty line. On success returns 0
 * and sets *pp past the empty line. */
static long hp_headers(const char *p, const char *end, const char **pp,
                       struct hp_fields *f, struct http_request_head *out)
{
    size_t n = 0;
    for (;;) {
        if (p == end)
            return HTTP_PARSE_INCOMPLETE;
        if (*p == '\r') {
            if (end - p < 2)
                return HTTP_PARSE_INCOMPLETE;
            if (p[1] != '\n')
                HP_FAIL(out, 400, "bare CR");
            p += 2;
            break;
        }
        if (*p == '\n') {
            p++;
            break;
        }
        if (*p == ' ' || *p == '\t') /* obs-fold, or space before the first field */
            HP_FAIL(out, 400, "header line starts with whitespace");
        if (n == HTTP_MAX_HEADERS)
            HP_FAIL(out, 431, "too many header fields");

        const char *name = p;
        while (p < end && HP_IS(*p, HP_TCHAR))
            p++;
        if (p == end)
            return HTTP_PARSE_INCOMPLETE;
        if (*p != ':')
            HP_FAIL(out, 400,
                    *p == ' ' || *p == '\t' ? "whitespace before colon in header"
                                            : "invalid header name");
        if (p == name)
            HP_FAIL(out, 400, "empty header name");
        struct str nm = str_make(name, (size_t)(p - name));
        p++;

        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *v = p;
        p = hp_skip_value(p, end);
        while (p < end && HP_IS(*p, HP_VCHAR))
            p++;
        if (p == end)
            return HTTP_PARSE_INCOMPLETE;
        const char *ve = p;
        if (*p == '\r') {
            if (end - p < 2)
                return HTTP_PARSE_INCOMPLETE;
            if (p[1] != '\n')
                HP_FAIL(out, 400, "bare CR");
            p += 2;
        } else if (*p == '\n') {
            p++;
        } else {
            HP_FAIL(out, 400, "invalid character in header value");
        }
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;

        struct http_header *h = &out->headers[n++];
        h->name = nm;
        h->value = str_make(v, (size_t)(ve - v));
        out->num_headers = n;
        long r = hp_field(f, h->name, h->value, out);
        if (r < 0)
            return r;
    }
    *pp = p;
    return 0;
}

/* Checks across fields, once the head is complete. */
static long hp_finish(const struct hp_fields *f, struct http_request_head *out)
{
    if (out->minor_version == 1 && f->host_count == 0)
        HP_FAIL(out, 400, "missing Host header");
    if (f->te_seen) {
        /* RFC 9112 6.1 and 6.3: framing a server cannot trust. */
        if (out->minor_version == 0)
            HP_FAIL(out, 400, "Transfer-Encoding in HTTP/1.0 request");
        if (f->cl_seen)
            HP_FAIL(out, 400, "both Transfer-Encoding and Content-Length");
        if (f->te_chunked + f->te_other == 0)
            HP_FAIL(out, 400, "empty Transfer-Encoding");
        if (f->te_other != 0 || f->te_chunked != 1)
            HP_FAIL(out, 501, "unsupported transfer coding");
        out->chunked = true;
    }
    out->content_length = f->cl_seen ? (int64_t)f->content_length : -1;
    if (out->authority.len != 0)
        out->host = out->authority; /* RFC 9112 3.2.2 */
    else if (f->host_count != 0)
        out->host = f->host;
    if (out->minor_version == 1)
        out->keep_alive = !f->conn_close;
    else
        out->keep_alive = f->conn_keep_alive && !f->conn_close;
    /* RFC 9110 10.1.1: ignored in an HTTP/1.0 request. */
    out->expect_continue = f->expect_continue && out->minor_version == 1;
    return 0;
}

long http_parse_request(const char *buf, size_t len, size_t max_head,
                        struct http_request_head *out)
{
    const char *end = buf + (len < max_head ? len : max_head);
    const char *p = buf;
    struct hp_fields f = {0};
    long r;

    /* Not a memset: the header array is only valid up to num_headers. */
    out->method = HTTP_METHOD_UNKNOWN;
    out->method_str = out->target = out->path = out->query = str_make(buf, 0);
    out->authority = out->host = str_make(buf, 0);
    out->has_query = false;
    out->minor_version = 1;
    out->num_headers = 0;
    out->content_length = -1;
    out->chunked = out->keep_alive = out->expect_continue = false;
    out->error_status = 0;
    out->error_reason = NULL;

    r = hp_request_line(buf, end, &p, out);
    if (r == HTTP_PARSE_INCOMPLETE && len >= max_head)
        HP_FAIL(out, 414, "request line too long");
    if (r < 0)
        return r;
    r = hp_headers(p, end, &p, &f, out);
    if (r == HTTP_PARSE_INCOMPLETE && len >= max_head)
        HP_FAIL(out, 431, "request head too large");
    if (r < 0)
        return r;
    r = hp_finish(&f, out);
    if (r < 0)
        return r;
    return (long)(p - buf);
}

const struct http_header *http_find_header(const struct http_request_head *h,
                                           const char *lower_name, size_t name_len)
{
    for (size_t i = 0; i < h->num_headers; i++)
        if (str_case_eq(h->headers[i].name, lower_name, name_len))
            return &h->headers[i];
    return NULL;
}

enum http_method http_method_from(struct str s)
{
    switch (s.len) {
    case 3:
        if (STR_EQ(s, "GET"))
            return HTTP_GET;
        if (STR_EQ(s, "PUT"))
            return HTTP_PUT;
        break;
    case 4:
        if (STR_EQ(s, "HEAD"))
            return HTTP_HEAD;
        if (STR_EQ(s, "POST"))
            return HTTP_POST;
        break;
    case 6:
        if (STR_EQ(s, "DELETE"))
            return HTTP_DELETE;
        break;
    }
    return HTTP_METHOD_UNKNOWN;
}

const char *http_method_name(enum http_method m)
{
    switch (m) {
    case HTTP_GET:
        return "GET";
    case HTTP_HEAD:
        return "HEAD";
    case HTTP_POST:
        return "POST";
    case HTTP_PUT:
        return "PUT";
    case HTTP_DELETE:
        return "DELETE";
    default:
        return "UNKNOWN";
    }
}

static void rebase(struct str *s, const char *from, size_t len, const char *to)
{
    if (s->p && s->p >= from && s->p <= from + len)
        s->p = to + (s->p - from);
}

void http_head_rebase(struct http_request_head *h, const char *from, size_t len, const char *to)
{
    struct str *fields[] = {&h->method_str, &h->target, &h->path,
                            &h->query,      &h->authority, &h->host};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        rebase(fields[i], from, len, to);
    for (size_t i = 0; i < h->num_headers; i++) {
        rebase(&h->headers[i].name, from, len, to);
        rebase(&h->headers[i].value, from, len, to);
    }
}
