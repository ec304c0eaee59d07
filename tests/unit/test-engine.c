/*
 * test-engine.c - runs end to end: Flowdapt's engine behaviours (catalog
 * 5 and 5.1, with dapt's load-time checks) and dapt's additions (crashes,
 * timeouts, retries, cancel, partial failure counts, live logs), each in
 * process mode (dapt-worker pool) and thread mode.  Workflows are YAML
 * strings; targets come from the builtin plugin of this build and the
 * fixture plugin `probe` (tests/plugins/probe.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "engine.h"

typedef struct mode {
    const char *name;
    bool processes;
} mode;

static const mode process_mode = {"processes", true};
static const mode thread_mode = {"threads", false};

static dapt_registry *registry;
static char plugin_dir[] = "/tmp/dapt-test-engine-XXXXXX";
static char workspace[] = "/tmp/dapt-test-engine-ws-XXXXXX";

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    assert_non_null(in);
    FILE *out = fopen(to, "wb");
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
    chmod(to, 0755);
}

static int group_setup(void **state)
{
    (void)state;
    if (mkdtemp(plugin_dir) == NULL || mkdtemp(workspace) == NULL)
        return -1;
    char *dst = xasprintf("%s/probe.so", plugin_dir);
    copy_file(TESTS_BUILDDIR "/plugins/.libs/probe.so", dst);
    free(dst);
    dapt_registry_options ro = {.plugin_path = plugin_dir, .cache_file = "",
                                .workspace = workspace};
    char *err = NULL;
    if (dapt_registry_open(&registry, &ro, NULL, &err) < 0) {
        fprintf(stderr, "registry: %s\n", err);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    dapt_registry_free(registry);
    char *cmd = xasprintf("rm -rf '%s' '%s'", plugin_dir, workspace);
    int rc = system(cmd);
    free(cmd);
    loader_unload_all();
    return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Running a workflow                                                  */
/* ------------------------------------------------------------------ */

typedef struct outcome {
    int state;     /* dapt_state, or -1 when it could not start */
    char *error;   /* why it could not start */
    json_t *record;
    json_t *result; /* borrowed from record */
    strbuf log;    /* every line: "stage#item|stream|text\n" */
    /* when the first line with text "first" arrived, and when its stage
     * finished, for the live-log test */
    int64_t first_at, finished_at;
} outcome;

static void collect(const dapt_event *ev, void *data)
{
    outcome *o = data;
    if (ev->kind == DAPT_EVENT_LOG) {
        for (size_t i = 0; i < ev->line_count; i++) {
            const dapt_log_line *l = &ev->lines[i];
            strbuf_printf(&o->log, "%s#%ld|%s|%.*s\n", l->stage ? l->stage : "-", l->item,
                          dapt_stream_name(l->stream), (int)l->len, l->text);
            if (l->len == 5 && memcmp(l->text, "first", 5) == 0 && o->first_at == 0)
                o->first_at = clock_mono_us();
        }
    } else if (ev->kind == DAPT_EVENT_STAGE && ev->state == DAPT_STATE_FINISHED &&
               o->finished_at == 0) {
        o->finished_at = clock_mono_us();
    }
}

static json_t *mode_settings(const mode *m)
{
    return json_pack("{s:{s:{s:{s:b, s:i, s:s}}}}", "services", "compute", "executor",
                     "use_processes", m->processes, "workers", 2, "grace_period", "1s");
}

static dapt_bundle *load(const char *yaml)
{
    dapt_bundle *b = NULL;
    dapt_diags diags = {0};
    int rc = dapt_load_buffer(&b, "test.yaml", yaml, strlen(yaml), &diags);
    for (size_t i = 0; i < diags.count; i++) {
        char *line = dapt_diag_format(&diags.items[i]);
        fprintf(stderr, "# %s\n", line);
        free(line);
    }
    dapt_diags_free(&diags);
    assert_int_equal(rc, 0);
    assert_non_null(dapt_bundle_workflow(b));
    return b;
}

