/* Listening sockets. */
#ifndef PORTICO_LISTENER_H
#define PORTICO_LISTENER_H

#include <sys/socket.h>

#define LISTEN_BACKLOG 511

/* Opens a non-blocking, close-on-exec TCP socket bound to addr and
 * listening with LISTEN_BACKLOG (SO_REUSEADDR and SO_REUSEPORT, so that
 * each worker gets a socket of its own on the same address and the kernel
 * spreads connections over them; IPv6 sockets are v6-only so that
 * "[::]:80" and "0.0.0.0:80" can both be bound), with TCP_NODELAY,
 * which the connections it accepts inherit. Returns the fd, or -1 with
 * errno. */
int listener_open(const struct sockaddr *addr, socklen_t len);

/* Checks that nobody listens on addr yet, by binding a plain socket (no
 * SO_REUSEPORT) and closing it: SO_REUSEPORT alone would let a second
 * server share the port silently. Returns 0, or -1 with errno
 * (EADDRINUSE). */
int listener_probe(const struct sockaddr *addr, socklen_t len);

#endif
