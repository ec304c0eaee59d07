/*
 * test-typecheck.c - values against declared parameter types
 * (engine/typecheck.c): every JSON type against every type name, integers
 * and numbers, null and optional parameters, unions, arrays of a type,
 * `returns` texts, and the run input of a root stage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"

static bool fits(const char *type, bool optional, const char *value)
{
    json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    bool ok = typecheck_fits(type, optional, v);
    json_decref(v);
    return ok;
}

/* Each JSON type against each type name: only its own (and number for an
 * integer, any for all) fits. */
static void test_each_type(void **state)
{
    (void)state;
    static const char *const values[] = {"null", "true", "3", "2.5", "\"s\"", "[1]", "{\"a\":1}"};
    static const struct {
        const char *type;
        const char *fits; /* one char per value: 1 fits */
    } rows[] = {
        {"null", "1000000"},    {"boolean", "0100000"}, {"integer", "0010000"},
        {"number", "0011000"},  {"string", "0000100"},  {"array", "0000010"},
        {"object", "0000001"},  {"any", "1111111"},     {"", "1111111"},
        {"no such type", "1111111"},
        /* Python's names */
        {"int", "0010000"},     {"float", "0011000"},   {"str", "0000100"},
        {"bool", "0100000"},    {"list", "0000010"},    {"dict", "0000001"},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
        for (size_t i = 0; i < 7; i++) {
            bool want = rows[r].fits[i] == '1';
            if (fits(rows[r].type, false, values[i]) != want)
                fail_msg("%s against %s: want %s", values[i], rows[r].type,
                         want ? "fits" : "does not fit");
        }
}

static void test_integer_number(void **state)
{
    (void)state;
    assert_true(fits("number", false, "3"));
    assert_true(fits("number", false, "-3.25"));
    assert_true(fits("integer", false, "-7"));
    assert_false(fits("integer", false, "2.0")); /* a real is not an integer */
    assert_false(fits("integer", false, "1e3"));
}

static void test_null_optional(void **state)
{
    (void)state;
    assert_false(fits("integer", false, "null"));
    assert_true(fits("integer", true, "null"));
    assert_true(fits("integer|null", false, "null"));
    assert_true(fits("object|null", false, "null"));
    /* optional says the parameter may be null, not its items */
    assert_false(fits("array of integer", true, "[null]"));
    assert_true(fits("array of integer|null", false, "[1, null]"));
}

static void test_unions(void **state)
{
    (void)state;
    assert_true(fits("integer|string", false, "3"));
    assert_true(fits("integer|string", false, "\"x\""));
    assert_false(fits("integer|string", false, "2.5"));
    assert_false(fits("integer | string", false, "[]"));
    assert_true(fits("string|array", false, "[1, \"a\"]"));
    assert_true(fits("string|any", false, "{}"));
}

static void test_nested(void **state)
{
    (void)state;
    assert_true(fits("array of integer", false, "[]"));
    assert_true(fits("array of integer", false, "[1, 2]"));
    assert_false(fits("array of integer", false, "[1, \"2\"]"));
    assert_true(fits("array of number", false, "[1, 2.5]"));
    assert_true(fits("array of array of integer", false, "[[1], [], [2, 3]]"));
    assert_false(fits("array of array of integer", false, "[[1], [2.5]]"));
    assert_false(fits("array of array of integer", false, "[1]"));
    assert_true(fits("array", false, "[[1], \"x\", {}]"));
    assert_true(fits("string|array of string", false, "\"a\""));
    assert_false(fits("string|array of string", false, "[1]"));
}

static void assert_message(const char *type, bool required, const char *value, const char *want)
{
    dapt_param_info p = {.name = "n", .type = (char *)type, .required = required};
    json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
    char *msg = typecheck_param(&p, "dapt.range", v);
    json_decref(v);
    if (want == NULL) {
        assert_null(msg);
        return;
    }
    assert_non_null(msg);
    assert_string_equal(msg, want);
    free(msg);
}

static void test_messages(void **state)
{
    (void)state;
    assert_message("integer", true, "\"abc\"",
                   "`n` of `dapt.range` is an integer; `\"abc\"` is a string");
    assert_message("integer", true, "2.0",
                   "`n` of `dapt.range` is an integer; `2.0` is a real number "
                   "(write `2` for an integer)");
    assert_message("integer", true, "null", "`n` of `dapt.range` is an integer; the value is null");
    assert_message("integer", false, "null", NULL);
    assert_message("integer|string", true, "true",
                   "`n` of `dapt.range` is an integer or a string; `true` is a boolean");
    assert_message("string|integer|null", true, "[]",
                   "`n` of `dapt.range` is a string, an integer or null; `[]` is an array");
    assert_message("array of array of integer", true, "[[1], [2, \"x\"]]",
                   "`n` of `dapt.range` is an array of arrays of integers; item [1][1], "
                   "`\"x\"`, is a string");
    assert_message("array of integer", false, "[1, null]",
                   "`n` of `dapt.range` is an array of integers; item [1] is null");
    assert_message("object", true, "\"a very long string that goes on and on and on\"",
                   "`n` of `dapt.range` is an object; `\"a very long string that goes on "
                   "and ...` is a string");
}

static void assert_returns(const char *text, const char *want)
{
    char *got = typecheck_returns(text);
    if (want == NULL) {
        if (got)
            fail_msg("`%s`: want no type, got %s", text, got);
        return;
    }
    if (got == NULL)
        fail_msg("`%s`: want %s, got no type", text, want);
    assert_string_equal(got, want);
    free(got);
}

static void test_returns(void **state)
{
    (void)state;
    assert_returns("number: x * x", "number");
    assert_returns("integer: the number of lines written", "integer");
    assert_returns("boolean", "boolean");
    assert_returns("list of integers [0, 1, ..., n-1]", "array of integer");
    assert_returns("list of {name, country}", "array of object");
    assert_returns("object {exit: integer, stdout: string}", "object");
    assert_returns("{path, bytes}: the file", "object");
    assert_returns("the value stored", NULL);
    assert_returns("", NULL);
    assert_returns("any", NULL);
    /* Python annotations, as the scanner writes them */
    assert_returns("int", "integer");
    assert_returns("float: the mean", "number");
    assert_returns("list[int]", "array of integer");
    assert_returns("List[str]", "array of string");
    assert_returns("dict[str, int]", "object");
    assert_returns("Optional[int]", "integer|null");
    assert_returns("int | None", "integer|null");
    assert_returns("tuple[int, str]", "array");
    assert_returns("list[list[float]]", "array of array of number");
    assert_returns("pandas.DataFrame", NULL);
}

static void test_compatible(void **state)
{
    (void)state;
    assert_true(typecheck_compatible("integer", "number"));
    assert_true(typecheck_compatible("number", "integer")); /* may be whole */
    assert_false(typecheck_compatible("object", "number"));
    assert_false(typecheck_compatible("string", "integer|array"));
    assert_true(typecheck_compatible("string|null", "string"));
    assert_true(typecheck_compatible("array of integer", "array"));
    assert_true(typecheck_compatible("array", "array of string"));
    assert_false(typecheck_compatible("array of integer", "array of string"));
    assert_true(typecheck_compatible("object", "any"));
    assert_true(typecheck_compatible("any", "integer"));
}

static dapt_param_info params[] = {
    {.name = "x", .type = "number", .required = true},
    {.name = "n", .type = "integer", .required = true},
};

static void test_input(void **state)
{
    (void)state;
    dapt_target_info t = {.target = "p.f", .path = "f", .params = params, .param_count = 2};
    dapt_stage st = {.name = "s", .target = "p.f", .args = json_object()};
    json_t *input = json_pack("{s:s, s:i}", "x", "abc", "n", 2);
    char *error = NULL;
    assert_int_equal(typecheck_input(&st, &t, input, &error), -1);
    assert_string_equal(error, "stage `s`: --input x: `x` of `p.f` is a number; `\"abc\"` is a "
                               "string");
    free(error);
    /* `args:` win over the input, so the input's value is not passed */
    json_object_set_new(st.args, "x", json_integer(1));
    assert_int_equal(typecheck_input(&st, &t, input, &error), 0);
    assert_null(error);
    /* a parameterized root stage: the items of input[map_on] fill `x` */
    json_object_clear(st.args);
    st.type = DAPT_STAGE_PARAMETERIZED;
    st.map_on = "xs";
    json_object_set_new(input, "xs", json_pack("[i, f, s]", 1, 2.5, "c"));
    assert_int_equal(typecheck_input(&st, &t, input, &error), -1);
    assert_string_equal(error, "stage `s`: --input xs[2]: `x` of `p.f` is a number; `\"c\"` is a "
                               "string");
    free(error);
    /* a dependent stage does not receive the input */
    char *deps[] = {"a"};
    st.depends_on = deps;
    st.depends_count = 1;
    st.map_on = NULL;
    assert_int_equal(typecheck_input(&st, &t, input, &error), 0);
    json_decref(input);
    json_decref(st.args);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_type),   cmocka_unit_test(test_integer_number),
        cmocka_unit_test(test_null_optional), cmocka_unit_test(test_unions),
        cmocka_unit_test(test_nested),      cmocka_unit_test(test_messages),
        cmocka_unit_test(test_returns),     cmocka_unit_test(test_compatible),
        cmocka_unit_test(test_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
