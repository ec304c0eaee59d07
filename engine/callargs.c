/*
 * callargs.c - how a stage's inputs become its target's arguments, as
 * Flowdapt passes them, and the checks that let dapt refuse a run before
 * anything starts instead of failing halfway.
 *
 *   root stage:       named = the run input, filtered to declared params
 *   dependent stage:  positional = its dependencies' outputs, in
 *                     depends_on order (a stage listed twice, twice)
 *   both:             named += the stage's `args:` (over the input's)
 *   parameterized:    one call per element of the first dependency's
 *                     output: positional = [item, the other outputs...];
 *                     or, with map_on, per element of input[map_on]:
 *                     positional = [item, every dependency's output...]
 *
 * Positionals bind to a target's first params (plugin_positional_params:
 * none for a C target with DAPT_TARGET_VARARGS, whose params are
 * named-only; a Python target's params before *args); extra positionals
 * are dropped unless DAPT_TARGET_VARARGS.  Named arguments it does not
 * declare are dropped unless DAPT_TARGET_KWARGS.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* How many params the positionals of a call fill. */
static size_t filled_params(const dapt_target_info *t, size_t positional)
{
    size_t n = plugin_positional_params(t);
    return positional < n ? positional : n;
}

size_t callargs_positionals(const dapt_stage *st)
{
    if (st->type != DAPT_STAGE_PARAMETERIZED)
        return st->depends_count;
    if (st->map_on != NULL)
        return 1 + st->depends_count; /* the item, then every dependency's output */
    /* the item takes the first dependency's place */
    return st->depends_count > 0 ? st->depends_count : 1;
}

static const dapt_param_info *find_param(const dapt_target_info *t, const char *name)
{
    for (size_t i = 0; i < t->param_count; i++)
        if (strcmp(t->params[i].name, name) == 0)
            return &t->params[i];
    return NULL;
}

static bool in_stage_args(const dapt_stage *st, const char *name)
{
    return json_object_get(st->args, name) != NULL;
}

/* A required param nothing fills, or NULL. */
static const dapt_param_info *missing_param(const dapt_stage *st, const dapt_target_info *t,
                                            const json_t *input)
{
    size_t filled = filled_params(t, callargs_positionals(st));
    for (size_t i = filled; i < t->param_count; i++) {
        const dapt_param_info *p = &t->params[i];
        if (!p->required || in_stage_args(st, p->name))
            continue;
        /* mapping over a parameter by name fills it with each item */
        if (st->map_on && strcmp(st->map_on, p->name) == 0)
            continue;
        bool root = st->depends_count == 0;
        if (root && input == NULL)
            continue; /* the input is not known yet */
        if (root && json_object_get(input, p->name) != NULL &&
            !(st->map_on && strcmp(st->map_on, p->name) == 0))
            continue;
        return p;
    }
    return NULL;
}

int callargs_check(const dapt_stage *st, const dapt_target_info *t, const json_t *input,
                   char **error)
{
    *error = NULL;
    if (st->type == DAPT_STAGE_PARAMETERIZED && st->depends_count == 0 && st->map_on == NULL) {
        *error = xasprintf("stage `%s` is parameterized but has nothing to map over: give it a "
                           "dependency whose output is a list, or `options: {map_on: KEY}` to "
                           "map over input[KEY]",
                           st->name);
        return -1;
    }
    if (st->type == DAPT_STAGE_PARAMETERIZED && st->map_on != NULL && input != NULL &&
        !json_is_array(json_object_get(input, st->map_on))) {
        json_t *v = json_object_get(input, st->map_on);
        if (v == NULL)
            *error = xasprintf("stage `%s` maps over input `%s`, which the run input does not "
                               "give: pass a list, e.g. --input-json '{\"%s\": [1, 2, 3]}'",
                               st->name, st->map_on, st->map_on);
        else
            *error = xasprintf("stage `%s` maps over input `%s`, which is %s, not a list",
                               st->name, st->map_on, json_is_object(v) ? "an object"
                                                     : json_is_string(v) ? "a string"
                                                                         : "not a list");
        return -1;
    }
    if (st->depends_count > 0 && plugin_positional_params(t) == 0 &&
        !(t->flags & DAPT_TARGET_VARARGS)) {
        *error = xasprintf("stage `%s`: %s takes no arguments but depends on %s (its output "
                           "would have nowhere to go)",
                           st->name, t->target, st->depends_count == 1 ? "a stage" : "stages");
        return -1;
    }
    const dapt_param_info *p = missing_param(st, t, input);
    if (p == NULL)
        return 0;
    if (st->depends_count == 0)
        *error = xasprintf("stage `%s`: %s needs `%s` (%s), which neither the run input nor the "
                           "stage's `args:` gives; pass it with --input %s=VALUE",
                           st->name, t->target, p->name, p->type, p->name);
    else
        *error = xasprintf("stage `%s`: %s needs `%s` (%s), which neither its %zu "
                           "dependenc%s nor its `args:` give",
                           st->name, t->target, p->name, p->type, st->depends_count,
                           st->depends_count == 1 ? "y" : "ies");
    return -1;
}

