#include "core/loop.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS 256

int loop_init(struct loop *l)
{
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0)
        return -1;
    l->stop = false;
    l->wakeups = 0;
    l->now_wall = 0;
    l->after_events = NULL;
    l->garbage = NULL;
    l->n_garbage = l->cap_garbage = 0;
    l->data = NULL;
    timer_heap_init(&l->timers);
    loop_update_time(l);
    return 0;
}

static void collect_garbage(struct loop *l)
{
    for (size_t i = 0; i < l->n_garbage; i++)
        free(l->garbage[i]);
    l->n_garbage = 0;
}

void loop_defer_free(struct loop *l, void *p)
{
    if (l->n_garbage == l->cap_garbage) {
        size_t cap = l->cap_garbage ? l->cap_garbage * 2 : 16;
        void **g = realloc(l->garbage, cap * sizeof(*g));
        if (!g)
            return;
        l->garbage = g;
        l->cap_garbage = cap;
    }
    l->garbage[l->n_garbage++] = p;
}

void loop_free(struct loop *l)
{
    collect_garbage(l);
    free(l->garbage);
    l->garbage = NULL;
    l->cap_garbage = 0;
    if (l->epfd >= 0)
        close(l->epfd);
    l->epfd = -1;
    timer_heap_free(&l->timers);
}

int loop_add(struct loop *l, struct io_watcher *w, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(l->epfd, EPOLL_CTL_ADD, w->fd, &ev);
}

void loop_del(struct loop *l, struct io_watcher *w)
{
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

void loop_timer_in(struct loop *l, struct timer *t, uint32_t ms)
{
    t->armed_at = l->wakeups;
    t->due_ms = l->now_ms + ms;
    /* Queued no later than due: it comes up early and is re-placed. */
    if (timer_armed(t) && t->deadline_ms <= t->due_ms)
        return;
    /* A heap that cannot grow leaves the timer unarmed; the connection
     * then lives without a deadline, so it is closed instead. */
    if (timer_arm(&l->timers, t, t->due_ms) < 0 && t->cb) {
        t->due_ms = 0;
        t->cb(t);
    }
}

void loop_timer_cancel(struct loop *l, struct timer *t)
{
    t->due_ms = 0;
    timer_cancel(&l->timers, t);
}

void loop_timer_stop(struct loop *l, struct timer *t)
{
    (void)l;
    t->due_ms = 0;
}

void loop_update_time(struct loop *l)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    l->now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    l->now_wall = time(NULL);
}

uint64_t loop_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void run_timers(struct loop *l)
{
    struct timer *t;
    /* One armed in this wake-up waits for the next (at most 0 ms given
     * now: due timers make next_wait 0), and with it those behind it. */
    while ((t = timer_first(&l->timers)) && t->deadline_ms <= l->now_ms &&
           t->armed_at != l->wakeups) {
        timer_cancel(&l->timers, t);
        if (t->due_ms == 0)
            continue; /* stopped lazily */
        if (t->due_ms > l->now_ms) {
            /* re-armed later meanwhile; the heap has room for it */
            timer_arm(&l->timers, t, t->due_ms);
            continue;
        }
        t->due_ms = 0;
        t->cb(t);
    }
}

static int next_wait(struct loop *l, int max_wait_ms)
{
    struct timer *t = timer_first(&l->timers);
    if (!t)
        return max_wait_ms;
    if (t->deadline_ms <= l->now_ms)
        return 0;
    uint64_t d = t->deadline_ms - l->now_ms;
    return d < (uint64_t)max_wait_ms ? (int)d : max_wait_ms;
}

void loop_run_once(struct loop *l, int max_wait_ms)
{
    struct epoll_event evs[LOOP_MAX_EVENTS];
    int n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, next_wait(l, max_wait_ms));
    l->wakeups++;
    loop_update_time(l);
    for (int i = 0; i < n; i++) {
        struct io_watcher *w = evs[i].data.ptr;
        w->cb(w, evs[i].events);
    }
    if (l->after_events)
        l->after_events(l);
    collect_garbage(l);
    run_timers(l);
    if (l->after_events)
        l->after_events(l);
    collect_garbage(l);
}

