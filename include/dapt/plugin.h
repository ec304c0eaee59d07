/*
 * plugin.h - the one header a dapt plugin includes.
 *
 * A plugin is a shared library that exports exactly one symbol,
 * dapt_plugin_describe(), made by the DAPT_PLUGIN() macro.  It returns a
 * static descriptor: the ABI version the plugin was built against, its
 * metadata, and its table of targets.  A workflow names a target as
 * PLUGIN.PATH, e.g. `weather.stages.fetch` is plugin `weather`, target
 * `stages.fetch` (the shape of Flowdapt's import strings).
 *
 * A plugin links no dapt symbol.  Everything it needs from the host
 * (logging, the run context, the object store) comes through a
 * versioned table of functions reached from the context each call receives
 * (as redis modules do), so a plugin built against this header keeps working
 * with a newer dapt, and a newer plugin sees NULL for what an older host
 * lacks.  Values are jansson values: link the plugin with jansson only.
 *
 *     #include <dapt/plugin.h>
 *
 *     static json_t *hello(dapt_ctx *ctx, json_t *args, json_t *kwargs)
 *     {
 *         const char *who = json_string_value(json_object_get(kwargs, "who"));
 *         dapt_ctx_log(ctx, DAPT_LOG_INFO, "greeting %s", who ? who : "world");
 *         return json_sprintf("hello, %s", who ? who : "world");
 *     }
 *
 *     static const dapt_param hello_params[] = {
 *         DAPT_PARAM("who", "string", DAPT_OPTIONAL, "\"world\"", "Whom to greet"),
 *         DAPT_PARAM_END,
 *     };
 *
 *     static const dapt_target targets[] = {
 *         { .path = "stages.hello", .kind = DAPT_TARGET_STAGE, .fn = hello,
 *           .doc = "Say hello.", .params = hello_params, .returns = "string" },
 *         DAPT_TARGET_END,
 *     };
 *
 *     DAPT_PLUGIN(.name = "greeter", .version = "1.0.0",
 *                 .description = "Greets people", .targets = targets);
 *
 * See dapt-plugin(7) for building, testing and installing plugins.
 */
#ifndef DAPT_PLUGIN_H
#define DAPT_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The ABI of the descriptor.  The host accepts a plugin whose major equals
 * its own and whose minor is not newer.  A minor release only appends
 * fields; the descriptor records the sizes of its structs so the host never
 * reads past what a plugin was built with.
 */
#define DAPT_PLUGIN_ABI_MAJOR 1
#define DAPT_PLUGIN_ABI_MINOR 0

/* The name of the one symbol a plugin exports. */
#define DAPT_PLUGIN_SYMBOL "dapt_plugin_describe"

#if defined(__GNUC__)
#define DAPT_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define DAPT_PLUGIN_EXPORT
#endif

typedef struct dapt_ctx dapt_ctx;

typedef enum dapt_target_kind {
    DAPT_TARGET_STAGE = 0,    /* a function a workflow stage runs */
    DAPT_TARGET_EXECUTOR = 1, /* a compute executor (services.compute.executor) */
    /* A trigger rule's action (`action.target`): a stage function that a
     * rule runs with its `parameters` as named arguments, and the event
     * that fired it as `event` when it declares that parameter. */
    DAPT_TARGET_ACTION = 2,
} dapt_target_kind;

/* Target flags. */
enum {
    /* Takes any number of positional arguments (its dependencies' outputs). */
    DAPT_TARGET_VARARGS = 1u << 0,
    /* Takes named arguments it does not declare (a root stage then gets the
     * whole run input, and `args:` keys are not checked). */
    DAPT_TARGET_KWARGS = 1u << 1,
};

enum { DAPT_OPTIONAL = 0, DAPT_REQUIRED = 1 };

/*
 * A named parameter.  `type` is a JSON type name: "string", "integer",
 * "number", "boolean", "array", "object", "null" or "any"; several may be
 * joined with '|' ("integer|string"), the last of them may be "array of
 * TYPE" (an array whose items are TYPE, the rest of the text: "array of
 * number", "string|array of string").  dapt checks the values a stage is
 * given against it before a run: an integer is a number, a real (even
 * 2.0) is not an integer, null fits an optional parameter and a type that
 * names null.  `default_json` is the default as JSON text, or NULL.
 */
