/*
 * model.c - cities.stages.features, .train and .predict: a small
 * autoregressive model of a city's hourly temperature.
 *
 * The features of hour t are the temperatures of the `lags` hours before
 * it, their mean over the last `window` hours, and the hour of the day as
 * a point on the unit circle (sin, cos).  The model is linear, fitted by
 * least squares (optionally ridge) on the first rows, scored on the last
 * `holdout` share, and forecasts hour by hour, each prediction feeding
 * the next hour's lags.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cities.h"

#define PI 3.14159265358979323846
#define MAX_LAGS 48
#define MAX_WINDOW 720
#define MAX_COLUMNS (MAX_LAGS + 3)

/* The feature vector of the hour after history[0..n), hour of day `hour`. */
static size_t feature_row(const double *history, size_t n, json_int_t lags, json_int_t window,
                          int hour, double *x)
{
    size_t k = 0;
    for (json_int_t i = 1; i <= lags; i++)
        x[k++] = history[n - (size_t)i];
    double sum = 0;
    for (json_int_t i = 1; i <= window; i++)
        sum += history[n - (size_t)i];
    x[k++] = sum / (double)window;
    x[k++] = sin(2 * PI * hour / 24.0);
    x[k++] = cos(2 * PI * hour / 24.0);
    return k;
}

static json_t *column_names(json_int_t lags, json_int_t window)
{
    json_t *cols = json_array();
    char name[32];
    for (json_int_t i = 1; i <= lags; i++) {
        snprintf(name, sizeof name, "lag_%" JSON_INTEGER_FORMAT, i);
        json_array_append_new(cols, json_string(name));
    }
    snprintf(name, sizeof name, "mean_%" JSON_INTEGER_FORMAT "h", window);
    json_array_append_new(cols, json_string(name));
    json_array_append_new(cols, json_string("hour_sin"));
    json_array_append_new(cols, json_string("hour_cos"));
    return cols;
}

/* An object argument: positional 0 or the named `name`. */
static json_t *object_arg(dapt_ctx *ctx, const char *target, json_t *args, json_t *kwargs,
                          const char *name, const char *what)
{
    json_t *v = util_arg(args, kwargs, 0, name);
    if (!json_is_object(v)) {
        util_wrong(ctx, target, name, what, v);
        return NULL;
    }
    return v;
}

/* ------------------------------------------------------------------ */
/* cities.stages.features                                             */
/* ------------------------------------------------------------------ */

json_t *model_features(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "cities.stages.features";
    json_t *series = object_arg(ctx, target, args, kwargs, "series",
                                "a weather series (what cities.stages.weather returns)");
    json_int_t lags, window;
    if (series == NULL || util_int(ctx, target, kwargs, "lags", 6, 1, MAX_LAGS, &lags) < 0 ||
        util_int(ctx, target, kwargs, "window", 24, 1, MAX_WINDOW, &window) < 0)
        return NULL;
    double *temp;
    size_t n;
    if (util_numbers(ctx, target, json_object_get(series, "temperature"),
                     "the series' `temperature`", &temp, &n) < 0)
        return NULL;
    size_t first = (size_t)(lags > window ? lags : window);
    if (n < first + 2) {
        free(temp);
        return dapt_ctx_fail(ctx,
                             "%s: %zu hours are too few for lags %" JSON_INTEGER_FORMAT
                             " and window %" JSON_INTEGER_FORMAT " (at least %zu needed)",
                             target, n, lags, window, first + 2);
    }

    json_t *rows = json_array(), *y = json_array();
    double x[MAX_COLUMNS];
    for (size_t t = first; rows && y && t < n; t++) {
        size_t k = feature_row(temp, t, lags, window, (int)(t % 24), x);
        json_array_append_new(rows, util_list(x, k, 4));
        json_array_append_new(y, json_real(temp[t]));
    }
    const char *name = json_string_value(json_object_get(series, "city"));
    json_t *out = json_pack(
        "{s:s, s:I, s:I, s:o, s:o*, s:o*, s:o*, s:I}", "city", name ? name : "?", "lags", lags,
        "window", window, "columns", column_names(lags, window), "rows", rows, "target", y, "tail",
        util_list(temp + n - first, first, 2), "next_hour", (json_int_t)(n % 24));
    free(temp);
    if (out == NULL || json_array_size(json_object_get(out, "rows")) != n - first ||
        json_array_size(json_object_get(out, "tail")) != first) {
        json_decref(out);
        return util_oom(ctx, target);
    }
    return out;
}

/* ------------------------------------------------------------------ */
/* cities.stages.train                                                */
/* ------------------------------------------------------------------ */

/*
 * Solve a[p][p] b = r by Gaussian elimination with partial pivoting (a
 * and r are destroyed).  -1 when the system is singular: collinear
 * features.
 */
