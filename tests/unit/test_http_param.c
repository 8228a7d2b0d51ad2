/* Tests for src/http/http_param.c: the '; name=value' parameter iterator.
 *
 * Every input is also read as each of its prefixes, placed so that it
 * ends right before a PROT_NONE page: reading one byte too far crashes.
 * A prefix always ends in END or ERROR, and a parameter it yields and
 * then reads past agrees with the whole input's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/http_param.h"

#include "guard_page.h"

#define MAX_STEPS 16

/* One result of http_param_next. */
struct step {
    enum http_param_result rc;
    char name[64];
    char value[64];
    bool overflow;
};

struct run {
    char type[64];
    struct step steps[MAX_STEPS];
    size_t n;
};

/* Reads s[0..len), placed before the guard page, to its END or ERROR with
 * value buffers of exactly cap bytes. */
static void read_all(const char *s, size_t len, size_t cap, struct run *out)
{
    assert_true(len <= g_cap);
    char *b = g_mem + g_cap - len;
    memcpy(b, s, len);
    memset(out, 0, sizeof(*out));
    struct http_param_iter it;
    struct str type = http_param_begin(&it, b, len);
    assert_true(type.p >= b && type.p + type.len <= b + len);
    snprintf(out->type, sizeof out->type, "%.*s", (int)type.len, type.p);
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        assert_true(out->n < MAX_STEPS);
        struct step *st = &out->steps[out->n++];
        struct http_param p;
        st->rc = http_param_next(&it, &p, buf, cap);
        if (st->rc == HTTP_PARAM_EMPTY)
            continue;
        if (st->rc != HTTP_PARAM_OK)
            break;
        assert_true(p.name.p >= b && p.name.p + p.name.len <= b + len);
        assert_true(p.value.p == buf && p.value.len < cap);
        assert_int_equal(strlen(buf), p.value.len);
        snprintf(st->name, sizeof st->name, "%.*s", (int)p.name.len, p.name.p);
        snprintf(st->value, sizeof st->value, "%s", buf);
        st->overflow = p.value.overflow;
    }
    free(buf);
    enum http_param_result last = out->steps[out->n - 1].rc;
    assert_true(last == HTTP_PARAM_END || last == HTTP_PARAM_ERROR);
}

static bool same_step(const struct step *a, const struct step *b)
{
    return a->rc == b->rc && strcmp(a->name, b->name) == 0 &&
           strcmp(a->value, b->value) == 0 && a->overflow == b->overflow;
}

/* Every prefix of s[0..len): a step followed by a parameter or an empty
 * element was delimited inside the prefix, so it is the whole input's. */
static void check_prefixes(const char *s, size_t len, size_t cap, const struct run *whole)
{
    for (size_t i = 0; i <= len; i++) {
        struct run r;
        read_all(s, i, cap, &r);
        assert_true(strncmp(r.type, whole->type, strlen(r.type)) == 0);
        for (size_t k = 0; k + 2 < r.n; k++) {
            if (!same_step(&r.steps[k], &whole->steps[k]))
                print_error("prefix %zu of \"%.*s\": step %zu differs\n", i, (int)len, s, k);
            assert_true(same_step(&r.steps[k], &whole->steps[k]));
        }
    }
}

/* want: "type" then one word per step: "name=value" for a parameter ("!"
 * after it when cut), "EMPTY", "END" or "ERROR". */
static void check_n(const char *s, size_t len, size_t cap, const char *const *want)
{
    struct run r;
    read_all(s, len, cap, &r);
    assert_string_equal(r.type, want[0]);
    size_t k = 0;
    for (; want[k + 1]; k++) {
        assert_true(k < r.n);
        const struct step *st = &r.steps[k];
        char got[160];
        if (st->rc == HTTP_PARAM_OK)
            snprintf(got, sizeof got, "%s=%s%s", st->name, st->value, st->overflow ? "!" : "");
        else
            snprintf(got, sizeof got, "%s",
                     st->rc == HTTP_PARAM_EMPTY ? "EMPTY"
                     : st->rc == HTTP_PARAM_END ? "END"
                                                : "ERROR");
        if (strcmp(got, want[k + 1]) != 0)
            print_error("\"%.*s\" step %zu: want %s, got %s\n", (int)len, s, k, want[k + 1], got);
        assert_string_equal(got, want[k + 1]);
    }
    assert_int_equal(k, r.n);
    check_prefixes(s, len, cap, &r);
}

