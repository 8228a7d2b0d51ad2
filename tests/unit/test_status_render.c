/* Tests for src/handlers/status_render.c: /status as JSON and in the
 * Prometheus text format 0.0.4. The Prometheus text is checked line by
 * line against the format's grammar (every line a HELP or TYPE comment or
 * a sample; each family's HELP and TYPE once, before its samples, which
 * come together), and figure by figure. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "handlers/status_render.h"

static const struct status_server servers[] = {
    {"app", "127.0.0.1:9001", true, 10, 0, 1},
    {"app", "127.0.0.1:9002", false, 7, 3, 0},
    {"we\"ird\\name\n", "[::1]:80", true, 1, 1, 0},
};

static struct status_figures figures(void)
{
    struct status_figures f = {
        .version = "0.1.0", .uptime_s = 12, .workers = 2, .tls = true, .upstreams = true,
        .servers = servers, .n_servers = 3,
        .w = {.active = 5, .reading = 1, .writing = 2, .idle = 1, .tunnels = 1,
              .cgi_running = 2, .requests_total = 1234, .responses = {1, 1000, 30, 200, 3},
              .bytes_received = 4567, .bytes_sent = 890123, .cgi_started = 9,
              .cgi_timeouts = 1, .upload_bytes = 1048576, .tls_handshakes = 10,
              .tls_failures = 2},
    };
    return f;
}

static char *render(bool prom, const struct status_figures *f)
{
    struct strbuf b = STRBUF_INIT;
    if (prom)
        status_render_prometheus(&b, f);
    else
        status_render_json(&b, f);
    size_t len;
    char *s = strbuf_take(&b, &len);
    assert_non_null(s);
    return s;
}

static void test_json(void **state)
{
    struct status_figures f = figures();
    char *s = render(false, &f);
    assert_string_equal(
        s, "{\"version\":\"0.1.0\",\"uptime_s\":12,\"workers\":2,"
           "\"connections\":{\"active\":5,\"reading\":1,\"writing\":2,\"idle\":1,\"tunnels\":1},"
           "\"requests\":{\"total\":1234},"
           "\"responses\":{\"1xx\":1,\"2xx\":1000,\"3xx\":30,\"4xx\":200,\"5xx\":3},"
           "\"bytes\":{\"received\":4567,\"sent\":890123},"
           "\"cgi\":{\"started\":9,\"running\":2,\"timeouts\":1},\"uploads\":{\"bytes\":1048576},"
           "\"tls\":{\"handshakes\":10,\"failures\":2},"
           "\"upstreams\":{\"app\":["
           "{\"server\":\"127.0.0.1:9001\",\"up\":true,\"requests\":10,\"fails\":0,\"active\":1},"
           "{\"server\":\"127.0.0.1:9002\",\"up\":false,\"requests\":7,\"fails\":3,\"active\":0}],"
           "\"we\\\"ird\\\\name\\u000a\":["
           "{\"server\":\"[::1]:80\",\"up\":true,\"requests\":1,\"fails\":1,\"active\":0}]}}\n");
    free(s);
    /* Without TLS listeners and upstreams, neither member. */
    f.tls = f.upstreams = false;
    f.n_servers = 0;
    s = render(false, &f);
    assert_null(strstr(s, "tls"));
    assert_null(strstr(s, "upstreams"));
    const char *tail = "\"uploads\":{\"bytes\":1048576}}\n";
    assert_true(strlen(s) > strlen(tail));
    assert_string_equal(s + strlen(s) - strlen(tail), tail);
    free(s);
    /* The member asked for with no server to list: an empty object. */
    f.upstreams = true;
    s = render(false, &f);
    assert_non_null(strstr(s, ",\"upstreams\":{}}\n"));
    free(s);
}

/* ---- the exposition format ---- */

static bool is_name(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
            return false;
    return true;
}

/* {name="value",...} at *p: moves past it. Values: \\, \" and \n only. */
static bool labels_ok(const char **p)
{
    const char *s = *p + 1;
    while (*s != '}') {
        size_t n = strcspn(s, "=");
        if (!is_name(s, n) || s[n] != '=' || s[n + 1] != '"')
            return false;
        for (s += n + 2; *s != '"'; s++) {
            if (*s == '\n' || *s == '\0')
                return false;
            if (*s == '\\' && !strchr("\\\"n", *++s))
                return false;
        }
        s++;
        if (*s == ',')
            s++;
        else if (*s != '}')
            return false;
    }
    *p = s + 1;
    return true;
}

#define MAX_FAMILIES 64

struct seen {
    char names[MAX_FAMILIES][64];
    char types[MAX_FAMILIES][8];
    bool helped[MAX_FAMILIES], sampled[MAX_FAMILIES];
    int n, current; /* families; the one whose samples come now */
};

static int family_of(struct seen *z, const char *name, size_t n)
{
    for (int i = 0; i < z->n; i++)
        if (strlen(z->names[i]) == n && memcmp(z->names[i], name, n) == 0)
            return i;
    return -1;
}

