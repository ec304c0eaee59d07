/*
 * report.c - cities.stages.report: per-city results gathered into one
 * summary, ranked by a score.
 *
 * It takes whatever the other stages return, as positional arguments
 * (each a result object or a list of them, e.g. the outputs of
 * parameterized stages): models, forecasts, weather series.  Each result
 * becomes one row with what it says about its city (label, errors,
 * forecast or temperature figures); rows are ranked by `metric`, and the
 * study name comes from the run's config (`study`) when there is one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cities.h"

static const char target[] = "cities.stages.report";

typedef struct row {
    json_t *obj; /* the summary row */
    double score;
    bool scored;
    size_t order; /* input order, for a stable sort */
} row;

/* Add {PREFIX_mean, _min, _max} (and PREFIX_hours) of a list of numbers. */
static void add_stats(json_t *obj, const char *prefix, const json_t *list)
{
    size_t n = json_array_size(list);
    if (n == 0)
        return;
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(list, i);
        if (!json_is_number(v))
            return;
        double x = json_number_value(v);
        sum += x;
        lo = fmin(lo, x);
        hi = fmax(hi, x);
    }
    static const char *const suffix[] = {"_hours", "_mean", "_min", "_max"};
    double values[] = {(double)n, util_round(sum / (double)n, 2), lo, hi};
    for (size_t k = 0; k < 4; k++) {
        char key[64];
        snprintf(key, sizeof key, "%s%s", prefix, suffix[k]);
        json_object_set_new(obj, key, k == 0 ? json_integer((json_int_t)n) : json_real(values[k]));
    }
}

/* The summary row of one result. */
static json_t *summarize(json_t *result)
{
    static const char *const copied[] = {"city", "country", "label", "train_rmse", "holdout_rmse"};
    json_t *obj = json_object();
    for (size_t k = 0; obj != NULL && k < sizeof copied / sizeof copied[0]; k++) {
        json_t *v = json_object_get(result, copied[k]);
        if (v != NULL && !json_is_null(v))
            json_object_set(obj, copied[k], v);
    }
    if (obj != NULL) {
        add_stats(obj, "forecast", json_object_get(result, "forecast"));
        add_stats(obj, "temperature", json_object_get(result, "temperature"));
    }
    return obj;
}

static int row_cmp(const void *pa, const void *pb)
{
    const row *a = pa, *b = pb;
    if (a->scored != b->scored)
        return a->scored ? -1 : 1;
    if (a->scored && a->score != b->score)
        return a->score < b->score ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* Every result object of the arguments, in order (borrowed). */
static json_t *gather(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    json_t *all = json_array();
    json_t *sources = json_array_size(args) ? args : json_object_get(kwargs, "results");
    if (all == NULL)
        return util_oom(ctx, target);
    if (sources != NULL && !json_is_array(sources)) {
        json_decref(all);
        return util_wrong(ctx, target, "results", "a list of results", sources);
    }
    size_t i;
    json_t *src;
    json_array_foreach(sources, i, src)
    {
        if (json_is_object(src)) {
            json_array_append(all, src);
        } else if (json_is_array(src)) {
            json_array_extend(all, src);
        } else if (!json_is_null(src)) {
            json_decref(all);
            return dapt_ctx_fail(ctx,
                                 "%s: argument %zu is neither a result object nor a list "
                                 "of them",
                                 target, i + 1);
        }
    }
    for (i = 0; i < json_array_size(all); i++) {
        json_t *r = json_array_get(all, i);
        if (!json_is_object(r) || !json_is_string(json_object_get(r, "city"))) {
            json_decref(all);
            return dapt_ctx_fail(ctx, "%s: result %zu is not an object with a `city`", target,
                                 i + 1);
        }
    }
    return all;
}

static json_t *pick(const row *r, const char *metric)
{
    json_t *label = json_object_get(r->obj, "label");
    return json_pack("{s:O, s:O*, s:f}", "city", json_object_get(r->obj, "city"), "label", label,
                     metric, r->score);
}

json_t *report_stage(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    json_t *mv = json_object_get(kwargs, "metric");
    const char *metric = mv ? json_string_value(mv) : "holdout_rmse";
    if (metric == NULL || (strcmp(metric, "holdout_rmse") && strcmp(metric, "train_rmse")))
        return util_wrong(ctx, target, "metric", "\"holdout_rmse\" or \"train_rmse\"", mv);
    json_t *all = gather(ctx, args, kwargs);
    if (all == NULL)
        return NULL;
    size_t n = json_array_size(all);
    row *rows = calloc(n ? n : 1, sizeof *rows);
    json_t *list = json_array(), *out = json_object();
    if (rows == NULL || list == NULL || out == NULL) {
        free(rows);
        json_decref(list);
        json_decref(out);
        json_decref(all);
        return util_oom(ctx, target);
    }
    size_t scored = 0;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        rows[i].obj = summarize(json_array_get(all, i));
        json_t *s = json_object_get(rows[i].obj, metric);
        rows[i].scored = json_is_number(s);
        rows[i].score = json_number_value(s);
        rows[i].order = i;
        scored += rows[i].scored;
        total += rows[i].score;
    }
    qsort(rows, n, sizeof *rows, row_cmp);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, rows[i].obj);

    json_t *config = dapt_ctx_config(ctx);
    json_t *study = json_object_get(config, "study");
    if (json_is_string(study))
        json_object_set(out, "study", study);
    json_object_set_new(out, "metric", json_string(metric));
    json_object_set_new(out, "count", json_integer((json_int_t)n));
    json_object_set_new(out, "scored", json_integer((json_int_t)scored));
    if (scored > 0) {
        char key[32];
        snprintf(key, sizeof key, "mean_%s", metric);
        json_object_set_new(out, key, json_real(util_round(total / (double)scored, 4)));
        json_object_set_new(out, "best", pick(&rows[0], metric));
        json_object_set_new(out, "worst", pick(&rows[scored - 1], metric));
    }
    json_object_set_new(out, "results", list);
    free(rows);
    json_decref(all);
    dapt_ctx_log(ctx, DAPT_LOG_INFO, "%zu results, %zu scored by %s", n, scored, metric);
    return out;
}
