/* bench/tls_client.c -- the load client of bench/tls.sh (make bench-tls).
 *
 *   tls_client [-m MODE] [-c CONNS] [-d SECONDS] [-n COUNT] [-s SNI]
 *              [-v 1.2|1.3] HOST PORT PATH
 *
 * MODE full    each connection: TCP connect, a full TLS handshake (no
 *              session offered), one "GET PATH" with "Connection: close",
 *              the whole answer read (by its Content-Length), close_notify,
 *              close. CONNS such connections at a time for SECONDS.
 *      resume  the same, each connection offering the session (a TLS 1.3
 *              ticket) that the most recently finished one received, so
 *              that only the first CONNS handshakes of a run are full ones.
 *      idle    COUNT keep-alive connections (at most CONNS handshaking at a
 *              time), each a handshake and one GET PATH; then they stay
 *              open and silent. "ready N" is printed once every one has its
 *              answer; they are closed on SIGTERM or after SECONDS.
 *      plain-idle  the same without TLS.
 *
 * The summary is in wrk's words, so that bench/lib.sh reads it as it reads
 * wrk's report: "N requests in S.SSs", "Requests/sec: R", "Non-2xx or 3xx
 * responses: K", "Socket errors: ..." (only when there were some); then
 * "Resumed: X of N handshakes" and "Protocol: VERSION CIPHER GROUP" (of the
 * first handshake). Certificates are not verified (as wrk does not); the
 * script checks each server with curl --cacert first.
 *
 * A single thread with epoll: run it pinned to the client CPU. Unlike
 * `openssl s_time`, which makes one connection after the other (so the
 * server idles while the client computes), it keeps CONNS handshakes in
 * flight, and it can tell full handshakes from resumed ones under TLS 1.3.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

enum mode { M_FULL, M_RESUME, M_IDLE, M_PLAIN_IDLE };
enum state { S_FREE, S_CONNECT, S_HANDSHAKE, S_WRITE, S_READ, S_IDLE };
enum err { E_CONNECT, E_HANDSHAKE, E_READ, E_WRITE, E_TIMEOUT, E_N };

#define HEAD_MAX 8192
#define STUCK_S 10.0 /* a connection making no progress this long: a timeout */

struct conn {
    int fd;
    SSL *ssl;
    enum state state;
    unsigned events; /* the epoll interest set now */
    size_t woff;
    char head[HEAD_MAX];
    size_t hlen;
    bool have_head;
    long long body_left;
    int status;
    double since; /* when it was opened */
};

static enum mode mode = M_FULL;
static bool tls = true;
static int conns = 16;
static double seconds = 5;
static long count = 1000;
static const char *sni;
static int version = TLS1_3_VERSION;
static struct sockaddr_in addr;
static char request[1024];
static size_t request_len;

static SSL_CTX *ctx;
static SSL_SESSION *session; /* resume: the latest resumable session */
static int ep;
static struct conn *pool;
static unsigned long done_reqs, non2xx, handshakes, resumed, errs[E_N];
static long opened;       /* idle: connections opened so far */
static long idle_ready;   /* idle: connections that got their answer */
static long idle_closed;  /* idle: connections the server closed */
static char protocol[160];
static volatile sig_atomic_t stop;
static char rbuf[64 * 1024];
static int slots; /* connections in the pool */

