/* test-rule.c - the condition rule language of trigger rules (rule.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine.h"

/* A workflow_finished event in Flowdapt's envelope, as a trigger sees it. */
static const char *const finished_event =
    "{\"id\": \"42\", \"time\": \"2024-05-01T12:00:00Z\", \"channel\": \"workflows\","
    " \"source\": \"compute\", \"type\": \"com.event.workflow.workflow_finished\","
    " \"data\": {\"id\": \"r1\", \"workflow\": \"train\", \"state\": \"finished\","
    "  \"source\": \"cli\", \"duration_s\": 1.5, \"error\": null, \"result\": [1, 2, 3],"
    "  \"trigger\": null, \"count\": 3, \"flag\": true,"
    "  \"stages\": [{\"name\": \"load\", \"state\": \"finished\"},"
    "              {\"name\": \"fit\", \"state\": \"failed\"}]}}";

static json_t *load(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
    if (j == NULL)
        fail_msg("bad test JSON %s: %s", text, err.text);
    return j;
}

/* Match `rule_text` against `event_text` (the finished event if NULL). */
static int match_on(const char *rule_text, const char *event_text)
{
    json_t *rule = load(rule_text);
    json_t *event = load(event_text != NULL ? event_text : finished_event);
    char *error = NULL;
    int rc = rule_match(rule, event, &error);
    if (rc < 0)
        fail_msg("%s: unexpected error: %s", rule_text, error);
    assert_null(error);
    json_decref(rule);
    json_decref(event);
    return rc;
}

static int match(const char *rule_text)
{
    return match_on(rule_text, NULL);
}

#define assert_true_rule(r) assert_int_equal(match(r), 1)
#define assert_false_rule(r) assert_int_equal(match(r), 0)

/* Evaluate and compare the value with `want_text` (JSON). */
static void assert_value(const char *rule_text, const char *want_text)
{
    json_t *rule = load(rule_text), *event = load(finished_event), *want = load(want_text);
    json_t *out = NULL;
    char *error = NULL;
    if (rule_eval(rule, event, &out, &error) != 0)
        fail_msg("%s: unexpected error: %s", rule_text, error);
    char *got = json_dumps(out, JSON_ENCODE_ANY | JSON_SORT_KEYS);
    char *exp = json_dumps(want, JSON_ENCODE_ANY | JSON_SORT_KEYS);
    if (!json_equal(out, want) || json_typeof(out) != json_typeof(want))
        fail_msg("%s: got %s, want %s", rule_text, got, exp);
    free(got);
    free(exp);
    json_decref(out);
    json_decref(rule);
    json_decref(event);
    json_decref(want);
}

/* Evaluation fails, with a message holding `want`. */
static void assert_error(const char *rule_text, const char *want)
{
    json_t *rule = load(rule_text), *event = load(finished_event);
    json_t *out = (json_t *)1;
    char *error = NULL;
    assert_int_equal(rule_eval(rule, event, &out, &error), -1);
    assert_null(out);
    assert_non_null(error);
    if (strstr(error, want) == NULL)
        fail_msg("%s: error \"%s\" lacks \"%s\"", rule_text, error, want);
    free(error);
    error = NULL;
    assert_int_equal(rule_match(rule, event, &error), -1);
    assert_non_null(error);
    free(error);
    json_decref(rule);
    json_decref(event);
}

