/* Tests for src/server: the HTTP/1 exchange driven over a socketpair, with
 * no listening socket and no process of its own. A worker's loop and
 * connection set run in the test; the test holds the other end of the pair
 * and speaks raw HTTP. The configuration is a small YAML file written by
 * the test, loaded with the real handlers plus one of the test's own (a
 * streaming one, which also shows that a handler is a descriptor in the
 * table and nothing more). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <cmocka.h>
#include <zlib.h>

#include "config/cfg_parse.h"
#include "config/config.h"
#include "core/log.h"
#include "core/worker.h"
#include "handlers/handlers.h"
#include "server/request.h"
#include "server/server.h"

/* ---- a streaming handler of the test's own ---- */

static const char *const pieces[] = {"part1", "part-two", "3"};

/* Upper-cases what passes: a response filter. */
static int upper_write(struct response_filter *f, struct request *r, const char *p, size_t len,
                       bool last)
{
    static char buf[64];
    for (size_t i = 0; i < len && i < sizeof(buf); i++)
        buf[i] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i]);
    return response_filter_next(f, r, buf, len, last);
}

static struct response_filter upper = {.write = upper_write};

/* Sends the next piece; the last one ends the body. */
static void stream_next(struct request *r)
{
    size_t i = (size_t)(uintptr_t)r->handler_data;
    size_t n = sizeof(pieces) / sizeof(pieces[0]);
    r->handler_data = (void *)(uintptr_t)(i + 1);
    response_stream_write(r, pieces[i], strlen(pieces[i]), i + 1 == n);
}

static enum handler_result stream_on_request(struct request *r)
{
    response_set_status(r, 200);
    response_add_header(r, "Content-Type: text/plain");
    if (r->head.has_query)
        response_add_filter(r, &upper);
    r->handler_data = (void *)(uintptr_t)0;
    /* The head goes out; on_drained asks for each piece from then on. */
    response_stream_begin(r, false);
    return HANDLER_ASYNC;
}

static void stream_on_drained(struct request *r)
{
    stream_next(r);
}

static void stream_on_abort(struct request *r)
{
    r->handler_data = NULL;
}

static const char *const stream_keys[] = {"stream", NULL};

static int stream_parse(struct cfg_ctx *c, const struct cfg_node *m,
                        const struct cfg_location *loc, const void **settings)
{
    return cfg_get_flag(c, m, "stream", settings);
}

static const struct handler handler_stream = {
    .desc = {.name = "stream", .keys = stream_keys, .order = 0, .exclusive = true,
             .parse = stream_parse},
    .on_request = stream_on_request,
    .on_drained = stream_on_drained,
    .on_abort = stream_on_abort,
};

/* ---- the fixture ---- */

static struct {
    char dir[64];
    char yaml[PATH_MAX];
    struct config *cfg;
    struct server srv;
    struct worker w;
    int client; /* the test's end */
} F;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- files for gzip: z/big.html (300 KiB, sent from its fd), z/small.html
 * (8 KiB, from the small-file cache), z/tiny.html (under min_size) and
 * z/pic.png (a type not listed) ---- */

static char *g_big;   /* big.html's text */
static size_t g_big_len;
static const char *const gzip_files[] = {"big.html", "small.html", "tiny.html", "pic.png",
                                         "a.css",    "a.css.gz",   "a.css.br"};

static char *html_text(size_t len)
{
    char *t = malloc(len + 1);
    size_t at = 0;
    for (unsigned i = 0; at < len; i++)
        at += (size_t)snprintf(t + at, len + 1 - at, "<p>line %u of a page that compresses</p>\n", i);
    t[len] = '\0';
    return t;
}

