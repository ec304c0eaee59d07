/*
 * test-python-run.c - Python stages through the engine: the python row of
 * the runtime table, its pool of INTERPRETER -m dapt_worker processes, in
 * process mode and in thread mode (where Python stages still run in
 * processes).  The plugin is described here by hand, as discovery would
 * (runtime python, target object = the function's module, object_path =
 * its name), over the fixture package tests/data/python/pyexec_fixture;
 * the worker is dapt's own (python/dapt_worker, or $DAPT_PYTHON_DIR).
 * The interpreter: $DAPT_TEST_PYTHON, else /usr/bin/python3 ($DAPT_PYTHON
 * is `none` under make check: discovery is not what this tests); the
 * whole test is skipped without one.
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
static char plugin_dir[] = "/tmp/dapt-test-pyrun-XXXXXX";
static char workspace[] = "/tmp/dapt-test-pyrun-ws-XXXXXX";
static const char *python;

/* ------------------------------------------------------------------ */
/* The plugin, as discovery describes it                               */
/* ------------------------------------------------------------------ */

typedef struct fixture_target {
    const char *name;   /* the function in pyexec_fixture.stages */
    const char *params; /* "x:integer:1 bad:integer:0": name, type, required */
} fixture_target;

static const fixture_target fixture_targets[] = {
    {"add", "a:integer:1 b:integer:1"},
    {"boom", "message:string:0"},
    {"exit_now", "code:integer:0"},
    {"exit_on", "x:integer:1 bad:integer:0"},
    {"fail_on", "x:integer:1 bad:integer:0"},
    {"flaky", "marker:string:1"},
    {"make_box", "v:integer:1"},
    {"nap", "seconds:number:1"},
    {"numbers", "n:integer:1"},
    {"open_box", "box:any:1"},
    {"segfault", ""},
    {"shout", "x:integer:1"},
    {"spin", ""},
    {"stubborn", ""},
    {"square", "x:integer:1"},
    {"total", "xs:array:1"},
};

static void fixture_params(dapt_target_info *t, const char *spec)
{
    size_t n = 0;
    char *copy = xstrdup(spec), *save = NULL;
    t->params = xcalloc(8, sizeof *t->params);
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        char *type = strchr(w, ':');
        char *req = strchr(type + 1, ':');
        *type++ = '\0';
        *req++ = '\0';
        t->params[n].name = xstrdup(w);
        t->params[n].type = xstrdup(type);
        t->params[n].required = req[0] == '1';
        t->params[n].doc = xstrdup("");
        n++;
    }
    t->param_count = n;
    free(copy);
}

static void fixture_plugin(dapt_plugin_info *info)
{
    memset(info, 0, sizeof *info);
    info->name = xstrdup("pyexec_fixture");
    info->version = xstrdup("0.1.0");
    info->description = xstrdup("");
    info->author = xstrdup("");
    info->license = xstrdup("");
    info->url = xstrdup("");
    info->path = xstrdup(TESTS_SRCDIR "/data/python/pyexec_fixture/pyexec_fixture");
    info->status = DAPT_PLUGIN_OK;
    info->runtime = DAPT_RUNTIME_PYTHON;
    info->interpreter = xstrdup(python);
    info->module = xstrdup("pyexec_fixture");
    size_t n = sizeof fixture_targets / sizeof fixture_targets[0];
    info->targets = xcalloc(n, sizeof *info->targets);
    info->target_count = n;
    for (size_t i = 0; i < n; i++) {
        dapt_target_info *t = &info->targets[i];
        t->path = xasprintf("stages.%s", fixture_targets[i].name);
        t->kind = DAPT_TARGET_STAGE;
        t->doc = xstrdup("");
        t->returns = xstrdup("");
        t->object = xstrdup("pyexec_fixture.stages");
        t->object_path = xstrdup(fixture_targets[i].name);
        t->source = xasprintf("%s/stages.py:1", info->path);
        fixture_params(t, fixture_targets[i].params);
    }
    plugin_info_link(info);
}

