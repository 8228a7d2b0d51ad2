/* One HTTP exchange on a connection: the protocol object core calls back
 * into. It parses the head, routes it (Host -> server, path -> location),
 * runs the location's pipeline and writes the response through core.
 *
 * struct request lives in a block from the worker's pool, taken when a
 * request's first byte arrives and given back when its response is out. */
#ifndef PORTICO_REQUEST_H
#define PORTICO_REQUEST_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "config/config.h"
#include "core/conn.h"
#include "http/http_chunked.h"
#include "http/http_parse.h"

struct file_cache_entry;

#define REQUEST_HEAD_BUF 2048
#define REQUEST_EXTRA_BUF 1024
#define REQUEST_BODY_BUF 1024

struct response {
    int status;
    const char *content_type;
    int64_t content_length;  /* -1: not known */
    char extra[REQUEST_EXTRA_BUF]; /* header lines, CRLF-terminated */
    size_t extra_len;
    const char *body;        /* memory body, or NULL */
    size_t body_len;
    int file_fd;             /* file body, or -1; owned by the response */
    off_t file_off, file_len;
    bool close;              /* Connection: close after this response */
    struct file_cache_entry *cached; /* the cached file `body` points into */
};

struct request {
    struct conn *conn;
    const struct config *cfg;
    struct http_request_head head;
    size_t head_len;          /* bytes of the head in the read buffer */
    size_t scanned;           /* bytes already seen by an incomplete parse */
    const struct cfg_server *server;
    const struct cfg_location *loc;
    char path[PATH_MAX];      /* decoded, normalised path, NUL-terminated */
    size_t path_len;
    uint64_t start_ms;

    bool has_body;            /* Content-Length > 0 or chunked */
    bool dir_no_index;        /* static found a directory without index */
    struct response res;
    const struct handler *async; /* the handler that answered HANDLER_ASYNC */
    char head_buf[REQUEST_HEAD_BUF];
    char body_buf[REQUEST_BODY_BUF]; /* small generated bodies */
};

/* The configuration requests are served with (set by main). */
extern const struct config *request_config;

/* The protocol object for struct conn (set by main on the worker). */
extern const struct conn_proto request_proto;
/* Worker hook for a new connection. */
void request_on_accept(struct conn *c);

/* Sets an error status; the page (error_pages entry or built-in) is made
 * when the response is written. Returns HANDLER_DONE for tail calls. */
int request_error(struct request *r, int status);

/* Appends a header line ("Name: value", CRLF added). -1 if no room. */
int request_add_header(struct request *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Answers with a file body: takes ownership of fd. */
void request_set_file(struct request *r, int status, int fd, off_t off, off_t len,
                      const char *content_type);

/* Writes the response (used by handlers that answered HANDLER_ASYNC). */
void request_respond(struct request *r);

/* The path relative to the location's root, without leading slash ("" for
 * the root itself): the part after the prefix for a location with its own
 * root, else the whole path. */
const char *request_rel_path(const struct request *r);

#endif
