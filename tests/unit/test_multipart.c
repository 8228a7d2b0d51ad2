/* Tests for src/http/multipart.c: the multipart/form-data parser.
 *
 * Every body is parsed whole, split in two at every position, and fed one
 * byte at a time; the parts collected (headers, data bytes, ends) must be
 * the same each time. Each piece is copied into a heap block of exactly
 * its size, so ASan catches a read past the end of a feed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/multipart.h"

#define MAXP 256

struct got_part {
    struct multipart_part hdr;
    char *data;
    size_t len, cap;
    bool ended;
};

struct got {
    struct got_part parts[MAXP];
    size_t n;
    bool in_part;
    int rc;     /* -1 once a feed failed */
    bool done;
    const char *error;
    /* Make a callback return -1 at its k-th call (1-based; 0 = never). */
    int stop_begin, stop_data, stop_end;
    int begins, datas, ends;
    bool called_after_stop;
};

static int on_begin(void *ctx, const struct multipart_part *p)
{
    struct got *g = ctx;
    assert_false(g->in_part);
    assert_true(g->n < MAXP);
    if (g->rc < 0)
        g->called_after_stop = true;
    g->begins++;
    if (g->stop_begin && g->begins == g->stop_begin)
        return -1;
    struct got_part *gp = &g->parts[g->n++];
    gp->hdr = *p;
    g->in_part = true;
    return 0;
}

static int on_data(void *ctx, const char *d, size_t len)
{
    struct got *g = ctx;
    assert_true(g->in_part);
    assert_true(len > 0);
    if (g->rc < 0)
        g->called_after_stop = true;
    g->datas++;
    if (g->stop_data && g->datas == g->stop_data)
        return -1;
    struct got_part *gp = &g->parts[g->n - 1];
    if (gp->len + len > gp->cap) {
        size_t cap = gp->cap ? gp->cap : 64;
        while (cap < gp->len + len)
            cap *= 2;
        gp->data = realloc(gp->data, cap);
        assert_non_null(gp->data);
        gp->cap = cap;
    }
    memcpy(gp->data + gp->len, d, len);
    gp->len += len;
    return 0;
}

static int on_end(void *ctx)
{
    struct got *g = ctx;
    assert_true(g->in_part);
    if (g->rc < 0)
        g->called_after_stop = true;
    g->ends++;
    if (g->stop_end && g->ends == g->stop_end)
        return -1;
    g->parts[g->n - 1].ended = true;
    g->in_part = false;
    return 0;
}

static const struct multipart_callbacks cbs = {on_begin, on_data, on_end};

static void got_free(struct got *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->parts[i].data);
    free(g);
}

static struct got *got_new(void)
{
    struct got *g = calloc(1, sizeof *g);
    assert_non_null(g);
    return g;
}

static void feed(struct multipart *m, struct got *g, const char *p, size_t n)
{
    if (g->rc < 0)
        return;
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, p, n);
    if (multipart_feed(m, copy, n, &cbs, g) < 0)
        g->rc = -1;
    free(copy);
}

/* Parses body[0..n): in pieces of `step` bytes when step > 0, else in two
 * feeds split at `cut`. Returns what was collected (g may be given to set
 * stop points). */
static struct got *run_into(struct got *g, const char *ct, const char *body, size_t n,
                            size_t step, size_t cut)
{
    struct multipart *m = malloc(sizeof *m);
    assert_non_null(m);
    assert_int_equal(multipart_init(m, ct, strlen(ct)), 0);
    if (step > 0) {
        for (size_t i = 0; i < n; i += step)
            feed(m, g, body + i, n - i < step ? n - i : step);
    } else {
        feed(m, g, body, cut);
        feed(m, g, body + cut, n - cut);
    }
    if (g->rc < 0) {
        /* A failed parser stays failed. */
        assert_int_equal(multipart_feed(m, "x", 1, &cbs, g), -1);
        assert_int_equal(multipart_feed(m, "", 0, &cbs, g), -1);
        assert_non_null(m->error);
    }
    g->done = multipart_done(m);
    g->error = m->error;
    free(m);
    return g;
}

static struct got *run(const char *ct, const char *body, size_t n, size_t step, size_t cut)
{
    return run_into(got_new(), ct, body, n, step, cut);
}

