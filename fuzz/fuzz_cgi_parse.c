// link: src/http/cgi_parse.c
/* libFuzzer driver for cgi_parse_headers, the parser of the header block a
 * CGI script writes before its body.
 *
 * Input: two control bytes that pick max (16..16384, spread log-uniformly
 * so that the limit is reached often; the cgi handler passes 16 KiB), then
 * the script's output. Each parse sees a heap copy of exactly its length,
 * so ASan catches a read one byte too far.
 *
 * The parser has no incremental state: it re-reads the block from its
 * start on every call, so feeding the output in pieces is parsing longer
 * and longer prefixes. Invariants:
 *   - the result is CGI_PARSE_ERROR, CGI_PARSE_INCOMPLETE or in 1..len,
 *     never more than max; INCOMPLETE only while fewer than max bytes;
 *   - on success: the block ends with LF; every slice lies inside it;
 *     Status is 0 or 100..599 (no reason without it); at least one of
 *     Status, Content-Type, Location; Content-Length -1 or 0..2^62; values
 *     hold no CR, LF or NUL and no surrounding SP/HTAB; the other headers
 *     (at most CGI_MAX_HEADERS) have token names, in input order, never one
 *     the parser keeps for itself (Status, Content-*, Location) or drops
 *     (Connection, Keep-Alive, Transfer-Encoding, Server, Date);
 *   - the result does not depend on how the output was split: a prefix
 *     gives INCOMPLETE or the very same result (same fields at the same
 *     offsets); a prefix at least as long as the block gives the block. A
 *     few prefixes are sampled per input;
 *   - a larger max does not change a success;
 *   - the result written back as a canonical block ("Name: value" CRLF
 *     lines, CRLF) parses to the same fields. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/cgi_parse.h"
#include "fuzz.h"

#define MAX_MIN 16
#define MAX_MAX 16384
#define CL_MAX ((int64_t)1 << 62)

static struct cgi_response g_full, g_pre;

/* A value as the parser hands it out: one line, trimmed. */
static int clean_value(struct str v)
{
    for (size_t i = 0; i < v.len; i++)
        if (v.p[i] == '\r' || v.p[i] == '\n' || v.p[i] == '\0')
            return 0;
    return v.len == 0 || (!fuzz_is_ows(v.p[0]) && !fuzz_is_ows(v.p[v.len - 1]));
}

static int name_is(struct str n, const char *lower)
{
    size_t l = strlen(lower);
    if (n.len != l)
        return 0;
    for (size_t i = 0; i < l; i++) {
        char c = n.p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lower[i])
            return 0;
    }
    return 1;
}

static int is_own_name(struct str n)
{
    static const char *const own[] = {"status",     "content-type", "location",
                                      "content-length", "connection", "keep-alive",
                                      "transfer-encoding", "server", "date"};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        if (name_is(n, own[i]))
            return 1;
    return 0;
}

/* The checks on one successful parse of buf that took n bytes. */
static void check_ok(const struct cgi_response *o, const char *buf, size_t n)
{
    CHECK(buf[n - 1] == '\n');
    CHECK(o->status == 0 || (o->status >= 100 && o->status <= 599));
    CHECK(o->status != 0 || o->reason.len == 0);
    CHECK(o->status != 0 || o->content_type.len != 0 || o->location.len != 0);
    CHECK(o->content_length >= -1 && o->content_length <= CL_MAX);

    CHECK(fuzz_str_inside(o->reason, buf, n) && clean_value(o->reason));
    CHECK(fuzz_str_inside(o->content_type, buf, n) && clean_value(o->content_type));
    CHECK(fuzz_str_inside(o->location, buf, n) && clean_value(o->location));

    CHECK(o->num_headers <= CGI_MAX_HEADERS);
    for (size_t i = 0; i < o->num_headers; i++) {
        struct str nm = o->headers[i].name, v = o->headers[i].value;
        CHECK(fuzz_str_inside(nm, buf, n) && nm.len > 0);
        for (size_t j = 0; j < nm.len; j++)
            CHECK(fuzz_is_tchar((unsigned char)nm.p[j]));
        CHECK(nm.p + nm.len < buf + n && nm.p[nm.len] == ':');
        CHECK(!is_own_name(nm));
        CHECK(fuzz_str_inside(v, buf, n) && clean_value(v));
        CHECK(v.p > nm.p + nm.len); /* past the colon */
        if (i)
            CHECK(nm.p > o->headers[i - 1].value.p);
    }
}