static int solve(double *a, double *r, size_t p, double *b)
{
    double norm = 0;
    for (size_t i = 0; i < p * p; i++)
        norm = fmax(norm, fabs(a[i]));
    for (size_t col = 0; col < p; col++) {
        size_t piv = col;
        for (size_t i = col; i < p; i++) {
            if (fabs(a[i * p + col]) > fabs(a[piv * p + col]))
                piv = i;
        }
        if (norm == 0 || fabs(a[piv * p + col]) < 1e-12 * norm)
            return -1;
        if (piv != col) {
            for (size_t j = 0; j < p; j++) {
                double tmp = a[col * p + j];
                a[col * p + j] = a[piv * p + j];
                a[piv * p + j] = tmp;
            }
            double tmp = r[col];
            r[col] = r[piv];
            r[piv] = tmp;
        }
        for (size_t i = col + 1; i < p; i++) {
            double f = a[i * p + col] / a[col * p + col];
            for (size_t j = col; j < p; j++)
                a[i * p + j] -= f * a[col * p + j];
            r[i] -= f * r[col];
        }
    }
    for (size_t i = p; i-- > 0;) {
        double s = r[i];
        for (size_t j = i + 1; j < p; j++)
            s -= a[i * p + j] * b[j];
        b[i] = s / a[i * p + i];
    }
    return 0;
}

typedef struct dataset {
    double *x; /* rows * cols */
    double *y;
    size_t rows, cols;
} dataset;

static void dataset_free(dataset *d)
{
    free(d->x);
    free(d->y);
}

static int dataset_read(dapt_ctx *ctx, const char *target, json_t *features, dataset *d)
{
    memset(d, 0, sizeof *d);
    json_t *rows = json_object_get(features, "rows");
    size_t ny;
    if (util_numbers(ctx, target, json_object_get(features, "target"), "the features' `target`",
                     &d->y, &ny) < 0)
        return -1;
    d->rows = json_array_size(rows);
    d->cols = json_array_size(json_object_get(features, "columns"));
    if (!json_is_array(rows) || d->rows != ny || d->cols == 0 || d->cols > MAX_COLUMNS) {
        dataset_free(d);
        dapt_ctx_fail(ctx, "%s: the features are not what cities.stages.features returns", target);
        return -1;
    }
    d->x = malloc(d->rows * d->cols * sizeof *d->x);
    if (d->x == NULL) {
        dataset_free(d);
        util_oom(ctx, target);
        return -1;
    }
    for (size_t i = 0; i < d->rows; i++) {
        json_t *row = json_array_get(rows, i);
        for (size_t j = 0; j < d->cols; j++) {
            json_t *v = json_array_get(row, j);
            if (!json_is_number(v) || json_array_size(row) != d->cols) {
                dataset_free(d);
                dapt_ctx_fail(ctx, "%s: row %zu of the features is not %zu numbers", target, i,
                              d->cols);
                return -1;
            }
            d->x[i * d->cols + j] = json_number_value(v);
        }
    }
    return 0;
}

/* beta[0] is the intercept, beta[1..cols] the coefficients. */
static double predict_row(const double *beta, const double *x, size_t cols)
{
    double s = beta[0];
    for (size_t j = 0; j < cols; j++)
        s += beta[j + 1] * x[j];
    return s;
}

static double rmse(const dataset *d, const double *beta, size_t from, size_t to)
{
    double sse = 0;
    for (size_t i = from; i < to; i++) {
        double e = predict_row(beta, d->x + i * d->cols, d->cols) - d->y[i];
        sse += e * e;
    }
    return to > from ? sqrt(sse / (double)(to - from)) : 0;
}

/* Least squares on rows [0, n) with a ridge penalty on the coefficients
 * (not the intercept).  -1 when singular. */
static int fit(const dataset *d, size_t n, double ridge, double *beta)
{
    size_t p = d->cols + 1;
    double a[(MAX_COLUMNS + 1) * (MAX_COLUMNS + 1)] = {0}, r[MAX_COLUMNS + 1] = {0};
    double z[MAX_COLUMNS + 1];
    for (size_t i = 0; i < n; i++) {
        z[0] = 1;
        memcpy(z + 1, d->x + i * d->cols, d->cols * sizeof *z);
        for (size_t j = 0; j < p; j++) {
            r[j] += z[j] * d->y[i];
            for (size_t k = 0; k < p; k++)
                a[j * p + k] += z[j] * z[k];
        }
    }
    for (size_t j = 1; j < p; j++)
        a[j * p + j] += ridge;
    return solve(a, r, p, beta);
}

