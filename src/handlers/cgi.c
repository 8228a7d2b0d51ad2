/* cgi: runs a CGI/1.1 script (RFC 3875) for a path whose segment ends in
 * one of the location's extensions; the rest of the path is PATH_INFO.
 *
 * Nothing here waits: the script's stdin and stdout are non-blocking pipes
 * in the worker's loop, a Content-Length body is streamed into stdin with
 * back-pressure (a chunked one is spooled to a temporary file first, so
 * the script sees CONTENT_LENGTH), stdout is parsed for the header block
 * and then streamed to the client piece by piece, and the child is reaped
 * on SIGCHLD. timeouts.cgi bounds the wait for the headers (504) and every
 * gap in the output after them. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "handlers/cgi_env.h"
#include "handlers/cgi_proc.h"
#include "handlers/cgi_script.h"
#include "handlers/cgi_stderr.h"
#include "server/fs.h"
#include "handlers/handlers.h"
#include "server/request.h"
#include "http/cgi_parse.h"

#define CGI_BUF (64 * 1024)
#define CGI_MAX_HEAD (16 * 1024)
/* How long children a script left behind may hold its stdout after it exited. */
#define CGI_ORPHAN_GRACE_MS 1000
/* Scripts running at once per worker; beyond: 503 with Retry-After. */
#define CGI_MAX_RUNNING 64

struct cgi;

struct cgi_pipe {
    struct io_watcher io; /* first: the loop hands back this pointer */
    struct cgi *cgi;
};

struct cgi {
    struct request *r;       /* NULL once released */
    struct loop *loop;
    bool dead;               /* released: memory freed after this batch */
    bool busy, again;        /* inside progress(); more to do when it returns */
    struct cgi_proc *proc;
    struct cgi_pipe in, out; /* fd -1 once closed */
    struct cgi_stderr err;   /* its stderr, logged line by line */
    struct timer timer;
    int spool_fd;            /* a chunked body, before the script runs */
    struct cgi_script script;
    bool body_done;          /* the request body is all in stdin (or the spool) */
    bool paused;             /* stdin was full: the body waits for in_ready */
    bool headers_done, started, eof, writing;
    int64_t left;            /* body bytes the script announced, -1 if it did not */
    size_t len, head_len;    /* bytes in buf; bytes of it that were the header block */
    struct cgi_response resp;
    char buf[CGI_BUF];
};

static struct loop *loop_of(struct cgi *g)
{
    return g->loop;
}

static void close_pipe(struct cgi *g, struct cgi_pipe *p)
{
    if (p->io.fd < 0)
        return;
    loop_del(loop_of(g), &p->io);
    close(p->io.fd);
    p->io.fd = -1;
}

/* Releases everything but the request; the process is killed if alive.
 * The memory itself goes after the current batch of events: a pipe event
 * of this batch, or a caller up the stack, may still look at g (and sees
 * g->dead). */
static void cgi_free(struct cgi *g)
{
    if (g->dead)
        return;
    close_pipe(g, &g->in);
    close_pipe(g, &g->out);
    cgi_stderr_close(&g->err);
    loop_timer_cancel(loop_of(g), &g->timer);
    if (g->spool_fd >= 0)
        close(g->spool_fd);
    g->spool_fd = -1;
    cgi_proc_release(g->proc);
    g->proc = NULL;
    if (g->r)
        g->r->handler_data = NULL;
    g->r = NULL;
    g->dead = true;
    loop_defer_free(g->loop, g);
}

static void cgi_on_abort(struct request *r)
{
    if (r->handler_data)
        cgi_free(r->handler_data);
}

/* Ends the request with an error status (once the head is out, by
 * closing the connection). */
static void fail(struct cgi *g, int status)
{
    request_fail(g->r, status);
}

static void arm_timer(struct cgi *g)
{
    loop_timer_in(loop_of(g), &g->timer, g->r->loc->timeouts.cgi_ms);
}

static void on_timeout(struct timer *t)
{
    struct cgi *g = (struct cgi *)((char *)t - offsetof(struct cgi, timer));
    if (g->dead)
        return;
    log_warn("cgi %s: no response within the timeout", g->script.filename);
    request_counters(g->r)->cgi_timeouts++;
    fail(g, 504);
}

/* ---- the response ---- */

