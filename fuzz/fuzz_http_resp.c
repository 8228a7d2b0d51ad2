// link: src/http/http_resp.c src/http/http_parse.c
/* libFuzzer driver for http_parse_response, the parser of the response
 * head an upstream server sends to the proxy.
 *
 * Input: two control bytes, then the bytes handed to the parser. The low
 * seven bits of the first and the second pick max_head (64..16384, spread
 * log-uniformly so that the limit is reached often); the top bit of the
 * first says the request was HEAD. Each parse sees a heap copy of exactly
 * its length, so ASan catches a read one byte too far.
 *
 * Invariants:
 *   - the result is HTTP_PARSE_ERROR, HTTP_PARSE_INCOMPLETE or in 1..len,
 *     never more than max_head; INCOMPLETE only while fewer than max_head
 *     bytes; an error is 502 with a reason;
 *   - on success: the head starts with "HTTP/1." and ends with LF; status
 *     100..599 as its three digits say; every slice lies inside the head;
 *     names are tokens followed by ':', values and the reason hold no
 *     control byte but HTAB, values are trimmed; at most
 *     HTTP_RESP_MAX_HEADERS fields, in input order;
 *   - the framing agrees with the fields: HEAD, 1xx, 204 and 304 have no
 *     body; otherwise chunked exactly when Transfer-Encoding is present,
 *     a length exactly when Content-Length is (and not Transfer-Encoding),
 *     else until close; never both; upgrade exactly for 101, which has an
 *     Upgrade field; no keep-alive with a close-delimited body or after a
 *     101, nor for HTTP/1.0 without a Connection field;
 *   - the result does not depend on how the input was split: a prefix
 *     gives INCOMPLETE or the very same result (same error, or same length
 *     and the same fields at the same offsets); a prefix at least as long
 *     as the head gives the same result. A few prefixes are sampled;
 *   - a larger max_head changes neither a success nor an error found
 *     before the limit;
 *   - the result written back as a canonical head ("HTTP/1.m SSS reason",
 *     "Name: value" lines, all CRLF) parses to the same fields. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_resp.h"
#include "fuzz.h"

#define MAX_HEAD_MIN 64
#define MAX_HEAD_MAX 16384
#define CL_MAX ((uint64_t)1 << 62)

static struct http_response_in g_full, g_other;

/* No control byte but HTAB (so no CR, LF or NUL either). */
static int clean_text(struct str v)
{
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

static int is_limit_error(const struct http_response_in *r)
{
    return strcmp(r->error_reason, "status line too long") == 0 ||
           strcmp(r->error_reason, "response head too large") == 0;
}

static void check_fields(const struct http_response_in *r, const char *buf, size_t n)
{
    CHECK(r->num_headers <= HTTP_RESP_MAX_HEADERS);
    for (size_t i = 0; i < r->num_headers; i++) {
        struct str nm = r->headers[i].name, v = r->headers[i].value;
        CHECK(fuzz_str_inside(nm, buf, n) && nm.len > 0);
        for (size_t j = 0; j < nm.len; j++)
            CHECK(fuzz_is_tchar((unsigned char)nm.p[j]));
        CHECK(nm.p + nm.len < buf + n && nm.p[nm.len] == ':');
        CHECK(fuzz_str_inside(v, buf, n) && clean_text(v));
        CHECK(v.p > nm.p + nm.len); /* past the colon */
        if (v.len)
            CHECK(!fuzz_is_ows(v.p[0]) && !fuzz_is_ows(v.p[v.len - 1]));
        if (i)
            CHECK(nm.p > r->headers[i - 1].value.p);
    }
}

/* The framing against the fields it came from. */
static void check_framing(const struct http_response_in *r, bool head)
{
    int s = r->status;
    bool te = http_resp_find(r, "transfer-encoding", 17) != NULL;
    bool cl = http_resp_find(r, "content-length", 14) != NULL;
    CHECK(r->has_content_length == cl && !(te && cl));
    CHECK(!te || r->minor_version == 1);
    CHECK(r->content_length <= CL_MAX && (cl || r->content_length == 0));
    if (head || s < 200 || s == 204 || s == 304)
        CHECK(r->body == HTTP_BODY_NONE);
    else if (te)
        CHECK(r->body == HTTP_BODY_CHUNKED && r->minor_version == 1);
    else if (cl)
        CHECK(r->body == HTTP_BODY_LENGTH);
    else
        CHECK(r->body == HTTP_BODY_CLOSE);
    CHECK(r->upgrade == (s == 101));
    if (r->upgrade)
        CHECK(http_resp_find(r, "upgrade", 7) != NULL);
    if (r->body == HTTP_BODY_CLOSE || r->upgrade)
        CHECK(!r->keep_alive);
    if (r->keep_alive && r->minor_version == 0)
        CHECK(http_resp_find(r, "connection", 10) != NULL);
}

/* The checks on one successful parse of buf that took n bytes. */
static void check_ok(const struct http_response_in *r, const char *buf, size_t n, bool head)
{
    CHECK(n >= 14 && memcmp(buf, "HTTP/1.", 7) == 0 && buf[n - 1] == '\n');
    CHECK(r->minor_version == (buf[7] == '0' ? 0 : 1));
    CHECK(r->status >= 100 && r->status <= 599);
    CHECK(r->status == (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0'));
    CHECK(r->error_status == 0 && r->error_reason == NULL);
    CHECK(fuzz_str_inside(r->reason, buf, n) && clean_text(r->reason));
    if (r->reason.len)
        CHECK(r->reason.p == buf + 13);
    check_fields(r, buf, n);
    check_framing(r, head);
}

/* Two successful parses agree. */
static void check_same(const struct http_response_in *x, const char *xb,
                       const struct http_response_in *y, const char *yb, int offsets)
{
    CHECK(x->minor_version == y->minor_version && x->status == y->status);
    CHECK(x->num_headers == y->num_headers && x->body == y->body);
    CHECK(x->content_length == y->content_length);
    CHECK(x->has_content_length == y->has_content_length);
    CHECK(x->keep_alive == y->keep_alive && x->upgrade == y->upgrade);
    fuzz_same_str(x->reason, y->reason, xb, yb, offsets);
    for (size_t i = 0; i < x->num_headers; i++) {
        fuzz_same_str(x->headers[i].name, y->headers[i].name, xb, yb, offsets);
        fuzz_same_str(x->headers[i].value, y->headers[i].value, xb, yb, offsets);
    }
}

/* Two results agree: the same error, or the same success. */
static void check_same_result(long a, const struct http_response_in *x, const char *xb, long b,
                              const struct http_response_in *y, const char *yb)
{
    CHECK(a == b);
    if (a == HTTP_PARSE_ERROR)
        CHECK(x->error_status == y->error_status &&
              strcmp(x->error_reason, y->error_reason) == 0);
    else if (a > 0)
        check_same(x, xb, y, yb, 1);
}

/* Parses a heap copy of exactly src[0..n). */
static long parse_copy(const char *src, size_t n, size_t max_head, bool head,
                       struct http_response_in *r, char **copy)
{
    *copy = fuzz_copy(src, n);
    return http_parse_response(*copy, n, max_head, head, r);
}

static void check_prefix(const char *in, size_t max_head, bool head, long full,
                         const char *full_buf, size_t k)
{
    char *buf;
    long r = parse_copy(in, k, max_head, head, &g_other, &buf);
    /* Once the head is in, or once these k bytes settle it, the whole input
     * says the same; until then max_head bytes always settle it. */
    if ((full > 0 && k >= (size_t)full) || r != HTTP_PARSE_INCOMPLETE)
        check_same_result(full, &g_full, full_buf, r, &g_other, buf);
    else
        CHECK(k < max_head);
    free(buf);
}

/* The parsed head written back canonically parses to the same fields. */
static void check_canonical(const struct http_response_in *r, size_t n, bool head)
{
    /* Each line grows by at most 3 bytes (SP, CR, SP after the colon). */
    size_t cap = n * 4 + 64;
    char *out = malloc(cap), *p = out, line[32];
    CHECK(out != NULL);
    int l = snprintf(line, sizeof(line), "HTTP/1.%d %03d ", r->minor_version, r->status);
    fuzz_put(&p, line, (size_t)l);
    fuzz_put(&p, r->reason.p, r->reason.len);
    fuzz_put(&p, "\r\n", 2);
    for (size_t i = 0; i < r->num_headers; i++)
        fuzz_put_field(&p, r->headers[i].name, r->headers[i].value);
    fuzz_put(&p, "\r\n", 2);
    size_t len = (size_t)(p - out);
    CHECK(len <= cap);

    char *buf;
    CHECK(parse_copy(out, len, SIZE_MAX, head, &g_other, &buf) == (long)len);
    check_same(r, NULL, &g_other, NULL, 0);
    free(buf);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    /* 64 .. 16384 */
    size_t max_head = fuzz_pick_max(data[0] & 0x7f, data[1], MAX_HEAD_MIN, 9, MAX_HEAD_MAX);
    bool head = (data[0] & 0x80) != 0;
    const char *in = (const char *)data + 2;
    size_t len = size - 2;

    char *full_buf, *buf;
    long full = parse_copy(in, len, max_head, head, &g_full, &full_buf);
    CHECK(full == HTTP_PARSE_ERROR || full == HTTP_PARSE_INCOMPLETE ||
          (full >= 1 && (size_t)full <= len && (size_t)full <= max_head));
    if (full == HTTP_PARSE_ERROR) {
        CHECK(g_full.error_status == 502);
        CHECK(g_full.error_reason != NULL && g_full.error_reason[0] != '\0');
        if (is_limit_error(&g_full))
            CHECK(len >= max_head);
    } else if (full == HTTP_PARSE_INCOMPLETE) {
        CHECK(len < max_head); /* a full buffer is never INCOMPLETE */
    } else {
        check_ok(&g_full, full_buf, (size_t)full, head);
        check_canonical(&g_full, (size_t)full, head);
    }

    /* A larger max_head: the same success, or the same error when the
     * limit was not what stopped the parse. */
    if (full > 0 || (full == HTTP_PARSE_ERROR && !is_limit_error(&g_full))) {
        long r = parse_copy(in, len, SIZE_MAX, head, &g_other, &buf);
        check_same_result(full, &g_full, full_buf, r, &g_other, buf);
        free(buf);
    }

    /* Sampled prefixes: the edges of the result and of max_head, and a few
     * positions derived from the input. */
    size_t cand[12];
    size_t nc = fuzz_prefixes(data, size, len, full, max_head, cand, 12);
    for (size_t i = 0; i < nc; i++)
        check_prefix(in, max_head, head, full, full_buf, cand[i]);

    free(full_buf);
    return 0;
}
