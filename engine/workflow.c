/*
 * workflow.c - `kind: workflow` documents: stages read field by field from a
 * table, then the checks across stages (duplicate names, unknown and self
 * dependencies, cycles, stages that cannot map) that Flowdapt only finds
 * while running.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* The stage types, indexed by dapt_stage_type. */
static const char *const stage_type_names[] = {
    [DAPT_STAGE_SIMPLE] = "simple",
    [DAPT_STAGE_PARAMETERIZED] = "parameterized",
};
#define STAGE_TYPE_COUNT (sizeof stage_type_names / sizeof stage_type_names[0])

const char *dapt_stage_type_name(dapt_stage_type type)
{
    return (size_t)type < STAGE_TYPE_COUNT ? stage_type_names[type] : "simple";
}

/* One stage field: its key, and how to read its value into the stage. */
typedef int (*stage_field_fn)(load_ctx *lc, dapt_stage *st, const ynode *v);
struct stage_field {
    const char *name;
    stage_field_fn load;
    int where; /* enum stage_field_where */
};

/* A number as YAML resolves it (plain scalars only), for numeric fields. */
static bool stage_number(const ynode *v, double *out)
{
    if (v->type != YNODE_SCALAR || !v->plain)
        return false;
    json_t *j = ynode_to_json(v, NULL, NULL, NULL);
    bool ok = json_is_number(j);
    if (ok)
        *out = json_number_value(j);
    json_decref(j);
    return ok && isfinite(*out);
}

/* A value as a message shows it: scalars quoted as written, collections
 * described ("a list").  Caller frees. */
static char *stage_quote(const ynode *v)
{
    if (v->type == YNODE_SCALAR && !ynode_is_null(v))
        return xasprintf("`%s`", v->str);
    return xstrdup(ynode_describe(v));
}

/* What a wrong number is, for messages: "1.5" for a fraction, else its kind. */
static const char *stage_not_whole(const ynode *v)
{
    double d;
    return stage_number(v, &d) ? v->str : ynode_describe(v);
}

static bool stage_integer(const ynode *v, int64_t *out)
{
    double d;
    if (!stage_number(v, &d) || d != floor(d) || fabs(d) > 9.0e15)
        return false;
    *out = (int64_t)d;
    return true;
}

static int stage_load_name(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    st->name_pos = v->pos;
    return load_string(lc, v, "name", &st->name);
}

/* plugin.path.to.target: at least two dotted identifiers; a plugin name may
 * also hold '-' (as plugin file names do). */
static bool stage_target_syntax(const char *t)
{
    int segments = 0;
    const char *p = t;
    for (;;) {
        const char *start = p;
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
            return false;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               *p == '_' || (segments == 0 && *p == '-'))
            p++;
        segments += p > start;
        if (*p == '\0')
            break;
        if (*p != '.')
            return false;
        p++;
    }
    return segments >= 2;
}

static int stage_load_target(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    st->target_pos = v->pos;
    if (load_string(lc, v, "target", &st->target) < 0)
        return -1;
    if (st->target[0] == '\0') {
        load_error(lc, v->pos, "`target` is empty: name the function to run, e.g. "
                               "`plugin.stages.fetch`");
        return -1;
    }
    if (!stage_target_syntax(st->target)) {
        load_error(lc, v->pos,
                   "target `%s` is not a target name: write `plugin.path.to.target` (dotted "
                   "names of letters, digits and `_`)",
                   st->target);
        return -1;
    }
    return 0;
}

static int stage_load_type(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    /* "parameter" is what Flowdapt's own dashboard wrote by mistake */
    if (v->type == YNODE_SCALAR && strncmp(v->str, "param", 5) == 0 &&
        strcmp(v->str, "parameterized") != 0) {
        load_error(lc, v->pos, "unknown stage type `%s` (did you mean `parameterized`?)", v->str);
        return -1;
    }
    int i = load_choice(lc, v, "stage type", stage_type_names, STAGE_TYPE_COUNT);
    if (i < 0)
        return -1;
    st->type = (dapt_stage_type)i;
    return 0;
}