static void test_eq_ne(void **state)
{
    assert_true_rule("{\"eq\": [1, 1]}");
    assert_false_rule("{\"eq\": [1, 2]}");
    assert_true_rule("{\"eq\": [1, 1.0]}"); /* numbers by value */
    assert_true_rule("{\"eq\": [-0.0, 0]}");
    assert_true_rule("{\"eq\": [\"a\", \"a\"]}");
    assert_false_rule("{\"eq\": [\"a\", \"ab\"]}");
    assert_true_rule("{\"eq\": [null, null]}");
    assert_true_rule("{\"eq\": [true, true]}");
    assert_false_rule("{\"eq\": [true, false]}");
    assert_true_rule("{\"eq\": [[1, [2, {\"a\": 3}]], [1.0, [2, {\"a\": 3.0}]]]}");
    assert_false_rule("{\"eq\": [[1, 2], [2, 1]]}");
    assert_false_rule("{\"eq\": [[1, 2], [1, 2, 3]]}");
    assert_true_rule("{\"eq\": [{\"var\": \"data.result\"}, [1, 2, 3]]}");
    /* mappings can only come from the event: a mapping in a rule is a rule */
    assert_true_rule("{\"eq\": [{\"var\": \"data\"}, {\"var\": \"data\"}]}");
    assert_false_rule("{\"eq\": [{\"var\": \"data.stages.0\"}, {\"var\": \"data.stages.1\"}]}");
    assert_true_rule("{\"ne\": [{\"var\": \"data.stages.0\"}, {\"var\": \"data.stages.1\"}]}");
    assert_true_rule("{\"ne\": [1, 2]}");
    assert_false_rule("{\"ne\": [1, 1.0]}");
    assert_true_rule("{\"ne\": [\"x\", \"y\"]}");
    assert_false_rule("{\"ne\": [null, null]}");
}

static void test_eq_types(void **state)
{
    /* JSON types decide: no coercion between them (Python has True == 1) */
    assert_false_rule("{\"eq\": [1, \"1\"]}");
    assert_false_rule("{\"eq\": [true, 1]}");
    assert_false_rule("{\"eq\": [false, 0]}");
    assert_false_rule("{\"eq\": [null, 0]}");
    assert_false_rule("{\"eq\": [null, false]}");
    assert_false_rule("{\"eq\": [\"\", null]}");
    assert_false_rule("{\"eq\": [[], \"\"]}");
    assert_true_rule("{\"ne\": [1, \"1\"]}");
    assert_true_rule("{\"ne\": [true, 1]}");
    assert_true_rule("{\"ne\": [null, 0]}");
    /* exact beyond a double's precision: 2^53 + 1 is not 2^53 */
    assert_false_rule("{\"eq\": [9007199254740993, 9007199254740992.0]}");
    assert_true_rule("{\"eq\": [9007199254740992, 9007199254740992.0]}");
    assert_true_rule("{\"lt\": [9007199254740992.0, 9007199254740993]}");
    assert_true_rule("{\"gt\": [9223372036854775807, 1e18]}");
    assert_false_rule("{\"eq\": [9223372036854775807, 9223372036854775808.0]}");
    assert_true_rule("{\"lt\": [9223372036854775807, 9223372036854775808.0]}");
}

static void test_ordering(void **state)
{
    assert_true_rule("{\"gt\": [2, 1]}");
    assert_false_rule("{\"gt\": [1, 1]}");
    assert_false_rule("{\"gt\": [1, 2]}");
    assert_true_rule("{\"lt\": [1, 2.5]}");
    assert_false_rule("{\"lt\": [2.5, 2.5]}");
    assert_true_rule("{\"ge\": [2, 2.0]}");
    assert_true_rule("{\"ge\": [3, 2]}");
    assert_false_rule("{\"ge\": [1, 2]}");
    assert_true_rule("{\"le\": [-1, 0]}");
    assert_true_rule("{\"le\": [0.5, 0.5]}");
    assert_false_rule("{\"le\": [1, 0]}");
    /* strings by byte order */
    assert_true_rule("{\"lt\": [\"abc\", \"abd\"]}");
    assert_true_rule("{\"lt\": [\"ab\", \"abc\"]}");
    assert_true_rule("{\"gt\": [\"b\", \"abc\"]}");
    assert_true_rule("{\"lt\": [\"Z\", \"a\"]}");
    assert_true_rule("{\"ge\": [\"x\", \"x\"]}");
    assert_false_rule("{\"gt\": [\"x\", \"x\"]}");
    /* event values */
    assert_true_rule("{\"gt\": [{\"var\": \"data.duration_s\"}, 1]}");
    assert_true_rule("{\"le\": [{\"var\": \"data.count\"}, 3]}");
}

