/* Tests for src/http/http_accept_type.c: does an Accept header name a
 * media type (with a parameter)? Every input is also read placed right
 * before a PROT_NONE page, and so is every prefix of it: reading one byte
 * too far crashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_accept_type.h"

#include "guard_page.h"

/* http_accept_names on s, placed against the guard page. */
static bool names(const char *s, const char *type, const char *param, const char *value)
{
    size_t len = strlen(s);
    assert_true(len <= g_cap);
    char *b = g_mem + g_cap - len;
    memcpy(b, s, len);
    return http_accept_names(str_make(b, len), type, param, value);
}

/* Prometheus' version=0.0.4 check on s, and on every prefix of it (which
 * must not crash; a prefix may say anything). */
static bool prom(const char *s)
{
    for (size_t n = 0; n < strlen(s); n++) {
        char *b = g_mem + g_cap - n;
        memcpy(b, s, n);
        (void)http_accept_names(str_make(b, n), "text/plain", "version", "0.0.4");
    }
    return names(s, "text/plain", "version", "0.0.4");
}

static void test_what_scrapers_send(void **state)
{
    /* Prometheus 2.x */
    assert_true(prom("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                     "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
    /* Prometheus 3.x */
    assert_true(prom("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
                     "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;"
                     "escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"));
    /* curl -H, with spaces, case and a quoted value */
    assert_true(prom("text/plain; version=0.0.4"));
    assert_true(prom("Text/Plain ; Version=\"0.0.4\" ; charset=utf-8"));
    assert_true(prom("  text/plain;version=0.0.4  ,  application/json"));
    assert_true(prom("application/json;q=0.9, text/plain;q=0.5;version=0.0.4"));
}

static void test_not_named(void **state)
{
    assert_false(prom(""));
    assert_false(prom("*/*"));
    assert_false(prom("text/*;version=0.0.4"));
    assert_false(prom("text/plain"));
    assert_false(prom("text/plain;version=1.0.0"));
    assert_false(prom("text/plain;version=0.0.4x"));
    assert_false(prom("text/plainer;version=0.0.4"));
    assert_false(prom("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
    assert_false(prom("application/json"));
    /* the parameter under another name, or in a quoted string of another element */
    assert_false(prom("text/plain;versions=0.0.4"));
    assert_false(prom("text/plain;x=\"a,text/plain;version=0.0.4\""));
    /* refused with q=0 */
    assert_false(prom("text/plain;version=0.0.4;q=0"));
    assert_false(prom("text/plain;version=0.0.4;q=0.000"));
    assert_false(prom("text/plain;version=0.0.4;Q=0."));
    assert_true(prom("text/plain;version=0.0.4;q=0.001"));
    /* parameters that do not parse */
    assert_false(prom("text/plain;version"));
    assert_false(prom("text/plain;version=\"0.0.4"));
    assert_false(prom("text/plain version=0.0.4"));
}

static void test_elements(void **state)
{
    /* an element whose parameters do not parse does not stop the next one */
    assert_true(prom("text/plain;bad, text/plain;version=0.0.4"));
    assert_true(prom(",,text/plain;version=0.0.4,"));
    assert_true(prom("text/plain;;version=0.0.4"));
    /* a quoted comma stays in its element */
    assert_true(prom("text/plain;x=\"a,b\";version=0.0.4"));
    assert_true(prom("text/plain;x=\"a\\\",b\";version=0.0.4"));
    /* a value too long for the buffer is no match */
    char long_value[200] = "text/plain;version=0.0.4";
    memset(long_value + strlen(long_value), '0', 100);
    assert_false(prom(long_value));
}

static void test_type_only(void **state)
{
    assert_true(names("text/html, application/json;q=0.5", "application/json", NULL, NULL));
    assert_false(names("text/html, application/json;q=0", "application/json", NULL, NULL));
    assert_true(names("APPLICATION/JSON", "application/json", NULL, NULL));
    assert_false(names("application/jsonx", "application/json", NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_what_scrapers_send),
        cmocka_unit_test(test_not_named),
        cmocka_unit_test(test_elements),
        cmocka_unit_test(test_type_only),
    };
    return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
