/*
 * test-plugin-scan.c - unit tests of engine/plugin.c and engine/plugin-scan.c.
 *
 * The fixture plugins of tests/plugins.mk (one per failure mode) are
 * scanned together, in an order that puts every crash between plugins that
 * must still load; each ends with its exact status and reason.  Descriptor
 * checks are tested on descriptors built by hand, which also play plugins
 * built with other struct sizes.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"

#ifndef FIXTURES_DIR
#error "FIXTURES_DIR must name the folder of the fixture plugins (tests/plugins/.libs)"
#endif


/* Executor descriptors for the descriptor checks. */
static const dapt_executor_desc local_exec = {DAPT_EXECUTOR_ABI, "local"};
static const dapt_executor_desc future_exec = {99, "local"};
static char *fixture(const char *name)
{
    return xasprintf("%s/%s.so", FIXTURES_DIR, name);
}

/* A private folder for files the test makes (removed at the end). */
static char tmpdir[256];

static char *tmp_path(const char *name)
{
    return xasprintf("%s/%s", tmpdir, name);
}

static int setup(void **state)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/dapt-scan-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    const char *names[] = {"dangling.so", "locked.so", "folder.so", "mark", "buffered"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *p = tmp_path(names[i]);
        if (rmdir(p) < 0)
            unlink(p);
        free(p);
    }
    return rmdir(tmpdir);
}

static dapt_plugin_info *infos_new(char **paths, size_t n)
{
    dapt_plugin_info *infos = xcalloc(n, sizeof *infos);
    for (size_t i = 0; i < n; i++)
        infos[i].path = paths[i];
    return infos;
}

static void infos_free(dapt_plugin_info *infos, size_t n)
{
    for (size_t i = 0; i < n; i++)
        plugin_info_clear(&infos[i]);
    free(infos);
}

/* ------------------------------------------------------------------ */
/* Every failure mode in one scan                                       */
/* ------------------------------------------------------------------ */

typedef struct expect {
    const char *file;  /* fixture name, or a path made by the test */
    const char *name;  /* what the entry is called */
    const char *error; /* NULL: ok */
} expect;

#define OK NULL
#define NO_SYMBOL                                                                                  \
    "no dapt plugin descriptor (symbol dapt_plugin_describe): is this a dapt plugin? "             \
    "Declare one with DAPT_PLUGIN() from <dapt/plugin.h>"

static const expect fixtures[] = {
    {"good", "good", OK},
    {"ctor_segv", "ctor_segv",
     "crashed while loading (SIGSEGV, Segmentation fault): a constructor or the descriptor "
     "function faulted"},
    {"other", "other", OK},
    {"ctor_abort", "ctor_abort", "aborted while loading (SIGABRT)"},
    {"nosymbol", "nosymbol", NO_SYMBOL},
    {"ctor_exit", "ctor_exit", "called exit(3) while loading: plugins must not exit the process"},
    {"abi_major", "abi_major",
     "built for plugin ABI 2.0 but this dapt supports 1.0: rebuild the plugin against this "
     "dapt's <dapt/plugin.h>"},
    {"ctor_hang", "ctor_hang",
     "did not finish loading within 0.5 s and was killed: a constructor may hang"},
    {"good", "good", OK},
    {"abi_minor", "abi_minor",
     "needs plugin ABI 1.3, newer than this dapt's 1.0: upgrade dapt or rebuild the plugin"},
    {"noname", "noname", "descriptor has no name: give DAPT_PLUGIN() a .name"},
    {"dup_targets", "dup_targets", "target `stages.fetch` is declared twice"},
    {"bad_path", "bad_path",
     "target path `stages..Fetch` (targets[1]) is not valid: use words of lowercase letters, "
     "digits and _ joined by single dots, like `stages.fetch`"},
    {TESTS_SRCDIR "/data/plugins/notelf.so", "notelf", "not a shared library (no ELF header)"},
    {"/dangling.so", "dangling", "cannot read: No such file or directory"},
    {"/folder.so", "folder", "cannot read: Is a directory"},
    {"/locked.so", "locked", "cannot read: Permission denied"}, /* not as root */
    {"other", "other", OK},
};
#define NFIXTURES (sizeof fixtures / sizeof *fixtures)

/* The path of an expectation: a fixture, a file of the test's folder
 * ("/NAME"), or an absolute path. */
static char *expect_path(const expect *e)
{
    if (strncmp(e->file, TESTS_SRCDIR, strlen(TESTS_SRCDIR)) == 0)
        return xstrdup(e->file);
    if (e->file[0] == '/')
        return tmp_path(e->file + 1);
    return fixture(e->file);
}