/* Two successful parses agree (at the same offsets, unless rewritten). */
static void check_same(const struct cgi_response *x, const char *xb,
                       const struct cgi_response *y, const char *yb, int offsets)
{
    CHECK(x->status == y->status && x->content_length == y->content_length);
    CHECK(x->num_headers == y->num_headers);
    fuzz_same_str(x->reason, y->reason, xb, yb, offsets);
    fuzz_same_str(x->content_type, y->content_type, xb, yb, offsets);
    fuzz_same_str(x->location, y->location, xb, yb, offsets);
    for (size_t i = 0; i < x->num_headers; i++) {
        fuzz_same_str(x->headers[i].name, y->headers[i].name, xb, yb, offsets);
        fuzz_same_str(x->headers[i].value, y->headers[i].value, xb, yb, offsets);
    }
}

/* Parses a heap copy of exactly src[0..n). */
static long parse_copy(const char *src, size_t n, size_t max, struct cgi_response *o,
                       char **copy)
{
    *copy = fuzz_copy(src, n);
    return cgi_parse_headers(*copy, n, max, o);
}

static void check_prefix(const char *in, size_t max, long full, const char *full_buf,
                         size_t k)
{
    char *buf;
    long r = parse_copy(in, k, max, &g_pre, &buf);
    if (full > 0 && k >= (size_t)full) {
        CHECK(r == full);
        check_same(&g_full, full_buf, &g_pre, buf, 1);
    } else if (r != CGI_PARSE_INCOMPLETE) {
        /* Known from these k bytes: the whole output must say the same. */
        CHECK(r == full);
        if (r > 0)
            check_same(&g_full, full_buf, &g_pre, buf, 1);
    } else {
        CHECK(k < max); /* max bytes always settle it */
    }
    free(buf);
}

/* The parsed block written back canonically parses to the same fields. */
static void check_canonical(const struct cgi_response *o, size_t n)
{
    /* Every field comes from the block: rewritten, each line grows by at
     * most "Status: " + CRLF, or the digits of Content-Length. */
    size_t cap = n * 2 + 128;
    char *out = malloc(cap), *p = out;
    CHECK(out != NULL);
    if (o->status) {
        char st[8];
        snprintf(st, sizeof(st), "%03d", o->status);
        fuzz_put(&p, "Status: ", 8);
        fuzz_put(&p, st, 3);
        if (o->reason.len) {
            fuzz_put(&p, " ", 1);
            fuzz_put(&p, o->reason.p, o->reason.len);
        }
        fuzz_put(&p, "\r\n", 2);
    }
    if (o->content_type.len)
        fuzz_put_field(&p, STR_LIT("Content-Type"), o->content_type);
    if (o->location.len)
        fuzz_put_field(&p, STR_LIT("Location"), o->location);
    if (o->content_length >= 0) {
        char cl[24];
        int l = snprintf(cl, sizeof(cl), "%lld", (long long)o->content_length);
        fuzz_put(&p, "Content-Length: ", 16);
        fuzz_put(&p, cl, (size_t)l);
        fuzz_put(&p, "\r\n", 2);
    }
    for (size_t i = 0; i < o->num_headers; i++)
        fuzz_put_field(&p, o->headers[i].name, o->headers[i].value);
    fuzz_put(&p, "\r\n", 2);
    size_t len = (size_t)(p - out);
    CHECK(len <= cap);

    char *buf;
    long r = parse_copy(out, len, SIZE_MAX, &g_pre, &buf);
    CHECK(r == (long)len);
    check_same(o, NULL, &g_pre, NULL, 0);
    free(buf);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t max = fuzz_pick_max(data[0], data[1], MAX_MIN, 11, MAX_MAX); /* 16 .. 16384 */
    const char *in = (const char *)data + 2;
    size_t len = size - 2;

    char *full_buf;
    long full = parse_copy(in, len, max, &g_full, &full_buf);
    CHECK(full == CGI_PARSE_ERROR || full == CGI_PARSE_INCOMPLETE ||
          (full >= 1 && (size_t)full <= len && (size_t)full <= max));
    if (full == CGI_PARSE_INCOMPLETE)
        CHECK(len < max); /* a full buffer is never INCOMPLETE */
    if (full > 0) {
        check_ok(&g_full, full_buf, (size_t)full);
        /* A larger max changes nothing once the block is complete. */
        char *buf;
        CHECK(parse_copy(in, len, SIZE_MAX, &g_pre, &buf) == full);
        check_same(&g_full, full_buf, &g_pre, buf, 1);
        free(buf);
        check_canonical(&g_full, (size_t)full);
    }

    /* Sampled prefixes: the edges of the result and of max, and a few
     * positions derived from the input. */
    size_t cand[12];
    size_t nc = fuzz_prefixes(data, size, len, full, max, cand, 12);
    for (size_t i = 0; i < nc; i++)
        check_prefix(in, max, full, full_buf, cand[i]);

    free(full_buf);
    return 0;
}
