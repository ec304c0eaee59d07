/*
 * test-callargs.c - Flowdapt's argument passing as engine/callargs.c
 * implements it, on hand-made stages and targets: what a root, a
 * dependent and a parameterized stage receive, and the checks made before
 * a run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"

static dapt_param_info params_xy[] = {
    {.name = "x", .type = "number", .required = true},
    {.name = "y", .type = "number", .required = false},
};

static dapt_target_info target(unsigned flags, size_t nparams)
{
    dapt_target_info t = {.target = "p.f", .path = "f", .flags = flags,
                          .params = params_xy, .param_count = nparams};
    return t;
}

static dapt_stage stage(const char *deps0, const char *deps1, dapt_stage_type type)
{
    static char *deps[2];
    dapt_stage st = {.name = "s", .target = "p.f", .type = type, .args = json_object(),
                     .allow_partial_failure = true};
    deps[0] = (char *)deps0;
    deps[1] = (char *)deps1;
    st.depends_on = deps;
    st.depends_count = deps1 ? 2 : deps0 ? 1 : 0;
    return st;
}

static void assert_json(json_t *got, const char *want)
{
    json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
    if (!json_equal(got, w)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
        fail_msg("want %s, got %s", want, g);
    }
    json_decref(w);
}

static void test_root_filters_input(void **state)
{
    (void)state;
    dapt_target_info t = target(0, 2);
    dapt_stage st = stage(NULL, NULL, DAPT_STAGE_SIMPLE);
    json_t *input = json_pack("{s:i, s:i, s:i}", "x", 1, "y", 2, "z", 3);
    json_t *args, *kwargs;
    callargs_build(&args, &kwargs, &st, &t, input, NULL, 0);
    assert_json(args, "[]");
    assert_json(kwargs, "{\"x\": 1, \"y\": 2}");
    json_decref(args);
    json_decref(kwargs);
    /* with KWARGS everything passes */
    t = target(DAPT_TARGET_KWARGS, 2);
    callargs_build(&args, &kwargs, &st, &t, input, NULL, 0);
    assert_json(kwargs, "{\"x\": 1, \"y\": 2, \"z\": 3}");
    json_decref(args);
    json_decref(kwargs);
    /* the stage's args go over the input's */
    json_object_set_new(st.args, "y", json_integer(20));
    t = target(0, 2);
    callargs_build(&args, &kwargs, &st, &t, input, NULL, 0);
    assert_json(kwargs, "{\"x\": 1, \"y\": 20}");
    json_decref(args);
    json_decref(kwargs);
    json_decref(st.args);
    json_decref(input);
}

static void test_dependent_gets_outputs(void **state)
{
    (void)state;
    dapt_target_info t = target(0, 1);
    dapt_stage st = stage("a", "b", DAPT_STAGE_SIMPLE);
    json_t *deps[2] = {json_integer(1), json_integer(2)};
    json_t *input = json_pack("{s:i}", "x", 9);
    json_t *args, *kwargs;
    callargs_build(&args, &kwargs, &st, &t, input, deps, 2);
    /* one param: the second output is dropped; no input for dependents */
    assert_json(args, "[1]");
    assert_json(kwargs, "{}");
    json_decref(args);
    json_decref(kwargs);
    t = target(DAPT_TARGET_VARARGS, 0);
    callargs_build(&args, &kwargs, &st, &t, input, deps, 2);
    assert_json(args, "[1, 2]");
    json_decref(args);
    json_decref(kwargs);
    json_decref(deps[0]);
    json_decref(deps[1]);
    json_decref(input);
    json_decref(st.args);
}

static void test_checks(void **state)
{
    (void)state;
    char *err;
    dapt_target_info none = target(0, 0);
    dapt_stage dep = stage("a", NULL, DAPT_STAGE_SIMPLE);
    assert_int_equal(callargs_check(&dep, &none, NULL, &err), -1);
    assert_non_null(strstr(err, "takes no arguments but depends on a stage"));
    free(err);
    dapt_target_info xy = target(0, 2);
    dapt_stage root = stage(NULL, NULL, DAPT_STAGE_SIMPLE);
    json_t *input = json_pack("{s:i}", "y", 1);
    assert_int_equal(callargs_check(&root, &xy, input, &err), -1);
    assert_non_null(strstr(err, "needs `x` (number)"));
    free(err);
    /* unknown input: not checked yet */
    assert_int_equal(callargs_check(&root, &xy, NULL, &err), 0);
    /* a dependency fills x */
    assert_int_equal(callargs_check(&dep, &xy, NULL, &err), 0);
    dapt_stage map = stage(NULL, NULL, DAPT_STAGE_PARAMETERIZED);
    assert_int_equal(callargs_check(&map, &xy, NULL, &err), -1);
    assert_non_null(strstr(err, "nothing to map over"));
    free(err);
    json_decref(input);
    json_decref(dep.args);
    json_decref(root.args);
    json_decref(map.args);
}

