/*
 * test-textdiff.c - the unified diff of two texts (engine/textdiff.c), as
 * `dapt runs diff` prints it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"

static void check(const char *a, const char *b, const char *want)
{
    char *got = textdiff_unified(a, b, "old", "new");
    if (strcmp(got, want) != 0)
        fail_msg("want:\n%s\ngot:\n%s", want, got);
    free(got);
}

static void test_equal(void **state)
{
    (void)state;
    check("a\nb\n", "a\nb\n", "");
    check("", "", "");
}

static void test_change_in_the_middle(void **state)
{
    (void)state;
    check("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
          "--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

static void test_add_and_remove(void **state)
{
    (void)state;
    check("", "x\ny\n", "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+x\n+y\n");
    check("x\ny\n", "", "--- old\n+++ new\n@@ -1,2 +0,0 @@\n-x\n-y\n");
    /* a last line without its newline is a line */
    check("a\nb", "a\nc", "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n");
}

static void test_two_hunks(void **state)
{
    (void)state;
    strbuf a = {0}, b = {0};
    for (int i = 1; i <= 20; i++) {
        strbuf_printf(&a, "%d\n", i);
        if (i == 2)
            strbuf_puts(&b, "two\n");
        else if (i == 19)
            strbuf_puts(&b, "nineteen\n");
        else
            strbuf_printf(&b, "%d\n", i);
    }
    char *got = textdiff_unified(a.buf, b.buf, "old", "new");
    assert_non_null(strstr(got, "@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n"));
    assert_non_null(strstr(got, "@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+nineteen\n 20\n"));
    free(got);
    strbuf_free(&a);
    strbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_change_in_the_middle),
        cmocka_unit_test(test_add_and_remove),
        cmocka_unit_test(test_two_hunks),
    };
    return cmocka_run_group_tests_name("textdiff", tests, NULL, NULL);
}
