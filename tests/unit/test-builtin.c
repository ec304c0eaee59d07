/*
 * test-builtin.c - the plugins that ship with dapt, called directly: the
 * builtin plugin `dapt` (plugins/builtin) and the example `cities`
 * (plugins/examples/cities).
 *
 * Each .so is dlopened from the build tree as a host would, its targets
 * found in the descriptor, and called with a small test host: a dapt_ctx
 * whose dapt_host_api records log lines and the failure message, answers
 * info("plugin_dir") and can say "cancelled".  Stages that end or write
 * to their process (dapt.crash, dapt.log) run in a forked child.
 */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <dapt/plugin.h>

/* ------------------------------------------------------------------ */
/* The test host                                                      */
/* ------------------------------------------------------------------ */

typedef struct test_ctx {
    dapt_ctx base; /* first: the plugin sees a dapt_ctx */
    char *error;   /* the message of dapt_ctx_fail, or NULL */
    int fails;     /* how many times fail was called */
    char log[8192];
    const char *plugin_dir;
    json_t *config;
    int cancelled;
} test_ctx;

static test_ctx *of(dapt_ctx *ctx)
{
    return (test_ctx *)ctx;
}

static void host_log(dapt_ctx *ctx, int level, const char *message)
{
    static const char *const names[] = {"debug", "info", "warning", "error"};
    test_ctx *t = of(ctx);
    size_t len = strlen(t->log);
    snprintf(t->log + len, sizeof t->log - len, "%s: %s\n",
             level >= 0 && level <= 3 ? names[level] : "?", message);
}

static void host_fail(dapt_ctx *ctx, const char *message)
{
    test_ctx *t = of(ctx);
    free(t->error);
    t->error = strdup(message);
    t->fails++;
}

static const char *host_info(dapt_ctx *ctx, const char *key)
{
    return strcmp(key, "plugin_dir") == 0 ? of(ctx)->plugin_dir : NULL;
}

static json_t *host_config(dapt_ctx *ctx)
{
    return of(ctx)->config;
}

static int host_cancelled(dapt_ctx *ctx)
{
    return of(ctx)->cancelled;
}

static const dapt_host_api host_api = {
    .version = DAPT_HOST_API_VERSION,
    .size = sizeof(dapt_host_api),
    .log = host_log,
    .fail = host_fail,
    .info = host_info,
    .config = host_config,
    .cancelled = host_cancelled,
};

static test_ctx T;

static void ctx_reset(void)
{
    free(T.error);
    json_decref(T.config);
    memset(&T, 0, sizeof T);
    T.base.api = &host_api;
    T.plugin_dir = CITIES_DATA_DIR;
}

/* ------------------------------------------------------------------ */
/* The plugins                                                        */
/* ------------------------------------------------------------------ */

static void *dapt_handle, *cities_handle;
static const dapt_plugin_desc *dapt_desc, *cities_desc;

static const dapt_plugin_desc *load(const char *path, void **handle)
{
    *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (*handle == NULL) {
        fprintf(stderr, "# dlopen %s: %s\n", path, dlerror());
        return NULL;
    }
    dapt_plugin_describe_fn describe =
        (dapt_plugin_describe_fn)(uintptr_t)dlsym(*handle, DAPT_PLUGIN_SYMBOL);
    return describe ? describe() : NULL;
}

static int group_setup(void **state)
{
    dapt_desc = load(PLUGINS_BUILDDIR "/builtin/.libs/dapt.so", &dapt_handle);
    cities_desc = load(PLUGINS_BUILDDIR "/examples/cities/.libs/cities.so", &cities_handle);
    ctx_reset();
    return dapt_desc && cities_desc ? 0 : -1;
}

static int group_teardown(void **state)
{
    ctx_reset();
    dlclose(dapt_handle);
    dlclose(cities_handle);
    return 0;
}

static const dapt_target *find(const dapt_plugin_desc *desc, const char *path)
{
    for (const dapt_target *t = desc->targets; t->path != NULL; t++) {
        if (strcmp(t->path, path) == 0)
            return t;
    }
    return NULL;
}

static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &err);
    if (v == NULL)
        fprintf(stderr, "# bad JSON in the test: %s: %s\n", text, err.text);
    assert_non_null(v);
    return v;
}

/* A fresh context that keeps the settings of the test (data folder,
 * cancellation, config). */
static void ctx_fresh(void)
{
    const char *dir = T.plugin_dir;
    int cancelled = T.cancelled;
    json_t *config = json_incref(T.config);
    ctx_reset();
    T.plugin_dir = dir;
    T.cancelled = cancelled;
    T.config = config;
}

/* Call PLUGIN's target PATH with positional and named arguments given
 * as JSON text.  A new reference, or NULL when the stage failed. */
static json_t *call(const dapt_plugin_desc *desc, const char *path, const char *args,
                    const char *kwargs)
{
    const dapt_target *t = find(desc, path);
    assert_non_null(t);
    assert_non_null(t->fn);
    ctx_fresh();
    json_t *a = parse(args), *k = parse(kwargs);
    json_t *out = t->fn(&T.base, a, k);
    json_decref(a);
    json_decref(k);
    if (out == NULL && T.error == NULL)
        fprintf(stderr, "# %s returned NULL without failing\n", path);
    if (out != NULL && T.error != NULL)
        fprintf(stderr, "# %s failed (%s) and returned a value\n", path, T.error);
    assert_true((out == NULL) == (T.error != NULL));
    return out;
}

