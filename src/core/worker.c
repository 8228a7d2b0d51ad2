#include "core/worker.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"

/* Idle request blocks and read buffers kept for reuse. */
#define POOL_KEEP 256
/* Connections accepted per listener wake-up, so that one busy listener
 * cannot starve the connections already open. */
#define ACCEPT_BATCH 64

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

    switch (c->state) {
    case CONN_WRITE:
        if (c->writable) {
            /* conn_start_write retries the queued output. */
            conn_start_write(c, c->send_timeout_ms);
        }
        break;
    case CONN_KEEPALIVE:
    case CONN_READ_HEAD:
    case CONN_READ_BODY:
        if (c->readable) {
            ssize_t n = conn_read(c);
            if (n > 0) {
                c->proto->on_data(c);
            } else if (n < 0) {
                conn_close(c);
            }
        }
        break;
    case CONN_LINGER:
        if (c->readable) {
            char sink[4096];
            ssize_t n;
            while ((n = recv(c->io.fd, sink, sizeof(sink), 0)) > 0)
                ;
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                conn_close(c);
            else
                c->readable = false;
        }
        break;
    default:
        /* HANDLE: the handler owns the pace; edges are remembered. A
         * client that closes while a handler works (a CGI script, a
         * paused body) aborts it, as nginx does. */
        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            conn_close(c);
        break;
    }
}

static void conn_timer(struct timer *t)
{
    struct conn *c = (struct conn *)((char *)t - offsetof(struct conn, timer));
    if (c->state == CONN_LINGER || c->state == CONN_WRITE) {
        conn_close(c);
        return;
    }
    c->proto->on_timeout(c);
}

static void set_accepting(struct worker *w, bool on)
{
    if (w->accepting == on)
        return;
    w->accepting = on;
    for (size_t i = 0; i < w->n_listeners; i++) {
        if (on)
            loop_add(&w->loop, &w->listeners[i].io, EPOLLIN);
        else
            loop_del(&w->loop, &w->listeners[i].io);
    }
}

static struct conn *conn_new(struct worker *w, int fd, struct worker_listener *wl)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->io.fd = fd;
    c->io.cb = conn_io;
    c->timer.cb = conn_timer;
    c->worker = w;
    c->proto = w->proto;
    c->listener = wl->cfg_listener;
    c->state = CONN_READ_HEAD;
    c->file_fd = -1;
    /* The first bytes usually arrive with the connection: try them at once. */
    c->readable = true;
    c->writable = true;
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    w->stats->active++;
    return c;
}

static void accept_ready(struct io_watcher *io, uint32_t events)
{
    struct worker_listener *wl = (struct worker_listener *)io;
    struct worker *w = wl->worker;
    for (int i = 0; i < ACCEPT_BATCH && w->accepting; i++) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof(peer);
        int fd = accept4(io->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE)
                log_warn("accept: %s; pausing", strerror(errno));
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_debug("accept: %s", strerror(errno));
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct conn *c = conn_new(w, fd, wl);
        if (!c || loop_add(&w->loop, &c->io, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0) {
            log_err("connection set-up failed: %s", strerror(errno));
            if (c)
                conn_close(c);
            else
                close(fd);
            continue;
        }
        memcpy(&c->peer, &peer, len);
        c->peer_len = len;
        conn_set_timer(c, wl->header_timeout_ms);
        if (w->stats->active >= w->max_conns)
            set_accepting(w, false);
        w->on_accept(c);
    }
}

static void free_closed(struct loop *l)
{
    struct worker *w = l->data;
    while (w->closed) {
        struct conn *c = w->closed;
        w->closed = c->next;
        free(c);
    }
    if (!w->accepting && !w->stopping && w->stats->active < w->max_conns)
        set_accepting(w, true);
}

void worker_conn_closed(struct worker *w, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = NULL;
    c->next = w->closed;
    w->closed = c;
    w->stats->active--;
}

int worker_init(struct worker *w, size_t rbuf_size, size_t block_size, size_t max_conns)
{
    memset(w, 0, sizeof(*w));
    if (loop_init(&w->loop) < 0)
        return -1;
    w->loop.data = w;
    w->stats = &w->own_stats;
    w->stats->started = w->loop.now_wall;
    w->loop.after_events = free_closed;
    bufpool_init(&w->rbufs, rbuf_size, POOL_KEEP);
    bufpool_init(&w->blocks, block_size, POOL_KEEP);
    w->max_conns = max_conns ? max_conns : 1;
    w->accepting = true;
    return 0;
}

int worker_add_listener(struct worker *w, int fd, const void *cfg_listener,
                        uint32_t header_timeout_ms)
{
    struct worker_listener *ls = realloc(w->listeners, (w->n_listeners + 1) * sizeof(*ls));
    if (!ls)
        return -1;
    w->listeners = ls;
    /* realloc may have moved the watchers epoll points at: re-register. */
    for (size_t i = 0; i < w->n_listeners; i++)
        loop_del(&w->loop, &ls[i].io);
    struct worker_listener *wl = &ls[w->n_listeners++];
    wl->io.fd = fd;
    wl->io.cb = accept_ready;
    wl->worker = w;
    wl->cfg_listener = cfg_listener;
    wl->header_timeout_ms = header_timeout_ms;
    for (size_t i = 0; i < w->n_listeners; i++)
        if (loop_add(&w->loop, &ls[i].io, EPOLLIN) < 0)
            return -1;
    return 0;
}

void worker_run(struct worker *w)
{
    time_t flushed = w->loop.now_wall;
    while (!w->loop.stop) {
        loop_run_once(&w->loop, w->stopping ? 100 : 1000);
        if (w->stopping && (!w->conns || w->loop.now_ms >= w->stop_deadline_ms))
            break;
        if (w->loop.now_wall != flushed) {
            /* The access log goes out once a second, never per request. */
            log_access_flush();
            flushed = w->loop.now_wall;
        }
    }
    log_access_flush();
}

void worker_shutdown(struct worker *w, uint32_t grace_ms)
{
    if (w->stopping)
        return;
    set_accepting(w, false);
    w->stopping = true;
    w->stop_deadline_ms = w->loop.now_ms + grace_ms;
    for (size_t i = 0; i < w->n_listeners; i++) {
        close(w->listeners[i].io.fd);
        w->listeners[i].io.fd = -1;
    }
    w->n_listeners = 0;
    /* Idle connections have nothing in flight: close them now. */
    struct conn *c = w->conns;
    while (c) {
        struct conn *next = c->next;
        if (c->state == CONN_KEEPALIVE || (c->state == CONN_READ_HEAD && !c->proto_data))
            conn_close(c);
        c = next;
    }
}

void worker_free(struct worker *w)
{
    while (w->conns)
        conn_close(w->conns);
    free_closed(&w->loop);
    for (size_t i = 0; i < w->n_listeners; i++)
        close(w->listeners[i].io.fd);
    free(w->listeners);
    w->listeners = NULL;
    w->n_listeners = 0;
    bufpool_free(&w->rbufs);
    bufpool_free(&w->blocks);
    loop_free(&w->loop);
}