static bool idle_mode(void)
{
    return mode == M_IDLE || mode == M_PLAIN_IDLE;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static void die(const char *what)
{
    fprintf(stderr, "tls_client: %s: %s\n", what, errno ? strerror(errno) : "failed");
    exit(1);
}

static void arm(struct conn *c, unsigned events)
{
    if (c->events == events)
        return;
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        die("epoll_ctl");
    c->events = events;
}

static void close_conn(struct conn *c, bool notify)
{
    if (c->ssl) {
        if (notify) {
            ERR_clear_error();
            (void)SSL_shutdown(c->ssl); /* one try: close_notify, no waiting */
        }
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    ERR_clear_error();
    if (c->fd >= 0)
        close(c->fd); /* also takes it out of the epoll set */
    c->fd = -1;
    c->state = S_FREE;
}

/* Opens connection c (non-blocking connect); false after counting an error. */
static bool open_conn(struct conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->state = S_CONNECT;
    c->since = now();
    c->woff = c->hlen = 0;
    c->have_head = false;
    c->body_left = 0;
    c->status = 0;
    opened++;
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 && errno != EINPROGRESS) {
        errs[E_CONNECT]++;
        close_conn(c, false);
        return false;
    }
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        die("epoll_ctl");
    c->events = EPOLLOUT;
    return true;
}

static void fail(struct conn *c, enum err e)
{
    errs[e]++;
    close_conn(c, false);
}

/* The answer's head is in c->head[0..end): its status and Content-Length. */
static bool parse_head(struct conn *c, size_t end)
{
    c->head[end - 1] = '\0';
    if (sscanf(c->head, "HTTP/1.%*d %d", &c->status) != 1)
        return false;
    for (char *l = strstr(c->head, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
        if (strncasecmp(l + 2, "content-length:", 15) == 0) {
            c->body_left = atoll(l + 17);
            return true;
        }
    }
    return false; /* the servers here always send a length */
}

/* Takes n bytes of the answer; true once it is complete. -1: not HTTP. */
static int take(struct conn *c, const char *p, size_t n)
{
    if (!c->have_head) {
        size_t room = HEAD_MAX - 1 - c->hlen, k = n < room ? n : room;
        memcpy(c->head + c->hlen, p, k);
        c->hlen += k;
        c->head[c->hlen] = '\0';
        char *e = strstr(c->head, "\r\n\r\n");
        if (!e)
            return c->hlen >= HEAD_MAX - 1 ? -1 : 0;
        size_t end = (size_t)(e - c->head) + 4;
        size_t extra = c->hlen - end + (n - k); /* body bytes already here */
        if (!parse_head(c, end))
            return -1;
        c->have_head = true;
        c->body_left -= (long long)extra;
    } else {
        c->body_left -= (long long)n;
    }
    return c->body_left <= 0;
}

static void answered(struct conn *c)
{
    done_reqs++;
    if (c->status < 200 || c->status >= 400)
        non2xx++;
    if (mode == M_RESUME) {
        SSL_SESSION *s = SSL_get1_session(c->ssl);
        if (s && SSL_SESSION_is_resumable(s)) {
            if (session)
                SSL_SESSION_free(session);
            session = s;
        } else if (s) {
            SSL_SESSION_free(s);
        }
    }
    if (idle_mode()) {
        c->state = S_IDLE;
        idle_ready++;
        arm(c, EPOLLIN); /* to notice a server that closes it */
    } else {
        close_conn(c, true);
    }
}

static void handshake_done(struct conn *c)
{
    handshakes++;
    if (SSL_session_reused(c->ssl))
        resumed++;
    if (!protocol[0]) {
        int nid = SSL_get_negotiated_group(c->ssl);
        const char *g = nid ? OBJ_nid2sn(nid & ~TLSEXT_nid_unknown) : NULL;
        snprintf(protocol, sizeof(protocol), "%s %s %s", SSL_get_version(c->ssl),
                 SSL_get_cipher_name(c->ssl), g ? g : "-");
    }
}

/* The TLS call that returned r wants the socket readable or writable:
 * true after arming c for it; false on any other error. */
static bool tls_wait(struct conn *c, int r)
{
    int e = SSL_get_error(c->ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        return false;
    arm(c, e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
    return true;
}

/* The connect finished: 1 on to the handshake (or the request), 0 still
 * connecting, -1 failed (counted). */
static int step_connect(struct conn *c)
{
    int e = 0;
    socklen_t l = sizeof(e);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &l) != 0 || (e && e != EINPROGRESS)) {
        fail(c, E_CONNECT);
        return -1;
    }
    if (e == EINPROGRESS) {
        arm(c, EPOLLOUT);
        return 0;
    }
    if (!tls) {
        c->state = S_WRITE;
        return 1;
    }
    if (!(c->ssl = SSL_new(ctx)) || SSL_set_fd(c->ssl, c->fd) != 1)
        die("SSL_new");
    SSL_set_connect_state(c->ssl);
    if (sni)
        SSL_set_tlsext_host_name(c->ssl, sni);
    if (mode == M_RESUME && session)
        SSL_set_session(c->ssl, session);
    c->state = S_HANDSHAKE;
    return 1;
}

/* 1 handshake done, 0 waiting, -1 failed (counted). */
static int step_handshake(struct conn *c)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        handshake_done(c);
        c->state = S_WRITE;
        return 1;
    }
    if (tls_wait(c, r))
        return 0;
    fail(c, E_HANDSHAKE);
    return -1;
}