static void stage_add_dep(load_ctx *lc, dapt_stage *st, const ynode *item)
{
    char *name = NULL;
    if (item->type != YNODE_SCALAR || ynode_is_null(item)) {
        load_error(lc, item->pos, "each entry of `depends_on` must be a stage name, not %s",
                   ynode_describe(item));
        return;
    }
    if (item->plain && strcmp(ynode_describe(item), "a string") != 0) {
        load_error(lc, item->pos,
                   "each entry of `depends_on` must be a stage name, not %s; quote it: \"%s\"",
                   ynode_describe(item), item->str);
        return;
    }
    if (load_check_chars(lc, item, "depends_on") < 0)
        return;
    name = xstrndup(item->str, item->len);
    /* kept: each entry is one positional argument, so the output of a
     * stage listed twice is passed twice */
    for (size_t i = 0; i < st->depends_count; i++) {
        if (strcmp(st->depends_on[i], name) == 0) {
            load_warning(lc, item->pos,
                         "`%s` is listed twice in `depends_on` (entries %zu and %zu): its "
                         "output is passed twice; list it once unless that is meant",
                         name, i + 1, st->depends_count + 1);
            break;
        }
    }
    st->depends_on = xrealloc(st->depends_on, st->depends_count + 1, sizeof *st->depends_on);
    st->depends_pos = xrealloc(st->depends_pos, st->depends_count + 1, sizeof *st->depends_pos);
    st->depends_on[st->depends_count] = name;
    st->depends_pos[st->depends_count] = item->pos;
    st->depends_count++;
}

static int stage_load_depends_on(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    if (ynode_is_null(v))
        return 0;
    if (v->type == YNODE_SCALAR) {
        /* a single name: read as a list of one, though Flowdapt 0.1.52's
         * schema (a list of strings) refuses it */
        size_t before = st->depends_count;
        stage_add_dep(lc, st, v);
        if (st->depends_count > before)
            load_warning(lc, v->pos,
                         "`depends_on` is a list of stage names: write `[%s]`; dapt reads a "
                         "single name, but Flowdapt 0.1.52 rejects it",
                         st->depends_on[before]);
        return 0;
    }
    if (v->type != YNODE_SEQ) {
        load_error(lc, v->pos, "`depends_on` must be a list of stage names, not %s",
                   ynode_describe(v));
        return -1;
    }
    for (size_t i = 0; i < v->count; i++)
        stage_add_dep(lc, st, v->items[i]);
    return 0;
}

/* description and version: any scalar, kept as written (`version: 1.2`). */
static int stage_load_text(load_ctx *lc, const ynode *v, const char *what, char **out)
{
    if (ynode_is_null(v))
        return 0;
    if (v->type != YNODE_SCALAR) {
        load_error(lc, v->pos, "`%s` must be text, not %s", what, ynode_describe(v));
        return -1;
    }
    free(*out);
    *out = xstrndup(v->str, v->len);
    return 0;
}

static int stage_load_description(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    return stage_load_text(lc, v, "description", &st->description);
}

static int stage_load_version(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    return stage_load_text(lc, v, "version", &st->version);
}

static int stage_load_resource_number(load_ctx *lc, const ynode *k, const ynode *v, double *out)
{
    if (!stage_number(v, out) || *out < 0) {
        load_error(lc, v->pos, "resource `%s` must be a number of at least 0, not %s", k->str,
                   stage_number(v, out) ? "a negative number" : ynode_describe(v));
        return -1;
    }
    return 0;
}

