/* The timer heap: ordering, re-arming, cancelling from any slot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/bufpool.h"
#include "core/timer.h"

static void noop(struct timer *t) { (void)t; }

static uint64_t pop(struct timer_heap *h)
{
    struct timer *t = timer_first(h);
    assert_non_null(t);
    uint64_t d = t->deadline_ms;
    timer_cancel(h, t);
    assert_false(timer_armed(t));
    return d;
}

static void test_pops_in_deadline_order(void **state)
{
    (void)state;
    struct timer_heap h;
    timer_heap_init(&h);
    enum { N = 1000 };
    struct timer *ts = calloc(N, sizeof(*ts));
    srand(7);
    for (int i = 0; i < N; i++) {
        ts[i].cb = noop;
        assert_int_equal(timer_arm(&h, &ts[i], (uint64_t)(rand() % 5000)), 0);
    }
    uint64_t last = 0;
    for (int i = 0; i < N; i++) {
        uint64_t d = pop(&h);
        assert_true(d >= last);
        last = d;
    }
    assert_null(timer_first(&h));
    free(ts);
    timer_heap_free(&h);
}

static void test_rearm_and_cancel_middle(void **state)
{
    (void)state;
    struct timer_heap h;
    timer_heap_init(&h);
    struct timer a = {.cb = noop}, b = {.cb = noop}, c = {.cb = noop}, d = {.cb = noop};
    timer_arm(&h, &a, 10);
    timer_arm(&h, &b, 20);
    timer_arm(&h, &c, 30);
    timer_arm(&h, &d, 40);
    assert_ptr_equal(timer_first(&h), &a);
    timer_arm(&h, &a, 35); /* later: a moves down */
    assert_ptr_equal(timer_first(&h), &b);
    timer_arm(&h, &d, 5); /* earlier: d moves up */
    assert_ptr_equal(timer_first(&h), &d);
    timer_cancel(&h, &b); /* from the middle */
    timer_cancel(&h, &b); /* twice is harmless */
    assert_int_equal(h.len, 3);
    assert_int_equal(pop(&h), 5);
    assert_int_equal(pop(&h), 30);
    assert_int_equal(pop(&h), 35);
    assert_null(timer_first(&h));
    timer_heap_free(&h);
}

static void test_bufpool_reuses_and_caps(void **state)
{
    (void)state;
    struct bufpool p;
    bufpool_init(&p, 4096, 2);
    void *a = bufpool_get(&p), *b = bufpool_get(&p), *c = bufpool_get(&p);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_int_equal(p.in_use, 3);
    bufpool_put(&p, a);
    bufpool_put(&p, b);
    bufpool_put(&p, c); /* beyond keep: freed */
    assert_int_equal(p.n_free, 2);
    assert_int_equal(p.in_use, 0);
    void *again = bufpool_get(&p);
    assert_true(again == a || again == b);
    bufpool_put(&p, again);
    bufpool_free(&p);
    assert_int_equal(p.n_free, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pops_in_deadline_order),
        cmocka_unit_test(test_rearm_and_cancel_middle),
        cmocka_unit_test(test_bufpool_reuses_and_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
