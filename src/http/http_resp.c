/* Response-head parser (RFC 9112 4-6): see http_resp.h.
 *
 * The discipline of the request parser, with which it shares its lexical
 * pieces (http_lex.h): the head is re-read from its first byte on every
 * call, the scan runs strictly left to right and every decision depends
 * only on the bytes consumed up to that point, so an error found in a
 * prefix is exactly the error the complete input gives, and the result
 * never depends on how the input was split. Only the first max_head bytes
 * are ever looked at. Every error is the gateway's 502. */
#include "http/http_resp.h"

#include "http/http_lex.h"

#define HR_FAIL(out, reason) HL_FAIL(out, 502, reason)

/* What the header lines say, gathered until the head is complete. */
struct hr_fields {
    struct hl_framing fr;
    bool upgrade; /* an Upgrade field naming at least one protocol */
};

/* Looks at one complete header line (an hl_field_fn). */
static long hr_field(void *ctx, const struct http_header *h, const char **why)
{
    struct hr_fields *f = ctx;
    if (h->name.len == 7 && STR_CASE_EQ(h->name, "upgrade")) {
        const char *pos = h->value.p;
        struct str elem;
        while (hl_list_next(&pos, h->value.p + h->value.len, &elem))
            f->upgrade |= elem.len != 0;
        return 0;
    }
    return hl_framing_field(&f->fr, h->name, h->value, why) < 0 ? HTTP_PARSE_ERROR : 0;
}

/* The status line. On success returns 0 and sets *pp past its line end. */
static long hr_status_line(const char *buf, const char *end, const char **pp,
                           struct http_response_in *out)
{
    const char *p = buf;
    int major, minor, status = 0;
    long r = hl_version(&p, end, &major, &minor);
    if (r == HTTP_PARSE_ERROR)
        HR_FAIL(out, "invalid HTTP version");
    if (r < 0)
        return r;
    if (major != 1)
        HR_FAIL(out, "unsupported HTTP version");
    out->minor_version = minor == 0 ? 0 : 1; /* RFC 9110 2.5: 1.x is 1.1 to us */
    if (p == end)
        return HTTP_PARSE_INCOMPLETE;
    if (*p++ != ' ')
        HR_FAIL(out, "invalid HTTP version");

    for (int i = 0; i < 3; i++, p++) { /* 100..599 */
        if (p == end)
            return HTTP_PARSE_INCOMPLETE;
        if (*p < (i == 0 ? '1' : '0') || *p > (i == 0 ? '5' : '9'))
            HR_FAIL(out, "invalid status code");
        status = status * 10 + (*p - '0');
    }
    out->status = status;

    if (p == end)
        return HTTP_PARSE_INCOMPLETE;
    const char *rs = p;
    if (*p == ' ') {
        rs = ++p;
        if ((r = hl_scan_value(&p, end)) == HTTP_PARSE_ERROR)
            HR_FAIL(out, "invalid character in reason phrase");
        if (r < 0)
            return r;
    } else if (*p != '\r' && *p != '\n') {
        HR_FAIL(out, "invalid status code");
    } /* else "HTTP/1.1 200" CRLF: an empty reason without its SP */
    out->reason = str_make(rs, (size_t)(p - rs));
    if ((r = hl_eol(&p, end)) == HTTP_PARSE_ERROR)
        HR_FAIL(out, "bare CR");
    if (r < 0)
        return r;
    *pp = p;
    return 0;
}

/* Checks across fields and derives the framing, once the head is complete
 * (the order of the rules is in http_resp.h). */
static long hr_finish(const struct hr_fields *f, bool head_request,
                      struct http_response_in *out)
{
    const struct hl_framing *fr = &f->fr;
    int s = out->status;
    bool unsupported;
    const char *why = hl_te_check(fr, out->minor_version, &unsupported);
    if (why)
        HR_FAIL(out, why);
    if (s == 101 && !f->upgrade)
        HR_FAIL(out, "101 without Upgrade");

    out->has_content_length = fr->cl_seen;
    out->content_length = fr->cl_seen ? fr->content_length : 0;
    if (head_request || s < 200 || s == 204 || s == 304)
        out->body = HTTP_BODY_NONE;
    else if (fr->te_seen)
        out->body = HTTP_BODY_CHUNKED;
    else if (fr->cl_seen)
        out->body = HTTP_BODY_LENGTH;
    else
        out->body = HTTP_BODY_CLOSE;
    out->upgrade = s == 101;
    out->keep_alive = hl_keep_alive(fr, out->minor_version) && out->body != HTTP_BODY_CLOSE &&
                      !out->upgrade;
    return 0;
}

long http_parse_response(const char *buf, size_t len, size_t max_head, bool head_request,
                         struct http_response_in *out)
{
    const char *end = buf + (len < max_head ? len : max_head);
    const char *p = buf, *why = NULL;
    struct hr_fields f = {0};
    long r;

    /* Not a memset: the header array is only valid up to num_headers. */
    out->minor_version = 1;
    out->status = 0;
    out->reason = str_make(buf, 0);
    out->num_headers = 0;
    out->body = HTTP_BODY_NONE;
    out->content_length = 0;
    out->has_content_length = out->keep_alive = out->upgrade = false;
    out->error_status = 0;
    out->error_reason = NULL;

    r = hr_status_line(buf, end, &p, out);
    if (r == HTTP_PARSE_INCOMPLETE && len >= max_head)
        HR_FAIL(out, "status line too long");
    if (r < 0)
        return r;
    r = hl_fields(&p, end, out->headers, HTTP_RESP_MAX_HEADERS, &out->num_headers, hr_field, &f,
                  &why);
    if (r == HTTP_PARSE_INCOMPLETE && len >= max_head)
        HR_FAIL(out, "response head too large");
    if (r == HL_TOO_MANY)
        HR_FAIL(out, "too many header fields");
    if (r == HTTP_PARSE_ERROR)
        HR_FAIL(out, why);
    if (r < 0)
        return r;
    if ((r = hr_finish(&f, head_request, out)) < 0)
        return r;
    return (long)(p - buf);
}

const struct http_header *http_resp_find(const struct http_response_in *r,
                                         const char *lower_name, size_t name_len)
{
    return http_headers_find(r->headers, r->num_headers, lower_name, name_len);
}
