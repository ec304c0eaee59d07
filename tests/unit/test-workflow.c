/* test-workflow.c - workflow documents to stages: every field, the options
 * merge, defaults, and the checks across stages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine.h"

typedef struct loaded {
    dapt_bundle *bundle;
    dapt_diags diags;
    int rc;
} loaded;

static const dapt_workflow *load(loaded *l, const char *text)
{
    dapt_diags_init(&l->diags);
    l->rc = dapt_load_buffer(&l->bundle, "w.yaml", text, strlen(text), &l->diags);
    dapt_diags_sort(&l->diags);
    return dapt_bundle_workflow(l->bundle);
}

static void unload(loaded *l)
{
    dapt_bundle_free(l->bundle);
    dapt_diags_free(&l->diags);
}

/* The message of diagnostic i, formatted without the file name. */
static char *diag_at(loaded *l, size_t i)
{
    assert_true(i < l->diags.count);
    const dapt_diag *d = &l->diags.items[i];
    return xasprintf("%d:%d: %s: %s", d->pos.line, d->pos.column,
                     dapt_severity_name(d->severity), d->message);
}

static void assert_diag(loaded *l, size_t i, const char *want)
{
    char *got = diag_at(l, i);
    assert_string_equal(got, want);
    free(got);
}

static void test_every_field(void **state)
{
    loaded l;
    const dapt_workflow *wf = load(&l, "kind: workflow\n"
                                       "metadata:\n"
                                       "  name: full\n"
                                       "  annotations: {group: g, n: 5}\n"
                                       "spec:\n"
                                       "  stages:\n"
                                       "    - name: a\n"
                                       "      target: p.stages.a\n"
                                       "      description: first\n"
                                       "      version: 1.2\n"
                                       "      priority: 3\n"
                                       "      args: {on: [2], deep: {x: null}}\n"
                                       "      timeout: 2h30m\n"
                                       "      retries: 2\n"
                                       "      retry_delay: 500ms\n"
                                       "      resources: {cpus: 2, gpus: 0.5, memory: 2GiB, wheels: 1}\n"
                                       "    - name: b\n"
                                       "      target: p.stages.b\n"
                                       "      type: parameterized\n"
                                       "      depends_on: [a]\n"
                                       "      options: {allow_partial_failure: false}\n");
    assert_int_equal(l.rc, 0);
    assert_int_equal(l.diags.count, 0);
    assert_non_null(wf);
    assert_string_equal(wf->name, "full");
    assert_string_equal(json_string_value(json_object_get(wf->annotations, "n")), "5");
    assert_int_equal(wf->stage_count, 2);
    const dapt_stage *a = &wf->stages[0], *b = &wf->stages[1];
    assert_string_equal(a->target, "p.stages.a");
    assert_string_equal(a->description, "first");
    assert_string_equal(a->version, "1.2");
    assert_true(a->has_priority);
    assert_int_equal(a->priority, 3);
    assert_int_equal(json_array_size(json_object_get(a->args, "on")), 1);
    assert_int_equal(a->timeout_ms, 9000000);
    assert_int_equal(a->retries, 2);
    assert_int_equal(a->retry_delay_ms, 500);
    assert_true(a->resources.cpus == 2.0);
    assert_true(a->resources.gpus == 0.5);
    assert_int_equal(a->resources.memory, 2147483648LL);
    assert_true(json_real_value(json_object_get(a->resources.labels, "wheels")) == 1.0);
    assert_int_equal(a->type, DAPT_STAGE_SIMPLE);
    assert_true(a->allow_partial_failure);
    assert_int_equal(b->type, DAPT_STAGE_PARAMETERIZED);
    assert_int_equal(b->depends_count, 1);
    assert_string_equal(b->depends_on[0], "a");
    assert_int_equal(b->depends_pos[0].line, 20);
    assert_false(b->allow_partial_failure);
    assert_int_equal(b->resources.memory, -1);
    unload(&l);
}

static void test_flat_form_and_defaults(void **state)
{
    loaded l;
    const dapt_workflow *wf = load(&l, "name: \"my_workflow\"\n"
                                       "description: \"uses my_package\"\n"
                                       "stages:\n"
                                       "  - target: my_package.module1.my_stage\n"
                                       "    name: my_stage\n"
                                       "  - target: my_package.module1.other\n"
                                       "    name: ''\n"
                                       "    options: {map_on: items}\n"
                                       "    type: parameterized\n");
    assert_int_equal(l.rc, 0);
    assert_true(wf->flat);
    assert_string_equal(wf->name, "my_workflow");
    assert_string_equal(wf->description, "uses my_package");
    /* an empty name takes the target's function name, as in Flowdapt */
    assert_string_equal(wf->stages[1].name, "other");
    assert_string_equal(wf->stages[1].map_on, "items");
    assert_string_equal(json_string_value(json_object_get(wf->stages[1].options, "map_on")),
                        "items");
    assert_int_equal(wf->stages[0].timeout_ms, 0);
    assert_int_equal(wf->stages[0].retries, 0);
    unload(&l);
}

