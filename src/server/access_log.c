/* The access log line of a finished request, in exactly nginx's combined
 * format:
 *   $remote_addr - $remote_user [$time_local] "$request" $status
 *   $body_bytes_sent "$http_referer" "$http_user_agent"
 * Formatted and buffered here (no I/O); core writes the buffer out. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "lib/ascii.h"
#include "lib/sockaddr.h"
#include "server/exchange.h"

/* "$time_local" of the current second, formatted once a second. */
static const char *time_local(time_t now)
{
    static time_t cached = -1;
    static char buf[40];
    if (now != cached) {
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(buf, sizeof(buf), "%d/%b/%Y:%H:%M:%S %z", &tm);
        cached = now;
    }
    return buf;
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

static struct str header_or_dash(const struct request *r, const char *name, size_t len)
{
    const struct http_header *h = http_find_header(&r->head, name, len);
    return h ? h->value : STR_LIT("-");
}

void access_log_write(const struct request *r)
{
    if (!log_access_enabled())
        return;
    const struct conn *c = r->conn;
    char line[4096];
    char addr[INET6_ADDRSTRLEN];
    sockaddr_ip_text(&c->peer, addr, sizeof(addr));
    size_t n = (size_t)snprintf(line, sizeof(line), "%s - - [%s] \"", addr,
                                time_local(c->set->loop->now_wall));
    if (r->head.method_str.len) {
        n += put_escaped(line + n, sizeof(line) - n - 600, r->head.method_str);
        line[n++] = ' ';
        n += put_escaped(line + n, sizeof(line) - n - 600, r->head.target);
        n += (size_t)snprintf(line + n, sizeof(line) - n, " HTTP/1.%d", r->head.minor_version);
    }
    /* $body_bytes_sent: what went out after the head. */
    uint64_t body_sent = c->bytes_sent > r->head_bytes ? c->bytes_sent - r->head_bytes : 0;
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\" %d %llu \"", r->res.status,
                          (unsigned long long)body_sent);
    n += put_escaped(line + n, sizeof(line) - n - 300, header_or_dash(r, "referer", 7));
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\" \"");
    n += put_escaped(line + n, sizeof(line) - n - 40, header_or_dash(r, "user-agent", 10));
    line[n++] = '"';
    log_access_line(line, n);
}
