#include "core/master.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/child.h"
#include "core/listener.h"
#include "core/log.h"
#include "core/stats_board.h"
#include "lib/sockaddr.h"

/* Workers get this long to finish in-flight requests after SIGTERM (theirs
 * is 10 s); then the master kills what is left. */
#define STOP_GRACE_MS 12000
/* A worker that dies sooner than this after its start is restarted only
 * after a pause, so that a crash loop does not spin. */
#define QUICK_DEATH_MS 1000
#define RESTART_PAUSE_MS 500

struct msock {
    struct sockaddr_storage addr;
    socklen_t len;
    char text[64];
    int *fds; /* one per worker index */
    unsigned n;
};

struct mworker {
    pid_t pid; /* 0 while waiting to be restarted */
    unsigned index, gen;
    int slot;
    bool retiring;
    uint64_t started_ms, restart_at_ms;
};

static struct {
    const struct master_plan *plan; /* the current configuration's */
    const struct master_hooks *hooks;
    void *ctx;
    struct msock *socks;
    size_t n_socks;
    struct mworker *ws;
    size_t n_ws;
    unsigned gen;
    bool stopping;
    uint64_t stop_deadline_ms;
    int sfd;
} M;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

unsigned master_cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    return 1;
}

/* ---- sockets ---- */

static struct msock *sock_for(const struct master_listen *l)
{
    for (size_t i = 0; i < M.n_socks; i++)
        if (sockaddr_equal(&M.socks[i].addr, M.socks[i].len, &l->addr, l->len))
            return &M.socks[i];
    struct msock *grown = realloc(M.socks, (M.n_socks + 1) * sizeof(*grown));
    if (!grown)
        return NULL;
    M.socks = grown;
    struct msock *s = &M.socks[M.n_socks++];
    memset(s, 0, sizeof(*s));
    memcpy(&s->addr, &l->addr, l->len);
    s->len = l->len;
    memcpy(s->text, l->text, sizeof(s->text));
    return s;
}

/* The reason the last listen failed, for the command line at start-up. */
static char listen_error[768];

/* The lowest port a process without CAP_NET_BIND_SERVICE may bind
 * (net.ipv4.ip_unprivileged_port_start, 1024 unless changed). */
static unsigned unprivileged_port_start(void)
{
    unsigned start = 1024;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
    if (f) {
        if (fscanf(f, "%u", &start) != 1)
            start = 1024;
        fclose(f);
    }
    return start;
}

/* What to do about the two failures a new user meets, appended to the
 * message: a port someone else holds, a privileged port. */
static void listen_hint(char *out, size_t cap, unsigned port, int err)
{
    unsigned low = unprivileged_port_start();
    if (err == EADDRINUSE) {
        snprintf(out, cap,
                 ": another program listens on port %u (ss -ltnp 'sport = :%u' names it); "
                 "stop it, or listen on another port",
                 port, port);
    } else if (err == EACCES && port < low) {
        char exe[256];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        exe[n > 0 ? n : 0] = '\0';
        snprintf(out, cap,
                 ": ports below %u are privileged; listen on a port above %u (such as 8080), "
                 "or give portico the right to bind them (sudo setcap "
                 "cap_net_bind_service=+ep %s), or start it as root",
                 low, low - 1, n > 0 ? exe : "portico");
    } else {
        out[0] = '\0';
    }
}

static int listen_failed(const struct msock *s)
{
    int err = errno;
    char hint[512];
    listen_hint(hint, sizeof(hint), sockaddr_port(&s->addr), err);
    snprintf(listen_error, sizeof(listen_error), "cannot listen on %s: %s%s", s->text,
             strerror(err), hint);
    log_err("%s", listen_error);
    return -1;
}

/* Before any socket of ours is bound on a port, makes sure no other
 * process listens there (SO_REUSEPORT would share it silently). A port we
 * already hold is ours: a specific address beside our wildcard one is
 * fine. */