static int stage_load_resources(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    if (ynode_is_null(v))
        return 0;
    if (v->type != YNODE_MAP) {
        load_error(lc, v->pos, "`resources` must be a mapping (cpus, gpus, memory, labels), not %s",
                   ynode_describe(v));
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < v->count; i++) {
        const ynode *k = v->keys[i], *val = v->items[i];
        double d;
        if (k->type != YNODE_SCALAR)
            continue;
        if (strcmp(k->str, "memory") == 0) {
            int64_t bytes;
            if (stage_number(val, &d) && d >= 0 && !(d < 9.2e18)) {
                /* (int64_t)d is undefined past INT64_MAX: say so instead */
                load_error(lc, val->pos,
                           "resource `memory` is too large: at most 9.2e18 bytes (8 EiB)");
                rc = -1;
            } else if (stage_number(val, &d) && d >= 0) {
                st->resources.memory = (int64_t)d;
            } else if (val->type == YNODE_SCALAR && !ynode_is_null(val) &&
                       dapt_parse_bytes(&bytes, val->str) == 0) {
                st->resources.memory = bytes;
            } else {
                char *what = stage_quote(val);
                load_error(lc, val->pos,
                           "cannot read %s as a size: write bytes or a number with a unit, "
                           "e.g. 512M, 8GB, 2GiB",
                           what);
                free(what);
                rc = -1;
            }
        } else if (strcmp(k->str, "cpus") == 0) {
            rc |= stage_load_resource_number(lc, k, val, &st->resources.cpus);
        } else if (strcmp(k->str, "gpus") == 0) {
            rc |= stage_load_resource_number(lc, k, val, &st->resources.gpus);
        } else if (stage_load_resource_number(lc, k, val, &d) == 0) {
            json_object_set_new(st->resources.labels, k->str, json_real(d));
        } else {
            rc = -1;
        }
    }
    return rc;
}

static int stage_load_priority(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    if (ynode_is_null(v))
        return 0;
    if (!stage_integer(v, &st->priority)) {
        load_error(lc, v->pos, "`priority` must be a whole number, not %s", stage_not_whole(v));
        return -1;
    }
    st->has_priority = true;
    return 0;
}

/* Remember where each key of `args:` and its value were written: the
 * catalog checks (dapt_registry_check_workflow) point at the key a target
 * does not take, and at a value of the wrong type.
 * Only text keys: anything else is not a parameter name either way. */
static void stage_args_positions(dapt_stage *st, const ynode *map)
{
    st->arg_names = xcalloc(map->count ? map->count : 1, sizeof *st->arg_names);
    st->arg_pos = xcalloc(map->count ? map->count : 1, sizeof *st->arg_pos);
    st->arg_value_pos = xcalloc(map->count ? map->count : 1, sizeof *st->arg_value_pos);
    for (size_t i = 0; i < map->count; i++) {
        const ynode *k = map->keys[i];
        if (k->type != YNODE_SCALAR || strlen(k->str) != k->len)
            continue;
        st->arg_names[st->arg_count] = xstrdup(k->str);
        st->arg_pos[st->arg_count] = k->pos;
        st->arg_value_pos[st->arg_count] = map->items[i] ? map->items[i]->pos : k->pos;
        st->arg_count++;
    }
}

static int stage_load_args(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    if (ynode_is_null(v))
        return 0;
    if (v->type != YNODE_MAP) {
        load_error(lc, v->pos,
                   "`args` must be a mapping of argument names to values, not %s",
                   ynode_describe(v));
        return -1;
    }
    json_t *j = ynode_to_json(v, "args", lc->file, lc->diags);
    if (j == NULL)
        return -1;
    json_decref(st->args);
    st->args = j;
    stage_args_positions(st, v);
    return 0;
}

static int stage_load_duration(load_ctx *lc, const ynode *v, const char *what, bool zero_ok,
                               int64_t *out)
{
    double d;
    if (ynode_is_null(v))
        return 0;
    if (stage_number(v, &d) && d >= 0) {
        *out = (int64_t)llround(d * 1000); /* a bare number is seconds */
    } else if (v->type != YNODE_SCALAR || ynode_is_null(v) ||
               dapt_parse_duration(out, v->str) < 0) {
        char *text = stage_quote(v);
        load_error(lc, v->pos,
                   "cannot read %s as a duration for `%s`: write e.g. 500ms, 30s, 5m, 2h30m",
                   text, what);
        free(text);
        return -1;
    }
    if (*out == 0 && !zero_ok) {
        load_error(lc, v->pos, "`%s` must be longer than zero; leave it out for no limit", what);
        return -1;
    }
    return 0;
}