static void test_map_on(void **state)
{
    (void)state;
    /* f(xs, scale) with map_on xs and input {xs: [1,2], scale: 10} */
    dapt_param_info ps[] = {{.name = "xs", .type = "any", .required = true},
                            {.name = "scale", .type = "number", .required = true}};
    dapt_target_info t = {.target = "p.f", .path = "f", .params = ps, .param_count = 2};
    dapt_stage st = stage(NULL, NULL, DAPT_STAGE_PARAMETERIZED);
    st.map_on = "xs";
    json_t *input = json_loads("{\"xs\": [1, 2], \"scale\": 10}", 0, NULL);
    char *err;
    assert_int_equal(callargs_check(&st, &t, input, &err), 0);
    json_t *args, *kwargs;
    callargs_build(&args, &kwargs, &st, &t, input, NULL, 0);
    assert_json(kwargs, "{\"scale\": 10}");
    json_t *items = callargs_items(&st, args, input, &err);
    assert_json(items, "[1, 2]");
    json_t *call = callargs_item_args(&st, &t, args, json_array_get(items, 1));
    assert_json(call, "[2]");
    json_decref(call);
    json_decref(args);
    json_decref(kwargs);
    /* not a list */
    json_object_set_new(input, "xs", json_integer(3));
    callargs_build(&args, &kwargs, &st, &t, input, NULL, 0);
    assert_null(callargs_items(&st, args, input, &err));
    assert_non_null(strstr(err, "maps over input `xs`, which is 3, not a list"));
    free(err);
    json_decref(args);
    json_decref(kwargs);
    json_decref(input);
    json_decref(st.args);
}

static dapt_param_info params_ab[] = {
    {.name = "a", .type = "number", .required = true},
    {.name = "b", .type = "number", .required = true},
    {.name = "c", .type = "number", .required = false},
};

/* A parameterized stage with two dependencies: each call is f(item, k). */
static void test_map_two_deps(void **state)
{
    (void)state;
    dapt_target_info t = {.target = "p.f", .path = "f", .params = params_ab, .param_count = 2};
    dapt_stage st = stage("xs", "k", DAPT_STAGE_PARAMETERIZED);
    assert_int_equal(callargs_positionals(&st), 2);
    char *err;
    /* b is given by the second dependency */
    assert_int_equal(callargs_check(&st, &t, NULL, &err), 0);
    json_t *deps[2] = {json_pack("[i,i]", 1, 2), json_integer(10)};
    json_t *args, *kwargs;
    callargs_build(&args, &kwargs, &st, &t, NULL, deps, 2);
    json_t *items = callargs_items(&st, args, NULL, &err);
    assert_json(items, "[1, 2]");
    json_t *call = callargs_item_args(&st, &t, args, json_array_get(items, 1));
    assert_json(call, "[2, 10]");
    json_decref(call);
    json_decref(args);
    json_decref(kwargs);
    /* a third param: not filled, and not required */
    t.param_count = 3;
    assert_int_equal(callargs_check(&st, &t, NULL, &err), 0);
    json_decref(deps[0]);
    json_decref(deps[1]);
    json_decref(st.args);
}

/* map_on with dependencies: the items come from input[map_on], and every
 * dependency's output follows the item, in depends_on order. */
static void test_map_on_with_deps(void **state)
{
    (void)state;
    dapt_target_info t = {.target = "p.f", .path = "f", .params = params_ab, .param_count = 3};
    dapt_stage st = stage("k", "j", DAPT_STAGE_PARAMETERIZED);
    st.map_on = "xs";
    assert_int_equal(callargs_positionals(&st), 3);
    json_t *input = json_loads("{\"xs\": [1, 2], \"b\": 99}", 0, NULL);
    char *err;
    assert_int_equal(callargs_check(&st, &t, input, &err), 0);
    json_t *deps[2] = {json_integer(10), json_integer(20)};
    json_t *args, *kwargs;
    callargs_build(&args, &kwargs, &st, &t, input, deps, 2);
    assert_json(kwargs, "{}"); /* a dependent stage gets no input */
    json_t *items = callargs_items(&st, args, input, &err);
    assert_json(items, "[1, 2]");
    json_t *call = callargs_item_args(&st, &t, args, json_array_get(items, 0));
    assert_json(call, "[1, 10, 20]");
    json_decref(call);
    /* two params: the last output has nowhere to go */
    t.param_count = 2;
    call = callargs_item_args(&st, &t, args, json_array_get(items, 0));
    assert_json(call, "[1, 10]");
    json_decref(call);
    /* VARARGS: all of them */
    dapt_target_info any = {.target = "p.g", .path = "g", .flags = DAPT_TARGET_VARARGS};
    call = callargs_item_args(&st, &any, args, json_array_get(items, 1));
    assert_json(call, "[2, 10, 20]");
    json_decref(call);
    json_decref(args);
    json_decref(kwargs);
    /* the input must hold the list, dependencies or not */
    json_object_del(input, "xs");
    assert_int_equal(callargs_check(&st, &t, input, &err), -1);
    assert_non_null(strstr(err, "maps over input `xs`, which the run input does not give"));
    free(err);
    json_decref(deps[0]);
    json_decref(deps[1]);
    json_decref(input);
    json_decref(st.args);
}

/* A stage listed twice in depends_on: its output is passed twice. */
static void test_dep_twice(void **state)
{
    (void)state;
    dapt_target_info t = {.target = "p.f", .path = "f", .params = params_ab, .param_count = 2};
    dapt_stage st = stage("a", "a", DAPT_STAGE_SIMPLE);
    char *err;
    assert_int_equal(callargs_check(&st, &t, NULL, &err), 0);
    json_t *out = json_integer(7);
    json_t *deps[2] = {out, out};
    json_t *args, *kwargs;
    callargs_build(&args, &kwargs, &st, &t, NULL, deps, 2);
    assert_json(args, "[7, 7]");
    json_decref(args);
    json_decref(kwargs);
    json_decref(out);
    json_decref(st.args);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_filters_input),
        cmocka_unit_test(test_dependent_gets_outputs),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_map_on),
        cmocka_unit_test(test_map_two_deps),
        cmocka_unit_test(test_map_on_with_deps),
        cmocka_unit_test(test_dep_twice),
    };
    return cmocka_run_group_tests_name("callargs", tests, NULL, NULL);
}