static int probe_new_ports(const struct master_plan *plan)
{
    for (size_t i = 0; i < plan->n_listens; i++) {
        const struct master_listen *l = &plan->listens[i];
        bool held = false;
        for (size_t j = 0; j < M.n_socks && !held; j++)
            held = M.socks[j].n > 0 && sockaddr_port(&M.socks[j].addr) == sockaddr_port(&l->addr);
        if (!held && listener_probe((const struct sockaddr *)&l->addr, l->len) < 0) {
            struct msock probe = {.len = l->len};
            memcpy(&probe.addr, &l->addr, l->len);
            memcpy(probe.text, l->text, sizeof(probe.text));
            return listen_failed(&probe);
        }
    }
    return 0;
}

/* Makes sure every address of plan has a socket per worker. */
static int prepare_sockets(const struct master_plan *plan)
{
    unsigned n = plan->workers;
    if (probe_new_ports(plan) < 0)
        return -1;
    for (size_t i = 0; i < plan->n_listens; i++) {
        struct msock *s = sock_for(&plan->listens[i]);
        if (!s)
            return -1;
        if (s->n >= n)
            continue;
        int *fds = realloc(s->fds, n * sizeof(*fds));
        if (!fds)
            return -1;
        s->fds = fds;
        while (s->n < n) {
            int fd = listener_open((const struct sockaddr *)&s->addr, s->len);
            if (fd < 0)
                return listen_failed(s);
            s->fds[s->n++] = fd;
        }
    }
    return 0;
}

static bool listens_on(const struct master_plan *plan, const struct msock *s)
{
    for (size_t j = 0; j < plan->n_listens; j++)
        if (sockaddr_equal(&plan->listens[j].addr, plan->listens[j].len, &s->addr, s->len))
            return true;
    return false;
}

/* Keeps exactly the sockets plan's workers use: addresses it no longer
 * listens on and indexes beyond n are closed. Done before the new workers
 * fork, so that no process keeps a socket nobody accepts on (the kernel
 * would still hand it connections); retiring workers have closed theirs
 * by the time they drain. */
static void trim_sockets(const struct master_plan *plan)
{
    size_t kept = 0;
    for (size_t i = 0; i < M.n_socks; i++) {
        struct msock *s = &M.socks[i];
        unsigned keep = listens_on(plan, s) ? plan->workers : 0;
        for (unsigned k = keep; k < s->n; k++)
            close(s->fds[k]);
        if (s->n > keep)
            s->n = keep;
        if (keep) {
            M.socks[kept++] = *s;
            continue;
        }
        free(s->fds);
    }
    M.n_socks = kept;
}

static void close_all_sockets(void)
{
    for (size_t i = 0; i < M.n_socks; i++) {
        for (unsigned k = 0; k < M.socks[i].n; k++)
            close(M.socks[i].fds[k]);
        free(M.socks[i].fds);
    }
    free(M.socks);
    M.socks = NULL;
    M.n_socks = 0;
}

/* ---- workers ---- */

static void child_main(unsigned index, int slot)
{
    /* A worker never outlives its master. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    close(M.sfd);
    const struct master_plan *plan = M.plan;
    int *fds = calloc(plan->n_listens ? plan->n_listens : 1, sizeof(*fds));
    if (!fds)
        _exit(1);
    for (size_t i = 0; i < plan->n_listens; i++)
        fds[i] = sock_for(&plan->listens[i])->fds[index];
    /* Only its own sockets stay open in a worker: a socket of another
     * index must close when the master closes it. */
    for (size_t i = 0; i < M.n_socks; i++) {
        struct msock *ms = &M.socks[i];
        for (unsigned k = 0; k < ms->n; k++)
            if (k != index)
                close(ms->fds[k]);
        bool own = index < ms->n;
        if (own)
            ms->fds[0] = ms->fds[index];
        ms->n = own ? 1 : 0;
    }
    int status = M.hooks->run_worker(M.ctx, fds, slot);
    /* What the fork copied from the master is freed too, so that a leak
     * checker sees a clean worker exit. */
    free(fds);
    close_all_sockets();
    free(M.ws);
    M.hooks->child_free(M.ctx);
    _exit(status);
}

static int start_worker(struct mworker *w)
{
    w->slot = stats_board ? stats_board_take(stats_board) : -1;
    pid_t pid = fork();
    if (pid < 0) {
        log_err("fork: %s", strerror(errno));
        if (stats_board)
            stats_board_release(stats_board, w->slot);
        w->pid = 0;
        w->restart_at_ms = now_ms() + RESTART_PAUSE_MS;
        return -1;
    }
    if (pid == 0)
        child_main(w->index, w->slot);
    w->pid = pid;
    w->started_ms = now_ms();
    w->restart_at_ms = 0;
    return 0;
}