static int stage_load_timeout(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    return stage_load_duration(lc, v, "timeout", false, &st->timeout_ms);
}

static int stage_load_retry_delay(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    return stage_load_duration(lc, v, "retry_delay", true, &st->retry_delay_ms);
}

static int stage_load_retries(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    int64_t n;
    if (ynode_is_null(v))
        return 0;
    if (!stage_integer(v, &n) || n < 0 || n > 1000) {
        load_error(lc, v->pos, "`retries` must be a whole number from 0 to 1000, not %s",
                   stage_not_whole(v));
        return -1;
    }
    st->retries = (int)n;
    return 0;
}

static int stage_load_map_on(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    if (ynode_is_null(v))
        return 0;
    if (load_string(lc, v, "map_on", &st->map_on) < 0)
        return -1;
    if (st->map_on[0] == '\0') {
        load_error(lc, v->pos, "`map_on` is empty: name the input key to map over");
        return -1;
    }
    return 0;
}

static int stage_load_allow_partial(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    json_t *j = v->type == YNODE_SCALAR ? ynode_to_json(v, NULL, NULL, NULL) : NULL;
    if (!json_is_boolean(j)) {
        load_error(lc, v->pos, "`allow_partial_failure` must be true or false, not %s",
                   ynode_describe(v));
        json_decref(j);
        return -1;
    }
    st->allow_partial_failure = json_is_true(j);
    json_decref(j);
    return 0;
}

/* `options` itself is read apart (its keys are merged over the stage's),
 * so its row only makes it a known key. */
static int stage_load_options_noop(load_ctx *lc, dapt_stage *st, const ynode *v)
{
    return 0;
}

/* Where a stage field may be written: beside `target` (STAGE), only in
 * `options` (OPTIONS: the type-specific settings, which Flowdapt merges
 * over the stage from `options` alone), or both (BOTH: Flowdapt's options
 * may set any base field).  The stage class is chosen from `type` before
 * options are merged, so `options.type` changes nothing. */
enum stage_field_where { FIELD_BOTH, FIELD_STAGE, FIELD_OPTIONS };

/* The stage fields, once: X(key, reader, where).  The table of readers and
 * the lists of known keys (for "unknown key, did you mean", and the
 * studio's completion) all come from it. */
#define STAGE_FIELDS(X)                                                                            \
    X(name, stage_load_name, BOTH)                                                                 \
    X(target, stage_load_target, BOTH)                                                             \
    X(type, stage_load_type, STAGE)                                                                \
    X(depends_on, stage_load_depends_on, BOTH)                                                     \
    X(description, stage_load_description, BOTH)                                                   \
    X(version, stage_load_version, BOTH)                                                           \
    X(options, stage_load_options_noop, STAGE)                                                     \
    X(resources, stage_load_resources, BOTH)                                                       \
    X(priority, stage_load_priority, BOTH)                                                         \
    X(args, stage_load_args, BOTH)                                                                 \
    X(timeout, stage_load_timeout, BOTH)                                                           \
    X(retries, stage_load_retries, BOTH)                                                           \
    X(retry_delay, stage_load_retry_delay, BOTH)                                                   \
    X(map_on, stage_load_map_on, OPTIONS)                                                          \
    X(allow_partial_failure, stage_load_allow_partial, OPTIONS)

