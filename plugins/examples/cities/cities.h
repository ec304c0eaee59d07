/*
 * cities.h - the internal header of the example plugin `cities`
 * (plugins/examples/cities/): one block per file.  Only the descriptor
 * (cities.c) is exported.
 *
 * The plugin is offline and deterministic: the cities come from
 * cities/data/cities.csv in its data folder, their weather is synthesized
 * from latitude, elevation and the day of the year with a seeded random
 * generator, and the models are ordinary least squares.  So the same
 * workflow gives the same numbers on every machine, which makes it a good
 * subject for tests and demos, while its shape (list -> fetch per city ->
 * features -> train -> predict -> report) is that of a real forecast.
 */
#ifndef DAPT_CITIES_H
#define DAPT_CITIES_H

#include <stdbool.h>
#include <stddef.h>

#include <dapt/plugin.h>

typedef struct city {
    char name[64];
    char country[8];
    double lat, lon;  /* degrees */
    double elevation; /* metres */
    json_int_t population;
} city;

/* citylist.c: the data file and cities.stages.list */
/* Read every city of the data file (plugin_dir/data/cities.csv).  0 with
 * *out (caller frees) and *count, or -1 after failing the stage. */
int citylist_load(dapt_ctx *ctx, const char *target, city **out, size_t *count);
/* The city a value stands for: a city object (as cities.stages.list
 * returns) or a name looked up in the data file.  0, or -1 after failing. */
int citylist_resolve(dapt_ctx *ctx, const char *target, const json_t *value, city *out);
json_t *citylist_to_json(const city *c);
json_t *citylist_stage(dapt_ctx *ctx, json_t *args, json_t *kwargs);

/* weather.c: cities.stages.weather */
json_t *weather_stage(dapt_ctx *ctx, json_t *args, json_t *kwargs);

/* model.c: cities.stages.features, .train and .predict */
json_t *model_features(dapt_ctx *ctx, json_t *args, json_t *kwargs);
json_t *model_train(dapt_ctx *ctx, json_t *args, json_t *kwargs);
json_t *model_predict(dapt_ctx *ctx, json_t *args, json_t *kwargs);

/* report.c: cities.stages.report */
json_t *report_stage(dapt_ctx *ctx, json_t *args, json_t *kwargs);

/* util.c: arguments and numbers shared by the stages */
/* Positional `index`, else the named `name`, else NULL.  Borrowed. */
json_t *util_arg(json_t *args, json_t *kwargs, size_t index, const char *name);
/* Fail with "TARGET: `NAME` must be WHAT, not VALUE".  NULL. */
json_t *util_wrong(dapt_ctx *ctx, const char *target, const char *name, const char *what,
                   const json_t *value);
/* An optional integer argument in [min, max] (default when absent).
 * 0, or -1 after failing. */
int util_int(dapt_ctx *ctx, const char *target, json_t *kwargs, const char *name, json_int_t def,
             json_int_t min, json_int_t max, json_int_t *out);
/* An optional number in [min, max].  0, or -1 after failing. */
int util_number(dapt_ctx *ctx, const char *target, json_t *kwargs, const char *name, double def,
                double min, double max, double *out);
/* An array of numbers as doubles (caller frees).  0, or -1 after failing;
 * `what` names it in the message. */
int util_numbers(dapt_ctx *ctx, const char *target, const json_t *array, const char *what,
                 double **out, size_t *count);
/* A list of doubles, each rounded to `decimals`. */
json_t *util_list(const double *v, size_t n, int decimals);
double util_round(double v, int decimals);
json_t *util_oom(dapt_ctx *ctx, const char *target);

#endif /* DAPT_CITIES_H */