/* The files that are broken without being plugins at all. */
static void make_unreadable_files(void)
{
    char *dangling = tmp_path("dangling.so");
    unlink(dangling);
    assert_int_equal(symlink("/nonexistent/dapt/plugin.so", dangling), 0);
    char *folder = tmp_path("folder.so");
    rmdir(folder);
    assert_int_equal(mkdir(folder, 0755), 0);
    char *locked = tmp_path("locked.so");
    int fd = open(locked, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "\177ELF", 4), 4);
    close(fd);
    assert_int_equal(chmod(locked, 0), 0);
    free(dangling);
    free(folder);
    free(locked);
}

static bool skip_expect(const expect *e)
{
    /* root reads a mode-000 file anyway */
    return geteuid() == 0 && strcmp(e->file, "/locked.so") == 0;
}

static void check_good(const dapt_plugin_info *p)
{
    assert_string_equal(p->name, "good");
    assert_string_equal(p->version, "1.2.3");
    assert_string_equal(p->description, "A plugin that works");
    assert_string_equal(p->author, "dapt tests");
    assert_string_equal(p->license, "MIT");
    assert_string_equal(p->url, "https://example.invalid/good");
    assert_int_equal(p->requirement_count, 1);
    assert_string_equal(p->requirements[0], "jansson >= 2.13");
    assert_null(p->error);
    assert_int_equal(p->abi_major, 1);
    assert_int_equal(p->abi_minor, 0);
    assert_int_equal(p->target_count, 3);

    const dapt_target_info *t = &p->targets[0];
    assert_string_equal(t->path, "stages.hello");
    assert_string_equal(t->target, "good.stages.hello");
    assert_ptr_equal(t->plugin, p);
    assert_int_equal(t->kind, DAPT_TARGET_STAGE);
    assert_int_equal(t->flags, 0);
    assert_string_equal(t->doc, "Say hello.");
    assert_string_equal(t->returns, "string");
    assert_int_equal(t->param_count, 1);
    assert_string_equal(t->params[0].name, "who");
    assert_string_equal(t->params[0].type, "string");
    assert_false(t->params[0].required);
    assert_string_equal(t->params[0].default_json, "\"world\"");
    assert_string_equal(t->params[0].doc, "Whom to greet");

    t = &p->targets[1];
    assert_string_equal(t->target, "good.math.add");
    assert_string_equal(t->doc, "Add two numbers.\nb defaults to 0.");
    assert_int_equal(t->param_count, 2);
    assert_true(t->params[0].required);
    assert_null(t->params[0].default_json);
    assert_string_equal(t->params[1].type, "integer|number");
    assert_string_equal(t->params[1].default_json, "0");

    t = &p->targets[2];
    assert_string_equal(t->target, "good.echo");
    assert_int_equal(t->flags, DAPT_TARGET_VARARGS | DAPT_TARGET_KWARGS);
    assert_string_equal(t->returns, "");
    assert_int_equal(t->param_count, 0);
    assert_null(t->params);
}