static void test_options_override_warns(void **state)
{
    loaded l;
    const dapt_workflow *wf = load(&l, "name: w\n"
                                       "stages:\n"
                                       "  - name: a\n"
                                       "    target: p.a\n"
                                       "    timeout: 5s\n"
                                       "    options: {timeout: 10s}\n");
    assert_int_equal(l.rc, 0);
    assert_int_equal(wf->stages[0].timeout_ms, 10000);
    assert_int_equal(l.diags.count, 1);
    assert_diag(&l, 0, "6:15: warning: `options.timeout` overrides the stage's `timeout` (line 5); "
                       "keep one");
    unload(&l);
}

static void test_cross_stage_checks(void **state)
{
    loaded l;
    load(&l, "name: w\n"
             "stages:\n"
             "  - name: fetch\n"
             "    target: p.fetch\n"
             "  - name: fetch\n"
             "    target: p.again\n"
             "    depends_on: [fetchh, fetch]\n"
             "  - name: x\n"
             "    target: p.x\n"
             "    depends_on: [y]\n"
             "  - name: y\n"
             "    target: p.y\n"
             "    depends_on: [z]\n"
             "  - name: z\n"
             "    target: p.z\n"
             "    depends_on: [x]\n");
    assert_int_equal(l.rc, -1);
    assert_diag(&l, 0, "3:11: note: stage `fetch` is first defined here");
    assert_diag(&l, 1, "5:11: error: duplicate stage name `fetch`; it is first defined at line 3");
    assert_diag(&l, 2, "7:18: error: stage `fetch` depends on `fetchh`, which is not a stage of "
                       "this workflow (did you mean `fetch`?)");
    assert_diag(&l, 3, "7:26: error: stage `fetch` depends on itself");
    assert_diag(&l, 4, "10:18: error: dependency cycle: x -> y -> z -> x; remove one of these "
                       "dependencies");
    assert_int_equal(l.diags.count, 5);
    unload(&l);
}

static void test_bad_values(void **state)
{
    loaded l;
    load(&l, "name: w\n"
             "stages:\n"
             "  - name: a\n"
             "    target: p.a\n"
             "    type: parameter\n"
             "    retries: many\n"
             "    timeout: 0s\n"
             "    resources: {memory: 8XB}\n"
             "    priority: high\n"
             "    args: [1]\n");
    assert_int_equal(l.rc, -1);
    assert_diag(&l, 0, "5:11: error: unknown stage type `parameter` (did you mean `parameterized`?)");
    assert_diag(&l, 1, "6:14: error: `retries` must be a whole number from 0 to 1000, not a string");
    assert_diag(&l, 2, "7:14: error: `timeout` must be longer than zero; leave it out for no limit");
    assert_diag(&l, 3, "8:25: error: cannot read `8XB` as a size: write bytes or a number with a "
                       "unit, e.g. 512M, 8GB, 2GiB");
    assert_diag(&l, 4, "9:15: error: `priority` must be a whole number, not a string");
    assert_diag(&l, 5, "10:11: error: `args` must be a mapping of argument names to values, not a "
                       "list");
    unload(&l);
}

/* A memory size past what int64_t holds is refused, not converted. */
static void test_memory_too_large(void **state)
{
    loaded l;
    load(&l, "name: w\n"
             "stages:\n"
             "  - name: a\n"
             "    target: p.a\n"
             "    resources: {memory: 1e300}\n"
             "  - name: b\n"
             "    target: p.b\n"
             "    resources: {memory: 9.3e18}\n");
    assert_int_equal(l.rc, -1);
    assert_diag(&l, 0, "5:25: error: resource `memory` is too large: at most 9.2e18 bytes (8 EiB)");
    assert_diag(&l, 1, "8:25: error: resource `memory` is too large: at most 9.2e18 bytes (8 EiB)");
    unload(&l);
}

/* What Flowdapt reads only from `options`, or only beside `target`: the
 * other place is ignored, with a warning. */
