/* The body of an error or redirect response: the location's (or server's)
 * error_pages entry for the status, else one built-in page, made by one
 * builder for errors and redirects alike. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "http/escape.h"
#include "http/http_status.h"
#include "lib/strbuf.h"
#include "server/exchange.h"
#include "server/fs.h"

#define HTML_TYPE "text/html"

char *error_page_builtin(int status, const char *target, size_t *len)
{
    const char *reason = http_status_reason(status);
    struct strbuf b = STRBUF_INIT;
    strbuf_printf(&b,
                  "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                  "<title>%d %s</title></head>\n<body><h1>%d %s</h1>\n",
                  status, reason, status, reason);
    if (target) {
        size_t tlen = strlen(target);
        strbuf_puts(&b, "<p>The document is at <a href=\"");
        escape_html(&b, target, tlen);
        strbuf_puts(&b, "\">");
        escape_html(&b, target, tlen);
        strbuf_puts(&b, "</a>.</p>\n");
    }
    strbuf_puts(&b, "<hr><p>portico</p></body></html>\n");
    return strbuf_take(&b, len);
}

/* The built-in page of a status without a target, made once per worker. */
static const char *builtin_cached(int status, size_t *len)
{
    static char *pages[600];
    static size_t lens[600];
    static const char fallback[] = "<!DOCTYPE html>\n<html><body><h1>Error</h1></body></html>\n";
    if (status < 100 || status >= 600)
        status = 500;
    if (!pages[status] && !(pages[status] = error_page_builtin(status, NULL, &lens[status]))) {
        *len = sizeof(fallback) - 1;
        return fallback;
    }
    *len = lens[status];
    return pages[status];
}

static const struct cfg_error_page *error_page_find(const struct request *r, int status)
{
    const struct cfg_error_page *pages;
    size_t n;
    if (r->loc) {
        pages = r->loc->error_pages;
        n = r->loc->n_error_pages;
    } else if (r->server) {
        pages = r->server->error_pages;
        n = r->server->n_error_pages;
    } else {
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (pages[i].status == status)
            return &pages[i];
    return NULL;
}

/* The configured page as the body, with the original status. */
static bool configured_page(struct request *r, const struct cfg_error_page *page)
{
    /* The same containment rules as a request: a page swapped for a link
     * out of the root since the start is not served. */
    int fd = fs_open_beneath(page->root, page->uri + 1, O_RDONLY | O_NONBLOCK);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        response_set_file(r, r->res.status, fd, 0, st.st_size, HTML_TYPE);
        return true;
    }
    if (fd >= 0)
        close(fd);
    log_err("error page %s for %d: %s", page->path, r->res.status,
            errno == EXDEV ? "it leads outside its root" : strerror(errno));
    return false;
}

void error_page_body(struct request *r)
{
    int status = r->res.status;
    const struct cfg_error_page *page = error_page_find(r, status);
    if (page && configured_page(r, page))
        return;
    size_t len;
    const char *builtin = builtin_cached(status, &len);
    response_set_body(r, status, builtin, len, HTML_TYPE);
}

enum handler_result response_redirect(struct request *r, int status, const char *target)
{
    /* The header block is bounded: a target that does not fit is the
     * request's fault (a long path or query). */
    if (response_add_header(r, "Location: %s", target) < 0)
        return request_error(r, 414);
    r->res.status = status;
    if (error_page_find(r, status))
        return HANDLER_DONE; /* response_send sends the configured page */
    size_t len;
    char *page = error_page_builtin(status, target, &len);
    if (page)
        response_adopt_body(r, status, page, len, HTML_TYPE);
    return HANDLER_DONE;
}