static void show_mismatch(const json_t *got, const char *want)
{
    char *text = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
    fprintf(stderr, "# got  %s\n# want %s\n", text ? text : "NULL", want);
    if (T.error)
        fprintf(stderr, "# error: %s\n", T.error);
    free(text);
}

/* The call returns exactly `want` (JSON; integers and reals differ). */
static void expect(const dapt_plugin_desc *desc, const char *path, const char *args,
                   const char *kwargs, const char *want)
{
    json_t *got = call(desc, path, args, kwargs);
    json_t *w = parse(want);
    int same = got != NULL && json_equal(got, w);
    if (!same)
        show_mismatch(got, want);
    json_decref(w);
    json_decref(got);
    assert_true(same);
}

/* The call fails with exactly `message`. */
static void expect_fail(const dapt_plugin_desc *desc, const char *path, const char *args,
                        const char *kwargs, const char *message)
{
    json_t *got = call(desc, path, args, kwargs);
    if (got != NULL)
        show_mismatch(got, "a failure");
    json_decref(got);
    assert_null(got);
    assert_string_equal(T.error, message);
    assert_int_equal(T.fails, 1);
}

#define D(path, args, kwargs, want) expect(dapt_desc, path, args, kwargs, want)
#define D_FAIL(path, args, kwargs, msg) expect_fail(dapt_desc, path, args, kwargs, msg)

/* ------------------------------------------------------------------ */
/* Descriptors                                                        */
/* ------------------------------------------------------------------ */

static void check_descriptor(const dapt_plugin_desc *desc, const char *name,
                             const char *const *paths)
{
    assert_int_equal(desc->abi_major, DAPT_PLUGIN_ABI_MAJOR);
    assert_true(desc->abi_minor <= DAPT_PLUGIN_ABI_MINOR);
    assert_int_equal(desc->desc_size, sizeof(dapt_plugin_desc));
    assert_int_equal(desc->target_size, sizeof(dapt_target));
    assert_int_equal(desc->param_size, sizeof(dapt_param));
    assert_string_equal(desc->name, name);
    assert_non_null(desc->version);
    assert_non_null(desc->description);
    size_t n = 0;
    for (const dapt_target *t = desc->targets; t->path != NULL; t++, n++) {
        assert_non_null(paths[n]);
        assert_string_equal(t->path, paths[n]);
        /* a stage (or an action) has a function and says what it returns;
         * an executor (run by the engine) has its descriptor instead */
        if (t->kind == DAPT_TARGET_EXECUTOR) {
            assert_null(t->fn);
            assert_non_null(t->executor);
        } else {
            assert_true(t->kind == DAPT_TARGET_STAGE || t->kind == DAPT_TARGET_ACTION);
            assert_non_null(t->fn);
            assert_non_null(t->returns);
            assert_true(strlen(t->returns) > 3);
        }
        /* a summary line, then details */
        assert_non_null(t->doc);
        assert_non_null(strchr(t->doc, '\n'));
        assert_true(strchr(t->doc, '\n') - t->doc > 10);
        for (const dapt_param *p = t->params; p && p->name; p++) {
            assert_non_null(p->type);
            assert_non_null(p->doc);
            assert_true(strlen(p->doc) > 5);
            if (p->default_json != NULL) {
                json_t *def = parse(p->default_json);
                json_decref(def);
                assert_int_equal(p->required, DAPT_OPTIONAL);
            }
        }
    }
    assert_null(paths[n]);
}

static void test_descriptors(void **state)
{
    static const char *const dapt_paths[] = {
        "echo", "range", "square", "add",    "sum",    "sleep",          "fail",
        "crash", "log",  "shell",  "put",    "get",    "delete",         "exists",
        "append_event", "executor.local", NULL};
    static const char *const cities_paths[] = {"stages.list",
                                               "stages.weather",
                                               "stages.features",
                                               "stages.train",
                                               "stages.predict",
                                               "stages.report",
                                               NULL};
    check_descriptor(dapt_desc, "dapt", dapt_paths);
    check_descriptor(cities_desc, "cities", cities_paths);
    assert_int_equal(find(dapt_desc, "echo")->flags, DAPT_TARGET_VARARGS | DAPT_TARGET_KWARGS);
    assert_int_equal(find(dapt_desc, "add")->flags, 0);
    assert_int_equal(find(dapt_desc, "append_event")->kind, DAPT_TARGET_ACTION);
    /* only the descriptor is exported */
    assert_null(dlsym(dapt_handle, "numbers_range"));
    assert_null(dlsym(cities_handle, "weather_stage"));
}

/* dapt.append_event: one JSON line per event, appended */
static void test_append_event(void **state)
{
    const char *base = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/dapt-append-XXXXXX", base && *base ? base : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char kw[640];
    snprintf(kw, sizeof kw, "{\"path\": \"%s\", \"event\": {\"type\": \"t\", \"n\": 1}}", path);
    json_t *out = call(dapt_desc, "append_event", "[]", kw);
    assert_non_null(out);
    assert_int_equal(json_integer_value(json_object_get(out, "bytes")), 19);
    json_decref(out);
    json_decref(call(dapt_desc, "append_event", "[]", kw));
    char buf[128] = "";
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_string_equal(buf, "{\"n\":1,\"type\":\"t\"}\n{\"n\":1,\"type\":\"t\"}\n");
    unlink(path);
    D_FAIL("append_event", "[]", "{}", "dapt.append_event: `path` is required (the file to append to)");
    D_FAIL("append_event", "[]", "{\"path\": \"/nonexistent-dir/x\"}",
           "dapt.append_event: cannot append to /nonexistent-dir/x: No such file or directory");
}

