/* The handler interface. Each location's pipeline is a list of handler
 * kinds (compiled by config); the request loop asks each handler in turn,
 * and the first one that does not decline answers the request. */
#ifndef PORTICO_HANDLER_H
#define PORTICO_HANDLER_H

#include <stdint.h>

#include "config/config.h"

struct request;

enum handler_result {
    HANDLER_DECLINED, /* not mine: ask the next handler */
    HANDLER_DONE,     /* the response is set (or an error status is) */
    HANDLER_ASYNC     /* work started through the loop; the handler will
                         call response_send() later */
};

struct handler {
    const char *name;
    /* Looks at the request and the location's settings (r->loc). */
    enum handler_result (*on_request)(struct request *r);
    /* A streamed response: the pieces queued so far are written; the
     * handler may send the next (response_stream_write). */
    void (*on_drained)(struct request *r);
    /* The request ends before the handler finished (client gone, timeout):
     * release what it started. */
    void (*on_abort)(struct request *r);
    /* Frees per-worker state the handler keeps (caches). */
    void (*destroy)(void);
};

/* The handler of a kind. Never NULL. */
const struct handler *handler_get(enum handler_kind kind);

/* Calls every handler's destroy (worker exit). */
void handlers_destroy(void);

/* The handlers, one file each. */
extern const struct handler handler_static;
extern const struct handler handler_redirect;
extern const struct handler handler_proxy;
extern const struct handler handler_status;
extern const struct handler handler_cgi;
extern const struct handler handler_upload;
extern const struct handler handler_delete;
extern const struct handler handler_autoindex;

#endif
