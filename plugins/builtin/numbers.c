/*
 * numbers.c - dapt.range, dapt.square, dapt.add and dapt.sum: small
 * arithmetic stages whose results a test can predict exactly.  Integers
 * stay integers (JSON has no size limit, jansson's are 64-bit: overflow
 * is an error, never a silent wrap); a real anywhere makes a real.
 */
#include <math.h>
#include <stdlib.h>

#include "builtin.h"

/* A real result, or a failure when it is not finite (JSON has no inf). */
static json_t *real_result(dapt_ctx *ctx, const char *target, double v, const char *what)
{
    if (!isfinite(v))
        return dapt_ctx_fail(ctx, "%s: %s is too large for a JSON number", target, what);
    json_t *out = json_real(v);
    return out ? out : args_oom(ctx, target);
}

json_t *numbers_range(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "dapt.range";
    json_t *n = args_first(args, kwargs, "n");
    if (n == NULL)
        return args_missing(ctx, target, "n", "a non-negative integer");
    json_int_t count;
    if (args_int(ctx, target, "n", n, 0, 0, ARGS_INT_MAX, &count) < 0)
        return NULL;
    if (count > NUMBERS_RANGE_MAX)
        return dapt_ctx_fail(ctx, "%s: `n` must be at most %d, not %" JSON_INTEGER_FORMAT, target,
                             NUMBERS_RANGE_MAX, count);
    json_t *list = json_array();
    for (json_int_t i = 0; list != NULL && i < count; i++) {
        if (json_array_append_new(list, json_integer(i)) < 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list ? list : args_oom(ctx, target);
}

json_t *numbers_square(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "dapt.square";
    json_t *x = args_first(args, kwargs, "x");
    if (x == NULL)
        return args_missing(ctx, target, "x", "a number");
    if (!json_is_number(x))
        return args_wrong(ctx, target, "x", "a number", x);
    if (json_is_integer(x)) {
        json_int_t v = json_integer_value(x), sq;
        if (__builtin_mul_overflow(v, v, &sq))
            return dapt_ctx_fail(
                ctx, "%s: %" JSON_INTEGER_FORMAT " squared overflows a 64-bit integer", target, v);
        json_t *out = json_integer(sq);
        return out ? out : args_oom(ctx, target);
    }
    double v = json_real_value(x);
    return real_result(ctx, target, v * v, "the square");
}

/* The two terms: positional 0 or `a`, positional 1 or `b`. */
json_t *numbers_add(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "dapt.add";
    static const char *const names[2] = {"a", "b"};
    json_t *terms[2];
    for (size_t i = 0; i < 2; i++) {
        terms[i] = args_get(args, kwargs, i, names[i]);
        if (terms[i] == NULL)
            return args_missing(ctx, target, names[i], "a number");
        if (!json_is_number(terms[i]))
            return args_wrong(ctx, target, names[i], "a number", terms[i]);
    }
    if (json_is_integer(terms[0]) && json_is_integer(terms[1])) {
        json_int_t sum;
        if (__builtin_add_overflow(json_integer_value(terms[0]), json_integer_value(terms[1]),
                                   &sum))
            return dapt_ctx_fail(ctx, "%s: the sum overflows a 64-bit integer", target);
        json_t *out = json_integer(sum);
        return out ? out : args_oom(ctx, target);
    }
    return real_result(ctx, target, json_number_value(terms[0]) + json_number_value(terms[1]),
                       "the sum");
}

json_t *numbers_sum(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "dapt.sum";
    json_t *values = args_first(args, kwargs, "values");
    if (values == NULL)
        return args_missing(ctx, target, "values", "a list of numbers");
    if (!json_is_array(values))
        return args_wrong(ctx, target, "values", "a list of numbers", values);
    bool integers = true, overflow = false;
    json_int_t isum = 0;
    double rsum = 0;
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v)
    {
        if (!json_is_number(v)) {
            char *shown = args_show(v);
            dapt_ctx_fail(ctx, "%s: `values` must be a list of numbers, but item %zu is %s", target,
                          i, shown ? shown : "?");
            free(shown);
            return NULL;
        }
        integers = integers && json_is_integer(v);
        if (integers && !overflow)
            overflow = __builtin_add_overflow(isum, json_integer_value(v), &isum);
        rsum += json_number_value(v);
    }
    if (!integers)
        return real_result(ctx, target, rsum, "the sum");
    if (overflow)
        return dapt_ctx_fail(ctx, "%s: the sum overflows a 64-bit integer", target);
    json_t *out = json_integer(isum);
    return out ? out : args_oom(ctx, target);
}
