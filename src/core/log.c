#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define ACCESS_BUF_SIZE (64 * 1024)

struct log_file {
    char path[4096]; /* "" when off, "-" for the standard stream */
    int fd;
    int std_fd;
};

static struct log_file error_log = {"-", 2, 2};
static struct log_file access_log = {"", -1, 1};
static enum log_lvl min_lvl = LOGL_INFO;
static char access_buf[ACCESS_BUF_SIZE];
static size_t access_len;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static int open_file(struct log_file *f)
{
    if (f->path[0] == '\0') {
        f->fd = -1;
        return 0;
    }
    if (strcmp(f->path, "-") == 0) {
        f->fd = f->std_fd;
        return 0;
    }
    int fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    f->fd = fd;
    return 0;
}

static void close_file(struct log_file *f)
{
    if (f->fd > 2)
        close(f->fd);
    f->fd = -1;
}

static int set_path(struct log_file *f, const char *path)
{
    close_file(f);
    if (!path)
        f->path[0] = '\0';
    else if (strlen(path) >= sizeof(f->path))
        return errno = ENAMETOOLONG, -1;
    else
        strcpy(f->path, path);
    return open_file(f);
}

int log_open_error(const char *path, enum log_lvl min_level)
{
    min_lvl = min_level;
    return set_path(&error_log, path);
}

int log_open_access(const char *path)
{
    log_access_flush();
    return set_path(&access_log, path);
}

void log_reopen(void)
{
    log_access_flush();
    close_file(&error_log);
    close_file(&access_log);
    if (open_file(&error_log) < 0)
        error_log.fd = 2;
    open_file(&access_log);
}

void log_close(void)
{
    log_access_flush();
    close_file(&access_log);
    close_file(&error_log);
}

int log_enabled(enum log_lvl lvl)
{
    return error_log.fd >= 0 && lvl >= min_lvl;
}

static void write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* nowhere left to report it */
        p += n;
        len -= (size_t)n;
    }
}

void log_error(enum log_lvl lvl, const char *fmt, ...)
{
    if (!log_enabled(lvl))
        return;
    char line[2048];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    int n = (int)strftime(line, sizeof(line), "%Y/%m/%d %H:%M:%S", &tm);
    n += snprintf(line + n, sizeof(line) - (size_t)n, " [%s] %d#0: ", level_names[lvl],
                  (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += m;
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    write_all(error_log.fd, line, (size_t)n);
}

int log_error_on_stderr(void)
{
    return error_log.fd == 2;
}

int log_access_enabled(void)
{
    return access_log.fd >= 0;
}

void log_access_line(const char *line, size_t len)
{
    if (access_log.fd < 0)
        return;
    if (access_len + len + 1 > sizeof(access_buf))
        log_access_flush();
    if (len + 1 > sizeof(access_buf))
        len = sizeof(access_buf) - 1;
    memcpy(access_buf + access_len, line, len);
    access_len += len;
    access_buf[access_len++] = '\n';
}

void log_access_flush(void)
{
    if (access_len && access_log.fd >= 0)
        write_all(access_log.fd, access_buf, access_len);
    access_len = 0;
}
