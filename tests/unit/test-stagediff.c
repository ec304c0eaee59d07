/*
 * test-stagediff.c - unit tests of engine/stagediff.c: two versions of a
 * workflow, written as YAML and loaded as `dapt diff --stages` loads them,
 * compared stage by stage.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"

/* Whether the next loads may have errors (a workflow with errors still
 * loads, as an editor shows it). */
static bool errors_allowed;

/* The workflow of a YAML text; `stages` is the list under spec.stages
 * (indented by 4), or a whole document when it starts with "kind:". */
static dapt_bundle *load(const char *stages)
{
    char *text =
        strncmp(stages, "kind:", 5) == 0
            ? xstrdup(stages)
            : xasprintf("kind: workflow\nmetadata:\n  name: w\nspec:\n  stages:\n%s", stages);
    dapt_diags diags;
    dapt_bundle *b;
    dapt_diags_init(&diags);
    int rc = dapt_load_buffer(&b, "test.yaml", text, strlen(text), &diags);
    for (size_t i = 0; rc < 0 && !errors_allowed && i < diags.count; i++) {
        char *line = dapt_diag_format(&diags.items[i]);
        print_message("%s\n", line);
        free(line);
    }
    assert_true(rc == 0 || errors_allowed);
    assert_non_null(dapt_bundle_workflow(b));
    dapt_diags_free(&diags);
    free(text);
    return b;
}

/* stagediff_text of old -> new (either NULL: no workflow). */
static char *diff_text(const char *old, const char *new)
{
    dapt_bundle *a = old ? load(old) : NULL, *b = new ? load(new) : NULL;
    stagediff d;
    stagediff_compute(&d, a ? dapt_bundle_workflow(a) : NULL, b ? dapt_bundle_workflow(b) : NULL);
    char *text = stagediff_text(&d);
    stagediff_free(&d);
    if (a)
        dapt_bundle_free(a);
    if (b)
        dapt_bundle_free(b);
    return text;
}

static char *diff_summary(const char *old, const char *new)
{
    dapt_bundle *a = load(old), *b = load(new);
    stagediff d;
    stagediff_compute(&d, dapt_bundle_workflow(a), dapt_bundle_workflow(b));
    char *text = stagediff_summary(&d, dapt_bundle_workflow(b)->name);
    stagediff_free(&d);
    dapt_bundle_free(a);
    dapt_bundle_free(b);
    return text;
}

/* The text of old -> new is `want`. */
static void expect_text(const char *old, const char *new, const char *want)
{
    char *text = diff_text(old, new);
    assert_string_equal(text, want);
    free(text);
}

/* One changed stage `s` whose fields are `fields` ("a; b"). */
static void expect_fields(const char *old, const char *new, const char *fields)
{
    char *want = xasprintf("~ stage s: %s\n", fields);
    expect_text(old, new, want);
    free(want);
}

#define ONE(extra) "    - name: s\n      target: p.t\n" extra

static void test_equal(void **state)
{
    (void)state;
    const char *wf = "    - name: a\n      target: p.a\n"
                     "    - name: b\n      target: p.b\n      depends_on: [a]\n"
                     "      args: {x: 1, y: [1, 2]}\n";
    expect_text(wf, wf, "");
    char *s = diff_summary(wf, wf);
    assert_string_equal(s, "workflow w: no stage changes");
    free(s);
}

static void test_reorder_is_no_change(void **state)
{
    (void)state;
    expect_text("    - name: a\n      target: p.a\n"
                "    - name: b\n      target: p.b\n      args: {x: 1, y: 2}\n"
                "    - name: c\n      target: p.c\n",
                "    - name: c\n      target: p.c\n"
                "    - name: b\n      target: p.b\n      args: {y: 2, x: 1}\n"
                "    - name: a\n      target: p.a\n",
                "");
}

static void test_add_remove(void **state)
{
    (void)state;
    /* New file order first (a change, an addition), then the removed. */
    expect_text("    - name: old\n      target: p.old\n"
                "    - name: keep\n      target: p.k\n"
                "    - name: gone\n      target: p.g\n",
                "    - name: keep\n      target: p.k2\n"
                "    - name: new\n      target: dapt.sum\n",
                "~ stage keep: target: p.k -> p.k2\n"
                "+ stage new (dapt.sum)\n"
                "- stage old (p.old)\n"
                "- stage gone (p.g)\n");
}