static void send_piece(struct cgi *g);

/* Turns the parsed header block into the response head. Returns 0, or 1
 * when the request went elsewhere (local redirect). */
static int start_response(struct cgi *g)
{
    struct request *r = g->r;
    struct cgi_response *cr = &g->resp;
    /* A local redirect (RFC 3875 6.2.2): a path in Location and no
     * Status; any body the script wrote is ignored. */
    if (cr->location.len && cr->location.p[0] == '/' && !cr->status) {
        char target[1024];
        size_t n = cr->location.len < sizeof(target) ? cr->location.len : sizeof(target) - 1;
        memcpy(target, cr->location.p, n);
        cgi_free(g);
        request_internal_redirect(r, target, n);
        return 1;
    }
    int status = cr->status ? cr->status : cr->location.len ? 302 : 200;
    response_set_status(r, status);
    int rc = 0;
    for (size_t i = 0; i < cr->num_headers; i++)
        rc |= response_add_header_pair(r, cr->headers[i].name.p, cr->headers[i].name.len,
                                       cr->headers[i].value.p, cr->headers[i].value.len);
    if (cr->location.len)
        rc |= response_add_header(r, "Location: %.*s", (int)cr->location.len, cr->location.p);
    if (cr->content_type.len)
        rc |= response_add_header(r, "Content-Type: %.*s", (int)cr->content_type.len,
                                  cr->content_type.p);
    if (rc < 0) { /* never a response with some of its headers missing */
        log_err("cgi %s: response headers over %d bytes", g->script.filename, REQUEST_EXTRA_BUF);
        fail(g, 502);
        return 1;
    }
    response_set_length(r, cr->content_length);
    g->left = cr->content_length;
    g->started = true;
    /* Output already read, or its end: send_piece writes at once, and the
     * head goes with it. */
    response_stream_begin(r, g->len > g->head_len || g->eof || g->left == 0);
    return 0;
}

/* Sends what the buffer holds after the headers, or ends the body. */
static void send_piece(struct cgi *g)
{
    char *data = g->buf + g->head_len;
    size_t n = g->len - g->head_len;
    if (g->left >= 0 && (int64_t)n > g->left)
        n = (size_t)g->left; /* more than the script announced: cut */
    if (g->left >= 0)
        g->left -= (int64_t)n;
    bool last = g->eof || g->left == 0;
    if (last && g->left > 0)
        response_close_after(g->r); /* fewer than announced: the client must see the cut */
    if (n == 0 && !last)
        return;
    /* A slow client is the send timeout's business, not the script's. */
    loop_timer_cancel(loop_of(g), &g->timer);
    g->writing = true;
    response_stream_write(g->r, data, n, last);
}

/* Reads what stdout has, until the pipe is empty, at its end, or the
 * buffer is full (the pipe is edge-triggered: an end that came with the
 * last bytes sends no second event). Returns the bytes read, 0 when none,
 * -1 on EOF or error (g->eof set). */