/* ------------------------------------------------------------------ */
/* dapt.echo, range, square, add, sum                                 */
/* ------------------------------------------------------------------ */

static void test_echo(void **state)
{
    /* a root stage: the named arguments (run input and args) */
    D("echo", "[]", "{\"who\": \"world\", \"n\": 2}", "{\"who\": \"world\", \"n\": 2}");
    D("echo", "[]", "{}", "{}");
    /* one positional: that value, whatever the named ones */
    D("echo", "[[1, 2]]", "{\"x\": 1}", "[1, 2]");
    D("echo", "[null]", "{}", "null");
    /* several: their list */
    D("echo", "[1, \"two\", {\"three\": 3}]", "{}", "[1, \"two\", {\"three\": 3}]");
}

static void test_range(void **state)
{
    D("range", "[]", "{\"n\": 5}", "[0, 1, 2, 3, 4]");
    D("range", "[3]", "{}", "[0, 1, 2]");
    D("range", "[]", "{\"n\": 0}", "[]");
    json_t *big = call(dapt_desc, "range", "[]", "{\"n\": 100000}");
    assert_int_equal(json_array_size(big), 100000);
    assert_int_equal(json_integer_value(json_array_get(big, 99999)), 99999);
    json_decref(big);
    D_FAIL("range", "[]", "{\"n\": \"x\"}",
           "dapt.range: `n` must be a non-negative integer, not \"x\"");
    D_FAIL("range", "[]", "{\"n\": -1}", "dapt.range: `n` must be a non-negative integer, not -1");
    D_FAIL("range", "[2.5]", "{}", "dapt.range: `n` must be a non-negative integer, not 2.5");
    D_FAIL("range", "[]", "{}", "dapt.range: `n` is required (a non-negative integer)");
    D_FAIL("range", "[]", "{\"n\": 20000000}",
           "dapt.range: `n` must be at most 10000000, not 20000000");
}

static void test_square(void **state)
{
    D("square", "[7]", "{}", "49");
    D("square", "[-3]", "{}", "9");
    D("square", "[]", "{\"x\": 1.5}", "2.25");
    D("square", "[3037000499]", "{}", "9223372030926249001");
    D_FAIL("square", "[3037000500]", "{}",
           "dapt.square: 3037000500 squared overflows a 64-bit integer");
    D_FAIL("square", "[1e200]", "{}", "dapt.square: the square is too large for a JSON number");
    D_FAIL("square", "[\"a\"]", "{}", "dapt.square: `x` must be a number, not \"a\"");
    D_FAIL("square", "[true]", "{}", "dapt.square: `x` must be a number, not true");
    D_FAIL("square", "[]", "{}", "dapt.square: `x` is required (a number)");
}

static void test_add(void **state)
{
    D("add", "[]", "{\"a\": 2, \"b\": 3}", "5");
    D("add", "[2, 3]", "{}", "5");
    D("add", "[2]", "{\"b\": 0.5}", "2.5");
    D("add", "[1.5, 1.5]", "{}", "3.0");
    D_FAIL("add", "[9223372036854775807, 1]", "{}", "dapt.add: the sum overflows a 64-bit integer");
    D_FAIL("add", "[1]", "{}", "dapt.add: `b` is required (a number)");
    D_FAIL("add", "[]", "{\"a\": [1], \"b\": 2}", "dapt.add: `a` must be a number, not [1]");
}

static void test_sum(void **state)
{
    D("sum", "[[1, 2, 3]]", "{}", "6");
    D("sum", "[]", "{\"values\": [1, 2.5]}", "3.5");
    D("sum", "[[]]", "{}", "0");
    /* integers that overflow on the way are fine once a real makes it real */
    D("sum", "[[9223372036854775807, 1, 0.0]]", "{}", "9223372036854775808.0");
    D_FAIL("sum", "[[9223372036854775807, 1]]", "{}",
           "dapt.sum: the sum overflows a 64-bit integer");
    D_FAIL("sum", "[[1, \"2\", 3]]", "{}",
           "dapt.sum: `values` must be a list of numbers, but item 1 is \"2\"");
    D_FAIL("sum", "[5]", "{}", "dapt.sum: `values` must be a list of numbers, not 5");
    D_FAIL("sum", "[]", "{}", "dapt.sum: `values` is required (a list of numbers)");
    /* long values are cut in messages */
    json_t *got =
        call(dapt_desc, "sum",
             "[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]", "{}");
    assert_null(got);
    assert_non_null(strstr(T.error, "aaa..."));
    assert_true(strlen(T.error) < 120);
}

/* ------------------------------------------------------------------ */
/* dapt.sleep, fail                                                   */
/* ------------------------------------------------------------------ */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_sleep(void **state)
{
    double t0 = now();
    D("sleep", "[\"passed on\"]", "{\"seconds\": 0.15}", "\"passed on\"");
    double took = now() - t0;
    assert_true(took >= 0.15);
    assert_true(took < 2.0);
    D("sleep", "[]", "{\"seconds\": 0, \"value\": {\"v\": 1}}", "{\"v\": 1}");
    D("sleep", "[]", "{\"seconds\": 0}", "null");
    D("sleep", "[1, 2]", "{\"seconds\": 0.01, \"value\": 3}", "1");
    D_FAIL("sleep", "[]", "{\"seconds\": -1}",
           "dapt.sleep: `seconds` must be a number of seconds from 0 to 10000000, not -1");
    D_FAIL("sleep", "[]", "{\"seconds\": \"1s\"}",
           "dapt.sleep: `seconds` must be a number of seconds from 0 to 10000000, not \"1s\"");
    /* a cancelled run stops the sleep at once */
    T.cancelled = 1;
    t0 = now();
    json_t *got = call(dapt_desc, "sleep", "[]", "{\"seconds\": 30}");
    T.cancelled = 0;
    assert_null(got);
    assert_true(now() - t0 < 1.0);
    assert_non_null(strstr(T.error, "dapt.sleep: cancelled after 0.000 of 30 seconds"));
}

