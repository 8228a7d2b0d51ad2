// link: src/core/conn.c src/core/conn_tls.c src/core/tls.c src/core/loop.c src/core/timer.c src/core/outq.c src/core/bufpool.c src/core/log.c src/lib/*.c -lssl -lcrypto
/* libFuzzer driver for the TLS transport's first bytes: the input is what a
 * client sends on a new connection to a TLS address (a ClientHello, a
 * truncated one, garbage, a plain HTTP request), written into a
 * non-blocking socketpair in pieces and read through conn_read, as the
 * loop would, until the session fails, waits, or the input ends (then the
 * client half-closes when the first byte says so).
 *
 * The first input byte is control: bits 0-5 pick the piece size (1..64
 * bytes, or all at once when 0), bit 6 half-closes the client's side at
 * the end. The certificate is tests/unit/data/config/tls/site.pem
 * ($PORTICO_FUZZ_TLS_DIR, else that folder from the current directory).
 *
 * Invariants:
 *   - reads return -1, 0 or a byte count that fits the buffer; a read that
 *     failed leaves the connection to be closed, and closing it frees the
 *     session;
 *   - bytes that are not a TLS record mark the connection plain_on_tls and
 *     come through as they are, unchanged;
 *   - once closed, exactly one of handshakes and failures has gone up by
 *     one (no handshake can finish without the client's Finished, so it is
 *     the failures, unless the session was dropped as plain text: also a
 *     failure);
 *   - nothing leaks (LeakSanitizer). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/conn.h"
#include "core/conn_tls.h"
#include "core/loop.h"
#include "core/stats.h"
#include "core/tls.h"
#include "fuzz.h"

static struct loop g_loop;
static struct conn_set g_set;
static struct worker_stats g_stats;
static struct tls_ctx *g_ctx;

static void on_accept(struct conn *c)
{
    CHECK(conn_tls_start(c, g_ctx) == 0);
}
static void nothing(struct conn *c) {}
static struct tls_ctx *pick(struct conn *c, const char *name)
{
    CHECK(name != NULL && strlen(name) < 256);
    return g_ctx;
}

static const struct conn_proto proto = {
    .on_accept = on_accept,
    .on_data = nothing,
    .on_drained = nothing,
    .on_written = nothing,
    .on_timeout = nothing,
    .on_close = nothing,
    .tls_pick = pick,
};

static void setup(void)
{
    const char *dir = getenv("PORTICO_FUZZ_TLS_DIR");
    if (!dir)
        dir = "tests/unit/data/config/tls";
    char cert[512], key[512], err[256];
    snprintf(cert, sizeof(cert), "%s/site.pem", dir);
    snprintf(key, sizeof(key), "%s/site.key", dir);
    enum tls_fault fault;
    CHECK(tls_init() == 0);
    g_ctx = tls_ctx_new(cert, key, TLS_V1_2 | TLS_V1_3, err, sizeof(err), &fault);
    if (!g_ctx) {
        fprintf(stderr, "fuzz_tls_hello: %s (set PORTICO_FUZZ_TLS_DIR)\n", err);
        abort();
    }
    CHECK(loop_init(&g_loop) == 0);
    conn_set_init(&g_set, &g_loop, 4096, &proto, NULL, &g_stats);
}

/* Reads what the server wrote back (alerts, its hello) and drops it. */
static void drain(int fd)
{
    char sink[4096];
    while (read(fd, sink, sizeof(sink)) > 0) {
    }
}

/* Reads all the connection has; returns false once it failed (closed). */
static bool read_all(struct conn *c, const uint8_t *plain, size_t plain_len, size_t *plain_seen)
{
    for (;;) {
        c->readable = true;
        ssize_t n = conn_read(c);
        if (n < 0) {
            conn_close(c);
            return false;
        }
        if (n == 0)
            return true;
        CHECK((size_t)n <= 4096);
        /* Plain bytes come through unchanged. */
        CHECK(c->plain_on_tls);
        CHECK(*plain_seen + (size_t)n <= plain_len);
        CHECK(memcmp(c->rbuf + c->rpos, plain + *plain_seen, (size_t)n) == 0);
        *plain_seen += (size_t)n;
        c->rpos = c->rlen;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_ctx)
        setup();
    if (size < 1)
        return 0;
    uint8_t ctl = data[0];
    data++;
    size--;
    size_t piece = ctl & 63 ? (size_t)(ctl & 63) : size + 1;
    bool half_close = ctl & 64;

    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    struct sockaddr_storage peer = {.ss_family = AF_UNIX};
    uint64_t hs0 = g_stats.tls_handshakes, fail0 = g_stats.tls_failures;
    struct conn *c = conn_new(&g_set, sv[0], &peer, sizeof(sa_family_t), NULL);
    CHECK(c != NULL && c->tls != NULL);

    bool open = true;
    size_t plain_seen = 0;
    for (size_t off = 0; open && off < size; off += piece) {
        size_t n = size - off < piece ? size - off : piece;
        ssize_t w = write(sv[1], data + off, n);
        if (w < 0 && errno == EAGAIN) /* the server stopped reading long ago */
            break;
        CHECK(w == (ssize_t)n);
        open = read_all(c, data, size, &plain_seen);
        drain(sv[1]);
    }
    if (open && half_close) {
        shutdown(sv[1], SHUT_WR);
        open = read_all(c, data, size, &plain_seen);
        CHECK(!open); /* the end of the input ends the connection */
    }
    if (open)
        conn_close(c);
    CHECK(c->tls == NULL);
    CHECK(g_stats.tls_handshakes - hs0 + (g_stats.tls_failures - fail0) == 1);
    conn_set_collect(&g_set);
    close(sv[1]);
    return 0;
}
