/* The access log line of a finished request, in exactly nginx's combined
 * format:
 *   $remote_addr - $remote_user [$time_local] "$request" $status
 *   $body_bytes_sent "$http_referer" "$http_user_agent"
 * or, with access_log {format: json}, one JSON object (CONFIG.md, "Logs"):
 *   {"time":"2026-11-25T20:00:00+00:00","remote":"127.0.0.1","host":"localhost",
 *    "method":"GET","target":"/a?b=1","proto":"HTTP/1.1","status":200,
 *    "bytes":1234,"referer":"","ua":"curl/7.88.1","ms":0.420}
 * plus "upstream" and "upstream_ms" when the proxy used a server.
 * Formatted and buffered here (no I/O); core writes the buffer out. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/loop.h"
#include "http/escape.h"
#include "lib/ascii.h"
#include "lib/sockaddr.h"
#include "lib/strbuf.h"
#include "server/exchange.h"

/* A time of day formatted once a second. */
struct time_text {
    time_t at;
    char text[40];
};

static const char *time_format(struct time_text *t, time_t now, const char *fmt)
{
    if (now != t->at || !t->text[0]) {
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(t->text, sizeof(t->text), fmt, &tm);
        t->at = now;
    }
    return t->text;
}

/* "$time_local": 25/Nov/2026:20:00:00 +0000. */
static const char *time_local(time_t now)
{
    static struct time_text t;
    return time_format(&t, now, "%d/%b/%Y:%H:%M:%S %z");
}

/* ISO 8601 with the local offset: 2026-11-25T20:00:00+00:00 (strftime's
 * %z has no colon: one goes in before the minutes). */
static const char *time_iso(time_t now)
{
    static struct time_text t;
    if (now != t.at || !t.text[0]) {
        time_format(&t, now, "%Y-%m-%dT%H:%M:%S%z");
        size_t n = strlen(t.text);
        if (n >= 5 && n + 1 < sizeof(t.text)) {
            memmove(t.text + n - 1, t.text + n - 2, 3);
            t.text[n - 2] = ':';
        }
    }
    return t.text;
}

/* Copies s as nginx does: '"', '\' and bytes outside printable ASCII as
 * \xHH, so a line can always be split on its quotes. */
static size_t put_escaped(char *out, size_t cap, struct str s)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char ch = (unsigned char)s.p[i];
        if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\') {
            if (n + 4 >= cap)
                break;
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = ascii_hex_upper(ch >> 4);
            out[n++] = ascii_hex_upper(ch);
        } else {
            if (n + 1 >= cap)
                break;
            out[n++] = (char)ch;
        }
    }
    return n;
}

static struct str header_or(const struct request *r, const char *name, size_t len,
                            struct str none)
{
    const struct http_header *h = http_find_header(&r->head, name, len);
    return h ? h->value : none;
}

static void write_combined(const struct request *r, uint64_t body_sent)
{
    const struct conn *c = r->conn;
    char line[4096];
    char addr[INET6_ADDRSTRLEN];
    struct sockaddr_storage peer;
    conn_peer_addr(c, &peer);
    sockaddr_ip_text(&peer, addr, sizeof(addr));
    size_t n = (size_t)snprintf(line, sizeof(line), "%s - - [%s] \"", addr,
                                time_local(c->set->loop->now_wall));
    if (r->head.method_str.len) {
        n += put_escaped(line + n, sizeof(line) - n - 600, r->head.method_str);
        line[n++] = ' ';
        n += put_escaped(line + n, sizeof(line) - n - 600, r->head.target);
        n += (size_t)snprintf(line + n, sizeof(line) - n, " HTTP/1.%d", r->head.minor_version);
    }
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\" %d %llu \"", r->res.status,
                          (unsigned long long)body_sent);
    n += put_escaped(line + n, sizeof(line) - n - 300,
                     header_or(r, "referer", 7, STR_LIT("-")));
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\" \"");
    n += put_escaped(line + n, sizeof(line) - n - 40,
                     header_or(r, "user-agent", 10, STR_LIT("-")));
    line[n++] = '"';
    log_access_line(line, n);
}

/* The most each string of a JSON line takes, escaped: a line stays well
 * within the access buffer (64 KiB) whatever limits.header_size allows.
 * A longer string is cut at a character boundary. */
#define JSON_TARGET_MAX 8192
#define JSON_HEADER_MAX 4096 /* referer, ua */
#define JSON_SHORT_MAX 1024  /* host, method, proto, upstream */

/* ,"key":"s" with s JSON-escaped whatever its bytes (escape_json_utf8). */
static void json_string(struct strbuf *b, const char *key, struct str s, size_t max)
{
    strbuf_printf(b, ",\"%s\":\"", key);
    escape_json_utf8(b, s.p, s.len, max);
    strbuf_append(b, "\"", 1);
}

/* ,"key":1.234: microseconds as milliseconds with three decimals. */
static void json_ms(struct strbuf *b, const char *key, uint64_t us)
{
    strbuf_printf(b, ",\"%s\":%llu.%03u", key, (unsigned long long)(us / 1000),
                  (unsigned)(us % 1000));
}

static void write_json(const struct request *r, uint64_t body_sent)
{
    static struct strbuf b; /* the worker's line, its memory kept for the next */
    const struct conn *c = r->conn;
    char addr[INET6_ADDRSTRLEN];
    struct sockaddr_storage peer;
    conn_peer_addr(c, &peer);
    sockaddr_ip_text(&peer, addr, sizeof(addr));
    strbuf_reset(&b);
    strbuf_printf(&b, "{\"time\":\"%s\"", time_iso(c->set->loop->now_wall));
    json_string(&b, "remote", str_make(addr, strlen(addr)), JSON_SHORT_MAX);
    json_string(&b, "host", header_or(r, "host", 4, STR_LIT("")), JSON_SHORT_MAX);
    json_string(&b, "method", r->head.method_str, JSON_SHORT_MAX);
    json_string(&b, "target", r->head.target, JSON_TARGET_MAX);
    json_string(&b, "proto", r->head.version, JSON_SHORT_MAX);
    strbuf_printf(&b, ",\"status\":%d,\"bytes\":%llu", r->res.status,
                  (unsigned long long)body_sent);
    json_string(&b, "referer", header_or(r, "referer", 7, STR_LIT("")), JSON_HEADER_MAX);
    json_string(&b, "ua", header_or(r, "user-agent", 10, STR_LIT("")), JSON_HEADER_MAX);
    json_ms(&b, "ms", loop_clock_us() - r->start_us);
    if (r->upstream) {
        json_string(&b, "upstream", str_make(r->upstream, strlen(r->upstream)), JSON_SHORT_MAX);
        json_ms(&b, "upstream_ms", r->upstream_us);
    }
    strbuf_append(&b, "}", 1);
    if (!b.failed)
        log_access_line(b.p, b.len);
}

void access_log_write(const struct request *r)
{
    if (!log_access_enabled())
        return;
    /* $body_bytes_sent: what went out after the head. */
    const struct conn *c = r->conn;
    uint64_t body_sent = c->bytes_sent > r->head_bytes ? c->bytes_sent - r->head_bytes : 0;
    if (r->cfg->access_log_format == CFG_LOG_JSON)
        write_json(r, body_sent);
    else
        write_combined(r, body_sent);
}