static void test_fail(void **state)
{
    D_FAIL("fail", "[]", "{}", "dapt.fail was asked to fail");
    D_FAIL("fail", "[1]", "{\"message\": \"disk full\"}", "disk full");
    /* on: only the listed first arguments fail */
    D_FAIL("fail", "[2]", "{\"on\": [2, 4]}", "dapt.fail was asked to fail");
    D_FAIL("fail", "[2.0]", "{\"on\": [2], \"message\": \"two\"}", "two");
    D_FAIL("fail", "[\"b\"]", "{\"on\": [\"a\", \"b\"]}", "dapt.fail was asked to fail");
    D("fail", "[3]", "{\"on\": [2, 4]}", "3");
    D("fail", "[{\"k\": 1}]", "{\"on\": [2]}", "{\"k\": 1}");
    D("fail", "[]", "{\"on\": []}", "null");
    D_FAIL("fail", "[1]", "{\"on\": 1}", "dapt.fail: `on` must be a list of values, not 1");
    D_FAIL("fail", "[]", "{\"message\": 42}", "dapt.fail: `message` must be a string, not 42");
}

/* ------------------------------------------------------------------ */
/* dapt.crash and dapt.log, in a child process                        */
/* ------------------------------------------------------------------ */

/* Run PATH in a child with stdout to `out` (a pipe end or -1); the wait
 * status. */
static int in_child(const char *path, const char *args, const char *kwargs, int out)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (out >= 0)
            dup2(out, STDOUT_FILENO);
        const dapt_target *t = find(dapt_desc, path);
        json_t *a = json_loads(args, JSON_DECODE_ANY, NULL);
        json_t *k = json_loads(kwargs, JSON_DECODE_ANY, NULL);
        json_t *r = t->fn(&T.base, a, k);
        /* the exit status tells the parent what the stage returned */
        int status = r == NULL ? 100 : json_is_integer(r) ? (int)(json_integer_value(r) % 100) : 99;
        json_decref(a);
        json_decref(k);
        json_decref(r);
        ctx_reset();
        _exit(status);
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    return ws;
}

static void test_crash(void **state)
{
    int ws = in_child("crash", "[]", "{}", -1);
    assert_true(WIFSIGNALED(ws));
    assert_int_equal(WTERMSIG(ws), SIGSEGV);
    ws = in_child("crash", "[]", "{\"signal\": \"SIGKILL\"}", -1);
    assert_true(WIFSIGNALED(ws));
    assert_int_equal(WTERMSIG(ws), SIGKILL);
    ws = in_child("crash", "[]", "{\"signal\": \"abrt\"}", -1);
    assert_true(WIFSIGNALED(ws));
    assert_int_equal(WTERMSIG(ws), SIGABRT);
    ws = in_child("crash", "[]", "{\"signal\": 15}", -1);
    assert_true(WIFSIGNALED(ws));
    assert_int_equal(WTERMSIG(ws), SIGTERM);
    /* on: only the listed items crash, the others come back */
    ws = in_child("crash", "[7]", "{\"on\": [7]}", -1);
    assert_true(WIFSIGNALED(ws));
    assert_int_equal(WTERMSIG(ws), SIGSEGV);
    ws = in_child("crash", "[8]", "{\"on\": [7]}", -1);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 8);
    D("crash", "[8]", "{\"on\": [7]}", "8");
    /* signals that do not end a process are refused, in-process */
    D_FAIL("crash", "[]", "{\"signal\": \"CHLD\"}",
           "dapt.crash: `signal` must be a signal that ends a process (a name like \"SEGV\" "
           "or \"SIGKILL\", or its number), not \"CHLD\"");
    D_FAIL("crash", "[]", "{\"signal\": 0}",
           "dapt.crash: `signal` must be a signal that ends a process (a name like \"SEGV\" "
           "or \"SIGKILL\", or its number), not 0");
}

/* Everything the child writes to its stdout, and its wait status. */
static char *child_output(const char *path, const char *kwargs, int *ws)
{
    char tmpl[] = "/tmp/dapt-test-log.XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    unlink(tmpl);
    *ws = in_child(path, "[]", kwargs, fd);
    off_t size = lseek(fd, 0, SEEK_END);
    char *buf = calloc(1, (size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, (size_t)size, 0), size);
    close(fd);
    return buf;
}

