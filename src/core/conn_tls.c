#include "core/conn_tls.h"
#include "core/conn_tls_wbio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/conn.h"
#include "core/log.h"
#include "core/tls.h"

/* The first byte of a TLS record carrying a handshake message. */
#define TLS_HANDSHAKE_RECORD 0x16

struct conn_tls {
    SSL *ssl;
    char *wbuf;        /* staged plaintext (from the set's pool), or NULL */
    size_t woff, wlen; /* wbuf[woff .. wlen) is still to be written */
    bool started;      /* the first byte was a TLS record */
    bool done;         /* the handshake finished */
    bool failed;       /* a fatal error: no close_notify */
    bool shut;         /* close_notify was sent */
    bool read_wants_write; /* SSL_read waits for the socket to take bytes */
    bool write_wants_read; /* SSL_write waits for bytes from the peer */
    bool drained;      /* the last read(2) got less than it asked: the socket was empty */
};

/* Watches the socket BIO's reads: one that returns less than it asked for
 * (OpenSSL reads ahead, a whole buffer at a time) or nothing drained the
 * socket, so no read is needed until the next EPOLLIN edge. */
static long bio_watch(BIO *b, int oper, const char *argp, size_t len, int argi, long argl,
                      int ret, size_t *processed)
{
    if (oper == (BIO_CB_READ | BIO_CB_RETURN)) {
        struct conn_tls *t = (struct conn_tls *)BIO_get_callback_arg(b);
        t->drained = ret <= 0 || !processed || *processed < len;
    }
    return ret;
}

int conn_tls_start(struct conn *c, struct tls_ctx *ctx)
{
    struct conn_tls *t = calloc(1, sizeof(*t));
    BIO *bio = NULL, *wbio = NULL;
    if (!t || !(t->ssl = SSL_new(tls_ctx_ssl(ctx))) ||
        !(bio = BIO_new_socket(c->io.fd, BIO_NOCLOSE)) || !(wbio = conn_tls_wbio_new(c))) {
        BIO_free(bio);
        if (t)
            SSL_free(t->ssl);
        free(t);
        ERR_clear_error();
        return -1;
    }
    BIO_set_callback_ex(bio, bio_watch);
    BIO_set_callback_arg(bio, (char *)t);
    SSL_set_bio(t->ssl, bio, wbio);
    /* Records are read a buffer at a time, not header then body: one
     * read(2) per request instead of two, and bio_watch can tell when the
     * socket is empty. */
    SSL_set_read_ahead(t->ssl, 1);
    SSL_set_app_data(t->ssl, c);
    SSL_set_accept_state(t->ssl);
    c->tls = t;
    return 0;
}

bool conn_is_tls(const struct conn *c)
{
    return c->tls != NULL;
}

/* The handshake is over: counted once. */
static void check_done(struct conn *c)
{
    struct conn_tls *t = c->tls;
    if (!t->done && SSL_is_init_finished(t->ssl)) {
        t->done = true;
        c->set->stats->tls_handshakes++;
    }
}

/* A fatal error: logged at info while handshaking (clients that give up,
 * scanners), at debug after it. */
static void failed(struct conn *c, int err)
{
    struct conn_tls *t = c->tls;
    t->failed = true;
    unsigned long e = ERR_peek_last_error();
    const char *why = e ? ERR_reason_error_string(e) : NULL;
    if (!why)
        why = err == SSL_ERROR_SYSCALL ? strerror(errno) : "failed";
    if (!t->done)
        log_info("client TLS handshake: %s", why);
    else
        log_debug("client TLS: %s", why);
    ERR_clear_error();
}

/* Looks at the first byte without taking it: a TLS record goes on as TLS,
 * anything else (a plain HTTP request) is read as it is and marked.
 * Returns 1 (TLS), 0 (nothing yet), -1 (closed or failed), or 2 (plain). */
