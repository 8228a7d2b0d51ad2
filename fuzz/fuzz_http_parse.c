// link: src/http/http_parse.c
/* libFuzzer driver for http_parse_request.
 *
 * Input: two control bytes that pick max_head (64..16384, spread
 * log-uniformly so that the 414/431 limits are reached often), then the
 * bytes handed to the parser. Each parse sees a heap copy of exactly its
 * length, so ASan catches a read one byte too far.
 *
 * Invariants:
 *   - the result is HTTP_PARSE_ERROR, HTTP_PARSE_INCOMPLETE or in 1..len,
 *     and never more than max_head;
 *   - on error: error_status in {400, 414, 431, 501, 505} and a reason;
 *   - on success: every struct str lies inside the consumed head (but the
 *     literal "/" path of "GET http://host HTTP/1.1"), the head ends with
 *     LF, the derived fields agree with each other;
 *   - the result does not depend on how the input was split: a prefix gives
 *     INCOMPLETE or the very same result (same error, or same length and the
 *     same fields at the same offsets); a prefix at least as long as the
 *     head gives the same result. A few prefixes are sampled per input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_parse.h"
#include "fuzz.h"

#define MAX_HEAD_MIN 64
#define MAX_HEAD_MAX 16384

static struct http_request_head g_full, g_pre;

static int is_error_status(int s)
{
    return s == 400 || s == 414 || s == 431 || s == 501 || s == 505;
}

/* The path of an absolute-form target without one ("GET http://h HTTP/1.1")
 * is the literal "/" (tests/unit/test_http_parse.c asserts it), which does
 * not point into the buffer although http_parse.h says every str does. */
static int is_implied_root(const struct http_request_head *h)
{
    uintptr_t p = (uintptr_t)h->path.p, t = (uintptr_t)h->target.p;
    return h->authority.len != 0 && h->path.len == 1 && h->path.p[0] == '/' &&
           (p < t || p >= t + h->target.len);
}

/* The checks on one successful parse of buf[0..n) that took len bytes. */
static void check_ok(const struct http_request_head *h, const char *buf, long len)
{
    size_t n = (size_t)len;
    CHECK(buf[n - 1] == '\n');
    CHECK(h->error_status == 0);
    CHECK(h->method != HTTP_METHOD_UNKNOWN && h->method < HTTP_METHOD_COUNT);
    CHECK(http_method_from(h->method_str) == h->method);
    CHECK(h->minor_version == 0 || h->minor_version == 1);

    CHECK(fuzz_str_inside(h->method_str, buf, n) && h->method_str.len > 0);
    CHECK(fuzz_str_inside(h->target, buf, n) && h->target.len > 0);
    CHECK(fuzz_str_inside(h->query, h->target.p, h->target.len));
    CHECK(fuzz_str_inside(h->authority, h->target.p, h->target.len));
    CHECK(fuzz_str_inside(h->host, buf, n));
    if (!is_implied_root(h))
        CHECK(fuzz_str_inside(h->path, h->target.p, h->target.len));
    CHECK(h->path.len >= 1 && h->path.p[0] == '/');
    CHECK(memchr(h->path.p, '?', h->path.len) == NULL);
    CHECK(memchr(h->path.p, '#', h->path.len) == NULL);
    if (h->has_query)
        CHECK(h->query.p[-1] == '?');
    else
        CHECK(h->query.len == 0);
    if (h->authority.len)
        CHECK(h->host.p == h->authority.p && h->host.len == h->authority.len);

    CHECK(h->num_headers <= HTTP_MAX_HEADERS);
    for (size_t i = 0; i < h->num_headers; i++) {
        const struct http_header *f = &h->headers[i];
        CHECK(fuzz_str_inside(f->name, buf, n) && f->name.len > 0);
        CHECK(fuzz_str_inside(f->value, buf, n));
        CHECK(f->value.p > f->name.p + f->name.len); /* past the colon */
        CHECK(memchr(f->name.p, ':', f->name.len) == NULL);
        if (f->value.len)
            CHECK(!fuzz_is_ows(f->value.p[0]) && !fuzz_is_ows(f->value.p[f->value.len - 1]));
        CHECK(memchr(f->value.p, '\n', f->value.len) == NULL);
        if (i)
            CHECK(f->name.p > h->headers[i - 1].value.p);
    }

    CHECK(h->content_length >= -1);
    if (h->chunked)
        CHECK(h->content_length == -1 && h->minor_version == 1);
    if (h->expect_continue)
        CHECK(h->minor_version == 1);
    if (h->minor_version == 1 && h->authority.len == 0)
        CHECK(http_find_header(h, "host", 4) != NULL);
}