static void test_log(void **state)
{
    int ws;
    char *out = child_output("log", "{\"lines\": 3, \"width\": 10}", &ws);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 3); /* it returned 3 */
    assert_string_equal(out, "1 bcdefghi\n2 cdefghij\n3 defghijk\n");
    free(out);

    /* defaults: 10 lines of 80, numbered in order */
    out = child_output("log", "{}", &ws);
    assert_int_equal(WEXITSTATUS(ws), 10);
    int n = 0;
    for (char *line = out, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        n++;
        assert_int_equal(nl - line, 80);
        assert_int_equal(atoi(line), n);
        assert_true(line[0] == (n < 10 ? '0' : '1')); /* zero-padded to the width of 10 */
    }
    assert_int_equal(n, 10);
    free(out);

    /* many lines: none lost, none out of order */
    out = child_output("log", "{\"lines\": 20000, \"width\": 12}", &ws);
    assert_int_equal(strlen(out), 20000 * 13);
    assert_int_equal(atoi(out + 12345 * 13), 12346);
    free(out);

    /* a number wider than the width is written whole */
    out = child_output("log", "{\"lines\": 12, \"width\": 1}", &ws);
    assert_non_null(strstr(out, "\n09\n10\n11\n12\n"));
    free(out);

    D_FAIL("log", "[]", "{\"lines\": -1}",
           "dapt.log: `lines` must be an integer from 0 to 10000000, not -1");
    D_FAIL("log", "[]", "{\"width\": 0}",
           "dapt.log: `width` must be an integer from 1 to 1000000, not 0");
}

/* ------------------------------------------------------------------ */
/* dapt.shell                                                         */
/* ------------------------------------------------------------------ */

static void test_shell(void **state)
{
    D("shell", "[]", "{\"argv\": [\"printf\", \"a\\nb %s\", \"c d\"]}",
      "{\"exit\": 0, \"stdout\": \"a\\nb c d\"}");
    D("shell", "[]", "{\"argv\": [\"cat\"], \"stdin\": \"hello\\n\"}",
      "{\"exit\": 0, \"stdout\": \"hello\\n\"}");
    /* no shell: metacharacters are plain arguments */
    D("shell", "[]", "{\"argv\": [\"echo\", \"$HOME;\", \"*\"]}",
      "{\"exit\": 0, \"stdout\": \"$HOME; *\\n\"}");
    D("shell", "[]", "{\"argv\": \"echo $((1 + 2)) | tr 3 x\", \"shell\": true}",
      "{\"exit\": 0, \"stdout\": \"x\\n\"}");
    /* stderr is not captured (it passes through) */
    D("shell", "[]", "{\"argv\": [\"sh\", \"-c\", \"echo out; echo err >&2\"]}",
      "{\"exit\": 0, \"stdout\": \"out\\n\"}");
    /* positional arguments (dependencies for order) are ignored */
    D("shell", "[1, 2]", "{\"argv\": [\"true\"]}", "{\"exit\": 0, \"stdout\": \"\"}");

    D_FAIL("shell", "[]", "{\"argv\": [\"sh\", \"-c\", \"echo partial; exit 3\"]}",
           "dapt.shell: `sh -c echo partial; exit 3` exited with status 3");
    D("shell", "[]", "{\"argv\": [\"sh\", \"-c\", \"echo partial; exit 3\"], \"check\": false}",
      "{\"exit\": 3, \"stdout\": \"partial\\n\"}");
    D_FAIL("shell", "[]", "{\"argv\": [\"sh\", \"-c\", \"kill -9 $$\"]}",
           "dapt.shell: `sh -c kill -9 $$` was killed by signal 9 (Killed)");
    D("shell", "[]", "{\"argv\": [\"sh\", \"-c\", \"kill -9 $$\"], \"check\": false}",
      "{\"exit\": 137, \"stdout\": \"\"}");
    D_FAIL("shell", "[]", "{\"argv\": [\"/nonexistent/program\"]}",
           "dapt.shell: cannot run `/nonexistent/program`: No such file or directory");
    D_FAIL("shell", "[]", "{\"argv\": [\"dapt-no-such-program-here\"], \"check\": false}",
           "dapt.shell: cannot run `dapt-no-such-program-here`: No such file or directory");

    D_FAIL("shell", "[]", "{\"argv\": \"ls -l\"}",
           "dapt.shell: `argv` must be a list of strings (set `shell: true` to run a string "
           "with /bin/sh), not \"ls -l\"");
    D_FAIL("shell", "[]", "{\"argv\": [\"ls\", 1]}",
           "dapt.shell: `argv` must be a list of strings, not [\"ls\",1]");
    D_FAIL("shell", "[]", "{\"argv\": []}",
           "dapt.shell: `argv` must be a non-empty list of strings, not []");
    D_FAIL("shell", "[]", "{\"argv\": [\"ls\"], \"shell\": true}",
           "dapt.shell: `argv` must be a string (a command line for /bin/sh -c), not [\"ls\"]");
    D_FAIL("shell", "[]", "{}",
           "dapt.shell: `argv` is required (the program and its arguments, a list of strings)");
    D_FAIL("shell", "[]", "{\"argv\": [\"true\"], \"check\": \"no\"}",
           "dapt.shell: `check` must be true or false, not \"no\"");
    D_FAIL("shell", "[]", "{\"argv\": [\"cat\"], \"stdin\": 5}",
           "dapt.shell: `stdin` must be a string, not 5");

    /* large output is captured whole; large input to a program that does
     * not read it neither blocks nor kills us */
    json_t *big =
        call(dapt_desc, "shell", "[]",
             "{\"argv\": [\"sh\", \"-c\", \"head -c 3000000 /dev/zero | tr '\\\\0' x\"]}");
    assert_non_null(big);
    assert_int_equal(json_string_length(json_object_get(big, "stdout")), 3000000);
    json_decref(big);
    json_t *in = json_string("");
    char *lots = malloc(2000001);
    memset(lots, 'y', 2000000);
    lots[2000000] = '\0';
    json_t *kw = json_pack("{s:[s], s:s}", "argv", "true", "stdin", lots);
    json_t *args = json_array();
    json_t *r = find(dapt_desc, "shell")->fn(&T.base, args, kw);
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "exit")), 0);
    json_decref(r);
    json_decref(kw);
    /* and a program that reads it all gets it all */
    kw = json_pack("{s:[s, s], s:s}", "argv", "wc", "-c", "stdin", lots);
    r = find(dapt_desc, "shell")->fn(&T.base, args, kw);
    assert_non_null(r);
    assert_int_equal(atoi(json_string_value(json_object_get(r, "stdout"))), 2000000);
    json_decref(r);
    json_decref(kw);
    json_decref(args);
    json_decref(in);
    free(lots);

    /* bytes that are not UTF-8 become U+FFFD */
    D("shell", "[]", "{\"argv\": [\"printf\", \"a\\\\377b\\\\303\\\\251\"]}",
      "{\"exit\": 0, \"stdout\": \"a\\ufffdb\\u00e9\"}");

    /* a cancelled run stops the program */
    T.cancelled = 1;
    double t0 = now();
    json_t *got = call(dapt_desc, "shell", "[]", "{\"argv\": [\"sleep\", \"30\"]}");
    T.cancelled = 0;
    assert_null(got);
    assert_true(now() - t0 < 5.0);
    assert_string_equal(T.error, "dapt.shell: cancelled; stopped `sleep 30`");
}

