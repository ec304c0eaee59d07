/* test-diag.c - diagnostics: format, sort, JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "engine.h"

static void test_format_and_sort(void **state)
{
    dapt_diags d;
    dapt_diags_init(&d);
    dapt_diags_add(&d, "b.yaml", (dapt_pos){3, 1}, DAPT_SEV_ERROR, "late %d", 1);
    dapt_diags_add(&d, "a.yaml", (dapt_pos){9, 9}, DAPT_SEV_WARNING, "other file");
    dapt_diags_add(&d, "b.yaml", (dapt_pos){1, 5}, DAPT_SEV_NOTE, "early");
    dapt_diags_add(&d, "b.yaml", (dapt_pos){1, 5}, DAPT_SEV_ERROR, "same place, later");
    dapt_diags_sort(&d);
    /* files keep the order they were first reported in */
    char *s0 = dapt_diag_format(&d.items[0]);
    char *s1 = dapt_diag_format(&d.items[1]);
    char *s2 = dapt_diag_format(&d.items[2]);
    char *s3 = dapt_diag_format(&d.items[3]);
    assert_string_equal(s0, "b.yaml:1:5: note: early");
    assert_string_equal(s1, "b.yaml:1:5: error: same place, later");
    assert_string_equal(s2, "b.yaml:3:1: error: late 1");
    assert_string_equal(s3, "a.yaml:9:9: warning: other file");
    free(s0);
    free(s1);
    free(s2);
    free(s3);
    assert_int_equal(dapt_diags_count(&d, DAPT_SEV_ERROR), 2);
    json_t *j = dapt_diags_to_json(&d);
    assert_int_equal(json_array_size(j), 4);
    json_t *first = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(first, "file")), "b.yaml");
    assert_int_equal(json_integer_value(json_object_get(first, "line")), 1);
    assert_int_equal(json_integer_value(json_object_get(first, "column")), 5);
    assert_string_equal(json_string_value(json_object_get(first, "severity")), "note");
    json_decref(j);
    dapt_diags_free(&d);
}

static void test_no_position(void **state)
{
    dapt_diags d;
    dapt_diags_init(&d);
    dapt_diags_add(&d, "gone.yaml", (dapt_pos){0, 0}, DAPT_SEV_ERROR, "cannot open");
    char *s = dapt_diag_format(&d.items[0]);
    assert_string_equal(s, "gone.yaml: error: cannot open");
    free(s);
    dapt_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_sort),
        cmocka_unit_test(test_no_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
