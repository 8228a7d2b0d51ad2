/* A client connection: socket, read buffer, output queue, one timer, and
 * the explicit state of the exchange on it.
 *
 *   READ_HEAD -> READ_BODY -> HANDLE -> WRITE -> KEEPALIVE -> READ_HEAD ...
 *                                          \-> CLOSED
 *
 * Core owns the socket and the buffers and knows nothing of HTTP: it reads
 * bytes into c->rbuf and calls the protocol object (struct conn_proto) to
 * make sense of them; the protocol queues output and core writes it, with
 * writev/sendmsg for memory and sendfile for file ranges. The socket is
 * registered once, edge-triggered, and `readable`/`writable` remember the
 * last edge until a read or write drains it. */
#ifndef PORTICO_CONN_H
#define PORTICO_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "core/loop.h"

enum conn_state {
    CONN_READ_HEAD, /* waiting for / reading a request head */
    CONN_READ_BODY, /* reading a request body */
    CONN_HANDLE,    /* a handler works; the socket is not read */
    CONN_WRITE,     /* writing the response */
    CONN_KEEPALIVE, /* idle between requests, no buffers held */
    CONN_LINGER,    /* answered and half-closed; draining what the client sends */
    CONN_CLOSED
};

#define CONN_MAX_IOV 8

struct conn;
struct worker;

struct conn_proto {
    /* New bytes are in c->rbuf[c->rpos .. c->rlen) (READ_HEAD/READ_BODY). */
    void (*on_data)(struct conn *c);
    /* Everything queued has been written (state WRITE). */
    void (*on_written)(struct conn *c);
    /* The connection's timer fired. */
    void (*on_timeout)(struct conn *c);
    /* The peer closed its side or the socket failed while the protocol
     * holds state; c is closed right after. */
    void (*on_close)(struct conn *c);
};

struct conn {
    struct io_watcher io;
    struct timer timer;
    struct worker *worker;
    const struct conn_proto *proto;
    void *proto_data;
    const void *listener; /* the struct cfg_listener it was accepted on */

    enum conn_state state;
    bool readable;    /* an EPOLLIN edge not yet drained */
    bool writable;    /* no EAGAIN since the last EPOLLOUT */
    bool peer_closed; /* recv returned 0 */
    bool rdhup;       /* the peer's FIN was signalled: reads go on until recv says 0 */
    bool in_dispatch; /* the protocol is inside its request loop (no re-entry) */

    char *rbuf;  /* from the worker's pool; NULL while idle */
    size_t rpos; /* first unconsumed byte */
    size_t rlen; /* end of the bytes read */

    struct iovec iov[CONN_MAX_IOV];
    int n_iov, iov_done;
    int file_fd;    /* -1 when no file range is queued */
    bool file_owned;
    off_t file_off, file_left;
    uint64_t bytes_sent; /* since the protocol last reset it (per response) */
    uint32_t send_timeout_ms;

    unsigned requests; /* served on this connection */
    struct sockaddr_storage peer;
    socklen_t peer_len;

    struct conn *prev, *next; /* the worker's list of open connections */
};

/* Makes sure c->rbuf is held, reads what the socket has into it and
 * returns the number of new bytes (>0), 0 when the socket has nothing now,
 * or -1 when the peer closed or the socket failed (c->peer_closed set for
 * an orderly close). Does nothing once the buffer is full. */
ssize_t conn_read(struct conn *c);

/* Reads into a buffer of the caller's (a large request body), with the
 * same bookkeeping and results as conn_read. */
ssize_t conn_recv(struct conn *c, char *buf, size_t len);

/* Bytes buffered and not yet consumed by the protocol. */
static inline size_t conn_pending(const struct conn *c)
{
    return c->rbuf ? c->rlen - c->rpos : 0;
}

/* Moves the unconsumed bytes to the front of the buffer. Only when
 * nothing points into the buffer (between requests). */
void conn_compact(struct conn *c);

/* Drops consumed bytes and gives the buffer back to the pool when it is
 * empty. Called between requests. */
void conn_release_buffer(struct conn *c);

/* Queue output. Memory must stay valid until on_written; a file range's fd
 * is closed by core when owned. Returns 0 or -1 (too many pieces). */
int conn_queue_mem(struct conn *c, const void *p, size_t len);
void conn_queue_file(struct conn *c, int fd, off_t off, off_t len, bool owned);

/* Enters CONN_WRITE and writes as much as the socket takes; the rest goes
 * out as EPOLLOUT edges arrive, each gap bounded by send_timeout_ms. Calls
 * proto->on_written when everything is out. */
void conn_start_write(struct conn *c, uint32_t send_timeout_ms);

/* Drops queued output (closing an owned file). */
void conn_clear_output(struct conn *c);

/* Arms c's single timer. */
void conn_set_timer(struct conn *c, uint32_t ms);
void conn_cancel_timer(struct conn *c);

/* Closes the socket and releases everything; the struct is freed after the
 * current batch of events. Safe to call twice. */
void conn_close(struct conn *c);

/* Half-closes (shutdown SHUT_WR) after the response, reads and discards
 * what the client still sends for a moment, then closes: a client whose
 * request was refused mid-body then sees the answer, not a reset. */
void conn_linger_close(struct conn *c);

#endif
