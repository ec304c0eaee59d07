/*
 * weather.c - cities.stages.weather: an hourly temperature series for one
 * city, made up but plausible, and the same on every run.
 *
 * temperature(t) = climate mean (colder with latitude and height: 6.5 C
 *                  per km) + season (a cosine over the year, stronger
 *                  away from the equator, six months apart in the two
 *                  hemispheres) + day (a cosine peaking at 15:00 local
 *                  solar time, stronger up high) + weather (a slow AR(1)
 *                  walk of Gaussian steps).
 * The random steps come from splitmix64 seeded by the city's name, the
 * start date and `seed`, so a series depends on nothing else.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cities.h"

static const char target[] = "cities.stages.weather";

#define PI 3.14159265358979323846
#define MAX_DAYS 3660
#define DEFAULT_START "2024-01-01"

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, long *y, long *m, long *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

/* "YYYY-MM-DD" to days since the epoch; -1 when it is not a date. */
static int parse_date(const char *s, long *days)
{
    int y, m, d, len = 0;
    if (s == NULL || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &len) != 3 || s[len] != '\0' ||
        y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    long z = days_from_civil(y, m, d);
    long cy, cm, cd;
    civil_from_days(z, &cy, &cm, &cd);
    if (cd != d) /* 2023-02-30 */
        return -1;
    *days = z;
    return 0;
}

typedef struct rng {
    uint64_t state;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1]. */
static double rng_uniform(rng *r)
{
    return ((double)(rng_next(r) >> 11) + 1.0) / 9007199254740992.0;
}

/* Standard normal (Box-Muller; one of the pair is enough here). */
static double rng_gauss(rng *r)
{
    double u = rng_uniform(r), v = rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * PI * v);
}

static uint64_t seed_of(const char *name, long start, json_int_t seed)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return h ^ ((uint64_t)start * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)seed << 32);
}

typedef struct climate {
    double mean, season_amp, warmest_day, day_amp;
} climate;

static climate climate_of(const city *c)
{
    climate k;
    double lat = fabs(c->lat);
    k.mean = 27.0 - 0.18 * lat - 0.0035 * lat * lat - 0.0065 * c->elevation;
    k.season_amp = fmin(0.22 * lat, 10.0); /* no sea nearby to temper it: cap it */
    k.warmest_day = c->lat >= 0 ? 200 : 17;
    k.day_amp = 3.0 + 0.0015 * (c->elevation > 0 ? c->elevation : 0);
    return k;
}

/* The series: hours[n], starting at local midnight of day `start`. */
static void synthesize(const city *c, long start, json_int_t seed, double *temp, size_t n)
{
    climate k = climate_of(c);
    rng r = {seed_of(c->name, start, seed)};
    long y, m, d;
    civil_from_days(start, &y, &m, &d);
    long jan1 = days_from_civil(y, 1, 1);
    double walk = 1.5 * rng_gauss(&r);
    for (size_t t = 0; t < n; t++) {
        double day_of_year = (double)(start - jan1) + (double)t / 24.0;
        double hour = (double)(t % 24);
        double season = k.season_amp * cos(2 * PI * (day_of_year - k.warmest_day) / 365.25);
        double day = k.day_amp * cos(2 * PI * (hour - 15) / 24);
        walk = 0.97 * walk + 0.35 * rng_gauss(&r);
        temp[t] = util_round(k.mean + season + day + walk, 2);
    }
}

static json_t *daily_summary(const double *temp, size_t days, long start)
{
    json_t *list = json_array();
    for (size_t d = 0; list != NULL && d < days; d++) {
        const double *h = temp + d * 24;
        double lo = h[0], hi = h[0], sum = 0;
        for (size_t i = 0; i < 24; i++) {
            lo = h[i] < lo ? h[i] : lo;
            hi = h[i] > hi ? h[i] : hi;
            sum += h[i];
        }
        long y, m, dd;
        civil_from_days(start + (long)d, &y, &m, &dd);
        char date[16];
        snprintf(date, sizeof date, "%04ld-%02ld-%02ld", y, m, dd);
        if (json_array_append_new(list, json_pack("{s:s, s:f, s:f, s:f}", "date", date, "min", lo,
                                                  "max", hi, "mean", util_round(sum / 24, 2))) <
            0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

json_t *weather_stage(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    json_t *cv = util_arg(args, kwargs, 0, "city");
    if (cv == NULL)
        return dapt_ctx_fail(ctx, "%s: `city` is required (a name or a city object)", target);
    json_int_t days, seed;
    if (util_int(ctx, target, kwargs, "days", 14, 1, MAX_DAYS, &days) < 0 ||
        util_int(ctx, target, kwargs, "seed", 0, 0, INT32_MAX, &seed) < 0)
        return NULL;
    json_t *sv = json_object_get(kwargs, "start");
    const char *start_text = sv ? json_string_value(sv) : DEFAULT_START;
    long start;
    if (parse_date(start_text, &start) < 0)
        return util_wrong(ctx, target, "start", "a date YYYY-MM-DD", sv);
    city c;
    if (citylist_resolve(ctx, target, cv, &c) < 0)
        return NULL;

    size_t hours = (size_t)days * 24;
    double *temp = malloc(hours * sizeof *temp);
    if (temp == NULL)
        return util_oom(ctx, target);
    synthesize(&c, start, seed, temp, hours);
    json_t *out = json_pack("{s:s, s:s, s:f, s:f, s:f, s:s, s:I, s:s, s:o*, s:o*}", "city", c.name,
                            "country", c.country, "lat", c.lat, "lon", c.lon, "elevation",
                            c.elevation, "start", start_text, "hours", (json_int_t)hours, "clock",
                            "local solar time", "temperature", util_list(temp, hours, 2), "daily",
                            daily_summary(temp, (size_t)days, start));
    free(temp);
    if (out == NULL || json_array_size(json_object_get(out, "temperature")) != hours ||
        json_array_size(json_object_get(out, "daily")) != (size_t)days) {
        json_decref(out);
        return util_oom(ctx, target);
    }
    dapt_ctx_log(ctx, DAPT_LOG_INFO, "%s: %" JSON_INTEGER_FORMAT " days from %s", c.name, days,
                 start_text);
    return out;
}