/* Whether a named argument may be passed: declared and not already filled
 * by a positional, or any name for a KWARGS target. */
static bool kwarg_accepted(const dapt_target_info *t, const char *name, size_t filled)
{
    for (size_t i = 0; i < filled; i++)
        if (strcmp(t->params[i].name, name) == 0)
            return false;
    return find_param(t, name) != NULL || (t->flags & DAPT_TARGET_KWARGS);
}

void callargs_build(json_t **args, json_t **kwargs, const dapt_stage *st,
                    const dapt_target_info *t, const json_t *input, json_t *const *deps,
                    size_t ndeps)
{
    *args = json_array();
    *kwargs = json_object();
    for (size_t i = 0; i < ndeps; i++)
        json_array_append(*args, deps[i] ? deps[i] : json_null());
    size_t filled = filled_params(t, callargs_positionals(st));
    const char *key;
    json_t *value;
    if (ndeps == 0 && input != NULL)
        json_object_foreach((json_t *)input, key, value) {
            if (st->map_on && strcmp(key, st->map_on) == 0)
                continue; /* it arrives as the item */
            if (kwarg_accepted(t, key, filled))
                json_object_set(*kwargs, key, value);
        }
    json_object_foreach(st->args, key, value) {
        if (kwarg_accepted(t, key, filled))
            json_object_set(*kwargs, key, value);
    }
    /* positionals beyond the declared params go nowhere */
    if (!(t->flags & DAPT_TARGET_VARARGS) && st->type == DAPT_STAGE_SIMPLE)
        while (json_array_size(*args) > plugin_positional_params(t))
            json_array_remove(*args, json_array_size(*args) - 1);
}

json_t *callargs_items(const dapt_stage *st, json_t *args, const json_t *input, char **error)
{
    *error = NULL;
    json_t *items = st->map_on ? json_object_get(input, st->map_on) : json_array_get(args, 0);
    if (json_is_array(items))
        return items;
    char *shown = items ? json_dumps(items, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (shown && strlen(shown) > 60)
        strcpy(shown + 57, "...");
    if (st->map_on)
        *error = xasprintf("stage `%s` maps over input `%s`, which is %s, not a list", st->name,
                           st->map_on, shown ? shown : "missing");
    else
        *error = xasprintf("stage `%s` maps over the output of `%s`, which is %s, not a list",
                           st->name, st->depends_on[0], shown ? shown : "null");
    free(shown);
    return NULL;
}

json_t *callargs_item_args(const dapt_stage *st, const dapt_target_info *t, json_t *shared,
                           json_t *item)
{
    json_t *a = json_array();
    json_array_append(a, item);
    size_t room = plugin_positional_params(t);
    /* without map_on the item comes from shared[0], and replaces it */
    for (size_t i = st->map_on ? 0 : 1; i < json_array_size(shared); i++) {
        if (!(t->flags & DAPT_TARGET_VARARGS) && json_array_size(a) >= room)
            break;
        json_array_append(a, json_array_get(shared, i));
    }
    return a;
}
