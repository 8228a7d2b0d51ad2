/* Error log (levelled, one line per event) and access log (buffered).
 *
 * Error log lines look like nginx's:
 *   2026/11/25 20:00:00 [error] 1234#0: message
 * The access log is appended to a per-process buffer and written out when
 * it fills, once a second, and at exit, so a request never costs a write. */
#ifndef PORTICO_LOG_H
#define PORTICO_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_lvl { LOGL_DEBUG, LOGL_INFO, LOGL_WARN, LOGL_ERROR };

/* path: "-" for stderr (error log) / stdout (access log), a file path, or
 * NULL for off. Returns 0, or -1 with errno when a file cannot be opened. */
int log_open_error(const char *path, enum log_lvl min_level);
int log_open_access(const char *path);
/* Re-opens both files (SIGUSR1, logrotate). */
void log_reopen(void);
void log_close(void);

void log_error(enum log_lvl lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int log_enabled(enum log_lvl lvl);

#define log_debug(...) do { if (log_enabled(LOGL_DEBUG)) log_error(LOGL_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...) log_error(LOGL_INFO, __VA_ARGS__)
#define log_warn(...) log_error(LOGL_WARN, __VA_ARGS__)
#define log_err(...) log_error(LOGL_ERROR, __VA_ARGS__)

/* True when error log lines go to stderr (error_log "-"): a message for
 * the terminal need not be printed again beside them. */
int log_error_on_stderr(void);

/* True when an access log is open. */
int log_access_enabled(void);
/* Appends one line (without its newline) to the access buffer. */
void log_access_line(const char *line, size_t len);
/* Writes out the buffered access lines. */
void log_access_flush(void);

#endif
