/* What the files of server/ share; not for handlers. */
#ifndef PORTICO_EXCHANGE_H
#define PORTICO_EXCHANGE_H

#include <stdbool.h>

#include "server/request.h"
#include "server/server.h"

/* request.c: a request block for c's next request (state READING), and
 * its release (the handler's on_abort runs if it still holds state). */
struct request *request_new(struct conn *c);
void request_free(struct conn *c);
/* The timeouts and limits in force: the location's, else the server's,
 * else the default server's of the connection's listener (r may be NULL). */
const struct cfg_timeouts *request_timeouts(const struct request *r, const struct conn *c);
const struct cfg_limits *request_limits(const struct request *r, const struct conn *c);
const struct cfg_server *default_server(const struct conn *c);
/* Decodes and normalises path into r->path (grown past the inline buffer
 * when needed). Returns its length, or -1 (invalid, or no memory: *nomem). */
long request_set_path(struct request *r, const char *path, size_t len, bool *nomem);

/* response.c: an empty response (no status, headers or body). */
void response_init(struct request *r);
/* response.c: the end of the filter chain: a piece of a streamed body goes
 * into the queue, framed; copy: the queue takes a copy (the caller reuses
 * its buffer at once). 0 or -1. */
int response_queue_piece(struct request *r, const char *data, size_t len, bool last, bool copy);

/* route.c: routes a parsed head and runs the location's pipeline. */
void route(struct request *r);

/* request_body.c: new bytes while a body is read; the 100 Continue line
 * written; drains a body nobody read (after the response) and calls
 * exchange_finish when done. Returns false when there is nothing to drain. */
void request_body_on_data(struct request *r);
void request_continue_sent(struct request *r);
bool request_discard_body(struct request *r);
/* True when the body nobody read can be drained after the response, so
 * that the connection stays open. */
bool request_body_discardable(const struct request *r);

/* request_body.c: the head moves out of the read buffer into memory of
 * its own, and the bytes after it stay (a stalled body, a tunnel). 0/-1. */
int request_detach_head(struct request *r);

/* error_page.c: gives an error or redirect response its body: the
 * configured page with the original status, else the built-in one. */
void error_page_body(struct request *r);
/* The built-in HTML page of a status, naming target as a link when not
 * NULL (a redirect). Returns a malloc'd page (*len set) or NULL. */
char *error_page_builtin(int status, const char *target, size_t *len);

/* exchange.c: the request is over (its response written, its body read
 * or drained): keep-alive or close. */
void exchange_finish(struct conn *c);
/* The Date header's value for now. */
const char *server_date(struct server *s, time_t now);

/* access_log.c: formats and buffers the request's line. */
void access_log_write(const struct request *r);

#endif
