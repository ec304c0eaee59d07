/*
 * host.c - what a stage function reaches through its context: the
 * dapt_host_api table.  The same code serves both executors: a worker
 * process (whose sink turns logs and object requests into frames) and the
 * engine's threads (whose sink goes straight to the run).  One host_ctx is
 * one call's context; it only borrows the run's data.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static host_ctx *ctx_of(dapt_ctx *ctx)
{
    return (host_ctx *)ctx; /* base is the first member */
}

static void host_log(dapt_ctx *ctx, int level, const char *message)
{
    host_ctx *hc = ctx_of(ctx);
    if (level < DAPT_LOG_DEBUG || level > DAPT_LOG_ERROR)
        level = DAPT_LOG_INFO;
    if (hc->sink && hc->sink->log)
        hc->sink->log(hc->sink->data, hc->item, level, message ? message : "");
}

static void host_fail(dapt_ctx *ctx, const char *message)
{
    host_ctx *hc = ctx_of(ctx);
    /* the first reason is the one that explains the failure */
    if (hc->error == NULL)
        hc->error = xstrdup(message && *message ? message : "failed (no message given)");
}

/* Run-context strings by key: a table, so a new key is one row. */
typedef const char *(*info_fn)(host_ctx *hc);
static const char *info_run_id(host_ctx *hc) { return hc->run ? hc->run->run_id : NULL; }
static const char *info_run_name(host_ctx *hc) { return hc->run ? hc->run->run_name : NULL; }
static const char *info_workflow(host_ctx *hc) { return hc->run ? hc->run->workflow : NULL; }
static const char *info_ns(host_ctx *hc) { return hc->run ? hc->run->ns : NULL; }
static const char *info_workspace(host_ctx *hc) { return hc->run ? hc->run->workspace : NULL; }
static const char *info_stage(host_ctx *hc) { return hc->stage; }
static const char *info_plugin(host_ctx *hc) { return hc->plugin; }
static const char *info_plugin_dir(host_ctx *hc) { return hc->plugin_dir; }
static const char *info_item(host_ctx *hc)
{
    if (hc->item < 0)
        return NULL;
    snprintf(hc->item_text, sizeof hc->item_text, "%ld", hc->item);
    return hc->item_text;
}
static const char *info_attempt(host_ctx *hc)
{
    snprintf(hc->attempt_text, sizeof hc->attempt_text, "%d", hc->attempt);
    return hc->attempt_text;
}

static const struct {
    const char *key;
    info_fn fn;
} info_keys[] = {
    {"run_id", info_run_id},   {"run_name", info_run_name},
    {"workflow", info_workflow}, {"namespace", info_ns},
    {"workspace", info_workspace}, {"stage", info_stage},
    {"plugin", info_plugin},   {"plugin_dir", info_plugin_dir},
    {"item_index", info_item}, {"attempt", info_attempt},
};

static const char *host_info(dapt_ctx *ctx, const char *key)
{
    for (size_t i = 0; key && i < sizeof info_keys / sizeof info_keys[0]; i++)
        if (strcmp(key, info_keys[i].key) == 0)
            return info_keys[i].fn(ctx_of(ctx));
    return NULL;
}

static json_t *host_config(dapt_ctx *ctx)
{
    host_ctx *hc = ctx_of(ctx);
    return hc->run ? hc->run->config : NULL;
}

static int host_cancelled(dapt_ctx *ctx)
{
    host_ctx *hc = ctx_of(ctx);
    return hc->cancel != NULL && *hc->cancel != 0;
}

static json_t *host_context(dapt_ctx *ctx, const char *key)
{
    host_ctx *hc = ctx_of(ctx);
    if (key == NULL || hc->run == NULL)
        return NULL;
    if (strcmp(key, "input") == 0)
        return hc->run->input;
    if (strcmp(key, "config") == 0)
        return hc->run->config;
    if (strcmp(key, "definition") == 0)
        return hc->run->definition ? hc->run->definition
               : hc->sink && hc->sink->context ? hc->sink->context(hc->sink->data, key)
                                               : NULL;
    if (strcmp(key, "run") != 0)
        return NULL;
    json_decref(hc->run_json);
    hc->run_json = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:i}", "id", hc->run->run_id,
                             "name", hc->run->run_name, "workflow", hc->run->workflow,
                             "namespace", hc->run->ns, "stage", hc->stage, "item",
                             (json_int_t)hc->item, "attempt", hc->attempt);
    return hc->run_json;
}

/* One object store call as a request to the sink.  0 with *reply, or -1
 * with object_error set. */
static int object_call(host_ctx *hc, const char *op, const char *key, json_t *value,
                       const char *ns, const char *strategy, json_t **reply)
{
    free(hc->object_error);
    hc->object_error = NULL;
    *reply = NULL;
    if (hc->sink == NULL || hc->sink->object == NULL) {
        hc->object_error = xstrdup("this run has no object store");
        return -1;
    }
    json_t *req = json_pack("{s:s, s:s?, s:s?, s:s?}", "op", op, "key", key, "namespace",
                            ns ? ns : (hc->run ? hc->run->ns : NULL), "strategy",
                            strategy ? strategy : (hc->run ? hc->run->default_strategy : NULL));
    if (req == NULL) {
        hc->object_error = xstrdup("the key is not valid UTF-8");
        return -1;
    }
    if (value)
        json_object_set(req, "value", value);
    char *err = NULL;
    int rc = hc->sink->object(hc->sink->data, req, reply, &err);
    json_decref(req);
    if (rc < 0) {
        hc->object_error = err ? err : xstrdup("object store request failed");
        return -1;
    }
    free(err);
    return 0;
}

