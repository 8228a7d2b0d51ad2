/* The timer heap: ordering, re-arming, cancelling from any slot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/bufpool.h"
#include "core/loop.h"
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

/* ---- the loop's lazy timers ---- */

static int fired;
static uint64_t fired_at;
static struct loop *test_loop;

static void count_fire(struct timer *t)
{
    (void)t;
    fired++;
    fired_at = test_loop->now_ms;
}

/* Runs the loop until `ms` have passed on its clock. */
static void run_for(struct loop *l, uint64_t ms)
{
    uint64_t end = l->now_ms + ms;
    while (l->now_ms < end)
        loop_run_once(l, 5);
}

/* A new loop for the test and t, unarmed, counting its firings. */
static void start_loop(struct loop *l, struct timer *t)
{
    assert_int_equal(loop_init(l), 0);
    test_loop = l;
    fired = 0;
    *t = (struct timer){.cb = count_fire};
}

static void test_loop_rearm_later_fires_at_the_new_deadline(void **state)
{
    (void)state;
    struct loop l;
    struct timer t;
    start_loop(&l, &t);
    uint64_t start = l.now_ms;
    loop_timer_in(&l, &t, 30);
    loop_timer_in(&l, &t, 120); /* later: left in place, re-placed when it comes up */
    assert_int_equal(t.deadline_ms, start + 30);
    run_for(&l, 80);
    assert_int_equal(fired, 0);
    assert_true(timer_armed(&t)); /* re-placed at its real deadline */
    assert_int_equal(t.deadline_ms, start + 120);
    run_for(&l, 80);
    assert_int_equal(fired, 1);
    assert_true(fired_at >= start + 120);
    assert_false(timer_armed(&t));
    loop_timer_in(&l, &t, 10);
    loop_timer_in(&l, &t, 5); /* earlier: moved */
    assert_true(t.deadline_ms <= l.now_ms + 5);
    run_for(&l, 30);
    assert_int_equal(fired, 2);
    loop_free(&l);
}

static void test_loop_stop_is_lazy_and_cancel_is_not(void **state)
{
    (void)state;
    struct loop l;
    struct timer t;
    start_loop(&l, &t);
    loop_timer_in(&l, &t, 20);
    loop_timer_stop(&l, &t);
    assert_true(timer_armed(&t)); /* still queued ... */
    run_for(&l, 50);
    assert_int_equal(fired, 0); /* ... but never fires */
    assert_false(timer_armed(&t)); /* dropped when its place came up */
    loop_timer_in(&l, &t, 20);
    loop_timer_stop(&l, &t);
    loop_timer_in(&l, &t, 40); /* armed again after a stop: fires once, at 40 */
    uint64_t armed = l.now_ms;
    run_for(&l, 80);
    assert_int_equal(fired, 1);
    assert_true(fired_at >= armed + 40);
    loop_timer_in(&l, &t, 20);
    loop_timer_cancel(&l, &t);
    assert_false(timer_armed(&t)); /* out of the heap at once */
    run_for(&l, 40);
    assert_int_equal(fired, 1);
    loop_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pops_in_deadline_order),
        cmocka_unit_test(test_rearm_and_cancel_middle),
        cmocka_unit_test(test_bufpool_reuses_and_caps),
        cmocka_unit_test(test_loop_rearm_later_fires_at_the_new_deadline),
        cmocka_unit_test(test_loop_stop_is_lazy_and_cancel_is_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