/* ------------------------------------------------------------------ */
/* cities                                                             */
/* ------------------------------------------------------------------ */

#define C(path, args, kwargs, want) expect(cities_desc, path, args, kwargs, want)
#define C_FAIL(path, args, kwargs, msg) expect_fail(cities_desc, path, args, kwargs, msg)

static void test_cities_list(void **state)
{
    json_t *all = call(cities_desc, "stages.list", "[]", "{}");
    assert_int_equal(json_array_size(all), 52);
    json_t *boston = json_array_get(all, 0);
    json_t *want = parse("{\"name\": \"Boston\", \"country\": \"US\", \"lat\": 42.3601, "
                         "\"lon\": -71.0589, \"elevation\": 43.0, \"population\": 675647}");
    assert_true(json_equal(boston, want));
    json_decref(want);
    json_decref(all);
    assert_non_null(strstr(T.log, "info: 52 of 52 cities selected"));

    json_t *us = call(cities_desc, "stages.list", "[]", "{\"country\": \"us\"}");
    assert_int_equal(json_array_size(us), 9);
    json_decref(us);
    json_t *two = call(cities_desc, "stages.list", "[]", "{\"country\": \"US\", \"limit\": 2}");
    assert_int_equal(json_array_size(two), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(two, 1), "name")),
                        "New York");
    json_decref(two);
    /* names: in their order, any case */
    json_t *named =
        call(cities_desc, "stages.list", "[]", "{\"names\": [\"tokyo\", \"Lima\", \"Oslo\"]}");
    assert_int_equal(json_array_size(named), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(named, 0), "name")),
                        "Tokyo");
    assert_string_equal(json_string_value(json_object_get(json_array_get(named, 2), "name")),
                        "Oslo");
    json_decref(named);

    C_FAIL("stages.list", "[]", "{\"names\": [\"Bostn\"]}",
           "cities.stages.list: unknown city \"Bostn\" (did you mean \"Boston\"?)");
    C_FAIL("stages.list", "[]", "{\"names\": [\"Atlantis\"]}",
           "cities.stages.list: unknown city \"Atlantis\" (cities.stages.list shows the 52 "
           "known)");
    C_FAIL("stages.list", "[]", "{\"limit\": -1}",
           "cities.stages.list: `limit` must be an integer from 0 to 100000, not -1");
    C_FAIL("stages.list", "[]", "{\"country\": 1}",
           "cities.stages.list: `country` must be a country code such as \"US\", not 1");

    /* the data folder comes from the host; a wrong one is a clear error */
    T.plugin_dir = "/nonexistent";
    C_FAIL("stages.list", "[]", "{}",
           "cities.stages.list: cannot read /nonexistent/data/cities.csv: No such file or "
           "directory");
    /* no plugin_dir at all: the folder beside the loaded .so */
    T.plugin_dir = NULL;
    C_FAIL("stages.list", "[]", "{}",
           "cities.stages.list: cannot read " PLUGINS_BUILDDIR
           "/examples/cities/.libs/cities/data/cities.csv: No such file or directory");
    T.plugin_dir = CITIES_DATA_DIR;
}

static double mean_of(const json_t *list, size_t from, size_t n)
{
    double s = 0;
    for (size_t i = from; i < from + n; i++)
        s += json_number_value(json_array_get(list, i));
    return s / (double)n;
}