#define CHECK(s, ...) check_n((s), strlen(s), 64, (const char *const[]){__VA_ARGS__, NULL})

static void test_params(void **state)
{
    CHECK("multipart/form-data; boundary=abc", "multipart/form-data", "boundary=abc", "END");
    CHECK("form-data; name=\"f\"; filename=\"a.txt\"", "form-data", "name=f", "filename=a.txt",
          "END");
    CHECK("type; a=b; c=\"quoted \\\" value\"", "type", "a=b", "c=quoted \" value", "END");
    CHECK("text/plain", "text/plain", "END");
    CHECK("", "", "END");
    CHECK(";a=b", "", "a=b", "END");
    CHECK("t; a=b=c", "t", "a=b=c", "END");
    CHECK("t; a=", "t", "a=", "END");
    CHECK("t; a=\"\"", "t", "a=", "END");
    CHECK("t; A=x; a=y", "t", "A=x", "a=y", "END"); /* names as sent, repeats kept */
}

static void test_ows(void **state)
{
    CHECK("  t ; a = b ;c=\"x\"\t;", "t", "a=b", "c=x", "END");
    CHECK("t;a=b", "t", "a=b", "END");
    CHECK("t\t;\ta\t=\t\"v w\"\t", "t", "a=v w", "END");
    CHECK("t; a=b c", "t", "a=b", "ERROR"); /* a token ends at whitespace */
    CHECK("t; a b=c", "t", "ERROR");
    CHECK("t a=b", "t", "ERROR");
}

static void test_empty_elements(void **state)
{
    CHECK("t;", "t", "END");
    CHECK("t; ", "t", "END");
    CHECK("t;;", "t", "EMPTY", "END");
    CHECK("t; ; a=b", "t", "EMPTY", "a=b", "END");
    CHECK("t; a=b;; c=d ;", "t", "a=b", "EMPTY", "c=d", "END");
    CHECK("t; =x", "t", "=x", "END"); /* a nameless parameter: the caller decides */
    CHECK("t; = ; a=b", "t", "=", "a=b", "END");
}

static void test_quoted_strings(void **state)
{
    CHECK("t; a=\"C:\\dir\\f.txt\"", "t", "a=C:\\dir\\f.txt", "END"); /* unescaped '\' kept */
    CHECK("t; a=\"\\\\\\\"\"", "t", "a=\\\"", "END");
    CHECK("t; a=\"x;y=z\"; b=c", "t", "a=x;y=z", "b=c", "END");
    CHECK("t; a=\"x", "t", "ERROR");
    CHECK("t; a=\"x\\\"", "t", "ERROR"); /* the last quote is escaped */
    CHECK("t; a=\"x\\", "t", "ERROR");
    CHECK("t; a=\"b\" c", "t", "a=b", "ERROR");
    CHECK("t; a=\"b\"c", "t", "a=b", "ERROR");
    CHECK("t; a=b\"c\"", "t", "a=b\"c\"", "END"); /* a quote inside a token is a byte */
}

static void test_nul_and_overflow(void **state)
{
    const char nul[] = "t; a=\"x\0y\"; b=p\0q";
    const char *const want[] = {"t", "a=xy", "b=pq", "END", NULL};
    check_n(nul, sizeof nul - 1, 64, want);

    const char *const cut[] = {"t", "a=abc!", "b=ab", "c=xyz!", "END", NULL};
    check_n("t; a=abcdef; b=ab; c=\"xyzw\"", 27, 3 + 1, cut);
    const char *const tiny[] = {"t", "a=!", "b=", "END", NULL};
    check_n("t; a=x; b=", 10, 1, tiny);
}

/* A long header value, and every prefix of it. */
static void test_long_value(void **state)
{
    char s[600];
    int n = snprintf(s, sizeof s, "form-data; name=\"");
    memset(s + n, 'v', 500);
    n += 500;
    n += snprintf(s + n, sizeof s - (size_t)n, "\"; filename=f");
    char first[80] = "name=";
    memset(first + 5, 'v', 63); /* what fits in 64 bytes */
    strcpy(first + 5 + 63, "!");
    const char *const want[] = {"form-data", first, "filename=f", "END", NULL};
    check_n(s, (size_t)n, 64, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_ows),
        cmocka_unit_test(test_empty_elements),
        cmocka_unit_test(test_quoted_strings),
        cmocka_unit_test(test_nul_and_overflow),
        cmocka_unit_test(test_long_value),
    };
    return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