static ssize_t read_out(struct cgi *g)
{
    ssize_t total = 0;
    while (g->out.io.fd >= 0 && g->len < sizeof(g->buf)) {
        ssize_t n = read(g->out.io.fd, g->buf + g->len, sizeof(g->buf) - g->len);
        if (n > 0) {
            g->len += (size_t)n;
            total += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        g->eof = true;
        close_pipe(g, &g->out);
        return total ? total : -1;
    }
    return total;
}

static void parse_head(struct cgi *g)
{
    long n = cgi_parse_headers(g->buf, g->len, CGI_MAX_HEAD, &g->resp);
    if (n == CGI_PARSE_INCOMPLETE && !g->eof && g->len < CGI_MAX_HEAD)
        return;
    if (n < 0) {
        log_err("cgi %s: %s", g->script.filename,
                g->eof && g->len == 0 ? "exited without a response" : "bad header block");
        fail(g, 502);
        return;
    }
    g->head_len = (size_t)n;
    g->headers_done = true;
}

/* One step as far as the data allows: headers, then a body piece. */
static void step(struct cgi *g)
{
    if (g->writing)
        return; /* the queued piece points into buf */
    if (g->started && g->head_len == g->len) {
        g->head_len = g->len = 0; /* all sent: reuse the buffer */
    }
    ssize_t got = read_out(g);
    if (got > 0 && g->started)
        arm_timer(g); /* a gap timer once the headers are out */
    if (!g->headers_done) {
        parse_head(g);
        if (g->dead || !g->headers_done)
            return;
    }
    /* Answer only once the request body is all taken (the connection
     * cannot read and write the same exchange at once). */
    if (!g->started && (!g->body_done || start_response(g)))
        return;
    if (g->dead)
        return; /* writing the head found the client gone */
    send_piece(g);
}

/* Moves on as far as the data allows. A piece written at once calls back
 * (the handler's on_drained, cgi_on_drained) from inside step(): that only
 * asks for another round here, instead of nesting ever deeper. */
static void progress(struct cgi *g)
{
    if (g->dead)
        return;
    if (g->busy) {
        g->again = true;
        return;
    }
    g->busy = true;
    do {
        g->again = false;
        step(g);
    } while (!g->dead && g->again);
    g->busy = false;
}

static void cgi_on_drained(struct request *r)
{
    struct cgi *g = r->handler_data;
    if (!g)
        return;
    if (g->writing) {
        g->writing = false;
        g->head_len = g->len; /* every byte queued went out */
    }
    arm_timer(g); /* the gap allowed until the script's next bytes */
    progress(g);
}

static void out_ready(struct io_watcher *io, uint32_t events)
{
    progress(((struct cgi_pipe *)io)->cgi);
}

static void in_ready(struct io_watcher *io, uint32_t events)
{
    struct cgi *g = ((struct cgi_pipe *)io)->cgi;
    if (!g->dead && !g->body_done && g->paused) {
        g->paused = false;
        loop_timer_cancel(loop_of(g), &g->timer); /* the client's pace again */
        request_body_resume(g->r);
    }
}

/* ---- the request body ---- */

static long sink_write(struct request *r, const char *data, size_t len)
{
    struct cgi *g = r->handler_data;
    if (g->spool_fd >= 0) {
        ssize_t n = write(g->spool_fd, data, len);
        return n == (ssize_t)len ? (long)len : -500;
    }
    if (g->in.io.fd < 0)
        return (long)len; /* the script closed stdin: drop the rest */
    ssize_t n = write(g->in.io.fd, data, len);
    /* Taking fewer pauses the body until stdin is writable again. While
     * the client owes body bytes, timeouts.body is the client's; only a
     * script that stops reading them is the script's (timeouts.cgi). */
    g->paused = n < (ssize_t)len;
    if (g->paused)
        arm_timer(g);
    else
        loop_timer_cancel(loop_of(g), &g->timer);
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return 0;
    g->paused = false;
    close_pipe(g, &g->in); /* EPIPE: it does not want more */
    return (long)len;
}

static int spawn(struct cgi *g, int stdin_fd, int64_t content_length);

static void sink_finish(struct request *r)
{
    struct cgi *g = r->handler_data;
    g->body_done = true;
    if (g->spool_fd >= 0) {
        int fd = g->spool_fd;
        g->spool_fd = -1;
        off_t size = lseek(fd, 0, SEEK_CUR);
        lseek(fd, 0, SEEK_SET);
        int rc = spawn(g, fd, size);
        close(fd);
        if (rc < 0) {
            fail(g, 500);
            return;
        }
    }
    close_pipe(g, &g->in); /* EOF for the script */
    arm_timer(g); /* from the end of the body, the script owes its head */
    progress(g);
}

static const struct body_sink cgi_sink = {sink_write, sink_finish};

/* ---- starting the script ---- */

static void on_proc_exit(struct cgi_proc *p, void *data)
{
    /* stdout's EOF, not the exit, ends the output: a script's child may
     * still write for a moment. One that holds stdout open longer must not
     * hold the response: its group is killed, and the EOF follows. */
    struct cgi *g = data;
    if (!g->eof)
        cgi_proc_kill_group_in(p, CGI_ORPHAN_GRACE_MS);
}

/* A pipe end just made has no other status flag: no F_GETFL first. */
static int nonblock(int fd)
{
    return fcntl(fd, F_SETFL, O_NONBLOCK);
}

static int spawn(struct cgi *g, int stdin_fd, int64_t content_length)
{
    struct request *r = g->r;
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err = -1;
    char **envp = NULL;
    int rc = -1;
    if (stdin_fd < 0 && pipe2(in, O_CLOEXEC) < 0)
        goto done;
    if (pipe2(out, O_CLOEXEC) < 0 || nonblock(out[0]) < 0 || (in[1] >= 0 && nonblock(in[1]) < 0))
        goto done;
    envp = cgi_script_env(&g->script, r, content_length);
    if (!envp || (err = cgi_stderr_open(&g->err, loop_of(g), g->script.filename)) < 0)
        goto done;
    struct cgi_spawn s = {
        .path = g->script.argv[0], .argv = g->script.argv, .envp = envp,
        .dir = g->script.dir, .stdin_fd = stdin_fd >= 0 ? stdin_fd : in[0],
        .stdout_fd = out[1], .stderr_fd = err,
    };
    g->proc = cgi_proc_spawn(loop_of(g), &s);
    if (!g->proc) {
        log_err("cgi %s: cannot start: %s", g->script.filename, strerror(errno));
        goto done;
    }
    g->proc->on_exit = on_proc_exit;
    g->proc->data = g;
    g->out.io.fd = out[0];
    out[0] = -1;
    loop_add(loop_of(g), &g->out.io, EPOLLIN | EPOLLET);
    if (in[1] >= 0) {
        g->in.io.fd = in[1];
        in[1] = -1;
        loop_add(loop_of(g), &g->in.io, EPOLLOUT | EPOLLET);
    }
    rc = 0;
done:
    free(envp);
    if (err >= 0)
        close(err);
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
    }
    return rc;
}

