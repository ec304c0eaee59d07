/* test-logring.c - the studio's bounded ring of log lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "tui.h"

static void add(logring *r, const char *text)
{
    logring_append(r, 7, 0, -1, DAPT_STREAM_STDOUT, DAPT_LOG_INFO, text, strlen(text));
}

static void test_empty(void **state)
{
    (void)state;
    logring *r = logring_new(10);
    assert_int_equal(logring_first(r), 1);
    assert_int_equal(logring_last(r), 0);
    assert_null(logring_get(r, 0));
    assert_null(logring_get(r, 1));
    assert_int_equal(logring_count(r), 0);
    logring_free(r);
}

static void test_append_get(void **state)
{
    (void)state;
    logring *r = logring_new(10);
    add(r, "one");
    logring_append(r, 42, 2, 5, DAPT_STREAM_STDERR, DAPT_LOG_WARNING, "two and more", 3);
    assert_int_equal(logring_first(r), 1);
    assert_int_equal(logring_last(r), 2);
    const log_entry *e = logring_get(r, 1);
    assert_non_null(e);
    assert_int_equal(e->seq, 1);
    assert_string_equal(e->text, "one");
    assert_int_equal(e->len, 3);
    e = logring_get(r, 2);
    assert_string_equal(e->text, "two"); /* only len bytes, NUL-terminated */
    assert_int_equal(e->ts_us, 42);
    assert_int_equal(e->stage, 2);
    assert_int_equal(e->item, 5);
    assert_int_equal(e->stream, DAPT_STREAM_STDERR);
    assert_int_equal(e->level, DAPT_LOG_WARNING);
    assert_false(e->clamped);
    assert_null(logring_get(r, 3));
    logring_free(r);
}

/* The line bound: the oldest lines go, seqs go on. */
static void test_line_bound(void **state)
{
    (void)state;
    logring *r = logring_new(1000);
    char buf[32];
    for (int i = 1; i <= 5000; i++) {
        snprintf(buf, sizeof buf, "line %d", i);
        add(r, buf);
    }
    assert_int_equal(logring_count(r), 1000);
    assert_int_equal(logring_first(r), 4001);
    assert_int_equal(logring_last(r), 5000);
    assert_null(logring_get(r, 4000));
    for (int64_t s = 4001; s <= 5000; s++) {
        snprintf(buf, sizeof buf, "line %d", (int)s);
        assert_string_equal(logring_get(r, s)->text, buf);
    }
    logring_free(r);
}

/* The byte budget: long lines push the oldest out before the line bound,
 * and memory stays near the budget. */
static void test_byte_bound(void **state)
{
    (void)state;
    size_t budget = 1024 * 1024;
    logring *r = logring_new_bounded(100000, budget);
    char line[1000];
    memset(line, 'x', sizeof line);
    for (int i = 0; i < 20000; i++) {
        line[0] = (char)('a' + i % 26);
        logring_append(r, i, 0, -1, 0, 0, line, sizeof line);
    }
    assert_int_equal(logring_last(r), 20000);
    assert_true(logring_count(r) < 1100);
    assert_true(logring_count(r) > 500);
    assert_true(logring_bytes(r) < budget + 600 * 1024);
    for (int64_t s = logring_first(r); s <= logring_last(r); s++) {
        const log_entry *e = logring_get(r, s);
        assert_int_equal(e->len, sizeof line);
        assert_int_equal(e->text[0], 'a' + (s - 1) % 26);
        assert_int_equal(e->ts_us, s - 1);
    }
    logring_free(r);
}

/* A million short lines stay within the default bounds. */
static void test_million(void **state)
{
    (void)state;
    logring *r = logring_new(0);
    char buf[64];
    for (int i = 1; i <= 1000000; i++) {
        int n = snprintf(buf, sizeof buf, "%07d this is a log line of the benchmark", i);
        logring_append(r, i, 0, -1, 0, 0, buf, (size_t)n);
    }
    assert_int_equal(logring_count(r), LOGRING_DEFAULT_LINES);
    assert_int_equal(logring_last(r), 1000000);
    assert_string_equal(logring_get(r, 1000000)->text,
                        "1000000 this is a log line of the benchmark");
    assert_string_equal(logring_get(r, 900001)->text,
                        "0900001 this is a log line of the benchmark");
    assert_true(logring_bytes(r) < LOGRING_DEFAULT_BYTES);
    logring_free(r);
}

/* Lines longer than LOGRING_LINE_MAX are cut, on a UTF-8 boundary. */
static void test_clamp(void **state)
{
    (void)state;
    logring *r = logring_new(10);
    char big[LOGRING_LINE_MAX + 100];
    memset(big, 'y', sizeof big);
    /* "é" (2 bytes) across the limit: cut before it */
    big[LOGRING_LINE_MAX - 1] = (char)0xc3;
    big[LOGRING_LINE_MAX] = (char)0xa9;
    logring_append(r, 0, -1, -1, 0, 0, big, sizeof big);
    const log_entry *e = logring_get(r, 1);
    assert_true(e->clamped);
    assert_int_equal(e->len, LOGRING_LINE_MAX - 1);
    assert_int_equal(strlen(e->text), LOGRING_LINE_MAX - 1);
    logring_append(r, 0, -1, -1, 0, 0, big, LOGRING_LINE_MAX - 1);
    assert_false(logring_get(r, 2)->clamped);
    logring_free(r);
}

/* A stored run's tail starts where the store says. */
static void test_restart(void **state)
{
    (void)state;
    logring *r = logring_new(10);
    add(r, "a");
    logring_restart(r, 501);
    assert_int_equal(logring_first(r), 501);
    assert_int_equal(logring_last(r), 500);
    assert_null(logring_get(r, 1));
    add(r, "b");
    assert_int_equal(logring_get(r, 501)->seq, 501);
    assert_string_equal(logring_get(r, 501)->text, "b");
    logring_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),       cmocka_unit_test(test_append_get),
        cmocka_unit_test(test_line_bound),  cmocka_unit_test(test_byte_bound),
        cmocka_unit_test(test_million),     cmocka_unit_test(test_clamp),
        cmocka_unit_test(test_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