static int sniff(struct conn *c)
{
    char b;
    ssize_t n = conn_recv_socket(c, &b, 1, MSG_PEEK);
    if (n <= 0)
        return (int)n;
    if ((unsigned char)b != TLS_HANDSHAKE_RECORD)
        return 2;
    c->tls->started = true;
    return 1;
}

ssize_t conn_tls_recv(struct conn *c, char *buf, size_t len)
{
    struct conn_tls *t = c->tls;
    if (!c->readable || len == 0)
        return 0;
    if (!t->started) {
        int s = sniff(c);
        if (s == 2) {
            /* Not TLS: the protocol answers in plain text and closes. */
            c->plain_on_tls = true;
            conn_tls_free(c);
            return conn_recv(c, buf, len);
        }
        if (s <= 0)
            return s;
    }
    t->read_wants_write = false;
    /* OpenSSL's error queue is empty here: every failure below empties it
     * (failed()), so SSL_get_error reads this call's outcome. */
    for (;;) {
        /* Only a read(2) of this call may say the socket is empty (a
         * stale flag once lost an edge that came while writing). */
        t->drained = false;
        int n = SSL_read(t->ssl, buf, (int)(len > INT32_MAX ? INT32_MAX : len));
        check_done(c);
        if (n > 0) {
            c->set->stats->bytes_received += (uint64_t)n;
            /* Nothing buffered and the socket left empty: the next byte
             * brings an edge (as after a short plain read). */
            if (t->drained && !SSL_has_pending(t->ssl) && !c->rdhup)
                c->readable = false;
            return n;
        }
        int err = SSL_get_error(t->ssl, n);
        switch (err) {
        case SSL_ERROR_WANT_READ:
            c->readable = false;
            return 0;
        case SSL_ERROR_WANT_WRITE:
            /* The handshake's answer waits for room: the next EPOLLOUT
             * edge makes the connection readable again (conn_io). */
            c->readable = false;
            t->read_wants_write = true;
            return 0;
        case SSL_ERROR_ZERO_RETURN:
            c->readable = false;
            c->peer_closed = true;
            return -1;
        case SSL_ERROR_SYSCALL:
            if (errno == EINTR) {
                ERR_clear_error();
                continue;
            }
            /* fall through */
        default:
            failed(c, err);
            return -1;
        }
    }
}

/* Fills the staging buffer from the queue. Returns its length (0: nothing
 * to take now), or -1. */
static long stage(struct conn *c)
{
    struct conn_tls *t = c->tls;
    if (!t->wbuf && !(t->wbuf = bufpool_get(&c->set->tls_wbufs)))
        return -1;
    long n = outq_take(&c->out, t->wbuf, CONN_TLS_WBUF);
    t->woff = 0;
    t->wlen = n > 0 ? (size_t)n : 0;
    return n;
}

static void unstage(struct conn *c)
{
    struct conn_tls *t = c->tls;
    if (t->wbuf) {
        bufpool_put(&c->set->tls_wbufs, t->wbuf);
        t->wbuf = NULL;
    }
    t->woff = t->wlen = 0;
}

/* The queue is written through the session: the gathered records go out. */
static enum outq_result sent_all(struct conn *c)
{
    BIO *w = SSL_get_wbio(c->tls->ssl);
    if (BIO_flush(w) <= 0) {
        if (BIO_should_retry(w))
            return OUTQ_AGAIN;
        failed(c, SSL_ERROR_SYSCALL);
        return OUTQ_ERROR;
    }
    return outq_empty(&c->out) ? OUTQ_DONE : OUTQ_STREAM_WAIT;
}