static struct cgi *cgi_new(struct request *r)
{
    struct cgi *g = malloc(sizeof(*g));
    if (!g)
        return NULL;
    memset(g, 0, offsetof(struct cgi, buf));
    g->r = r;
    g->loop = request_loop(r);
    g->in.io.fd = g->out.io.fd = g->err.io.fd = -1;
    g->in.io.cb = in_ready;
    g->out.io.cb = out_ready;
    g->in.cgi = g->out.cgi = g;
    g->timer.cb = on_timeout;
    g->spool_fd = -1;
    g->left = -1;
    return g;
}

static enum handler_result cgi_on_request(struct request *r)
{
    size_t end = cgi_script_match(r);
    if (end == 0)
        return HANDLER_DECLINED;
    if (cgi_proc_running() >= CGI_MAX_RUNNING) {
        response_add_header(r, "Retry-After: 1");
        return request_error(r, 503);
    }
    struct cgi *g = cgi_new(r);
    if (!g)
        return request_error(r, 500);
    int status = cgi_script_resolve(r, end, &g->script);
    if (status != 200) {
        free(g);
        return request_error(r, status);
    }
    r->handler_data = g;
    int rc;
    if (r->head.chunked) {
        /* The script must see CONTENT_LENGTH: spool the body first. */
        g->spool_fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        rc = g->spool_fd < 0 ? -1 : 0;
    } else {
        int64_t cl = r->head.content_length;
        int devnull = r->has_body ? -1 : cgi_proc_devnull();
        rc = !r->has_body && devnull < 0 ? -1
                                         : spawn(g, devnull, r->has_body ? cl : (cl >= 0 ? 0 : -1));
    }
    if (rc < 0) {
        cgi_free(g);
        return request_error(r, 500);
    }
    return request_read_body(r, &cgi_sink);
}

static const char *const cgi_keys[] = {"cgi", NULL};

/* A worker starts: its scripts are counted on its /status slot. */
static int cgi_start(const struct config *cfg, struct loop *loop, struct worker_stats *stats)
{
    cgi_proc_count_into(stats);
    return 0;
}

static void cgi_destroy(void)
{
    cgi_proc_sweep();
}

const struct handler handler_cgi = {
    .desc = {.name = "cgi", .keys = cgi_keys, .order = 4,
             .warn_methods = HTTP_METHOD_BIT(HTTP_GET) | HTTP_METHOD_BIT(HTTP_POST),
             .parse = cgi_config_parse, .dump = cgi_config_dump},
    .on_request = cgi_on_request,
    .on_drained = cgi_on_drained,
    .on_abort = cgi_on_abort,
    .start = cgi_start,
    .destroy = cgi_destroy,
};
