/* test-store.c - the run store: records, stages, log lines in chunks,
 * search, run id prefixes, liveness and the marking of interrupted runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "engine.h"

static char *make_workspace(void)
{
    char tmpl[] = "/tmp/dapt-store.XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    return xstrdup(tmpl);
}

static void remove_workspace(char *ws)
{
    char *cmd = xasprintf("rm -rf '%s'", ws);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(ws);
}

static store *open_store(const char *ws)
{
    store *st = NULL;
    char *error = NULL;
    int rc = store_open(&st, ws, &error);
    if (rc != 0)
        fail_msg("store_open: %s", error);
    return st;
}

static json_t *record(const char *id, const char *workflow, const char *state)
{
    return json_pack("{ss ss ss ss ss so? sn sn sn}", "id", id, "workflow", workflow, "state",
                     state, "source", "cli", "started_at", "2026-11-25T10:37:43.250Z",
                     "finished_at",
                     strcmp(state, "running") == 0 ? NULL : json_string("2026-11-25T10:37:45.450Z"),
                     "result", "error", "commit");
}

static json_t *stage(const char *name, const char *state, int total, int ok, int failed)
{
    return json_pack("{ss ss ss sn si s{si si si} sn}", "name", name, "state", state, "started_at",
                     "2026-11-25T10:37:43.300Z", "finished_at", "attempts", 1, "items", "total",
                     total, "ok", ok, "failed", failed, "error");
}

static json_t *get_run(store *st, const char *id)
{
    json_t *out = NULL;
    char *error = NULL;
    if (store_get_run(st, &out, id, &error) != 0)
        fail_msg("store_get_run(%s): %s", id, error);
    return out;
}

static char *get_run_error(store *st, const char *id)
{
    json_t *out = NULL;
    char *error = NULL;
    assert_int_equal(store_get_run(st, &out, id, &error), -1);
    assert_null(out);
    assert_non_null(error);
    return error;
}

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static size_t db_count(const char *ws, const char *sql)
{
    char *path = xasprintf("%s/.dapt/dapt.db", ws);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    size_t n = (size_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    free(path);
    return n;
}

/* ------------------------------------------------------------------ */

static void test_open_empty(void **state)
{
    (void)state;
    char *ws = make_workspace();
    store *st = open_store(ws);
    char *db = xasprintf("%s/.dapt/dapt.db", ws);
    struct stat sb;
    assert_int_equal(stat(db, &sb), 0);
    free(db);
    json_t *runs = NULL;
    char *error = NULL;
    assert_int_equal(store_list_runs(st, &runs, NULL, NULL, 0, &error), 0);
    assert_true(json_is_array(runs));
    assert_int_equal(json_array_size(runs), 0);
    json_decref(runs);
    store_close(st);
    /* A second open of an existing store */
    st = open_store(ws);
    store_close(st);
    remove_workspace(ws);
}

static void test_run_record(void **state)
{
    (void)state;
    char *ws = make_workspace();
    store *st = open_store(ws);
    json_t *r = record("abc123", "hello", "running");
    store_put_run(st, r);
    json_t *s0 = stage("fetch", "finished", 0, 0, 0);
    json_t *s1 = stage("square", "running", 10, 4, 1);
    store_put_stage(st, "abc123", 0, s0);
    store_put_stage(st, "abc123", 1, s1);
    store_flush(st);

    json_t *got = get_run(st, "abc123");
    assert_string_equal(str(got, "id"), "abc123");
    assert_string_equal(str(got, "state"), "running");
    assert_string_equal(str(got, "workflow"), "hello");
    json_t *stages = json_object_get(got, "stages");
    assert_int_equal(json_array_size(stages), 2);
    assert_true(json_equal(json_array_get(stages, 0), s0));
    assert_true(json_equal(json_array_get(stages, 1), s1));
    /* The record keeps its keys in order, stages last. */
    const char *keys[] = {"id",          "workflow", "state", "source", "started_at",
                          "finished_at", "result",   "error", "commit", "stages"};
    size_t k = 0;
    const char *key;
    json_t *v;
    json_object_foreach(got, key, v)
    {
        assert_true(k < 10);
        assert_string_equal(key, keys[k++]);
    }
    assert_int_equal(k, 10);
    json_decref(got);

    /* The end: the stage updated, the run finished with a result. */
    json_decref(s1);
    s1 = stage("square", "finished", 10, 9, 1);
    store_put_stage(st, "abc123", 1, s1);
    json_decref(r);
    r = record("abc123", "hello", "finished");
    json_object_set_new(r, "result", json_pack("[iii]", 0, 1, 4));
    store_put_run(st, r);
    store_flush(st);
    got = get_run(st, "abc123");
    assert_string_equal(str(got, "state"), "finished");
    assert_true(json_equal(json_object_get(got, "result"), json_object_get(r, "result")));
    assert_true(json_equal(json_array_get(json_object_get(got, "stages"), 1), s1));
    json_decref(got);
    /* The lock of a finished run is gone. */
    char *lock = xasprintf("%s/.dapt/runs/abc123.lock", ws);
    assert_int_equal(access(lock, F_OK), -1);
    free(lock);
    json_decref(s0);
    json_decref(s1);

    /* Stages in the record itself are stored as stages. */
    json_decref(r);
    r = record("def456", "etl", "failed");
    json_object_set_new(r, "error", json_string("stage `load` failed: boom"));
    json_object_set_new(r, "stages", json_pack("[o]", stage("load", "failed", 0, 0, 0)));
    store_put_run(st, r);
    store_close(st);

    st = open_store(ws);
    got = get_run(st, "def456");
    assert_true(json_equal(got, r));
    json_decref(got);
    json_decref(r);
    store_close(st);
    remove_workspace(ws);
}