static void test_null_sides(void **state)
{
    (void)state;
    const char *wf = "    - name: a\n      target: p.a\n    - name: b\n      target: p.b\n";
    expect_text(NULL, wf, "+ stage a (p.a)\n+ stage b (p.b)\n");
    expect_text(wf, NULL, "- stage a (p.a)\n- stage b (p.b)\n");
    expect_text(NULL, NULL, "");
    stagediff d;
    stagediff_compute(&d, NULL, NULL);
    assert_int_equal(d.count, 0);
    assert_int_equal(d.nworkflow_fields, 0);
    char *s = stagediff_summary(&d, "w");
    assert_string_equal(s, "workflow w: no stage changes");
    free(s);
    stagediff_free(&d);
}

static void test_entries(void **state)
{
    (void)state;
    dapt_bundle *a = load(ONE("") "    - name: r\n      target: p.r\n");
    dapt_bundle *b = load(ONE("      retries: 2\n") "    - name: n\n      target: p.n\n");
    stagediff d;
    stagediff_compute(&d, dapt_bundle_workflow(a), dapt_bundle_workflow(b));
    assert_int_equal(d.count, 3);
    assert_int_equal(d.items[0].op, '~');
    assert_string_equal(d.items[0].stage, "s");
    assert_int_equal(d.items[0].nfields, 1);
    assert_string_equal(d.items[0].fields[0], "retries: 0 -> 2");
    assert_int_equal(d.items[1].op, '+');
    assert_string_equal(d.items[1].stage, "n");
    assert_int_equal(d.items[2].op, '-');
    assert_string_equal(d.items[2].stage, "r");
    assert_int_equal(d.nworkflow_fields, 0);
    stagediff_free(&d);
    dapt_bundle_free(a);
    dapt_bundle_free(b);
}

static void test_scalar_fields(void **state)
{
    (void)state;
    expect_fields(ONE(""), "    - name: s\n      target: p.u\n", "target: p.t -> p.u");
    const char *x = "    - name: x\n      target: p.x\n";
    char *typed = xasprintf(ONE("      type: parameterized\n      depends_on: [x]\n") "%s", x);
    expect_fields(ONE(""), typed,
                  "type: simple -> parameterized; depends_on: [] -> [x]\n+ stage x (p.x)");
    free(typed);
    expect_fields(ONE("      version: 1.2\n"), ONE("      version: '1.3'\n"),
                  "version: 1.2 -> 1.3");
    expect_fields(ONE("      version: 1\n"), ONE(""), "version: 1 -> (none)");
    expect_fields(ONE("      priority: 3\n"), ONE("      priority: -1\n"), "priority: 3 -> -1");
    expect_fields(ONE(""), ONE("      priority: 0\n"), "priority: (none) -> 0");
    expect_fields(ONE(""), ONE("      timeout: 90s\n"), "timeout: (none) -> 1m30s");
    expect_fields(ONE("      timeout: 2h30m\n"), ONE("      timeout: 1.5s\n"),
                  "timeout: 2h30m -> 1s500ms");
    expect_fields(ONE("      retries: 1\n"), ONE("      retries: 3\n"), "retries: 1 -> 3");
    expect_fields(ONE("      retry_delay: 5s\n"), ONE("      retry_delay: 1d\n"),
                  "retry_delay: 5s -> 1d");
    /* options beside `target` are ignored (the loader warns): no change */
    expect_text(ONE("      map_on: a\n"), ONE("      map_on: b\n"), "");
    expect_text(ONE(""), ONE("      allow_partial_failure: false\n"), "");
}

static void test_depends_on_order(void **state)
{
    (void)state;
    const char *deps = "    - name: a\n      target: p.a\n    - name: b\n      target: p.b\n";
    char *old = xasprintf("%s" ONE("      depends_on: [a, b]\n"), deps);
    char *new = xasprintf("%s" ONE("      depends_on: [b, a]\n"), deps);
    /* The order is the order of the positional arguments: a change. */
    expect_fields(old, new, "depends_on: [a, b] -> [b, a]");
    free(old);
    free(new);
}

static void test_description(void **state)
{
    (void)state;
    expect_fields(ONE("      description: The records\n"),
                  ONE("      description: \"The records\\nand more\"\n"),
                  "description: \"The records\" -> \"The records\\nand more\"");
    expect_fields(ONE(""), ONE("      description: x\n"), "description: (none) -> \"x\"");
    /* Long texts that start alike are shown from just before where they
     * differ, so the change shows once they are cut. */
    expect_fields(ONE("      description: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa one\n"),
                  ONE("      description: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa two\n"),
                  "description: ...aaaaaaaaa one\" -> ...aaaaaaaaa two\"");
}

