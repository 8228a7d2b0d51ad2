/* portico: command line, start-up, signals. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config/config.h"
#include "core/child.h"
#include "core/log.h"
#include "core/master.h"
#include "core/stats_board.h"
#include "core/worker.h"
#include "handlers/handlers.h"
#include "server/server.h"

#define DEFAULT_CONFIG "configs/default.yaml"
#define SHUTDOWN_GRACE_MS 10000

static void usage(FILE *out)
{
    fprintf(out,
            "usage: portico [-c FILE] [-t] [-T] [-V] [-h]\n"
            "  -c FILE   configuration (default " DEFAULT_CONFIG ")\n"
            "  -t        test the configuration, print \"configuration OK\" or the error\n"
            "  -T        test it and print the compiled servers, locations and pipelines\n"
            "  -V        print the version\n"
            "  -h        this help\n");
}

struct signals {
    struct io_watcher io;
    struct worker *worker;
    uint32_t drain_ms; /* timeouts.drain: a retiring worker's limit, 0 none */
};

static void on_signal(struct io_watcher *io, uint32_t events)
{
    struct signals *s = (struct signals *)io;
    struct signalfd_siginfo si;
    while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGTERM:
        case SIGINT:
            /* From the master: stop. Finish what is in flight, within 10 s. */
            worker_shutdown(s->worker, SHUTDOWN_GRACE_MS);
            break;
        case SIGQUIT:
            /* From the master: a reload retires this worker. Finish every
             * request in flight, bounded only by timeouts.drain. */
            worker_shutdown(s->worker, s->drain_ms);
            break;
        case SIGUSR1:
            log_reopen();
            break;
        case SIGCHLD:
            child_reap();
            break;
        default:
            break; /* SIGHUP is the master's */
        }
    }
}

static int setup_signals(struct signals *s, struct worker *w)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -1;
    s->io.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    s->io.cb = on_signal;
    s->worker = w;
    if (s->io.fd < 0)
        return -1;
    return loop_add(&w->loop, &s->io, EPOLLIN);
}

/* Descriptors beyond one per connection: listeners, logs, and the files
 * and pipes of the requests in flight. */
#define FD_RESERVE 64

/* Raises the descriptor limit to its hard limit (when starting), and warns
 * (at -t on stderr, else in the error log) when limits.connections cannot
 * fit in it, as nginx warns about worker_connections. */
static void fd_limit_check(const struct config *cfg, bool raise_it)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    if (raise_it && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    uint64_t need = (uint64_t)cfg->limits.connections + FD_RESERVE;
    if (rl.rlim_max == RLIM_INFINITY || need <= rl.rlim_max)
        return;
    const char *fmt = "limits.connections %u needs at least %llu file descriptors, but a "
                      "process may open %llu (ulimit -n): raise the limit or lower "
                      "limits.connections";
    char msg[256];
    snprintf(msg, sizeof(msg), fmt, cfg->limits.connections, (unsigned long long)need,
             (unsigned long long)rl.rlim_max);
    if (raise_it)
        log_warn("%s", msg);
    else
        fprintf(stderr, "%s: warning: %s\n", cfg->path, msg);
}

static int write_pid_file(const char *path)
{
    FILE *f = fopen(path, "we");
    if (!f)
        return -1;
    fprintf(f, "%d\n", (int)getpid());
    return fclose(f);
}

/* A configuration and what the master is told of it. */
struct loaded {
    struct config *cfg;
    struct master_listen *listens;
    const struct cfg_listener **bound; /* the listener of each of listens */
    struct master_plan plan;
    struct tls_ctx **tls; /* per server: its certificate, or NULL */
};

/* The configuration in use, and the one a reload is trying. Both on the
 * heap, so that the master's pointer to a plan stays valid when the
 * pending configuration becomes the current one. */
static struct {
    const char *path;
    struct loaded *cur, *pending;
    char *pid_file;   /* pid_file of the first configuration, or NULL */
    bool pid_written; /* ours to remove at exit */
} app;

static void loaded_free(struct loaded *l)
{
    if (!l)
        return;
    free(l->listens);
    free(l->bound);
    server_tls_free(l->tls, l->cfg->n_servers);
    cfg_free(l->cfg);
    free(l);
}

/* Wraps cfg with its plan for the master: its listeners and worker count,
 * and its TLS certificates. Returns NULL (cfg freed) with a message in err
 * when a certificate cannot be used or memory runs out. */
static struct loaded *loaded_new(struct config *cfg, char *err, size_t errlen)
{
    struct loaded *l = calloc(1, sizeof(*l));
    size_t cap = cfg->n_listeners ? cfg->n_listeners : 1;
    snprintf(err, errlen, "out of memory");
    if (l) {
        l->cfg = cfg;
        l->listens = calloc(cap, sizeof(*l->listens));
        l->bound = calloc(cap, sizeof(*l->bound));
        if (l->listens && l->bound)
            l->tls = server_tls_load(cfg, err, errlen);
    }
    if (!l || !l->listens || !l->bound || !l->tls) {
        if (l) {
            free(l->listens);
            free(l->bound);
        }
        free(l);
        cfg_free(cfg);
        return NULL;
    }
    /* Only listeners with a socket of their own: the others ride on a
     * wildcard's (cfg_listener.via). */
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_listeners; i++) {
        const struct cfg_listener *x = &cfg->listeners[i];
        if (x->via)
            continue;
        memcpy(&l->listens[n].addr, &x->addr, x->addrlen);
        l->listens[n].len = x->addrlen;
        memcpy(l->listens[n].text, x->text, sizeof(l->listens[n].text));
        l->listens[n].tls = x->tls;
        l->bound[n++] = x;
    }
    l->plan.listens = l->listens;
    l->plan.n_listens = n;
    l->plan.workers = cfg->workers > 0 ? (unsigned)cfg->workers : master_cpu_count();
    return l;
}