#define STAGE_FIELD_ROW(key, fn, where) {#key, fn, FIELD_##where},
#define STAGE_FIELD_NAME(key, fn, where) #key,
/* the keys written beside `target`, for completion */
#define STAGE_FIELD_OUTER_BOTH(key) #key,
#define STAGE_FIELD_OUTER_STAGE(key) #key,
#define STAGE_FIELD_OUTER_OPTIONS(key)
#define STAGE_FIELD_OUTER(key, fn, where) STAGE_FIELD_OUTER_##where(key)
static const struct stage_field stage_fields[] = {STAGE_FIELDS(STAGE_FIELD_ROW)};
static const char *const stage_field_names[] = {STAGE_FIELDS(STAGE_FIELD_NAME)};
static const char *const stage_outer_names[] = {STAGE_FIELDS(STAGE_FIELD_OUTER)};
#define STAGE_FIELD_COUNT (sizeof stage_fields / sizeof stage_fields[0])
#define STAGE_OUTER_COUNT (sizeof stage_outer_names / sizeof stage_outer_names[0])

static void stage_init(dapt_stage *st, dapt_pos pos)
{
    memset(st, 0, sizeof *st);
    st->pos = st->name_pos = st->target_pos = pos;
    st->description = xstrdup("");
    st->version = xstrdup("");
    st->target = xstrdup("");
    st->options = json_object();
    st->args = json_object();
    st->allow_partial_failure = true;
    st->resources.memory = -1;
    st->resources.labels = json_object();
}

static void stage_free(dapt_stage *st)
{
    free(st->name);
    free(st->target);
    for (size_t i = 0; i < st->depends_count; i++)
        free(st->depends_on[i]);
    free(st->depends_on);
    free(st->depends_pos);
    for (size_t i = 0; i < st->arg_count; i++)
        free(st->arg_names[i]);
    free(st->arg_names);
    free(st->arg_pos);
    free(st->arg_value_pos);
    free(st->description);
    free(st->version);
    json_decref(st->options);
    free(st->map_on);
    json_decref(st->resources.labels);
    json_decref(st->args);
}

/* The last component of a target ("weather.stages.fetch" -> "fetch"):
 * Flowdapt names a stage after its function when the name is empty. */
static char *stage_default_name(const char *target)
{
    const char *dot = strrchr(target, '.');
    return xstrdup(dot ? dot + 1 : target);
}

/* Read one stage.  `options` keys are merged over the stage's own fields,
 * as Flowdapt builds the stage object; a key set in both places is read
 * from options, with a warning.  An option written beside `target`
 * (map_on, allow_partial_failure) and `options.type` are ignored, with a
 * warning, as Flowdapt ignores them. */
