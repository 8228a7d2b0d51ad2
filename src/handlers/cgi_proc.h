/* A CGI script's process: spawned with pipes in its own process group,
 * dying with its worker (PR_SET_PDEATHSIG), watched until reaped. When its
 * request is done the whole group is killed (SIGTERM, then SIGKILL), so
 * that children the script left behind go too. The struct outlives the
 * request when it must: it is freed once the group was killed for good and
 * the script reaped. */
#ifndef PORTICO_CGI_PROC_H
#define PORTICO_CGI_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/child.h"
#include "core/loop.h"
#include "core/stats.h"

struct cgi_proc {
    struct child_watch child;
    struct timer kill_timer;
    struct loop *loop;
    bool exited;
    int wait_status;
    bool detached; /* the request is gone */
    bool killed;   /* its group got SIGKILL */
    void (*on_exit)(struct cgi_proc *p, void *data); /* while attached */
    void *data;
    struct cgi_proc *prev, *next; /* the worker's groups */
};

struct cgi_spawn {
    const char *path;     /* what to execute */
    char *const *argv;
    char *const *envp;
    const char *dir;      /* working directory */
    int stdin_fd;         /* given to the child as fd 0 */
    int stdout_fd;        /* ... as fd 1 */
    int stderr_fd;        /* ... as fd 2; -1: /dev/null */
};

/* /dev/null, read-write and close-on-exec, opened once per worker (the
 * stdin of a script whose request has no body); -1 if it cannot be
 * opened. Not to be closed by the caller. */
int cgi_proc_devnull(void);

/* Starts the child. Returns a proc (watched, not yet detached) or NULL
 * with errno. */
struct cgi_proc *cgi_proc_spawn(struct loop *loop, const struct cgi_spawn *s);

/* The request is done with p: its process group gets SIGTERM, and SIGKILL
 * after a grace period, whether the script itself still runs or not; p is
 * freed after that and the reaping. */
void cgi_proc_release(struct cgi_proc *p);

/* SIGKILL to p's whole group in ms (a script that exited while children it
 * left hold its stdout open). */
void cgi_proc_kill_group_in(struct cgi_proc *p, uint32_t ms);

/* Worker exit, after the loop is gone: SIGKILL to every group this worker
 * started that may still live, and their structs freed. */
void cgi_proc_sweep(void);

/* The worker starts: its processes are counted in stats (cgi_started,
 * cgi_running) from now on. */
void cgi_proc_count_into(struct worker_stats *stats);

/* Processes spawned and not yet reaped in this worker. */
unsigned cgi_proc_running(void);

#endif
