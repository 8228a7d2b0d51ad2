/* The event loop of one worker: epoll for fds, a timer heap for every wait,
 * and a clock read once per wake-up.
 *
 * Every fd the loop watches is represented by a struct io_watcher embedded
 * in its owner; the loop calls watcher->cb with the epoll events. */
#ifndef PORTICO_LOOP_H
#define PORTICO_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/timer.h"

struct io_watcher;
typedef void (*io_cb)(struct io_watcher *w, uint32_t events);

struct io_watcher {
    int fd;
    io_cb cb;
};

struct loop {
    int epfd;
    bool stop;
    uint64_t now_ms;   /* monotonic, updated each wake-up */
    uint64_t wakeups;  /* incremented each wake-up: what "now" a cache may trust */
    time_t now_wall;   /* wall clock seconds, updated each wake-up */
    struct timer_heap timers;
    /* Called after each batch of events and again after the timers that
     * expired: the place where owners free objects closed meanwhile, so
     * that no later event of the same batch sees freed memory. */
    void (*after_events)(struct loop *l);
    void *data; /* the worker's */
    /* Memory whose owner is gone but that an event of the current batch
     * may still point at (a watcher embedded in it): freed after the batch. */
    void **garbage;
    size_t n_garbage, cap_garbage;
};

/* Creates the epoll instance. Returns 0 or -1 (errno set). */
int loop_init(struct loop *l);
void loop_free(struct loop *l);

/* Registers w->fd with the given epoll events (EPOLLIN, EPOLLOUT,
 * EPOLLET, ...). Returns 0 or -1. */
int loop_add(struct loop *l, struct io_watcher *w, uint32_t events);
/* Stops watching w->fd (the owner still closes it). */
void loop_del(struct loop *l, struct io_watcher *w);

/* Arms t to fire after ms milliseconds from now. 0 is the next iteration:
 * a timer never fires in the wake-up that armed it, so work that re-arms
 * itself at 0 to give way (a long gzip feed) lets the loop poll its fds
 * between two turns. */
void loop_timer_in(struct loop *l, struct timer *t, uint32_t ms);
/* Disarms t and takes it out of the heap: before its owner is freed. */
void loop_timer_cancel(struct loop *l, struct timer *t);
/* Disarms t lazily: it stays in the heap, and is dropped (or re-placed,
 * once armed again) when its place comes up. A connection arms and
 * disarms its timer several times per request; this and loop_timer_in,
 * which leaves a timer queued no later than its new deadline where it is,
 * spare most heap moves (about one per connection per timeout). The owner
 * must call loop_timer_cancel before it is freed. */
void loop_timer_stop(struct loop *l, struct timer *t);

/* Frees p after the current batch of events. (Should the list fail to
 * grow, p is leaked rather than freed early: the safe failure.) */
void loop_defer_free(struct loop *l, void *p);

/* Re-reads the clocks. */
void loop_update_time(struct loop *l);

/* The monotonic clock in microseconds, read afresh (now_ms is the coarse
 * clock of the wake-up): for spans shorter than a wake-up, such as the
 * times in the JSON access log. */
uint64_t loop_clock_us(void);

/* Runs one iteration: waits for events or the first timer (at most
 * max_wait_ms), dispatches them, then runs expired timers. */
void loop_run_once(struct loop *l, int max_wait_ms);

#endif
