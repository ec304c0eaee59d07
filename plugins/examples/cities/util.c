/* util.c - arguments and numbers shared by the stages of `cities`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cities.h"

json_t *util_arg(json_t *args, json_t *kwargs, size_t index, const char *name)
{
    if (json_is_array(args) && index < json_array_size(args))
        return json_array_get(args, index);
    return json_is_object(kwargs) ? json_object_get(kwargs, name) : NULL;
}

json_t *util_wrong(dapt_ctx *ctx, const char *target, const char *name, const char *what,
                   const json_t *value)
{
    char *shown =
        value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15)) : NULL;
    if (shown != NULL && strlen(shown) > 60)
        memcpy(shown + 57, "...", 4);
    dapt_ctx_fail(ctx, "%s: `%s` must be %s, not %s", target, name, what,
                  shown ? shown : "missing");
    free(shown);
    return NULL;
}

int util_int(dapt_ctx *ctx, const char *target, json_t *kwargs, const char *name, json_int_t def,
             json_int_t min, json_int_t max, json_int_t *out)
{
    json_t *v = json_object_get(kwargs, name);
    if (v == NULL) {
        *out = def;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        char what[80];
        snprintf(what, sizeof what,
                 "an integer from %" JSON_INTEGER_FORMAT " to %" JSON_INTEGER_FORMAT, min, max);
        util_wrong(ctx, target, name, what, v);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

int util_number(dapt_ctx *ctx, const char *target, json_t *kwargs, const char *name, double def,
                double min, double max, double *out)
{
    json_t *v = json_object_get(kwargs, name);
    if (v == NULL) {
        *out = def;
        return 0;
    }
    if (!json_is_number(v) || json_number_value(v) < min || json_number_value(v) > max) {
        char what[80];
        snprintf(what, sizeof what, "a number from %g to %g", min, max);
        util_wrong(ctx, target, name, what, v);
        return -1;
    }
    *out = json_number_value(v);
    return 0;
}

int util_numbers(dapt_ctx *ctx, const char *target, const json_t *array, const char *what,
                 double **out, size_t *count)
{
    if (!json_is_array(array)) {
        dapt_ctx_fail(ctx, "%s: %s must be a list of numbers", target, what);
        return -1;
    }
    size_t n = json_array_size(array);
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (v == NULL) {
        util_oom(ctx, target);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(array, i);
        if (!json_is_number(x)) {
            free(v);
            dapt_ctx_fail(ctx, "%s: %s must be a list of numbers (item %zu is not)", target, what,
                          i);
            return -1;
        }
        v[i] = json_number_value(x);
    }
    *out = v;
    *count = n;
    return 0;
}

double util_round(double v, int decimals)
{
    double scale = pow(10, decimals);
    double r = round(v * scale) / scale;
    return r == 0 ? 0 : r; /* no "-0.0" in the output */
}

json_t *util_list(const double *v, size_t n, int decimals)
{
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < n; i++) {
        if (json_array_append_new(list, json_real(util_round(v[i], decimals))) < 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

json_t *util_oom(dapt_ctx *ctx, const char *target)
{
    return dapt_ctx_fail(ctx, "%s: out of memory", target);
}