static int group_setup(void **state)
{
    (void)state;
    if (mkdtemp(plugin_dir) == NULL || mkdtemp(workspace) == NULL)
        return -1;
    /* the fixture package is importable by the workers (PYTHONPATH is
     * passed on after dapt's own folder) */
    setenv("PYTHONPATH", TESTS_SRCDIR "/data/python/pyexec_fixture", 1);
    setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
    dapt_registry_options ro = {.plugin_path = plugin_dir, .cache_file = "",
                                .workspace = workspace};
    char *err = NULL;
    if (dapt_registry_open(&registry, &ro, NULL, &err) < 0) {
        fprintf(stderr, "registry: %s\n", err);
        return -1;
    }
    dapt_plugin_info info;
    fixture_plugin(&info);
    registry_add_plugin(registry, &info);
    plugin_info_clear(&info);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (registry == NULL)
        return 0;
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
    int state; /* dapt_state, or -1 when it could not start */
    char *error;
    json_t *record;
    json_t *result; /* borrowed from record */
    strbuf log;     /* every line: "stage#item|stream|level|text\n" */
    bool spinning;  /* a line "spinning" came */
} outcome;

static void collect(const dapt_event *ev, void *data)
{
    outcome *o = data;
    if (ev->kind != DAPT_EVENT_LOG)
        return;
    for (size_t i = 0; i < ev->line_count; i++) {
        const dapt_log_line *l = &ev->lines[i];
        strbuf_printf(&o->log, "%s#%ld|%s|%d|%.*s\n", l->stage ? l->stage : "-", l->item,
                      dapt_stream_name(l->stream), (int)l->level, (int)l->len, l->text);
        if (l->len == 8 && memcmp(l->text, "spinning", 8) == 0)
            o->spinning = true;
    }
}

/* The grace period before running stages are killed: long where a test
 * shows that the cancel frame alone stops a stage. */
static const char *grace = "1s";
static int workers = 2;

