/* bench/floor.c -- the benchmark's floor: about the least an HTTP/1.1
 * server on epoll can do (make bench builds it as build/bench-floor).
 *
 *   bench-floor PORT      listens on 127.0.0.1:PORT, one thread
 *
 * Every request, whatever it asks, gets 200 and the same 1 KiB body from
 * memory. A request is whatever ends with an empty line ("\r\n\r\n"):
 * nothing else is parsed, so pipelined requests each get their answer, in
 * order (a body is not expected). A head naming "Connection: close" gets
 * that header back and the connection is closed after its answer.
 * Level-triggered epoll, non-blocking sockets; a connection whose answers
 * could not all be written waits for EPOLLOUT and reads nothing meanwhile.
 * What portico does beyond this (files, routing, limits, logs) is what the
 * ratio portico/floor shows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY 1024
#define IN_MAX 16384
#define OUT_MAX (16 * (BODY + 256))
#define MAX_FD (1 << 16)
#define HEAD "HTTP/1.1 200 OK\r\nServer: floor\r\nContent-Type: text/html\r\nContent-Length: 1024\r\n"

struct conn {
    size_t in_len, out_len, out_off;
    int closing; /* the last answer queued closes the connection */
    unsigned want; /* the epoll interest set now */
    char in[IN_MAX], out[OUT_MAX];
};

static char ka[BODY + 256], cl[BODY + 256]; /* the answers: keep-alive, close */
static size_t ka_len, cl_len;
static struct conn *conns[MAX_FD];
static int ep;

static void drop(int fd)
{
    close(fd); /* which also takes it out of the epoll set */
    free(conns[fd]);
    conns[fd] = NULL;
}

/* Queues an answer for each complete request in c->in, as many as fit. */
static void answer(struct conn *c)
{
    char *p = c->in, *end;
    while (!c->closing && (end = memmem(p, c->in_len - (size_t)(p - c->in), "\r\n\r\n", 4))) {
        int close_it = memmem(p, (size_t)(end - p), "onnection: close", 16) != NULL;
        size_t n = close_it ? cl_len : ka_len;
        if (c->out_len + n > OUT_MAX)
            break;
        memcpy(c->out + c->out_len, close_it ? cl : ka, n);
        c->out_len += n;
        c->closing = close_it;
        p = end + 4;
    }
    c->in_len -= (size_t)(p - c->in);
    memmove(c->in, p, c->in_len);
}

/* Writes what is queued: 0 all of it, 1 the socket is full, -1 an error. */
static int flush(int fd, struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w = write(fd, c->out + c->out_off, c->out_len - c->out_off);
        if (w < 0)
            return errno == EAGAIN ? 1 : -1;
        c->out_off += (size_t)w;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

/* One readiness event of connection fd: read (unless answers wait to be
 * written), answer, write; waits for EPOLLOUT instead of EPOLLIN while
 * answers are left unwritten. */
static void serve(int fd, unsigned events)
{
    struct conn *c = conns[fd];
    unsigned want = EPOLLIN;
    if (!c->out_len && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        ssize_t r = read(fd, c->in + c->in_len, IN_MAX - c->in_len);
        if (r == 0 || (r < 0 && errno != EAGAIN))
            return drop(fd);
        c->in_len += r > 0 ? (size_t)r : 0;
    }
    for (;;) {
        answer(c);
        int f = flush(fd, c);
        if (f < 0 || (f == 0 && c->closing))
            return drop(fd);
        if (f > 0) {
            want = EPOLLOUT;
            break;
        }
        if (!memmem(c->in, c->in_len, "\r\n\r\n", 4))
            break;
    }
    if (c->in_len == IN_MAX)
        return drop(fd); /* a head larger than the buffer */
    if (want != c->want) {
        struct epoll_event ev = {.events = want, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        c->want = want;
    }
}

static int listen_on(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4096) < 0)
        return -1;
    return fd;
}

int main(int argc, char **argv)
{
    struct epoll_event ev = {.events = EPOLLIN}, evs[256];
    int lfd = argc == 2 ? listen_on(atoi(argv[1])) : -1;
    if (lfd < 0 || (ep = epoll_create1(0)) < 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    ka_len = (size_t)snprintf(ka, sizeof ka, "%s\r\n%0*d", HEAD, BODY, 0);
    cl_len = (size_t)snprintf(cl, sizeof cl, "%sConnection: close\r\n\r\n%0*d", HEAD, BODY, 0);
    ev.data.fd = lfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd != lfd) {
                serve(fd, evs[i].events);
                continue;
            }
            while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                if (fd >= MAX_FD || !(conns[fd] = calloc(1, sizeof *conns[fd]))) {
                    close(fd);
                    continue;
                }
                conns[fd]->want = EPOLLIN;
                ev.data.fd = fd;
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            }
        }
    }
}