/* Sends the rest of the request: 1 some went out, 0 waiting, -1 failed. */
static int step_write(struct conn *c)
{
    const char *p = request + c->woff;
    size_t n = request_len - c->woff;
    ssize_t w;
    if (tls) {
        ERR_clear_error();
        int r = SSL_write(c->ssl, p, (int)n);
        if (r <= 0 && tls_wait(c, r))
            return 0;
        w = r;
    } else {
        w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            arm(c, EPOLLOUT);
            return 0;
        }
    }
    if (w <= 0) {
        fail(c, E_WRITE);
        return -1;
    }
    c->woff += (size_t)w;
    if (c->woff == request_len)
        c->state = S_READ;
    return 1;
}

/* One read into rbuf: the byte count, 0 the peer closed, -1 an error,
 * -2 waiting (armed for it). */
static ssize_t read_some(struct conn *c)
{
    if (!tls) {
        ssize_t n = recv(c->fd, rbuf, sizeof(rbuf), 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            arm(c, EPOLLIN);
            return -2;
        }
        return n;
    }
    ERR_clear_error();
    int r = SSL_read(c->ssl, rbuf, sizeof(rbuf));
    if (r > 0)
        return r;
    if (tls_wait(c, r))
        return -2;
    return SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

/* Reads the answer (or, idle, whatever comes): 1 go on reading, 0 done
 * for now (waiting, answered, or closed). */
static int step_read(struct conn *c)
{
    ssize_t n = read_some(c);
    if (n == -2)
        return 0;
    if (c->state == S_IDLE) {
        if (n > 0)
            return 1; /* bytes on an idle connection (a late ticket): ignored */
        idle_closed++; /* the server closed an idle connection */
        close_conn(c, false);
        return 0;
    }
    int t = n > 0 ? take(c, rbuf, (size_t)n) : -1;
    if (t < 0) {
        fail(c, E_READ);
        return 0;
    }
    if (t > 0) {
        answered(c);
        return 0;
    }
    return 1;
}

/* Drives c as far as it goes without blocking. */
static void step(struct conn *c)
{
    int go = 1;
    while (go > 0) {
        switch (c->state) {
        case S_FREE: return;
        case S_CONNECT: go = step_connect(c); break;
        case S_HANDSHAKE: go = step_handshake(c); break;
        case S_WRITE: go = step_write(c); break;
        case S_READ:
        case S_IDLE: go = step_read(c); break;
        }
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: tls_client [-m full|resume|idle|plain-idle] [-c CONNS] [-d SECONDS]"
                    " [-n COUNT] [-s SNI] [-v 1.2|1.3] HOST PORT PATH\n");
    exit(2);
}

static unsigned long errors(void)
{
    unsigned long e = 0;
    for (int i = 0; i < E_N; i++)
        e += errs[i];
    return e;
}

static void summary(double elapsed)
{
    printf("%lu requests in %.2fs\n", done_reqs, elapsed);
    printf("Requests/sec: %.2f\n", elapsed > 0 ? (double)done_reqs / elapsed : 0.0);
    if (non2xx)
        printf("Non-2xx or 3xx responses: %lu\n", non2xx);
    if (errors())
        printf("Socket errors: connect %lu, handshake %lu, read %lu, write %lu, timeout %lu\n",
               errs[E_CONNECT], errs[E_HANDSHAKE], errs[E_READ], errs[E_WRITE], errs[E_TIMEOUT]);
    if (tls)
        printf("Resumed: %lu of %lu handshakes\n", resumed, handshakes);
    if (idle_mode())
        printf("Idle: %ld answered, %ld closed by the server\n", idle_ready, idle_closed);
    printf("Protocol: %s\n", tls ? (protocol[0] ? protocol : "none") : "plain HTTP/1.1");
}

static void parse_args(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "m:c:d:n:s:v:")) != -1) {
        switch (opt) {
        case 'm':
            if (!strcmp(optarg, "full"))
                mode = M_FULL;
            else if (!strcmp(optarg, "resume"))
                mode = M_RESUME;
            else if (!strcmp(optarg, "idle"))
                mode = M_IDLE;
            else if (!strcmp(optarg, "plain-idle"))
                mode = M_PLAIN_IDLE, tls = false;
            else
                usage();
            break;
        case 'c': conns = atoi(optarg); break;
        case 'd': seconds = atof(optarg); break;
        case 'n': count = atol(optarg); break;
        case 's': sni = optarg; break;
        case 'v':
            if (strcmp(optarg, "1.3") && strcmp(optarg, "1.2"))
                usage();
            version = strcmp(optarg, "1.3") ? TLS1_2_VERSION : TLS1_3_VERSION;
            break;
        default: usage();
        }
    }
    if (argc - optind != 3 || conns < 1 || seconds <= 0 || count < 1)
        usage();
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(argv[optind + 1]));
    if (inet_pton(AF_INET, argv[optind], &addr.sin_addr) != 1)
        usage();
    request_len = (size_t)snprintf(request, sizeof(request),
                                   "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tls_client\r\n%s\r\n",
                                   argv[optind + 2], sni ? sni : argv[optind],
                                   idle_mode() ? "" : "Connection: close\r\n");
}

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    if (tls) {
        if (!(ctx = SSL_CTX_new(TLS_client_method())))
            die("SSL_CTX_new");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        SSL_CTX_set_min_proto_version(ctx, version);
        SSL_CTX_set_max_proto_version(ctx, version);
        /* Sessions are kept by hand (resume mode), not in a cache. */
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    slots = idle_mode() ? (int)count : conns;
    pool = calloc((size_t)slots, sizeof(*pool));
    if (ep < 0 || !pool)
        die("setup");
    for (int i = 0; i < slots; i++)
        pool[i].fd = -1;
}

