/*
 * test_@NAME@.c - the tests `make check` runs.
 *
 * They load the built @NAME@.so as dapt does (dlopen, then the descriptor
 * symbol), check the descriptor, and call the stages with a fake host: a
 * dapt_ctx whose function table records what a stage logs and why it
 * failed.  The last test runs the bundled workflow on dapt's own engine
 * (libdapt's dapt_execute, the counterpart of Flowdapt's
 * execute_workflow), as `dapt run` would.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <dapt/dapt.h>

#ifndef PLUGIN_SO
#define PLUGIN_SO "./@NAME@.so"
#endif
/* The folder holding @NAME@.so and its data folder @NAME@/. */
#ifndef PLUGIN_DIR
#define PLUGIN_DIR "."
#endif

/* ------------------------------------------------------------------ */
/* A fake host                                                        */
/* ------------------------------------------------------------------ */

typedef struct fake_ctx {
    dapt_ctx base; /* first, so a dapt_ctx * is a fake_ctx * */
    char log[1024];
    char error[256];
} fake_ctx;

static void fake_log(dapt_ctx *ctx, int level, const char *message)
{
    fake_ctx *f = (fake_ctx *)ctx;
    size_t used = strlen(f->log);
    snprintf(f->log + used, sizeof f->log - used, "%d %s\n", level, message);
}

static void fake_fail(dapt_ctx *ctx, const char *message)
{
    fake_ctx *f = (fake_ctx *)ctx;
    snprintf(f->error, sizeof f->error, "%s", message);
}

static const char *fake_info(dapt_ctx *ctx, const char *key)
{
    (void)ctx;
    return strcmp(key, "plugin") == 0 ? "@NAME@" : NULL;
}

static json_t *fake_config(dapt_ctx *ctx)
{
    (void)ctx;
    return NULL;
}

static int fake_cancelled(dapt_ctx *ctx)
{
    (void)ctx;
    return 0;
}

static const dapt_host_api fake_api = {
    .version = DAPT_HOST_API_VERSION,
    .size = sizeof(dapt_host_api),
    .log = fake_log,
    .fail = fake_fail,
    .info = fake_info,
    .config = fake_config,
    .cancelled = fake_cancelled,
};

/* ------------------------------------------------------------------ */
/* The plugin                                                         */
/* ------------------------------------------------------------------ */

static void *handle;
static const dapt_plugin_desc *desc;

static int load_plugin(void **state)
{
    (void)state;
    handle = dlopen(PLUGIN_SO, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        fprintf(stderr, "cannot load %s: %s\n", PLUGIN_SO, dlerror());
        return -1;
    }
    void *sym = dlsym(handle, DAPT_PLUGIN_SYMBOL);
    if (sym == NULL) {
        fprintf(stderr, "%s exports no %s\n", PLUGIN_SO, DAPT_PLUGIN_SYMBOL);
        return -1;
    }
    dapt_plugin_describe_fn describe;
    memcpy(&describe, &sym, sizeof describe);
    desc = describe();
    return desc != NULL ? 0 : -1;
}

static int unload_plugin(void **state)
{
    (void)state;
    dlclose(handle);
    return 0;
}

static const dapt_target *find_target(const char *path)
{
    for (const dapt_target *t = desc->targets; t->path != NULL; t++) {
        if (strcmp(t->path, path) == 0)
            return t;
    }
    return NULL;
}

/* Call a target with arguments written as JSON; the value, or NULL when
 * the stage failed (then ctx->error says why). */
static json_t *call(fake_ctx *ctx, const char *path, const char *args, const char *kwargs)
{
    const dapt_target *t = find_target(path);
    assert_non_null(t);
    memset(ctx, 0, sizeof *ctx);
    ctx->base.api = &fake_api;
    json_t *a = json_loads(args, 0, NULL), *k = json_loads(kwargs, 0, NULL);
    assert_non_null(a);
    assert_non_null(k);
    json_t *out = t->fn(&ctx->base, a, k);
    json_decref(a);
    json_decref(k);
    return out;
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static void test_descriptor(void **state)
{
    (void)state;
    assert_int_equal(desc->abi_major, DAPT_PLUGIN_ABI_MAJOR);
    assert_string_equal(desc->name, "@NAME@");
    const dapt_target *hello = find_target("stages.hello");
    assert_non_null(hello);
    assert_int_equal(hello->kind, DAPT_TARGET_STAGE);
    assert_non_null(hello->doc);
    assert_string_equal(hello->params[0].name, "who");
}

static void test_hello(void **state)
{
    (void)state;
    fake_ctx ctx;
    json_t *out = call(&ctx, "stages.hello", "[]", "{}");
    assert_string_equal(json_string_value(out), "hello, world!");
    assert_string_equal(ctx.log, "1 greeting world\n"); /* 1: DAPT_LOG_INFO */
    json_decref(out);

    out = call(&ctx, "stages.hello", "[]", "{\"who\": \"dapt\"}");
    assert_string_equal(json_string_value(out), "hello, dapt!");
    json_decref(out);

    /* from a dependency: the first positional argument */
    out = call(&ctx, "stages.hello", "[\"upstream\"]", "{}");
    assert_string_equal(json_string_value(out), "hello, upstream!");
    json_decref(out);
}

static void test_hello_fails_on_a_bad_argument(void **state)
{
    (void)state;
    fake_ctx ctx;
    json_t *out = call(&ctx, "stages.hello", "[]", "{\"who\": 42}");
    assert_null(out);
    assert_string_equal(ctx.error, "@NAME@.stages.hello: `who` must be a string");
}

/* The bundled workflow, run by the engine in this process (thread mode):
 * discovery finds @NAME@.so in PLUGIN_DIR, the root stage gets the run
 * input as named arguments. */
static void test_workflow_runs(void **state)
{
    (void)state;
    char *error = NULL;
    dapt_registry *reg;
    dapt_registry_options ro = {.plugin_path = PLUGIN_DIR, .cache_file = ""};
    assert_int_equal(dapt_registry_open(&reg, &ro, NULL, &error), 0);

    dapt_bundle *bundle;
    dapt_diags diags = {0};
    assert_int_equal(dapt_load_file(&bundle, PLUGIN_DIR "/@NAME@/workflows/hello.yaml", &diags),
                     0);
    json_t *input = json_pack("{s:s}", "who", "engine");
    json_t *settings =
        json_pack("{s:{s:{s:{s:b}}}}", "services", "compute", "executor", "use_processes", 0);
    dapt_run_options opts = {.registry = reg, .input = input, .settings = settings};
    json_t *record = NULL;
    int state_ = dapt_execute(&record, dapt_bundle_workflow(bundle), &opts, &error);
    if (state_ < 0)
        fprintf(stderr, "cannot run: %s\n", error);
    assert_int_equal(state_, DAPT_STATE_FINISHED);
    assert_string_equal(json_string_value(json_object_get(record, "result")), "hello, engine!");

    json_decref(record);
    json_decref(input);
    json_decref(settings);
    dapt_bundle_free(bundle);
    dapt_diags_free(&diags);
    dapt_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_hello),
        cmocka_unit_test(test_hello_fails_on_a_bad_argument),
        cmocka_unit_test(test_workflow_runs),
    };
    return cmocka_run_group_tests_name("@NAME@", tests, load_plugin, unload_plugin);
}
