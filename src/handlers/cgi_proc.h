/* A CGI script's process: spawned with pipes in its own process group,
 * watched until reaped, and killed (SIGTERM, then SIGKILL) when its
 * request ends first. The struct outlives the request when it must: it is
 * freed once the child was reaped and nobody holds it. */
#ifndef PORTICO_CGI_PROC_H
#define PORTICO_CGI_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/child.h"
#include "core/loop.h"

struct cgi_proc {
    struct child_watch child;
    struct timer kill_timer;
    struct loop *loop;
    bool exited;
    int wait_status;
    bool detached; /* the request is gone: free on exit */
    void (*on_exit)(struct cgi_proc *p, void *data); /* while attached */
    void *data;
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

/* Starts the child. Returns a proc (watched, not yet detached) or NULL
 * with errno. */
struct cgi_proc *cgi_proc_spawn(struct loop *loop, const struct cgi_spawn *s);

/* The request is done with p: a running child gets SIGTERM on its process
 * group, and SIGKILL after a grace period; p is freed after the reaping. */
void cgi_proc_release(struct cgi_proc *p);

/* Processes spawned and not yet reaped in this worker. */
unsigned cgi_proc_running(void);

#endif