static void test_cities_weather(void **state)
{
    json_t *a = call(cities_desc, "stages.weather", "[\"Boston\"]", "{\"days\": 3}");
    json_t *b = call(cities_desc, "stages.weather", "[\"boston\"]", "{\"days\": 3}");
    assert_non_null(a);
    assert_true(json_equal(a, b)); /* deterministic */
    json_decref(b);
    json_t *temp = json_object_get(a, "temperature");
    assert_int_equal(json_array_size(temp), 72);
    assert_int_equal(json_integer_value(json_object_get(a, "hours")), 72);
    assert_int_equal(json_array_size(json_object_get(a, "daily")), 3);
    assert_string_equal(json_string_value(json_object_get(a, "start")), "2024-01-01");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(a, "daily"), 2), "date")),
        "2024-01-03");
    /* Boston in January: cold but not absurd */
    double m = mean_of(temp, 0, 72);
    assert_true(m > -15 && m < 8);

    /* the city object from stages.list gives the same series as its name */
    json_t *list = call(cities_desc, "stages.list", "[]", "{\"names\": [\"Boston\"]}");
    json_t *args = json_pack("[O]", json_array_get(list, 0));
    json_t *kw = json_pack("{s:i}", "days", 3);
    b = find(cities_desc, "stages.weather")->fn(&T.base, args, kw);
    assert_true(json_equal(a, b));
    json_decref(b);
    json_decref(args);
    json_decref(kw);
    json_decref(list);

    /* another seed, another weather */
    b = call(cities_desc, "stages.weather", "[\"Boston\"]", "{\"days\": 3, \"seed\": 1}");
    assert_false(json_equal(a, b));
    json_decref(b);
    json_decref(a);

    /* geography: the south is warm in January, height is cold */
    a = call(cities_desc, "stages.weather", "[\"Sydney\"]", "{\"days\": 7}");
    b = call(cities_desc, "stages.weather", "[\"Oslo\"]", "{\"days\": 7}");
    assert_true(mean_of(json_object_get(a, "temperature"), 0, 168) >
                mean_of(json_object_get(b, "temperature"), 0, 168) + 15);
    json_decref(a);
    json_decref(b);
    a = call(cities_desc, "stages.weather", "[\"Lima\"]", "{\"start\": \"2024-07-01\"}");
    b = call(cities_desc, "stages.weather", "[\"La Paz\"]", "{\"start\": \"2024-07-01\"}");
    assert_int_equal(json_array_size(json_object_get(a, "temperature")), 14 * 24);
    assert_true(mean_of(json_object_get(a, "temperature"), 0, 336) >
                mean_of(json_object_get(b, "temperature"), 0, 336) + 10);
    json_decref(a);
    json_decref(b);
    /* a named city also works, as does an object made by hand */
    a = call(cities_desc, "stages.weather", "[]",
             "{\"city\": {\"name\": \"Null Island\", \"lat\": 0, \"lon\": 0}, \"days\": 1}");
    assert_int_equal(json_array_size(json_object_get(a, "temperature")), 24);
    json_decref(a);

    C_FAIL("stages.weather", "[\"Bostn\"]", "{}",
           "cities.stages.weather: unknown city \"Bostn\" (did you mean \"Boston\"?)");
    C_FAIL("stages.weather", "[\"Boston\"]", "{\"start\": \"2023-02-30\"}",
           "cities.stages.weather: `start` must be a date YYYY-MM-DD, not \"2023-02-30\"");
    C_FAIL("stages.weather", "[\"Boston\"]", "{\"days\": 0}",
           "cities.stages.weather: `days` must be an integer from 1 to 3660, not 0");
    C_FAIL("stages.weather", "[42]", "{}",
           "cities.stages.weather: `city` must be a city: its name, or an object {name, lat, "
           "lon, elevation} as cities.stages.list returns, not 42");
    C_FAIL("stages.weather", "[]", "{}",
           "cities.stages.weather: `city` is required (a name or a city object)");
}

/* weather -> features -> train -> predict -> report for a few cities */
static void test_cities_model(void **state)
{
    static const char *const names[] = {"Boston", "Cairo", "Reykjavik"};
    const dapt_target *weather = find(cities_desc, "stages.weather");
    const dapt_target *features = find(cities_desc, "stages.features");
    const dapt_target *train = find(cities_desc, "stages.train");
    const dapt_target *predict = find(cities_desc, "stages.predict");
    json_t *models = json_array(), *forecasts = json_array();
    for (size_t i = 0; i < 3; i++) {
        json_t *kw = json_pack("{s:i}", "days", 30);
        json_t *args = json_pack("[s]", names[i]);
        json_t *series = weather->fn(&T.base, args, kw);
        json_decref(args);
        json_decref(kw);
        assert_non_null(series);

        args = json_pack("[o]", series);
        kw = json_pack("{s:i, s:i}", "lags", 4, "window", 12);
        json_t *feat = features->fn(&T.base, args, kw);
        json_decref(args);
        json_decref(kw);
        assert_non_null(feat);
        /* 720 hours, the first 12 only history */
        assert_int_equal(json_array_size(json_object_get(feat, "rows")), 708);
        assert_int_equal(json_array_size(json_object_get(feat, "columns")), 7);
        assert_int_equal(json_array_size(json_object_get(feat, "tail")), 12);
        assert_int_equal(json_integer_value(json_object_get(feat, "next_hour")), 0);

        args = json_pack("[o]", feat);
        kw = json_object();
        json_t *model = train->fn(&T.base, args, kw);
        json_decref(args);
        json_decref(kw);
        assert_non_null(model);
        double rmse = json_number_value(json_object_get(model, "train_rmse"));
        double hold = json_number_value(json_object_get(model, "holdout_rmse"));
        /* a lag model of a smooth series: errors well under a degree or two */
        assert_true(rmse > 0.05 && rmse < 1.5);
        assert_true(hold > 0.05 && hold < 2.0);
        assert_int_equal(json_integer_value(json_object_get(model, "n_holdout")), 141);
        assert_int_equal(json_array_size(json_object_get(model, "coefficients")), 7);
        assert_string_equal(json_string_value(json_object_get(model, "label")), "linear");

        args = json_pack("[O]", model);
        kw = json_pack("{s:i}", "hours", 6);
        json_t *fc = predict->fn(&T.base, args, kw);
        json_decref(args);
        json_decref(kw);
        assert_non_null(fc);
        assert_int_equal(json_array_size(json_object_get(fc, "forecast")), 6);
        json_array_append_new(models, model);
        json_array_append_new(forecasts, fc);
    }
    /* a warm city forecasts warm, a cold one cold */
    double cairo = mean_of(json_object_get(json_array_get(forecasts, 1), "forecast"), 0, 6);
    double reykjavik = mean_of(json_object_get(json_array_get(forecasts, 2), "forecast"), 0, 6);
    assert_true(cairo > reykjavik + 5);

    T.config = json_pack("{s:s}", "study", "unit_test");
    json_t *args = json_pack("[O]", forecasts);
    json_t *kw = json_object();
    json_t *rep = find(cities_desc, "stages.report")->fn(&T.base, args, kw);
    json_decref(args);
    json_decref(kw);
    assert_non_null(rep);
    assert_string_equal(json_string_value(json_object_get(rep, "study")), "unit_test");
    assert_int_equal(json_integer_value(json_object_get(rep, "count")), 3);
    assert_int_equal(json_integer_value(json_object_get(rep, "scored")), 3);
    json_t *results = json_object_get(rep, "results");
    double prev = -1;
    for (size_t i = 0; i < 3; i++) {
        json_t *r = json_array_get(results, i);
        double s = json_number_value(json_object_get(r, "holdout_rmse"));
        assert_true(s >= prev); /* ranked */
        prev = s;
        assert_int_equal(json_integer_value(json_object_get(r, "forecast_hours")), 6);
    }
    assert_true(json_equal(json_object_get(json_object_get(rep, "best"), "city"),
                           json_object_get(json_array_get(results, 0), "city")));
    json_decref(rep);
    json_decref(T.config);
    T.config = NULL;

    /* predict of a model: deterministic */
    args = json_pack("[O]", json_array_get(models, 0));
    kw = json_object();
    json_t *p1 = predict->fn(&T.base, args, kw);
    json_t *p2 = predict->fn(&T.base, args, kw);
    assert_true(json_equal(p1, p2));
    assert_int_equal(json_array_size(json_object_get(p1, "forecast")), 24);
    json_decref(p1);
    json_decref(p2);
    json_decref(args);
    json_decref(kw);
    json_decref(models);
    json_decref(forecasts);
}

