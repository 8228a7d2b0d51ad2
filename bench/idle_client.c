/* bench/idle_client.c -- what an idle keep-alive connection costs a server.
 *
 *   idle_client [-n COUNT] [-c INFLIGHT] [-s SETTLE_MS] [-w HOLD_S] -p PID HOST PORT PATH
 *
 * Reads the RSS of PID and its descendants (VmRSS, /proc), then opens
 * COUNT plain HTTP/1.1 connections to HOST:PORT, at most INFLIGHT of them
 * waiting for an answer at a time; each sends one keep-alive GET PATH and
 * reads the whole answer (Content-Length framed), then stays open and
 * silent. Once all have their answer it waits SETTLE_MS, reads the RSS
 * again, checks that the server closed none of them, holds them HOLD_S
 * seconds more (0: none) and closes them. It prints, one a line:
 *
 *   ready COUNT
 *   rss_before KIB
 *   rss_after KIB
 *   closed N            (connections the server closed meanwhile)
 *   bytes_per_conn B    ((rss_after - rss_before) * 1024 / COUNT)
 *
 * Exit status 0, or 1 when a connection failed or was closed early.
 * A tool of the benchmarks; it shares no code with portico. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct idle_conn {
    int fd;
    bool sent, done;
    size_t got;     /* bytes of the answer so far */
    long long need; /* head + Content-Length once the head is in; -1 before */
    char head[4096];
};

static struct idle_conn *conns;
static long count = 10000, inflight = 64, settle_ms = 500, hold_s = 0;
static long opened, answered;
static struct sockaddr_in addr;
static char request[1024];
static size_t request_len;
static int epfd;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* VmRSS (KiB) of one process, 0 when it is gone. */
static long rss_of(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    long kb = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* The parent pid of pid, or -1. */
static long ppid_of(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    long pp = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "PPid: %ld", &pp) == 1)
            break;
    fclose(f);
    return pp;
}

/* True when pid descends from root (or is root). */
static bool descends(long pid, long root)
{
    for (int depth = 0; pid > 1 && depth < 16; depth++) {
        if (pid == root)
            return true;
        pid = ppid_of(pid);
    }
    return false;
}

/* VmRSS (KiB) summed over root and its descendants. */
static long tree_rss(long root)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    long total = 0;
    if (!d)
        die("/proc");
    while ((e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        long pid = atol(e->d_name);
        if (descends(pid, root))
            total += rss_of(pid);
    }
    closedir(d);
    return total;
}

static void open_one(long i)
{
    struct idle_conn *c = &conns[i];
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die("socket");
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 && errno != EINPROGRESS)
        die("connect");
    c->need = -1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = (uint64_t)i};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        die("epoll_ctl");
    opened++;
}

/* Once the head is in: its length plus Content-Length, else -1. */
static long long answer_size(const struct idle_conn *c)
{
    const char *end = memmem(c->head, c->got, "\r\n\r\n", 4);
    if (!end)
        return -1;
    long long body = 0;
    for (const char *p = c->head; p && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
        while (p < end && (*p == '\n' || *p == '\r'))
            p++;
        if (strncasecmp(p, "content-length:", 15) == 0)
            body = atoll(p + 15);
    }
    return (long long)(end + 4 - c->head) + body;
}

/* Reads what the answer has; marks the connection done at its end. */
static void read_answer(struct idle_conn *c)
{
    char sink[16384];
    for (;;) {
        char *buf = c->need < 0 ? c->head + c->got : sink;
        size_t room = c->need < 0 ? sizeof(c->head) - c->got : sizeof(sink);
        ssize_t n = recv(c->fd, buf, room, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0 || room == 0) {
            fprintf(stderr, "idle_client: a connection ended before its answer\n");
            exit(1);
        }
        if (c->need < 0) {
            c->got += (size_t)n;
            c->need = answer_size(c);
        } else {
            c->got += (size_t)n;
        }
        if (c->need >= 0 && (long long)c->got >= c->need) {
            c->done = true;
            answered++;
            /* Silent from now on; only a close would wake it. */
            struct epoll_event ev = {.events = 0};
            epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
            return;
        }
    }
}

static void on_event(struct idle_conn *c, uint32_t events)
{
    if (!c->sent && (events & EPOLLOUT)) {
        if (send(c->fd, request, request_len, MSG_NOSIGNAL) != (ssize_t)request_len)
            die("send");
        c->sent = true;
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)(c - conns)};
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        read_answer(c);
}

/* Connections the server closed: readable with EOF (or an error). */
static long count_closed(void)
{
    long closed = 0;
    for (long i = 0; i < count; i++) {
        char b;
        ssize_t n = recv(conns[i].fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN))
            closed++;
    }
    return closed;
}

static void usage(void)
{
    fprintf(stderr, "usage: idle_client [-n COUNT] [-c INFLIGHT] [-s SETTLE_MS] [-w HOLD_S] "
                    "-p PID HOST PORT PATH\n");
    exit(2);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)count + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void run(void)
{
    struct epoll_event evs[256];
    while (answered < count) {
        while (opened < count && opened - answered < inflight)
            open_one(opened);
        int n = epoll_wait(epfd, evs, 256, 10000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "idle_client: no progress for 10 s (%ld answered)\n", answered);
            exit(1);
        }
        for (int i = 0; i < n; i++)
            on_event(&conns[evs[i].data.u64], evs[i].events);
    }
}

int main(int argc, char **argv)
{
    long pid = 0;
    int opt;
    while ((opt = getopt(argc, argv, "n:c:s:w:p:")) != -1) {
        switch (opt) {
        case 'n': count = atol(optarg); break;
        case 'c': inflight = atol(optarg); break;
        case 's': settle_ms = atol(optarg); break;
        case 'w': hold_s = atol(optarg); break;
        case 'p': pid = atol(optarg); break;
        default: usage();
        }
    }
    if (argc - optind != 3 || pid <= 0 || count <= 0 || inflight <= 0)
        usage();
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
    if (inet_pton(AF_INET, argv[optind], &addr.sin_addr) != 1)
        usage();
    request_len = (size_t)snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n",
                                   argv[optind + 2], argv[optind]);
    raise_nofile();
    if (!(conns = calloc((size_t)count, sizeof(*conns))) || (epfd = epoll_create1(0)) < 0)
        die("setup");

    long before = tree_rss(pid);
    run();
    printf("ready %ld\n", answered);
    fflush(stdout);
    struct timespec settle = {settle_ms / 1000, (settle_ms % 1000) * 1000000};
    nanosleep(&settle, NULL);
    long after = tree_rss(pid);
    long closed = count_closed();
    printf("rss_before %ld\nrss_after %ld\nclosed %ld\nbytes_per_conn %.1f\n", before, after,
           closed, (double)(after - before) * 1024.0 / (double)count);
    fflush(stdout);
    if (hold_s > 0)
        sleep((unsigned)hold_s);
    for (long i = 0; i < count; i++)
        close(conns[i].fd);
    return closed ? 1 : 0;
}
