#include "core/child.h"

#include <errno.h>
#include <stddef.h>
#include <sys/wait.h>

static struct child_watch *watched;

void child_watch_add(struct child_watch *w)
{
    w->prev = NULL;
    w->next = watched;
    if (watched)
        watched->prev = w;
    watched = w;
}

void child_watch_remove(struct child_watch *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else if (watched == w)
        watched = w->next;
    else
        return; /* not in the list */
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
}

pid_t child_wait_any(int *status)
{
    for (;;) {
        pid_t pid = waitpid(-1, status, WNOHANG);
        if (pid < 0 && errno == EINTR)
            continue;
        return pid > 0 ? pid : 0;
    }
}

void child_reap(void)
{
    int status;
    pid_t pid;
    while ((pid = child_wait_any(&status)) > 0) {
        for (struct child_watch *w = watched; w; w = w->next) {
            if (w->pid == pid) {
                child_watch_remove(w);
                w->on_exit(w, status);
                break;
            }
        }
    }
}
