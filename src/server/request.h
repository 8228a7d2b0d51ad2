/* A request and the API handlers answer it through.
 *
 * struct request lives in a block from the worker's pool, taken when a
 * request's first byte arrives and given back when the exchange is over
 * (its response out, and a body nobody read drained).
 * The exchange (server/) owns it and the connection under it: handlers read
 * the request, set the response through the functions below, read a body
 * through a sink, and never touch the connection's state. */
#ifndef PORTICO_REQUEST_H
#define PORTICO_REQUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "config/config.h"
#include "core/conn.h"
#include "handlers/handler.h"
#include "http/http_chunked.h"
#include "http/http_parse.h"

struct compress;
struct request;
struct server;

/* Where a request body goes (an upload file, a CGI's stdin). */
struct body_sink {
    /* Offers len body bytes. Returns how many it took (0..len), or minus
     * an HTTP status (-500, -507, -413 ...) to stop: the request is then
     * answered with it and the connection closed. Taking fewer pauses the
     * body (the socket is not read) until the handler calls
     * request_body_resume(); the rest is offered again then. */
    long (*write)(struct request *r, const char *data, size_t len);
    /* The whole body arrived: the handler sets the response and calls
     * response_send. */
    void (*finish)(struct request *r);
};

/* A byte tunnel (a WebSocket after 101). */
struct tunnel_ops {
    /* The client sent data[0..len) (valid until the return): returns how
     * much was taken; fewer pauses the client until request_tunnel_resume. */
    size_t (*from_client)(struct request *r, const char *data, size_t len);
};

/* A step a streamed response body passes through before the output queue
 * (on-the-fly gzip, server/compress.c, is the last one when the response is
 * gzipped). write passes len bytes on, transformed, through
 * response_filter_next(); last marks the body's end. Returns 0 or -1. */
struct response_filter {
    int (*write)(struct response_filter *f, struct request *r, const char *p, size_t len,
                 bool last);
    struct response_filter *next; /* set by response_add_filter */
};

/* Headers a handler adds (a CGI script's, an upstream's) fit in
 * REQUEST_EXTRA_BUF, as in nginx's proxy_buffer_size of a page or two; the
 * head written from them and ours (status line, Server, Date, type,
 * framing) in REQUEST_HEAD_BUF. */
#define REQUEST_EXTRA_BUF 8192
#define REQUEST_HEAD_BUF (REQUEST_EXTRA_BUF + 1024)
#define REQUEST_PATH_INLINE 1024
#define REQUEST_MAX_REDIRECTS 5
#define REQUEST_BIG_BODY_BUF (128 * 1024)

struct response {
    int status;
    const char *content_type; /* bare, as the MIME table gives it: the head adds
                                 the location's charset (see response_set_file) */
    int64_t content_length;  /* -1: not known */
    /* Header lines (CRLF-terminated), then the head written from them: one
     * buffer from the server's pool, taken by the first header or by the
     * head, so that a request still reading its body holds none. */
    char *buf;               /* REQUEST_EXTRA_BUF + REQUEST_HEAD_BUF, or NULL */
    size_t extra_len;
    const char *body;        /* memory body, or NULL */
    size_t body_len;
    int file_fd;             /* file body, or -1; owned by the response */
    off_t file_off, file_len;
    bool close;              /* Connection: close after this response */
    void (*release)(void *); /* called with release_arg once the body is sent */
    void *release_arg;
    char *owned;             /* an adopted body, freed with the request */
    bool from_file;          /* the body is a file's bytes, not text portico wrote */
    bool streaming;          /* the body goes out piece by piece */
    bool chunked;            /* ... in the chunked coding */
    struct response_filter *filters;
};

struct request {
    struct conn *conn;
    struct server *srv;
    const struct config *cfg;
    struct http_request_head head;
    size_t head_len;          /* bytes of the head in the read buffer */
    size_t scanned;           /* bytes already seen by an incomplete parse */
    size_t head_bytes;        /* length of the response head sent */
    const struct cfg_server *server;
    const struct cfg_location *loc;
    char *path;               /* decoded, normalised path, NUL-terminated */
    size_t path_len;
    uint64_t start_us;        /* loop_clock_us() at its first byte */