typedef struct dapt_param {
    const char *name;
    const char *type;
    int required;
    const char *default_json;
    const char *doc;
} dapt_param;

#define DAPT_PARAM(name, type, required, default_json, doc) \
    { (name), (type), (required), (default_json), (doc) }
#define DAPT_PARAM_END { NULL, NULL, 0, NULL, NULL }

/*
 * A stage function.  `args` (an array) holds the positional arguments:
 * the outputs of the stage's dependencies in depends_on order, or for a
 * parameterized stage the item.  `kwargs` (an object) holds the named ones:
 * for a root stage the run input filtered to the declared parameters, plus
 * the stage's `args:`.  Both are borrowed; do not keep them past the call
 * without json_incref().
 *
 * Return a new reference (json_null() for "nothing"), or NULL after
 * dapt_ctx_fail() to fail the stage with a message.
 */
typedef json_t *(*dapt_stage_fn)(dapt_ctx *ctx, json_t *args, json_t *kwargs);

/*
 * What a target of kind DAPT_TARGET_EXECUTOR declares.  The engine drives
 * the executors it implements (`kind` "local": the worker pool and the
 * thread pool); the target's params are its settings, the keys of
 * services.compute.executor in the configuration, checked against them
 * before a run.  A kind this dapt does not implement is refused with the
 * list of kinds it does.
 */
#define DAPT_EXECUTOR_ABI 1
typedef struct dapt_executor_desc {
    uint32_t abi;     /* DAPT_EXECUTOR_ABI */
    const char *kind; /* "local" */
} dapt_executor_desc;

typedef struct dapt_target {
    const char *path;     /* dotted, e.g. "stages.fetch"; unique in the plugin */
    dapt_target_kind kind;
    unsigned flags;       /* DAPT_TARGET_VARARGS | DAPT_TARGET_KWARGS */
    const char *doc;      /* first line: a summary; then details */
    const dapt_param *params; /* ends with DAPT_PARAM_END; NULL: none */
    /* What the value is, e.g. "list of numbers"; when it starts with a
     * type ("number: the sum", "list of integers", "object {a, b}"),
     * dapt validate warns where a stage passes it to a parameter it
     * cannot fit. */
    const char *returns;
    dapt_stage_fn fn;     /* kind STAGE */
    const struct dapt_executor_desc *executor; /* kind EXECUTOR */
} dapt_target;

#define DAPT_TARGET_END { NULL, DAPT_TARGET_STAGE, 0, NULL, NULL, NULL, NULL, NULL }

typedef struct dapt_plugin_desc {
    /* Never moves: the host reads these before anything else. */
    uint16_t abi_major;
    uint16_t abi_minor;
    /* sizeof the structs this plugin was built with. */
    uint16_t desc_size;
    uint16_t target_size;
    uint16_t param_size;
    uint16_t reserved;

    const char *name;        /* [a-z_][a-z0-9_]*: the first part of target strings */
    const char *version;
    const char *description;
    const char *author;
    const char *license;
    const char *url;
    const char *const *requirements; /* NULL-terminated; NULL: none */
    const dapt_target *targets;      /* ends with DAPT_TARGET_END */
} dapt_plugin_desc;

typedef const dapt_plugin_desc *(*dapt_plugin_describe_fn)(void);

/*
 * Declare the plugin: designated initializers for the fields of
 * dapt_plugin_desc after the ABI ones.  Use it once per plugin.
 */