static void check_entry(const expect *e, const dapt_plugin_info *p)
{
    const char *error = e->error;
    if (error == NULL) {
        if (p->status != DAPT_PLUGIN_OK)
            fail_msg("%s: broken: %s", e->file, p->error);
        if (strcmp(e->name, "good") == 0)
            check_good(p);
        else
            assert_string_equal(p->name, e->name);
        return;
    }
    if (p->status != DAPT_PLUGIN_BROKEN)
        fail_msg("%s: not broken", e->file);
    assert_string_equal(p->error, error);
    assert_string_equal(p->name, e->name);
    assert_int_equal(p->target_count, 0);
    /* strings stay usable */
    assert_non_null(p->version);
    assert_non_null(p->description);
    assert_non_null(p->author);
    assert_non_null(p->license);
    assert_non_null(p->url);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Scan `n` entries, fixtures[order[i]], and check each. */
static void scan_and_check(const size_t *order, size_t n, int timeout_ms)
{
    char **paths = xcalloc(n, sizeof *paths);
    for (size_t i = 0; i < n; i++)
        paths[i] = expect_path(&fixtures[order[i]]);
    dapt_plugin_info *infos = infos_new(paths, n);
    for (size_t i = 0; i < n; i++) {
        infos[i].data_dir = xasprintf("%s.d", paths[i]);
        infos[i].id.ino = i + 1;
    }
    char *error = NULL;
    assert_int_equal(plugin_scan(infos, n, timeout_ms, &error), 0);
    assert_null(error);
    for (size_t i = 0; i < n; i++) {
        check_entry(&fixtures[order[i]], &infos[i]);
        /* what the caller set stays */
        assert_ptr_equal(infos[i].path, paths[i]);
        assert_true(strcmp(infos[i].data_dir + strlen(paths[i]), ".d") == 0);
        assert_int_equal(infos[i].id.ino, i + 1);
    }
    infos_free(infos, n);
    free(paths);
}

static void test_scan_fixtures(void **state)
{
    make_unreadable_files();
    size_t order[NFIXTURES], n = 0;
    for (size_t i = 0; i < NFIXTURES; i++)
        if (!skip_expect(&fixtures[i]))
            order[n++] = i;
    int64_t start = now_ms();
    scan_and_check(order, n, 500);
    /* The hang cost its time limit and no more than a few of them. */
    int64_t took = now_ms() - start;
    print_message("# scanned %zu files in %lld ms\n", n, (long long)took);
}

/* A batch big enough for two children, crashes in both halves. */
static void test_scan_big_batch(void **state)
{
    make_unreadable_files();
    size_t order[96], n = 0;
    for (size_t round = 0; n < 96; round++) {
        size_t i = round % NFIXTURES;
        if (skip_expect(&fixtures[i]))
            continue;
        /* one hang per half is enough to prove the point */
        if (strcmp(fixtures[i].file, "ctor_hang") == 0 && round >= NFIXTURES &&
            round < 4 * NFIXTURES)
            continue;
        order[n++] = i;
    }
    scan_and_check(order, n, 500);
}

static void test_scan_empty(void **state)
{
    char *error = NULL;
    assert_int_equal(plugin_scan(NULL, 0, 100, &error), 0);
    assert_null(error);
}

/* ------------------------------------------------------------------ */
/* No plugin code in the caller                                         */
/* ------------------------------------------------------------------ */

static void test_scan_runs_no_plugin_code_here(void **state)
{
    char *mark = tmp_path("mark");
    unlink(mark);
    setenv("DAPT_TEST_MARK", mark, 1);
    char *path = fixture("good");
    dapt_plugin_info *infos = infos_new(&path, 1);
    char *error = NULL;
    assert_int_equal(plugin_scan(infos, 1, 5000, &error), 0);
    unsetenv("DAPT_TEST_MARK");
    assert_int_equal(infos[0].status, DAPT_PLUGIN_OK);
    /* the child loaded it once ... */
    FILE *f = fopen(mark, "r");
    assert_non_null(f);
    char line[64];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "good loaded\n");
    assert_null(fgets(line, sizeof line, f));
    fclose(f);
    /* ... and this process never did (nor any plugin before) */
    assert_null(dlopen(path, RTLD_NOW | RTLD_NOLOAD));
    char *other = fixture("other");
    assert_null(dlopen(other, RTLD_NOW | RTLD_NOLOAD));
    free(other);
    infos_free(infos, 1);
    free(mark);
}

/* A plugin that calls exit() in the child must not flush the child's copy
 * of this process's stdio buffers (the text would be written twice) nor
 * run this process's atexit handlers. */
static void test_exit_flushes_nothing(void **state)
{
    char *file = tmp_path("buffered");
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    static char buf[4096];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    fputs("written once\n", f);
    char *paths[] = {fixture("ctor_exit"), fixture("other")};
    dapt_plugin_info *infos = infos_new(paths, 2);
    char *error = NULL;
    assert_int_equal(plugin_scan(infos, 2, 5000, &error), 0);
    assert_int_equal(infos[0].status, DAPT_PLUGIN_BROKEN);
    assert_int_equal(infos[1].status, DAPT_PLUGIN_OK);
    infos_free(infos, 2);
    assert_int_equal(fclose(f), 0);

    f = fopen(file, "r");
    char text[64] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_string_equal(text, "written once\n");
    free(file);
}

/* ------------------------------------------------------------------ */
/* The workers' path: open in process and call a target                 */
/* ------------------------------------------------------------------ */

typedef struct test_ctx {
    dapt_ctx base;
    char log[128];
    char failed[128];
} test_ctx;

static void ctx_log(dapt_ctx *ctx, int level, const char *message)
{
    snprintf(((test_ctx *)ctx)->log, sizeof((test_ctx *)ctx)->log, "%d %s", level, message);
}

static void ctx_fail(dapt_ctx *ctx, const char *message)
{
    snprintf(((test_ctx *)ctx)->failed, sizeof((test_ctx *)ctx)->failed, "%s", message);
}