/* Run `yaml` with `input` (JSON text or NULL) in mode m. */
static void run_opts(outcome *o, const mode *m, const char *yaml, const char *input,
                     dapt_run_options *opts)
{
    memset(o, 0, sizeof *o);
    dapt_bundle *b = load(yaml);
    json_t *settings = mode_settings(m);
    json_t *in = input ? json_loads(input, 0, NULL) : NULL;
    opts->input = in;
    opts->settings = settings;
    opts->registry = registry;
    opts->on_event = collect;
    opts->event_data = o;
    if (opts->workspace == NULL)
        opts->workspace = workspace;
    o->state = dapt_execute(&o->record, dapt_bundle_workflow(b), opts, &o->error);
    o->result = json_object_get(o->record, "result");
    if (o->log.buf == NULL)
        strbuf_puts(&o->log, "");
    json_decref(in);
    json_decref(settings);
    dapt_bundle_free(b);
}

static void run(outcome *o, const mode *m, const char *yaml, const char *input)
{
    dapt_run_options opts = {0};
    run_opts(o, m, yaml, input, &opts);
}

static void outcome_free(outcome *o)
{
    json_decref(o->record);
    free(o->error);
    strbuf_free(&o->log);
}

static void assert_result(const outcome *o, const char *json)
{
    json_t *want = json_loads(json, JSON_DECODE_ANY, NULL);
    assert_non_null(want);
    if (!json_equal(want, o->result)) {
        char *got = json_dumps(o->record, JSON_INDENT(2) | JSON_ENCODE_ANY);
        fprintf(stderr, "# want result %s, got record %s\n# log:\n%s", json, got, o->log.buf);
        free(got);
        fail();
    }
    json_decref(want);
}

static json_t *stage_of(const outcome *o, const char *name)
{
    json_t *stages = json_object_get(o->record, "stages");
    for (size_t i = 0; i < json_array_size(stages); i++) {
        json_t *st = json_array_get(stages, i);
        if (strcmp(json_string_value(json_object_get(st, "name")), name) == 0)
            return st;
    }
    fail_msg("no stage %s", name);
    return NULL;
}

static const char *stage_error(const outcome *o, const char *name)
{
    const char *e = json_string_value(json_object_get(stage_of(o, name), "error"));
    return e ? e : "";
}

static json_int_t stage_int(const outcome *o, const char *name, const char *path)
{
    json_t *st = stage_of(o, name);
    const char *dot = strchr(path, '.');
    if (dot) {
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        st = json_object_get(st, key);
        path = dot + 1;
    }
    return json_integer_value(json_object_get(st, path));
}

#define assert_contains(hay, needle)                                                     \
    do {                                                                                 \
        if (strstr((hay), (needle)) == NULL)                                             \
            fail_msg("`%s` not found in:\n%s", (needle), (hay));                         \
    } while (0)

#define MODE(state) ((const mode *)*(state))

/* ------------------------------------------------------------------ */
/* Flowdapt's behaviours (catalog 5)                                   */
/* ------------------------------------------------------------------ */

static const char example_workflow[] =
    "kind: workflow\n"
    "metadata: {name: example}\n"
    "spec:\n"
    "  stages:\n"
    "    - {name: stage1, target: dapt.range, args: {n: 10}}\n"
    "    - {name: stage2, target: dapt.square, type: parameterized, depends_on: [stage1]}\n";

static void test_example_workflow(void **state)
{
    outcome o;
    run(&o, MODE(state), example_workflow, NULL);
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_result(&o, "[0,1,4,9,16,25,36,49,64,81]");
    assert_string_equal(json_string_value(json_object_get(o.record, "state")), "finished");
    assert_true(json_is_string(json_object_get(o.record, "finished_at")));
    assert_int_equal(strlen(json_string_value(json_object_get(o.record, "id"))), 6);
    assert_int_equal(stage_int(&o, "stage2", "items.total"), 10);
    assert_int_equal(stage_int(&o, "stage2", "items.ok"), 10);
    assert_int_equal(stage_int(&o, "stage2", "attempts"), 1);
    outcome_free(&o);
}

