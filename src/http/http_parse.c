/* Request-head parser (RFC 9112 section 2-3, 5-6; RFC 9110 for fields).
 *
 * The head is re-read from its first byte on every call. The scan runs
 * strictly left to right and every decision depends only on the bytes
 * consumed up to that point, so an error found in a prefix is exactly the
 * error the complete input gives: the result never depends on how the input
 * was split. Only the first max_head bytes are ever looked at; when they hold
 * no complete head, the limit error is known and returned at once. The
 * lexical pieces (octet classes, field lines, the framing fields) are in
 * http_lex.h, shared with the response parser. */
#include "http/http_parse.h"

#include <string.h>

#include "http/http_lex.h"

/* Fast path over a request-target up to `stop`: no byte up to SP, no '#'
 * (0x7f as ctl_ok exempts nothing). */
static inline const char *hp_skip_target(const char *p, const char *end, char stop)
{
    return hl_skip(p, end, ' ', 0x7f, '#', stop);
}

/* What the header lines say, gathered until the head is complete. */
struct hp_fields {
    struct hl_framing fr;
    struct str host;
    unsigned host_count;
    bool expect_continue;
};

static long hp_host(struct hp_fields *f, struct str value, const char **why)
{
    if (++f->host_count > 1) {
        *why = "more than one Host header";
        return HTTP_PARSE_ERROR;
    }
    for (size_t i = 0; i < value.len; i++) {
        if (!HL_IS(value.p[i], HL_HCHAR)) {
            *why = "invalid Host header";
            return HTTP_PARSE_ERROR;
        }
    }
    f->host = value;
    return 0;
}

/* Looks at one complete header line (an hl_field_fn: a refused field is a
 * 400); the length switch keeps the common case (a header we do not
 * interpret) to one comparison. */
static long hp_field(void *ctx, const struct http_header *h, const char **why)
{
    struct hp_fields *f = ctx;
    switch (h->name.len) {
    case 4:
        if (STR_CASE_EQ(h->name, "host"))
            return hp_host(f, h->value, why);
        return 0;
    case 6:
        if (STR_CASE_EQ(h->name, "expect"))
            f->expect_continue = STR_CASE_EQ(h->value, "100-continue");
        return 0;
    }
    return hl_framing_field(&f->fr, h->name, h->value, why) < 0 ? HTTP_PARSE_ERROR : 0;
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
            HL_FAIL(out, 400, "asterisk-form request-target");
        else
            HL_FAIL(out, 400, "invalid request-target");
        const char *a = s;
        while (s < lim && *s != '/') {
            /* Also refuses userinfo ('@'): RFC 9110 4.2.4. */
            if (!HL_IS(*s, HL_HCHAR))
                HL_FAIL(out, 400, "invalid authority in request-target");
            s++;
        }
        if (s == a)
            HL_FAIL(out, 400, "empty authority in request-target");
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

    long r;
    for (;;) { /* RFC 9112 2.2: empty lines before the request line */
        if (p == end)
            return HTTP_PARSE_INCOMPLETE;
        if (*p != '\r' && *p != '\n')
            break;
        if ((r = hl_eol(&p, end)) == HTTP_PARSE_ERROR)
            HL_FAIL(out, 400, "bare CR");
        if (r < 0)
            return r;
    }

    const char *m = p;
    while (p < end && HL_IS(*p, HL_TCHAR))
        p++;
    if (p == end)
        return HTTP_PARSE_INCOMPLETE;
    if (*p != ' ' || p == m)
        HL_FAIL(out, 400, "invalid method");
    out->method_str = str_make(m, (size_t)(p - m));
    p++;

    const char *t = p, *q = NULL;
    p = hp_skip_target(p, end, '?');
    while (p < end && HL_IS(*p, HL_UCHAR))
        p++;
    if (p < end && *p == '?') {
        q = p++;
        p = hp_skip_target(p, end, '#');
        while (p < end && HL_IS(*p, HL_QCHAR))
            p++;
    }
    if (p == end)
        return HTTP_PARSE_INCOMPLETE;
    if (*p != ' ') {
        /* For the log: the target as sent, the byte refused and all. */
        const char *te = p;
        while (te < end && *te != ' ' && *te != '\r' && *te != '\n')
            te++;
        out->target = str_make(t, (size_t)(te - t));
        HL_FAIL(out, 400,
                *p == '\r' || *p == '\n' ? "missing HTTP version"
                                         : "invalid character in request-target");
    }
    if (p == t)
        HL_FAIL(out, 400, "empty request-target");
    const char *te = p++;
    out->target = str_make(t, (size_t)(te - t));

    int major, minor;
    const char *v = p;
    if (end - p >= 10 && memcmp(p, "HTTP/1.1\r\n", 10) == 0) {
        major = minor = 1;
        p += 10;
    } else {
        if ((r = hl_version(&p, end, &major, &minor)) == HTTP_PARSE_ERROR)
            HL_FAIL(out, 400, "invalid HTTP version");
        if (r < 0)
            return r;
        if (p == end)
            return HTTP_PARSE_INCOMPLETE;
        if (*p != '\r' && *p != '\n')
            HL_FAIL(out, 400, "invalid HTTP version");
        if ((r = hl_eol(&p, end)) == HTTP_PARSE_ERROR)
            HL_FAIL(out, 400, "bare CR");
        if (r < 0)
            return r;
    }
    out->version = str_make(v, 8); /* "HTTP/d.d", checked by hl_version */

    if (major != 1 || minor > 1)
        HL_FAIL(out, 505, "HTTP version not supported");
    out->minor_version = minor;
    out->method = http_method_from(out->method_str);
    if (out->method == HTTP_METHOD_UNKNOWN)
        HL_FAIL(out, 501, "method not implemented");
    if ((r = hp_target(t, te, q, out)) < 0)
        return r;
    *pp = p;
    return 0;
}

