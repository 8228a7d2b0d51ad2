#include "handlers/cgi_stderr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/log.h"

/* Logs line[0..len) with control bytes as \xHH, so that one stderr line
 * stays one log line whatever the script wrote. */
static void log_line(const struct cgi_stderr *e, const char *line, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char out[CGI_STDERR_LINE * 4 + 1];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c == 0x7f) {
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    log_warn("cgi %s: %s", e->script, out);
}

/* Splits what arrived into lines; a line that fills the buffer goes out
 * as a piece of its own. */
static void take(struct cgi_stderr *e, const char *p, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) : n;
        size_t room = sizeof(e->line) - e->len;
        size_t copy = seg < room ? seg : room;
        memcpy(e->line + e->len, p, copy);
        e->len += copy;
        p += copy;
        n -= copy;
        bool ended = copy == seg && nl;
        if (ended) {
            p++; /* the newline */
            n--;
        }
        if (ended || e->len == sizeof(e->line)) {
            size_t len = e->len;
            if (len && e->line[len - 1] == '\r')
                len--;
            log_line(e, e->line, len);
            e->len = 0;
        }
    }
}

/* Reads what the pipe holds. Returns false at its end. */
static bool drain(struct cgi_stderr *e)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(e->io.fd, buf, sizeof(buf));
        if (n > 0) {
            take(e, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
}

/* Logs an unfinished last line and closes the pipe; `drained`: its end
 * was read already (no read more to find it). */
static void finish(struct cgi_stderr *e, bool drained)
{
    if (e->io.fd < 0)
        return;
    if (!drained)
        drain(e);
    if (e->len) {
        log_line(e, e->line, e->len);
        e->len = 0;
    }
    loop_del(e->loop, &e->io);
    close(e->io.fd);
    e->io.fd = -1;
}

static void stderr_ready(struct io_watcher *io, uint32_t events)
{
    struct cgi_stderr *e = (struct cgi_stderr *)io;
    if (!drain(e))
        finish(e, true);
}

int cgi_stderr_open(struct cgi_stderr *e, struct loop *loop, const char *script)
{
    int p[2];
    e->io.fd = -1;
    e->io.cb = stderr_ready;
    e->loop = loop;
    e->script = script;
    e->len = 0;
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    e->io.fd = p[0];
    if (loop_add(loop, &e->io, EPOLLIN | EPOLLET) < 0) {
        cgi_stderr_close(e);
        close(p[1]);
        return -1;
    }
    return p[1];
}

void cgi_stderr_close(struct cgi_stderr *e)
{
    finish(e, false);
}
