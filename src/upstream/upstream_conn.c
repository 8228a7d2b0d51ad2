/* Connections to upstream servers: a non-blocking connect bounded by a
 * timer, and per group a pool of idle keep-alive connections, most recent
 * first, closed when the server closes them or after IDLE_MS. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "upstream/upstream.h"

/* How long an idle pooled connection is kept. */
#define IDLE_MS 60000

static void pool_remove(struct upstream_conn *uc)
{
    struct upstream_group *g = uc->group;
    for (struct upstream_conn **p = &g->idle; *p; p = &(*p)->next) {
        if (*p == uc) {
            *p = uc->next;
            g->n_idle--;
            break;
        }
    }
    uc->next = NULL;
}

void upstream_conn_close(struct upstream_conn *uc)
{
    if (!uc || uc->io.fd < 0)
        return;
    if (!uc->owner)
        pool_remove(uc);
    loop_timer_cancel(uc->group->loop, &uc->timer);
    loop_del(uc->group->loop, &uc->io);
    close(uc->io.fd);
    uc->io.fd = -1;
    /* An event of this batch may still point at it. */
    loop_defer_free(uc->group->loop, uc);
}

/* An idle connection hears something: the server closed it, or sent what
 * nobody asked for. Either way it is of no use any more. */
static void idle_event(struct upstream_conn *uc, uint32_t events)
{
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        upstream_conn_close(uc);
}

static void conn_event(struct io_watcher *io, uint32_t events)
{
    struct upstream_conn *uc = (struct upstream_conn *)io;
    if (uc->io.fd < 0)
        return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        uc->readable = true;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        uc->rdhup = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        uc->writable = true;
    if (!uc->owner) {
        idle_event(uc, events);
        return;
    }
    if (uc->connecting && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
        uc->connecting = false;
    uc->ops->on_ready(uc, events);
}

static void conn_timeout(struct timer *t)
{
    struct upstream_conn *uc = (struct upstream_conn *)((char *)t - offsetof(struct upstream_conn, timer));
    if (!uc->owner) {
        upstream_conn_close(uc); /* idle too long */
        return;
    }
    uc->ops->on_timeout(uc);
}

int upstream_conn_error(struct upstream_conn *uc)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(uc->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return errno;
    return err;
}

void upstream_conn_timer(struct upstream_conn *uc, uint32_t ms)
{
    if (ms)
        loop_timer_in(uc->group->loop, &uc->timer, ms);
    else
        loop_timer_cancel(uc->group->loop, &uc->timer);
}

/* The server has not closed (or reset) the connection: nothing to read. */
static bool still_open(const struct upstream_conn *uc)
{
    char b;
    return recv(uc->io.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
           (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* The most recently pooled connection to server i, taken out; when
 * checked, only one the server has not closed meanwhile. */
static struct upstream_conn *from_pool(struct upstream_group *g, int i, bool checked)
{
    struct upstream_conn *uc = g->idle;
    while (uc) {
        struct upstream_conn *next = uc->next;
        if (uc->server == i) {
            pool_remove(uc);
            loop_timer_cancel(g->loop, &uc->timer);
            if (checked && !still_open(uc)) {
                upstream_conn_close(uc);
                uc = next;
                continue;
            }
            uc->reused = true;
            return uc;
        }
        uc = next;
    }
    return NULL;
}

static struct upstream_conn *connect_new(struct upstream_group *g, int i, uint32_t connect_ms)
{
    const struct upstream_server_def *s = &g->def.servers[i];
    struct upstream_conn *uc = calloc(1, sizeof(*uc));
    int fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (!uc || fd < 0)
        goto fail;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    uc->io.fd = fd;
    uc->io.cb = conn_event;
    uc->timer.cb = conn_timeout;
    uc->group = g;
    uc->server = i;
    if (connect(fd, (const struct sockaddr *)&s->addr, s->addrlen) < 0) {
        if (errno != EINPROGRESS)
            uc->connecting = false; /* refused at once: the owner sees it on its first step */
        else
            uc->connecting = true;
    }
    uc->writable = !uc->connecting;
    if (loop_add(g->loop, &uc->io, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0)
        goto fail;
    loop_timer_in(g->loop, &uc->timer, connect_ms);
    return uc;
fail:;
    int e = errno;
    if (fd >= 0)
        close(fd);
    free(uc);
    errno = e;
    return NULL;
}

struct upstream_conn *upstream_conn_get(struct upstream_group *g, int i, uint32_t connect_ms,
                                        bool checked, const struct upstream_conn_ops *ops,
                                        void *owner)
{
    struct upstream_conn *uc = from_pool(g, i, checked);
    if (!uc)
        uc = connect_new(g, i, connect_ms);
    if (!uc)
        return NULL;
    uc->ops = ops;
    uc->owner = owner;
    return uc;
}

void upstream_conn_release(struct upstream_conn *uc)
{
    struct upstream_group *g = uc->group;
    uc->owner = NULL;
    uc->ops = NULL;
    loop_timer_cancel(g->loop, &uc->timer);
    if (g->def.keepalive == 0 || uc->peer_closed) {
        upstream_conn_close(uc);
        return;
    }
    if (g->n_idle >= g->def.keepalive) {
        /* Full: the least recently used one goes. */
        struct upstream_conn *last = g->idle;
        while (last->next)
            last = last->next;
        upstream_conn_close(last);
    }
    uc->next = g->idle;
    g->idle = uc;
    g->n_idle++;
    uc->readable = false;
    loop_timer_in(g->loop, &uc->timer, IDLE_MS);
}