/* Header lines up to and including the empty line. On success returns 0
 * and sets *pp past the empty line. */
static long hp_headers(const char *p, const char *end, const char **pp,
                       struct hp_fields *f, struct http_request_head *out)
{
    const char *why = NULL;
    long r = hl_fields(&p, end, out->headers, HTTP_MAX_HEADERS, &out->num_headers, hp_field, f,
                       &why);
    if (r == HL_TOO_MANY)
        HL_FAIL(out, 431, "too many header fields");
    if (r == HTTP_PARSE_ERROR)
        HL_FAIL(out, 400, why);
    if (r < 0)
        return r;
    *pp = p;
    return 0;
}

/* Checks across fields, once the head is complete. */
static long hp_finish(const struct hp_fields *f, struct http_request_head *out)
{
    if (out->minor_version == 1 && f->host_count == 0)
        HL_FAIL(out, 400, "missing Host header");
    const struct hl_framing *fr = &f->fr;
    bool unsupported;
    const char *why = hl_te_check(fr, out->minor_version, &unsupported);
    if (why)
        HL_FAIL(out, unsupported ? 501 : 400, why);
    out->chunked = fr->te_seen;
    out->content_length = fr->cl_seen ? (int64_t)fr->content_length : -1;
    if (out->authority.len != 0)
        out->host = out->authority; /* RFC 9112 3.2.2 */
    else if (f->host_count != 0)
        out->host = f->host;
    out->keep_alive = hl_keep_alive(fr, out->minor_version);
    /* RFC 9110 10.1.1: ignored in an HTTP/1.0 request. */
    out->expect_continue = f->expect_continue && out->minor_version == 1;
    return 0;
}

void http_request_head_reset(struct http_request_head *h, const char *buf)
{
    /* Not a memset: the header array is only valid up to num_headers. */
    h->method = HTTP_METHOD_UNKNOWN;
    h->method_str = h->target = h->path = h->query = str_make(buf, 0);
    h->authority = h->host = h->version = str_make(buf, 0);
    h->has_query = false;
    h->minor_version = 1;
    h->num_headers = 0;
    h->content_length = -1;
    h->chunked = h->keep_alive = h->expect_continue = false;
    h->error_status = 0;
    h->error_reason = NULL;
}

long http_parse_request(const char *buf, size_t len, size_t max_head,
                        struct http_request_head *out)
{
    const char *end = buf + (len < max_head ? len : max_head);
    const char *p = buf;
    struct hp_fields f = {0};
    long r;

    http_request_head_reset(out, buf);

    r = hp_request_line(buf, end, &p, out);
    if (r == HTTP_PARSE_INCOMPLETE && len >= max_head)
        HL_FAIL(out, 414, "request line too long");
    if (r < 0)
        return r;
    r = hp_headers(p, end, &p, &f, out);
    if (r == HTTP_PARSE_INCOMPLETE && len >= max_head)
        HL_FAIL(out, 431, "request head too large");
    if (r < 0)
        return r;
    r = hp_finish(&f, out);
    if (r < 0)
        return r;
    return (long)(p - buf);
}

const struct http_header *http_headers_find(const struct http_header *headers, size_t n,
                                            const char *lower_name, size_t name_len)
{
    for (size_t i = 0; i < n; i++)
        if (str_case_eq(headers[i].name, lower_name, name_len))
            return &headers[i];
    return NULL;
}

bool http_headers_connection_names(const struct http_header *headers, size_t n, struct str name)
{
    for (size_t i = 0; i < n; i++) {
        if (!STR_CASE_EQ(headers[i].name, "connection"))
            continue;
        struct str v = headers[i].value;
        for (size_t a = 0; a < v.len;) {
            size_t b = a;
            while (b < v.len && v.p[b] != ',')
                b++;
            size_t s = a, e = b;
            while (s < e && ascii_is_blank((unsigned char)v.p[s]))
                s++;
            while (e > s && ascii_is_blank((unsigned char)v.p[e - 1]))
                e--;
            if (e - s == name.len && ascii_case_eq(v.p + s, name.p, name.len))
                return true;
            a = b + 1;
        }
    }
    return false;
}

const struct http_header *http_find_header(const struct http_request_head *h,
                                           const char *lower_name, size_t name_len)
{
    return http_headers_find(h->headers, h->num_headers, lower_name, name_len);
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
    case 5:
        if (STR_EQ(s, "PATCH"))
            return HTTP_PATCH;
        break;
    case 6:
        if (STR_EQ(s, "DELETE"))
            return HTTP_DELETE;
        break;
    case 7:
        if (STR_EQ(s, "OPTIONS"))
            return HTTP_OPTIONS;
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
    case HTTP_OPTIONS:
        return "OPTIONS";
    case HTTP_PATCH:
        return "PATCH";
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
                            &h->query,      &h->authority, &h->host, &h->version};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        rebase(fields[i], from, len, to);
    for (size_t i = 0; i < h->num_headers; i++) {
        rebase(&h->headers[i].name, from, len, to);
        rebase(&h->headers[i].value, from, len, to);
    }
}