    /* The request body (server/request_body.c). */
    bool has_body;            /* Content-Length > 0 or chunked, not yet read */
    const struct body_sink *sink; /* set while a body is read */
    uint64_t body_left;       /* Content-Length bytes still to come */
    uint64_t body_received;   /* decoded body bytes so far */
    bool continue_pending;    /* a 100 Continue is being written */
    bool discarding;          /* the body nobody read is drained after the response */
    struct http_chunked chunked;
    size_t chunk_ready;       /* decoded bytes a sink did not take yet */
    bool chunk_done;          /* ... and the chunked body ended after them */
    char *big;                /* REQUEST_BIG_BODY_BUF from the pool, or NULL */
    char *head_copy;          /* the head, moved out of the read buffer by a stall */
    size_t big_pos, big_len;  /* its undelivered bytes */

    /* The handler at work. */
    const void *settings;     /* its settings for this location */
    const struct handler *async; /* the handler that answered HANDLER_ASYNC */
    void *handler_data;       /* the async handler's own state */
    bool dir_no_index;        /* static found a directory without index */
    const struct tunnel_ops *tunnel; /* the connection carries bytes both ways */
    bool logged;              /* its access log line is written */
    /* Set by the proxy for the access log: the server it used and how long
     * the upstream took, in microseconds (JSON format). */
    const char *upstream;
    uint64_t upstream_us;
    struct compress *gz;      /* the response is gzipped on the fly (server/compress.c) */
    unsigned redirects;       /* internal redirects so far */
    char *redirect_target;    /* the target of the last one (malloc'd) */

    struct response res;
    char path_buf[REQUEST_PATH_INLINE];
};

/* ---- the request ---- */

/* The path relative to the location's root, without leading slash ("" for
 * the root itself): the part after the prefix for a location with its own
 * root, else the whole path. */
const char *request_rel_path(const struct request *r);

/* True when the request came over TLS (its scheme is https). */
bool request_https(const struct request *r);

/* True when one of the query's '&'-separated parts is exactly
 * param[0..len) ("format=json"), as sent (not decoded). */
bool request_query_has(const struct request *r, const char *param, size_t len);

/* True when the client asks for JSON: its Accept names application/json
 * (with a q above 0), or a query parameter is format=json. */
bool request_wants_json(const struct request *r);

/* The /status counters summed over every worker (or this worker's own when
 * it runs alone) into *out; returns the number of workers. */
unsigned request_stats(const struct request *r, struct worker_stats *out);

/* This worker's own /status counters, where a handler counts what it did
 * (CGI processes, stored upload bytes): plain increments, the worker is
 * their only writer. */
struct worker_stats *request_counters(const struct request *r);

/* The worker's event loop, for a handler's own fds and timers. */
struct loop *request_loop(const struct request *r);

/* ---- the response ---- */

/* Sets an error status; the page (error_pages entry or built-in) is made
 * when the response is sent. Returns HANDLER_DONE for tail calls. */
enum handler_result request_error(struct request *r, int status);

/* Answers status (a 3xx) with Location: target and a short page linking
 * it, or the error_pages entry of the status. A target that does not fit
 * the header block is answered 414. Returns HANDLER_DONE. */
enum handler_result response_redirect(struct request *r, int status, const char *target);

void response_set_status(struct request *r, int status);
/* The body length a streamed response announces (-1: unknown). */
void response_set_length(struct request *r, int64_t len);
/* The connection closes after this response. */
void response_close_after(struct request *r);