static void test_root_gets_input(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: s, target: dapt.square}\n",
        "{\"x\": 7, \"unused\": \"ignored\"}");
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_result(&o, "49");
    outcome_free(&o);
}

static void test_single_stage_true(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: s, target: dapt.echo, args: {}}\n",
        "{\"ok\": true}");
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_result(&o, "{\"ok\": true}");
    outcome_free(&o);
}

static void test_map_on_root(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: s, target: dapt.add, type: parameterized, options: {map_on: x}}\n",
        "{\"x\": [1, 2], \"b\": 10}");
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_result(&o, "[11, 12]");
    outcome_free(&o);
}

static void test_deps_in_order(void **state)
{
    /* a; b, c depend on a; d depends on (c, b): d gets (out_c, out_b) */
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: a, target: dapt.echo, args: {v: 1}}\n"
        "    - {name: b, target: dapt.echo, depends_on: [a]}\n"
        "    - {name: c, target: dapt.range, args: {n: 2}}\n"
        "    - {name: d, target: dapt.echo, depends_on: [c, b]}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_result(&o, "[[0, 1], {\"v\": 1}]");
    outcome_free(&o);
}

static void test_several_sinks(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: x, target: dapt.square, args: {x: 2}}\n"
        "    - {name: y, target: dapt.square, args: {x: 3}}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_result(&o, "{\"x\": 4, \"y\": 9}");
    outcome_free(&o);
}

static void test_map_with_two_deps(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: xs, target: dapt.range, args: {n: 3}}\n"
        "    - {name: k, target: dapt.echo, args: {}}\n"
        "    - {name: f, target: dapt.add, type: parameterized, depends_on: [xs, k]}\n",
        "{\"unused\": 1}");
    /* k echoes its kwargs: {unused: 1} is not a number, so every item
     * fails, and partial failure (the default) leaves an empty list */
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_result(&o, "[]");
    assert_int_equal(stage_int(&o, "f", "items.failed"), 3);
    outcome_free(&o);
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: xs, target: dapt.range, args: {n: 3}}\n"
        "    - {name: k, target: dapt.square, args: {x: 10}}\n"
        "    - {name: f, target: dapt.add, type: parameterized, depends_on: [xs, k]}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_result(&o, "[100, 101, 102]");
    outcome_free(&o);
}

static void test_stage_failure(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: a, target: dapt.fail, args: {message: boom}}\n"
        "    - {name: b, target: dapt.echo, depends_on: [a]}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FAILED);
    assert_string_equal(stage_error(&o, "a"), "boom");
    assert_string_equal(json_string_value(json_object_get(stage_of(&o, "b"), "state")),
                        "skipped");
    assert_contains(json_string_value(json_object_get(o.record, "error")), "boom");
    outcome_free(&o);
}

/* ------------------------------------------------------------------ */
/* Checked before anything runs                                        */
/* ------------------------------------------------------------------ */

static void test_missing_required_param(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: s, target: dapt.square}\n",
        "{\"y\": 1}");
    assert_int_equal(o.state, -1);
    assert_contains(o.error, "needs `x`");
    assert_contains(o.error, "--input x=");
    outcome_free(&o);
}

static void test_unknown_target(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: s, target: dapt.sqare, args: {x: 1}}\n",
        NULL);
    assert_int_equal(o.state, -1);
    assert_contains(o.error, "dapt.square");
    outcome_free(&o);
}

/* ------------------------------------------------------------------ */
/* Parameterized stages: partial failure, crashes                      */
/* ------------------------------------------------------------------ */

