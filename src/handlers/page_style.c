#include "handlers/page_style.h"

#include "http/escape.h"

/* The stylesheet, inline: a page of a listing must not depend on a file
 * the site may not have. class s: a number column; class d: a date. */
static const char style[] =
    ":root{color-scheme:light dark;--bg:#f7f5f0;--surface:#fff;--text:#1f2328;"
    "--muted:#5b6370;--accent:#b4532a;--border:#e3ded4}"
    "@media (prefers-color-scheme:dark){:root{--bg:#15171b;--surface:#1d2026;"
    "--text:#e6e4df;--muted:#a2a9b4;--accent:#e08a5c;--border:#2d3139}}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:16px/1.6 system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "\"Helvetica Neue\",Arial,sans-serif;color:var(--text);background:var(--bg)}"
    "main{max-width:60rem;margin:0 auto;padding:2rem 1.25rem}"
    "h1{font-size:1.75rem;line-height:1.2;margin:0 0 1rem;overflow-wrap:anywhere}"
    "a{color:var(--accent)}a:hover{text-decoration-thickness:2px}"
    "table,ul.files{width:100%;background:var(--surface);border:1px solid var(--border);"
    "border-radius:10px}"
    "table{border-spacing:0;overflow:hidden}"
    "th,td{padding:.5rem .8rem;text-align:left;border-bottom:1px solid var(--border)}"
    "th{color:var(--muted);font-weight:600;font-size:.9rem}"
    "tbody tr:last-child td{border-bottom:0}"
    "td:first-child{overflow-wrap:anywhere}"
    ".s{text-align:right;white-space:nowrap}.d{white-space:nowrap;color:var(--muted)}"
    "ul.files{padding:.75rem 1rem .75rem 2.25rem}"
    "footer{margin-top:2rem;padding-top:1rem;border-top:1px solid var(--border);"
    "color:var(--muted);font-size:.9rem}";

void page_open(struct strbuf *b, const char *label, const char *name, size_t len)
{
    strbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<title>");
    strbuf_puts(b, label);
    escape_html(b, name ? name : "", len);
    strbuf_puts(b, "</title>\n<style>");
    strbuf_puts(b, style);
    strbuf_puts(b, "</style>\n</head>\n<body>\n<main>\n<h1>");
    strbuf_puts(b, label);
    escape_html(b, name ? name : "", len);
    strbuf_puts(b, "</h1>\n");
}

void page_close(struct strbuf *b)
{
    strbuf_puts(b, "<footer>portico</footer>\n</main>\n</body>\n</html>\n");
}
