#include "core/conn.h"

#include "core/conn_tls.h"
#include "core/conn_tls_wbio.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* How long a half-closed connection drains the client's leftovers. */
#define LINGER_MS 2000
/* Idle read buffers kept for reuse. */
#define RBUF_KEEP 32

/* ---- state and counters ---- */

static uint32_t *counter_of(struct worker_stats *st, enum conn_state s)
{
    switch (s) {
    case CONN_IDLE: return &st->idle;
    case CONN_READING: return &st->reading;
    case CONN_BUSY:
    case CONN_WRITING:
    case CONN_TUNNEL: return &st->writing;
    default: return NULL; /* lingering and closed connections count as active only */
    }
}

void conn_set_state(struct conn *c, enum conn_state state)
{
    if (c->state == state)
        return;
    uint32_t *from = counter_of(c->set->stats, c->state);
    uint32_t *to = counter_of(c->set->stats, state);
    if (from)
        (*from)--;
    if (to)
        (*to)++;
    if (c->state == CONN_TUNNEL)
        c->set->stats->tunnels--;
    if (state == CONN_TUNNEL)
        c->set->stats->tunnels++;
    c->state = state;
}

int conn_local_addr(const struct conn *c, struct sockaddr_storage *out)
{
    socklen_t len = sizeof(*out);
    memset(out, 0, sizeof(*out));
    return getsockname(c->io.fd, (struct sockaddr *)out, &len);
}

void conn_peer_addr(const struct conn *c, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out, &c->peer, sizeof(c->peer));
}

/* ---- reading ---- */

ssize_t conn_read(struct conn *c)
{
    struct bufpool *pool = &c->set->rbufs;
    bool fresh = !c->rbuf;
    if (fresh) {
        c->rbuf = bufpool_get(pool);
        if (!c->rbuf)
            return -1;
        c->rpos = c->rlen = 0;
    }
    /* Bytes before rpos are never moved here: the protocol may still
     * point into them (conn_compact moves them when it can). */
    if (c->rpos == c->rlen)
        c->rpos = c->rlen = 0;
    size_t room = pool->size - c->rlen;
    if (room == 0)
        return 0;
    ssize_t n = conn_recv(c, c->rbuf + c->rlen, room);
    if (n > 0) {
        c->rlen += (size_t)n;
    } else if (fresh) {
        /* Nothing came (a TLS session stays readable until a read finds
         * nothing): an idle connection holds no buffer. */
        bufpool_put(pool, c->rbuf);
        c->rbuf = NULL;
    }
    return n;
}

ssize_t conn_recv_socket(struct conn *c, char *buf, size_t len, int flags)
{
    for (;;) {
        ssize_t n = recv(c->io.fd, buf, len, flags);
        if (n > 0)
            return n;
        if (n == 0) {
            c->readable = false;
            c->peer_closed = true;
            return -1;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c->readable = false;
            return 0;
        }
        return -1;
    }
}

ssize_t conn_recv(struct conn *c, char *buf, size_t len)
{
    if (c->tls)
        return conn_tls_recv(c, buf, len);
    if (!c->readable || len == 0)
        return 0;
    ssize_t n = conn_recv_socket(c, buf, len, 0);
    if (n > 0)
        c->set->stats->bytes_received += (uint64_t)n;
    /* A short read drained the socket: the next byte brings a new edge. */
    if (n > 0 && (size_t)n < len && !c->rdhup)
        c->readable = false;
    return n;
}

void conn_compact(struct conn *c)
{
    if (!c->rbuf || c->rpos == 0)
        return;
    memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
    c->rlen -= c->rpos;
    c->rpos = 0;
}

void conn_release_buffer(struct conn *c)
{
    if (!c->rbuf || c->rpos < c->rlen)
        return;
    bufpool_put(&c->set->rbufs, c->rbuf);
    c->rbuf = NULL;
    c->rpos = c->rlen = 0;
}

/* ---- writing ---- */

void conn_set_timer(struct conn *c, uint32_t ms)
{
    loop_timer_in(c->set->loop, &c->timer, ms);
}

void conn_cancel_timer(struct conn *c)
{
    loop_timer_stop(c->set->loop, &c->timer);
}

/* Writes what the socket (or the TLS session) takes of the queue, and
 * counts it. */
static enum outq_result flush(struct conn *c)
{
    uint64_t before = c->bytes_sent;
    enum outq_result r =
        c->tls ? conn_tls_flush(c) : outq_flush(&c->out, c->io.fd, &c->bytes_sent);
    c->set->stats->bytes_sent += c->bytes_sent - before;
    return r;
}

/* Writes what the socket takes; hands over to the protocol when the queue
 * (or its part before an open stream) is out. */
