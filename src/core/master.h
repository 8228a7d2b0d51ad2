/* The master process: binds the listeners, starts `workers` worker
 * processes and supervises them.
 *
 *  - a worker that dies is started again (same sockets, fresh process);
 *  - SIGTERM/SIGINT: the workers stop accepting and finish what is in
 *    flight (up to the grace period), then the master exits 0;
 *  - SIGHUP: the configuration is read again; if it is valid, new workers
 *    start with it and the old ones finish their requests and exit (the
 *    listening sockets stay open throughout, so no connection is refused);
 *    if not, the error is logged and the old workers go on;
 *  - SIGUSR1: the master and the workers reopen their log files.
 *
 * The master holds one SO_REUSEPORT socket per address and worker index;
 * worker i of any generation accepts on the sockets of index i. */
#ifndef PORTICO_MASTER_H
#define PORTICO_MASTER_H

#include "config/config.h"

/* Runs one worker in the forked child: returns its exit status. fds[j] is
 * the socket of cfg->listeners[j] for this worker; slot its stats board
 * slot. */
typedef int (*master_worker_fn)(struct config *cfg, const int *fds, int slot);

/* Runs the master until it is told to stop. cfg becomes the master's (it
 * frees it, and later ones). Returns the exit status. */
int master_run(struct config *cfg, const char *config_path, master_worker_fn run_worker);

/* Worker processes for a configuration (`auto`: the CPUs this process may
 * run on). */
unsigned master_worker_count(const struct config *cfg);

#endif