static void test_list_runs(void **state)
{
    (void)state;
    char *ws = make_workspace();
    store *st = open_store(ws);
    const char *ids[] = {"aaa111", "bbb222", "ccc333", "ddd444"};
    const char *wfs[] = {"hello", "etl", "hello", "hello"};
    const char *states[] = {"finished", "failed", "finished", "cancelled"};
    for (int i = 0; i < 4; i++) {
        json_t *r = record(ids[i], wfs[i], states[i]);
        store_put_run(st, r);
        json_decref(r);
    }
    store_flush(st);
    json_t *runs;
    char *error = NULL;
    assert_int_equal(store_list_runs(st, &runs, NULL, NULL, 0, &error), 0);
    assert_int_equal(json_array_size(runs), 4);
    /* newest first, each with its (empty) stages */
    assert_string_equal(str(json_array_get(runs, 0), "id"), "ddd444");
    assert_string_equal(str(json_array_get(runs, 3), "id"), "aaa111");
    assert_true(json_is_array(json_object_get(json_array_get(runs, 0), "stages")));
    json_decref(runs);

    assert_int_equal(store_list_runs(st, &runs, "hello", NULL, 0, &error), 0);
    assert_int_equal(json_array_size(runs), 3);
    json_decref(runs);
    assert_int_equal(store_list_runs(st, &runs, "hello", "finished", 0, &error), 0);
    assert_int_equal(json_array_size(runs), 2);
    assert_string_equal(str(json_array_get(runs, 0), "id"), "ccc333");
    json_decref(runs);
    assert_int_equal(store_list_runs(st, &runs, NULL, NULL, 2, &error), 0);
    assert_int_equal(json_array_size(runs), 2);
    assert_string_equal(str(json_array_get(runs, 1), "id"), "ccc333");
    json_decref(runs);
    assert_int_equal(store_list_runs(st, &runs, "nope", NULL, 0, &error), 0);
    assert_int_equal(json_array_size(runs), 0);
    json_decref(runs);
    store_close(st);
    remove_workspace(ws);
}

static void test_id_prefixes(void **state)
{
    (void)state;
    char *ws = make_workspace();
    store *st = open_store(ws);
    const char *ids[] = {"k3x9a2", "k3p0zz", "m1n2b3"};
    for (int i = 0; i < 3; i++) {
        json_t *r = record(ids[i], i == 2 ? "etl" : "hello", "finished");
        store_put_run(st, r);
        json_decref(r);
    }
    store_flush(st);
    json_t *got = get_run(st, "m");
    assert_string_equal(str(got, "id"), "m1n2b3");
    json_decref(got);
    got = get_run(st, "k3x");
    assert_string_equal(str(got, "id"), "k3x9a2");
    json_decref(got);
    got = get_run(st, "k3p0zz");
    assert_string_equal(str(got, "id"), "k3p0zz");
    json_decref(got);

    char *error = get_run_error(st, "k3");
    assert_string_equal(error, "run id `k3` is ambiguous: k3p0zz (hello), k3x9a2 (hello)");
    free(error);
    error = get_run_error(st, "zzz");
    char *want = xasprintf("no run `zzz` in %s/.dapt/dapt.db", ws);
    assert_string_equal(error, want);
    free(want);
    free(error);
    error = get_run_error(st, "");
    free(error);
    error = get_run_error(st, "k3x9a2b"); /* longer than any id */
    free(error);
    store_close(st);

    /* The workspace "." is shown as .dapt/dapt.db */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(ws), 0);
    st = open_store(".");
    error = get_run_error(st, "zzz");
    assert_string_equal(error, "no run `zzz` in .dapt/dapt.db");
    free(error);
    store_close(st);
    assert_int_equal(chdir(cwd), 0);
    remove_workspace(ws);
}