/* Same bytes at the same offset (literal: both may be the literal "/"). */
static void same_str(struct str a, struct str b, const char *ab, const char *bb, int literal)
{
    CHECK(a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0));
    if (literal)
        CHECK(a.p == b.p || a.p - ab == b.p - bb);
    else
        CHECK(a.p - ab == b.p - bb);
}

#define SAME_STR(a, b, abase, bbase) same_str((a), (b), (abase), (bbase), 0)

/* Two successful parses of the same head (at a and at b) agree. */
static void check_same(const struct http_request_head *x, const char *xb,
                       const struct http_request_head *y, const char *yb)
{
    CHECK(x->method == y->method && x->minor_version == y->minor_version);
    CHECK(x->has_query == y->has_query && x->num_headers == y->num_headers);
    CHECK(x->content_length == y->content_length && x->chunked == y->chunked);
    CHECK(x->keep_alive == y->keep_alive && x->expect_continue == y->expect_continue);
    SAME_STR(x->method_str, y->method_str, xb, yb);
    SAME_STR(x->target, y->target, xb, yb);
    CHECK(is_implied_root(x) == is_implied_root(y));
    same_str(x->path, y->path, xb, yb, is_implied_root(x));
    SAME_STR(x->query, y->query, xb, yb);
    SAME_STR(x->authority, y->authority, xb, yb);
    SAME_STR(x->host, y->host, xb, yb);
    for (size_t i = 0; i < x->num_headers; i++) {
        SAME_STR(x->headers[i].name, y->headers[i].name, xb, yb);
        SAME_STR(x->headers[i].value, y->headers[i].value, xb, yb);
    }
}

/* Parses a heap copy of exactly src[0..n). */
static long parse_copy(const char *src, size_t n, size_t max_head,
                       struct http_request_head *h, char **copy)
{
    *copy = fuzz_copy(src, n);
    return http_parse_request(*copy, n, max_head, h);
}

static void check_prefix(const char *in, size_t max_head, long full,
                         const char *full_buf, size_t k)
{
    char *buf;
    long r = parse_copy(in, k, max_head, &g_pre, &buf);
    if (full > 0 && k >= (size_t)full) {
        CHECK(r == full);
        check_same(&g_full, full_buf, &g_pre, buf);
    } else if (r != HTTP_PARSE_INCOMPLETE) {
        /* Known from these k bytes: the full input must say the same. */
        CHECK(r == full);
        if (r == HTTP_PARSE_ERROR) {
            CHECK(g_pre.error_status == g_full.error_status);
            CHECK(strcmp(g_pre.error_reason, g_full.error_reason) == 0);
        } else {
            check_same(&g_full, full_buf, &g_pre, buf);
        }
    } else {
        /* INCOMPLETE: max_head bytes always settle it. */
        CHECK(k < max_head);
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    /* 64 .. 16384 */
    size_t max_head = fuzz_pick_max(data[0], data[1], MAX_HEAD_MIN, 9, MAX_HEAD_MAX);
    const char *in = (const char *)data + 2;
    size_t len = size - 2;

    char *full_buf;
    long full = parse_copy(in, len, max_head, &g_full, &full_buf);
    CHECK(full == HTTP_PARSE_ERROR || full == HTTP_PARSE_INCOMPLETE ||
          (full >= 1 && (size_t)full <= len && (size_t)full <= max_head));
    if (full == HTTP_PARSE_ERROR) {
        CHECK(is_error_status(g_full.error_status));
        CHECK(g_full.error_reason != NULL && g_full.error_reason[0] != '\0');
        if (g_full.error_status == 414) /* 431 may also be too many fields */
            CHECK(len >= max_head);
    } else if (full == HTTP_PARSE_INCOMPLETE) {
        CHECK(len < max_head); /* a full buffer is never INCOMPLETE */
    } else {
        check_ok(&g_full, full_buf, full);
    }

    /* Sampled prefixes: the edges of the result, of max_head, and a few
     * positions derived from the input. */
    size_t cand[10];
    size_t nc = fuzz_prefixes(data, size, len, full, max_head, cand, 10);
    for (size_t i = 0; i < nc; i++)
        check_prefix(in, max_head, full, full_buf, cand[i]);

    free(full_buf);
    return 0;
}