static void test_ordering_unordered(void **state)
{
    /* null, mixed types, booleans, lists: false, never an error */
    const char *ops[] = {"gt", "lt", "ge", "le"};
    const char *pairs[] = {"null, null",  "null, 1",    "1, null",  "1, \"1\"", "\"2\", 1",
                           "true, false", "true, true", "[1], [1]", "[1], 1"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        for (size_t j = 0; j < sizeof pairs / sizeof pairs[0]; j++) {
            char *r = xasprintf("{\"%s\": [%s]}", ops[i], pairs[j]);
            assert_int_equal(match(r), 0);
            free(r);
        }
    }
    /* a missing field compared with a number: no fire */
    assert_false_rule("{\"gt\": [{\"var\": \"data.nope\"}, 0]}");
    assert_false_rule("{\"le\": [{\"var\": \"data.nope\"}, 0]}");
}

static void test_and_or(void **state)
{
    assert_true_rule("{\"and\": [true, true]}");
    assert_false_rule("{\"and\": [true, false]}");
    assert_false_rule("{\"and\": [false, true]}");
    assert_true_rule("{\"and\": []}");
    assert_true_rule("{\"and\": [1, \"x\", [0], 0.1]}");
    assert_false_rule("{\"and\": [1, \"x\", []]}");
    /* Flowdapt's `or` once behaved as `and` (reduce with `and`) */
    assert_true_rule("{\"or\": [true, false]}");
    assert_true_rule("{\"or\": [false, true]}");
    assert_false_rule("{\"or\": [false, false]}");
    assert_false_rule("{\"or\": []}");
    assert_true_rule("{\"or\": [0, \"\", null, 3]}");
    assert_false_rule("{\"or\": [0, \"\", null, [], 0.0]}");
    /* mixed nesting */
    assert_true_rule("{\"or\": [{\"and\": [true, false]}, {\"and\": [true, true]}]}");
    assert_false_rule("{\"and\": [{\"or\": [false, true]}, {\"or\": [false, false]}]}");
    assert_true_rule("{\"and\": [{\"or\": [false, true]}, {\"not\": {\"and\": [true, false]}}]}");
    /* booleans, not the last value (Flowdapt's `and` returns it) */
    assert_value("{\"and\": [1, 2]}", "true");
    assert_value("{\"and\": [1, 0]}", "false");
    assert_value("{\"or\": [0, \"x\"]}", "true");
    assert_value("{\"or\": [0, \"\"]}", "false");
    /* a lone argument */
    assert_true_rule("{\"and\": true}");
    assert_false_rule("{\"or\": 0}");
}

static void test_short_circuit(void **state)
{
    /* the argument after the deciding one is not evaluated: its error
     * goes unseen */
    assert_false_rule("{\"and\": [false, {\"eq\": [1, 2, 3]}]}");
    assert_true_rule("{\"or\": [true, {\"bogus\": 1}]}");
    assert_error("{\"and\": [true, {\"eq\": [1, 2, 3]}]}", "`eq` takes 2 arguments, got 3");
    assert_error("{\"or\": [false, {\"bogus\": 1}]}", "unknown rule operator `bogus`");
}

