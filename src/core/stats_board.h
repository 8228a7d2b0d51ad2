/* Counters every worker process publishes, in memory shared with the
 * master and the other workers, so that /status can sum them. Each worker
 * owns one slot and is its only writer; readers may see a sum that is a
 * moment old, never a torn counter (aligned 64-bit stores). */
#ifndef PORTICO_STATS_BOARD_H
#define PORTICO_STATS_BOARD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/stats.h"

#define STATS_BOARD_SLOTS 512
#define STATS_BACKENDS 256 /* backend servers of a configuration, all groups */

/* One worker's counters on cache lines of their own: each worker writes
 * its slot on every request, and two workers writing one line (136-byte
 * slots straddle them) slowed `workers: 2` down. */
struct stats_slot {
    struct worker_stats s;
} __attribute__((aligned(64)));

struct stats_board {
    time_t started;          /* the master's start */
    unsigned workers;        /* configured worker processes */
    struct worker_stats retired; /* the counters of workers that have exited */
    bool in_use[STATS_BOARD_SLOTS];
    struct stats_slot slots[STATS_BOARD_SLOTS];
    /* Per slot: which configuration its backend counters belong to (an
     * identity the workers of one configuration share), and the counters. */
    uint64_t backend_gen[STATS_BOARD_SLOTS];
    struct backend_stats backends[STATS_BOARD_SLOTS][STATS_BACKENDS];
};

/* Maps the board (shared, anonymous) before any worker is forked; NULL on
 * failure. */
struct stats_board *stats_board_create(void);
/* A free slot for a new worker, zeroed and marked in use; -1 when full. */
int stats_board_take(struct stats_board *b);
/* The worker of slot i has exited: its counters move to retired (its
 * gauges are gone with it). */
void stats_board_release(struct stats_board *b, int i);
/* Sums every slot in use (plus the retired counters) into out. */
void stats_board_sum(const struct stats_board *b, struct worker_stats *out);

/* The backend counters of the worker whose stats are `mine`, for the
 * configuration gen; NULL when mine is not a slot of b. */
struct backend_stats *stats_board_backends(struct stats_board *b, const struct worker_stats *mine,
                                           uint64_t gen);
/* Sums backend i over the slots of configuration gen; out->check_down
 * counts the workers that keep it out of service at now_ms. */
void stats_board_sum_backend(const struct stats_board *b, uint64_t gen, size_t i,
                             uint64_t now_ms, struct backend_stats *out);

/* The board of this process tree, NULL when there is none (tests). */
extern struct stats_board *stats_board;

#endif
