#include "handlers/cgi_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <unistd.h>

/* Between SIGTERM and SIGKILL. */
#define KILL_GRACE_MS 1000

static unsigned running;

unsigned cgi_proc_running(void)
{
    return running;
}

static void proc_free(struct cgi_proc *p)
{
    loop_timer_cancel(p->loop, &p->kill_timer);
    free(p);
}

static void on_child_exit(struct child_watch *w, int status)
{
    struct cgi_proc *p = (struct cgi_proc *)w;
    p->exited = true;
    p->wait_status = status;
    running--;
    if (p->detached) {
        proc_free(p);
        return;
    }
    loop_timer_cancel(p->loop, &p->kill_timer);
    if (p->on_exit)
        p->on_exit(p, p->data);
}

static void kill_hard(struct timer *t)
{
    struct cgi_proc *p = (struct cgi_proc *)((char *)t - offsetof(struct cgi_proc, kill_timer));
    if (!p->exited)
        kill(-p->child.pid, SIGKILL);
}

void cgi_proc_release(struct cgi_proc *p)
{
    if (!p)
        return;
    p->on_exit = NULL;
    if (p->exited) {
        proc_free(p);
        return;
    }
    p->detached = true;
    kill(-p->child.pid, SIGTERM);
    loop_timer_in(p->loop, &p->kill_timer, KILL_GRACE_MS);
}

static int add_actions(posix_spawn_file_actions_t *fa, const struct cgi_spawn *s)
{
    int rc = posix_spawn_file_actions_adddup2(fa, s->stdin_fd, 0);
    if (!rc)
        rc = posix_spawn_file_actions_adddup2(fa, s->stdout_fd, 1);
    if (!rc && s->stderr_fd >= 0)
        rc = posix_spawn_file_actions_adddup2(fa, s->stderr_fd, 2);
    if (!rc && s->stderr_fd < 0)
        rc = posix_spawn_file_actions_addopen(fa, 2, "/dev/null", O_WRONLY, 0);
    if (!rc)
        rc = posix_spawn_file_actions_addchdir_np(fa, s->dir);
    /* Our own fds are close-on-exec; this also drops any the server
     * inherited without it from whatever started it. */
    if (!rc)
        rc = posix_spawn_file_actions_addclosefrom_np(fa, 3);
    return rc;
}

static int set_attrs(posix_spawnattr_t *attr)
{
    /* Its own process group (so a timeout kills the script's children
     * too), no blocked signals, and every signal at its default: the
     * worker's SIG_IGN for SIGPIPE must not leak into scripts. */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    int rc = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                POSIX_SPAWN_SETSIGDEF);
    if (!rc)
        rc = posix_spawnattr_setpgroup(attr, 0);
    if (!rc)
        rc = posix_spawnattr_setsigmask(attr, &none);
    if (!rc)
        rc = posix_spawnattr_setsigdefault(attr, &all);
    return rc;
}

struct cgi_proc *cgi_proc_spawn(struct loop *loop, const struct cgi_spawn *s)
{
    struct cgi_proc *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    pid_t pid;
    int rc = add_actions(&fa, s);
    if (!rc)
        rc = set_attrs(&attr);
    if (!rc)
        rc = posix_spawn(&pid, s->path, &fa, &attr, s->argv, s->envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc) {
        free(p);
        errno = rc;
        return NULL;
    }
    p->loop = loop;
    p->child.pid = pid;
    p->child.on_exit = on_child_exit;
    p->kill_timer.cb = kill_hard;
    child_watch_add(&p->child);
    running++;
    return p;
}