enum outq_result conn_tls_flush(struct conn *c)
{
    struct conn_tls *t = c->tls;
    t->write_wants_read = false;
    for (;;) {
        if (t->woff == t->wlen) {
            long n = stage(c);
            if (n < 0)
                return OUTQ_ERROR;
            if (n == 0) {
                unstage(c);
                return sent_all(c);
            }
        }
        /* After WANT_WRITE the same bytes are offered again (at least as
         * many: the queue only grows at its end), as SSL_write asks. */
        int w = SSL_write(t->ssl, t->wbuf + t->woff, (int)(t->wlen - t->woff));
        if (w > 0) {
            t->woff += (size_t)w;
            c->bytes_sent += (uint64_t)w;
            continue;
        }
        int err = SSL_get_error(t->ssl, w);
        switch (err) {
        case SSL_ERROR_WANT_WRITE:
            return OUTQ_AGAIN;
        case SSL_ERROR_WANT_READ:
            /* Waits for the peer (the next EPOLLIN edge: conn_io). */
            t->write_wants_read = true;
            return OUTQ_AGAIN;
        case SSL_ERROR_SYSCALL:
            if (errno == EINTR) {
                ERR_clear_error();
                continue;
            }
            /* fall through */
        default:
            failed(c, err);
            return OUTQ_ERROR;
        }
    }
}

bool conn_tls_pending(const struct conn *c)
{
    return c->tls && SSL_pending(c->tls->ssl) > 0;
}

void conn_tls_edges(struct conn *c, bool in, bool out)
{
    struct conn_tls *t = c->tls;
    if (t->read_wants_write && out)
        c->readable = true;
    if (t->write_wants_read && in)
        c->writable = true;
}

void conn_tls_shutdown(struct conn *c)
{
    struct conn_tls *t = c->tls;
    if (!t || t->shut || t->failed || !t->done)
        return;
    t->shut = true;
    ERR_clear_error();
    (void)SSL_shutdown(t->ssl); /* one try: close_notify, not waiting for the answer */
    (void)BIO_flush(SSL_get_wbio(t->ssl));
    ERR_clear_error();
}

void conn_tls_free(struct conn *c)
{
    struct conn_tls *t = c->tls;
    if (!t)
        return;
    if (!t->done)
        c->set->stats->tls_failures++;
    unstage(c);
    SSL_free(t->ssl);
    free(t);
    c->tls = NULL;
}

/* ---- SNI ---- */

/* The host name of a ClientHello's server_name extension (RFC 6066: a
 * list holding one host_name); false when there is none to use. */
static bool sni_name(SSL *s, char *name, size_t cap)
{
    const unsigned char *p;
    size_t len;
    if (SSL_client_hello_get0_ext(s, TLSEXT_TYPE_server_name, &p, &len) != 1 || len < 5)
        return false;
    size_t list = (size_t)p[0] << 8 | p[1];
    size_t n = (size_t)p[3] << 8 | p[4];
    if (list + 2 != len || p[2] != TLSEXT_NAMETYPE_host_name || n == 0 || n + 3 > list ||
        n >= cap || memchr(p + 5, '\0', n))
        return false;
    memcpy(name, p + 5, n);
    name[n] = '\0';
    return true;
}

int conn_tls_client_hello(SSL *s, int *alert, void *arg)
{
    struct conn *c = SSL_get_app_data(s);
    char name[256];
    if (!c || !c->set->proto->tls_pick || !sni_name(s, name, sizeof(name)))
        return SSL_CLIENT_HELLO_SUCCESS; /* the address's default certificate */
    struct tls_ctx *t = c->set->proto->tls_pick(c, name);
    if (!t)
        return SSL_CLIENT_HELLO_SUCCESS;
    SSL_CTX *ctx = tls_ctx_ssl(t);
    if (ctx != SSL_get_SSL_CTX(s)) {
        /* The certificate, and the versions of that server's tls block. */
        if (!SSL_set_SSL_CTX(s, ctx) ||
            SSL_set_min_proto_version(s, SSL_CTX_get_min_proto_version(ctx)) != 1 ||
            SSL_set_max_proto_version(s, SSL_CTX_get_max_proto_version(ctx)) != 1) {
            *alert = SSL_AD_INTERNAL_ERROR;
            return SSL_CLIENT_HELLO_ERROR;
        }
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}