static void test_partial_failure(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: xs, target: dapt.range, args: {n: 4}}\n"
        "    - {name: f, target: dapt.fail, type: parameterized, depends_on: [xs],\n"
        "       args: {on: [2]}}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_result(&o, "[0, 1, 3]");
    assert_int_equal(stage_int(&o, "f", "items.total"), 4);
    assert_int_equal(stage_int(&o, "f", "items.ok"), 3);
    assert_int_equal(stage_int(&o, "f", "items.failed"), 1);
    assert_contains(o.log.buf, "f#2|engine|item #2 failed:");
    outcome_free(&o);

    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: xs, target: dapt.range, args: {n: 4}}\n"
        "    - {name: f, target: dapt.fail, type: parameterized, depends_on: [xs],\n"
        "       args: {on: [2]}, options: {allow_partial_failure: false}}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FAILED);
    assert_contains(stage_error(&o, "f"), "item #2 failed");
    outcome_free(&o);
}

static void test_crash_in_stage(void **state)
{
    static const char *const sigs[] = {"SEGV", "ABRT", "KILL"};
    static const char *const want[] = {"SIGSEGV", "SIGABRT", "SIGKILL"};
    for (size_t i = 0; i < 3; i++) {
        char *yaml = xasprintf("kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
                               "    - {name: c, target: dapt.crash, args: {signal: %s}}\n"
                               "    - {name: after, target: dapt.echo, depends_on: [c]}\n",
                               sigs[i]);
        outcome o;
        run(&o, MODE(state), yaml, NULL);
        assert_int_equal(o.state, DAPT_STATE_FAILED);
        assert_contains(stage_error(&o, "c"), want[i]);
        assert_contains(stage_error(&o, "c"), "worker process");
        outcome_free(&o);
        free(yaml);
    }
}

static void test_crash_in_item(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: xs, target: dapt.range, args: {n: 20}}\n"
        "    - {name: f, target: dapt.crash, type: parameterized, depends_on: [xs],\n"
        "       args: {on: [7]}}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_int_equal(stage_int(&o, "f", "items.ok"), 19);
    assert_int_equal(stage_int(&o, "f", "items.failed"), 1);
    assert_int_equal(json_array_size(o.result), 19);
    assert_contains(o.log.buf, "f#7|engine|item #7 failed: worker process");
    outcome_free(&o);
}

static void test_exit_in_stage(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: x, target: probe.exit, args: {status: 3}}\n"
        "    - {name: after, target: dapt.echo, depends_on: [x]}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FAILED);
    assert_contains(stage_error(&o, "x"), "exited with status 3");
    outcome_free(&o);
    /* a stage dies of SIGTERM (not sent by dapt): named as such */
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: x, target: dapt.crash, args: {signal: TERM}}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FAILED);
    assert_contains(stage_error(&o, "x"), "SIGTERM");
    outcome_free(&o);
}

/* ------------------------------------------------------------------ */
/* Timeouts, retries, cancel                                           */
/* ------------------------------------------------------------------ */

static void test_timeout(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: slow, target: dapt.sleep, args: {seconds: 30}, timeout: 300ms}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FAILED);
    assert_string_equal(stage_error(&o, "slow"), "timed out after 0.3s");
    outcome_free(&o);
}

static void test_timeout_kill(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: slow, target: probe.stubborn, args: {seconds: 30}, timeout: 1s}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FAILED);
    assert_string_equal(stage_error(&o, "slow"), "timed out after 1s");
    outcome_free(&o);
}

static void test_retry_then_success(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: f, target: probe.flaky, args: {succeed_on: 3}, retries: 2,"
        " retry_delay: 10ms}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_result(&o, "3");
    assert_int_equal(stage_int(&o, "f", "attempts"), 3);
    assert_contains(o.log.buf, "attempt 1 failed: probe.flaky: attempt 1 fails");
    outcome_free(&o);

    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: f, target: probe.flaky, args: {succeed_on: 3}, retries: 1}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FAILED);
    assert_int_equal(stage_int(&o, "f", "attempts"), 2);
    outcome_free(&o);
}