static void make_gzip_files(void)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/z", F.dir);
    mkdir(path, 0755);
    g_big_len = 300 * 1024;
    g_big = html_text(g_big_len);
    snprintf(path, sizeof(path), "%s/z/big.html", F.dir);
    write_file(path, g_big);
    char *small = html_text(8192);
    snprintf(path, sizeof(path), "%s/z/small.html", F.dir);
    write_file(path, small);
    snprintf(path, sizeof(path), "%s/z/pic.png", F.dir);
    write_file(path, small);
    free(small);
    snprintf(path, sizeof(path), "%s/z/tiny.html", F.dir);
    write_file(path, "<p>tiny</p>\n");
    /* a.css and its variants, made a second later. */
    snprintf(path, sizeof(path), "%s/z/a.css", F.dir);
    write_file(path, "p { color: red }\n");
    struct timespec old[2] = {{.tv_sec = 1700000000}, {.tv_sec = 1700000000}};
    utimensat(AT_FDCWD, path, old, 0);
    snprintf(path, sizeof(path), "%s/z/a.css.gz", F.dir);
    write_file(path, "GZ-VARIANT");
    snprintf(path, sizeof(path), "%s/z/a.css.br", F.dir);
    write_file(path, "BR-VARIANT!");
}

static void remove_gzip_files(void)
{
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof(gzip_files) / sizeof(gzip_files[0]); i++) {
        snprintf(path, sizeof(path), "%s/z/%s", F.dir, gzip_files[i]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/z", F.dir);
    rmdir(path);
    free(g_big);
}

static int setup(void **state)
{
    strcpy(F.dir, "/tmp/portico_exchange_XXXXXX");
    if (!mkdtemp(F.dir))
        return -1;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/index.html", F.dir);
    write_file(path, "hello\n");
    make_gzip_files();
    snprintf(F.yaml, sizeof(F.yaml), "%s/t.yaml", F.dir);
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "servers:\n"
             "  - listen: 18999\n"
             "    root: %s\n"
             "    limits: {body_size: 64}\n"
             "    locations:\n"
             "      /: {}\n"
             "      /cs/: {root: %s, charset: koi8-r}\n"
             "      /stream/: {stream: true, charset: utf-8}\n"
             "      /z/: {compress: true}\n"
             "      /zs/: {stream: true, compress: {types: [text/plain]}}\n",
             F.dir, F.dir);
    write_file(F.yaml, yaml);
    static const struct cfg_handler *table[16];
    size_t n = 0;
    for (; handler_table[n]; n++)
        table[n] = handler_table[n];
    table[n++] = &handler_stream.desc;
    table[n] = NULL;
    char err[512];
    F.cfg = cfg_load(F.yaml, table, err, sizeof(err));
    if (!F.cfg) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    remove_gzip_files();
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/index.html", F.dir);
    unlink(path);
    unlink(F.yaml);
    rmdir(F.dir);
    cfg_free(F.cfg);
    return 0;
}

/* A worker with one connection: the server's end of a socketpair. */
static int conn_up(void **state)
{
    server_init(&F.srv, F.cfg, NULL);
    if (worker_init(&F.w, server_read_buffer_size(F.cfg), 10, &server_proto, &F.srv, NULL) < 0)
        return -1;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        return -1;
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40000)};
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct sockaddr_storage ss;
    memcpy(&ss, &peer, sizeof(peer));
    F.client = sv[1];
    return conn_new(&F.w.conns, sv[0], &ss, sizeof(peer), &F.cfg->listeners[0]) ? 0 : -1;
}

static int conn_down(void **state)
{
    if (F.client >= 0)
        close(F.client);
    worker_free(&F.w);
    handlers_destroy();
    server_free(&F.srv);
    return 0;
}

/* Runs the worker's loop until it has nothing more to do for a moment. */
static void pump(void)
{
    for (int i = 0; i < 20; i++)
        loop_run_once(&F.w.loop, 2);
}

static void send_str(const char *s, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(F.client, s + done, len - done);
        if (n < 0 && errno == EAGAIN) {
            pump();
            continue;
        }
        assert_true(n > 0);
        done += (size_t)n;
    }
    pump();
}

#define SEND(lit) send_str((lit), sizeof(lit) - 1)

/* What the server sent so far (NUL-terminated in a static buffer); *eof
 * when it closed its end. */
static const char *received(bool *eof)
{
    static char buf[65536];
    size_t len = 0;
    *eof = false;
    for (;;) {
        ssize_t n = read(F.client, buf + len, sizeof(buf) - 1 - len);
        if (n > 0) {
            len += (size_t)n;
            continue;
        }
        if (n == 0)
            *eof = true;
        break;
    }
    buf[len] = '\0';
    return buf;
}

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The /status counters of the worker add up: one open connection, idle. */
static void assert_idle_counts(void)
{
    const struct worker_stats *s = F.w.stats;
    assert_int_equal(s->active, 1);
    assert_int_equal(s->idle, 1);
    assert_int_equal(s->reading, 0);
    assert_int_equal(s->writing, 0);
}