static void test_options_only_where_flowdapt_reads_them(void **state)
{
    loaded l;
    const dapt_workflow *wf = load(&l, "name: w\n"
                                       "stages:\n"
                                       "  - name: xs\n"
                                       "    target: p.xs\n"
                                       "  - name: a\n"
                                       "    target: p.a\n"
                                       "    type: parameterized\n"
                                       "    depends_on: [xs]\n"
                                       "    map_on: items\n"
                                       "    allow_partial_failure: false\n"
                                       "    options: {type: simple}\n");
    assert_int_equal(l.rc, 0);
    const dapt_stage *a = &wf->stages[1];
    assert_int_equal(a->type, DAPT_STAGE_PARAMETERIZED);
    assert_null(a->map_on);
    assert_true(a->allow_partial_failure);
    assert_int_equal(l.diags.count, 3);
    assert_diag(&l, 0, "9:5: warning: `map_on` has no effect beside `target` (Flowdapt ignores it "
                       "there too): it is an option; write it under `options`, e.g. `options: "
                       "{map_on: items}`");
    assert_diag(&l, 1, "10:5: warning: `allow_partial_failure` has no effect beside `target` "
                       "(Flowdapt ignores it there too): it is an option; write it under "
                       "`options`, e.g. `options: {allow_partial_failure: false}`");
    assert_diag(&l, 2, "11:15: warning: `options.type` has no effect: a stage's type comes from "
                       "its own `type`; write `type:` beside `target`");
    unload(&l);
    /* under options they are read */
    wf = load(&l, "name: w\n"
                  "stages:\n"
                  "  - name: a\n"
                  "    target: p.a\n"
                  "    type: parameterized\n"
                  "    options: {map_on: items, allow_partial_failure: false}\n");
    assert_int_equal(l.diags.count, 0);
    assert_string_equal(wf->stages[0].map_on, "items");
    assert_false(wf->stages[0].allow_partial_failure);
    unload(&l);
}

/* depends_on: a single name is a list of one (Flowdapt 0.1.52 refuses
 * it), and an entry listed twice stays twice: it is passed twice. */
static void test_depends_on_single_and_twice(void **state)
{
    loaded l;
    const dapt_workflow *wf = load(&l, "name: w\n"
                                       "stages:\n"
                                       "  - {name: a, target: p.a}\n"
                                       "  - {name: b, target: p.b, depends_on: a}\n"
                                       "  - {name: c, target: p.c, depends_on: [a, b, a]}\n");
    assert_int_equal(l.rc, 0);
    assert_int_equal(wf->stages[1].depends_count, 1);
    assert_string_equal(wf->stages[1].depends_on[0], "a");
    assert_int_equal(wf->stages[2].depends_count, 3);
    assert_string_equal(wf->stages[2].depends_on[2], "a");
    assert_int_equal(l.diags.count, 2);
    assert_diag(&l, 0, "4:40: warning: `depends_on` is a list of stage names: write `[a]`; dapt "
                       "reads a single name, but Flowdapt 0.1.52 rejects it");
    assert_diag(&l, 1, "5:47: warning: `a` is listed twice in `depends_on` (entries 1 and 3): its "
                       "output is passed twice; list it once unless that is meant");
    unload(&l);
    /* a missing stage listed twice is said once */
    load(&l, "name: w\n"
             "stages:\n"
             "  - {name: a, target: p.a, depends_on: [zz, zz]}\n");
    assert_int_equal(l.rc, -1);
    assert_int_equal(l.diags.count, 2);
    assert_diag(&l, 0, "3:41: error: stage `a` depends on `zz`, which is not a stage of this "
                       "workflow");
    unload(&l);
}

static void test_big_workflow_is_fast_enough_to_load(void **state)
{
    /* 5,000 stages in a chain: exercises the name table and the graph
     * without recursion; a quadratic pass would show up as a timeout. */
    strbuf sb = {0};
    strbuf_puts(&sb, "name: big\nstages:\n");
    for (int i = 0; i < 5000; i++) {
        strbuf_printf(&sb, "  - name: s%d\n    target: p.s\n", i);
        if (i > 0)
            strbuf_printf(&sb, "    depends_on: [s%d]\n", i - 1);
    }
    loaded l;
    const dapt_workflow *wf = load(&l, sb.buf);
    assert_int_equal(l.rc, 0);
    assert_int_equal(wf->stage_count, 5000);
    strbuf_free(&sb);
    unload(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_field),
        cmocka_unit_test(test_flat_form_and_defaults),
        cmocka_unit_test(test_options_override_warns),
        cmocka_unit_test(test_cross_stage_checks),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_memory_too_large),
        cmocka_unit_test(test_options_only_where_flowdapt_reads_them),
        cmocka_unit_test(test_depends_on_single_and_twice),
        cmocka_unit_test(test_big_workflow_is_fast_enough_to_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
