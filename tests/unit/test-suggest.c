/* test-suggest.c - "did you mean". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine.h"

static void test_distance(void **state)
{
    assert_int_equal(suggest_distance("target", "target"), 0);
    assert_int_equal(suggest_distance("tagret", "target"), 1); /* a swap is one edit */
    assert_int_equal(suggest_distance("traget", "target"), 1);
    assert_int_equal(suggest_distance("", "abc"), 3);
    assert_int_equal(suggest_distance("Target", "target"), 0);
}

static void test_closest(void **state)
{
    const char *keys[] = {"name", "target", "depends_on", "resources", "retries", "retry_delay"};
    assert_string_equal(suggest_closest("dependson", keys, 6), "depends_on");
    assert_string_equal(suggest_closest("tagret", keys, 6), "target");
    assert_string_equal(suggest_closest("retry_dealy", keys, 6), "retry_delay");
    assert_null(suggest_closest("zzzzzz", keys, 6));
    assert_null(suggest_closest("x", keys, 6));
    /* an exact match is not a suggestion */
    assert_null(suggest_closest("name", (const char *[]){"name"}, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_closest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