static void test_not_bool(void **state)
{
    assert_true_rule("{\"not\": [false]}");
    assert_false_rule("{\"not\": [true]}");
    assert_true_rule("{\"not\": false}"); /* scalar shorthand */
    assert_true_rule("{\"not\": null}");
    assert_true_rule("{\"not\": 0}");
    assert_true_rule("{\"not\": \"\"}");
    assert_false_rule("{\"not\": \"no\"}");
    assert_true_rule("{\"not\": [[]]}"); /* the argument is the empty list */
    assert_true_rule("{\"not\": {\"eq\": [1, 2]}}");
    assert_value("{\"not\": 5}", "false");
    assert_true_rule("{\"bool\": 1}");
    assert_true_rule("{\"bool\": [\"x\"]}");
    assert_false_rule("{\"bool\": [0.0]}");
    assert_value("{\"bool\": [[0]]}", "true");
    assert_value("{\"bool\": {\"var\": \"data.flag\"}}", "true");
    assert_value("{\"bool\": {\"var\": \"data.error\"}}", "false");
}

static void test_truthy(void **state)
{
    const char *falsy[] = {"null", "false", "0", "0.0", "-0.0", "\"\"", "[]", "{}"};
    const char *truthy[] = {"true", "1", "-1", "0.5", "\"0\"", "\" \"", "[0]", "{\"a\": null}"};
    for (size_t i = 0; i < sizeof falsy / sizeof falsy[0]; i++) {
        json_t *v = load(falsy[i]);
        if (rule_truthy(v))
            fail_msg("%s is truthy", falsy[i]);
        json_decref(v);
    }
    for (size_t i = 0; i < sizeof truthy / sizeof truthy[0]; i++) {
        json_t *v = load(truthy[i]);
        if (!rule_truthy(v))
            fail_msg("%s is falsy", truthy[i]);
        json_decref(v);
    }
    assert_false(rule_truthy(NULL));
}

static void test_var(void **state)
{
    assert_value("{\"var\": \"type\"}", "\"com.event.workflow.workflow_finished\"");
    assert_value("{\"var\": [\"id\"]}", "\"42\"");
    assert_value("{\"var\": \"data.workflow\"}", "\"train\"");
    assert_value("{\"var\": \"data.duration_s\"}", "1.5");
    assert_value("{\"var\": \"data.stages.0.name\"}", "\"load\"");
    assert_value("{\"var\": \"data.stages.1.state\"}", "\"failed\"");
    assert_value("{\"var\": \"data.result.2\"}", "3");
    assert_value("{\"var\": \"data.stages.1\"}", "{\"name\": \"fit\", \"state\": \"failed\"}");
    assert_value("{\"var\": \"data\"}",
                 "{\"id\": \"r1\", \"workflow\": \"train\", "
                 "\"state\": \"finished\", \"source\": \"cli\", \"duration_s\": 1.5, "
                 "\"error\": null, \"result\": [1, 2, 3], \"trigger\": null, \"count\": 3, "
                 "\"flag\": true, \"stages\": [{\"name\": \"load\", \"state\": \"finished\"}, "
                 "{\"name\": \"fit\", \"state\": \"failed\"}]}");
    /* the path may itself be computed */
    assert_value("{\"var\": {\"var\": [\"nope\", \"data.workflow\"]}}", "\"train\"");
}

static void test_var_missing(void **state)
{
    const char *missing[] = {
        "nope",                                /* no such key */
        "data.nope",                           /* nested */
        "data.workflow.name",                  /* a string on the way */
        "data.error.x",                        /* null on the way */
        "data.count.0",                        /* a number on the way */
        "data.stages.2.name",                  /* index out of range */
        "data.stages.-1",                      /* no negative indices */
        "data.stages.x",                       /* not an index */
        "data.stages.01x",                     /* not an index */
        "data.stages.99999999999999999999999", /* too large */
        "data.stages.",                        /* empty segment */
        "",                                    /* no key "" */
        "data..workflow",
    };
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        char *r = xasprintf("{\"eq\": [{\"var\": \"%s\"}, null]}", missing[i]);
        if (match(r) != 1)
            fail_msg("var %s is not null", missing[i]);
        free(r);
    }
    assert_true_rule("{\"eq\": [{\"var\": \"nope\"}, null]}");
    assert_false_rule("{\"eq\": [{\"var\": \"nope\"}, \"\"]}");
    assert_false_rule("{\"bool\": {\"var\": \"nope\"}}");
    /* a null event: everything is missing */
    json_t *rule = load("{\"eq\": [{\"var\": \"type\"}, null]}");
    char *error = NULL;
    assert_int_equal(rule_match(rule, NULL, &error), 1);
    json_decref(rule);
}