/* ------------------------------------------------------------------ */
/* Log lines                                                           */
/* ------------------------------------------------------------------ */

static json_t *lines_of(store *st, const char *run, const char *stage, const char *grep,
                        int64_t after, int limit, int64_t *last)
{
    json_t *out = NULL;
    char *error = NULL;
    if (store_get_lines(st, &out, run, stage, grep, after, limit, last, &error) != 0)
        fail_msg("store_get_lines: %s", error);
    return out;
}

static dapt_log_line line(const char *stage, long item, dapt_stream stream, const char *text)
{
    return (dapt_log_line){
        .ts_us = 1764067063000000LL,
        .stage = stage,
        .item = item,
        .stream = stream,
        .level = DAPT_LOG_INFO,
        .text = text,
        .len = strlen(text),
    };
}

static void test_lines(void **state)
{
    (void)state;
    char *ws = make_workspace();
    store *st = open_store(ws);
    json_t *r = record("run001", "hello", "running");
    store_put_run(st, r);
    json_decref(r);

    /* 3000 lines: 1500 of stage a (no item) at once, then items of b in
     * batches of 100 */
    char text[64];
    char *texts[3000];
    dapt_log_line lines[3000];
    for (int n = 0; n < 3000; n++) {
        snprintf(text, sizeof text, "line %d of %s", n, n < 1500 ? "Alpha" : "beta");
        texts[n] = xstrdup(text);
        lines[n] = line(n < 1500 ? "a" : "b", n < 1500 ? -1 : n % 3, DAPT_STREAM_STDOUT, texts[n]);
        lines[n].ts_us += n * 1000;
        if (n >= 1500 && n % 100 == 7)
            lines[n].level = DAPT_LOG_WARNING;
    }
    store_put_lines(st, "run001", lines, 1500);
    for (int batch = 15; batch < 30; batch++)
        store_put_lines(st, "run001", lines + batch * 100, 100);
    dapt_log_line own = line(NULL, -1, DAPT_STREAM_ENGINE, "the run's own line");
    store_put_lines(st, "run001", &own, 1);
    store_flush(st);

    int64_t last = -1;
    json_t *all = lines_of(st, "run001", NULL, NULL, 0, 0, &last);
    assert_int_equal(json_array_size(all), 3001);
    assert_int_equal(last, 3001);
    for (int n = 0; n < 3000; n++) {
        json_t *l = json_array_get(all, (size_t)n);
        assert_int_equal(json_integer_value(json_object_get(l, "seq")), n + 1);
        assert_string_equal(str(l, "text"), texts[n]);
        assert_string_equal(str(l, "stage"), n < 1500 ? "a" : "b");
        assert_string_equal(str(l, "stream"), "stdout");
        assert_string_equal(str(l, "level"), n >= 1500 && n % 100 == 7 ? "warning" : "info");
        if (n < 1500)
            assert_true(json_is_null(json_object_get(l, "item")));
        else
            assert_int_equal(json_integer_value(json_object_get(l, "item")), n % 3);
    }
    json_t *l0 = json_array_get(all, 0), *l1 = json_array_get(all, 1);
    assert_string_equal(str(l0, "ts"), "2025-11-25T10:37:43.000Z");
    assert_string_equal(str(l1, "ts"), "2025-11-25T10:37:43.001Z");
    json_t *lown = json_array_get(all, 3000);
    assert_true(json_is_null(json_object_get(lown, "stage")));
    assert_string_equal(str(lown, "stream"), "engine");
    assert_string_equal(str(lown, "text"), "the run's own line");
    json_decref(all);

    /* after and limit */
    json_t *some = lines_of(st, "run001", NULL, NULL, 1234, 10, &last);
    assert_int_equal(json_array_size(some), 10);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(some, 0), "seq")), 1235);
    assert_int_equal(last, 1244);
    json_decref(some);
    some = lines_of(st, "run001", NULL, NULL, 3001, 0, &last);
    assert_int_equal(json_array_size(some), 0);
    assert_int_equal(last, 3001);
    json_decref(some);

    /* one stage */
    some = lines_of(st, "run001", "b", NULL, 0, 0, &last);
    assert_int_equal(json_array_size(some), 1500);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(some, 0), "seq")), 1501);
    json_decref(some);

    /* grep: case-insensitive, through the index and without it */
    some = lines_of(st, "run001", NULL, "ALPHA", 0, 0, &last);
    assert_int_equal(json_array_size(some), 1500);
    json_decref(some);
    some = lines_of(st, "run001", NULL, "line 2999 of", 0, 0, &last);
    assert_int_equal(json_array_size(some), 1);
    assert_string_equal(str(json_array_get(some, 0), "text"), "line 2999 of beta");
    json_decref(some);
    some = lines_of(st, "run001", "a", "9 of", 0, 0, &last); /* 9, 19, ..., 1499 */
    assert_int_equal(json_array_size(some), 150);
    json_decref(some);
    some = lines_of(st, "run001", NULL, "99", 0, 0, &last); /* short: no index */
    assert_int_equal(json_array_size(some), 57);            /* x99, 990-998, 1990-1998, 2990-2998 */
    json_decref(some);
    some = lines_of(st, "run001", NULL, "nowhere", 0, 0, &last);
    assert_int_equal(json_array_size(some), 0);
    json_decref(some);
    some = lines_of(st, "run001", NULL, "\"quoted\" AND", 0, 0, &last);
    assert_int_equal(json_array_size(some), 0);
    json_decref(some);

    /* Lines written after the index: the next search indexes them. */
    dapt_log_line more[2] = {line("c", -1, DAPT_STREAM_LOG, "a NEW alpha line"),
                             line("c", -1, DAPT_STREAM_STDERR, "alpha on stderr")};
    store_put_lines(st, "run001", more, 2);
    store_flush(st);
    some = lines_of(st, "run001", NULL, "new ALPHA", 0, 0, &last);
    assert_int_equal(json_array_size(some), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(some, 0), "seq")), 3002);
    json_decref(some);
    some = lines_of(st, "run001", "c", "alpha", 0, 0, &last);
    assert_int_equal(json_array_size(some), 2);
    assert_string_equal(str(json_array_get(some, 1), "stream"), "stderr");
    json_decref(some);

    /* Consecutive lines alike share a row: stage a's are one. */
    assert_int_equal(db_count(ws, "SELECT COUNT(*) FROM log_chunks WHERE stage = 'a'"), 1);
    assert_int_equal(db_count(ws, "SELECT SUM(nlines) FROM log_chunks"), 3003);
    store_close(st);

    /* Reopened: numbering goes on. */
    st = open_store(ws);
    dapt_log_line after = line("d", -1, DAPT_STREAM_LOG, "after reopening");
    store_put_lines(st, "run001", &after, 1);
    store_flush(st);
    some = lines_of(st, "run001", "d", NULL, 0, 0, &last);
    assert_int_equal(json_array_size(some), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(some, 0), "seq")), 3004);
    json_decref(some);
    /* Another run's lines are its own. */
    some = lines_of(st, "other", NULL, NULL, 0, 0, &last);
    assert_int_equal(json_array_size(some), 0);
    json_decref(some);
    store_close(st);
    for (int n = 0; n < 3000; n++)
        free(texts[n]);
    remove_workspace(ws);
}