static void write_step(struct conn *c)
{
    enum outq_result r = flush(c);
    switch (r) {
    case OUTQ_ERROR:
        conn_close(c);
        return;
    case OUTQ_AGAIN:
        c->writable = false;
        conn_set_timer(c, c->send_timeout_ms);
        return;
    case OUTQ_STREAM_WAIT:
        conn_cancel_timer(c);
        c->set->proto->on_drained(c);
        return;
    case OUTQ_DONE:
        conn_cancel_timer(c);
        outq_clear(&c->out); /* gives back a grown chunk array */
        c->set->proto->on_written(c);
        return;
    }
}

void conn_write(struct conn *c, uint32_t send_timeout_ms)
{
    conn_set_state(c, CONN_WRITING);
    c->send_timeout_ms = send_timeout_ms;
    if (c->writable) {
        write_step(c);
        return;
    }
    conn_set_timer(c, send_timeout_ms);
}

/* ---- a tunnel: both ways at once ---- */

void conn_tunnel_write(struct conn *c)
{
    if (c->state != CONN_TUNNEL || !c->writable)
        return;
    switch (flush(c)) {
    case OUTQ_ERROR:
        conn_close(c);
        return;
    case OUTQ_AGAIN:
        c->writable = false;
        return;
    case OUTQ_STREAM_WAIT:
    case OUTQ_DONE:
        c->set->proto->on_drained(c);
        return;
    }
}

static void tunnel_read(struct conn *c)
{
    while (c->state == CONN_TUNNEL && c->readable && !c->paused) {
        ssize_t n = conn_read(c);
        if (n < 0) {
            /* The client closed (or failed): the protocol ends the tunnel. */
            conn_close(c);
            return;
        }
        if (n == 0 && conn_pending(c) == 0)
            return;
        c->set->proto->on_data(c);
        if (n == 0)
            return;
    }
}

void conn_tunnel_resume(struct conn *c)
{
    c->paused = false;
    if (conn_pending(c))
        c->set->proto->on_data(c);
    tunnel_read(c);
}

/* ---- closing ---- */

/* Reads and drops what a lingering client sends; closes at its EOF. */
static void linger_drain(struct conn *c)
{
    char sink[4096];
    for (;;) {
        ssize_t n = recv(c->io.fd, sink, sizeof(sink), 0);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->readable = false;
            return;
        }
        conn_close(c); /* EOF or error: the client is done */
        return;
    }
}

void conn_linger_close(struct conn *c, bool unread_may_follow)
{
    if (c->state == CONN_CLOSED)
        return;
    /* Everything the client sent was read: closing at once cannot reset
     * the answer (as nginx: linger only when more bytes may come). */
    if (!unread_may_follow && !c->readable && conn_pending(c) == 0 && !c->tls) {
        conn_close(c);
        return;
    }
    conn_set_state(c, CONN_LINGER);
    outq_clear(&c->out);
    if (c->rbuf) {
        c->rpos = c->rlen;
        conn_release_buffer(c);
    }
    if (c->tls)
        conn_tls_shutdown(c);
    shutdown(c->io.fd, SHUT_WR);
    conn_set_timer(c, LINGER_MS);
    linger_drain(c);
}

void conn_close(struct conn *c)
{
    if (c->state == CONN_CLOSED)
        return;
    struct conn_set *s = c->set;
    if (s->proto->on_close)
        s->proto->on_close(c);
    conn_set_state(c, CONN_CLOSED);
    loop_timer_cancel(s->loop, &c->timer); /* out of the heap: c is freed soon */
    outq_clear(&c->out);
    if (c->tls) {
        conn_tls_shutdown(c);
        conn_tls_free(c);
    }
    if (c->rbuf) {
        bufpool_put(&s->rbufs, c->rbuf);
        c->rbuf = NULL;
    }
    if (c->io.fd >= 0) {
        /* close() also removes the fd from epoll: it has no other copy. */
        close(c->io.fd);
        c->io.fd = -1;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        s->open = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = NULL;
    c->next = s->closed;
    s->closed = c;
    s->stats->active--;
}

/* ---- events ---- */

static void conn_io(struct io_watcher *io, uint32_t events)
{
    struct conn *c = (struct conn *)io;
    if (c->state == CONN_CLOSED)
        return;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR))
        c->readable = true;
    /* The FIN may come with the last bytes: without this flag a short
     * read would end the edge and the close would go unnoticed. */
    if (events & (EPOLLRDHUP | EPOLLHUP))
        c->rdhup = true;
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
        c->writable = true;
    if (c->tls)
        conn_tls_edges(c, events & EPOLLIN, events & EPOLLOUT);

    switch (c->state) {
    case CONN_WRITING:
        if (c->writable)
            conn_write(c, c->send_timeout_ms);
        break;
    case CONN_IDLE:
    case CONN_READING:
        if (c->readable) {
            ssize_t n = conn_read(c);
            if (n > 0)
                c->set->proto->on_data(c);
            else if (n < 0)
                conn_close(c);
        }
        break;
    case CONN_LINGER:
        if (c->readable)
            linger_drain(c);
        break;
    case CONN_TUNNEL:
        if (c->writable && !outq_empty(&c->out))
            conn_tunnel_write(c);
        if (c->state == CONN_TUNNEL && c->readable)
            tunnel_read(c);
        break;
    case CONN_BUSY:
        /* The protocol owns the pace; edges are remembered. A client that
         * closes meanwhile (during a CGI script, a paused body) aborts the
         * work, as nginx does. */
        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            conn_close(c);
        break;
    case CONN_CLOSED:
        break;
    }
}

