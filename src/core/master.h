/* The master process: binds the listeners, starts `workers` worker
 * processes and supervises them.
 *
 *  - a worker that dies is started again (same sockets, fresh process);
 *  - SIGTERM/SIGINT: the workers stop accepting and finish what is in
 *    flight (up to the grace period), then the master exits 0;
 *  - SIGHUP: the configuration is read again; if it is valid, new workers
 *    start with it and the old ones (sent SIGQUIT) finish every request in
 *    flight, however long, and exit (the listening sockets stay open
 *    throughout, so no connection is refused);
 *    if not, the error is logged and the old workers go on;
 *  - SIGUSR1: the master and the workers reopen their log files.
 *
 * The master holds one SO_REUSEPORT socket per address and worker index;
 * worker i of any generation accepts on the sockets of index i. */
#ifndef PORTICO_MASTER_H
#define PORTICO_MASTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* An address to listen on. */
struct master_listen {
    struct sockaddr_storage addr;
    socklen_t len;
    char text[64]; /* "0.0.0.0:8080", for messages */
    bool tls;      /* its URLs are https:// */
};

/* What a configuration asks of the master: its addresses and how many
 * workers serve them. The caller keeps it alive while it is in use. */
struct master_plan {
    const struct master_listen *listens;
    size_t n_listens;
    unsigned workers;
};

/* How the master reaches the rest of the program (main.c). ctx is passed
 * back to each hook. */
struct master_hooks {
    /* In a forked worker: serves on fds[i], the socket of the current
     * plan's listens[i], with stats board slot `slot`; returns the exit
     * status. */
    int (*run_worker)(void *ctx, const int *fds, int slot);
    /* SIGHUP: reads the configuration again and keeps it pending; returns
     * its plan (the hooks' to keep alive while it is current), or NULL
     * after logging why not. */
    const struct master_plan *(*reload)(void *ctx);
    /* The pending configuration becomes the current one (take: its sockets
     * are ready) or is dropped. Called once after each successful reload,
     * before the new workers fork. */
    void (*reload_done)(void *ctx, bool take);
    /* In a forked worker, after run_worker: frees what the fork copied
     * from the master, so that a leak checker sees a clean exit. */
    void (*child_free)(void *ctx);
    /* Once, when the first plan's sockets are all bound, before the first
     * workers start (main writes the pid file then, so that a start that
     * fails leaves another server's pid file alone). May be NULL. */
    void (*listening)(void *ctx);
};

/* Runs the master until it is told to stop. Returns the exit status. */
int master_run(const struct master_plan *plan, const struct master_hooks *hooks, void *ctx);

/* The CPUs this process may run on (at least 1): what `workers: auto`
 * starts. */
unsigned master_cpu_count(void);

#endif