static void expect_same(const struct got *a, const struct got *b, const char *how, size_t at)
{
    if (a->n != b->n || a->rc != b->rc || a->done != b->done)
        print_error("%s %zu: parts %zu/%zu rc %d/%d done %d/%d\n", how, at, a->n, b->n, a->rc,
                    b->rc, a->done, b->done);
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->rc, b->rc);
    assert_int_equal(a->done, b->done);
    for (size_t i = 0; i < a->n; i++) {
        const struct got_part *x = &a->parts[i], *y = &b->parts[i];
        assert_string_equal(x->hdr.name, y->hdr.name);
        assert_string_equal(x->hdr.filename, y->hdr.filename);
        assert_int_equal(x->hdr.has_filename, y->hdr.has_filename);
        assert_string_equal(x->hdr.content_type, y->hdr.content_type);
        if (x->len != y->len)
            print_error("%s %zu: part %zu has %zu/%zu bytes\n", how, at, i, x->len, y->len);
        assert_int_equal(x->len, y->len);
        if (x->len)
            assert_memory_equal(x->data, y->data, x->len);
        assert_int_equal(x->ended, y->ended);
    }
}

/* Parses whole, split in two everywhere, and byte by byte; all must agree.
 * Returns the whole parse (for the caller to check against its values). */
static struct got *parse_all_ways(const char *ct, const char *body, size_t n)
{
    struct got *whole = run(ct, body, n, n ? n : 1, 0);
    for (size_t cut = 0; cut <= n; cut++) {
        struct got *g = run(ct, body, n, 0, cut);
        expect_same(whole, g, "split at", cut);
        got_free(g);
    }
    struct got *g = run(ct, body, n, 1, 0);
    expect_same(whole, g, "byte by byte", 1);
    got_free(g);
    return whole;
}

static void expect_part(const struct got *g, size_t i, const char *name, const char *filename,
                        const char *ctype, const void *data, size_t len)
{
    assert_true(i < g->n);
    const struct got_part *p = &g->parts[i];
    assert_string_equal(p->hdr.name, name);
    assert_int_equal(p->hdr.has_filename, filename != NULL);
    assert_string_equal(p->hdr.filename, filename ? filename : "");
    assert_string_equal(p->hdr.content_type, ctype);
    assert_int_equal(p->len, len);
    if (len)
        assert_memory_equal(p->data, data, len);
    assert_true(p->ended);
}

/* ---- a growable body ---------------------------------------------------- */