static const dapt_host_api test_api = {
    .version = DAPT_HOST_API_VERSION,
    .size = sizeof(dapt_host_api),
    .log = ctx_log,
    .fail = ctx_fail,
};

static dapt_stage_fn find_stage(const dapt_plugin_desc *desc, const char *path)
{
    for (const char *t = (const char *)desc->targets; ((const dapt_target *)t)->path;
         t += desc->target_size)
        if (strcmp(((const dapt_target *)t)->path, path) == 0)
            return ((const dapt_target *)t)->fn;
    return NULL;
}

static void test_open_and_call(void **state)
{
    char *path = fixture("good");
    void *handle;
    const dapt_plugin_desc *desc;
    char *error = NULL;
    assert_int_equal(plugin_open(&handle, &desc, path, &error), 0);
    assert_null(error);
    assert_non_null(handle);
    assert_string_equal(desc->name, "good");

    test_ctx ctx = {.base.api = &test_api};
    json_t *args = json_array(), *kwargs = json_pack("{s:i, s:f}", "a", 2, "b", 0.5);
    dapt_stage_fn add = find_stage(desc, "math.add");
    assert_non_null(add);
    json_t *out = add(&ctx.base, args, kwargs);
    assert_true(json_is_number(out));
    assert_true(json_number_value(out) == 2.5);
    json_decref(out);

    json_object_clear(kwargs);
    assert_null(add(&ctx.base, args, kwargs));
    assert_string_equal(ctx.failed, "a must be a number");

    json_object_set_new(kwargs, "who", json_string("tests"));
    out = find_stage(desc, "stages.hello")(&ctx.base, args, kwargs);
    assert_string_equal(json_string_value(out), "hello, tests");
    assert_string_equal(ctx.log, "1 greeting tests");
    json_decref(out);
    json_decref(args);
    json_decref(kwargs);

    dapt_plugin_info info;
    memset(&info, 0, sizeof info);
    assert_int_equal(plugin_info_from_desc(&info, desc), 0);
    check_good(&info);
    plugin_info_clear(&info);
    dlclose(handle);
    free(path);
}

