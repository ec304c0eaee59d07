/*
 * bench-log.c - the baseline of bench/engine's log shape: the stage
 * dapt.log run bare, with no engine around it.
 *
 *   bench-log PLUGIN.so LINES WIDTH
 *
 * dlopen()s the builtin plugin (the build tree's plugins/uninstalled/
 * dapt.so), finds its target `log` through dapt_plugin_describe() and calls
 * it once with {"lines": LINES, "width": WIDTH}, on a context whose host
 * functions only report to stderr.  The lines go wherever standard output
 * goes: bench/engine runs this under bench-run, which sends it to
 * /dev/null, and times the whole process as it times `dapt run --quiet`.
 * Exit 1 when the stage fails or returns anything but LINES.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dapt/plugin.h"

static void host_log(dapt_ctx *ctx, int level, const char *message)
{
    (void)ctx;
    fprintf(stderr, "bench-log: log %d: %s\n", level, message);
}

static void host_fail(dapt_ctx *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "bench-log: the stage failed: %s\n", message);
}

static const char *host_info(dapt_ctx *ctx, const char *key)
{
    (void)ctx;
    (void)key;
    return NULL;
}

static json_t *host_config(dapt_ctx *ctx)
{
    (void)ctx;
    static json_t *empty;
    if (empty == NULL)
        empty = json_object();
    return empty;
}

static int host_cancelled(dapt_ctx *ctx)
{
    (void)ctx;
    return 0;
}

/* Version 1 only: the object store and context() read as missing. */
static const dapt_host_api host = {
    .version = 1,
    .size = sizeof(dapt_host_api),
    .log = host_log,
    .fail = host_fail,
    .info = host_info,
    .config = host_config,
    .cancelled = host_cancelled,
};

static dapt_stage_fn find_log(const char *so)
{
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fprintf(stderr, "bench-log: %s\n", dlerror());
        exit(1);
    }
    dapt_plugin_describe_fn describe = (dapt_plugin_describe_fn)dlsym(h, DAPT_PLUGIN_SYMBOL);
    const dapt_plugin_desc *desc = describe ? describe() : NULL;
    if (desc == NULL || desc->abi_major != DAPT_PLUGIN_ABI_MAJOR) {
        fprintf(stderr, "bench-log: %s is not a dapt plugin of this ABI\n", so);
        exit(1);
    }
    for (const dapt_target *t = desc->targets; t->path; t++)
        if (strcmp(t->path, "log") == 0 && t->kind == DAPT_TARGET_STAGE)
            return t->fn;
    fprintf(stderr, "bench-log: %s has no target `log`\n", so);
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench-log PLUGIN.so LINES WIDTH\n");
        return 2;
    }
    dapt_stage_fn fn = find_log(argv[1]);
    long long lines = atoll(argv[2]), width = atoll(argv[3]);
    json_t *args = json_array();
    json_t *kwargs = json_pack("{s:I, s:I}", "lines", (json_int_t)lines, "width",
                               (json_int_t)width);
    dapt_ctx ctx = {.api = &host};
    json_t *out = fn(&ctx, args, kwargs);
    int ok = json_integer_value(out) == lines;
    if (!ok)
        fprintf(stderr, "bench-log: the stage did not return %lld\n", lines);
    json_decref(out);
    json_decref(args);
    json_decref(kwargs);
    return ok ? 0 : 1;
}
