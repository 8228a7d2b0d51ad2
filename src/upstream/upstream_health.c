/* Active health checks: every interval, each worker sends `GET path` to
 * every server of the group on a connection of its own, never blocking;
 * a 2xx or 3xx status line within the timeout puts (or keeps) the server
 * in service, anything else takes it out until a check succeeds. The
 * answer is read to its end (the request says Connection: close): closing
 * with bytes unread would reset the connection under the server's feet. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "upstream/upstream_health.h"

struct health_probe {
    struct io_watcher io; /* first: the loop hands back this pointer */
    struct timer timer;
    struct upstream_health *h;
    int server;
    char req[512];
    size_t req_len, sent;
    char resp[16]; /* the status line's start */
    size_t got;    /* bytes of the answer so far */
};

/* What a check reads of an answer at most before judging it anyway. */
#define PROBE_MAX_READ (64 * 1024)

struct upstream_health {
    struct upstream_group *g;
    struct timer tick;
    struct health_probe *probes; /* one per server */
};

static void probe_close(struct health_probe *p)
{
    if (p->io.fd < 0)
        return;
    loop_timer_cancel(p->h->g->loop, &p->timer);
    loop_del(p->h->g->loop, &p->io);
    close(p->io.fd);
    p->io.fd = -1;
}

/* The check of server i is over: up or not. */
static void probe_done(struct health_probe *p, bool up)
{
    struct upstream_server *s = &p->h->g->servers[p->server];
    if (s->check_down != !up)
        log_warn("upstream %s: %s is %s (health check %s)", p->h->g->def.name, s->def->text,
                 up ? "up" : "down", p->h->g->def.health_path);
    s->check_down = !up;
    s->pub->check_down = !up;
    if (up) /* a passing check ends a passive time-out too */
        s->down_until_ms = s->pub->down_until_ms = 0;
    probe_close(p);
}

/* The answer so far starts "HTTP/1.x 2xx" or 3xx. */
static bool status_ok(const struct health_probe *p)
{
    const char *b = p->resp;
    return p->got >= 12 && memcmp(b, "HTTP/1.", 7) == 0 && b[8] == ' ' &&
           (b[9] == '2' || b[9] == '3');
}

static void probe_step(struct health_probe *p)
{
    while (p->sent < p->req_len) {
        ssize_t n = send(p->io.fd, p->req + p->sent, p->req_len - p->sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            probe_done(p, false);
            return;
        }
        p->sent += (size_t)n;
    }
    char rest[4096];
    while (p->got < PROBE_MAX_READ) {
        bool head = p->got < sizeof(p->resp);
        ssize_t n = head ? recv(p->io.fd, p->resp + p->got, sizeof(p->resp) - p->got, 0)
                         : recv(p->io.fd, rest, sizeof(rest), 0);
        if (n > 0) {
            p->got += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        break; /* closed or failed: judge what came */
    }
    probe_done(p, status_ok(p));
}

static void probe_event(struct io_watcher *io, uint32_t events)
{
    struct health_probe *p = (struct health_probe *)io;
    if (p->io.fd >= 0)
        probe_step(p);
}

/* No end within the time: a status line that came still counts (a server
 * that keeps the connection open despite Connection: close). */
static void probe_timeout(struct timer *t)
{
    struct health_probe *p = (struct health_probe *)((char *)t - offsetof(struct health_probe, timer));
    probe_done(p, status_ok(p));
}

static void probe_start(struct health_probe *p)
{
    const struct upstream_group *g = p->h->g;
    const struct upstream_server_def *s = &g->def.servers[p->server];
    if (p->io.fd >= 0)
        return; /* the last check still runs */
    int fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    p->io.fd = fd;
    p->sent = p->got = 0;
    p->req_len = (size_t)snprintf(p->req, sizeof(p->req),
                                  "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: portico-health\r\n"
                                  "Connection: close\r\n\r\n",
                                  g->def.health_path, s->host);
    if ((connect(fd, (const struct sockaddr *)&s->addr, s->addrlen) < 0 && errno != EINPROGRESS) ||
        loop_add(g->loop, &p->io, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0) {
        close(fd);
        p->io.fd = -1;
        probe_done(p, false); /* refused at once (a local port), or no room in the loop */
        return;
    }
    loop_timer_in(g->loop, &p->timer, g->def.health_timeout_ms);
}

static void tick(struct timer *t)
{
    struct upstream_health *h = (struct upstream_health *)((char *)t - offsetof(struct upstream_health, tick));
    for (size_t i = 0; i < h->g->def.n_servers; i++)
        probe_start(&h->probes[i]);
    loop_timer_in(h->g->loop, &h->tick, h->g->def.health_interval_ms);
}

int upstream_health_start(struct upstream_group *g)
{
    struct upstream_health *h = calloc(1, sizeof(*h));
    if (!h || !(h->probes = calloc(g->def.n_servers, sizeof(*h->probes)))) {
        free(h);
        return -1;
    }
    h->g = g;
    h->tick.cb = tick;
    for (size_t i = 0; i < g->def.n_servers; i++) {
        struct health_probe *p = &h->probes[i];
        p->io.fd = -1;
        p->io.cb = probe_event;
        p->timer.cb = probe_timeout;
        p->h = h;
        p->server = (int)i;
    }
    g->health = h;
    loop_timer_in(g->loop, &h->tick, 0); /* the first check right away */
    return 0;
}

void upstream_health_free(struct upstream_group *g)
{
    struct upstream_health *h = g->health;
    if (!h)
        return;
    for (size_t i = 0; i < g->def.n_servers; i++)
        if (h->probes[i].io.fd >= 0)
            close(h->probes[i].io.fd);
    free(h->probes);
    free(h);
    g->health = NULL;
}