/* Appends a header line ("Name: value", CRLF added). -1 if no room. */
int response_add_header(struct request *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same for a name and a value as they are (no formatting). */
int response_add_header_pair(struct request *r, const char *name, size_t name_len,
                             const char *value, size_t value_len);
/* A header whose name is a string literal and value a C string: no
 * formatting on a hot path. */
#define RESPONSE_HEADER(r, lit_name, value)                                          \
    response_add_header_pair((r), (lit_name), sizeof(lit_name) - 1, (value), strlen(value))

/* The content_type given with a body is written as it is, unless the
 * location has a `charset` and the type is text/..., application/javascript
 * or application/json without a charset of its own: then "; charset=NAME"
 * follows it. NAME is the location's for a file body (response_set_file,
 * response_set_body_ref); a memory body (response_set_body,
 * response_adopt_body) is text portico wrote, always UTF-8, so it says
 * utf-8 whatever name the location gives its files. A Content-Type header
 * added as a header line (a CGI's, an upstream's) is never touched. */

/* Answers with a file body: takes ownership of fd. */
void response_set_file(struct request *r, int status, int fd, off_t off, off_t len,
                       const char *content_type);

/* Answers with a memory body that lives at least as long as the request
 * (a literal, r->body_buf, or an adopted body): text portico wrote. */
void response_set_body(struct request *r, int status, const char *body, size_t len,
                       const char *content_type);

/* Answers with memory that release(arg) gives back once the response is
 * done (a reference on a cached file). */
void response_set_body_ref(struct request *r, int status, const char *body, size_t len,
                           const char *content_type, void (*release)(void *), void *arg);

/* Answers with a malloc'd body, which the request now owns. */
void response_adopt_body(struct request *r, int status, char *body, size_t len,
                         const char *content_type);

/* Forgets everything a handler prepared: status, headers, body. */
void response_reset(struct request *r);

/* Writes the response (used by handlers that answered HANDLER_ASYNC). */
void response_send(struct request *r);

/* A streamed response: begin queues the head (status and headers set) and
 * starts writing it (on_drained follows once it is out) -- unless
 * body_now: the handler writes its first piece at once, and the head goes
 * out with it, in one write;
 * the body is framed by Content-Length when the handler set one, else
 * chunked for HTTP/1.1, else by closing the connection. Each write queues
 * one piece, through the filters, and starts writing; data stays valid
 * until the handler's on_drained runs; last ends the response. write
 * returns 0, or -1 when the piece could not be queued (the connection is
 * then closed). */
void response_stream_begin(struct request *r, bool body_now);
int response_stream_write(struct request *r, const char *data, size_t len, bool last);
/* Writes what is queued (a head begun with body_now when no piece came
 * after all); on_drained follows. */
void response_stream_flush(struct request *r);

/* Adds f in front of the filters a streamed body passes (before begin). */
void response_add_filter(struct request *r, struct response_filter *f);
/* What a filter calls to pass its output on. */
int response_filter_next(struct response_filter *f, struct request *r, const char *p,
                         size_t len, bool last);

/* Queues the 101 head (status and Upgrade header set) and turns the
 * connection into a byte tunnel: the client's bytes go to ops, the
 * handler's through request_tunnel_write (its on_drained follows once they
 * are out). It ends when either side closes: request_fail(r, 0) or the
 * client's close. */
void request_tunnel(struct request *r, const struct tunnel_ops *ops);
/* Queues bytes for the client (valid until on_drained). 0, or -1 when the
 * queue is full (the tunnel is then closed). */
int request_tunnel_write(struct request *r, const char *data, size_t len);
void request_tunnel_resume(struct request *r);

/* ---- the body and the end ---- */

/* Starts reading the request body into sink (answering Expect:
 * 100-continue first). The handler has accepted the request and makes
 * this call its last action, returning what it returns (HANDLER_ASYNC):
 * the sink may already have finished, and the request be answered and
 * gone, when it returns. */
enum handler_result request_read_body(struct request *r, const struct body_sink *sink);

/* Offers the sink the body bytes again after it took fewer (back-pressure). */
void request_body_resume(struct request *r);

/* Ends the request early with status (the handler's on_abort runs first),
 * closing the connection after the answer. Once the head went out, only
 * the close is left. */
void request_fail(struct request *r, int status);

/* Serves target ("/path?query") instead, as a new GET of the same server
 * (a CGI local redirect). The calling handler has released its state. */
void request_internal_redirect(struct request *r, const char *target, size_t len);

#endif