struct buf {
    char *p;
    size_t len, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* ---- the sample body ---------------------------------------------------- */

#define B "----portico7MA4YWxkTrZu0gW"
#define CT "multipart/form-data; boundary=" B

/* Data for the binary part: near-delimiters (every one short of a whole
 * "\r\n--" B), CR and LF runs, NULs, and a CR right before the delimiter. */
static const char bin_safe[] =
    "\x00\xff\r\n--" "----portico7MA4" "\r\r\n-" "\r\n--" "\n--" B "\r\n--" "-" "\r"
    "\x00\r\n\r\n" "-" "-" "\n" "--" B "\r\n \r\n-" "\r\n--" "----portico7MA4YWxkTrZu0g" "\r"
    "\n\n\r\r\x00\x00\r";

static void sample(struct buf *b)
{
    puts_(b, "--" B "\r\n"
             "Content-Disposition: form-data; name=\"title\"\r\n"
             "\r\n"
             "Hello, world\r\n"
             "--" B "\r\n"
             "Content-Disposition: form-data; name=\"doc\"; filename=\"notes.txt\"\r\n"
             "Content-Type: text/plain\r\n"
             "\r\n"
             "line one\r\nline two\n\r\n"
             "\r\n--" B "\r\n"
             "content-disposition: form-data; name=\"bin\"; filename=\"blob.bin\"\r\n"
             "Content-Type: application/octet-stream\r\n"
             "\r\n");
    put(b, bin_safe, sizeof bin_safe - 1);
    puts_(b, "\r\n--" B "--\r\n");
}

static void test_sample_all_splits(void **state)
{
    struct buf b = {0};
    sample(&b);
    struct got *g = parse_all_ways(CT, b.p, b.len);
    assert_int_equal(g->rc, 0);
    assert_true(g->done);
    assert_int_equal(g->n, 3);
    expect_part(g, 0, "title", NULL, "", "Hello, world", 12);
    expect_part(g, 1, "doc", "notes.txt", "text/plain", "line one\r\nline two\n\r\n", 21);
    expect_part(g, 2, "bin", "blob.bin", "application/octet-stream", bin_safe,
                sizeof bin_safe - 1);
    got_free(g);
    free(b.p);
}

/* The boundary inside data but followed by something other than "--",
 * padding or CRLF is not allowed by RFC 2046 and is refused. */
static void test_boundary_prefix_of_longer_line(void **state)
{
    const char body[] = "--" B "\r\n"
                        "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
                        "x\r\n--" B "X\r\n--" B "--";
    struct got *g = parse_all_ways(CT, body, sizeof body - 1);
    assert_int_equal(g->rc, -1);
    assert_false(g->done);
    assert_string_equal(g->error, "garbage after multipart delimiter");
    got_free(g);
}

static void test_preamble_epilogue(void **state)
{
    const char body[] = "This is the preamble. --" B " is not a delimiter here,\r\n"
                        "nor is \r\n--" "----portico7MA4" " nor\n-" B "\r\n"
                        "\r\n--" B "\r\n"
                        "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
                        "1\r\n--" B "--\r\n"
                        "epilogue: \r\n--" B "\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n"
                        "ignored\r\n--" B "--\r\n garbage \x01\x02";
    struct got *g = parse_all_ways(CT, body, sizeof body - 1);
    assert_int_equal(g->rc, 0);
    assert_true(g->done);
    assert_int_equal(g->n, 1);
    expect_part(g, 0, "a", NULL, "", "1", 1);
    got_free(g);
}

static void test_boundary_at_start_and_after_crlf(void **state)
{
    const char *bodies[] = {
        "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--xyz--",
        "\r\n--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--xyz--",
        /* a bare LF before the first delimiter is accepted in the preamble */
        "pre\n--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--xyz--",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        struct got *g =
            parse_all_ways("multipart/form-data; boundary=xyz", bodies[i], strlen(bodies[i]));
        assert_int_equal(g->rc, 0);
        assert_true(g->done);
        assert_int_equal(g->n, 1);
        expect_part(g, 0, "a", NULL, "", "v", 1);
        got_free(g);
    }
}

static void test_content_type_forms(void **state)
{
    struct {
        const char *ct;
        const char *boundary;
    } ok[] = {
        {"multipart/form-data; boundary=abc", "abc"},
        {"Multipart/Form-Data; BOUNDARY=abc", "abc"},
        {"multipart/form-data;boundary=abc", "abc"},
        {"  multipart/form-data ; charset=utf-8; boundary = \"a b:c?\" ; x=y", "a b:c?"},
        {"multipart/form-data; boundary=\"quoted\"", "quoted"},
        {"multipart/form-data; boundary=first; boundary=second", "first"},
        {"multipart/form-data; ; boundary=abc;", "abc"},
        {"multipart/form-data; boundary="
         "1234567890123456789012345678901234567890123456789012345678901234567890",
         "1234567890123456789012345678901234567890123456789012345678901234567890"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        struct buf b = {0};
        puts_(&b, "--");
        puts_(&b, ok[i].boundary);
        puts_(&b, "\r\nContent-Disposition: form-data; name=f\r\n\r\ndata\r\n--");
        puts_(&b, ok[i].boundary);
        puts_(&b, "--\r\n");
        struct got *g = parse_all_ways(ok[i].ct, b.p, b.len);
        assert_int_equal(g->rc, 0);
        assert_true(g->done);
        assert_int_equal(g->n, 1);
        expect_part(g, 0, "f", NULL, "", "data", 4);
        got_free(g);
        free(b.p);
    }

    const char *bad[] = {
        "",
        "multipart/form-data",
        "multipart/form-data;",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; boundary=\"abc",
        "multipart/form-data; charset=utf-8",
        "multipart/form-data boundary=abc",
        "multipart/form-data; boundary"
        "=12345678901234567890123456789012345678901234567890123456789012345678901",
        "multipart/form-data; boundary=\"a\\\x01\"",
        "multipart/mixed; boundary=abc",
        "multipart/form-datax; boundary=abc",
        "application/x-www-form-urlencoded",
        "text/plain; boundary=abc",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct multipart m;
        if (multipart_init(&m, bad[i], strlen(bad[i])) != -1)
            print_error("accepted \"%s\"\n", bad[i]);
        assert_int_equal(multipart_init(&m, bad[i], strlen(bad[i])), -1);
        assert_non_null(m.error);
        /* A parser whose init failed refuses data. */
        assert_int_equal(multipart_feed(&m, "--abc\r\n", 7, &cbs, NULL), -1);
    }
    struct multipart m;
    assert_int_equal(multipart_init(&m, NULL, 0), -1);
    /* The length bounds the value: no read past it. */
    assert_int_equal(multipart_init(&m, "multipart/form-data; boundary=abc", 19), -1);
}

static void test_disposition_params(void **state)
{
    const char body[] =
        "--b\r\n"
        "Content-Disposition: form-data; filename=\"fallback.txt\"; "
        "filename*=UTF-8''a%20b%e2%82%ac.txt; name=\"f1\"\r\n\r\nA\r\n"
        "--b\r\n"
        "Content-Disposition: form-data; filename*=utf-8'en'x%2Fy.txt; filename=\"plain\"; "
        "name=f2\r\n\r\nB\r\n"
        "--b\r\n"
        "Content-Disposition: form-data; NAME=\"f3\"; FileName*=iso-8859-1''caf%E9.txt\r\n\r\nC\r\n"
        "--b\r\n"
        "Content-Disposition: form-data; name=\"f4\"; filename*=koi8-r''x.txt; "
        "filename=\"kept.txt\"\r\n\r\nD\r\n"
        "--b\r\n"
        "Content-Disposition: form-data; name=\"f5\"; filename*=UTF-8''bad%zz; "
        "filename=\"kept2.txt\"\r\n\r\nE\r\n"
        "--b\r\n"
        "Content-Disposition: FORM-DATA ; name = \"q\\\"u\\\\o;te\" ; "
        "filename=\"C:\\Users\\x\\a.txt\"\r\n\r\nF\r\n"
        "--b\r\n"
        "Content-Disposition: form-data; name=\"\"; filename=\"\"\r\n\r\n\r\n"
        "--b\r\n"
        "Content-Disposition: form-data; name=\"nul%00\"; filename*=UTF-8''a%00b\r\n\r\nG\r\n"
        "--b--\r\n";
    struct got *g = parse_all_ways("multipart/form-data; boundary=b", body, sizeof body - 1);
    assert_int_equal(g->rc, 0);
    assert_true(g->done);
    assert_int_equal(g->n, 8);
    expect_part(g, 0, "f1", "a b\xe2\x82\xac.txt", "", "A", 1);
    expect_part(g, 1, "f2", "x/y.txt", "", "B", 1);
    expect_part(g, 2, "f3", "caf\xc3\xa9.txt", "", "C", 1);
    expect_part(g, 3, "f4", "kept.txt", "", "D", 1);
    expect_part(g, 4, "f5", "kept2.txt", "", "E", 1);
    expect_part(g, 5, "q\"u\\o;te", "C:\\Users\\x\\a.txt", "", "F", 1);
    expect_part(g, 6, "", "", "", "", 0);
    expect_part(g, 7, "nul%00", "ab", "", "G", 1);
    got_free(g);
}

static void test_headers_lenient_forms(void **state)
{
    const char body[] =
        "--b   \t\r\n"                               /* transport padding */
        "X-Other: whatever\r\n"
        "Content-Type:   image/png  \r\n"
        "Content-Disposition: form-data;\r\n name=\"folded\"; filename=\"f.png\"\r\n"
        "\r\n"
        "\x89PNG\r\n\x1a\n\r\n"
        "--b\t\r\n"
        "Content-Disposition: form-data; name=lf\n"   /* bare LF lines */
        "\n"
        "bare\n--b\r\n"                               /* "\n--b" is data, not a delimiter */
        "--b\n"                                       /* a bare LF ends a delimiter line */
        "Content-Disposition: form-data; name=last\r\n\n"
        "z\r\n--b--";
    struct got *g = parse_all_ways("multipart/form-data; boundary=b", body, sizeof body - 1);
    assert_int_equal(g->rc, 0);
    assert_true(g->done);
    assert_int_equal(g->n, 3);
    expect_part(g, 0, "folded", "f.png", "image/png", "\x89PNG\r\n\x1a\n", 8);
    expect_part(g, 1, "lf", NULL, "", "bare\n--b", 8);
    expect_part(g, 2, "last", NULL, "", "z", 1);
    got_free(g);
}

static void test_empty_parts(void **state)
{
    const char body[] = "--b\r\n"
                        "Content-Disposition: form-data; name=\"file\"; filename=\"empty.txt\"\r\n"
                        "Content-Type: text/plain\r\n"
                        "\r\n"
                        "\r\n--b\r\n"
                        "Content-Disposition: form-data; name=\"nofile\"; filename=\"\"\r\n"
                        "Content-Type: application/octet-stream\r\n"
                        "\r\n"
                        "\r\n--b--";
    struct got *g = parse_all_ways("multipart/form-data; boundary=b", body, sizeof body - 1);
    assert_int_equal(g->rc, 0);
    assert_true(g->done);
    assert_int_equal(g->n, 2);
    expect_part(g, 0, "file", "empty.txt", "text/plain", "", 0);
    expect_part(g, 1, "nofile", "", "application/octet-stream", "", 0);
    got_free(g);

    /* No parts at all. */
    g = parse_all_ways("multipart/form-data; boundary=b", "--b--\r\n", 7);
    assert_int_equal(g->rc, 0);
    assert_true(g->done);
    assert_int_equal(g->n, 0);
    got_free(g);
}

static void test_many_parts(void **state)
{
    struct buf b = {0};
    char line[256];
    for (int i = 0; i < 200; i++) {
        snprintf(line, sizeof line,
                 "--" B "\r\nContent-Disposition: form-data; name=\"f%d\"; filename=\"%d.txt\"\r\n"
                 "\r\n%d",
                 i, i, i * 7);
        puts_(&b, line);
        if (i + 1 < 200)
            puts_(&b, "\r\n");
    }
    puts_(&b, "\r\n--" B "--\r\n");
    /* Every split would be quadratic here: a few step sizes instead. */
    struct got *whole = run(CT, b.p, b.len, b.len, 0);
    assert_int_equal(whole->rc, 0);
    assert_true(whole->done);
    assert_int_equal(whole->n, 200);
    for (int i = 0; i < 200; i++) {
        char name[16], fn[16], data[16];
        snprintf(name, sizeof name, "f%d", i);
        snprintf(fn, sizeof fn, "%d.txt", i);
        int n = snprintf(data, sizeof data, "%d", i * 7);
        expect_part(whole, (size_t)i, name, fn, "", data, (size_t)n);
    }
    size_t steps[] = {1, 2, 3, 7, 13, 64, 1000};
    for (size_t s = 0; s < sizeof steps / sizeof *steps; s++) {
        struct got *g = run(CT, b.p, b.len, steps[s], 0);
        expect_same(whole, g, "step", steps[s]);
        got_free(g);
    }
    got_free(whole);
    free(b.p);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint8_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint8_t)(rng >> 24);
}

static void test_large_part(void **state)
{
    size_t size = 1 << 20;
    char *data = malloc(size);
    assert_non_null(data);
    for (size_t i = 0; i < size; i++)
        data[i] = (char)rnd();
    /* Sprinkle near-delimiters in. */
    for (size_t at = 1000; at + 40 < size; at += 65521)
        memcpy(data + at, "\r\n--" B, 4 + (at % (sizeof B - 1)));

    struct buf b = {0};
    puts_(&b, "preamble\r\n--" B "\r\n"
              "Content-Disposition: form-data; name=\"big\"; filename=\"big.bin\"\r\n"
              "Content-Type: application/octet-stream\r\n\r\n");
    put(&b, data, size);
    puts_(&b, "\r\n--" B "--\r\n");

    size_t steps[] = {b.len, 1, 4096, 7777, 65536, 29};
    for (size_t s = 0; s < sizeof steps / sizeof *steps; s++) {
        struct got *g = run(CT, b.p, b.len, steps[s], 0);
        assert_int_equal(g->rc, 0);
        assert_true(g->done);
        assert_int_equal(g->n, 1);
        expect_part(g, 0, "big", "big.bin", "application/octet-stream", data, size);
        got_free(g);
    }
    free(b.p);
    free(data);
}

static void test_incomplete(void **state)
{
    struct buf b = {0};
    sample(&b);
    /* Any truncation before the close delimiter's "--": not done, no error. */
    size_t close = b.len - 4; /* "--" B then "--\r\n" */
    for (size_t n = 0; n < close; n++) {
        struct got *g = run(CT, b.p, n, n ? n : 1, 0);
        if (g->rc != 0 || g->done)
            print_error("prefix %zu: rc %d done %d (%s)\n", n, g->rc, g->done,
                        g->error ? g->error : "");
        assert_int_equal(g->rc, 0);
        assert_false(g->done);
        for (size_t i = 0; i < g->n; i++)
            if (i + 1 < g->n)
                assert_true(g->parts[i].ended);
        got_free(g);
    }
    struct got *g = run(CT, b.p, close, close, 0);
    assert_int_equal(g->n, 3);
    assert_true(g->parts[2].ended); /* the delimiter was seen, not yet "--" */
    got_free(g);
    for (size_t n = close + 2; n <= b.len; n++) {
        g = run(CT, b.p, n, n, 0);
        assert_int_equal(g->rc, 0);
        assert_true(g->done);
        got_free(g);
    }
    free(b.p);

    /* A body that is only preamble. */
    g = parse_all_ways("multipart/form-data; boundary=b", "no delimiter here\r\n-b\r\n", 23);
    assert_int_equal(g->rc, 0);
    assert_false(g->done);
    assert_int_equal(g->n, 0);
    got_free(g);
}

static void expect_error(const char *body, size_t n, const char *why, size_t parts)
{
    struct got *g = parse_all_ways("multipart/form-data; boundary=b", body, n);
    if (g->rc != -1 || (g->error && strcmp(g->error, why) != 0))
        print_error("\"%.*s\": rc %d error %s\n", (int)n, body, g->rc,
                    g->error ? g->error : "(none)");
    assert_int_equal(g->rc, -1);
    assert_false(g->done);
    assert_string_equal(g->error, why);
    assert_int_equal(g->n, parts);
    got_free(g);
}

#define EXPECT_ERROR(lit, why, parts) expect_error(lit, sizeof lit - 1, why, parts)

static void test_malformed(void **state)
{
    EXPECT_ERROR("--b\r\nContent-Disposition form-data; name=a\r\n\r\nx\r\n--b--",
                 "bad part header", 0);
    EXPECT_ERROR("--b\r\n: form-data\r\n\r\nx\r\n--b--", "bad part header", 0);
    EXPECT_ERROR("--b\r\nBad Name: x\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b--",
                 "bad part header", 0);
    EXPECT_ERROR("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",
                 "part without Content-Disposition", 0);
    EXPECT_ERROR("--b\r\n\r\nx\r\n--b--", "part without Content-Disposition", 0);
    EXPECT_ERROR("--b\r\nContent-Disposition: attachment; filename=a\r\n\r\nx\r\n--b--",
                 "part is not form-data", 0);
    EXPECT_ERROR("--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--",
                 "bad Content-Disposition", 0);
    EXPECT_ERROR("--b\r\nContent-Disposition: form-data; name\r\n\r\nx\r\n--b--",
                 "bad Content-Disposition", 0);
    EXPECT_ERROR("--b\r\nContent-Disposition: form-data; name=\"a\" junk\r\n\r\nx\r\n--b--",
                 "bad Content-Disposition", 0);
    EXPECT_ERROR("--b\r\nContent-Disposition: form-data; name=a\r\n"
                 "Content-Disposition: form-data; name=b\r\n\r\nx\r\n--b--",
                 "duplicate Content-Disposition", 0);
    EXPECT_ERROR("--bx\r\n", "garbage after multipart delimiter", 0);
    EXPECT_ERROR("--b-x", "garbage after multipart delimiter", 0);
    EXPECT_ERROR("--b \t x\r\n", "garbage after multipart delimiter", 0);
    EXPECT_ERROR("--b\rx", "garbage after multipart delimiter", 0);
    EXPECT_ERROR("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b?\r\n",
                 "garbage after multipart delimiter", 1);
    EXPECT_ERROR("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b --",
                 "garbage after multipart delimiter", 1);

    /* A part name that does not fit. */
    struct buf b = {0};
    puts_(&b, "--b\r\nContent-Disposition: form-data; name=\"");
    for (int i = 0; i < MULTIPART_MAX_NAME; i++)
        puts_(&b, "n");
    puts_(&b, "\"\r\n\r\nx\r\n--b--");
    expect_error(b.p, b.len, "part name too long", 0);
    free(b.p);

    /* The header block: MULTIPART_MAX_HEADER bytes fit, one more does not. */
    for (int extra = 0; extra <= 1; extra++) {
        struct buf h = {0};
        puts_(&h, "--b\r\nContent-Disposition: form-data; name=big\r\nX-Pad: ");
        const char *tail = "\r\n\r\n";
        size_t header_so_far = h.len - 5; /* after "--b\r\n" */
        size_t pad = MULTIPART_MAX_HEADER - header_so_far - strlen(tail) + (size_t)extra;
        for (size_t i = 0; i < pad; i++)
            put(&h, "p", 1);
        puts_(&h, tail);
        puts_(&h, "data\r\n--b--");
        struct got *g = run("multipart/form-data; boundary=b", h.p, h.len, 1, 0);
        struct got *g2 = run("multipart/form-data; boundary=b", h.p, h.len, h.len, 0);
        expect_same(g, g2, "header limit", (size_t)extra);
        if (extra == 0) {
            assert_int_equal(g->rc, 0);
            assert_true(g->done);
            expect_part(g, 0, "big", NULL, "", "data", 4);
        } else {
            assert_int_equal(g->rc, -1);
            assert_string_equal(g->error, "part header too large");
            assert_int_equal(g->n, 0);
        }
        got_free(g);
        got_free(g2);
        free(h.p);
    }

    /* A header line that never ends. */
    struct buf h = {0};
    puts_(&h, "--b\r\nContent-Disposition: form-data; name=");
    for (int i = 0; i < 3 * MULTIPART_MAX_HEADER; i++)
        put(&h, "x", 1);
    struct got *g = run("multipart/form-data; boundary=b", h.p, h.len, 1000, 0);
    assert_int_equal(g->rc, -1);
    assert_string_equal(g->error, "part header too large");
    got_free(g);
    free(h.p);
}

static void test_callback_stops(void **state)
{
    struct buf b = {0};
    sample(&b);
    for (size_t step = 1; step <= b.len; step = step * 3 + 1) {
        for (int which = 0; which < 3; which++) {
            for (int k = 1; k <= 3; k++) {
                struct got *g = got_new();
                if (which == 0)
                    g->stop_begin = k;
                else if (which == 1)
                    g->stop_data = k;
                else
                    g->stop_end = k;
                run_into(g, CT, b.p, b.len, step, 0);
                if (which == 1 && g->datas < k) {
                    got_free(g); /* fewer data calls than k at this step */
                    continue;
                }
                assert_int_equal(g->rc, -1);
                assert_string_equal(g->error, "stopped by callback");
                assert_false(g->done);
                assert_false(g->called_after_stop);
                if (which == 0) {
                    assert_int_equal(g->begins, k);
                    assert_int_equal(g->ends, k - 1);
                } else if (which == 2) {
                    assert_int_equal(g->ends, k);
                    assert_int_equal(g->begins, k);
                }
                got_free(g);
            }
        }
    }
    free(b.p);
}

/* Callbacks may be left NULL. */
static void test_null_callbacks(void **state)
{
    struct buf b = {0};
    sample(&b);
    struct multipart m;
    assert_int_equal(multipart_init(&m, CT, strlen(CT)), 0);
    struct multipart_callbacks none = {NULL, NULL, NULL};
    assert_int_equal(multipart_feed(&m, b.p, b.len, &none, NULL), 0);
    assert_true(multipart_done(&m));
    assert_int_equal(multipart_init(&m, CT, strlen(CT)), 0);
    assert_int_equal(multipart_feed(&m, b.p, b.len, NULL, NULL), 0);
    assert_true(multipart_done(&m));
    /* Data after the end, even garbage, is ignored. */
    assert_int_equal(multipart_feed(&m, "\x01garbage", 8, NULL, NULL), 0);
    assert_true(multipart_done(&m));
    free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_all_splits),
        cmocka_unit_test(test_boundary_prefix_of_longer_line),
        cmocka_unit_test(test_preamble_epilogue),
        cmocka_unit_test(test_boundary_at_start_and_after_crlf),
        cmocka_unit_test(test_content_type_forms),
        cmocka_unit_test(test_disposition_params),
        cmocka_unit_test(test_headers_lenient_forms),
        cmocka_unit_test(test_empty_parts),
        cmocka_unit_test(test_many_parts),
        cmocka_unit_test(test_large_part),
        cmocka_unit_test(test_incomplete),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_null_callbacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