static void stage_load(load_ctx *lc, dapt_stage *st, const ynode *map, size_t index)
{
    stage_init(st, map->pos);
    if (map->type != YNODE_MAP) {
        load_error(lc, map->pos, "stage %zu must be a mapping with `name` and `target`, not %s",
                   index + 1, ynode_describe(map));
        st->name = xasprintf("#%zu", index + 1);
        return;
    }
    load_unknown_keys(lc, map, "a stage", stage_field_names, STAGE_FIELD_COUNT);
    const ynode *options = ynode_get(map, "options");
    if (options != NULL && !ynode_is_null(options) && options->type != YNODE_MAP) {
        load_error(lc, options->pos, "`options` must be a mapping, not %s",
                   ynode_describe(options));
        options = NULL;
    } else if (options != NULL && options->type == YNODE_MAP) {
        load_unknown_keys(lc, options, "`options`", stage_field_names, STAGE_FIELD_COUNT);
        json_t *j = ynode_to_json(options, "options", lc->file, lc->diags);
        if (j != NULL) {
            json_decref(st->options);
            st->options = j;
        }
        if (ynode_get(options, "options") != NULL)
            load_error(lc, ynode_key(options, "options")->pos, "`options` cannot hold `options`");
    }
    for (size_t f = 0; f < STAGE_FIELD_COUNT; f++) {
        const char *key = stage_fields[f].name;
        const ynode *v = ynode_get(map, key);
        const ynode *ov = strcmp(key, "options") == 0 ? NULL : ynode_get(options, key);
        if (v != NULL && stage_fields[f].where == FIELD_OPTIONS) {
            bool shown = v->type == YNODE_SCALAR && !ynode_is_null(v) && v->len < 40;
            load_warning(lc, ynode_key(map, key)->pos,
                         "`%s` has no effect beside `target` (Flowdapt ignores it there too): "
                         "it is an option; write it under `options`, e.g. `options: {%s: %s}`",
                         key, key, shown ? v->str : "...");
            v = NULL;
        }
        if (ov != NULL && stage_fields[f].where == FIELD_STAGE) {
            load_warning(lc, ynode_key(options, key)->pos,
                         "`options.%s` has no effect: a stage's %s comes from its own `%s`; "
                         "write `%s:` beside `target`",
                         key, key, key, key);
            ov = NULL;
        }
        if (v != NULL && ov != NULL)
            load_warning(lc, ynode_key(options, key)->pos,
                         "`options.%s` overrides the stage's `%s` (line %d); keep one", key, key,
                         ynode_key(map, key)->pos.line);
        if (ov != NULL)
            v = ov;
        if (v != NULL)
            stage_fields[f].load(lc, st, v);
    }
    if (ynode_get(map, "target") == NULL && ynode_get(options, "target") == NULL) {
        if (st->name != NULL && st->name[0] != '\0')
            load_error(lc, map->pos,
                       "stage `%s` has no `target`: name the function it runs, e.g. "
                       "`target: plugin.stages.fetch`",
                       st->name);
        else
            load_error(lc, map->pos,
                       "stage %zu has no `target`: name the function it runs, e.g. "
                       "`target: plugin.stages.fetch`",
                       index + 1);
    }
    if (st->name == NULL && ynode_get(map, "name") == NULL && ynode_get(options, "name") == NULL) {
        load_error(lc, map->pos, "stage %zu has no `name`: add `name:` with a name unique in "
                                 "this workflow",
                   index + 1);
    } else if (st->name != NULL && st->name[0] == '\0' && st->target[0] != '\0') {
        free(st->name);
        st->name = stage_default_name(st->target);
    } else if (st->name != NULL && st->name[0] == '\0') {
        load_error(lc, st->name_pos, "stage name is empty and there is no target to name it by");
    }
    if (st->name == NULL)
        st->name = xasprintf("#%zu", index + 1);
}

static void workflow_check_cycles(load_ctx *lc, const dapt_workflow *wf, const dapt_graph *g)
{
    size_t **cycles = NULL, *lengths = NULL;
    size_t n = dapt_graph_cycles(g, &cycles, &lengths);
    for (size_t c = 0; c < n; c++) {
        strbuf sb = {0};
        for (size_t i = 0; i < lengths[c]; i++)
            strbuf_printf(&sb, "%s -> ", wf->stages[cycles[c][i]].name);
        strbuf_puts(&sb, wf->stages[cycles[c][0]].name);
        /* Point at the first stage's dependency that closes the loop. */
        const dapt_stage *first = &wf->stages[cycles[c][0]];
        const char *next = wf->stages[cycles[c][lengths[c] > 1 ? 1 : 0]].name;
        dapt_pos pos = first->pos;
        for (size_t d = 0; d < first->depends_count; d++) {
            if (strcmp(first->depends_on[d], next) == 0)
                pos = first->depends_pos[d];
        }
        load_error(lc, pos, "dependency cycle: %s; remove one of these dependencies", sb.buf);
        strbuf_free(&sb);
    }
    dapt_graph_cycles_free(cycles, lengths, n);
}

/* Duplicate names, from the graph's lookup (where the last definition
 * wins): the first stage seen for each winner is the first definition. */
static void workflow_check_names(load_ctx *lc, const dapt_workflow *wf, const dapt_graph *g)
{
    size_t none = wf->stage_count;
    size_t *first_of = xcalloc(wf->stage_count, sizeof *first_of);
    bool *noted = xcalloc(wf->stage_count, sizeof *noted);
    for (size_t i = 0; i < wf->stage_count; i++)
        first_of[i] = none;
    for (size_t i = 0; i < wf->stage_count; i++) {
        const dapt_stage *st = &wf->stages[i];
        size_t last = (size_t)dapt_graph_find(g, st->name);
        if (first_of[last] == none) {
            first_of[last] = i;
            continue;
        }
        size_t first = first_of[last];
        load_error(lc, st->name_pos, "duplicate stage name `%s`; it is first defined at line %d",
                   st->name, wf->stages[first].name_pos.line);
        if (!noted[first])
            load_note(lc, wf->stages[first].name_pos, "stage `%s` is first defined here",
                      st->name);
        noted[first] = true;
    }
    free(noted);
    free(first_of);
}

