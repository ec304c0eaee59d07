/*
 * args.c - reading and checking the arguments of the builtin targets.
 *
 * A target of the builtin plugin takes a value either positionally (the
 * output of a dependency, or the item of a parameterized stage) or by name
 * (the run input of a root stage, or the stage's `args:`), so these helpers
 * look in both places, and word every failure the same way:
 *
 *     dapt.range: `n` must be a non-negative integer, not "x"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"

/* How much of a wrong value a message shows. */
#define SHOW_MAX 60

json_t *args_get(json_t *args, json_t *kwargs, size_t index, const char *name)
{
    if (json_is_array(args) && index < json_array_size(args))
        return json_array_get(args, index);
    return json_is_object(kwargs) ? json_object_get(kwargs, name) : NULL;
}

json_t *args_first(json_t *args, json_t *kwargs, const char *name)
{
    return args_get(args, kwargs, 0, name);
}

char *args_show(const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (text == NULL)
        return strdup("?");
    size_t len = strlen(text);
    if (len > SHOW_MAX) {
        /* cut on a UTF-8 boundary, then mark the cut */
        size_t cut = SHOW_MAX - 3;
        while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
            cut--;
        memcpy(text + cut, "...", 4);
    }
    return text;
}

json_t *args_wrong(dapt_ctx *ctx, const char *target, const char *name, const char *what,
                   const json_t *value)
{
    char *shown = args_show(value);
    dapt_ctx_fail(ctx, "%s: `%s` must be %s, not %s", target, name, what, shown ? shown : "?");
    free(shown);
    return NULL;
}

json_t *args_missing(dapt_ctx *ctx, const char *target, const char *name, const char *what)
{
    return dapt_ctx_fail(ctx, "%s: `%s` is required (%s)", target, name, what);
}

json_t *args_oom(dapt_ctx *ctx, const char *target)
{
    return dapt_ctx_fail(ctx, "%s: out of memory", target);
}

int args_int(dapt_ctx *ctx, const char *target, const char *name, const json_t *value,
             json_int_t def, json_int_t min, json_int_t max, json_int_t *out)
{
    if (value == NULL) {
        *out = def;
        return 0;
    }
    json_int_t v = json_integer_value(value);
    if (!json_is_integer(value) || v < min || v > max) {
        char what[96];
        if (min == 0 && max == ARGS_INT_MAX)
            snprintf(what, sizeof what, "a non-negative integer");
        else
            snprintf(what, sizeof what,
                     "an integer from %" JSON_INTEGER_FORMAT " to %" JSON_INTEGER_FORMAT, min, max);
        args_wrong(ctx, target, name, what, value);
        return -1;
    }
    *out = v;
    return 0;
}

int args_bool(dapt_ctx *ctx, const char *target, const char *name, const json_t *value, bool def,
              bool *out)
{
    if (value == NULL) {
        *out = def;
        return 0;
    }
    if (!json_is_boolean(value)) {
        args_wrong(ctx, target, name, "true or false", value);
        return -1;
    }
    *out = json_is_true(value);
    return 0;
}

bool args_same(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    return json_equal(a, b) != 0;
}

int args_on(dapt_ctx *ctx, const char *target, json_t *args, json_t *kwargs, bool *hit)
{
    json_t *on = json_object_get(kwargs, "on");
    if (on == NULL || json_is_null(on)) {
        *hit = true;
        return 0;
    }
    if (!json_is_array(on)) {
        args_wrong(ctx, target, "on", "a list of values", on);
        return -1;
    }
    json_t *first = json_array_size(args) > 0 ? json_array_get(args, 0) : json_null();
    size_t i;
    json_t *v;
    *hit = false;
    json_array_foreach(on, i, v)
    {
        if (args_same(first, v)) {
            *hit = true;
            break;
        }
    }
    return 0;
}