static void test_odd_lines(void **state)
{
    (void)state;
    char *ws = make_workspace();
    store *st = open_store(ws);
    size_t big = 200 * 1024;
    char *huge = xmalloc(big);
    memset(huge, 'x', big);
    memcpy(huge + big - 6, "needle", 6);
    dapt_log_line lines[6] = {
        line("s", -1, DAPT_STREAM_STDOUT, ""),
        line("s", -1, DAPT_STREAM_STDOUT, "two\nlines in one"),
        line("s", -1, DAPT_STREAM_STDOUT, "bad \xff\xfe utf-8"),
        line("s", -1, DAPT_STREAM_STDOUT, "caf\xc3\xa9"),
        line("s", -1, DAPT_STREAM_STDOUT, "x"),
        line("s", -1, DAPT_STREAM_STDOUT, "not past len"),
    };
    lines[4].text = huge;
    lines[4].len = big;
    lines[5].len = 3;
    lines[2].ts_us -= 5000000; /* time may go back */
    store_put_lines(st, "r", lines, 6);
    store_flush(st);
    int64_t last;
    json_t *all = lines_of(st, "r", NULL, NULL, 0, 0, &last);
    assert_int_equal(json_array_size(all), 6);
    assert_string_equal(str(json_array_get(all, 0), "text"), "");
    assert_string_equal(str(json_array_get(all, 1), "text"), "two\nlines in one");
    assert_string_equal(str(json_array_get(all, 2), "text"), "bad \xef\xbf\xbd\xef\xbf\xbd utf-8");
    assert_string_equal(str(json_array_get(all, 2), "ts"), "2025-11-25T10:37:38.000Z");
    assert_string_equal(str(json_array_get(all, 3), "text"), "caf\xc3\xa9");
    assert_int_equal(json_string_length(json_object_get(json_array_get(all, 4), "text")), big);
    assert_string_equal(str(json_array_get(all, 5), "text"), "not");
    json_decref(all);
    json_t *some = lines_of(st, "r", NULL, "NEEDLE", 0, 0, &last);
    assert_int_equal(json_array_size(some), 1);
    json_decref(some);
    some = lines_of(st, "r", NULL, "lines in", 0, 0, &last);
    assert_int_equal(json_array_size(some), 1);
    json_decref(some);
    some = lines_of(st, "r", NULL, "caf\xc3\xa9", 0, 0, &last);
    assert_int_equal(json_array_size(some), 1);
    json_decref(some);
    free(huge);
    store_close(st);
    remove_workspace(ws);
}

