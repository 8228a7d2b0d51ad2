#include "core/timer.h"

#include <stdlib.h>

void timer_heap_init(struct timer_heap *h)
{
    h->items = NULL;
    h->len = h->cap = 0;
}

void timer_heap_free(struct timer_heap *h)
{
    free(h->items);
    timer_heap_init(h);
}

static void place(struct timer_heap *h, size_t i, struct timer *t)
{
    h->items[i] = t;
    t->slot = i + 1;
}

static void sift_up(struct timer_heap *h, size_t i)
{
    struct timer *t = h->items[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->items[parent]->deadline_ms <= t->deadline_ms)
            break;
        place(h, i, h->items[parent]);
        i = parent;
    }
    place(h, i, t);
}

static void sift_down(struct timer_heap *h, size_t i)
{
    struct timer *t = h->items[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->len)
            break;
        if (child + 1 < h->len && h->items[child + 1]->deadline_ms < h->items[child]->deadline_ms)
            child++;
        if (h->items[child]->deadline_ms >= t->deadline_ms)
            break;
        place(h, i, h->items[child]);
        i = child;
    }
    place(h, i, t);
}

int timer_arm(struct timer_heap *h, struct timer *t, uint64_t deadline_ms)
{
    if (t->slot) {
        uint64_t old = t->deadline_ms;
        t->deadline_ms = deadline_ms;
        if (deadline_ms < old)
            sift_up(h, t->slot - 1);
        else if (deadline_ms > old)
            sift_down(h, t->slot - 1);
        return 0;
    }
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        struct timer **items = realloc(h->items, cap * sizeof(*items));
        if (!items)
            return -1;
        h->items = items;
        h->cap = cap;
    }
    t->deadline_ms = deadline_ms;
    place(h, h->len++, t);
    sift_up(h, h->len - 1);
    return 0;
}

void timer_cancel(struct timer_heap *h, struct timer *t)
{
    if (!t->slot)
        return;
    size_t i = t->slot - 1;
    t->slot = 0;
    h->len--;
    if (i == h->len)
        return;
    place(h, i, h->items[h->len]);
    sift_down(h, i);
    sift_up(h, h->items[i]->slot - 1);
}