static void test_var_default(void **state)
{
    assert_value("{\"var\": [\"nope\", 7]}", "7");
    assert_value("{\"var\": [\"data.stages.5.name\", \"none\"]}", "\"none\"");
    assert_value("{\"var\": [\"data.workflow\", \"other\"]}", "\"train\"");
    /* a key present with null is null, not the default */
    assert_value("{\"var\": [\"data.error\", \"fallback\"]}", "null");
    /* the default may be a rule */
    assert_value("{\"var\": [\"nope\", {\"var\": \"data.state\"}]}", "\"finished\"");
    assert_value("{\"var\": [\"nope\", [1, {\"a\": 2}]]}", "[1, {\"a\": 2}]");
    assert_true_rule("{\"gt\": [{\"var\": [\"data.retries\", 0]}, -1]}");
}

static void test_shorthand(void **state)
{
    /* a lone value is a list of one; a lone mapping is evaluated */
    assert_true_rule("{\"not\": false}");
    assert_true_rule("{\"bool\": {\"eq\": [{\"var\": \"data.state\"}, \"finished\"]}}");
    assert_value("{\"var\": \"data.state\"}", "\"finished\"");
    /* lists among the arguments are literals, their items not evaluated */
    assert_false_rule(
        "{\"eq\": [[{\"var\": \"type\"}], [\"com.event.workflow.workflow_finished\"]]}");
    assert_value("{\"not\": [[{\"eq\": [1, 2]}]]}", "false");
    /* a rule that is not a mapping is a literal */
    assert_value("true", "true");
    assert_value("[1, 2]", "[1, 2]");
    assert_value("\"x\"", "\"x\"");
}

static void test_typical(void **state)
{
    const char *rule = "{\"and\": ["
                       "{\"eq\": [{\"var\": \"type\"}, \"com.event.workflow.workflow_finished\"]},"
                       "{\"eq\": [{\"var\": \"data.workflow\"}, \"train\"]},"
                       "{\"eq\": [{\"var\": \"data.state\"}, \"finished\"]}]}";
    assert_int_equal(match_on(rule, NULL), 1);
    /* another workflow */
    assert_int_equal(match_on(rule, "{\"type\": \"com.event.workflow.workflow_finished\","
                                    " \"data\": {\"workflow\": \"predict\", \"state\": "
                                    "\"finished\"}}"),
                     0);
    /* failed */
    assert_int_equal(match_on(rule, "{\"type\": \"com.event.workflow.workflow_finished\","
                                    " \"data\": {\"workflow\": \"train\", \"state\": \"failed\"}}"),
                     0);
    /* another event type */
    assert_int_equal(match_on(rule, "{\"type\": \"com.event.workflow.workflow_started\","
                                    " \"data\": {\"workflow\": \"train\", \"state\": "
                                    "\"finished\"}}"),
                     0);
    /* an event without data */
    assert_int_equal(match_on(rule, "{\"type\": \"com.event.workflow.workflow_finished\"}"), 0);
    assert_int_equal(match_on(rule, "{}"), 0);

    /* fall back when train fails or any stage of it failed */
    const char *fallback = "{\"and\": ["
                           "{\"eq\": [{\"var\": \"data.workflow\"}, \"train\"]},"
                           "{\"or\": [{\"eq\": [{\"var\": \"data.state\"}, \"failed\"]},"
                           "          {\"eq\": [{\"var\": \"data.stages.1.state\"}, "
                           "\"failed\"]}]}]}";
    assert_int_equal(match_on(fallback, NULL), 1);
    assert_int_equal(match_on(fallback, "{\"data\": {\"workflow\": \"train\", \"state\": "
                                        "\"finished\", \"stages\": []}}"),
                     0);
}

