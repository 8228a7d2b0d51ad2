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
#include "handlers/handler.h"
#include "http/http_chunked.h"
#include "http/http_parse.h"

struct file_cache_entry;
struct request;

/* Where a request body goes (an upload file, later a CGI's stdin). */
struct body_sink {
    /* Offers len body bytes. Returns how many it took (0..len), or minus
     * an HTTP status (-500, -507, -413 ...) to stop: the request is then
     * answered with it and the connection closed. Taking fewer pauses the
     * body (the socket is not read) until the handler calls
     * request_body_resume(). A sink of a chunked body takes everything. */
    long (*write)(struct request *r, const char *data, size_t len);
    /* The whole body arrived: the handler sets the response and calls
     * request_respond. */
    void (*finish)(struct request *r);
};

#define REQUEST_HEAD_BUF 2048
#define REQUEST_EXTRA_BUF 4096
#define REQUEST_BODY_BUF 1024
#define REQUEST_MAX_REDIRECTS 5
#define REQUEST_BIG_BODY_BUF (128 * 1024)

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
    char *owned;             /* a body from request_body_alloc, freed with the request */
};

struct request {
    struct conn *conn;
    const struct config *cfg;
    struct http_request_head head;
    size_t head_len;          /* bytes of the head in the read buffer */
    size_t scanned;           /* bytes already seen by an incomplete parse */
    size_t head_bytes;        /* length of the response head sent */
    const struct cfg_server *server;
    const struct cfg_location *loc;
    char path[PATH_MAX];      /* decoded, normalised path, NUL-terminated */
    size_t path_len;
    uint64_t start_ms;

    bool has_body;            /* Content-Length > 0 or chunked, not yet read */
    const struct body_sink *sink; /* set while a body is read */
    void *handler_data;       /* the async handler's own state */
    uint64_t body_left;       /* Content-Length bytes still to come */
    uint64_t body_received;   /* decoded body bytes so far */
    bool continue_pending;    /* a 100 Continue is being written */
    bool streaming;           /* the body goes out piece by piece */
    bool stream_chunked;      /* ... in the chunked coding */
    bool stream_last;         /* ... and the last piece is queued */
    char chunk_head[24];
    unsigned redirects;       /* internal redirects so far */
    char redirect_target[1024];
    struct http_chunked chunked;
    char *big;                /* REQUEST_BIG_BODY_BUF for a long body, or NULL */
    size_t big_pos, big_len;  /* its undelivered bytes */
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

/* Answers with a memory body that lives at least as long as the request
 * (a literal, r->body_buf, or memory from request_body_alloc). */
void request_set_body(struct request *r, int status, const char *body, size_t len,
                      const char *content_type);

/* Answers with a malloc'd body, which the request now owns. */
void request_adopt_body(struct request *r, int status, char *body, size_t len,
                        const char *content_type);

/* Starts reading the request body into sink (answering Expect:
 * 100-continue first). The handler has accepted the request and makes
 * this call its last action, returning what it returns (HANDLER_ASYNC):
 * the sink may already have finished, and the request be answered and
 * gone, when it returns. */
enum handler_result request_read_body(struct request *r, const struct body_sink *sink);

/* Called by the connection protocol: new bytes while reading a body, and
 * the 100 Continue interim answer written. */
void request_body_on_data(struct request *r);
void request_continue_sent(struct request *r);

/* Offers the sink the body bytes again after it took fewer (back-pressure). */
void request_body_resume(struct request *r);

/* Ends the request early with status (the handler's on_abort runs first),
 * closing the connection after the answer. */
void request_fail(struct request *r, int status);

/* A streamed response: begin queues the head (status and headers set);
 * the body is framed by Content-Length when the handler set one, else
 * chunked for HTTP/1.1, else by closing the connection. Each write queues
 * one piece (data stays valid until the handler's on_event is called with
 * fd REQUEST_DRAINED) and starts writing; last ends the response. */
#define REQUEST_DRAINED (-1)
void request_stream_begin(struct request *r);
void request_stream_write(struct request *r, const char *data, size_t len, bool last);

/* Serves target ("/path?query") instead, as a new GET of the same server
 * (a CGI local redirect). The calling handler has released its state. */
void request_internal_redirect(struct request *r, const char *target, size_t len);

/* Writes the response (used by handlers that answered HANDLER_ASYNC). */
void request_respond(struct request *r);

/* The path relative to the location's root, without leading slash ("" for
 * the root itself): the part after the prefix for a location with its own
 * root, else the whole path. */
const char *request_rel_path(const struct request *r);

#endif