json_t *model_train(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "cities.stages.train";
    json_t *features = object_arg(ctx, target, args, kwargs, "features",
                                  "features (what cities.stages.features returns)");
    double ridge, holdout;
    json_t *label = json_object_get(kwargs, "label");
    if (features == NULL || util_number(ctx, target, kwargs, "ridge", 0, 0, 1e9, &ridge) < 0 ||
        util_number(ctx, target, kwargs, "holdout", 0.2, 0, 0.5, &holdout) < 0)
        return NULL;
    if (label != NULL && !json_is_string(label))
        return util_wrong(ctx, target, "label", "a string", label);
    dataset d;
    if (dataset_read(ctx, target, features, &d) < 0)
        return NULL;
    size_t n_hold = (size_t)floor((double)d.rows * holdout);
    size_t n_train = d.rows - n_hold;
    double beta[MAX_COLUMNS + 1];
    if (n_train < d.cols + 2) {
        dataset_free(&d);
        return dapt_ctx_fail(ctx, "%s: %zu rows are too few to fit %zu coefficients", target,
                             n_train, d.cols + 1);
    }
    if (fit(&d, n_train, ridge, beta) < 0) {
        dataset_free(&d);
        return dapt_ctx_fail(ctx, "%s: the features are collinear; try a `ridge` above 0", target);
    }
    double train_rmse = rmse(&d, beta, 0, n_train);
    double hold_rmse = rmse(&d, beta, n_train, d.rows);
    const char *name = json_string_value(json_object_get(features, "city"));
    json_t *out = json_pack(
        "{s:s, s:s, s:O, s:O, s:O, s:f, s:o*, s:f, s:I, s:I, s:O, s:O}", "city", name ? name : "?",
        "label", label ? json_string_value(label) : "linear", "lags",
        json_object_get(features, "lags"), "window", json_object_get(features, "window"), "columns",
        json_object_get(features, "columns"), "intercept", util_round(beta[0], 6), "coefficients",
        util_list(beta + 1, d.cols, 6), "train_rmse", util_round(train_rmse, 4), "n_train",
        (json_int_t)n_train, "n_holdout", (json_int_t)n_hold, "tail",
        json_object_get(features, "tail"), "next_hour", json_object_get(features, "next_hour"));
    if (out != NULL)
        json_object_set_new(out, "holdout_rmse",
                            n_hold ? json_real(util_round(hold_rmse, 4)) : json_null());
    dataset_free(&d);
    if (out == NULL)
        return dapt_ctx_fail(ctx,
                             "%s: the features lack lags, window, columns, tail or "
                             "next_hour",
                             target);
    dapt_ctx_log(ctx, DAPT_LOG_INFO, "%s: %zu rows, train RMSE %.3f C", name ? name : "?", n_train,
                 train_rmse);
    return out;
}

/* ------------------------------------------------------------------ */
/* cities.stages.predict                                              */
/* ------------------------------------------------------------------ */

json_t *model_predict(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "cities.stages.predict";
    json_t *model = object_arg(ctx, target, args, kwargs, "model",
                               "a model (what cities.stages.train returns)");
    json_int_t hours;
    if (model == NULL || util_int(ctx, target, kwargs, "hours", 24, 1, 720, &hours) < 0)
        return NULL;
    json_int_t lags = json_integer_value(json_object_get(model, "lags"));
    json_int_t window = json_integer_value(json_object_get(model, "window"));
    json_int_t next_hour = json_integer_value(json_object_get(model, "next_hour"));
    double *coef = NULL, *tail = NULL;
    size_t ncoef = 0, ntail = 0;
    if (util_numbers(ctx, target, json_object_get(model, "coefficients"),
                     "the model's `coefficients`", &coef, &ncoef) < 0 ||
        util_numbers(ctx, target, json_object_get(model, "tail"), "the model's `tail`", &tail,
                     &ntail) < 0) {
        free(coef);
        return NULL;
    }
    json_t *intercept = json_object_get(model, "intercept");
    if (lags < 1 || lags > MAX_LAGS || window < 1 || window > MAX_WINDOW ||
        ncoef != (size_t)lags + 3 || ntail < (size_t)(lags > window ? lags : window) ||
        !json_is_number(intercept)) {
        free(coef);
        free(tail);
        return dapt_ctx_fail(ctx, "%s: the model is not what cities.stages.train returns", target);
    }
    double *history = malloc((ntail + (size_t)hours) * sizeof *history);
    double *forecast = malloc((size_t)hours * sizeof *forecast);
    double beta[MAX_COLUMNS + 1], x[MAX_COLUMNS];
    if (history == NULL || forecast == NULL) {
        free(coef);
        free(tail);
        free(history);
        free(forecast);
        return util_oom(ctx, target);
    }
    beta[0] = json_number_value(intercept);
    memcpy(beta + 1, coef, ncoef * sizeof *coef);
    memcpy(history, tail, ntail * sizeof *tail);
    size_t n = ntail;
    for (json_int_t h = 0; h < hours; h++) {
        int hour = (int)((next_hour + h) % 24);
        size_t k = feature_row(history, n, lags, window, hour, x);
        forecast[h] = predict_row(beta, x, k);
        history[n++] = forecast[h];
    }
    const char *name = json_string_value(json_object_get(model, "city"));
    json_t *out = json_pack("{s:s, s:O*, s:I, s:I, s:o*, s:O*, s:O*}", "city", name ? name : "?",
                            "label", json_object_get(model, "label"), "hours", hours, "first_hour",
                            next_hour, "forecast", util_list(forecast, (size_t)hours, 2),
                            "train_rmse", json_object_get(model, "train_rmse"), "holdout_rmse",
                            json_object_get(model, "holdout_rmse"));
    free(coef);
    free(tail);
    free(history);
    free(forecast);
    if (out == NULL || json_array_size(json_object_get(out, "forecast")) != (size_t)hours) {
        json_decref(out);
        return util_oom(ctx, target);
    }
    return out;
}
