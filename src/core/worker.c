#include "core/worker.h"

#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"

/* Connections accepted per listener wake-up, so that one busy listener
 * cannot starve the connections already open. */
#define ACCEPT_BATCH 64
/* How long accepting pauses when the process is out of descriptors: the
 * listener stays readable, so accepting on would only spin (nginx pauses
 * too). */
#define FD_PAUSE_MS 100
/* Connections that must have closed before memory is given back. */
#define TRIM_DROP 1000

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

/* Out of descriptors: stop accepting for FD_PAUSE_MS; the connections
 * that finish meanwhile give some back. */
static void pause_for_fds(struct worker *w, int err)
{
    if (!w->fd_logged)
        log_warn("accept: %s; pausing accepts for %d ms until descriptors free up "
                 "(raise ulimit -n, or lower limits.connections)",
                 strerror(err), FD_PAUSE_MS);
    w->fd_logged = true;
    w->fd_paused = true;
    set_accepting(w, false);
    loop_timer_in(&w->loop, &w->fd_pause, FD_PAUSE_MS);
}

static void fd_pause_over(struct timer *t)
{
    struct worker *w = (struct worker *)((char *)t - offsetof(struct worker, fd_pause));
    w->fd_paused = false;
    if (!w->stopping && w->stats->active < w->max_conns)
        set_accepting(w, true);
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
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                pause_for_fds(w, errno);
                return;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_debug("accept: %s", strerror(errno));
            return;
        }
        w->fd_logged = false; /* the episode, if any, is over */
        /* TCP_NODELAY comes from the listener (listener_open). */
        if (w->stats->active + 1 >= w->max_conns)
            set_accepting(w, false);
        if (!conn_new(&w->conns, fd, &peer, len, wl->data))
            log_err("connection set-up failed: %s", strerror(errno));
    }
}

/* After each batch of events: free what was closed, accept again when
 * there is room. */
static void after_events(struct loop *l)
{
    struct worker *w = l->data;
    conn_set_collect(&w->conns);
    if (!w->accepting && !w->stopping && !w->fd_paused && w->stats->active < w->max_conns)
        set_accepting(w, true);
}

int worker_init(struct worker *w, size_t rbuf_size, size_t max_conns,
                const struct conn_proto *proto, void *proto_ctx, struct worker_stats *stats)
{
    memset(w, 0, sizeof(*w));
    if (loop_init(&w->loop) < 0)
        return -1;
    w->loop.data = w;
    w->loop.after_events = after_events;
    w->stats = stats ? stats : &w->own_stats;
    if (!stats)
        w->stats->started = w->loop.now_wall;
    conn_set_init(&w->conns, &w->loop, rbuf_size, proto, proto_ctx, w->stats);
    w->max_conns = max_conns ? max_conns : 1;
    w->accepting = true;
    w->fd_pause.cb = fd_pause_over;
    return 0;
}

int worker_add_listener(struct worker *w, int fd, const void *data)
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
    wl->data = data;
    for (size_t i = 0; i < w->n_listeners; i++)
        if (loop_add(&w->loop, &ls[i].io, EPOLLIN) < 0)
            return -1;
    return 0;
}

/* Once many connections have closed (more than TRIM_DROP below the most
 * open since the last time, and half of them), the allocator returns the
 * free memory to the system: the worker's RSS goes back down after a
 * crowd has left, not only when the heap's top happens to be free. */
static void give_back_memory(struct worker *w)
{
    uint32_t active = w->stats->active;
    if (active > w->peak_active)
        w->peak_active = active;
    if (w->peak_active - active < TRIM_DROP || active > w->peak_active / 2)
        return;
    malloc_trim(0);
    w->peak_active = active;
}

void worker_run(struct worker *w)
{
    time_t flushed = w->loop.now_wall;
    while (!w->loop.stop) {
        loop_run_once(&w->loop, w->stopping ? 100 : 1000);
        if (w->stopping && (!w->conns.open ||
                            (w->stop_deadline_ms && w->loop.now_ms >= w->stop_deadline_ms)))
            break;
        if (w->loop.now_wall != flushed) {
            /* The access log goes out once a second, never per request. */
            log_access_flush();
            flushed = w->loop.now_wall;
            give_back_memory(w);
        }
    }
    log_access_flush();
}

void worker_shutdown(struct worker *w, uint32_t grace_ms)
{
    uint64_t deadline = grace_ms ? w->loop.now_ms + grace_ms : 0;
    if (w->stopping) {
        /* A stop during a drain: the shorter limit wins. */
        if (deadline && (!w->stop_deadline_ms || deadline < w->stop_deadline_ms))
            w->stop_deadline_ms = deadline;
        return;
    }
    set_accepting(w, false);
    loop_timer_cancel(&w->loop, &w->fd_pause);
    w->stopping = true;
    w->stop_deadline_ms = grace_ms ? w->loop.now_ms + grace_ms : 0;
    for (size_t i = 0; i < w->n_listeners; i++) {
        close(w->listeners[i].io.fd);
        w->listeners[i].io.fd = -1;
    }
    w->n_listeners = 0;
    conn_set_stop(&w->conns);
}

void worker_free(struct worker *w)
{
    conn_set_free(&w->conns);
    for (size_t i = 0; i < w->n_listeners; i++)
        close(w->listeners[i].io.fd);
    free(w->listeners);
    w->listeners = NULL;
    w->n_listeners = 0;
    loop_free(&w->loop);
}
