#include "core/stats_board.h"

#include <string.h>
#include <sys/mman.h>

struct stats_board *stats_board;

struct stats_board *stats_board_create(void)
{
    void *p = mmap(NULL, sizeof(struct stats_board), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    struct stats_board *b = p; /* fresh anonymous pages are zero: not touched here */
    b->started = time(NULL);
    return b;
}

int stats_board_take(struct stats_board *b)
{
    for (int i = 0; i < STATS_BOARD_SLOTS; i++) {
        if (!b->in_use[i]) {
            memset(&b->slots[i].s, 0, sizeof(b->slots[i].s));
            memset(b->backends[i], 0, sizeof(b->backends[i]));
            b->backend_gen[i] = 0;
            b->slots[i].s.started = b->started;
            b->in_use[i] = true;
            return i;
        }
    }
    return -1;
}

/* Adds from's counters, not its gauges, to to's. */
static void add_counters(struct worker_stats *to, const struct worker_stats *from)
{
    to->requests_total += from->requests_total;
    for (int k = 0; k < STATS_CLASSES; k++)
        to->responses[k] += from->responses[k];
    to->bytes_received += from->bytes_received;
    to->bytes_sent += from->bytes_sent;
    to->cgi_started += from->cgi_started;
    to->cgi_timeouts += from->cgi_timeouts;
    to->upload_bytes += from->upload_bytes;
    to->tls_handshakes += from->tls_handshakes;
    to->tls_failures += from->tls_failures;
}

void stats_board_release(struct stats_board *b, int i)
{
    if (i < 0 || i >= STATS_BOARD_SLOTS || !b->in_use[i])
        return;
    add_counters(&b->retired, &b->slots[i].s);
    memset(&b->slots[i].s, 0, sizeof(b->slots[i].s));
    b->in_use[i] = false;
}

void stats_board_sum(const struct stats_board *b, struct worker_stats *out)
{
    *out = b->retired;
    out->started = b->started;
    for (int i = 0; i < STATS_BOARD_SLOTS; i++) {
        if (!b->in_use[i])
            continue;
        const struct worker_stats *s = &b->slots[i].s;
        add_counters(out, s);
        out->active += s->active;
        out->reading += s->reading;
        out->writing += s->writing;
        out->idle += s->idle;
        out->tunnels += s->tunnels;
        out->cgi_running += s->cgi_running;
    }
}

struct backend_stats *stats_board_backends(struct stats_board *b, const struct worker_stats *mine,
                                           uint64_t gen)
{
    /* mine is the first member of its slot (struct stats_slot). */
    const struct stats_slot *in = (const struct stats_slot *)(const void *)mine;
    if (in < b->slots || in >= b->slots + STATS_BOARD_SLOTS)
        return NULL;
    size_t slot = (size_t)(in - b->slots);
    b->backend_gen[slot] = gen;
    return b->backends[slot];
}

void stats_board_sum_backend(const struct stats_board *b, uint64_t gen, size_t i,
                             uint64_t now_ms, struct backend_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (int s = 0; s < STATS_BOARD_SLOTS && i < STATS_BACKENDS; s++) {
        if (!b->in_use[s] || b->backend_gen[s] != gen)
            continue;
        const struct backend_stats *x = &b->backends[s][i];
        out->requests += x->requests;
        out->failures += x->failures;
        out->active += x->active;
        out->check_down += x->check_down || x->down_until_ms > now_ms;
    }
}
