/* Child processes of a worker and their reaping.
 *
 * SIGCHLD arrives through the worker's signalfd; child_reap() then collects
 * every exited child with waitpid(WNOHANG) and tells its watcher, so no
 * zombie outlives the loop iteration after its exit and nothing waits. */
#ifndef PORTICO_CHILD_H
#define PORTICO_CHILD_H

#include <sys/types.h>

struct child_watch;
typedef void (*child_exit_cb)(struct child_watch *w, int wait_status);

struct child_watch {
    pid_t pid;
    child_exit_cb on_exit;
    struct child_watch *prev, *next;
};

/* Watches w->pid; on_exit is called once, after the child was reaped. */
void child_watch_add(struct child_watch *w);
/* Stops watching (the child is still reaped when it exits). */
void child_watch_remove(struct child_watch *w);
/* Reaps every exited child. */
void child_reap(void);
/* Reaps one exited child of this process, whoever it belongs to, without
 * blocking (waitpid(-1, WNOHANG), retried on EINTR). Returns its pid with
 * its wait status in *status, or 0 when no child has exited (or there is
 * none). Used by child_reap and by the master for its workers. */
pid_t child_wait_any(int *status);

#endif