static void test_args(void **state)
{
    (void)state;
    expect_fields(ONE("      args: {days: 14, keep: x, gone: true}\n"),
                  ONE("      args: {days: 7, keep: x, new: {a: [1, 2]}, s: \"hi\"}\n"),
                  "args.days: 14 -> 7; args.new: (none) -> {\"a\":[1,2]}; "
                  "args.s: (none) -> \"hi\"; args.gone: true -> (none)");
    /* Compact JSON cut at 40 characters (code points, not bytes). */
    expect_fields(ONE(""),
                  ONE("      args: {l: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]}\n"),
                  "args.l: (none) -> [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]");
    expect_fields(
        ONE(""),
        ONE("      args: {l: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 7]}\n"),
        "args.l: (none) -> [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,...");
    expect_fields(ONE(""),
                  ONE("      args: {u: \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}\n"),
                  "args.u: (none) -> \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                  "\xc3\xa9\xc3\xa9...");
    /* Values that differ past the cut are still a change. */
    expect_fields(ONE("      args: {s: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1}\n"),
                  ONE("      args: {s: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2}\n"),
                  "args.s: ...aaaaaaaaaa1\" -> ...aaaaaaaaaa2\"");
    /* 1 and 1.0 are different JSON, as a stage receives them. */
    expect_fields(ONE("      args: {n: 1}\n"), ONE("      args: {n: 1.5}\n"), "args.n: 1 -> 1.5");
}

static void test_options(void **state)
{
    (void)state;
    expect_fields(ONE("      options: {map_on: a, foo: 1}\n"),
                  ONE("      options: {map_on: b, bar: 2}\n"),
                  "options.map_on: \"a\" -> \"b\"; options.bar: (none) -> 2; "
                  "options.foo: 1 -> (none)");
    /* A field set in options is told once, as options.KEY. */
    expect_fields(ONE(""), ONE("      options: {target: p.u, retries: 2}\n"),
                  "options.target: (none) -> \"p.u\"; options.retries: (none) -> 2");
    expect_fields(ONE("      options: {timeout: 5s}\n"), ONE("      timeout: 5s\n"),
                  "options.timeout: \"5s\" -> (none)");
    /* Moving map_on into options makes it count: shown, once. */
    expect_fields(ONE("      map_on: k\n"), ONE("      options: {map_on: k}\n"),
                  "options.map_on: (none) -> \"k\"");
}

static void test_resources(void **state)
{
    (void)state;
    expect_fields(ONE("      resources: {cpus: 1, memory: 512M, gpu_mem: 2}\n"),
                  ONE("      resources: {cpus: 2.5, gpus: 1, memory: 2GiB, disk: 10}\n"),
                  "resources.cpus: 1 -> 2.5; resources.gpus: (none) -> 1; "
                  "resources.memory: 512MB -> 2GiB; resources.disk: (none) -> 10; "
                  "resources.gpu_mem: 2 -> (none)");
    expect_fields(ONE("      resources: {memory: 1500}\n"),
                  ONE("      resources: {memory: 1024}\n"), "resources.memory: 1500B -> 1KiB");
    expect_fields(ONE("      resources: {memory: 0}\n"), ONE(""), "resources.memory: 0B -> (none)");
    expect_fields(ONE("      resources: {gpu_mem: 2}\n"), ONE("      resources: {gpu_mem: 2.25}\n"),
                  "resources.gpu_mem: 2 -> 2.25");
}

static void test_many_fields_in_order(void **state)
{
    (void)state;
    expect_fields(ONE("      args: {a: 1}\n      retries: 1\n"),
                  "    - name: s\n      target: p.u\n      retries: 2\n      args: {a: 2}\n"
                  "      description: d\n",
                  "target: p.t -> p.u; description: (none) -> \"d\"; args.a: 1 -> 2; "
                  "retries: 1 -> 2");
}

static void test_workflow_fields(void **state)
{
    (void)state;
    expect_text("kind: workflow\nmetadata:\n  name: w\n  annotations: {team: data, x: y}\n"
                "spec:\n  stages:\n    - name: s\n      target: p.t\n",
                "kind: workflow\nmetadata:\n  name: w2\n  annotations: {team: ml, z: q}\n"
                "spec:\n  description: New\n  stages:\n    - name: s\n      target: p.t\n",
                "~ workflow: name: w -> w2; description: (none) -> \"New\"; "
                "annotations.team: \"data\" -> \"ml\"; annotations.z: (none) -> \"q\"; "
                "annotations.x: \"y\" -> (none)\n");
    char *s = diff_summary("kind: workflow\nmetadata:\n  name: w\nspec:\n  stages:\n"
                           "    - name: s\n      target: p.t\n",
                           "kind: workflow\nmetadata:\n  name: w\n  annotations: {a: b}\n"
                           "spec:\n  description: D\n  stages:\n    - name: s\n      target: p.t\n"
                           "    - name: n\n      target: p.n\n");
    assert_string_equal(s, "workflow w: change description, annotations, add n");
    free(s);
}

static void test_duplicate_names(void **state)
{
    (void)state;
    /* The later definition of a name is the stage (as in the graph). */
    errors_allowed = true;
    expect_text("    - name: s\n      target: p.first\n    - name: s\n      target: p.t\n", ONE(""),
                "");
    expect_text(ONE(""), "    - name: s\n      target: p.t\n    - name: s\n      target: p.u\n",
                "~ stage s: target: p.t -> p.u\n");
    errors_allowed = false;
}

static void test_summary(void **state)
{
    (void)state;
    char *s = diff_summary("    - name: fetch\n      target: p.f\n      args: {days: 14}\n"
                           "    - name: old\n      target: p.o\n",
                           "    - name: fetch\n      target: p.g\n      args: {days: 7, x: 1}\n"
                           "      resources: {cpus: 2}\n"
                           "    - name: report\n      target: dapt.sum\n");
    assert_string_equal(s, "workflow w: add report, change fetch (target, args, resources), "
                           "remove old");
    free(s);
    /* Stages changed in the same fields share a phrase. */
    s = diff_summary("    - name: a\n      target: p.a\n    - name: b\n      target: p.b\n"
                     "    - name: c\n      target: p.c\n      args: {x: 1}\n"
                     "    - name: d\n      target: p.d\n",
                     "    - name: a\n      target: p.x\n    - name: b\n      target: p.b\n"
                     "      args: {x: 2}\n"
                     "    - name: c\n      target: p.c\n      args: {x: 2}\n"
                     "    - name: d\n      target: p.y\n");
    assert_string_equal(s, "workflow w: change a, d (target), change b, c (args)");
    free(s);
    /* Long lists end with a count. */
    s = diff_summary("    - name: a\n      target: p.a\n    - name: z\n      target: p.a\n",
                     "    - name: b\n      target: p.a\n    - name: c\n      target: p.a\n"
                     "    - name: d\n      target: p.a\n    - name: e\n      target: p.a\n"
                     "    - name: f\n      target: p.a\n    - name: g\n      target: p.a\n");
    assert_string_equal(s, "workflow w: add b, c, d, e and 2 more, remove a, z");
    free(s);
    s = diff_summary("    - name: a\n      target: p.a\n    - name: b\n      target: p.b\n"
                     "    - name: c\n      target: p.c\n    - name: d\n      target: p.d\n"
                     "    - name: e\n      target: p.e\n",
                     "    - name: a\n      target: p.a\n      retries: 1\n"
                     "    - name: b\n      target: p.b\n      timeout: 1s\n"
                     "    - name: c\n      target: p.c\n      priority: 1\n"
                     "    - name: d\n      target: p.d\n      version: 2\n"
                     "    - name: e\n      target: p.e\n      args: {x: 1}\n"
                     "    - name: f\n      target: p.f\n");
    assert_string_equal(s, "workflow w: add f, change a (retries), change b (timeout), "
                           "change c (priority), and 2 more stages changed");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_reorder_is_no_change),
        cmocka_unit_test(test_add_remove),
        cmocka_unit_test(test_null_sides),
        cmocka_unit_test(test_entries),
        cmocka_unit_test(test_scalar_fields),
        cmocka_unit_test(test_depends_on_order),
        cmocka_unit_test(test_description),
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_resources),
        cmocka_unit_test(test_many_fields_in_order),
        cmocka_unit_test(test_workflow_fields),
        cmocka_unit_test(test_duplicate_names),
        cmocka_unit_test(test_summary),
    };
    return cmocka_run_group_tests_name("stagediff", tests, NULL, NULL);
}