static int host_object_put(dapt_ctx *ctx, const char *key, json_t *value, const char *ns,
                           const char *strategy)
{
    json_t *reply;
    int rc = object_call(ctx_of(ctx), "put", key, value ? value : json_null(), ns, strategy,
                         &reply);
    json_decref(reply);
    return rc;
}

static json_t *host_object_get(dapt_ctx *ctx, const char *key, const char *ns,
                               const char *strategy)
{
    json_t *reply;
    return object_call(ctx_of(ctx), "get", key, NULL, ns, strategy, &reply) < 0 ? NULL : reply;
}

static int host_object_delete(dapt_ctx *ctx, const char *key, const char *ns,
                              const char *strategy)
{
    json_t *reply;
    int rc = object_call(ctx_of(ctx), "delete", key, NULL, ns, strategy, &reply);
    json_decref(reply);
    return rc;
}

static int host_object_exists(dapt_ctx *ctx, const char *key, const char *ns,
                              const char *strategy)
{
    json_t *reply;
    if (object_call(ctx_of(ctx), "exists", key, NULL, ns, strategy, &reply) < 0)
        return -1;
    int there = json_is_true(reply);
    json_decref(reply);
    return there;
}

static const char *host_object_error(dapt_ctx *ctx)
{
    host_ctx *hc = ctx_of(ctx);
    return hc->object_error ? hc->object_error : "no error";
}

const dapt_host_api host_api = {
    .version = DAPT_HOST_API_VERSION,
    .size = sizeof(dapt_host_api),
    .log = host_log,
    .fail = host_fail,
    .info = host_info,
    .config = host_config,
    .cancelled = host_cancelled,
    .context = host_context,
    .object_put = host_object_put,
    .object_get = host_object_get,
    .object_delete = host_object_delete,
    .object_exists = host_object_exists,
    .object_error = host_object_error,
};

void host_ctx_init(host_ctx *hc, const run_info *run, const host_sink *sink,
                   const volatile int *cancel)
{
    memset(hc, 0, sizeof *hc);
    hc->base.api = &host_api;
    hc->run = run;
    hc->sink = sink;
    hc->cancel = cancel;
    hc->item = -1;
    hc->attempt = 1;
}

json_t *host_call(host_ctx *hc, dapt_stage_fn fn, json_t *args, json_t *kwargs, long item,
                  int attempt, char **error)
{
    *error = NULL;
    free(hc->error);
    hc->error = NULL;
    hc->item = item;
    hc->attempt = attempt;
    json_t *value = fn(&hc->base, args, kwargs);
    if (hc->error != NULL) {
        /* a failure wins over a value returned after it */
        json_decref(value);
        *error = hc->error;
        hc->error = NULL;
        return NULL;
    }
    if (value == NULL)
        *error = xstrdup("the stage returned nothing without saying why (a stage returns "
                         "json_null() for no value, or fails with dapt_ctx_fail)");
    return value;
}

void host_ctx_clear(host_ctx *hc)
{
    free(hc->error);
    free(hc->object_error);
    json_decref(hc->run_json);
    hc->error = hc->object_error = NULL;
    hc->run_json = NULL;
}

/* ------------------------------------------------------------------ */
/* run_info: the run-wide context, also sent to workers                */
/* ------------------------------------------------------------------ */

json_t *run_info_to_json(const run_info *ri)
{
    return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:O?, s:O?, s:O?, s:s?}", "run_id",
                     ri->run_id, "run_name", ri->run_name, "workflow", ri->workflow,
                     "namespace", ri->ns, "workspace", ri->workspace, "input", ri->input,
                     "config", ri->config, "definition", ri->definition, "default_strategy",
                     ri->default_strategy);
}

static char *dup_field(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? xstrdup(s) : NULL;
}

static json_t *object_field(const json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_object(v) ? json_incref(v) : json_object();
}

int run_info_from_json(run_info *ri, const json_t *j)
{
    memset(ri, 0, sizeof *ri);
    if (!json_is_object(j))
        return -1;
    ri->run_id = dup_field(j, "run_id");
    ri->run_name = dup_field(j, "run_name");
    ri->workflow = dup_field(j, "workflow");
    ri->ns = dup_field(j, "namespace");
    ri->workspace = dup_field(j, "workspace");
    ri->default_strategy = dup_field(j, "default_strategy");
    ri->input = object_field(j, "input");
    ri->config = object_field(j, "config");
    ri->definition = object_field(j, "definition");
    return 0;
}

void run_info_clear(run_info *ri)
{
    free(ri->run_id);
    free(ri->run_name);
    free(ri->workflow);
    free(ri->ns);
    free(ri->workspace);
    free(ri->default_strategy);
    json_decref(ri->input);
    json_decref(ri->config);
    json_decref(ri->definition);
    memset(ri, 0, sizeof *ri);
}
