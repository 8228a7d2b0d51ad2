/* Tests for src/lib/sockaddr.c: ports, text forms and equality of IPv4
 * and IPv6 addresses, and what another family gives. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <cmocka.h>

#include "lib/sockaddr.h"

/* An AF_INET6 address when ip holds a ':', else AF_INET; returns its length. */
static socklen_t inet_addr_of(struct sockaddr_storage *ss, const char *ip, unsigned port)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    bool six = strchr(ip, ':') != NULL;
    ss->ss_family = six ? AF_INET6 : AF_INET;
    if (six)
        a6->sin6_port = htons((uint16_t)port);
    else
        a4->sin_port = htons((uint16_t)port);
    void *addr = six ? (void *)&a6->sin6_addr : (void *)&a4->sin_addr;
    assert_int_equal(inet_pton(ss->ss_family, ip, addr), 1);
    return six ? sizeof(*a6) : sizeof(*a4);
}

static socklen_t unix_addr(struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_un *a = (struct sockaddr_un *)ss;
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path, "/tmp/s", 7);
    return sizeof(*a);
}

/* sockaddr_text and sockaddr_ip_text of ss, with room to spare. */
static void check_text(const struct sockaddr_storage *ss, const char *ip, const char *text)
{
    char buf[128];
    assert_int_equal(sockaddr_ip_text(ss, buf, sizeof buf), strcmp(ip, "-") ? 0 : -1);
    assert_string_equal(buf, ip);
    assert_int_equal(sockaddr_text(ss, buf, sizeof buf), strcmp(text, "-") ? 0 : -1);
    assert_string_equal(buf, text);
}

static void test_port(void **state)
{
    struct sockaddr_storage ss;
    inet_addr_of(&ss, "192.0.2.1", 8080);
    assert_int_equal(sockaddr_port(&ss), 8080);
    sockaddr_set_port(&ss, 443);
    assert_int_equal(sockaddr_port(&ss), 443);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 443);
    inet_addr_of(&ss, "::1", 65535);
    assert_int_equal(sockaddr_port(&ss), 65535);
    sockaddr_set_port(&ss, 1);
    assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 1);
    unix_addr(&ss);
    assert_int_equal(sockaddr_port(&ss), 0);
    sockaddr_set_port(&ss, 80); /* no port to set: left alone */
    assert_string_equal(((struct sockaddr_un *)&ss)->sun_path, "/tmp/s");
    assert_int_equal(sockaddr_port(&ss), 0);
}

static void test_text(void **state)
{
    static const struct {
        const char *in;
        unsigned port;
        const char *ip, *text;
    } cases[] = {
        {"0.0.0.0", 8080, "0.0.0.0", "0.0.0.0:8080"},
        {"255.255.255.255", 65535, "255.255.255.255", "255.255.255.255:65535"},
        {"::1", 8080, "::1", "[::1]:8080"},
        {"::", 80, "::", "[::]:80"},
        {"2001:DB8:0:0:0:0:0:1", 443, "2001:db8::1", "[2001:db8::1]:443"},
        {"::ffff:192.0.2.1", 1, "::ffff:192.0.2.1", "[::ffff:192.0.2.1]:1"},
    };
    struct sockaddr_storage ss;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        inet_addr_of(&ss, cases[i].in, cases[i].port);
        check_text(&ss, cases[i].ip, cases[i].text);
    }
    unix_addr(&ss);
    check_text(&ss, "-", "-");
    memset(&ss, 0, sizeof ss); /* AF_UNSPEC */
    check_text(&ss, "-", "-");
}

/* out holds exactly cap bytes (ASan sees an overrun): a text fits with its
 * NUL, one byte less gives "-" (as much of it as fits) and -1. */
