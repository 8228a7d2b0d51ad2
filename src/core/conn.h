/* A client connection: socket, read buffer, output queue, one timer, and
 * the state core drives it by. Core owns the socket and the buffers and
 * knows nothing of HTTP: it reads bytes into c->rbuf and calls the
 * protocol object (struct conn_proto) to make sense of them; the protocol
 * queues output (c->out) and core writes it.
 *
 *   IDLE -> READING -> BUSY -> WRITING -> IDLE ...   (or -> LINGER -> CLOSED)
 *
 * The state says what core does when the socket is ready, and which
 * /status counter the connection counts in. conn_set_state() is the one
 * place that changes it, so the counters always add up. The socket is
 * registered once, edge-triggered; `readable`/`writable` remember the last
 * edge until a read or write drains it. */
#ifndef PORTICO_CONN_H
#define PORTICO_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/bufpool.h"
#include "core/loop.h"
#include "core/outq.h"
#include "core/slab.h"
#include "core/stats.h"

enum conn_state {
    CONN_IDLE,    /* waiting for a request's first byte (new or kept alive): counted idle */
    CONN_READING, /* reading a request: counted reading */
    CONN_BUSY,    /* the protocol works elsewhere; the socket is not read: counted writing */
    CONN_WRITING, /* the output queue is written: counted writing */
    CONN_TUNNEL,  /* bytes both ways at once (a WebSocket): counted writing and tunnel */
    CONN_LINGER,  /* answered and half-closed; draining what the client sends */
    CONN_CLOSED
};

struct conn;
struct conn_tls;
struct tls_ctx;

/* The protocol spoken on a connection. Each callback may close c. */
struct conn_proto {
    /* A connection was accepted (state IDLE, nothing read yet). */
    void (*on_accept)(struct conn *c);
    /* New bytes are in c->rbuf[c->rpos .. c->rlen) (IDLE, READING). */
    void (*on_data)(struct conn *c);
    /* Everything queued before an open stream is written (WRITING): the
     * stream's source may queue more. */
    void (*on_drained)(struct conn *c);
    /* Everything queued is written and no stream is open (WRITING). */
    void (*on_written)(struct conn *c);
    /* The connection's timer fired (IDLE, READING, BUSY). */
    void (*on_timeout)(struct conn *c);
    /* c is being closed (peer gone, failure, timeout); the protocol
     * releases what it holds. */
    void (*on_close)(struct conn *c);
    /* TLS: the context for the server name a client asked for (SNI), or
     * NULL to keep the one the session started with. */
    struct tls_ctx *(*tls_pick)(struct conn *c, const char *name);
};

/* The connections of one worker, and what they share. */
struct conn_set {
    struct loop *loop;
    struct slab conns;    /* the struct conn of every connection */
    struct bufpool rbufs; /* read buffers */
    struct bufpool tls_wbufs; /* TLS staging buffers, held while writing */
    struct bufpool tls_obufs; /* TLS records gathered for one send, held while they wait */
    const struct conn_proto *proto;
    void *proto_ctx;            /* the protocol's per-worker state */
    struct worker_stats *stats; /* where the counters go */
    struct conn *open;          /* open connections */
    struct conn *closed;        /* closed during this batch, freed after it */
    bool stopping;              /* the worker is shutting down */
};

/* A client's address: IPv4 or IPv6 (28 bytes, where a sockaddr_storage
 * takes 128: an idle connection is mostly this struct). */
union conn_addr {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

/* Laid out for idle keep-alive connections, which are many and hold only
 * this (from the set's slab): no buffer, no request, an empty queue. */
struct conn {
    struct io_watcher io;
    struct timer timer;
    struct conn_set *set;
    void *proto_data;     /* the protocol's per-connection state */
    const void *listener; /* what the worker was told of the listening socket */
    struct conn_tls *tls; /* the TLS session, NULL on plain connections */

    char *rbuf;    /* from the set's pool; NULL while idle */
    uint32_t rpos; /* first unconsumed byte */
    uint32_t rlen; /* end of the bytes read */

    struct outq out;     /* holds no memory while empty */
    uint64_t bytes_sent; /* since the protocol last reset it (per response) */
    uint32_t send_timeout_ms;
    unsigned requests;   /* served on this connection */