#define DAPT_PLUGIN(...)                                                            \
    static const dapt_plugin_desc dapt_plugin_desc_;                                \
    DAPT_PLUGIN_EXPORT const dapt_plugin_desc *dapt_plugin_describe(void);          \
    DAPT_PLUGIN_EXPORT const dapt_plugin_desc *dapt_plugin_describe(void)           \
    {                                                                               \
        return &dapt_plugin_desc_;                                                  \
    }                                                                               \
    static const dapt_plugin_desc dapt_plugin_desc_ = {                             \
        .abi_major = DAPT_PLUGIN_ABI_MAJOR,                                         \
        .abi_minor = DAPT_PLUGIN_ABI_MINOR,                                         \
        .desc_size = sizeof(dapt_plugin_desc),                                      \
        .target_size = sizeof(dapt_target),                                         \
        .param_size = sizeof(dapt_param),                                           \
        __VA_ARGS__}

/*
 * A user module: one C file in the workspace's user_modules/ folder that
 * dapt compiles on demand.  Its targets are named user_modules.FILE.PATH,
 * so `.path = "double_it"` in user_modules/math.c is the target
 * user_modules.math.double_it.
 */
#define DAPT_USER_MODULE(targets_) \
    DAPT_PLUGIN(.name = "user_modules", .version = "0", .targets = (targets_))

/* ------------------------------------------------------------------ */
/* The host: reached only through the context                          */
/* ------------------------------------------------------------------ */

typedef enum dapt_log_level {
    DAPT_LOG_DEBUG = 0,
    DAPT_LOG_INFO = 1,
    DAPT_LOG_WARNING = 2,
    DAPT_LOG_ERROR = 3,
} dapt_log_level;

/*
 * The functions the host offers.  `version` says which block of fields the
 * host filled; a field of a later block may be read only when
 * version >= that block.  New functions are only ever appended.
 */
#define DAPT_HOST_API_VERSION 2

/* Object store strategies (catalog 3.12), for the object_* functions. */
#define DAPT_OBJECT_FALLBACK "fallback"             /* memory, then an artifact */
#define DAPT_OBJECT_CLUSTER_MEMORY "cluster_memory" /* the run's engine holds it */
#define DAPT_OBJECT_ARTIFACT "artifact"             /* .dapt/artifacts/NS/NAME/ */

typedef struct dapt_host_api {
    uint32_t version;
    uint32_t size; /* sizeof(dapt_host_api) in the host */

    /* version 1 */
    void (*log)(dapt_ctx *ctx, int level, const char *message);
    void (*fail)(dapt_ctx *ctx, const char *message);
    /* Run context by key: "run_id", "run_name", "workflow", "namespace",
     * "stage", "plugin", "plugin_dir" (the plugin's data folder),
     * "item_index" (in a parameterized stage), "attempt" (from "1"),
     * "workspace".  NULL when unknown.  Borrowed for the call. */
    const char *(*info)(dapt_ctx *ctx, const char *key);
    /* The configuration attached to the run (an object, maybe empty).
     * Borrowed. */
    json_t *(*config)(dapt_ctx *ctx);
    /* Non-zero once the run was cancelled or the stage timed out: long
     * stages should check it and return. */
    int (*cancelled)(dapt_ctx *ctx);

    /* version 2 */
    /* More of the run context as JSON: "input" (the run input), "config",
     * "definition" (the workflow as JSON), "run" ({id, name, workflow,
     * namespace, stage, item, attempt}).  Borrowed for the call; NULL when
     * unknown. */
    json_t *(*context)(dapt_ctx *ctx, const char *key);
    /* The object store.  `ns` NULL: the run's namespace; `strategy` NULL:
     * the configured default (fallback).  put/delete/exists return 0 (or
     * exists: 1 when there), -1 on error; get returns a new reference, or
     * NULL on error or a missing key.  The reason of the last error is
     * object_error()'s (borrowed until the next object call). */
    int (*object_put)(dapt_ctx *ctx, const char *key, json_t *value, const char *ns,
                      const char *strategy);
    json_t *(*object_get)(dapt_ctx *ctx, const char *key, const char *ns, const char *strategy);
    int (*object_delete)(dapt_ctx *ctx, const char *key, const char *ns, const char *strategy);
    int (*object_exists)(dapt_ctx *ctx, const char *key, const char *ns, const char *strategy);
    const char *(*object_error)(dapt_ctx *ctx);
} dapt_host_api;

