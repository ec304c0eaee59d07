/*
 * objects.c - dapt.put, dapt.get, dapt.delete and dapt.exists: the run's
 * object store (cluster memory and artifacts, catalog 3.11-3.13) for
 * workflows written in YAML.  Everything goes through the host's object
 * functions; the store lives in the engine.
 *
 * These targets take any positional arguments (DAPT_TARGET_VARARGS), so
 * a stage can depend on another just for order; their parameters are
 * named only, except that dapt.put stores its first positional argument
 * when there is one (the output of the stage it depends on).
 */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"

/* Where an object is: key, namespace, strategy, read from kwargs. */
typedef struct where {
    const char *key;
    const char *ns;       /* NULL: the run's namespace */
    const char *strategy; /* NULL: the configured default */
} where;

/* An optional string argument: 0 with *out (NULL when absent or null), or
 * -1 after failing the stage. */
static int opt_string(dapt_ctx *ctx, const char *target, json_t *kwargs, const char *name,
                      const char **out)
{
    json_t *v = json_object_get(kwargs, name);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        args_wrong(ctx, target, name, "a string", v);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

static int where_of(dapt_ctx *ctx, const char *target, json_t *kwargs, where *w)
{
    if (opt_string(ctx, target, kwargs, "key", &w->key) < 0 ||
        opt_string(ctx, target, kwargs, "namespace", &w->ns) < 0 ||
        opt_string(ctx, target, kwargs, "strategy", &w->strategy) < 0)
        return -1;
    if (w->key == NULL) {
        args_missing(ctx, target, "key", "the name of the object");
        return -1;
    }
    return 0;
}

static json_t *object_failed(dapt_ctx *ctx, const char *target)
{
    return dapt_ctx_fail(ctx, "%s: %s", target, dapt_object_error(ctx));
}

json_t *objects_put(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "dapt.put";
    where w;
    if (where_of(ctx, target, kwargs, &w) < 0)
        return NULL;
    json_t *value = args_first(args, kwargs, "value");
    if (value == NULL)
        return args_missing(ctx, target, "value",
                            "the value to store: a positional argument, or `value`");
    if (dapt_object_put(ctx, w.key, value, w.ns, w.strategy) < 0)
        return object_failed(ctx, target);
    return json_incref(value);
}

json_t *objects_get(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "dapt.get";
    (void)args;
    where w;
    if (where_of(ctx, target, kwargs, &w) < 0)
        return NULL;
    json_t *value = dapt_object_get(ctx, w.key, w.ns, w.strategy);
    if (value != NULL)
        return value;
    json_t *def = json_object_get(kwargs, "default");
    if (def == NULL)
        return object_failed(ctx, target);
    /* The default stands in for a missing object only, not for a store
     * that failed: ask whether it is there, keeping the first reason. */
    char *why = strdup(dapt_object_error(ctx));
    int there = dapt_object_exists(ctx, w.key, w.ns, w.strategy);
    json_t *out = NULL;
    if (there == 0)
        out = json_incref(def);
    else
        dapt_ctx_fail(ctx, "%s: %s", target, why ? why : dapt_object_error(ctx));
    free(why);
    return out;
}

json_t *objects_delete(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "dapt.delete";
    (void)args;
    where w;
    if (where_of(ctx, target, kwargs, &w) < 0)
        return NULL;
    if (dapt_object_delete(ctx, w.key, w.ns, w.strategy) < 0)
        return object_failed(ctx, target);
    return json_true();
}

json_t *objects_exists(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "dapt.exists";
    (void)args;
    where w;
    if (where_of(ctx, target, kwargs, &w) < 0)
        return NULL;
    int there = dapt_object_exists(ctx, w.key, w.ns, w.strategy);
    if (there < 0)
        return object_failed(ctx, target);
    return json_boolean(there);
}