static void test_retry_items(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: xs, target: dapt.range, args: {n: 5}}\n"
        "    - {name: f, target: probe.flaky, type: parameterized, depends_on: [xs],\n"
        "       retries: 1}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_result(&o, "[2, 2, 2, 2, 2]");
    assert_int_equal(stage_int(&o, "f", "attempts"), 2);
    outcome_free(&o);
}

typedef struct cancel_probe {
    outcome *o;
    int items_seen;
} cancel_probe;

static void cancel_on_items(const dapt_event *ev, void *data)
{
    cancel_probe *cp = data;
    collect(ev, cp->o);
    if (ev->kind == DAPT_EVENT_ITEMS && cp->items_seen++ == 0)
        dapt_run_cancel(ev->run, false);
}

static void test_cancel_mid_map(void **state)
{
    const mode *m = MODE(state);
    outcome o;
    memset(&o, 0, sizeof o);
    dapt_bundle *b = load("kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
                          "    - {name: xs, target: dapt.range, args: {n: 40}}\n"
                          "    - {name: nap, target: dapt.sleep, type: parameterized,\n"
                          "       depends_on: [xs], args: {seconds: 0.05}}\n"
                          "    - {name: after, target: dapt.echo, depends_on: [nap]}\n");
    json_t *settings = mode_settings(m);
    cancel_probe cp = {&o, 0};
    dapt_run_options opts = {.settings = settings, .registry = registry,
                             .on_event = cancel_on_items, .event_data = &cp,
                             .workspace = workspace};
    o.state = dapt_execute(&o.record, dapt_bundle_workflow(b), &opts, &o.error);
    assert_int_equal(o.state, DAPT_STATE_CANCELLED);
    assert_string_equal(json_string_value(json_object_get(stage_of(&o, "nap"), "state")),
                        "cancelled");
    assert_string_equal(json_string_value(json_object_get(stage_of(&o, "after"), "state")),
                        "skipped");
    assert_true(stage_int(&o, "nap", "items.ok") < 40);
    json_decref(settings);
    dapt_bundle_free(b);
    outcome_free(&o);
}

static void test_run_timeout(void **state)
{
    outcome o;
    dapt_run_options opts = {.timeout_ms = 200};
    run_opts(&o, MODE(state),
             "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
             "    - {name: slow, target: dapt.sleep, args: {seconds: 30}}\n",
             NULL, &opts);
    assert_int_equal(o.state, DAPT_STATE_FAILED);
    assert_contains(json_string_value(json_object_get(o.record, "error")), "timed out after");
    outcome_free(&o);
}

/* ------------------------------------------------------------------ */
/* Logs and context                                                    */
/* ------------------------------------------------------------------ */

static void test_live_log(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: n, target: probe.nap, args: {seconds: 0.6}}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_contains(o.log.buf, "n#-1|log|first\nn#-1|log|second\n");
    /* "first" was seen while the stage still slept */
    assert_true(o.first_at > 0 && o.finished_at > 0);
    assert_true(o.finished_at - o.first_at > 400000);
    outcome_free(&o);
}

static void test_stdout_captured(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: p, target: probe.print, args: {n: 5}}\n",
        NULL);
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_contains(o.log.buf, "p#-1|stdout|out 0\n");
    assert_contains(o.log.buf, "p#-1|stderr|err 0\n");
    outcome_free(&o);
}