/* Whether entry d of depends_on repeats an earlier one. */
static bool dep_listed_before(const dapt_stage *st, size_t d)
{
    for (size_t k = 0; k < d; k++)
        if (strcmp(st->depends_on[k], st->depends_on[d]) == 0)
            return true;
    return false;
}

/* Where each stage's `type` value and `map_on` key were written, for the
 * checks that can only be made once the whole stage is read. */
static void workflow_check_stages(load_ctx *lc, dapt_workflow *wf, const dapt_pos *wf_type_pos,
                                  const dapt_pos *wf_map_on_pos)
{
    dapt_graph *g = dapt_graph_new(wf);
    const char **all = xcalloc(wf->stage_count, sizeof *all);
    for (size_t i = 0; i < wf->stage_count; i++)
        all[i] = wf->stages[i].name;
    workflow_check_names(lc, wf, g);
    for (size_t i = 0; i < wf->stage_count; i++) {
        dapt_stage *st = &wf->stages[i];
        for (size_t d = 0; d < st->depends_count; d++) {
            const char *dep = st->depends_on[d];
            if (dep_listed_before(st, d))
                continue; /* said once, at its first entry */
            if (strcmp(dep, st->name) == 0) {
                load_error(lc, st->depends_pos[d], "stage `%s` depends on itself", st->name);
                continue;
            }
            if (dapt_graph_find(g, dep) >= 0)
                continue;
            /* never suggest the stage itself: that would be a self-dependency */
            all[i] = NULL;
            const char *near = suggest_closest(dep, all, wf->stage_count);
            all[i] = st->name;
            if (near != NULL)
                load_error(lc, st->depends_pos[d],
                           "stage `%s` depends on `%s`, which is not a stage of this workflow "
                           "(did you mean `%s`?)",
                           st->name, dep, near);
            else
                load_error(lc, st->depends_pos[d],
                           "stage `%s` depends on `%s`, which is not a stage of this workflow",
                           st->name, dep);
        }
        if (st->type == DAPT_STAGE_PARAMETERIZED && st->depends_count == 0 &&
            st->map_on == NULL)
            load_error(lc, wf_type_pos[i],
                       "parameterized stage `%s` has nothing to map over: add `depends_on` (it "
                       "maps over the first dependency's output) or `options.map_on` (an input "
                       "key)",
                       st->name);
        if (st->type == DAPT_STAGE_SIMPLE && st->map_on != NULL)
            load_warning(lc, wf_map_on_pos[i],
                         "`map_on` only applies to parameterized stages; add `type: "
                         "parameterized` to stage `%s`",
                         st->name);
    }
    workflow_check_cycles(lc, wf, g);
    free(all);
    dapt_graph_free(g);
}

static const char *const spec_keys[] = {"stages", "description"};
static const char *const flat_keys[] = {"kind", "version", "name", "description", "stages"};

/* The `resources` keys stage_load_resources reads by name (any other key
 * is a label); here for the studio's completion. */
static const char *const resource_keys[] = {"cpus", "gpus", "memory"};

/* The tables above by name, for workflow_known. */
static const struct {
    const char *what;
    const char *const *names;
    size_t count;
} known_tables[] = {
    {"stage", stage_outer_names, STAGE_OUTER_COUNT},
    {"type", stage_type_names, STAGE_TYPE_COUNT},
    {"resources", resource_keys, sizeof resource_keys / sizeof resource_keys[0]},
    {"spec", spec_keys, sizeof spec_keys / sizeof spec_keys[0]},
    {"flat", flat_keys, sizeof flat_keys / sizeof flat_keys[0]},
};