/* One worker process: its own loop on the sockets the master made. */
static int run_worker(void *ctx, const int *fds, int slot)
{
    const struct loaded *cur = app.cur;
    const struct config *cfg = cur->cfg;
    /* Orphans of CGI scripts are reparented to us and reaped like our own. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    struct server srv;
    server_init(&srv, cfg, cur->tls);
    struct worker_stats *stats = NULL;
    if (stats_board && slot >= 0)
        stats = &stats_board->slots[slot].s;
    struct worker w;
    if (worker_init(&w, server_read_buffer_size(cfg), cfg->limits.connections, &server_proto,
                    &srv, stats) < 0) {
        log_err("worker: %s", strerror(errno));
        server_free(&srv);
        return 1;
    }
    struct signals sig;
    int status = 1;
    for (size_t i = 0; i < cur->plan.n_listens; i++)
        if (worker_add_listener(&w, fds[i], cur->bound[i]) < 0)
            goto out;
    if (handlers_start(cfg, &w.loop, w.stats) < 0) {
        log_err("worker: cannot start the handlers: %s", strerror(errno));
        goto out;
    }
    sig.drain_ms = cfg->timeouts.drain_ms;
    if (setup_signals(&sig, &w) < 0)
        goto out;
    worker_run(&w);
    status = 0;
    loop_del(&w.loop, &sig.io);
    close(sig.io.fd);
out:
    worker_free(&w);
    handlers_destroy();
    server_free(&srv);
    log_close();
    return status;
}

static const struct master_plan *reload_config(void *ctx)
{
    char err[1024];
    struct config *cfg = cfg_load(app.path, handler_table, err, sizeof(err));
    if (!cfg) {
        log_err("reload failed, keeping the running configuration: %s", err);
        return NULL;
    }
    if (!(app.pending = loaded_new(cfg, err, sizeof(err)))) {
        log_err("reload failed, keeping the running configuration: %s", err);
        return NULL;
    }
    return &app.pending->plan;
}

static void reload_done(void *ctx, bool take)
{
    struct loaded *l = app.pending;
    app.pending = NULL;
    if (!take) {
        loaded_free(l);
        return;
    }
    const struct config *cfg = l->cfg;
    if (log_open_error(cfg->error_log, (enum log_lvl)cfg->log_level) < 0)
        log_err("reload: cannot open the error log: %s", strerror(errno));
    if (log_open_access(cfg->access_log) < 0)
        log_err("reload: cannot open the access log: %s", strerror(errno));
    loaded_free(app.cur);
    app.cur = l;
}

static void child_free(void *ctx)
{
    loaded_free(app.cur);
    app.cur = NULL;
    free(app.pid_file);
    app.pid_file = NULL;
}

/* Every socket is bound: the pid file now names a server that runs. */
static void listening(void *ctx)
{
    if (!app.pid_file)
        return;
    if (write_pid_file(app.pid_file) < 0)
        log_warn("pid file %s: %s", app.pid_file, strerror(errno));
    else
        app.pid_written = true;
}

static const struct master_hooks hooks = {
    .run_worker = run_worker,
    .reload = reload_config,
    .reload_done = reload_done,
    .child_free = child_free,
    .listening = listening,
};

static int serve(struct config *cfg, const char *path)
{
    app.path = path;
    if (log_open_error(cfg->error_log, (enum log_lvl)cfg->log_level) < 0 ||
        log_open_access(cfg->access_log) < 0) {
        fprintf(stderr, "portico: cannot open log: %s\n", strerror(errno));
        cfg_free(cfg);
        return 1;
    }
    fd_limit_check(cfg, true);
    char err[1024];
    if (!(app.cur = loaded_new(cfg, err, sizeof(err)))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    app.pid_file = cfg->pid_file ? strdup(cfg->pid_file) : NULL;
    int status = master_run(&app.cur->plan, &hooks, NULL);
    loaded_free(app.cur);
    app.cur = NULL;
    if (app.pid_written)
        unlink(app.pid_file);
    free(app.pid_file);
    log_close();
    return status;
}

int main(int argc, char **argv)
{
    const char *path = DEFAULT_CONFIG;
    bool test_only = false, dump = false;
    int opt;
    while ((opt = getopt(argc, argv, "c:tTVh")) != -1) {
        switch (opt) {
        case 'c': path = optarg; break;
        case 't': test_only = true; break;
        case 'T': test_only = dump = true; break;
        case 'V': printf("portico/%s\n", PORTICO_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    char err[1024];
    struct config *cfg = cfg_load(path, handler_table, err, sizeof(err));
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    for (size_t i = 0; i < cfg->n_warnings; i++)
        fprintf(stderr, "%s\n", cfg->warnings[i]);
    if (test_only)
        fd_limit_check(cfg, false);
    if (!test_only)
        return serve(cfg, path); /* the master owns cfg from here */
    struct tls_ctx **tls = server_tls_load(cfg, err, sizeof(err));
    if (!tls) {
        fprintf(stderr, "%s\n", err);
        cfg_free(cfg);
        return 1;
    }
    if (dump) {
        char **notes = server_tls_notes(cfg, tls);
        cfg_dump(cfg, stdout, (const char *const *)notes);
        for (size_t i = 0; notes && i < cfg->n_servers; i++)
            free(notes[i]);
        free(notes);
    }
    printf("configuration OK\n");
    server_tls_free(tls, cfg->n_servers);
    cfg_free(cfg);
    return 0;
}
