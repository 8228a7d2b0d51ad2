/* Tests for src/core/listener.c: what accepted connections inherit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core/listener.h"

/* A connection accepted on a listener has TCP_NODELAY without a
 * setsockopt of its own (the worker no longer sets it per connection). */
static void test_accepted_socket_has_nodelay(void **state)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int l = listener_open((struct sockaddr *)&a, sizeof(a));
    assert_true(l >= 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
    int s = -1;
    for (int i = 0; i < 1000 && s < 0; i++) { /* the listener is non-blocking */
        s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        if (s < 0)
            usleep(1000);
    }
    assert_true(s >= 0);
    int v = 0;
    socklen_t vl = sizeof(v);
    assert_int_equal(getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &vl), 0);
    assert_int_equal(v, 1);
    close(s);
    close(c);
    close(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted_socket_has_nodelay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