static void check_capacity(const struct sockaddr_storage *ss, const char *ip, const char *text)
{
    for (size_t cap = 0; cap <= strlen(text) + 1; cap++) {
        char *out = malloc(cap ? cap : 1);
        assert_non_null(out);
        out[0] = 'x';
        int want_ip = cap > strlen(ip) ? 0 : -1;
        assert_int_equal(sockaddr_ip_text(ss, out, cap), want_ip);
        if (cap == 0)
            assert_int_equal(out[0], 'x'); /* nothing written */
        else
            assert_string_equal(out, want_ip == 0 ? ip : cap == 1 ? "" : "-");
        int want_text = cap > strlen(text) ? 0 : -1;
        assert_int_equal(sockaddr_text(ss, out, cap), want_text);
        if (cap == 0)
            assert_int_equal(out[0], 'x');
        else
            assert_string_equal(out, want_text == 0 ? text : cap == 1 ? "" : "-");
        free(out);
    }
}

static void test_text_capacity(void **state)
{
    struct sockaddr_storage ss;
    inet_addr_of(&ss, "255.255.255.255", 65535);
    check_capacity(&ss, "255.255.255.255", "255.255.255.255:65535");
    inet_addr_of(&ss, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
    check_capacity(&ss, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                   "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

static void test_equal(void **state)
{
    struct sockaddr_storage a, b;
    socklen_t al = inet_addr_of(&a, "192.0.2.1", 80), bl = inet_addr_of(&b, "192.0.2.1", 80);
    assert_true(sockaddr_equal(&a, al, &b, bl));
    bl = inet_addr_of(&b, "192.0.2.1", 81);
    assert_false(sockaddr_equal(&a, al, &b, bl));
    bl = inet_addr_of(&b, "192.0.2.2", 80);
    assert_false(sockaddr_equal(&a, al, &b, bl));
    assert_false(sockaddr_equal(&a, al, &a, al - 1)); /* lengths differ */

    al = inet_addr_of(&a, "::1", 80);
    bl = inet_addr_of(&b, "0:0::1", 80);
    assert_true(sockaddr_equal(&a, al, &b, bl));
    bl = inet_addr_of(&b, "::1", 8080);
    assert_false(sockaddr_equal(&a, al, &b, bl));
    bl = inet_addr_of(&b, "::2", 80);
    assert_false(sockaddr_equal(&a, al, &b, bl));

    /* Same port, "same" host in both families: different addresses. */
    al = inet_addr_of(&a, "127.0.0.1", 80);
    bl = inet_addr_of(&b, "::ffff:127.0.0.1", 80);
    assert_false(sockaddr_equal(&a, al, &b, bl));
    assert_int_equal(sockaddr_port(&a), sockaddr_port(&b));
}

static void test_any_and_same(void **state)
{
    struct sockaddr_storage a, b;
    inet_addr_of(&a, "0.0.0.0", 80);
    assert_true(sockaddr_is_any(&a));
    inet_addr_of(&a, "::", 80);
    assert_true(sockaddr_is_any(&a));
    inet_addr_of(&a, "127.0.0.1", 80);
    assert_false(sockaddr_is_any(&a));
    inet_addr_of(&a, "::1", 80);
    assert_false(sockaddr_is_any(&a));
    unix_addr(&a);
    assert_false(sockaddr_is_any(&a));

    /* Family, address and port; not the flow label or scope. */
    inet_addr_of(&a, "::1", 80);
    inet_addr_of(&b, "::1", 80);
    ((struct sockaddr_in6 *)&b)->sin6_flowinfo = 7;
    ((struct sockaddr_in6 *)&b)->sin6_scope_id = 2;
    assert_true(sockaddr_same(&a, &b));
    inet_addr_of(&b, "::1", 81);
    assert_false(sockaddr_same(&a, &b));
    inet_addr_of(&a, "127.0.0.1", 80);
    inet_addr_of(&b, "127.0.0.1", 80);
    assert_true(sockaddr_same(&a, &b));
    inet_addr_of(&b, "127.0.0.2", 80);
    assert_false(sockaddr_same(&a, &b));
    inet_addr_of(&b, "::ffff:127.0.0.1", 80);
    assert_false(sockaddr_same(&a, &b));
    unix_addr(&a);
    unix_addr(&b);
    assert_false(sockaddr_same(&a, &b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_text_capacity),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_any_and_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
