/* Timers kept in a binary min-heap ordered by deadline.
 *
 * A struct timer is embedded in its owner (a connection); the heap stores
 * pointers and each timer remembers its slot, so arming, re-arming and
 * cancelling cost O(log n) and nothing is allocated per timer. */
#ifndef PORTICO_TIMER_H
#define PORTICO_TIMER_H

#include <stddef.h>
#include <stdint.h>

struct timer;
typedef void (*timer_cb)(struct timer *t);

struct timer {
    uint64_t deadline_ms; /* its place in the heap */
    size_t slot; /* index in the heap + 1; 0 when not armed */
    timer_cb cb;
    uint64_t armed_at; /* the loop's wake-up when it was armed (loop_timer_in) */
    uint64_t due_ms;   /* when the loop fires it; 0: stopped (see loop_timer_stop) */
};

struct timer_heap {
    struct timer **items;
    size_t len, cap;
};

void timer_heap_init(struct timer_heap *h);
void timer_heap_free(struct timer_heap *h);

/* Arms t to fire at deadline_ms, or moves it there if already armed.
 * Returns 0, or -1 when the heap cannot grow (t stays unarmed). */
int timer_arm(struct timer_heap *h, struct timer *t, uint64_t deadline_ms);
/* Disarms t; harmless when it is not armed. */
void timer_cancel(struct timer_heap *h, struct timer *t);

static inline int timer_armed(const struct timer *t) { return t->slot != 0; }

/* The earliest armed timer, or NULL. */
static inline struct timer *timer_first(const struct timer_heap *h)
{
    return h->len ? h->items[0] : NULL;
}

#endif
