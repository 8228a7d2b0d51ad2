#include "handlers/autoindex_render.h"

#include <string.h>

#include "handlers/page_style.h"
#include "http/escape.h"
#include "http/http_date.h"

static void put_date(struct strbuf *b, time_t t)
{
    char date[HTTP_DATE_LEN + 1];
    http_date_format(t, date);
    strbuf_append(b, date, HTTP_DATE_LEN);
}

void render_head(struct strbuf *b, bool json, const char *path, size_t path_len)
{
    if (json) {
        strbuf_puts(b, "[");
        return;
    }
    page_open(b, "Index of ", path, path_len);
    strbuf_puts(b, "<table>\n<thead><tr><th>Name</th><th class=\"s\">Size</th>"
                   "<th>Last modified</th></tr></thead>\n<tbody>\n");
    if (!(path_len == 1 && path[0] == '/'))
        strbuf_puts(b, "<tr><td><a href=\"../\">../</a></td><td class=\"s\">-</td><td></td></tr>\n");
}

static void entry_json(struct strbuf *b, const struct entry *e, bool first)
{
    strbuf_puts(b, first ? "{\"name\":\"" : ",\n{\"name\":\"");
    escape_json(b, e->name, strlen(e->name));
    strbuf_puts(b, e->type == ENTRY_DIR    ? "\",\"type\":\"directory\""
                   : e->type == ENTRY_FILE ? "\",\"type\":\"file\""
                                           : "\",\"type\":\"other\"");
    strbuf_puts(b, ",\"mtime\":\"");
    put_date(b, e->mtime);
    strbuf_puts(b, "\"");
    if (e->type == ENTRY_FILE)
        strbuf_printf(b, ",\"size\":%llu", (unsigned long long)e->size);
    strbuf_puts(b, "}");
}

static void entry_html(struct strbuf *b, const struct entry *e)
{
    size_t n = strlen(e->name);
    const char *slash = e->type == ENTRY_DIR ? "/" : "";
    /* Percent-encoding leaves no byte HTML would escape, so the link goes
     * into the attribute as it is. */
    strbuf_puts(b, "<tr><td><a href=\"");
    escape_url_path(b, e->name, n);
    strbuf_puts(b, slash);
    strbuf_puts(b, "\">");
    escape_html(b, e->name, n);
    strbuf_puts(b, slash);
    strbuf_puts(b, "</a></td><td class=\"s\">");
    if (e->type == ENTRY_FILE)
        strbuf_printf(b, "%llu", (unsigned long long)e->size);
    else
        strbuf_puts(b, "-");
    strbuf_puts(b, "</td><td class=\"d\">");
    put_date(b, e->mtime);
    strbuf_puts(b, "</td></tr>\n");
}

void render_entry(struct strbuf *b, bool json, const struct entry *e, bool first)
{
    if (json)
        entry_json(b, e, first);
    else
        entry_html(b, e);
}

void render_tail(struct strbuf *b, bool json, bool sorted)
{
    if (json) {
        strbuf_puts(b, "]\n");
        return;
    }
    strbuf_puts(b, "</tbody>\n</table>\n");
    if (!sorted)
        strbuf_puts(b, "<p>A large folder: listed in the order the file system keeps.</p>\n");
    page_close(b);
}
