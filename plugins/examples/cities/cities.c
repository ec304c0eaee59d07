/*
 * cities.c - the descriptor of the example plugin `cities`: a weather
 * forecast per city, in the spirit of Flowdapt's nowcast plugin, offline
 * and deterministic (see cities.h).  Its data folder cities/ holds the
 * city table (data/), ready workflows (workflows/) and configs
 * (configs/).
 *
 * Built exactly as a third-party plugin is: includes only <dapt/plugin.h>,
 * links only jansson, exports only dapt_plugin_describe.  Positional
 * arguments bind to the parameters in order (the first is the one the
 * previous stage hands on), except for the VARARGS report.
 */
#include "cities.h"

static const dapt_param list_params[] = {
    DAPT_PARAM("country", "string", DAPT_OPTIONAL, NULL,
               "Only cities of this ISO 3166 country code, e.g. \"US\" (any case)."),
    DAPT_PARAM("names", "array", DAPT_OPTIONAL, NULL,
               "Only these cities, in this order (unknown names are an error)."),
    DAPT_PARAM("limit", "integer", DAPT_OPTIONAL, "0", "At most this many cities (0: all)."),
    DAPT_PARAM_END,
};

static const dapt_param weather_params[] = {
    DAPT_PARAM("city", "object|string", DAPT_REQUIRED, NULL,
               "The city: a name (\"Oslo\") or an object from cities.stages.list."),
    DAPT_PARAM("days", "integer", DAPT_OPTIONAL, "14", "How many days of hours (1 to 3660)."),
    DAPT_PARAM("start", "string", DAPT_OPTIONAL, "\"2024-01-01\"",
               "The first day, YYYY-MM-DD; the series starts at its local midnight."),
    DAPT_PARAM("seed", "integer", DAPT_OPTIONAL, "0",
               "Another seed gives another (equally plausible) weather."),
    DAPT_PARAM_END,
};

static const dapt_param features_params[] = {
    DAPT_PARAM("series", "object", DAPT_REQUIRED, NULL,
               "A weather series from cities.stages.weather."),
    DAPT_PARAM("lags", "integer", DAPT_OPTIONAL, "6",
               "How many previous hours are features (1 to 48)."),
    DAPT_PARAM("window", "integer", DAPT_OPTIONAL, "24",
               "The hours of the rolling mean feature (1 to 720)."),
    DAPT_PARAM_END,
};

static const dapt_param train_params[] = {
    DAPT_PARAM("features", "object", DAPT_REQUIRED, NULL, "Features from cities.stages.features."),
    DAPT_PARAM("ridge", "number", DAPT_OPTIONAL, "0",
               "Ridge penalty on the coefficients (0: ordinary least squares)."),
    DAPT_PARAM("holdout", "number", DAPT_OPTIONAL, "0.2",
               "The share of the last rows kept out of the fit to score it (0 to 0.5)."),
    DAPT_PARAM("label", "string", DAPT_OPTIONAL, "\"linear\"",
               "A name for the model, to tell models of one city apart in a report."),
    DAPT_PARAM_END,
};

static const dapt_param predict_params[] = {
    DAPT_PARAM("model", "object", DAPT_REQUIRED, NULL, "A model from cities.stages.train."),
    DAPT_PARAM("hours", "integer", DAPT_OPTIONAL, "24", "How many hours ahead (1 to 720)."),
    DAPT_PARAM_END,
};

static const dapt_param report_params[] = {
    DAPT_PARAM("metric", "string", DAPT_OPTIONAL, "\"holdout_rmse\"",
               "The score to rank by: \"holdout_rmse\" or \"train_rmse\" (lower is better)."),
    DAPT_PARAM("results", "array", DAPT_OPTIONAL, NULL,
               "The results, when not given as positional arguments."),
    DAPT_PARAM_END,
};

static const dapt_target targets[] = {
    {
        .path = "stages.list",
        .kind = DAPT_TARGET_STAGE,
        .fn = citylist_stage,
        .params = list_params,
        .doc = "The cities of the plugin's table.\n"
               "Reads data/cities.csv from the plugin's data folder (52 cities of every "
               "continent) and keeps those that match `country` and `names`, in table order "
               "(or in the order of `names`), at most `limit`.",
        .returns = "list of {name, country, lat, lon, elevation, population}",
    },
    {
        .path = "stages.weather",
        .kind = DAPT_TARGET_STAGE,
        .fn = weather_stage,
        .params = weather_params,
        .doc = "A made-up but plausible hourly temperature series for one city.\n"
               "Climate from latitude and elevation, a season by day of the year (opposite "
               "in the south), a daily cycle, and weather from a seeded random walk: the same "
               "city, start, days and seed always give the same series.  Made for a "
               "parameterized stage over cities.stages.list or a list of names.",
        .returns = "{city, country, lat, lon, elevation, start, hours, clock, temperature: "
                   "[hourly, C], daily: [{date, min, max, mean}]}",
    },
    {
        .path = "stages.features",
        .kind = DAPT_TARGET_STAGE,
        .fn = model_features,
        .params = features_params,
        .doc = "Lag and rolling-mean features of a weather series.\n"
               "One row per hour once enough history exists: the temperatures of the `lags` "
               "previous hours, their mean over `window` hours, and the hour of the day (sin, "
               "cos); the target is that hour's temperature.",
        .returns = "{city, lags, window, columns, rows, target, tail, next_hour}",
    },
    {
        .path = "stages.train",
        .kind = DAPT_TARGET_STAGE,
        .fn = model_train,
        .params = train_params,
        .doc = "Fit a linear model of next-hour temperature.\n"
               "Least squares (with an optional ridge penalty) on all but the last `holdout` "
               "share of the rows, which score it.  Collinear features (e.g. window 1, the "
               "same as lag 1) need a ridge above 0.",
        .returns = "{city, label, intercept, coefficients, columns, train_rmse, holdout_rmse, "
                   "n_train, n_holdout, lags, window, tail, next_hour}",
    },
    {
        .path = "stages.predict",
        .kind = DAPT_TARGET_STAGE,
        .fn = model_predict,
        .params = predict_params,
        .doc = "Forecast the next hours with a trained model.\n"
               "Hour by hour from the end of the training series, each prediction feeding the "
               "lags of the next.",
        .returns = "{city, label, hours, first_hour, forecast: [C], train_rmse, holdout_rmse}",
    },
    {
        .path = "stages.report",
        .kind = DAPT_TARGET_STAGE,
        .flags = DAPT_TARGET_VARARGS,
        .fn = report_stage,
        .params = report_params,
        .doc = "Summarize per-city results.\n"
               "Takes any results as positional arguments (objects with a `city`, or lists of "
               "them: models, forecasts, series), makes one row each (label, errors, forecast "
               "and temperature figures), ranks the rows by `metric` and names the best and "
               "worst.  The run config's `study`, when set, names the report.",
        .returns = "{study, metric, count, scored, mean_<metric>, best, worst, results}",
    },
    DAPT_TARGET_END,
};

static const char *const requirements[] = {"jansson", NULL};

DAPT_PLUGIN(.name = "cities", .version = PLUGIN_VERSION,
            .description = "Example: weather forecasts per city, offline and deterministic",
            .author = "The dapt authors", .requirements = requirements, .targets = targets);