/* ---- tests ---- */

static void test_keep_alive(void **state)
{
    bool eof;
    SEND("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    const char *got = received(&eof);
    assert_non_null(strstr(got, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(got, "Connection: keep-alive\r\n"));
    assert_non_null(strstr(got, "\r\n\r\nhello\n"));
    assert_false(eof);
    assert_idle_counts();
    SEND("GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n");
    got = received(&eof);
    assert_non_null(strstr(got, "HTTP/1.1 200 OK\r\n"));
    assert_false(eof);
    assert_int_equal(F.w.stats->requests_total, 2);
    assert_idle_counts();
}

static void test_pipelining(void **state)
{
    bool eof;
    static const char sent[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
                               "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n"
                               "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n";
    SEND(sent);
    const char *got = received(&eof);
    /* Every byte each way counted, and each response by its class. */
    const struct worker_stats *s = F.w.stats;
    assert_int_equal(s->bytes_received, sizeof(sent) - 1);
    assert_int_equal(s->bytes_sent, strlen(got));
    assert_int_equal(s->responses[STATS_CLASS(200)], 2);
    assert_int_equal(s->responses[STATS_CLASS(404)], 1);
    assert_int_equal(s->responses[0] + s->responses[2] + s->responses[4], 0);
    assert_int_equal(s->requests_total, 3);
    const char *a = strstr(got, "HTTP/1.1 200");
    const char *b = strstr(got, "HTTP/1.1 404");
    const char *c = a ? strstr(a + 1, "HTTP/1.1 200") : NULL;
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_true(a < b && b < c); /* in order */
    assert_int_equal(count(got, "hello\n"), 1); /* HEAD has no body */
    assert_false(eof);
    assert_idle_counts();
}

static void test_parse_error(void **state)
{
    bool eof;
    SEND("GARBAGE\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
    const char *got = received(&eof);
    assert_non_null(strstr(got, "HTTP/1.1 400 Bad Request\r\n"));
    assert_non_null(strstr(got, "Connection: close\r\n"));
    assert_int_equal(count(got, "HTTP/1.1"), 1); /* nothing after the error */
    assert_true(eof); /* half-closed: the client sees the end */
    assert_int_equal(F.w.stats->reading + F.w.stats->writing + F.w.stats->idle, 0);
}

static void test_body_discarded(void **state)
{
    bool eof;
    /* A GET with a body nobody reads, and a request right behind it. */
    SEND("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
         "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    const char *got = received(&eof);
    assert_int_equal(count(got, "HTTP/1.1 200 OK\r\n"), 2);
    assert_int_equal(count(got, "Connection: close"), 0);
    assert_false(eof);
    /* The same with a chunked body, fed a byte at a time. */
    static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
    for (size_t i = 0; i < sizeof(req) - 1; i++)
        send_str(req + i, 1);
    got = received(&eof);
    assert_int_equal(count(got, "HTTP/1.1 200 OK\r\n"), 2);
    assert_int_equal(count(got, "Connection: close"), 0);
    assert_false(eof);
    assert_idle_counts();
}

static void test_body_too_large(void **state)
{
    bool eof;
    /* Over body_size (64) by Content-Length: 413 before reading, close. */
    SEND("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 65\r\n\r\n");
    const char *got = received(&eof);
    assert_non_null(strstr(got, "HTTP/1.1 413 "));
    assert_non_null(strstr(got, "Connection: close\r\n"));
}

static void test_streaming_handler(void **state)
{
    bool eof;
    SEND("GET /stream/ HTTP/1.1\r\nHost: a\r\n\r\n");
    const char *got = received(&eof);
    assert_non_null(strstr(got, "Transfer-Encoding: chunked\r\n"));
    assert_non_null(strstr(got, "\r\n\r\n5\r\npart1\r\n8\r\npart-two\r\n1\r\n3\r\n0\r\n\r\n"));
    assert_false(eof);
    assert_idle_counts();
    /* Through a filter; HTTP/1.0 gets the body framed by the close. */
    SEND("GET /stream/?up HTTP/1.0\r\n\r\n");
    got = received(&eof);
    assert_null(strstr(got, "chunked"));
    assert_non_null(strstr(got, "\r\n\r\nPART1PART-TWO3"));
    assert_true(eof);
}

/* ---- gzip ---- */

/* One whole response: the loop runs while the test reads, until the
 * chunked body's end (or, without chunks, until want bytes of body came or
 * the server closed). Returns the bytes in a malloc'd buffer (*len). */
static char *read_response(size_t want_body, size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    for (int idle = 0; idle < 200;) {
        ssize_t got = read(F.client, buf + n, cap - n);
        if (got > 0) {
            n += (size_t)got;
            idle = 0;
        } else if (got == 0) {
            break;
        } else {
            loop_run_once(&F.w.loop, 2);
            idle++;
        }
        buf[n] = '\0';
        const char *end = strstr(buf, "\r\n\r\n");
        if (end && strstr(buf, "Transfer-Encoding: chunked") ? n >= 5 &&
                memcmp(buf + n - 5, "0\r\n\r\n", 5) == 0
            : end && n - (size_t)(end + 4 - buf) >= want_body)
            break;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The body of a chunked response, decoded, then gunzipped: *out_len bytes. */
static char *gunzip_chunked(const char *resp, size_t len, size_t *out_len)
{
    const char *p = strstr(resp, "\r\n\r\n");
    assert_non_null(p);
    p += 4;
    char *zbuf = malloc(len);
    size_t zlen = 0;
    for (;;) {
        char *eol;
        unsigned long size = strtoul(p, &eol, 16);
        assert_true(eol[0] == '\r' && eol[1] == '\n');
        p = eol + 2;
        if (size == 0)
            break;
        memcpy(zbuf + zlen, p, size);
        zlen += size;
        p += size;
        assert_true(p[0] == '\r' && p[1] == '\n');
        p += 2;
    }
    size_t cap = 4 << 20;
    char *out = malloc(cap);
    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)zbuf;
    z.avail_in = (uInt)zlen;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.avail_in, 0); /* nothing after the gzip member */
    *out_len = cap - z.avail_out;
    inflateEnd(&z);
    free(zbuf);
    return out;
}

static bool has_line(const char *resp, const char *line)
{
    const char *end = strstr(resp, "\r\n\r\n");
    const char *at = strstr(resp, line);
    return at && end && at < end;
}

/* GET path: the response must be gzipped, to want; a file's with a weak
 * ETag, and smaller than a quarter of it. */
static void expect_gzipped(const char *path, const char *want, size_t want_len, bool file)
{
    char req[256];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br, gzip\r\n\r\n",
                     path);
    send_str(req, (size_t)n);
    size_t len, out_len;
    char *resp = read_response(0, &len);
    assert_true(has_line(resp, "HTTP/1.1 200 OK\r\n"));
    assert_true(has_line(resp, "\r\nContent-Encoding: gzip\r\n"));
    assert_true(has_line(resp, "\r\nVary: Accept-Encoding\r\n"));
    assert_true(has_line(resp, "\r\nTransfer-Encoding: chunked\r\n"));
    assert_false(has_line(resp, "Content-Length"));
    assert_int_equal(has_line(resp, "\r\nETag: W/\""), file);
    assert_true(has_line(resp, "Connection: keep-alive"));
    assert_false(has_line(resp, "Accept-Ranges"));
    char *out = gunzip_chunked(resp, len, &out_len);
    assert_int_equal(out_len, want_len);
    assert_memory_equal(out, want, want_len);
    assert_true(!file || len < want_len / 4); /* it did compress */
    free(out);
    free(resp);
}

static void test_gzip_files(void **state)
{
    /* From the file (over the cache's size, over a turn of the loop), then
     * from the small-file cache, on one connection. */
    expect_gzipped("/z/big.html", g_big, g_big_len, true);
    char *small = html_text(8192);
    expect_gzipped("/z/small.html", small, 8192, true);
    expect_gzipped("/z/small.html", small, 8192, true);
    free(small);
    assert_idle_counts();
}

/* Sends req and returns the whole response (want_body bytes of body). */
static char *exchange(const char *req, size_t want_body)
{
    send_str(req, strlen(req));
    size_t len;
    return read_response(want_body, &len);
}

static void expect_identity(const char *req, const char *status, size_t body, bool vary)
{
    char *resp = exchange(req, body);
    assert_true(has_line(resp, status));
    assert_false(has_line(resp, "Content-Encoding"));
    assert_false(has_line(resp, "chunked"));
    assert_int_equal(has_line(resp, "\r\nVary: Accept-Encoding\r\n"), vary);
    free(resp);
}

static void test_gzip_identity(void **state)
{
    char cl[64];
    snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", g_big_len);
    /* No Accept-Encoding, gzip refused, another coding only. */
    expect_identity("GET /z/big.html HTTP/1.1\r\nHost: a\r\n\r\n", cl, g_big_len, true);
    expect_identity("GET /z/big.html HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br, gzip;q=0\r\n\r\n",
                    cl, g_big_len, true);
    expect_identity("GET /z/small.html HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br\r\n\r\n",
                    "Content-Length: 8192\r\n", 8192, true);
    /* Range: the identity bytes; HEAD: as without gzip. */
    expect_identity("GET /z/big.html HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n"
                    "Range: bytes=0-99\r\n\r\n", "HTTP/1.1 206 ", 100, true);
    expect_identity("HEAD /z/big.html HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n", cl,
                    0, true);
    /* Under min_size; a type not listed (no Vary). */
    expect_identity("GET /z/tiny.html HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n",
                    "Content-Length: 12\r\n", 12, true);
    expect_identity("GET /z/pic.png HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n",
                    "Content-Length: 8192\r\n", 8192, false);
    /* A location without compress. */
    expect_identity("GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n",
                    "Content-Length: 6\r\n", 6, false);
    /* 304 for the weak ETag gzip gave: still Vary. */
    char *resp = exchange("GET /z/small.html HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n", 0);
    const char *etag = strstr(resp, "ETag: W/");
    assert_non_null(etag);
    char req[256];
    int n = snprintf(req, sizeof(req),
                     "GET /z/small.html HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n"
                     "If-None-Match: %.*s\r\n\r\n",
                     (int)strcspn(etag + 6, "\r"), etag + 6);
    free(resp);
    resp = exchange(req, 0);
    assert_true(has_line(resp, "HTTP/1.1 304 "));
    assert_true(has_line(resp, "\r\nVary: Accept-Encoding\r\n"));
    free(resp);
    (void)n;
    assert_idle_counts();
    /* HTTP/1.0: identity, and the connection may stay. */
    expect_identity("GET /z/big.html HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n", cl, g_big_len,
                    true);
}

static void test_gzip_stream(void **state)
{
    expect_gzipped("/zs/", "part1part-two3", 14, false);
    assert_idle_counts();
    /* A handler's filter comes first; gzip is the last step. */
    expect_gzipped("/zs/?up", "PART1PART-TWO3", 14, false);
}

/* Precompressed: a.css.br or a.css.gz for a.css, as the client takes them,
 * with their own length and a.css's type. */
static void test_precompressed(void **state)
{
    char *resp = exchange("GET /z/a.css HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip, br\r\n\r\n", 11);
    assert_true(has_line(resp, "\r\nContent-Encoding: br\r\n"));
    assert_true(has_line(resp, "\r\nContent-Length: 11\r\n"));
    assert_true(has_line(resp, "\r\nContent-Type: text/css"));
    assert_true(has_line(resp, "\r\nVary: Accept-Encoding\r\n"));
    assert_int_equal(count(resp, "Vary"), 1);
    assert_non_null(strstr(resp, "\r\n\r\nBR-VARIANT!"));
    free(resp);
    resp = exchange("GET /z/a.css HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n", 10);
    assert_true(has_line(resp, "\r\nContent-Encoding: gzip\r\n"));
    assert_true(has_line(resp, "\r\nContent-Length: 10\r\n"));
    assert_non_null(strstr(resp, "\r\n\r\nGZ-VARIANT"));
    free(resp);
    /* By name: the variant's own type. */
    resp = exchange("GET /z/a.css.gz HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n", 10);
    assert_true(has_line(resp, "\r\nContent-Type: application/gzip"));
    assert_false(has_line(resp, "Content-Encoding"));
    free(resp);
    expect_identity("GET /z/a.css HTTP/1.1\r\nHost: a\r\n\r\n", "Content-Length: 17\r\n", 17,
                    true);
    expect_identity("GET /z/a.css HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br\r\nRange: bytes=0-3\r\n\r\n",
                    "HTTP/1.1 206 ", 4, true);
    assert_idle_counts();
}

/* The client leaves while the server feeds a big body (between two turns
 * of the loop): the connection and its stream go, nothing leaks. */
static void test_gzip_client_leaves(void **state)
{
    static const char req[] = "GET /z/big.html HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n";
    assert_int_equal(write(F.client, req, sizeof(req) - 1), sizeof(req) - 1);
    loop_run_once(&F.w.loop, 2);
    assert_int_equal(F.w.stats->writing, 1);
    close(F.client);
    F.client = -1;
    pump();
    assert_int_equal(F.w.stats->active, 0);
}

/* The charset goes after the types portico gives: a file's with the
 * location's name, its own pages (UTF-8) with utf-8; a handler's own
 * Content-Type header line stays as it is. */
static void test_charset(void **state)
{
    bool eof;
    SEND("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    const char *got = received(&eof);
    assert_non_null(strstr(got, "\r\nContent-Type: text/html\r\n")); /* off: bare */
    SEND("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n");
    got = received(&eof);
    assert_non_null(strstr(got, "\r\nContent-Type: text/html\r\n"));
    SEND("GET /cs/index.html HTTP/1.1\r\nHost: a\r\n\r\n");
    got = received(&eof);
    assert_non_null(strstr(got, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(got, "\r\nContent-Type: text/html; charset=koi8-r\r\n"));
    SEND("HEAD /cs/ HTTP/1.1\r\nHost: a\r\n\r\n");
    got = received(&eof);
    assert_non_null(strstr(got, "\r\nContent-Type: text/html; charset=koi8-r\r\n"));
    SEND("GET /cs/missing HTTP/1.1\r\nHost: a\r\n\r\n");
    got = received(&eof);
    assert_non_null(strstr(got, "HTTP/1.1 404 "));
    assert_non_null(strstr(got, "\r\nContent-Type: text/html; charset=utf-8\r\n"));
    SEND("GET /cs HTTP/1.1\r\nHost: a\r\n\r\n"); /* to the slash */
    got = received(&eof);
    assert_non_null(strstr(got, "HTTP/1.1 301 "));
    assert_non_null(strstr(got, "\r\nContent-Type: text/html; charset=utf-8\r\n"));
    SEND("GET /cs/index.html HTTP/1.1\r\nHost: a\r\nIf-None-Match: *\r\n\r\n");
    got = received(&eof);
    assert_non_null(strstr(got, "HTTP/1.1 304 "));
    assert_null(strstr(got, "Content-Type"));
    SEND("GET /stream/ HTTP/1.1\r\nHost: a\r\n\r\n");
    got = received(&eof);
    assert_non_null(strstr(got, "\r\nContent-Type: text/plain\r\n"));
    assert_null(strstr(got, "charset"));
    assert_false(eof);
}

static void test_client_leaves_mid_head(void **state)
{
    bool eof;
    SEND("GET / HTTP/1.1\r\nHo");
    assert_int_equal(F.w.stats->reading, 1);
    shutdown(F.client, SHUT_WR);
    pump();
    received(&eof);
    assert_true(eof);
    assert_int_equal(F.w.stats->active, 0);
    assert_int_equal(F.w.stats->reading, 0);
}

/* Checks one JSON access log line: its time, then want (every field from
 * "remote" to "ua" as written), then "ms" with three decimals, then the end. */
static void assert_json_line(const char *line, size_t len, const char *want)
{
    static const char head[] = "{\"time\":\"";
    char shape[64];
    assert_true(len > sizeof(head) + 25);
    assert_memory_equal(line, head, sizeof(head) - 1);
    /* 2026-11-25T20:00:00+00:00 */
    const char *t = line + sizeof(head) - 1;
    for (size_t i = 0; i < 25; i++)
        shape[i] = t[i] >= '0' && t[i] <= '9' ? 'd' : t[i] == '-' && i == 19 ? '+' : t[i];
    shape[25] = '\0';
    assert_string_equal(shape, "dddd-dd-ddTdd:dd:dd+dd:dd");
    const char *rest = t + 25;
    if (strncmp(rest, want, strlen(want)) != 0)
        print_error("want %s\n got %.*s\n", want, (int)(len - (size_t)(rest - line)), rest);
    assert_memory_equal(rest, want, strlen(want));
    rest += strlen(want);
    const char *ms = ",\"ms\":";
    assert_memory_equal(rest, ms, strlen(ms));
    rest += strlen(ms);
    size_t digits = strspn(rest, "0123456789");
    assert_true(digits > 0);
    assert_memory_equal(rest + digits, ".", 1);
    assert_int_equal(strspn(rest + digits + 1, "0123456789"), 3);
    assert_int_equal(line + len - (rest + digits + 4), 1);
    assert_int_equal(line[len - 1], '}');
}

/* access_log {format: json}: one object per request, every string as the
 * client sent it, escaped whatever its bytes; a request refused before
 * its head was whole still gets a valid line. */
static void test_json_access_log(void **state)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/access.log", F.dir);
    assert_int_equal(log_open_access(path), 0);
    F.cfg->access_log_format = CFG_LOG_JSON;
    bool eof;
    SEND("GET /?a=1 HTTP/1.1\r\nHost: A.test:8080\r\n"
         "User-Agent: \xff\xfe\x80 caf\xc3\xa9\r\nReferer: r\"\\\r\n\r\n");
    SEND("HEAD /missing HTTP/1.1\r\nHost: a\r\n\r\n");
    SEND("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n");
    received(&eof);
    assert_true(eof);
    log_access_flush();
    log_open_access(NULL);
    F.cfg->access_log_format = CFG_LOG_COMBINED;

    static char buf[8192];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    unlink(path);
    buf[len] = '\0';
    static const char *const want[] = {
        "\",\"remote\":\"127.0.0.1\",\"host\":\"A.test:8080\",\"method\":\"GET\","
        "\"target\":\"/?a=1\",\"proto\":\"HTTP/1.1\",\"status\":200,\"bytes\":6,"
        "\"referer\":\"r\\\"\\\\\",\"ua\":\"\\u00ff\\u00fe\\u0080 caf\xc3\xa9\"",
        "\",\"remote\":\"127.0.0.1\",\"host\":\"a\",\"method\":\"HEAD\","
        "\"target\":\"/missing\",\"proto\":\"HTTP/1.1\",\"status\":404,\"bytes\":0,"
        "\"referer\":\"\",\"ua\":\"\"",
        /* refused in the request line: method and target, nothing after */
        "\",\"remote\":\"127.0.0.1\",\"host\":\"\",\"method\":\"GET\","
        "\"target\":\"/a\\u0001\",\"proto\":\"\",\"status\":400,\"bytes\":",
    };
    const char *line = buf;
    for (size_t i = 0; i < 3; i++) {
        const char *nl = strchr(line, '\n');
        assert_non_null(nl);
        if (i < 2)
            assert_json_line(line, (size_t)(nl - line), want[i]);
        else
            assert_memory_equal(line + 34, want[i], strlen(want[i]));
        line = nl + 1;
    }
    assert_string_equal(line, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keep_alive, conn_up, conn_down),
        cmocka_unit_test_setup_teardown(test_pipelining, conn_up, conn_down),
        cmocka_unit_test_setup_teardown(test_parse_error, conn_up, conn_down),
        cmocka_unit_test_setup_teardown(test_body_discarded, conn_up, conn_down),
        cmocka_unit_test_setup_teardown(test_body_too_large, conn_up, conn_down),
        cmocka_unit_test_setup_teardown(test_streaming_handler, conn_up, conn_down),
        cmocka_unit_test_setup_teardown(test_charset, conn_up, conn_down),
        cmocka_unit_test_setup_teardown(test_client_leaves_mid_head, conn_up, conn_down),
        cmocka_unit_test_setup_teardown(test_gzip_files, conn_up, conn_down),
        cmocka_unit_test_setup_teardown(test_gzip_identity, conn_up, conn_down),
        cmocka_unit_test_setup_teardown(test_gzip_stream, conn_up, conn_down),
        cmocka_unit_test_setup_teardown(test_gzip_client_leaves, conn_up, conn_down),
        cmocka_unit_test_setup_teardown(test_precompressed, conn_up, conn_down),
        cmocka_unit_test_setup_teardown(test_json_access_log, conn_up, conn_down),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