static int spawn_generation(unsigned n)
{
    struct mworker *grown = realloc(M.ws, (M.n_ws + n) * sizeof(*grown));
    if (!grown)
        return -1;
    M.ws = grown;
    for (unsigned i = 0; i < n; i++) {
        struct mworker *w = &M.ws[M.n_ws++];
        memset(w, 0, sizeof(*w));
        w->index = i;
        w->gen = M.gen;
        start_worker(w);
    }
    return 0;
}

static void signal_workers(int sig, bool old_only)
{
    for (size_t i = 0; i < M.n_ws; i++)
        if (M.ws[i].pid > 0 && (!old_only || M.ws[i].gen != M.gen))
            kill(M.ws[i].pid, sig);
}

static void remove_worker(size_t i)
{
    M.ws[i] = M.ws[--M.n_ws];
}

static bool is_worker(pid_t pid)
{
    for (size_t i = 0; i < M.n_ws; i++)
        if (M.ws[i].pid == pid)
            return true;
    return false;
}

/* The master is the subreaper of its tree: what a worker that died leaves
 * behind (children of its CGI scripts) becomes the master's. A worker's
 * own exit sweeps its scripts' groups; after a crash or a SIGKILL the
 * master does it: every child that is not a worker is killed, with its
 * process group. */
static void sweep_orphans(void)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    int pid;
    while (fscanf(f, "%d", &pid) == 1) {
        if (is_worker(pid))
            continue;
        pid_t group = getpgid(pid);
        if (group > 1 && group != getpgrp())
            kill(-group, SIGKILL);
        kill(pid, SIGKILL);
    }
    fclose(f);
}

static void on_worker_exit(size_t i, int status)
{
    struct mworker *w = &M.ws[i];
    if (stats_board)
        stats_board_release(stats_board, w->slot);
    bool expected = M.stopping || w->retiring || w->gen != M.gen;
    if (WIFSIGNALED(status)) {
        log_err("worker %d killed by signal %d", (int)w->pid, WTERMSIG(status));
        sweep_orphans();
    }
    else if (!expected || WEXITSTATUS(status) != 0)
        log_warn("worker %d exited with status %d", (int)w->pid, WEXITSTATUS(status));
    if (expected) {
        remove_worker(i);
        return;
    }
    uint64_t now = now_ms();
    w->pid = 0;
    w->restart_at_ms = now - w->started_ms < QUICK_DEATH_MS ? now + RESTART_PAUSE_MS : now;
}

static void reap(void)
{
    int status;
    pid_t pid;
    while ((pid = child_wait_any(&status)) > 0) {
        for (size_t i = 0; i < M.n_ws; i++) {
            if (M.ws[i].pid == pid) {
                on_worker_exit(i, status);
                break;
            }
        }
    }
}

static void restart_due(void)
{
    uint64_t now = now_ms();
    for (size_t i = 0; i < M.n_ws; i++) {
        struct mworker *w = &M.ws[i];
        if (w->pid == 0 && w->restart_at_ms && w->restart_at_ms <= now) {
            log_warn("starting a new worker %u", w->index);
            start_worker(w);
        }
    }
}

static bool any_alive(void)
{
    for (size_t i = 0; i < M.n_ws; i++)
        if (M.ws[i].pid > 0)
            return true;
    return false;
}

/* ---- signals ---- */

static void reload(void)
{
    const struct master_plan *plan = M.hooks->reload(M.ctx);
    if (!plan)
        return;
    if (prepare_sockets(plan) < 0) {
        log_err("reload failed, keeping the running configuration");
        M.hooks->reload_done(M.ctx, false);
        return;
    }
    /* The old configuration is freed before the new workers fork, so
     * they carry no copy of it; the plan is the new one's. */
    M.hooks->reload_done(M.ctx, true);
    M.plan = plan;
    unsigned n = plan->workers;
    M.gen++;
    for (size_t i = 0; i < M.n_ws; i++)
        M.ws[i].retiring = M.ws[i].gen != M.gen;
    /* Pending restarts of the old generation are no longer wanted. */
    for (size_t i = M.n_ws; i-- > 0;)
        if (M.ws[i].retiring && M.ws[i].pid == 0)
            remove_worker(i);
    if (stats_board)
        stats_board->workers = n;
    /* The old workers finish what they serve, however long (their own
     * drain limit aside); a stop would give them 10 s. */
    signal_workers(SIGQUIT, true);
    trim_sockets(plan);
    spawn_generation(n);
    log_info("configuration reloaded: %u workers", n);
}

