/* Every handler, one file each, and the table main.c hands to cfg_load. A
 * new handler is its file plus one line in handler_table (handlers.c). */
#ifndef PORTICO_HANDLERS_H
#define PORTICO_HANDLERS_H

#include "handlers/handler.h"

extern const struct handler handler_redirect;
extern const struct handler handler_proxy;
extern const struct handler handler_status;
extern const struct handler handler_cgi;
extern const struct handler handler_upload;
extern const struct handler handler_delete;
extern const struct handler handler_static;
extern const struct handler handler_autoindex;

/* The descriptors, NULL-terminated, for cfg_load. */
extern const struct cfg_handler *const handler_table[];

/* Calls every handler's start (a worker begins). 0 or -1. */
int handlers_start(const struct config *cfg, struct loop *loop, struct worker_stats *stats);

/* Calls every handler's destroy (worker exit). */
void handlers_destroy(void);

#endif