/* What plugin_open says about files that are safe to open here. */
static void test_open_errors(void **state)
{
    static const struct {
        const char *file;
        const char *error; /* prefix */
    } cases[] = {
        {"nosymbol", "no dapt plugin descriptor (symbol dapt_plugin_describe)"},
        {"abi_major", "built for plugin ABI 2.0 but this dapt supports 1.0"},
        {"abi_minor", "needs plugin ABI 1.3, newer than this dapt's 1.0"},
        {"missing", "cannot load: "},
        {TESTS_SRCDIR "/data/plugins/notelf.so", "cannot load: "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *path = cases[i].file[0] == '/' ? xstrdup(cases[i].file) : fixture(cases[i].file);
        void *handle = (void *)1;
        const dapt_plugin_desc *desc = (void *)1;
        char *error = NULL;
        assert_int_equal(plugin_open(&handle, &desc, path, &error), -1);
        assert_null(handle);
        assert_null(desc);
        assert_non_null(error);
        if (strncmp(error, cases[i].error, strlen(cases[i].error)) != 0)
            fail_msg("%s: %s", cases[i].file, error);
        free(error);
        free(path);
    }
}

/* ------------------------------------------------------------------ */
/* Descriptors made by hand                                             */
/* ------------------------------------------------------------------ */

static json_t *noop(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    return json_null();
}

static dapt_plugin_desc desc_base(const char *name, const dapt_target *targets)
{
    return (dapt_plugin_desc){
        .abi_major = DAPT_PLUGIN_ABI_MAJOR,
        .abi_minor = DAPT_PLUGIN_ABI_MINOR,
        .desc_size = sizeof(dapt_plugin_desc),
        .target_size = sizeof(dapt_target),
        .param_size = sizeof(dapt_param),
        .name = name,
        .targets = targets,
    };
}

/* from_desc on `d`: NULL when ok, else the reason (borrowed until the next
 * call). */
static const char *check_desc(const dapt_plugin_desc *d)
{
    static char reason[512];
    dapt_plugin_info info;
    memset(&info, 0, sizeof info);
    int rc = plugin_info_from_desc(&info, d);
    assert_non_null(info.name);
    assert_non_null(info.version);
    if (rc == 0) {
        assert_int_equal(info.status, DAPT_PLUGIN_OK);
        assert_null(info.error);
        plugin_info_clear(&info);
        return NULL;
    }
    assert_int_equal(info.status, DAPT_PLUGIN_BROKEN);
    assert_int_equal(info.target_count, 0);
    snprintf(reason, sizeof reason, "%s", info.error);
    plugin_info_clear(&info);
    return reason;
}

static void test_desc_valid(void **state)
{
    static const dapt_param params[] = {
        DAPT_PARAM("n", "integer", DAPT_REQUIRED, NULL, "How many"),
        DAPT_PARAM("mode", NULL, DAPT_OPTIONAL, "{\"a\": [1, 2]}", NULL),
        DAPT_PARAM_END,
    };
    static const dapt_target targets[] = {
        {.path = "a", .kind = DAPT_TARGET_STAGE, .fn = noop, .params = params},
        {.path = "b.c_2._d", .kind = DAPT_TARGET_STAGE, .fn = noop, .flags = 0xff},
        /* an executor: its descriptor names the kind the engine drives */
        {.path = "executor.local", .kind = DAPT_TARGET_EXECUTOR, .executor = &local_exec},
        DAPT_TARGET_END,
    };
    static const char *const reqs[] = {"a", "b", NULL};
    dapt_plugin_desc d = desc_base("my_plugin2", targets);
    d.requirements = reqs;
    d.version = "2.0";

    dapt_plugin_info info;
    memset(&info, 0, sizeof info);
    info.path = xstrdup("/x/my_plugin2.so");
    info.id.size = 42;
    assert_int_equal(plugin_info_from_desc(&info, &d), 0);
    assert_string_equal(info.path, "/x/my_plugin2.so");
    assert_int_equal(info.id.size, 42);
    assert_string_equal(info.name, "my_plugin2");
    assert_string_equal(info.version, "2.0");
    assert_string_equal(info.description, "");
    assert_string_equal(info.url, "");
    assert_int_equal(info.requirement_count, 2);
    assert_string_equal(info.requirements[1], "b");
    assert_int_equal(info.target_count, 3);
    assert_string_equal(info.targets[0].target, "my_plugin2.a");
    assert_string_equal(info.targets[0].doc, "");
    assert_int_equal(info.targets[0].param_count, 2);
    assert_string_equal(info.targets[0].params[0].doc, "How many");
    assert_string_equal(info.targets[0].params[1].type, "any");
    assert_string_equal(info.targets[0].params[1].doc, "");
    assert_string_equal(info.targets[0].params[1].default_json, "{\"a\": [1, 2]}");
    /* unknown flag bits are dropped */
    assert_int_equal(info.targets[1].flags, DAPT_TARGET_VARARGS | DAPT_TARGET_KWARGS);
    assert_int_equal(info.targets[2].kind, DAPT_TARGET_EXECUTOR);
    assert_ptr_equal(info.targets[2].plugin, &info);

    /* a deep copy links to itself */
    dapt_plugin_info copy;
    plugin_info_copy(&copy, &info);
    assert_ptr_equal(copy.targets[0].plugin, &copy);
    assert_ptr_not_equal(copy.targets[0].path, info.targets[0].path);
    assert_string_equal(copy.targets[0].params[1].default_json, "{\"a\": [1, 2]}");
    assert_string_equal(copy.path, "/x/my_plugin2.so");
    plugin_info_clear(&info);
    assert_null(info.name);
    assert_string_equal(copy.targets[1].target, "my_plugin2.b.c_2._d");
    plugin_info_clear(&copy);

    /* no targets at all is a plugin too (data only) */
    d = desc_base("data_only", NULL);
    assert_null(check_desc(&d));
}

static void test_desc_broken(void **state)
{
    static const dapt_target ok[] = {
        {.path = "a", .kind = DAPT_TARGET_STAGE, .fn = noop},
        DAPT_TARGET_END,
    };
    dapt_plugin_desc d = desc_base(NULL, ok);
    assert_string_equal(check_desc(&d), "descriptor has no name: give DAPT_PLUGIN() a .name");
    d.name = "";
    assert_string_equal(check_desc(&d), "descriptor has no name: give DAPT_PLUGIN() a .name");
    d.name = "Bad-name";
    assert_string_equal(check_desc(&d), "plugin name `Bad-name` is not valid: use lowercase "
                                        "letters, digits and _, not starting with a digit");
    d.name = "2fast";
    assert_non_null(check_desc(&d));
    assert_string_equal(check_desc(NULL), "no descriptor");

    d = desc_base("p", ok);
    d.abi_major = 0;
    assert_string_equal(check_desc(&d), "built for plugin ABI 0.0 but this dapt supports 1.0: "
                                        "rebuild the plugin against this dapt's "
                                        "<dapt/plugin.h>");
    d = desc_base("p", ok);
    d.abi_minor = DAPT_PLUGIN_ABI_MINOR + 1;
    assert_string_equal(check_desc(&d), "needs plugin ABI 1.1, newer than this dapt's 1.0: "
                                        "upgrade dapt or rebuild the plugin");
}

static void test_desc_sizes(void **state)
{
    /* Structs bigger than ours (more fields after ours): walked by the
     * plugin's strides, extra fields ignored. */
    typedef struct wide_param {
        dapt_param p;
        char extra[24];
    } wide_param;
    typedef struct wide_target {
        dapt_target t;
        void *extra[3];
    } wide_target;
    static const wide_param params[] = {
        {.p = DAPT_PARAM("x", "number", DAPT_REQUIRED, "1.5", "an x"), .extra = "junk"},
        {.p = DAPT_PARAM("y", "string|null", DAPT_OPTIONAL, "null", NULL), .extra = "junk"},
        {.p = DAPT_PARAM_END},
    };
    static const wide_target targets[] = {
        {.t = {.path = "one",
               .kind = DAPT_TARGET_STAGE,
               .fn = noop,
               .params = (const dapt_param *)params},
         .extra = {(void *)1, (void *)2, (void *)3}},
        {.t = {.path = "two", .kind = DAPT_TARGET_STAGE, .fn = noop},
         .extra = {(void *)1, (void *)2, (void *)3}},
        {.t = DAPT_TARGET_END},
    };
    dapt_plugin_desc d = desc_base("wide", (const dapt_target *)targets);
    d.target_size = sizeof(wide_target);
    d.param_size = sizeof(wide_param);
    dapt_plugin_info info;
    memset(&info, 0, sizeof info);
    assert_int_equal(plugin_info_from_desc(&info, &d), 0);
    assert_int_equal(info.target_count, 2);
    assert_string_equal(info.targets[1].target, "wide.two");
    assert_int_equal(info.targets[0].param_count, 2);
    assert_string_equal(info.targets[0].params[1].name, "y");
    assert_string_equal(info.targets[0].params[1].default_json, "null");
    plugin_info_clear(&info);

    /* A descriptor bigger than ours: read up to what we know. */
    struct {
        dapt_plugin_desc d;
        char future[32];
    } big = {.d = desc_base("big", NULL)};
    memset(big.future, 0xff, sizeof big.future);
    big.d.desc_size = sizeof big;
    assert_null(check_desc(&big.d));

    /* Smaller than ABI 1.0's: malformed. */
    d = desc_base("small", NULL);
    d.desc_size = offsetof(dapt_plugin_desc, targets);
    char *want = xasprintf("malformed descriptor: its desc_size is %zu bytes, less than ABI "
                           "1.0's %zu: declare it with DAPT_PLUGIN() from <dapt/plugin.h>",
                           offsetof(dapt_plugin_desc, targets), sizeof(dapt_plugin_desc));
    assert_string_equal(check_desc(&d), want);
    free(want);
    d = desc_base("small", NULL);
    d.target_size = 8;
    assert_non_null(strstr(check_desc(&d), "its target_size is 8 bytes, less than ABI 1.0's"));
    d = desc_base("small", NULL);
    d.param_size = 0;
    assert_non_null(strstr(check_desc(&d), "its param_size is 0 bytes"));
}

/* One target table per broken case, with the reason. */
static void test_desc_targets(void **state)
{
    static const dapt_param empty_name[] = {DAPT_PARAM("", "string", 0, NULL, NULL),
                                            DAPT_PARAM_END};
    static const dapt_param twice[] = {DAPT_PARAM("x", "string", 0, NULL, NULL),
                                       DAPT_PARAM("y", "string", 0, NULL, NULL),
                                       DAPT_PARAM("x", "number", 0, NULL, NULL), DAPT_PARAM_END};
    static const dapt_param bad_type[] = {DAPT_PARAM("x", "strng", 0, NULL, NULL), DAPT_PARAM_END};
    static const dapt_param bad_union[] = {DAPT_PARAM("x", "integer||string", 0, NULL, NULL),
                                           DAPT_PARAM_END};
    static const dapt_param empty_type[] = {DAPT_PARAM("x", "", 0, NULL, NULL), DAPT_PARAM_END};
    static const dapt_param bad_default[] = {DAPT_PARAM("x", "string", 0, "world", NULL),
                                             DAPT_PARAM_END};
    static const struct {
        dapt_target t[3];
        const char *error;
    } cases[] = {
        {{{.path = "", .fn = noop}, DAPT_TARGET_END}, "targets[0] has an empty path"},
        {{{.path = "a", .fn = noop}, {.path = "B", .fn = noop}, DAPT_TARGET_END},
         "target path `B` (targets[1]) is not valid: use words of lowercase letters, digits "
         "and _ joined by single dots, like `stages.fetch`"},
        {{{.path = "a.", .fn = noop}, DAPT_TARGET_END}, "target path `a.` (targets[0])"},
        {{{.path = ".a", .fn = noop}, DAPT_TARGET_END}, "target path `.a` (targets[0])"},
        {{{.path = "a.9", .fn = noop}, DAPT_TARGET_END}, "target path `a.9` (targets[0])"},
        {{{.path = "a-b", .fn = noop}, DAPT_TARGET_END}, "target path `a-b` (targets[0])"},
        {{{.path = "x.y", .fn = noop}, {.path = "x.y", .fn = noop}, DAPT_TARGET_END},
         "target `x.y` is declared twice"},
        {{{.path = "a", .kind = DAPT_TARGET_STAGE}, DAPT_TARGET_END},
         "target `a` is a stage without a function (.fn)"},
        {{{.path = "a", .kind = DAPT_TARGET_EXECUTOR}, DAPT_TARGET_END},
         "target `a` is an executor without a descriptor (.executor)"},
        {{{.path = "a", .kind = DAPT_TARGET_EXECUTOR, .executor = &future_exec}, DAPT_TARGET_END},
         "executor `a` has a descriptor of another version (99; this dapt reads 1): rebuild "
         "the plugin against this dapt"},
        {{{.path = "a", .kind = (dapt_target_kind)7, .fn = noop}, DAPT_TARGET_END},
         "target `a` has the unknown kind 7: use DAPT_TARGET_STAGE, DAPT_TARGET_ACTION or "
         "DAPT_TARGET_EXECUTOR"},
        {{{.path = "a", .fn = noop, .params = empty_name}, DAPT_TARGET_END},
         "target `a` has a parameter with an empty name"},
        {{{.path = "a", .fn = noop, .params = twice}, DAPT_TARGET_END},
         "target `a` declares the parameter `x` twice"},
        {{{.path = "a", .fn = noop, .params = bad_type}, DAPT_TARGET_END},
         "parameter `x` of target `a` has the unknown type `strng`: use string, integer, "
         "number, boolean, array, object, null or any, or several joined with |"},
        {{{.path = "a", .fn = noop, .params = bad_union}, DAPT_TARGET_END},
         "parameter `x` of target `a` has the unknown type `integer||string`"},
        {{{.path = "a", .fn = noop, .params = empty_type}, DAPT_TARGET_END},
         "parameter `x` of target `a` has the unknown type ``"},
        {{{.path = "a", .fn = noop, .params = bad_default}, DAPT_TARGET_END},
         "parameter `x` of target `a` has a default that is not JSON: `world` (a string "
         "default is written \"\\\"text\\\"\")"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        dapt_plugin_desc d = desc_base("p", cases[i].t);
        const char *got = check_desc(&d);
        if (got == NULL || strncmp(got, cases[i].error, strlen(cases[i].error)) != 0)
            fail_msg("case %zu: got `%s`, want `%s`", i, got ? got : "(ok)", cases[i].error);
    }
}

static void test_names(void **state)
{
    static const char *const good_names[] = {"a", "_", "weather", "my_plugin2", "_x9"};
    static const char *const bad_names[] = {"", "A", "9a", "a-b", "a.b", "é", "a b"};
    for (size_t i = 0; i < sizeof good_names / sizeof *good_names; i++) {
        assert_true(plugin_name_valid(good_names[i]));
        assert_true(plugin_path_valid(good_names[i]));
    }
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++)
        assert_false(plugin_name_valid(bad_names[i]));
    assert_false(plugin_name_valid(NULL));
    static const char *const good_paths[] = {"stages.fetch", "a.b.c", "x_1._y"};
    static const char *const bad_paths[] = {"", ".", "a.", ".a", "a..b", "a.B", "a.1", "a/b"};
    for (size_t i = 0; i < sizeof good_paths / sizeof *good_paths; i++) {
        assert_true(plugin_path_valid(good_paths[i]));
        assert_false(plugin_name_valid(good_paths[i]));
    }
    for (size_t i = 0; i < sizeof bad_paths / sizeof *bad_paths; i++)
        assert_false(plugin_path_valid(bad_paths[i]));
    assert_false(plugin_path_valid(NULL));
}

/* ------------------------------------------------------------------ */
/* JSON                                                                 */
/* ------------------------------------------------------------------ */

static void assert_json(json_t *got, const char *want_text)
{
    json_error_t jerr;
    json_t *want = json_loads(want_text, 0, &jerr);
    if (want == NULL)
        fail_msg("bad expected JSON: %s", jerr.text);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS);
        char *w = json_dumps(want, JSON_SORT_KEYS);
        print_error("got:  %s\nwant: %s\n", g, w);
        free(g);
        free(w);
        fail();
    }
    json_decref(want);
    json_decref(got);
}