/* Writers in several threads at once: nothing lost, numbers unique. */
typedef struct writer_arg {
    store *st;
    char run[8];
} writer_arg;

static void *writer(void *p)
{
    writer_arg *a = p;
    for (int b = 0; b < 50; b++) {
        dapt_log_line lines[20];
        for (int i = 0; i < 20; i++)
            lines[i] = line("w", i % 2, DAPT_STREAM_LOG, "from a thread");
        store_put_lines(a->st, a->run, lines, 20);
        json_t *r = record(a->run, "threads", "running");
        store_put_run(a->st, r);
        json_decref(r);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    char *ws = make_workspace();
    store *st = open_store(ws);
    pthread_t t[4];
    writer_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i].st = st;
        snprintf(args[i].run, sizeof args[i].run, "run%d", i % 2);
        assert_int_equal(pthread_create(&t[i], NULL, writer, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    store_flush(st);
    for (int r = 0; r < 2; r++) {
        int64_t last;
        char run[8];
        snprintf(run, sizeof run, "run%d", r);
        json_t *all = lines_of(st, run, NULL, NULL, 0, 0, &last);
        assert_int_equal(json_array_size(all), 2000);
        assert_int_equal(last, 2000);
        for (size_t i = 0; i < 2000; i++)
            assert_int_equal(json_integer_value(json_object_get(json_array_get(all, i), "seq")),
                             (json_int_t)i + 1);
        json_decref(all);
    }
    store_close(st);
    remove_workspace(ws);
}

/* ------------------------------------------------------------------ */
/* Liveness                                                            */
/* ------------------------------------------------------------------ */

/* In a child: open the store, put a running run with a running and a
 * pending stage, flush, then tell the parent and wait for `hold` to be
 * closed (or not at all), and die without closing.  hold_w: the other
 * end of hold's pipe, which the child must not keep open. */
static pid_t child_run(const char *ws, const char *id, int hold, int hold_w)
{
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        if (hold_w >= 0)
            close(hold_w);
        store *st;
        char *error;
        if (store_open(&st, ws, &error) != 0)
            _exit(3);
        json_t *r = record(id, "hello", "running");
        json_object_set_new(
            r, "stages",
            json_pack("[oo]", stage("one", "running", 0, 0, 0), stage("two", "pending", 0, 0, 0)));
        store_put_run(st, r);
        store_flush(st);
        if (write(ready[1], "x", 1) != 1)
            _exit(4);
        char c;
        if (hold >= 0)
            while (read(hold, &c, 1) > 0)
                ;
        _exit(0);
    }
    close(ready[1]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    return pid;
}

static void test_interrupted(void **state)
{
    (void)state;
    char *ws = make_workspace();
    pid_t pid = child_run(ws, "dead01", -1, -1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    store *st = open_store(ws);
    json_t *got = get_run(st, "dead01");
    assert_string_equal(str(got, "state"), "interrupted");
    char *want = xasprintf("the process running it (pid %d) died", (int)pid);
    assert_string_equal(str(got, "error"), want);
    free(want);
    json_t *stages = json_object_get(got, "stages");
    assert_string_equal(str(json_array_get(stages, 0), "state"), "interrupted");
    assert_string_equal(str(json_array_get(stages, 1), "state"), "skipped");
    json_decref(got);
    json_t *runs;
    char *error;
    assert_int_equal(store_list_runs(st, &runs, NULL, "interrupted", 0, &error), 0);
    assert_int_equal(json_array_size(runs), 1);
    json_decref(runs);
    char *lock = xasprintf("%s/.dapt/runs/dead01.lock", ws);
    assert_int_equal(access(lock, F_OK), -1);
    free(lock);
    store_close(st);
    remove_workspace(ws);
}

static void test_alive(void **state)
{
    (void)state;
    char *ws = make_workspace();
    int hold[2];
    assert_int_equal(pipe(hold), 0);
    pid_t pid = child_run(ws, "live01", hold[0], hold[1]);
    close(hold[0]);

    /* Its process is alive: the run stays running, through open, list
     * and get. */
    store *st = open_store(ws);
    json_t *got = get_run(st, "live01");
    assert_string_equal(str(got, "state"), "running");
    json_decref(got);
    json_t *runs;
    char *error;
    assert_int_equal(store_list_runs(st, &runs, NULL, "running", 0, &error), 0);
    assert_int_equal(json_array_size(runs), 1);
    json_decref(runs);

    /* It dies: the next look at it says so. */
    close(hold[1]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    got = get_run(st, "live01");
    assert_string_equal(str(got, "state"), "interrupted");
    json_decref(got);
    store_close(st);

    /* A run of this very process is alive too, even to a second store. */
    st = open_store(ws);
    json_t *r = record("mine01", "hello", "running");
    store_put_run(st, r);
    store_flush(st);
    store *other = open_store(ws);
    got = get_run(other, "mine01");
    assert_string_equal(str(got, "state"), "running");
    json_decref(got);
    /* Closing a store with a run still going abandons it. */
    store_close(st);
    got = get_run(other, "mine01");
    assert_string_equal(str(got, "state"), "interrupted");
    json_decref(got);
    store_close(other);
    json_decref(r);
    remove_workspace(ws);
}

static void test_times(void **state)
{
    (void)state;
    int64_t us = 0;
    json_t *v = json_string("2026-11-25T10:37:43.123Z");
    assert_int_equal(store_parse_time(v, &us), 0);
    assert_int_equal(us, 1795603063123000LL);
    json_decref(v);
    char iso[40];
    clock_iso(iso, sizeof iso, us);
    assert_string_equal(iso, "2026-11-25T10:37:43.123Z");
    v = json_string("2026-11-25 12:37:43+02:00");
    assert_int_equal(store_parse_time(v, &us), 0);
    assert_int_equal(us, 1795603063000000LL);
    json_decref(v);
    v = json_integer(1795603063123456LL);
    assert_int_equal(store_parse_time(v, &us), 0);
    assert_int_equal(us, 1795603063123456LL);
    json_decref(v);
    const char *bad[] = {"", "yesterday", "2026-11-25", "2026-11-25T10:37:43.5Q"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = json_string(bad[i]);
        assert_int_equal(store_parse_time(v, &us), -1);
        json_decref(v);
    }
    assert_int_equal(store_parse_time(json_null(), &us), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_empty), cmocka_unit_test(test_run_record),
        cmocka_unit_test(test_list_runs),  cmocka_unit_test(test_id_prefixes),
        cmocka_unit_test(test_lines),      cmocka_unit_test(test_odd_lines),
        cmocka_unit_test(test_threads),    cmocka_unit_test(test_interrupted),
        cmocka_unit_test(test_alive),      cmocka_unit_test(test_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