static void test_cities_errors(void **state)
{
    /* window 1 is lag 1 again: collinear without a ridge, fine with one */
    json_t *series = call(cities_desc, "stages.weather", "[\"Paris\"]", "{\"days\": 5}");
    json_t *args = json_pack("[o]", series);
    json_t *kw = json_pack("{s:i, s:i}", "lags", 3, "window", 1);
    json_t *feat = find(cities_desc, "stages.features")->fn(&T.base, args, kw);
    json_decref(args);
    json_decref(kw);
    assert_non_null(feat);
    args = json_pack("[o]", feat);
    kw = json_object();
    ctx_fresh();
    json_t *model = find(cities_desc, "stages.train")->fn(&T.base, args, kw);
    assert_null(model);
    assert_string_equal(T.error,
                        "cities.stages.train: the features are collinear; try a `ridge` above 0");
    json_decref(kw);
    kw = json_pack("{s:f, s:s}", "ridge", 1.0, "label", "ridge");
    model = find(cities_desc, "stages.train")->fn(&T.base, args, kw);
    assert_non_null(model);
    assert_string_equal(json_string_value(json_object_get(model, "label")), "ridge");
    json_decref(model);
    json_decref(kw);
    json_decref(args);

    C_FAIL("stages.features", "[{\"city\": \"x\", \"temperature\": [1, 2, 3]}]", "{}",
           "cities.stages.features: 3 hours are too few for lags 6 and window 24 (at least 26 "
           "needed)");
    C_FAIL("stages.features", "[5]", "{}",
           "cities.stages.features: `series` must be a weather series (what "
           "cities.stages.weather returns), not 5");
    C_FAIL("stages.train", "[{\"rows\": []}]", "{}",
           "cities.stages.train: the features' `target` must be a list of numbers");
    C_FAIL("stages.train", "[{}]", "{\"holdout\": 0.9}",
           "cities.stages.train: `holdout` must be a number from 0 to 0.5, not 0.9");
    C_FAIL("stages.predict", "[{\"city\": \"x\"}]", "{}",
           "cities.stages.predict: the model's `coefficients` must be a list of numbers");
    C_FAIL("stages.report", "[[{\"no_city\": 1}]]", "{}",
           "cities.stages.report: result 1 is not an object with a `city`");
    C_FAIL("stages.report", "[3]", "{}",
           "cities.stages.report: argument 1 is neither a result object nor a list of them");
    C_FAIL("stages.report", "[]", "{\"metric\": \"r2\"}",
           "cities.stages.report: `metric` must be \"holdout_rmse\" or \"train_rmse\", not "
           "\"r2\"");
    C("stages.report", "[]", "{}",
      "{\"metric\": \"holdout_rmse\", \"count\": 0, \"scored\": 0, "
      "\"results\": []}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptors),
        cmocka_unit_test(test_echo),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_square),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_sum),
        cmocka_unit_test(test_sleep),
        cmocka_unit_test(test_fail),
        cmocka_unit_test(test_crash),
        cmocka_unit_test(test_log),
        cmocka_unit_test(test_shell),
        cmocka_unit_test(test_cities_list),
        cmocka_unit_test(test_cities_weather),
        cmocka_unit_test(test_cities_model),
        cmocka_unit_test(test_cities_errors),
        cmocka_unit_test(test_append_event),
    };
    return cmocka_run_group_tests_name("builtin plugins", tests, group_setup, group_teardown);
}
