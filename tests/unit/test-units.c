/* test-units.c - byte sizes and durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine.h"

static int64_t bytes(const char *s)
{
    int64_t v = -42;
    assert_int_equal(dapt_parse_bytes(&v, s), 0);
    return v;
}

static void test_bytes_units(void **state)
{
    assert_int_equal(bytes("8GB"), 8000000000LL);
    assert_int_equal(bytes("2GiB"), 2147483648LL);
    assert_int_equal(bytes("512M"), 512000000LL);
    assert_int_equal(bytes("100 MB"), 100000000LL);
    assert_int_equal(bytes("5kB"), 5000);
    assert_int_equal(bytes("1kiB"), 1024);
    assert_int_equal(bytes("1e6"), 1000000);
    assert_int_equal(bytes("MB"), 1000000); /* Flowdapt: a bare unit is one */
    assert_int_equal(bytes("1.5Ki"), 1536);
    assert_int_equal(bytes("42"), 42);
    assert_int_equal(bytes(" 3 gb "), 3000000000LL);
}

static void test_bytes_bad(void **state)
{
    int64_t v = 7;
    const char *bad[] = {"", "GBx", "8 GBs", "-1GB", "1..5MB", "eight", "8 XB", "1e30PB", "inf"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(dapt_parse_bytes(&v, bad[i]), -1);
    assert_int_equal(v, 7); /* untouched on failure */
}

static int64_t ms(const char *s)
{
    int64_t v = -42;
    assert_int_equal(dapt_parse_duration(&v, s), 0);
    return v;
}

static void test_durations(void **state)
{
    assert_int_equal(ms("500ms"), 500);
    assert_int_equal(ms("30s"), 30000);
    assert_int_equal(ms("2h30m"), 9000000);
    assert_int_equal(ms("1.5s"), 1500);
    assert_int_equal(ms("1d"), 86400000);
    assert_int_equal(ms("1m30s500ms"), 90500);
    assert_int_equal(ms("45"), 45000); /* a bare number is seconds */
}

static void test_durations_bad(void **state)
{
    int64_t v;
    const char *bad[] = {"", "30x", "s", "1h30", "-5s", "5 s", "ms", "1h 30m", "abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(dapt_parse_duration(&v, bad[i]), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_units),
        cmocka_unit_test(test_bytes_bad),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_durations_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
