#include "core/conn.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "core/worker.h"

/* How long a half-closed connection drains the client's leftovers. */
#define LINGER_MS 2000

ssize_t conn_read(struct conn *c)
{
    struct bufpool *pool = &c->worker->rbufs;
    if (!c->rbuf) {
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
    if (n > 0)
        c->rlen += (size_t)n;
    return n;
}

ssize_t conn_recv(struct conn *c, char *buf, size_t len)
{
    if (!c->readable || len == 0)
        return 0;
    for (;;) {
        ssize_t n = recv(c->io.fd, buf, len, 0);
        if (n > 0) {
            /* A short read drained the socket: the next byte brings a new edge. */
            if ((size_t)n < len && !c->rdhup)
                c->readable = false;
            return n;
        }
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
    bufpool_put(&c->worker->rbufs, c->rbuf);
    c->rbuf = NULL;
    c->rpos = c->rlen = 0;
}

int conn_queue_mem(struct conn *c, const void *p, size_t len)
{
    if (len == 0)
        return 0;
    if (c->n_iov == CONN_MAX_IOV)
        return -1;
    c->iov[c->n_iov].iov_base = (void *)p;
    c->iov[c->n_iov].iov_len = len;
    c->n_iov++;
    return 0;
}

void conn_queue_file(struct conn *c, int fd, off_t off, off_t len, bool owned)
{
    c->file_fd = fd;
    c->file_off = off;
    c->file_left = len;
    c->file_owned = owned;
}

void conn_clear_output(struct conn *c)
{
    if (c->file_fd >= 0 && c->file_owned)
        close(c->file_fd);
    c->file_fd = -1;
    c->file_left = 0;
    c->n_iov = c->iov_done = 0;
}

void conn_set_timer(struct conn *c, uint32_t ms)
{
    loop_timer_in(&c->worker->loop, &c->timer, ms);
}

void conn_cancel_timer(struct conn *c)
{
    loop_timer_cancel(&c->worker->loop, &c->timer);
}

/* Writes queued memory pieces. Returns 1 when all are out, 0 on EAGAIN,
 * -1 on error. MSG_MORE holds the last segment back when a file range
 * follows, so a small head and a small file leave in one packet. */
static int write_iov(struct conn *c)
{
    while (c->iov_done < c->n_iov) {
        struct msghdr msg = {.msg_iov = c->iov + c->iov_done,
                             .msg_iovlen = (size_t)(c->n_iov - c->iov_done)};
        int flags = MSG_NOSIGNAL | (c->file_left > 0 ? MSG_MORE : 0);
        ssize_t n = sendmsg(c->io.fd, &msg, flags);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        c->bytes_sent += (uint64_t)n;
        size_t left = (size_t)n;
        while (c->iov_done < c->n_iov && left >= c->iov[c->iov_done].iov_len) {
            left -= c->iov[c->iov_done].iov_len;
            c->iov_done++;
        }
        if (left) {
            c->iov[c->iov_done].iov_base = (char *)c->iov[c->iov_done].iov_base + left;
            c->iov[c->iov_done].iov_len -= left;
        }
    }
    return 1;
}

static int write_file(struct conn *c)
{
    while (c->file_left > 0) {
        size_t chunk = c->file_left > (1 << 30) ? (size_t)1 << 30 : (size_t)c->file_left;
        ssize_t n = sendfile(c->io.fd, c->file_fd, &c->file_off, chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        if (n == 0)
            return -1; /* the file shrank under us: the framing is lost */
        c->bytes_sent += (uint64_t)n;
        c->file_left -= n;
    }
    return 1;
}

/* Writes what the socket takes. Returns 1 done, 0 pending, -1 failed. */
static int flush(struct conn *c)
{
    int r = write_iov(c);
    if (r == 1)
        r = write_file(c);
    if (r == 0)
        c->writable = false;
    return r;
}

static void write_step(struct conn *c)
{
    int r = flush(c);
    if (r < 0) {
        conn_close(c);
        return;
    }
    if (r == 0) {
        conn_set_timer(c, c->send_timeout_ms);
        return;
    }
    conn_cancel_timer(c);
    conn_clear_output(c);
    c->proto->on_written(c);
}

void conn_start_write(struct conn *c, uint32_t send_timeout_ms)
{
    c->state = CONN_WRITE;
    c->send_timeout_ms = send_timeout_ms;
    if (c->writable) {
        write_step(c);
        return;
    }
    conn_set_timer(c, send_timeout_ms);
}

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

void conn_linger_close(struct conn *c)
{
    if (c->state == CONN_CLOSED)
        return;
    c->state = CONN_LINGER;
    conn_clear_output(c);
    if (c->rbuf) {
        c->rpos = c->rlen;
        conn_release_buffer(c);
    }
    shutdown(c->io.fd, SHUT_WR);
    conn_set_timer(c, LINGER_MS);
    linger_drain(c);
}

void conn_close(struct conn *c)
{
    if (c->state == CONN_CLOSED)
        return;
    if (c->proto->on_close)
        c->proto->on_close(c);
    c->state = CONN_CLOSED;
    conn_cancel_timer(c);
    conn_clear_output(c);
    if (c->rbuf) {
        bufpool_put(&c->worker->rbufs, c->rbuf);
        c->rbuf = NULL;
    }
    if (c->io.fd >= 0) {
        /* close() also removes the fd from epoll: it has no other copy. */
        close(c->io.fd);
        c->io.fd = -1;
    }
    worker_conn_closed(c->worker, c);
}