/* Opens what the mode wants open now: idle, up to `conns` connections on
 * their way until `count` were opened ("ready" once all are answered);
 * else a new connection in every free slot. */
static void top_up(void)
{
    if (!idle_mode()) {
        for (int i = 0; i < slots; i++)
            if (pool[i].state == S_FREE)
                open_conn(&pool[i]);
        return;
    }
    static bool announced;
    long settled = idle_ready + (long)errors();
    for (long busy = opened - settled; opened < count && busy < conns; busy++)
        open_conn(&pool[opened]);
    if (!announced && settled >= count) {
        printf("ready %ld\n", idle_ready);
        fflush(stdout);
        announced = true;
    }
}

/* Connections that made no progress for STUCK_S: timeouts. */
static void reap_stuck(double t)
{
    for (int i = 0; i < slots; i++) {
        struct conn *c = &pool[i];
        if (c->state != S_FREE && c->state != S_IDLE && t - c->since > STUCK_S)
            fail(c, E_TIMEOUT);
    }
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    setup();
    double start = now(), end = start + seconds, last_scan = start;
    struct epoll_event evs[256];
    while (!stop) {
        double t = now();
        if (t >= end)
            break;
        top_up();
        if (errs[E_CONNECT] > 100000) {
            fprintf(stderr, "tls_client: too many connect errors\n");
            break;
        }
        if (t - last_scan > 0.25) {
            last_scan = t;
            reap_stuck(t);
        }
        int ms = (int)((end - t) * 1000) + 1;
        int n = epoll_wait(ep, evs, 256, ms < 100 ? ms : 100);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int i = 0; i < n; i++)
            step(evs[i].data.ptr);
    }
    summary(now() - start);
    for (int i = 0; i < slots; i++)
        if (pool[i].state != S_FREE)
            close_conn(&pool[i], pool[i].state == S_IDLE);
    return 0;
}