static void conn_timer(struct timer *t)
{
    struct conn *c = (struct conn *)((char *)t - offsetof(struct conn, timer));
    if (c->state == CONN_LINGER || c->state == CONN_WRITING) {
        conn_close(c);
        return;
    }
    c->set->proto->on_timeout(c);
}

struct conn *conn_new(struct conn_set *s, int fd, const struct sockaddr_storage *peer,
                      socklen_t peer_len, const void *listener)
{
    struct conn *c = slab_alloc(&s->conns);
    if (!c) {
        close(fd);
        return NULL;
    }
    c->io.fd = fd;
    c->io.cb = conn_io;
    c->timer.cb = conn_timer;
    c->set = s;
    c->listener = listener;
    c->state = CONN_CLOSED; /* counted from the state set below */
    outq_init(&c->out);
    /* IPv4 or IPv6: nothing else is listened on. */
    memcpy(&c->peer, peer, peer_len < sizeof(c->peer) ? peer_len : sizeof(c->peer));
    /* The first bytes usually arrive with the connection: try them at once. */
    c->readable = true;
    c->writable = true;
    c->next = s->open;
    if (s->open)
        s->open->prev = c;
    s->open = c;
    s->stats->active++;
    conn_set_state(c, CONN_IDLE);
    s->proto->on_accept(c);
    /* Registered only now: a request answered and closed at once (one
     * connection per request) never costs an epoll_ctl. The socket's
     * state is checked when it is added, so no edge is lost. */
    if (c->state == CONN_CLOSED)
        return c;
    if (loop_add(s->loop, &c->io, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0) {
        conn_close(c);
        return NULL;
    }
    return c;
}

/* ---- the set ---- */

void conn_set_init(struct conn_set *s, struct loop *loop, size_t rbuf_size,
                   const struct conn_proto *proto, void *proto_ctx,
                   struct worker_stats *stats)
{
    memset(s, 0, sizeof(*s));
    s->loop = loop;
    slab_init(&s->conns, sizeof(struct conn));
    bufpool_init(&s->rbufs, rbuf_size, RBUF_KEEP);
    bufpool_init(&s->tls_wbufs, CONN_TLS_WBUF, RBUF_KEEP);
    bufpool_init(&s->tls_obufs, CONN_TLS_OBUF, RBUF_KEEP);
    s->proto = proto;
    s->proto_ctx = proto_ctx;
    s->stats = stats;
}

void conn_set_collect(struct conn_set *s)
{
    while (s->closed) {
        struct conn *c = s->closed;
        s->closed = c->next;
        slab_free(&s->conns, c);
    }
}

/* A request (or its start) is waiting in our buffer or in the socket's. */
static bool bytes_waiting(const struct conn *c)
{
    char b;
    return conn_pending(c) > 0 || conn_tls_pending(c) ||
           recv(c->io.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

void conn_set_stop(struct conn_set *s)
{
    s->stopping = true;
    /* Idle keep-alive connections have nothing in flight: close them now
     * (a client retries a request on a reused connection that closes).
     * One accepted but not yet used is a client whose first request is on
     * its way, and one with bytes waiting has sent its next request: both
     * are served (within the header timeout), as nginx does. */
    struct conn *c = s->open;
    while (c) {
        struct conn *next = c->next;
        if (c->state == CONN_IDLE && c->requests > 0 && !bytes_waiting(c))
            conn_close(c);
        c = next;
    }
}

void conn_set_free(struct conn_set *s)
{
    while (s->open)
        conn_close(s->open);
    conn_set_collect(s);
    slab_destroy(&s->conns);
    bufpool_free(&s->rbufs);
    bufpool_free(&s->tls_wbufs);
    bufpool_free(&s->tls_obufs);
    outq_cache_free();
}