static void test_context(void **state)
{
    outcome o;
    dapt_run_options opts = {.config = json_pack("{s:i}", "depth", 3), .ns = "ns1"};
    run_opts(&o, MODE(state),
             "kind: workflow\nmetadata: {name: ctxw}\nspec:\n  stages:\n"
             "    - {name: xs, target: dapt.range, args: {n: 2}}\n"
             "    - {name: c, target: probe.context, type: parameterized, depends_on: [xs]}\n",
             "{\"a\": 1}", &opts);
    json_decref(opts.config);
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    json_t *second = json_array_get(o.result, 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(second, "config"),
                                                        "depth")),
                     3);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(second, "input"), "a")),
                     1);
    assert_string_equal(json_string_value(json_object_get(second, "item")), "1");
    assert_string_equal(json_string_value(json_object_get(second, "attempt")), "1");
    assert_string_equal(json_string_value(json_object_get(second, "stage")), "c");
    json_t *runj = json_object_get(second, "run");
    assert_string_equal(json_string_value(json_object_get(runj, "namespace")), "ns1");
    assert_string_equal(json_string_value(json_object_get(runj, "workflow")), "ctxw");
    assert_string_equal(json_string_value(json_object_get(second, "run_id")),
                        json_string_value(json_object_get(o.record, "id")));
    outcome_free(&o);
}

static void test_object_store(void **state)
{
    outcome o;
    run(&o, MODE(state),
        "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
        "    - {name: p, target: dapt.put, args: {value: 42, key: answer}}\n"
        "    - {name: g, target: dapt.get, depends_on: [p], args: {key: answer}}\n",
        NULL);
    if (o.state != DAPT_STATE_FINISHED)
        fprintf(stderr, "# %s\n", o.log.buf);
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    assert_result(&o, "42");
    outcome_free(&o);
}

static void test_priority_order(void **state)
{
    /* one worker slot: the higher priority root runs first */
    outcome o;
    dapt_run_options opts = {0};
    json_t *s = json_pack("{s:{s:{s:{s:i}}}}", "services", "compute", "executor", "workers", 1);
    opts.settings = s;
    memset(&o, 0, sizeof o);
    dapt_bundle *b = load("kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"
                          "    - {name: low, target: probe.context, args: {}}\n"
                          "    - {name: high, target: probe.context, priority: 5, args: {}}\n");
    opts.registry = registry;
    opts.on_event = collect;
    opts.event_data = &o;
    json_t *settings = mode_settings(MODE(state));
    settings_merge(settings, s);
    opts.settings = settings;
    o.state = dapt_execute(&o.record, dapt_bundle_workflow(b), &opts, &o.error);
    assert_int_equal(o.state, DAPT_STATE_FINISHED);
    const char *hs = json_string_value(json_object_get(stage_of(&o, "high"), "started_at"));
    const char *ls = json_string_value(json_object_get(stage_of(&o, "low"), "started_at"));
    assert_true(strcmp(hs, ls) <= 0);
    json_decref(s);
    json_decref(settings);
    dapt_bundle_free(b);
    outcome_free(&o);
}

#define BOTH(fn)                                                                       \
    cmocka_unit_test_prestate(fn, (void *)&process_mode),                              \
        cmocka_unit_test_prestate(fn, (void *)&thread_mode)

/* Only in process mode: what thread mode cannot do by design (survive a
 * crash, kill a stage) or does only when asked (capture stdout). */
#define PROCESSES(fn) cmocka_unit_test_prestate(fn, (void *)&process_mode)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_example_workflow),
        BOTH(test_root_gets_input),
        BOTH(test_single_stage_true),
        BOTH(test_map_on_root),
        BOTH(test_deps_in_order),
        BOTH(test_several_sinks),
        BOTH(test_map_with_two_deps),
        BOTH(test_stage_failure),
        BOTH(test_missing_required_param),
        BOTH(test_unknown_target),
        BOTH(test_partial_failure),
        PROCESSES(test_crash_in_stage),
        PROCESSES(test_crash_in_item),
        PROCESSES(test_exit_in_stage),
        BOTH(test_timeout),
        PROCESSES(test_timeout_kill),
        BOTH(test_retry_then_success),
        BOTH(test_retry_items),
        BOTH(test_cancel_mid_map),
        BOTH(test_run_timeout),
        BOTH(test_live_log),
        PROCESSES(test_stdout_captured),
        BOTH(test_context),
        BOTH(test_object_store),
        BOTH(test_priority_order),
    };
    return cmocka_run_group_tests_name("engine", tests, group_setup, group_teardown);
}