/* The context starts with the table; the rest is the host's. */
struct dapt_ctx {
    const dapt_host_api *api;
};

#define DAPT_HOST_HAS(ctx, field, since) \
    ((ctx) && (ctx)->api && (ctx)->api->version >= (since) && (ctx)->api->field)

/* Format into a malloc'd string; NULL on failure.  Internal helper. */
static inline char *dapt_plugin_vformat_(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return NULL;
    char *s = (char *)malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

/* Log a line of the stage's log at a level (printf-style). */
static inline void dapt_ctx_log(dapt_ctx *ctx, dapt_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void dapt_ctx_log(dapt_ctx *ctx, dapt_log_level level, const char *fmt, ...)
{
    if (!DAPT_HOST_HAS(ctx, log, 1))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = dapt_plugin_vformat_(fmt, ap);
    va_end(ap);
    ctx->api->log(ctx, (int)level, msg ? msg : fmt);
    free(msg);
}

/* Fail the stage with a message; returns NULL so a stage can
 * `return dapt_ctx_fail(ctx, "no such city: %s", name);`. */
static inline json_t *dapt_ctx_fail(dapt_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline json_t *dapt_ctx_fail(dapt_ctx *ctx, const char *fmt, ...)
{
    if (!DAPT_HOST_HAS(ctx, fail, 1))
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    char *msg = dapt_plugin_vformat_(fmt, ap);
    va_end(ap);
    /* parenthesized: test frameworks (cmocka) define a fail() macro */
    (ctx->api->fail)(ctx, msg ? msg : fmt);
    free(msg);
    return NULL;
}

static inline const char *dapt_ctx_info(dapt_ctx *ctx, const char *key)
{
    return DAPT_HOST_HAS(ctx, info, 1) ? ctx->api->info(ctx, key) : NULL;
}

static inline json_t *dapt_ctx_config(dapt_ctx *ctx)
{
    return DAPT_HOST_HAS(ctx, config, 1) ? ctx->api->config(ctx) : NULL;
}

static inline int dapt_ctx_cancelled(dapt_ctx *ctx)
{
    return DAPT_HOST_HAS(ctx, cancelled, 1) ? ctx->api->cancelled(ctx) : 0;
}

static inline json_t *dapt_ctx_context(dapt_ctx *ctx, const char *key)
{
    return DAPT_HOST_HAS(ctx, context, 2) ? ctx->api->context(ctx, key) : NULL;
}

/* The object store (host version 2; on an older host they fail). */
static inline int dapt_object_put(dapt_ctx *ctx, const char *key, json_t *value, const char *ns,
                                  const char *strategy)
{
    return DAPT_HOST_HAS(ctx, object_put, 2) ? ctx->api->object_put(ctx, key, value, ns, strategy)
                                              : -1;
}

static inline json_t *dapt_object_get(dapt_ctx *ctx, const char *key, const char *ns,
                                      const char *strategy)
{
    return DAPT_HOST_HAS(ctx, object_get, 2) ? ctx->api->object_get(ctx, key, ns, strategy)
                                              : NULL;
}

static inline int dapt_object_delete(dapt_ctx *ctx, const char *key, const char *ns,
                                     const char *strategy)
{
    return DAPT_HOST_HAS(ctx, object_delete, 2) ? ctx->api->object_delete(ctx, key, ns, strategy)
                                                 : -1;
}

static inline int dapt_object_exists(dapt_ctx *ctx, const char *key, const char *ns,
                                     const char *strategy)
{
    return DAPT_HOST_HAS(ctx, object_exists, 2) ? ctx->api->object_exists(ctx, key, ns, strategy)
                                                 : -1;
}

static inline const char *dapt_object_error(dapt_ctx *ctx)
{
    return DAPT_HOST_HAS(ctx, object_error, 2) ? ctx->api->object_error(ctx)
                                                : "this dapt has no object store (host API < 2)";
}

#ifdef __cplusplus
}
#endif

#endif /* DAPT_PLUGIN_H */
