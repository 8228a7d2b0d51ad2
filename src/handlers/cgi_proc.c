#include "handlers/cgi_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Between SIGTERM and SIGKILL. */
#define KILL_GRACE_MS 1000

/* Where the processes are counted: the worker's /status slot once the
 * handler started (cgi_started, cgi_running), else a slot of our own. */
static struct worker_stats own_counters;
static struct worker_stats *counters = &own_counters;
/* Every process group this worker started and has not yet killed for
 * good: what the sweep at worker exit reaches. */
static struct cgi_proc *groups;

void cgi_proc_count_into(struct worker_stats *stats)
{
    if (stats)
        counters = stats;
}

unsigned cgi_proc_running(void)
{
    return counters->cgi_running;
}

static void unlink_group(struct cgi_proc *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else if (groups == p)
        groups = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->prev = p->next = NULL;
}

static void proc_free(struct cgi_proc *p)
{
    loop_timer_cancel(p->loop, &p->kill_timer);
    unlink_group(p);
    free(p);
}

static void on_child_exit(struct child_watch *w, int status)
{
    struct cgi_proc *p = (struct cgi_proc *)w;
    p->exited = true;
    p->wait_status = status;
    counters->cgi_running--;
    /* Released and its group killed for good: nothing is left to wait for. */
    if (p->detached && p->killed) {
        proc_free(p);
        return;
    }
    if (!p->detached && p->on_exit)
        p->on_exit(p, p->data);
}

/* The grace is over: SIGKILL the whole group, whether or not the script
 * itself is still there (its children may be). */
static void kill_hard(struct timer *t)
{
    struct cgi_proc *p = (struct cgi_proc *)((char *)t - offsetof(struct cgi_proc, kill_timer));
    kill(-p->child.pid, SIGKILL);
    p->killed = true;
    if (p->detached && p->exited)
        proc_free(p);
}

void cgi_proc_release(struct cgi_proc *p)
{
    if (!p)
        return;
    p->on_exit = NULL;
    p->detached = true;
    /* The group stays valid while any member lives, even once the script
     * has exited and was reaped: its background children go too. */
    kill(-p->child.pid, SIGTERM);
    loop_timer_in(p->loop, &p->kill_timer, KILL_GRACE_MS);
}

void cgi_proc_kill_group_in(struct cgi_proc *p, uint32_t ms)
{
    loop_timer_in(p->loop, &p->kill_timer, ms);
}

/* Opened at the first use and kept: one open and close less per script. */
static int devnull = -1;

int cgi_proc_devnull(void)
{
    if (devnull < 0)
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    return devnull;
}

void cgi_proc_sweep(void)
{
    if (devnull >= 0)
        close(devnull);
    devnull = -1;
    while (groups) {
        struct cgi_proc *p = groups;
        kill(-p->child.pid, SIGKILL);
        child_watch_remove(&p->child);
        unlink_group(p);
        free(p); /* the loop, and with it the timer, is gone already */
    }
}

/* ---- starting ---- */

/* The signals the child sets back to SIG_DFL: those the worker ignores,
 * as SIG_IGN survives execve (SIGPIPE, and whatever the server inherited
 * ignored, such as SIGINT under a shell's `&`), and any it handles (execve
 * resets those itself, but in the vfork child a handler would run on the
 * parent's memory). Read once, at the first spawn, rather than resetting
 * all 64 in every child: the server settles its dispositions before it
 * serves and changes none afterwards (it takes signals via signalfd). */
static struct {
    bool known;
    int n;
    unsigned char sig[NSIG];
} reset;

/* The kernel's struct sigaction: glibc's sigaction() refuses the two
 * signals it keeps for itself (32, 33), which a server started by make
 * inherits ignored, so they are read and reset with the system call. */
struct kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

static int raw_sigaction(int sig, const struct kernel_sigaction *act, struct kernel_sigaction *old)
{
    return (int)syscall(SYS_rt_sigaction, sig, act, old, sizeof(unsigned long));
}

static void find_signals_to_reset(void)
{
    for (int sig = 1; sig < NSIG; sig++) {
        struct kernel_sigaction old;
        if (sig != SIGKILL && sig != SIGSTOP && raw_sigaction(sig, NULL, &old) == 0 &&
            old.handler != SIG_DFL)
            reset.sig[reset.n++] = (unsigned char)sig;
    }
    reset.known = true;
}

/* In the child, between vfork and exec: only system calls, nothing that
 * writes the parent's memory (reset is only read). Returns only on failure. */
static void child_exec(const struct cgi_spawn *s, pid_t parent)
{
    /* Its own process group, so that a timeout kills its children too;
     * and it dies with its worker, even one killed with SIGKILL. */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127); /* the worker died before the line above */
    /* Every signal at its default (the ones that are not: see reset) and
     * none blocked: the worker's SIG_IGN for SIGPIPE must not leak into
     * scripts. */
    static const struct kernel_sigaction dfl = {.handler = SIG_DFL};
    for (int i = 0; i < reset.n; i++)
        raw_sigaction(reset.sig[i], &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(s->stdin_fd, 0) < 0 || dup2(s->stdout_fd, 1) < 0 || dup2(s->stderr_fd, 2) < 0 ||
        chdir(s->dir) < 0)
        _exit(127);
    /* Our own fds are close-on-exec; this also drops any the server
     * inherited without it from whatever started it. */
    syscall(SYS_close_range, 3, ~0U, 0);
    execve(s->path, s->argv, s->envp);
    _exit(127);
}

/* vfork: the parent waits until the child has exec'd (or failed), and
 * nothing is copied; the child only makes system calls. Kept apart so that
 * no caller's variable lives across the shared stack. */
__attribute__((noinline)) static pid_t start(const struct cgi_spawn *s, pid_t parent)
{
    pid_t pid = vfork();
    if (pid == 0)
        child_exec(s, parent);
    return pid;
}

struct cgi_proc *cgi_proc_spawn(struct loop *loop, const struct cgi_spawn *s)
{
    struct cgi_spawn fds = *s;
    if (fds.stderr_fd < 0 && (fds.stderr_fd = cgi_proc_devnull()) < 0)
        return NULL;
    struct cgi_proc *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    if (!reset.known)
        find_signals_to_reset();
    pid_t pid = start(&fds, getpid());
    if (pid < 0) {
        int e = errno;
        free(p);
        errno = e;
        return NULL;
    }
    p->loop = loop;
    p->child.pid = pid;
    p->child.on_exit = on_child_exit;
    p->kill_timer.cb = kill_hard;
    p->next = groups;
    if (groups)
        groups->prev = p;
    groups = p;
    child_watch_add(&p->child);
    counters->cgi_started++;
    counters->cgi_running++;
    return p;
}