/* One line (without its '\n'); fails the test where it breaks the format. */
static void check_line(struct seen *z, const char *line)
{
    if (line[0] == '#') {
        bool help = strncmp(line, "# HELP ", 7) == 0, type = strncmp(line, "# TYPE ", 7) == 0;
        assert_true(help || type);
        const char *name = line + 7;
        size_t n = strcspn(name, " ");
        assert_true(is_name(name, n) && name[n] == ' ' && name[n + 1]);
        int i = family_of(z, name, n);
        if (i < 0) {
            assert_true(z->n < MAX_FAMILIES && n < 64);
            i = z->n++;
            memcpy(z->names[i], name, n);
        }
        assert_false(z->sampled[i]); /* HELP and TYPE come before the samples */
        if (help) {
            assert_false(z->helped[i]);
            z->helped[i] = true;
        } else {
            assert_true(z->types[i][0] == '\0');
            assert_true(!strcmp(name + n + 1, "counter") || !strcmp(name + n + 1, "gauge"));
            snprintf(z->types[i], sizeof z->types[i], "%s", name + n + 1);
        }
        z->current = i;
        return;
    }
    size_t n = strcspn(line, "{ ");
    int i = family_of(z, line, n);
    assert_true(i >= 0 && i == z->current); /* announced, and its samples together */
    assert_true(z->helped[i] && z->types[i][0]);
    z->sampled[i] = true;
    const char *p = line + n;
    if (*p == '{')
        assert_true(labels_ok(&p));
    assert_true(*p == ' ' && p[1]);
    char *end;
    strtod(p + 1, &end);
    assert_true(*end == '\0' && end > p + 1);
}

/* The value of the sample whose line starts with `series ` ("name{...}"). */
static double value_of(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
        if (strncmp(l, series, n) == 0 && l[n] == ' ')
            return strtod(l + n + 1, NULL);
    }
    fail_msg("no sample %s", series);
    return -1;
}

static void test_prometheus_format(void **state)
{
    struct status_figures f = figures();
    char *s = render(true, &f);
    struct seen z = {.current = -1};
    size_t lines = 0;
    assert_true(strlen(s) > 0 && s[strlen(s) - 1] == '\n');
    for (char *l = s, *nl; (nl = strchr(l, '\n')); l = nl + 1) {
        *nl = '\0';
        check_line(&z, l);
        *nl = '\n';
        lines++;
    }
    for (int i = 0; i < z.n; i++) {
        assert_true(z.sampled[i]);
        assert_memory_equal(z.names[i], "portico_", 8);
        size_t n = strlen(z.names[i]);
        bool total = n > 6 && strcmp(z.names[i] + n - 6, "_total") == 0;
        assert_int_equal(total, strcmp(z.types[i], "counter") == 0);
    }
    assert_true(lines > 40);
    free(s);
}

static void test_prometheus_values(void **state)
{
    struct status_figures f = figures();
    char *s = render(true, &f);
    static const struct {
        const char *series;
        double want;
    } v[] = {
        {"portico_info{version=\"0.1.0\"}", 1},
        {"portico_uptime_seconds", 12},
        {"portico_workers", 2},
        {"portico_requests_total", 1234},
        {"portico_responses_total{class=\"1xx\"}", 1},
        {"portico_responses_total{class=\"2xx\"}", 1000},
        {"portico_responses_total{class=\"4xx\"}", 200},
        {"portico_responses_total{class=\"5xx\"}", 3},
        {"portico_connections_active", 5},
        {"portico_connections{state=\"reading\"}", 1},
        {"portico_connections{state=\"writing\"}", 2},
        {"portico_connections{state=\"idle\"}", 1},
        {"portico_connections{state=\"lingering\"}", 1},
        {"portico_connections_tunnels", 1},
        {"portico_received_bytes_total", 4567},
        {"portico_sent_bytes_total", 890123},
        {"portico_cgi_processes_started_total", 9},
        {"portico_cgi_processes_running", 2},
        {"portico_cgi_timeouts_total", 1},
        {"portico_upload_bytes_total", 1048576},
        {"portico_tls_handshakes_total", 10},
        {"portico_tls_handshake_failures_total", 2},
        {"portico_upstream_up{upstream=\"app\",server=\"127.0.0.1:9001\"}", 1},
        {"portico_upstream_up{upstream=\"app\",server=\"127.0.0.1:9002\"}", 0},
        {"portico_upstream_requests_total{upstream=\"app\",server=\"127.0.0.1:9002\"}", 7},
        {"portico_upstream_fails_total{upstream=\"app\",server=\"127.0.0.1:9002\"}", 3},
        {"portico_upstream_active{upstream=\"app\",server=\"127.0.0.1:9001\"}", 1},
        {"portico_upstream_fails_total{upstream=\"we\\\"ird\\\\name\\n\",server=\"[::1]:80\"}",
         1},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        assert_true(value_of(s, v[i].series) == v[i].want);
    free(s);
}

static void test_prometheus_edges(void **state)
{
    struct status_figures f = figures();
    /* No upstreams: no upstream families at all. */
    f.n_servers = 0;
    f.upstreams = false;
    /* Parts read while they change may add up past active: lingering 0. */
    f.w.active = 3;
    f.uptime_s = -5;
    f.w.requests_total = UINT64_MAX;
    char *s = render(true, &f);
    assert_null(strstr(s, "portico_upstream"));
    assert_true(value_of(s, "portico_connections{state=\"lingering\"}") == 0);
    assert_true(value_of(s, "portico_uptime_seconds") == 0);
    assert_non_null(strstr(s, "\nportico_requests_total 18446744073709551615\n"));
    /* TLS counters are there without TLS listeners too (at 0). */
    assert_true(value_of(s, "portico_tls_handshakes_total") == 10);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_prometheus_format),
        cmocka_unit_test(test_prometheus_values),
        cmocka_unit_test(test_prometheus_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
