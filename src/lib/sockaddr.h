/* IPv4 and IPv6 socket addresses held in a struct sockaddr_storage: port,
 * text forms and equality. Any other family has port 0 and the text "-". */
#ifndef PORTICO_SOCKADDR_H
#define PORTICO_SOCKADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* The port in host byte order; 0 unless the family is AF_INET or AF_INET6. */
unsigned sockaddr_port(const struct sockaddr_storage *ss);

/* Sets the port (host byte order) of an AF_INET or AF_INET6 address;
 * any other family is left alone. */
void sockaddr_set_port(struct sockaddr_storage *ss, unsigned port);

/* Writes the address without its port, NUL-terminated, into out[0..cap):
 * "192.0.2.1" or "2001:db8::1". Returns 0, or -1 (out then holds "-" when
 * cap allows) for another family or a cap too small for the text;
 * INET6_ADDRSTRLEN always suffices. */
int sockaddr_ip_text(const struct sockaddr_storage *ss, char *out, size_t cap);

/* Writes "192.0.2.1:80" or "[2001:db8::1]:80", NUL-terminated, into
 * out[0..cap). Returns 0, or -1 (out then holds "-" when cap allows) for
 * another family or a cap too small for the whole text. */
int sockaddr_text(const struct sockaddr_storage *ss, char *out, size_t cap);

/* True when both addresses have the same length and the same bytes (build
 * them in zeroed storage so that padding compares equal too). */
bool sockaddr_equal(const struct sockaddr_storage *a, socklen_t alen,
                    const struct sockaddr_storage *b, socklen_t blen);

/* True for the wildcard address of its family (0.0.0.0 or ::). */
bool sockaddr_is_any(const struct sockaddr_storage *ss);

/* True when a and b have the same family, IP address and port, whatever
 * else the kernel filled in (getsockname's IPv6 flow label or scope). */
bool sockaddr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

#endif