static void test_json(void **state)
{
    char *paths[] = {fixture("good"), fixture("nosymbol")};
    dapt_plugin_info *infos = infos_new(paths, 2);
    infos[0].data_dir = xstrdup("/data/good");
    char *error = NULL;
    assert_int_equal(plugin_scan(infos, 2, 5000, &error), 0);

    char *want = xasprintf(
        "{\"name\": \"good\", \"runtime\": \"c\", \"version\": \"1.2.3\", \"description\": \"A plugin that works\","
        " \"author\": \"dapt tests\", \"license\": \"MIT\","
        " \"url\": \"https://example.invalid/good\", \"requirements\": [\"jansson >= 2.13\"],"
        " \"path\": \"%s\", \"data_dir\": \"/data/good\", \"status\": \"ok\", \"error\": null,"
        " \"abi\": \"1.0\", \"targets\": ["
        "  {\"target\": \"good.stages.hello\", \"plugin\": \"good\", \"kind\": \"stage\","
        "   \"doc\": \"Say hello.\", \"params\": [{\"name\": \"who\", \"type\": \"string\","
        "   \"required\": false, \"default\": \"world\", \"doc\": \"Whom to greet\"}],"
        "   \"returns\": \"string\", \"varargs\": false, \"kwargs\": false, \"async\": false,"
        "   \"runtime\": \"c\", \"source\": null},"
        "  {\"target\": \"good.math.add\", \"plugin\": \"good\", \"kind\": \"stage\","
        "   \"doc\": \"Add two numbers.\\nb defaults to 0.\", \"params\": ["
        "    {\"name\": \"a\", \"type\": \"number\", \"required\": true, \"default\": null,"
        "     \"doc\": \"The first term\"},"
        "    {\"name\": \"b\", \"type\": \"integer|number\", \"required\": false, \"default\": 0,"
        "     \"doc\": \"The second term\"}],"
        "   \"returns\": \"number\", \"varargs\": false, \"kwargs\": false, \"async\": false,"
        "   \"runtime\": \"c\", \"source\": null},"
        "  {\"target\": \"good.echo\", \"plugin\": \"good\", \"kind\": \"stage\","
        "   \"doc\": \"Return what it was given.\", \"params\": [], \"returns\": \"\","
        "   \"varargs\": true, \"kwargs\": true, \"async\": false, \"runtime\": \"c\","
        "   \"source\": null}]}",
        paths[0]);
    assert_json(dapt_plugin_to_json(&infos[0]), want);
    free(want);

    want = xasprintf("{\"name\": \"nosymbol\", \"runtime\": \"c\", \"version\": \"\", \"description\": \"\","
                     " \"author\": \"\", \"license\": \"\", \"url\": \"\", \"requirements\": [],"
                     " \"path\": \"%s\", \"data_dir\": null, \"status\": \"broken\","
                     " \"error\": \"%s\", \"abi\": null, \"targets\": []}",
                     paths[1], NO_SYMBOL);
    assert_json(dapt_plugin_to_json(&infos[1]), want);
    free(want);
    infos_free(infos, 2);

    assert_string_equal(dapt_plugin_status_name(DAPT_PLUGIN_SHADOWED), "shadowed");
    assert_string_equal(dapt_target_kind_name(DAPT_TARGET_EXECUTOR), "executor");

    /* bytes that are not UTF-8 do not lose the value */
    dapt_target_info t = {.path = "x", .doc = "caf\xe9", .returns = ""};
    json_t *j = dapt_target_to_json(&t);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "doc")), "caf?");
    assert_true(json_is_null(json_object_get(j, "plugin")));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_fixtures),
        cmocka_unit_test(test_scan_big_batch),
        cmocka_unit_test(test_scan_empty),
        cmocka_unit_test(test_scan_runs_no_plugin_code_here),
        cmocka_unit_test(test_exit_flushes_nothing),
        cmocka_unit_test(test_open_and_call),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_desc_valid),
        cmocka_unit_test(test_desc_broken),
        cmocka_unit_test(test_desc_sizes),
        cmocka_unit_test(test_desc_targets),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests_name("plugin-scan", tests, setup, teardown);
}
