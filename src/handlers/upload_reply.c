#include "handlers/upload_reply.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "handlers/page_style.h"
#include "http/escape.h"
#include "lib/strbuf.h"
#include "server/request.h"

/* The URL of a stored file: the request path for a single-file upload,
 * else the folder's path with the name appended. */
static void file_url(struct strbuf *b, const struct request *r, const struct upload_file *f)
{
    bool is_dir = r->head.method == HTTP_POST && r->path[r->path_len - 1] == '/';
    bool multipart = is_dir || strcmp(strrchr(r->path, '/') + 1, f->name) != 0;
    escape_url_path(b, r->path, r->path_len);
    if (multipart) {
        if (r->path[r->path_len - 1] != '/')
            strbuf_puts(b, "/");
        escape_url_path(b, f->name, strlen(f->name));
    }
}

static void json_body(struct strbuf *b, const struct request *r, const struct upload_file *files,
                      size_t n)
{
    strbuf_puts(b, "{\"files\":[");
    for (size_t i = 0; i < n; i++) {
        strbuf_puts(b, i ? ",{\"name\":\"" : "{\"name\":\"");
        escape_json(b, files[i].name, strlen(files[i].name));
        strbuf_printf(b, "\",\"size\":%llu,\"url\":\"", (unsigned long long)files[i].size);
        struct strbuf url = STRBUF_INIT;
        file_url(&url, r, &files[i]);
        escape_json(b, url.p ? url.p : "", url.len);
        strbuf_free(&url);
        strbuf_puts(b, "\"}");
    }
    strbuf_puts(b, "]}\n");
}

/* The page the upload came from, to link back to: the path (and query)
 * of a Referer on this request's own host, else NULL. *len: its length.
 * Anything else (another host, a path starting "//") is no way back. */
static const char *referer_path(const struct request *r, size_t *len)
{
    const struct http_header *h = http_find_header(&r->head, "referer", 7);
    const struct str *host = &r->head.host;
    if (!h || host->len == 0)
        return NULL;
    const char *p = h->value.p, *end = p + h->value.len;
    size_t scheme = h->value.len > 7 && strncasecmp(p, "http://", 7) == 0    ? 7
                    : h->value.len > 8 && strncasecmp(p, "https://", 8) == 0 ? 8
                                                                             : 0;
    if (!scheme || (size_t)(end - p) < scheme + host->len ||
        strncasecmp(p + scheme, host->p, host->len) != 0)
        return NULL;
    p += scheme + host->len;
    if (p == end || *p != '/' || (end - p > 1 && p[1] == '/'))
        return NULL;
    *len = (size_t)(end - p);
    return p;
}

/* Without JavaScript the browser shows this page: the stored files with
 * their sizes, and a way back to the form. */
static void html_body(struct strbuf *b, const struct request *r, const struct upload_file *files,
                      size_t n)
{
    page_open(b, "Uploaded", NULL, 0);
    strbuf_puts(b, "<ul class=\"files\">\n");
    for (size_t i = 0; i < n; i++) {
        struct strbuf url = STRBUF_INIT;
        file_url(&url, r, &files[i]);
        strbuf_puts(b, "<li><a href=\"");
        escape_html(b, url.p ? url.p : "", url.len);
        strbuf_puts(b, "\">");
        escape_html(b, files[i].name, strlen(files[i].name));
        strbuf_printf(b, "</a> (%llu byte%s)</li>\n", (unsigned long long)files[i].size,
                      files[i].size == 1 ? "" : "s");
        strbuf_free(&url);
    }
    strbuf_puts(b, "</ul>\n<p><a href=\"");
    size_t len = 0;
    const char *back = referer_path(r, &len);
    escape_html(b, back ? back : "/", back ? len : 1);
    strbuf_puts(b, "\">&larr; Back to ");
    escape_html(b, back ? back : "the home page", back ? len : 13);
    strbuf_puts(b, "</a></p>\n");
    page_close(b);
}

void upload_reply(struct request *r, int status, const struct upload_file *files, size_t n)
{
    if (n > 0) {
        struct strbuf url = STRBUF_INIT;
        file_url(&url, r, &files[0]);
        if (url.p)
            response_add_header(r, "Location: %s", url.p);
        strbuf_free(&url);
    }
    if (status == 204) {
        response_set_status(r, 204);
        return;
    }
    bool json = request_wants_json(r);
    struct strbuf b = STRBUF_INIT;
    if (json)
        json_body(&b, r, files, n);
    else
        html_body(&b, r, files, n);
    size_t len;
    char *body = strbuf_take(&b, &len);
    if (!body) {
        request_error(r, 500);
        return;
    }
    response_adopt_body(r, status, body, len, json ? "application/json" : "text/html");
}
