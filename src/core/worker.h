/* One worker process: its event loop, buffer pools, listeners and the
 * connections accepted on them. */
#ifndef PORTICO_WORKER_H
#define PORTICO_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/bufpool.h"
#include "core/conn.h"
#include "core/loop.h"

struct worker_listener {
    struct io_watcher io;
    struct worker *worker;
    const void *cfg_listener; /* struct cfg_listener */
    uint32_t header_timeout_ms; /* for a fresh connection, before routing */
};

struct worker_stats {
    time_t started;   /* wall clock at start */
    uint64_t requests_total;
    uint32_t active, reading, writing, idle;
};

struct worker {
    struct loop loop;
    struct bufpool rbufs;  /* connection read buffers */
    struct bufpool blocks; /* per-request state blocks */
    const struct conn_proto *proto;
    void (*on_accept)(struct conn *c); /* protocol set-up of a new connection */

    struct worker_listener *listeners;
    size_t n_listeners;
    bool accepting;
    size_t max_conns;

    struct conn *conns;  /* open connections */
    struct conn *closed; /* closed during this batch, freed after it */
    struct worker_stats *stats; /* a slot of the shared board, else own_stats */
    struct worker_stats own_stats;
    bool stopping;
    uint64_t stop_deadline_ms;
};

/* Sets up the loop and pools. rbuf_size is the read buffer size (at least
 * the largest header_size + 1), block_size the request block size. */
int worker_init(struct worker *w, size_t rbuf_size, size_t block_size, size_t max_conns);
/* Registers an already bound, listening, non-blocking socket. */
int worker_add_listener(struct worker *w, int fd, const void *cfg_listener,
                        uint32_t header_timeout_ms);
/* Runs the loop until w->loop.stop, or after worker_shutdown until the
 * last connection is done or the grace period ends. */
void worker_run(struct worker *w);
/* Stops accepting, closes idle connections and lets in-flight responses
 * finish within grace_ms. */
void worker_shutdown(struct worker *w, uint32_t grace_ms);
/* Closes every connection and listener and frees the pools. */
void worker_free(struct worker *w);

/* Called by conn_close: unlinks and defers the free. */
void worker_conn_closed(struct worker *w, struct conn *c);

#endif
