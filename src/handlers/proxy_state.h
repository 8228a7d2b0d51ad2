/* One proxied request, shared by proxy.c (the attempts: which server,
 * retries, errors) and proxy_io.c (the bytes: the request to the upstream,
 * its response to the client, a tunnel). Not for other files. */
#ifndef PORTICO_PROXY_STATE_H
#define PORTICO_PROXY_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "handlers/proxy.h"
#include "http/http_chunked.h"
#include "http/http_resp.h"
#include "lib/strbuf.h"
#include "server/request.h"
#include "upstream/upstream.h"

/* The memory a proxied request holds, whatever the body sizes (CONFIG.md:
 * "tens of KiB"), is these three at most. The upstream's response is read
 * through a buffer of this size: */
#define PROXY_BUF (32 * 1024)
/* A request body is written upstream as it comes, at most this much ahead. */
#define PROXY_OUT_MAX (16 * 1024)
/* A body up to this size is kept, so that a retry can send it again. */
#define PROXY_REPLAY_MAX (16 * 1024)

enum proxy_phase {
    PROXY_CONNECT, /* connecting (or taking a pooled connection) */
    PROXY_SEND,    /* writing the head and the request body */
    PROXY_WAIT,    /* the request is out: waiting for the response head */
    PROXY_BODY,    /* the response body goes to the client */
    PROXY_TUNNEL,  /* a WebSocket: bytes both ways */
};

/* Why an attempt failed. */
enum proxy_fault { FAULT_CONNECT, FAULT_IO, FAULT_TIMEOUT, FAULT_INVALID };

struct proxy {
    struct request *r;
    const struct proxy_settings *ps;
    struct upstream_group *g;
    struct upstream_conn *uc;
    int server;
    bool *tried;         /* per server of the group */
    size_t tried_cap;    /* ... room for this many (proxy_alloc.c) */
    unsigned attempts;
    enum proxy_phase phase;
    bool websocket;      /* an Upgrade: websocket was passed on */

    struct strbuf head;  /* the request head for the upstream */
    struct strbuf out;   /* bytes for the upstream: the head, then the body */
    size_t out_pos;      /* of out, already written */
    bool body_done;      /* the client's body is all in out */
    bool body_taken;     /* a body byte was taken from the client */
    struct strbuf replay; /* the body as sent so far, while it fits PROXY_REPLAY_MAX */
    bool replay_lost;    /* ... it did not: once sent, the request cannot be retried */
    bool body_paused;    /* the sink took fewer: resume once out drains */

    char *buf;           /* PROXY_BUF: the upstream's bytes */
    size_t pos, len;     /* buf[pos..len) not yet passed on */
    struct http_response_in resp;
    bool got_byte;       /* a response byte came: no retry */
    bool writing;        /* a piece is queued to the client */
    bool head_out;       /* the response head was written (or goes with a piece) */
    bool eof;            /* the upstream closed */
    uint64_t left;       /* a Content-Length body: bytes still to come */
    struct http_chunked dechunk;
    uint64_t t0_us;      /* when the attempt began (loop_clock_us) */
    struct timer kick;   /* starts an attempt from the loop */
    uint64_t heard_client_ms, heard_upstream_ms; /* a tunnel's last bytes each way */
};

/* proxy_alloc.c: a zeroed proxy for a group of n_servers, NULL when out
 * of memory; release gives it (and its response buffer) back for reuse;
 * buf_get is a PROXY_BUF response buffer (released with the proxy);
 * alloc_free frees what is kept (a worker's end). */
struct proxy *proxy_alloc(size_t n_servers);
void proxy_release(struct proxy *p);
char *proxy_buf_get(void);
void proxy_alloc_free(void);

/* proxy.c: an attempt failed; retry or answer the error. */
void proxy_fault(struct proxy *p, enum proxy_fault fault, int err);
/* proxy.c: the response is whole; the connection goes back to the pool
 * when reusable. */
void proxy_upstream_done(struct proxy *p, bool reusable);

/* proxy_io.c */
extern const struct upstream_conn_ops proxy_conn_ops;
extern const struct body_sink proxy_sink;
/* Writes what is pending in out; then, with the body all out, waits for
 * the response. */
void proxy_send(struct proxy *p);
/* Reads and parses the response head. */
void proxy_read_head(struct proxy *p);
/* Passes the next piece of the response body on (after on_drained). */
void proxy_pass(struct proxy *p);
/* A tunnel's step: upstream bytes to the client, the client resumed. */
void proxy_tunnel_ready(struct proxy *p);

#endif