static void test_errors(void **state)
{
    assert_error("{\"eq\": [1, 2, 3]}", "`eq` takes 2 arguments, got 3");
    assert_error("{\"eq\": 1}", "`eq` takes 2 arguments, got 1");
    assert_error("{\"ge\": []}", "`ge` takes 2 arguments, got 0");
    assert_error("{\"not\": [true, false]}", "`not` takes 1 argument, got 2");
    assert_error("{\"not\": []}", "`not` takes 1 argument, got 0");
    assert_error("{\"bool\": [1, 2]}", "`bool` takes 1 argument, got 2");
    assert_error("{\"var\": []}", "`var` takes a path and an optional default, got 0 arguments");
    assert_error("{\"var\": [\"a\", 1, 2]}", "`var` takes a path and an optional default, got 3");
    assert_error("{\"var\": 3}", "`var` takes a path string such as data.workflow, not a number");
    assert_error("{\"var\": [null]}", "not null");
    assert_error("{\"var\": [[\"a\"]]}", "not a list");
    assert_error("{\"var\": {\"var\": \"data.count\"}}", "not a number");
    assert_error("{\"eqq\": [1, 1]}", "unknown rule operator `eqq` (did you mean `eq`?)");
    assert_error("{\"xor\": [1, 1]}", "unknown rule operator `xor` (did you mean `or`?)");
    assert_error("{\"contains\": [1, 1]}",
                 "unknown rule operator `contains`; expected eq, ne, gt, lt, ge, le, and, or, "
                 "not, bool or var");
    assert_error("{}", "an empty mapping is not a rule");
    assert_error("{\"bool\": [{}]}", "an empty mapping is not a rule");
    assert_error("{\"eq\": [1, 1], \"ne\": [1, 2]}",
                 "a rule mapping holds one operator, found 2: `eq`, `ne`");
    /* the location of a nested error */
    assert_error("{\"and\": [true, {\"or\": [false, {\"not\": [1, 2]}]}]}",
                 "`not` takes 1 argument, got 2 (at and[1].or[1])");
    assert_error("{\"eq\": [{\"var\": \"x\"}, {\"var\": 5}]}",
                 "`var` takes a path string such as data.workflow, not a number (at eq[1])");
    assert_error("{\"not\": {}}", "an empty mapping is not a rule; write one operator, e.g. "
                                  "{eq: [{var: data.state}, failed]} (at not[0])");
}

/* A chain of `not`s, `levels` mappings deep around `true`. */
static char *nots(int levels)
{
    strbuf sb = {0};
    for (int i = 0; i < levels; i++)
        strbuf_puts(&sb, "{\"not\": ");
    strbuf_puts(&sb, "true");
    for (int i = 0; i < levels; i++)
        strbuf_putc(&sb, '}');
    return strbuf_detach(&sb);
}

static void test_depth(void **state)
{
    char *ok = nots(64);
    assert_int_equal(match(ok), 1); /* an even number of nots */
    free(ok);
    char *deep = nots(65);
    assert_error(deep, "rule nested deeper than 64 levels");
    free(deep);
    char *deeper = nots(1000);
    assert_error(deeper, "rule nested deeper than 64 levels");
    free(deeper);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eq_ne),       cmocka_unit_test(test_eq_types),
        cmocka_unit_test(test_ordering),    cmocka_unit_test(test_ordering_unordered),
        cmocka_unit_test(test_and_or),      cmocka_unit_test(test_short_circuit),
        cmocka_unit_test(test_not_bool),    cmocka_unit_test(test_truthy),
        cmocka_unit_test(test_var),         cmocka_unit_test(test_var_missing),
        cmocka_unit_test(test_var_default), cmocka_unit_test(test_shorthand),
        cmocka_unit_test(test_typical),     cmocka_unit_test(test_errors),
        cmocka_unit_test(test_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
