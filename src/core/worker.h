/* One worker process: its event loop, listeners and the connections
 * accepted on them. */
#ifndef PORTICO_WORKER_H
#define PORTICO_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conn.h"
#include "core/loop.h"
#include "core/stats.h"

struct worker_listener {
    struct io_watcher io;
    struct worker *worker;
    const void *data; /* handed to each connection (conn->listener) */
};

struct worker {
    struct loop loop;
    struct conn_set conns;
    struct worker_listener *listeners;
    size_t n_listeners;
    bool accepting;
    size_t max_conns;
    /* Out of file descriptors: accepting pauses for a moment, logged once
     * per episode (an episode ends with the next accepted connection). */
    struct timer fd_pause;
    bool fd_paused, fd_logged;
    uint32_t peak_active; /* the most connections open since memory was last trimmed */
    struct worker_stats *stats; /* a slot of the shared board, else own_stats */
    struct worker_stats own_stats;
    bool stopping;
    uint64_t stop_deadline_ms;
};

/* Sets up the loop and the connection set. rbuf_size is the read buffer
 * size; proto and proto_ctx the protocol every connection speaks; stats
 * the counters to keep (NULL: the worker's own). Returns 0 or -1. */
int worker_init(struct worker *w, size_t rbuf_size, size_t max_conns,
                const struct conn_proto *proto, void *proto_ctx, struct worker_stats *stats);
/* Registers an already bound, listening, non-blocking socket; data is
 * handed to every connection accepted on it. */
int worker_add_listener(struct worker *w, int fd, const void *data);
/* Runs the loop until w->loop.stop, or after worker_shutdown until the
 * last connection is done or the grace period ends. */
void worker_run(struct worker *w);
/* Stops accepting, closes idle connections and lets in-flight responses
 * finish within grace_ms (0: however long they take). */
void worker_shutdown(struct worker *w, uint32_t grace_ms);
/* Closes every connection and listener and frees what the worker holds. */
void worker_free(struct worker *w);

#endif
