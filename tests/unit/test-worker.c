/*
 * test-worker.c - a real dapt-worker (engine/worker.c) driven over a
 * socketpair with frames, as the process executor drives it: the builtin
 * plugin's stages in batches, failures, output on the stdout pipe, logs
 * and object requests as frames, cancel by SIGTERM, crashes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"

/* Nothing here should take long: a frame that does not come in this
 * time is a failure, not a hang. */
#define TIMEOUT_MS 20000

typedef struct wk {
    pid_t pid;
    int sock; /* our end */
    int out;  /* its stdout */
    int err;  /* its stderr */
    wire_reader rd;
    char *so; /* the builtin plugin */
    json_int_t next_id;
} wk;

static char *build_path(const char *rel)
{
    const char *top = getenv("top_builddir");
    return xasprintf("%s/%s", top && *top ? top : ".", rel);
}

static void wk_start(wk *w, const char *const *argv_tail)
{
    memset(w, 0, sizeof *w);
    w->so = build_path("plugins/uninstalled/dapt.so");
    char *path = build_path("dapt-worker");
    int sv[2], op[2], ep[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(pipe2(op, O_CLOEXEC), 0);
    assert_int_equal(pipe2(ep, O_CLOEXEC), 0);
    w->pid = fork();
    assert_true(w->pid >= 0);
    if (w->pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(op[1], 1);
        dup2(ep[1], 2);
        dup2(sv[1], 3);
        const char *argv[8] = {path, "--fd", "3", NULL};
        if (argv_tail != NULL) {
            size_t i = 1;
            for (; argv_tail[i - 1]; i++)
                argv[i] = argv_tail[i - 1];
            argv[i] = NULL;
        }
        execv(path, (char **)argv);
        _exit(127);
    }
    free(path);
    close(sv[1]);
    close(op[1]);
    close(ep[1]);
    w->sock = sv[0];
    w->out = op[0];
    w->err = ep[0];
    w->next_id = 1;
}

/* Everything readable from fd until EOF (the worker exited). */
static char *read_all(int fd)
{
    strbuf sb = {0};
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            strbuf_add(&sb, buf, (size_t)n);
    return sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

/* Exactly `len` bytes from fd (its stdout pipe): a line the worker wrote
 * arrives while it still runs. */
static char *read_n(int fd, size_t len)
{
    char *buf = xmalloc(len + 1);
    size_t got = 0;
    while (got < len) {
        struct pollfd p = {fd, POLLIN, 0};
        assert_int_equal(poll(&p, 1, TIMEOUT_MS), 1);
        ssize_t n = read(fd, buf + got, len - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

/* Wait for the worker; its wait status. */
static int wk_wait(wk *w)
{
    int status = 0;
    assert_int_equal(waitpid(w->pid, &status, 0), w->pid);
    w->pid = 0;
    return status;
}

static void wk_free(wk *w)
{
    if (w->sock >= 0)
        close(w->sock);
    if (w->pid > 0) {
        kill(w->pid, SIGKILL);
        wk_wait(w);
    }
    close(w->out);
    close(w->err);
    wire_reader_free(&w->rd);
    free(w->so);
}

static void wk_send(wk *w, json_t *msg)
{
    assert_non_null(msg);
    assert_int_equal(wire_write(w->sock, msg), 0);
    json_decref(msg);
}

/* The next frame from the worker, or NULL at EOF. */
static json_t *wk_frame(wk *w)
{
    for (;;) {
        json_t *m = NULL;
        char *err = NULL;
        int rc = wire_reader_next(&w->rd, &m, &err);
        if (rc < 0)
            fail_msg("corrupt frame from the worker: %s", err);
        if (rc == 1)
            return m;
        struct pollfd p = {w->sock, POLLIN, 0};
        if (poll(&p, 1, TIMEOUT_MS) != 1)
            fail_msg("no frame from the worker in %d ms", TIMEOUT_MS);
        long n = wire_reader_read(&w->rd, w->sock);
        assert_true(n >= 0);
        if (n == 0) {
            assert_int_equal(w->rd.len, w->rd.pos);
            return NULL;
        }
    }
}

static const char *op_of(const json_t *m)
{
    return json_string_value(json_object_get(m, "op"));
}

static void wk_hello(wk *w)
{
    run_info ri = {0};
    ri.run_id = "r1d2e3";
    ri.run_name = "test-run";
    ri.workflow = "wf";
    ri.ns = "space";
    ri.default_strategy = "fallback";
    ri.input = json_object();
    ri.config = json_pack("{s:i}", "answer", 42);
    ri.definition = json_object();
    wk_send(w, json_pack("{s:s, s:o}", "op", "hello", "run", run_info_to_json(&ri)));
    json_decref(ri.input);
    json_decref(ri.config);
    json_decref(ri.definition);
}

/* Send a call of dapt.TARGET with kwargs (a JSON text) over `calls`
 * ([[ITEM, [ARGS...]], ...] as JSON text); its id. */
static json_int_t wk_call(wk *w, const char *target, const char *kwargs, const char *calls)
{
    json_int_t id = w->next_id++;
    json_t *kw = json_loads(kwargs, 0, NULL), *cl = json_loads(calls, 0, NULL);
    assert_non_null(kw);
    assert_non_null(cl);
    wk_send(w, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:n, s:i, s:o, s:o}", "op", "call", "id",
                         id, "so", w->so, "target", target, "stage", "st", "plugin", "dapt",
                         "plugin_dir", "attempt", 1, "kwargs", kw, "calls", cl));
    return id;
}

/* Collect a task's answer: every result entry (in order, across frames)
 * until done; log frames go to *logs (when not NULL).  Returns the number
 * of result frames. */
static size_t wk_collect(wk *w, json_int_t id, json_t *results, json_t *logs)
{
    size_t frames = 0;
    for (;;) {
        json_t *m = wk_frame(w);
        if (m == NULL)
            fail_msg("the worker closed the socket before `done`");
        assert_int_equal(json_integer_value(json_object_get(m, "id")), id);
        const char *op = op_of(m);
        if (strcmp(op, "done") == 0) {
            json_decref(m);
            return frames;
        }
        if (strcmp(op, "result") == 0) {
            json_array_extend(results, json_object_get(m, "r"));
            frames++;
        } else if (strcmp(op, "log") == 0 && logs != NULL) {
            json_array_append(logs, m);
        } else {
            fail_msg("unexpected frame `%s`", op);
        }
        json_decref(m);
    }
}

static void assert_json_eq(const json_t *got, const char *want)
{
    json_t *w = json_loads(want, 0, NULL);
    assert_non_null(w);
    if (!json_equal(got, w)) {
        char *g = json_dumps(got, JSON_COMPACT);
        print_error("got  %s\nwant %s\n", g, want);
        free(g);
        fail();
    }
    json_decref(w);
}

/* ------------------------------------------------------------------ */

static void test_batch(void **state)
{
    (void)state;
    wk w;
    wk_start(&w, NULL);
    wk_hello(&w);
    json_int_t id = wk_call(&w, "square", "{}", "[[0,[1]],[1,[2]],[2,[3]],[7,[-4]]]");
    json_t *r = json_array();
    assert_int_equal(wk_collect(&w, id, r, NULL), 1); /* a small batch: one frame */
    assert_json_eq(r, "[[0,1,1],[1,1,4],[2,1,9],[7,1,16]]");
    json_decref(r);

    /* a simple stage (item -1), with named arguments */
    id = wk_call(&w, "square", "{\"x\":5}", "[[-1,[]]]");
    r = json_array();
    wk_collect(&w, id, r, NULL);
    assert_json_eq(r, "[[-1,1,25]]");
    json_decref(r);

    /* EOF on the socket: the worker exits 0 */
    close(w.sock);
    w.sock = -1;
    int status = wk_wait(&w);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    wk_free(&w);
}

/* A big batch comes back in several frames (at least one per 256 calls),
 * every result in call order. */
static void test_big_batch(void **state)
{
    (void)state;
    wk w;
    wk_start(&w, NULL);
    wk_hello(&w);
    strbuf calls = {0};
    strbuf want = {0};
    strbuf_putc(&calls, '[');
    strbuf_putc(&want, '[');
    for (int i = 0; i < 1000; i++) {
        strbuf_printf(&calls, "%s[%d,[%d]]", i ? "," : "", i, i);
        strbuf_printf(&want, "%s[%d,1,%d]", i ? "," : "", i, i * i);
    }
    strbuf_putc(&calls, ']');
    strbuf_putc(&want, ']');
    json_int_t id = wk_call(&w, "square", "{}", calls.buf);
    json_t *r = json_array();
    size_t frames = wk_collect(&w, id, r, NULL);
    assert_true(frames >= 4);
    assert_json_eq(r, want.buf);
    json_decref(r);
    strbuf_free(&calls);
    strbuf_free(&want);
    wk_free(&w);
}

static void test_failing_item(void **state)
{
    (void)state;
    wk w;
    wk_start(&w, NULL);
    wk_hello(&w);
    json_int_t id = wk_call(&w, "fail", "{\"on\":[2]}", "[[0,[1]],[1,[2]],[2,[3]]]");
    json_t *r = json_array();
    wk_collect(&w, id, r, NULL);
    assert_json_eq(r, "[[0,1,1],[1,0,\"dapt.fail was asked to fail\"],[2,1,3]]");
    json_decref(r);

    /* a target the plugin does not have: every call says why */
    id = wk_call(&w, "no_such", "{}", "[[0,[1]],[1,[2]]]");
    r = json_array();
    wk_collect(&w, id, r, NULL);
    assert_int_equal(json_array_size(r), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *e = json_array_get(r, i);
        assert_int_equal(json_integer_value(json_array_get(e, 0)), (json_int_t)i);
        assert_int_equal(json_integer_value(json_array_get(e, 1)), 0);
        assert_non_null(strstr(json_string_value(json_array_get(e, 2)),
                               "has no stage target `no_such`"));
    }
    json_decref(r);
    wk_free(&w);
}

/* dapt.log writes to stdout: the lines are on the pipe when `done` comes
 * (flushed after the call), and dapt_ctx_log lines come as frames. */
static void test_output(void **state)
{
    (void)state;
    wk w;
    wk_start(&w, NULL);
    wk_hello(&w);
    json_int_t id = wk_call(&w, "log", "{\"lines\":3,\"width\":10}", "[[-1,[]]]");
    json_t *r = json_array();
    wk_collect(&w, id, r, NULL);
    assert_json_eq(r, "[[-1,1,3]]");
    json_decref(r);
    const char *want = "1 bcdefghi\n2 cdefghij\n3 defghijk\n";
    char *got = read_n(w.out, strlen(want));
    assert_string_equal(got, want);
    free(got);
    wk_free(&w);
}

static void test_object(void **state)
{
    (void)state;
    wk w;
    wk_start(&w, NULL);
    wk_hello(&w);
    json_int_t id = wk_call(&w, "get", "{\"key\":\"k1\"}", "[[-1,[]]]");
    /* the worker asks; the test is the engine's object store */
    json_t *m = wk_frame(&w);
    assert_non_null(m);
    assert_string_equal(op_of(m), "object");
    assert_int_equal(json_integer_value(json_object_get(m, "id")), id);
    /* namespace and strategy default from the run (the hello) */
    assert_json_eq(json_object_get(m, "req"),
                   "{\"op\":\"get\",\"key\":\"k1\",\"namespace\":\"space\","
                   "\"strategy\":\"fallback\"}");
    json_decref(m);
    wk_send(&w, json_pack("{s:s, s:b, s:{s:[i, i]}}", "op", "reply", "ok", 1, "value", "v", 1, 2));
    json_t *r = json_array();
    wk_collect(&w, id, r, NULL);
    assert_json_eq(r, "[[-1,1,{\"v\":[1,2]}]]");
    json_decref(r);

    /* a failed request: the stage fails with the store's message */
    id = wk_call(&w, "put", "{\"key\":\"k2\",\"namespace\":\"other\",\"strategy\":\"artifact\"}",
                 "[[-1,[7]]]");
    m = wk_frame(&w);
    assert_non_null(m);
    assert_json_eq(json_object_get(m, "req"),
                   "{\"op\":\"put\",\"key\":\"k2\",\"namespace\":\"other\","
                   "\"strategy\":\"artifact\",\"value\":7}");
    json_decref(m);
    wk_send(&w, json_pack("{s:s, s:b, s:s}", "op", "reply", "ok", 0, "error", "disk on fire"));
    r = json_array();
    wk_collect(&w, id, r, NULL);
    assert_json_eq(r, "[[-1,0,\"dapt.put: disk on fire\"]]");
    json_decref(r);
    wk_free(&w);
}

static int64_t now_ms(void)
{
    return clock_mono_us() / 1000;
}

/* SIGTERM: the call running sees dapt_ctx_cancelled and stops, the rest
 * of the batch is answered "cancelled", and the worker serves the next
 * task as usual.  SIGINT does nothing. */
static void test_cancel(void **state)
{
    (void)state;
    wk w;
    wk_start(&w, NULL);
    wk_hello(&w);
    /* it is up and serving before the signals come */
    json_int_t id = wk_call(&w, "square", "{}", "[[0,[3]]]");
    json_t *r = json_array();
    wk_collect(&w, id, r, NULL);
    json_decref(r);
    kill(w.pid, SIGINT);

    int64_t start = now_ms();
    id = wk_call(&w, "sleep", "{\"seconds\":30}", "[[0,[1]],[1,[2]],[2,[3]]]");
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    kill(w.pid, SIGTERM);
    r = json_array();
    wk_collect(&w, id, r, NULL);
    assert_true(now_ms() - start < 10000);
    assert_int_equal(json_array_size(r), 3);
    const char *first = json_string_value(json_array_get(json_array_get(r, 0), 2));
    assert_int_equal(json_integer_value(json_array_get(json_array_get(r, 0), 1)), 0);
    assert_non_null(first);
    assert_true(strncmp(first, "dapt.sleep: cancelled after 0.", 30) == 0);
    assert_non_null(strstr(first, " of 30 seconds"));
    assert_json_eq(json_array_get(r, 1), "[1,0,\"cancelled\"]");
    assert_json_eq(json_array_get(r, 2), "[2,0,\"cancelled\"]");
    json_decref(r);

    /* the flag was for that task only */
    id = wk_call(&w, "sleep", "{\"seconds\":0.01}", "[[0,[5]]]");
    r = json_array();
    wk_collect(&w, id, r, NULL);
    assert_json_eq(r, "[[0,1,5]]");
    json_decref(r);
    wk_free(&w);
}

/* A stage that kills its process: the log frame it wrote first arrives,
 * then EOF, and the wait status has the signal. */
static void test_crash(void **state)
{
    (void)state;
    wk w;
    wk_start(&w, NULL);
    wk_hello(&w);
    json_int_t id = wk_call(&w, "crash", "{\"on\":[2]}", "[[0,[1]],[1,[2]],[2,[3]]]");
    json_t *results = json_array(), *logs = json_array();
    json_t *m;
    while ((m = wk_frame(&w)) != NULL) {
        assert_int_equal(json_integer_value(json_object_get(m, "id")), id);
        if (strcmp(op_of(m), "log") == 0)
            json_array_append(logs, m);
        else if (strcmp(op_of(m), "result") == 0)
            json_array_extend(results, json_object_get(m, "r"));
        else
            fail_msg("unexpected frame `%s`", op_of(m));
        json_decref(m);
    }
    /* the first item's result was flushed with the log line, in order */
    assert_json_eq(results, "[[0,1,1]]");
    assert_int_equal(json_array_size(logs), 1);
    json_t *log = json_array_get(logs, 0);
    assert_int_equal(json_integer_value(json_object_get(log, "i")), 1);
    assert_int_equal(json_integer_value(json_object_get(log, "level")), DAPT_LOG_WARNING);
    char *want = xasprintf("dapt.crash: killing process %ld with SIGSEGV", (long)w.pid);
    assert_string_equal(json_string_value(json_object_get(log, "text")), want);
    free(want);
    json_decref(results);
    json_decref(logs);
    int status = wk_wait(&w);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    wk_free(&w);
}

/* Frames that break the protocol end the worker with status 1 and a
 * message on its stderr. */
static void test_protocol_errors(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        const char *message;
    } cases[] = {
        {"\0\0\0\x02[]", 6, "dapt-worker: corrupt stream: a frame is not a JSON object\n"},
        {"\0\0\0\x0a{\"op\":\"x\"}", 14, "dapt-worker: unexpected frame `x`\n"},
        {"\0\0\0\x0f{\"op\"", 9,
         "dapt-worker: the engine closed the connection inside a frame\n"},
        {"\0\0\0\x0e{\"op\":\"hello\"}", 18, "dapt-worker: the hello frame has no run\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wk w;
        wk_start(&w, NULL);
        assert_int_equal(write(w.sock, cases[i].bytes, cases[i].len), (ssize_t)cases[i].len);
        shutdown(w.sock, SHUT_WR);
        char *err = read_all(w.err);
        int status = wk_wait(&w);
        assert_string_equal(err, cases[i].message);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 1);
        free(err);
        wk_free(&w);
    }
}

static void test_usage(void **state)
{
    (void)state;
    static const char *const bad[][4] = {{"--fd", NULL}, {"--fd", "3", "x", NULL}};
    /* wk_start passes "--fd 3" then the tail: a tail makes argv wrong */
    for (size_t i = 0; i < 2; i++) {
        wk w;
        wk_start(&w, bad[i]);
        char *err = read_all(w.err);
        int status = wk_wait(&w);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 2);
        assert_true(strncmp(err, "usage: dapt-worker --fd N", 25) == 0);
        free(err);
        wk_free(&w);
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch),      cmocka_unit_test(test_big_batch),
        cmocka_unit_test(test_failing_item), cmocka_unit_test(test_output),
        cmocka_unit_test(test_object),     cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_crash),      cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests_name("worker", tests, NULL, NULL);
}