const char *const *workflow_known(const char *what, size_t *count)
{
    for (size_t i = 0; i < sizeof known_tables / sizeof known_tables[0]; i++) {
        if (strcmp(known_tables[i].what, what) == 0) {
            *count = known_tables[i].count;
            return known_tables[i].names;
        }
    }
    *count = 0;
    return NULL;
}

dapt_workflow *workflow_load(load_ctx *lc, const ynode *doc, bool flat)
{
    dapt_workflow *wf = xcalloc(1, sizeof *wf);
    const ynode *stages, *desc, *holder;

    wf->flat = flat;
    wf->description = xstrdup("");
    if (flat) {
        load_unknown_keys(lc, doc, "the workflow", flat_keys,
                          sizeof flat_keys / sizeof flat_keys[0]);
        wf->annotations = json_object();
        const ynode *n = ynode_get(doc, "name");
        if (n == NULL) {
            load_error(lc, doc->pos, "missing `name`: every workflow needs a name");
        } else if (load_string(lc, n, "name", &wf->name) == 0 && wf->name[0] == '\0') {
            load_error(lc, n->pos, "`name` cannot be empty");
        } else if (wf->name != NULL && !load_valid_name(wf->name)) {
            load_error(lc, n->pos, "`name` `%s` may only contain letters, digits, `_` and `-`",
                       wf->name);
        }
        if (wf->name == NULL)
            wf->name = xstrdup("");
        holder = doc;
    } else {
        load_metadata(lc, doc, &wf->name, &wf->annotations);
        holder = ynode_get(doc, "spec");
        if (holder == NULL || ynode_is_null(holder)) {
            load_error(lc, holder ? holder->pos : doc->pos,
                       "missing `spec.stages`: a workflow needs at least one stage");
            return wf;
        }
        if (holder->type != YNODE_MAP) {
            load_error(lc, holder->pos, "`spec` must be a mapping with `stages`, not %s",
                       ynode_describe(holder));
            return wf;
        }
        load_unknown_keys(lc, holder, "`spec`", spec_keys, sizeof spec_keys / sizeof spec_keys[0]);
    }
    desc = ynode_get(holder, "description");
    if (desc != NULL)
        stage_load_text(lc, desc, "description", &wf->description);
    stages = ynode_get(holder, "stages");
    if (stages == NULL || ynode_is_null(stages)) {
        load_error(lc, stages ? stages->pos : holder->pos,
                   "missing `stages`: a workflow needs at least one stage");
        return wf;
    }
    if (stages->type != YNODE_SEQ) {
        load_error(lc, stages->pos, "`stages` must be a list of stages, not %s",
                   ynode_describe(stages));
        return wf;
    }
    if (stages->count == 0) {
        load_error(lc, stages->pos, "`stages` is empty: a workflow needs at least one stage");
        return wf;
    }
    wf->stages = xcalloc(stages->count, sizeof *wf->stages);
    dapt_pos *type_pos = xcalloc(stages->count, sizeof *type_pos);
    dapt_pos *map_on_pos = xcalloc(stages->count, sizeof *map_on_pos);
    for (size_t i = 0; i < stages->count; i++) {
        const ynode *map = stages->items[i];
        const ynode *options = ynode_get(map, "options");
        const ynode *t = ynode_get(map, "type");
        const ynode *m = ynode_key(options, "map_on");
        type_pos[i] = t ? t->pos : map->pos;
        map_on_pos[i] = m ? m->pos : map->pos;
        stage_load(lc, &wf->stages[i], map, i);
        wf->stage_count++;
    }
    workflow_check_stages(lc, wf, type_pos, map_on_pos);
    free(type_pos);
    free(map_on_pos);
    return wf;
}

void workflow_free(dapt_workflow *wf)
{
    if (wf == NULL)
        return;
    for (size_t i = 0; i < wf->stage_count; i++)
        stage_free(&wf->stages[i]);
    free(wf->stages);
    free(wf->name);
    free(wf->description);
    json_decref(wf->annotations);
    free(wf);
}