static json_t *mode_settings(const mode *m)
{
    return json_pack("{s:{s:{s:{s:b, s:i, s:s}}}}", "services", "compute", "executor",
                     "use_processes", m->processes, "workers", workers, "grace_period", grace);
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

/* Run `yaml` with `input` (JSON text or NULL) in mode m, on a loop of our
 * own; with cancel_on_spin, cancel the run once a stage said "spinning". */
static void run_full(outcome *o, const mode *m, const char *yaml, const char *input,
                     bool cancel_on_spin)
{
    memset(o, 0, sizeof *o);
    dapt_bundle *b = load(yaml);
    json_t *settings = mode_settings(m);
    json_t *in = input ? json_loads(input, 0, NULL) : NULL;
    dapt_run_options opts = {.input = in, .settings = settings, .registry = registry,
                             .on_event = collect, .event_data = o, .workspace = workspace};
    uv_loop_t loop;
    uv_loop_init(&loop);
    dapt_run *run = NULL;
    if (dapt_run_start(&run, &loop, dapt_bundle_workflow(b), &opts, &o->error) < 0) {
        o->state = -1;
    } else {
        bool cancelled = false;
        while (!dapt_state_terminal(dapt_run_state(run)) || !dapt_run_closed(run)) {
            uv_run(&loop, UV_RUN_ONCE);
            if (cancel_on_spin && o->spinning && !cancelled) {
                cancelled = true;
                dapt_run_cancel(run, false);
            }
        }
        o->state = (int)dapt_run_state(run);
        o->record = dapt_run_record(run);
        dapt_run_free(run);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    o->result = json_object_get(o->record, "result");
    if (o->log.buf == NULL)
        strbuf_puts(&o->log, "");
    json_decref(in);
    json_decref(settings);
    dapt_bundle_free(b);
}

static void run(outcome *o, const mode *m, const char *yaml, const char *input)
{
    run_full(o, m, yaml, input, false);
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
        fprintf(stderr, "# want result %s, got record %s\n# error: %s\n# log:\n%s", json, got,
                o->error ? o->error : "-", o->log.buf);
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

static const char *stage_state(const outcome *o, const char *name)
{
    return json_string_value(json_object_get(stage_of(o, name), "state"));
}

static json_int_t stage_items(const outcome *o, const char *name, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(stage_of(o, name), "items"), key));
}

#define assert_contains(hay, needle)                                                     \
    do {                                                                                 \
        if (strstr((hay), (needle)) == NULL)                                             \
            fail_msg("`%s` not found in:\n%s", (needle), (hay));                         \
    } while (0)

#define assert_state(o, want)                                                            \
    do {                                                                                 \
        if ((o)->state != (want)) {                                                      \
            char *got_ = (o)->record ? json_dumps((o)->record, JSON_INDENT(2)) : NULL;   \
            fail_msg("state %d, want %d; error %s; record %s\nlog:\n%s", (o)->state,     \
                     (want), (o)->error ? (o)->error : "-", got_ ? got_ : "-",           \
                     (o)->log.buf);                                                      \
        }                                                                                \
    } while (0)

#define MODE(state) ((const mode *)*(state))
#define SKIP_WITHOUT_PYTHON() assert_non_null(registry)

#define WF "kind: workflow\nmetadata: {name: w}\nspec:\n  stages:\n"

/* ------------------------------------------------------------------ */
/* Argument passing                                                    */
/* ------------------------------------------------------------------ */

static void test_root_gets_input(void **state)
{
    SKIP_WITHOUT_PYTHON();
    outcome o;
    run(&o, MODE(state), WF "    - {name: s, target: pyexec_fixture.stages.square}\n",
        "{\"x\": 7, \"unused\": \"ignored\"}");
    assert_state(&o, DAPT_STATE_FINISHED);
    assert_result(&o, "49");
    /* the record names the Python pool */
    assert_contains(json_string_value(json_object_get(o.record, "executor")),
                    "; python: 2 processes of ");
    outcome_free(&o);
}

static void test_dependent_positional(void **state)
{
    SKIP_WITHOUT_PYTHON();
    outcome o;
    run(&o, MODE(state),
        WF "    - {name: a, target: pyexec_fixture.stages.numbers, args: {n: 5}}\n"
           "    - {name: b, target: pyexec_fixture.stages.total, depends_on: [a]}\n",
        NULL);
    assert_state(&o, DAPT_STATE_FINISHED);
    assert_result(&o, "10");
    outcome_free(&o);
}

static void test_args_over_input(void **state)
{
    SKIP_WITHOUT_PYTHON();
    outcome o;
    run(&o, MODE(state),
        WF "    - {name: s, target: pyexec_fixture.stages.add, args: {b: 100}}\n",
        "{\"a\": 1, \"b\": 2}");
    assert_state(&o, DAPT_STATE_FINISHED);
    assert_result(&o, "101");
    outcome_free(&o);
}

static void test_map(void **state)
{
    SKIP_WITHOUT_PYTHON();
    outcome o;
    run(&o, MODE(state),
        WF "    - {name: a, target: pyexec_fixture.stages.numbers, args: {n: 50}}\n"
           "    - {name: b, target: pyexec_fixture.stages.square, type: parameterized,\n"
           "       depends_on: [a]}\n"
           "    - {name: c, target: pyexec_fixture.stages.total, depends_on: [b]}\n",
        NULL);
    assert_state(&o, DAPT_STATE_FINISHED);
    assert_result(&o, "40425"); /* sum of squares 0..49 */
    assert_int_equal(stage_items(&o, "b", "ok"), 50);
    outcome_free(&o);
}

static void test_map_on(void **state)
{
    SKIP_WITHOUT_PYTHON();
    outcome o;
    run(&o, MODE(state),
        WF "    - {name: s, target: pyexec_fixture.stages.add, type: parameterized,\n"
           "       options: {map_on: a}}\n",
        "{\"a\": [1, 2, 3], \"b\": 10}");
    assert_state(&o, DAPT_STATE_FINISHED);
    assert_result(&o, "[11, 12, 13]");
    outcome_free(&o);
}

/* ------------------------------------------------------------------ */
/* Failures                                                            */
/* ------------------------------------------------------------------ */

static void test_partial_failure(void **state)
{
    SKIP_WITHOUT_PYTHON();
    outcome o;
    run(&o, MODE(state),
        WF "    - {name: a, target: pyexec_fixture.stages.numbers, args: {n: 4}}\n"
           "    - {name: f, target: pyexec_fixture.stages.fail_on, type: parameterized,\n"
           "       depends_on: [a], args: {bad: 2}}\n",
        NULL);
    assert_state(&o, DAPT_STATE_FINISHED);
    assert_result(&o, "[0, 1, 3]");
    assert_int_equal(stage_items(&o, "f", "failed"), 1);
    assert_contains(o.log.buf, "item #2 failed: ValueError: item 2 is bad (");
    outcome_free(&o);

    run(&o, MODE(state),
        WF "    - {name: a, target: pyexec_fixture.stages.numbers, args: {n: 4}}\n"
           "    - {name: f, target: pyexec_fixture.stages.fail_on, type: parameterized,\n"
           "       depends_on: [a], args: {bad: 2}, options: {allow_partial_failure: false}}\n",
        NULL);
    assert_state(&o, DAPT_STATE_FAILED);
    assert_contains(stage_error(&o, "f"), "item #2 failed: ValueError: item 2 is bad");
    outcome_free(&o);
}

static void test_exception_traceback(void **state)
{
    SKIP_WITHOUT_PYTHON();
    outcome o;
    run(&o, MODE(state),
        WF "    - {name: s, target: pyexec_fixture.stages.boom, args: {message: kaputt}}\n",
        NULL);
    assert_state(&o, DAPT_STATE_FAILED);
    assert_contains(stage_error(&o, "s"), "RuntimeError: kaputt (");
    assert_contains(stage_error(&o, "s"), "stages.py:");
    /* the traceback went to the log as error lines of the stage */
    assert_contains(o.log.buf, "s#-1|log|3|Traceback (most recent call last):");
    assert_contains(o.log.buf, "in inner");
    outcome_free(&o);
}

static void test_retries(void **state)
{
    SKIP_WITHOUT_PYTHON();
    char *marker = xasprintf("%s/flaky-%s", workspace, MODE(state)->name);
    char *yaml = xasprintf(WF "    - {name: s, target: pyexec_fixture.stages.flaky,\n"
                              "       args: {marker: '%s'}, options: {retries: 1}}\n",
                           marker);
    outcome o;
    run(&o, MODE(state), yaml, NULL);
    assert_state(&o, DAPT_STATE_FINISHED);
    assert_result(&o, "\"second attempt\"");
    assert_int_equal(json_integer_value(json_object_get(stage_of(&o, "s"), "attempts")), 2);
    assert_contains(o.log.buf, "attempt 1 failed: OSError: first attempt fails");
    outcome_free(&o);
    free(yaml);
    free(marker);
}

static void test_timeout(void **state)
{
    SKIP_WITHOUT_PYTHON();
    grace = "30s";
    int64_t t0 = clock_mono_us();
    outcome o;
    run(&o, MODE(state),
        WF "    - {name: s, target: pyexec_fixture.stages.nap, args: {seconds: 30},\n"
           "       options: {timeout: 1s}}\n",
        NULL);
    int64_t took = clock_mono_us() - t0;
    grace = "1s";
    assert_state(&o, DAPT_STATE_FAILED);
    assert_string_equal(stage_error(&o, "s"), "timed out after 1s");
    /* the cancel frame interrupts time.sleep: no wait for the kill */
    if (took > 5 * 1000000)
        fail_msg("took %.1f s", (double)took / 1e6);
    outcome_free(&o);
}

static void test_cancel_busy_loop(void **state)
{
    SKIP_WITHOUT_PYTHON();
    grace = "30s";
    int64_t t0 = clock_mono_us();
    outcome o;
    run_full(&o, MODE(state), WF "    - {name: s, target: pyexec_fixture.stages.spin}\n", NULL,
             true);
    int64_t took = clock_mono_us() - t0;
    grace = "1s";
    assert_state(&o, DAPT_STATE_CANCELLED);
    assert_string_equal(stage_state(&o, "s"), "cancelled");
    /* the cancel frame interrupted the loop: no wait for the kill */
    if (took > 5 * 1000000)
        fail_msg("took %.1f s", (double)took / 1e6);
    outcome_free(&o);

    /* a stage that ignores the interrupt is killed after the grace */
    run_full(&o, MODE(state), WF "    - {name: s, target: pyexec_fixture.stages.stubborn}\n",
             NULL, true);
    assert_state(&o, DAPT_STATE_CANCELLED);
    assert_string_equal(stage_state(&o, "s"), "cancelled");
    outcome_free(&o);
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

static void test_print_lines(void **state)
{
    SKIP_WITHOUT_PYTHON();
    outcome o;
    run(&o, MODE(state),
        WF "    - {name: a, target: pyexec_fixture.stages.numbers, args: {n: 3}}\n"
           "    - {name: s, target: pyexec_fixture.stages.shout, type: parameterized,\n"
           "       depends_on: [a]}\n",
        NULL);
    assert_state(&o, DAPT_STATE_FINISHED);
    assert_contains(o.log.buf, "s#0|stdout|1|item 0 out\n");
    assert_contains(o.log.buf, "s#2|stdout|1|item 2 out\n");
    assert_contains(o.log.buf, "s#1|stderr|");
    assert_contains(o.log.buf, "|item 1 err\n");
    outcome_free(&o);
}

/* ------------------------------------------------------------------ */
/* Values across runtimes                                              */
/* ------------------------------------------------------------------ */

static void test_mixed_c_python_c(void **state)
{
    SKIP_WITHOUT_PYTHON();
    outcome o;
    run(&o, MODE(state),
        WF "    - {name: a, target: dapt.range, args: {n: 4}}\n"
           "    - {name: b, target: pyexec_fixture.stages.total, depends_on: [a]}\n"
           "    - {name: c, target: dapt.square, depends_on: [b]}\n",
        NULL);
    assert_state(&o, DAPT_STATE_FINISHED);
    assert_result(&o, "36");
    assert_contains(json_string_value(json_object_get(o.record, "executor")),
                    MODE(state)->processes ? "(processes, 2 workers; python: 2 processes of "
                                           : "(threads, 2 workers; python: 2 processes of ");
    outcome_free(&o);
}

static void test_python_value_between_python_stages(void **state)
{
    SKIP_WITHOUT_PYTHON();
    outcome o;
    run(&o, MODE(state),
        WF "    - {name: a, target: pyexec_fixture.stages.make_box, args: {v: 21}}\n"
           "    - {name: b, target: pyexec_fixture.stages.open_box, depends_on: [a]}\n",
        NULL);
    assert_state(&o, DAPT_STATE_FINISHED);
    assert_result(&o, "42");
    outcome_free(&o);
}

static void test_c_stage_refuses_python_value(void **state)
{
    SKIP_WITHOUT_PYTHON();
    outcome o;
    run(&o, MODE(state),
        WF "    - {name: a, target: pyexec_fixture.stages.make_box, args: {v: 21}}\n"
           "    - {name: b, target: dapt.square, depends_on: [a]}\n",
        NULL);
    assert_state(&o, DAPT_STATE_FAILED);
    assert_string_equal(stage_error(&o, "b"),
                        "stage `b`: argument 1 is a Python value (pyexec_fixture.stages.Box) "
                        "from a Python stage; a C stage takes JSON only: return JSON (e.g. "
                        ".tolist()) from `a`, or make `b` a Python stage");
    /* said once, not "stage `b` failed: stage `b`: ..." */
    assert_string_equal(json_string_value(json_object_get(o.record, "error")),
                        stage_error(&o, "b"));
    outcome_free(&o);

    /* an item of a list handed to a map */
    run(&o, MODE(state),
        WF "    - {name: a, target: pyexec_fixture.stages.make_box, type: parameterized,\n"
           "       options: {map_on: v}}\n"
           "    - {name: b, target: dapt.square, type: parameterized, depends_on: [a]}\n",
        "{\"v\": [1, 2]}");
    assert_state(&o, DAPT_STATE_FAILED);
    assert_contains(stage_error(&o, "b"), "argument 1 is a Python value (pyexec_fixture.stages.Box)");
    outcome_free(&o);
}

/* ------------------------------------------------------------------ */
/* Two pools                                                           */
/* ------------------------------------------------------------------ */

static void test_pools_side_by_side(void **state)
{
    SKIP_WITHOUT_PYTHON();
    /* one worker per pool: a C stage and a Python stage run at the same
     * time (each pool has its slot), but two Python stages never do */
    workers = 1;
    int64_t t0 = clock_mono_us();
    outcome o;
    run(&o, MODE(state),
        WF "    - {name: c, target: dapt.sleep, args: {seconds: 0.6}}\n"
           "    - {name: p, target: pyexec_fixture.stages.nap, args: {seconds: 0.6}}\n",
        NULL);
    int64_t both = clock_mono_us() - t0;
    assert_state(&o, DAPT_STATE_FINISHED);
    outcome_free(&o);
    t0 = clock_mono_us();
    run(&o, MODE(state),
        WF "    - {name: p, target: pyexec_fixture.stages.nap, args: {seconds: 0.3}}\n"
           "    - {name: q, target: pyexec_fixture.stages.nap, args: {seconds: 0.3}}\n"
           "    - {name: r, target: pyexec_fixture.stages.nap, args: {seconds: 0.3}}\n",
        NULL);
    int64_t three = clock_mono_us() - t0;
    workers = 2;
    assert_state(&o, DAPT_STATE_FINISHED);
    assert_contains(json_string_value(json_object_get(o.record, "executor")),
                    "; python: 1 process of ");
    outcome_free(&o);
    if (both >= 1100000)
        fail_msg("a C and a Python stage did not run side by side (%.2f s)", (double)both / 1e6);
    if (three < 900000)
        fail_msg("three Python stages on one worker took %.2f s: more than one ran at once",
                 (double)three / 1e6);
}

static void test_failure_stops_other_pool(void **state)
{
    SKIP_WITHOUT_PYTHON();
    /* a C stage fails (in thread mode: on a thread of the engine, which
     * leaves stopping the Python stage to the loop) while a Python stage
     * sleeps: the cancel frame stops it long before the grace is over */
    grace = "30s";
    int64_t t0 = clock_mono_us();
    outcome o;
    run(&o, MODE(state),
        WF "    - {name: p, target: pyexec_fixture.stages.nap, args: {seconds: 30}}\n"
           "    - {name: w, target: dapt.sleep, args: {seconds: 0.3}}\n"
           "    - {name: c, target: dapt.fail, depends_on: [w], args: {message: no}}\n",
        NULL);
    int64_t took = clock_mono_us() - t0;
    grace = "1s";
    assert_state(&o, DAPT_STATE_FAILED);
    assert_string_equal(stage_error(&o, "c"), "no");
    assert_string_equal(stage_state(&o, "p"), "cancelled");
    assert_string_equal(stage_error(&o, "p"), "stopped because stage `c` failed");
    outcome_free(&o);
    if (took > 5 * 1000000)
        fail_msg("took %.1f s", (double)took / 1e6);
}

/* ------------------------------------------------------------------ */
/* Crashes                                                             */
/* ------------------------------------------------------------------ */

static void test_crash_named(void **state)
{
    SKIP_WITHOUT_PYTHON();
    outcome o;
    run(&o, MODE(state), WF "    - {name: s, target: pyexec_fixture.stages.exit_now}\n", NULL);
    assert_state(&o, DAPT_STATE_FAILED);
    assert_contains(stage_error(&o, "s"), "worker process ");
    assert_contains(stage_error(&o, "s"), " exited with status 3");
    outcome_free(&o);

    run(&o, MODE(state), WF "    - {name: s, target: pyexec_fixture.stages.segfault}\n", NULL);
    assert_state(&o, DAPT_STATE_FAILED);
    assert_contains(stage_error(&o, "s"), " was killed by SIGSEGV (segmentation fault)");
    outcome_free(&o);

    /* the slot is refilled: the other items of a map whose one item
     * kills its worker run on (the batch is sent again item by item to
     * find the culprit) */
    run(&o, MODE(state),
        WF "    - {name: a, target: pyexec_fixture.stages.numbers, args: {n: 6}}\n"
           "    - {name: s, target: pyexec_fixture.stages.exit_on, type: parameterized,\n"
           "       depends_on: [a], args: {bad: 3}}\n",
        NULL);
    assert_state(&o, DAPT_STATE_FINISHED);
    assert_result(&o, "[0, 1, 2, 4, 5]");
    assert_int_equal(stage_items(&o, "s", "failed"), 1);
    assert_contains(o.log.buf, "item #3 failed: worker process ");
    outcome_free(&o);
}

#define BOTH(fn)                                                                         \
    cmocka_unit_test_prestate(fn, (void *)&process_mode),                              \
        cmocka_unit_test_prestate(fn, (void *)&thread_mode)

int main(void)
{
    python = getenv("DAPT_TEST_PYTHON");
    if (python == NULL || python[0] == '\0')
        python = "/usr/bin/python3";
    if (access(python, X_OK) < 0) {
        /* (cmocka's own skip says "not ok") */
        printf("1..0 # SKIP no Python interpreter at %s\n", python);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        BOTH(test_root_gets_input),
        BOTH(test_dependent_positional),
        BOTH(test_args_over_input),
        BOTH(test_map),
        BOTH(test_map_on),
        BOTH(test_partial_failure),
        BOTH(test_exception_traceback),
        BOTH(test_retries),
        BOTH(test_timeout),
        BOTH(test_cancel_busy_loop),
        BOTH(test_print_lines),
        BOTH(test_mixed_c_python_c),
        BOTH(test_python_value_between_python_stages),
        BOTH(test_c_stage_refuses_python_value),
        BOTH(test_pools_side_by_side),
        BOTH(test_failure_stops_other_pool),
        BOTH(test_crash_named),
    };
    return cmocka_run_group_tests_name("python-run", tests, group_setup, group_teardown);
}