    enum conn_state state;  /* changed only by conn_set_state */
    bool readable : 1;      /* an EPOLLIN edge not yet drained */
    bool writable : 1;      /* no EAGAIN since the last EPOLLOUT */
    bool peer_closed : 1;   /* recv returned 0 */
    bool rdhup : 1;         /* the peer's FIN was signalled: reads go on until recv says 0 */
    bool in_dispatch : 1;   /* the protocol is inside its request loop (no re-entry) */
    bool paused : 1;        /* TUNNEL: the protocol takes no more bytes for now */
    bool plain_on_tls : 1;  /* a TLS address got bytes that are no TLS record */

    union conn_addr peer;
    struct conn *prev, *next; /* the set's list */
};

/* Sets up an empty set of connections on loop; rbuf_size is the read
 * buffer size. */
void conn_set_init(struct conn_set *s, struct loop *loop, size_t rbuf_size,
                   const struct conn_proto *proto, void *proto_ctx,
                   struct worker_stats *stats);
/* Frees the connections closed during the last batch of events. */
void conn_set_collect(struct conn_set *s);
/* Closes every connection (and collects them) and frees the pool. */
void conn_set_free(struct conn_set *s);
/* Stopping: closes the idle connections; the others finish. */
void conn_set_stop(struct conn_set *s);

/* Takes an accepted socket (non-blocking, close-on-exec): registers it and
 * tells the protocol (on_accept). Returns the connection, or NULL with fd
 * closed when it cannot be set up. */
struct conn *conn_new(struct conn_set *s, int fd, const struct sockaddr_storage *peer,
                      socklen_t peer_len, const void *listener);

/* The local address the connection arrived on (getsockname). Returns 0
 * or -1. */
int conn_local_addr(const struct conn *c, struct sockaddr_storage *out);

/* The client's address, copied into *out (zeroed first). */
void conn_peer_addr(const struct conn *c, struct sockaddr_storage *out);

/* The one place a connection's state changes; keeps the set's counters. */
void conn_set_state(struct conn *c, enum conn_state state);

/* Makes sure c->rbuf is held, reads what the socket has into it and
 * returns the number of new bytes (>0), 0 when the socket has nothing now,
 * or -1 when the peer closed or the socket failed (c->peer_closed set for
 * an orderly close). Does nothing once the buffer is full. */
ssize_t conn_read(struct conn *c);

/* Reads into a buffer of the caller's (a large request body), with the
 * same bookkeeping and results as conn_read. */
ssize_t conn_recv(struct conn *c, char *buf, size_t len);

/* One recv(2) on the socket with flags: the bytes (>0); 0 with readable
 * cleared when there are none now; -1 when the peer closed (peer_closed
 * set) or the socket failed. For core's transports. */
ssize_t conn_recv_socket(struct conn *c, char *buf, size_t len, int flags);

/* Bytes buffered and not yet consumed by the protocol. */
static inline size_t conn_pending(const struct conn *c)
{
    return c->rbuf ? c->rlen - c->rpos : 0;
}

/* Moves the unconsumed bytes to the front of the buffer. Only when
 * nothing points into the buffer (between requests). */
void conn_compact(struct conn *c);

/* Gives the buffer back to the pool when every byte in it was consumed. */
void conn_release_buffer(struct conn *c);

/* Enters WRITING and writes as much of c->out as the socket takes; the
 * rest goes out as EPOLLOUT edges arrive, each gap bounded by
 * send_timeout_ms. Calls on_drained / on_written when done. */
void conn_write(struct conn *c, uint32_t send_timeout_ms);

/* TUNNEL: writes what is queued, as far as the socket takes it now; the
 * rest goes out as the socket allows, and on_drained follows when all is
 * out. Reading goes on meanwhile unless c->paused. */
void conn_tunnel_write(struct conn *c);

/* TUNNEL: reading was paused and may go on (reads what is there now). */
void conn_tunnel_resume(struct conn *c);

/* Arms c's single timer. */
void conn_set_timer(struct conn *c, uint32_t ms);
void conn_cancel_timer(struct conn *c);

/* Closes the socket and releases everything; the struct is freed after the
 * current batch of events. Safe to call twice. */
void conn_close(struct conn *c);

/* Closes after the last response. When bytes may still come
 * (unread_may_follow: a body not read; or bytes buffered, an edge not
 * drained, TLS) it half-closes (shutdown SHUT_WR), reads and discards what
 * the client still sends for a moment, then closes: a client whose request
 * was refused mid-body then sees the answer, not a reset. Otherwise it
 * closes at once. */
void conn_linger_close(struct conn *c, bool unread_may_follow);

#endif
