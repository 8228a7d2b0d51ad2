/* The handler interface. A location's pipeline is a list of stages, each a
 * handler with its settings (compiled by config/ from the handlers'
 * descriptors); the exchange asks each handler in turn, and the first one
 * that does not decline answers the request. */
#ifndef PORTICO_HANDLER_H
#define PORTICO_HANDLER_H

#include "config/cfg_handler.h"

struct config;
struct loop;
struct request;
struct worker_stats;

enum handler_result {
    HANDLER_DECLINED, /* not mine: ask the next handler */
    HANDLER_DONE,     /* the response is set (or an error status is) */
    HANDLER_ASYNC     /* work started through the loop; the handler answers
                         later: response_send(), a streamed response, or
                         request_fail() */
};

struct handler {
    /* First: what config/ sees (name, keys, settings parser, dump, place
     * in the pipeline); a stage's handler points here. */
    struct cfg_handler desc;
    /* Looks at the request, the location (r->loc) and its own settings
     * (r->settings). */
    enum handler_result (*on_request)(struct request *r);
    /* A streamed response: the pieces queued so far are written; the
     * handler may send the next (response_stream_write). */
    void (*on_drained)(struct request *r);
    /* The request ends before the handler finished (client gone, timeout):
     * release what it started. */
    void (*on_abort)(struct request *r);
    /* A worker starts serving cfg on loop, publishing into stats: per-worker
     * state the handler keeps is made here (connection pools, health
     * checks). 0 or -1. */
    int (*start)(const struct config *cfg, struct loop *loop, struct worker_stats *stats);
    /* Frees per-worker state the handler keeps (caches); the loop may be
     * gone already. */
    void (*destroy)(void);
};

/* The handler whose descriptor d is. */
static inline const struct handler *handler_of(const struct cfg_handler *d)
{
    return (const struct handler *)d;
}

#endif
