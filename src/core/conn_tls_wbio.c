#include "core/conn_tls_wbio.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "core/conn.h"

/* What one BIO holds: the connection (its socket and pool) and the
 * records not yet sent, obuf[off .. len). */
struct wbio {
    struct conn *c;
    char *obuf;
    size_t off, len;
};

/* Sends what is gathered. Returns 1 when all is out (the buffer goes back
 * to the pool), 0 when the socket is full, -1 on an error. */
static int send_gathered(struct wbio *w)
{
    while (w->off < w->len) {
        ssize_t n = send(w->c->io.fd, w->obuf + w->off, w->len - w->off, MSG_NOSIGNAL);
        if (n > 0) {
            w->off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
    if (w->obuf)
        bufpool_put(&w->c->set->tls_obufs, w->obuf);
    w->obuf = NULL;
    w->off = w->len = 0;
    return 1;
}

/* Flushes b: 1 when all is sent; otherwise <= 0, with the retry flag set
 * when the socket is full. */
static int flush(BIO *b)
{
    int r = send_gathered(BIO_get_data(b));
    if (r == 0)
        BIO_set_retry_write(b);
    return r;
}

static int wbio_write(BIO *b, const char *data, size_t len, size_t *written)
{
    struct wbio *w = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (len > CONN_TLS_OBUF - w->len) {
        int r = flush(b);
        if (r <= 0)
            return 0;
    }
    if (!w->obuf && !(w->obuf = bufpool_get(&w->c->set->tls_obufs)))
        return 0;
    if (len > CONN_TLS_OBUF) /* no record is this large; keep the rule anyway */
        len = CONN_TLS_OBUF;
    memcpy(w->obuf + w->len, data, len);
    w->len += len;
    *written = len;
    return 1;
}

static long wbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    struct wbio *w = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        BIO_clear_retry_flags(b);
        return flush(b);
    case BIO_CTRL_WPENDING:
    case BIO_CTRL_PENDING:
        return (long)(w->len - w->off);
    default:
        return 0;
    }
}

static int wbio_destroy(BIO *b)
{
    struct wbio *w = BIO_get_data(b);
    if (w) {
        if (w->obuf)
            bufpool_put(&w->c->set->tls_obufs, w->obuf);
        OPENSSL_free(w);
        BIO_set_data(b, NULL);
    }
    return 1;
}

static BIO_METHOD *method(void)
{
    static BIO_METHOD *m;
    if (!m && (m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "portico-wbio"))) {
        BIO_meth_set_write_ex(m, wbio_write);
        BIO_meth_set_ctrl(m, wbio_ctrl);
        BIO_meth_set_destroy(m, wbio_destroy);
    }
    return m;
}

BIO *conn_tls_wbio_new(struct conn *c)
{
    BIO_METHOD *m = method();
    struct wbio *w = OPENSSL_zalloc(sizeof(*w));
    BIO *b = m && w ? BIO_new(m) : NULL;
    if (!b) {
        OPENSSL_free(w);
        return NULL;
    }
    w->c = c;
    BIO_set_data(b, w);
    BIO_set_init(b, 1);
    return b;
}