static void begin_stop(int sig)
{
    if (M.stopping)
        return;
    log_info("signal %d: stopping", sig);
    M.stopping = true;
    M.stop_deadline_ms = now_ms() + STOP_GRACE_MS;
    for (size_t i = M.n_ws; i-- > 0;)
        if (M.ws[i].pid == 0)
            remove_worker(i);
    signal_workers(SIGTERM, false);
    close_all_sockets();
}

static void handle_signals(void)
{
    struct signalfd_siginfo si;
    while (read(M.sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGCHLD: reap(); break;
        case SIGTERM:
        case SIGINT: begin_stop((int)si.ssi_signo); break;
        case SIGHUP:
            if (!M.stopping)
                reload();
            break;
        case SIGUSR1:
            log_reopen();
            signal_workers(SIGUSR1, false);
            break;
        default: break;
        }
    }
}

static int next_timeout(void)
{
    uint64_t now = now_ms(), due = UINT64_MAX;
    if (M.stopping)
        due = M.stop_deadline_ms;
    for (size_t i = 0; i < M.n_ws; i++)
        if (M.ws[i].pid == 0 && M.ws[i].restart_at_ms && M.ws[i].restart_at_ms < due)
            due = M.ws[i].restart_at_ms;
    if (due == UINT64_MAX)
        return -1;
    return due <= now ? 0 : (int)(due - now);
}

/* The start-up lines: a URL a person can open for each address. A
 * wildcard address is reached from this machine as localhost; a specific
 * one as itself. */
static void log_urls(const struct master_plan *plan)
{
    for (size_t i = 0; i < plan->n_listens; i++) {
        const struct master_listen *l = &plan->listens[i];
        const char *scheme = l->tls ? "https" : "http";
        if (!sockaddr_is_any(&l->addr)) {
            log_info("portico/%s listening on %s://%s/", PORTICO_VERSION, scheme, l->text);
            continue;
        }
        log_info("portico/%s listening on %s://localhost:%u/ (%s: every %s address of this "
                 "machine)",
                 PORTICO_VERSION, scheme, sockaddr_port(&l->addr), l->text,
                 l->addr.ss_family == AF_INET6 ? "IPv6" : "IPv4");
    }
}

int master_run(const struct master_plan *plan, const struct master_hooks *hooks, void *ctx)
{
    memset(&M, 0, sizeof(M));
    /* What a dead worker's scripts leave behind comes to us, not to init:
     * sweep_orphans kills it. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    M.plan = plan;
    M.hooks = hooks;
    M.ctx = ctx;
    sigset_t set;
    sigemptyset(&set);
    int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaddset(&set, sigs[i]);
    sigprocmask(SIG_BLOCK, &set, NULL);
    M.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    stats_board = stats_board_create();
    if (M.sfd < 0 || !stats_board || prepare_sockets(plan) < 0) {
        /* The terminal gets the reason, once. */
        if (listen_error[0] && !log_error_on_stderr())
            fprintf(stderr, "portico: %s\n", listen_error);
        close_all_sockets();
        return 1;
    }
    stats_board->workers = plan->workers;
    log_urls(plan);
    if (hooks->listening)
        hooks->listening(ctx);
    spawn_generation(plan->workers);
    while (!M.stopping || any_alive()) {
        struct pollfd p = {.fd = M.sfd, .events = POLLIN};
        poll(&p, 1, next_timeout());
        handle_signals();
        restart_due();
        if (M.stopping && now_ms() >= M.stop_deadline_ms) {
            signal_workers(SIGKILL, false);
            M.stop_deadline_ms = UINT64_MAX;
        }
    }
    close_all_sockets();
    free(M.ws);
    close(M.sfd);
    log_info("stopped");
    return 0;
}
