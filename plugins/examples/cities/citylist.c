/*
 * citylist.c - the cities of the data file, and cities.stages.list.
 *
 * The file is plugin_dir/data/cities.csv, plugin_dir being the plugin's
 * data folder that the host names in the run context (the cities/ folder
 * beside cities.so).  A host that does not say is helped by dladdr: the
 * folder is then found beside the loaded cities.so.  The CSV is plain:
 * '#' comment lines, a header naming the columns (in any order), commas,
 * and double quotes around a field that holds a comma.
 */
#define _GNU_SOURCE /* dladdr */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cities.h"

#define DATA_FILE "data/cities.csv"
#define MAX_FIELDS 16

enum { COL_NAME, COL_COUNTRY, COL_LAT, COL_LON, COL_ELEVATION, COL_POPULATION, COL_COUNT };
static const char *const column_names[COL_COUNT] = {
    "name", "country", "lat", "lon", "elevation", "population",
};

/* plugin_dir/DATA_FILE, or the same beside the loaded module. */
static char *data_path(dapt_ctx *ctx)
{
    const char *dir = dapt_ctx_info(ctx, "plugin_dir");
    char *path = NULL;
    if (dir != NULL && *dir != '\0') {
        if (asprintf(&path, "%s/%s", dir, DATA_FILE) < 0)
            return NULL;
        return path;
    }
    Dl_info info;
    if (dladdr((void *)citylist_load, &info) == 0 || info.dli_fname == NULL)
        return NULL;
    const char *slash = strrchr(info.dli_fname, '/');
    int dir_len = slash ? (int)(slash - info.dli_fname) : 1;
    if (asprintf(&path, "%.*s/cities/%s", dir_len, slash ? info.dli_fname : ".", DATA_FILE) < 0)
        return NULL;
    return path;
}

/* Split a line in place into at most MAX_FIELDS fields; returns how many.
 * Quotes: "a, b" is one field, "" inside quotes is one quote. */
static size_t split_csv(char *line, char **fields)
{
    size_t n = 0;
    char *r = line, *w = line;
    while (n < MAX_FIELDS) {
        fields[n++] = w;
        bool quoted = *r == '"';
        if (quoted)
            r++;
        for (;;) {
            if (*r == '\0' || *r == '\n' || *r == '\r')
                break;
            if (quoted && r[0] == '"' && r[1] == '"') {
                *w++ = '"';
                r += 2;
            } else if (quoted && *r == '"') {
                quoted = false;
                r++;
            } else if (!quoted && *r == ',') {
                break;
            } else {
                *w++ = *r++;
            }
        }
        bool more = *r == ',';
        *w++ = '\0';
        if (!more)
            break;
        r++;
    }
    return n;
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return end != s && *end == '\0' && errno == 0;
}

/* Which field holds each column, from the header line. */
static int read_header(char **fields, size_t n, int *index)
{
    for (size_t c = 0; c < COL_COUNT; c++) {
        index[c] = -1;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(fields[i], column_names[c]) == 0)
                index[c] = (int)i;
        }
        if (index[c] < 0)
            return (int)c;
    }
    return -1;
}

static const char *read_row(char **fields, size_t n, const int *index, city *c)
{
    for (size_t k = 0; k < COL_COUNT; k++) {
        if ((size_t)index[k] >= n)
            return "too few fields";
    }
    memset(c, 0, sizeof *c);
    if (strlen(fields[index[COL_NAME]]) >= sizeof c->name || fields[index[COL_NAME]][0] == '\0')
        return "the name is empty or too long";
    if (strlen(fields[index[COL_COUNTRY]]) >= sizeof c->country)
        return "the country code is too long";
    strcpy(c->name, fields[index[COL_NAME]]);
    strcpy(c->country, fields[index[COL_COUNTRY]]);
    double pop;
    if (!parse_double(fields[index[COL_LAT]], &c->lat) || c->lat < -90 || c->lat > 90)
        return "lat is not a latitude";
    if (!parse_double(fields[index[COL_LON]], &c->lon) || c->lon < -180 || c->lon > 180)
        return "lon is not a longitude";
    if (!parse_double(fields[index[COL_ELEVATION]], &c->elevation))
        return "elevation is not a number";
    if (!parse_double(fields[index[COL_POPULATION]], &pop) || pop < 0)
        return "population is not a count";
    c->population = (json_int_t)pop;
    return NULL;
}

int citylist_load(dapt_ctx *ctx, const char *target, city **out, size_t *count)
{
    char *path = data_path(ctx);
    if (path == NULL) {
        dapt_ctx_fail(ctx, "%s: cannot tell where the plugin's data folder is", target);
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        dapt_ctx_fail(ctx, "%s: cannot read %s: %s", target, path, strerror(errno));
        free(path);
        return -1;
    }
    city *list = NULL;
    size_t n = 0, cap = 0, lineno = 0;
    int index[COL_COUNT];
    bool header = false;
    const char *problem = NULL;
    char *line = NULL;
    size_t line_cap = 0;
    while (problem == NULL && getline(&line, &line_cap, f) >= 0) {
        lineno++;
        if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
            continue;
        char *fields[MAX_FIELDS];
        size_t nf = split_csv(line, fields);
        if (!header) {
            int missing = read_header(fields, nf, index);
            if (missing >= 0)
                problem = column_names[missing];
            header = true;
            if (problem) {
                dapt_ctx_fail(ctx, "%s: %s:%zu: the header has no column `%s`", target, path,
                              lineno, problem);
            }
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            city *grown = realloc(list, cap * sizeof *list);
            if (grown == NULL) {
                problem = "out of memory";
                util_oom(ctx, target);
                break;
            }
            list = grown;
        }
        if ((problem = read_row(fields, nf, index, &list[n])) != NULL)
            dapt_ctx_fail(ctx, "%s: %s:%zu: %s", target, path, lineno, problem);
        n++;
    }
    free(line);
    fclose(f);
    if (problem == NULL && n == 0) {
        problem = "no cities";
        dapt_ctx_fail(ctx, "%s: %s has no cities", target, path);
    }
    free(path);
    if (problem != NULL) {
        free(list);
        return -1;
    }
    *out = list;
    *count = n;
    return 0;
}

/* Edit distance, case-insensitive, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return (size_t)-1;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const city *find(const city *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(list[i].name, name) == 0)
            return &list[i];
    }
    return NULL;
}

static void fail_unknown(dapt_ctx *ctx, const char *target, const city *list, size_t n,
                         const char *name)
{
    const city *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = distance(name, list[i].name);
        if (d < best_d) {
            best_d = d;
            best = &list[i];
        }
    }
    size_t allowed = strlen(name) / 3 > 2 ? strlen(name) / 3 : 2;
    if (best != NULL && best_d <= allowed)
        dapt_ctx_fail(ctx, "%s: unknown city \"%s\" (did you mean \"%s\"?)", target, name,
                      best->name);
    else
        dapt_ctx_fail(ctx, "%s: unknown city \"%s\" (cities.stages.list shows the %zu known)",
                      target, name, n);
}

static int number_field(const json_t *obj, const char *key, double *out)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 0;
}

int citylist_resolve(dapt_ctx *ctx, const char *target, const json_t *value, city *out)
{
    if (json_is_string(value)) {
        city *list;
        size_t n;
        if (citylist_load(ctx, target, &list, &n) < 0)
            return -1;
        const city *c = find(list, n, json_string_value(value));
        if (c != NULL)
            *out = *c;
        else
            fail_unknown(ctx, target, list, n, json_string_value(value));
        free(list);
        return c ? 0 : -1;
    }
    const char *what = "a city: its name, or an object {name, lat, lon, elevation} as "
                       "cities.stages.list returns";
    const char *name = json_string_value(json_object_get(value, "name"));
    memset(out, 0, sizeof *out);
    if (!json_is_object(value) || name == NULL || strlen(name) >= sizeof out->name ||
        number_field(value, "lat", &out->lat) < 0 || number_field(value, "lon", &out->lon) < 0) {
        util_wrong(ctx, target, "city", what, value);
        return -1;
    }
    strcpy(out->name, name);
    const char *country = json_string_value(json_object_get(value, "country"));
    if (country != NULL && strlen(country) < sizeof out->country)
        strcpy(out->country, country);
    number_field(value, "elevation", &out->elevation); /* sea level when absent */
    out->population = json_integer_value(json_object_get(value, "population"));
    return 0;
}

json_t *citylist_to_json(const city *c)
{
    return json_pack("{s:s, s:s, s:f, s:f, s:f, s:I}", "name", c->name, "country", c->country,
                     "lat", c->lat, "lon", c->lon, "elevation", c->elevation, "population",
                     c->population);
}

/* ------------------------------------------------------------------ */
/* cities.stages.list                                                 */
/* ------------------------------------------------------------------ */

static const char list_target[] = "cities.stages.list";

/* The cities named in `names`, in that order; or every city. */
static int select_names(dapt_ctx *ctx, json_t *names, const city *all, size_t n, const city ***out,
                        size_t *count)
{
    size_t want = names ? json_array_size(names) : n;
    const city **sel = malloc((want ? want : 1) * sizeof *sel);
    if (sel == NULL) {
        util_oom(ctx, list_target);
        return -1;
    }
    for (size_t i = 0; i < want; i++) {
        if (names == NULL) {
            sel[i] = &all[i];
            continue;
        }
        const char *name = json_string_value(json_array_get(names, i));
        if (name == NULL || (sel[i] = find(all, n, name)) == NULL) {
            if (name == NULL)
                util_wrong(ctx, list_target, "names", "a list of city names", names);
            else
                fail_unknown(ctx, list_target, all, n, name);
            free(sel);
            return -1;
        }
    }
    *out = sel;
    *count = want;
    return 0;
}

json_t *citylist_stage(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    json_t *country = json_object_get(kwargs, "country");
    json_t *names = json_object_get(kwargs, "names");
    json_int_t limit;
    if (country != NULL && !json_is_string(country) && !json_is_null(country))
        return util_wrong(ctx, list_target, "country", "a country code such as \"US\"", country);
    if (names != NULL && !json_is_array(names) && !json_is_null(names))
        return util_wrong(ctx, list_target, "names", "a list of city names", names);
    if (util_int(ctx, list_target, kwargs, "limit", 0, 0, 100000, &limit) < 0)
        return NULL;

    city *all;
    size_t n;
    if (citylist_load(ctx, list_target, &all, &n) < 0)
        return NULL;
    const city **sel;
    size_t count;
    if (select_names(ctx, json_is_array(names) ? names : NULL, all, n, &sel, &count) < 0) {
        free(all);
        return NULL;
    }
    json_t *out = json_array();
    for (size_t i = 0; out != NULL && i < count; i++) {
        if (json_is_string(country) && strcasecmp(sel[i]->country, json_string_value(country)))
            continue;
        if (limit > 0 && json_array_size(out) >= (size_t)limit)
            break;
        if (json_array_append_new(out, citylist_to_json(sel[i])) < 0) {
            json_decref(out);
            out = NULL;
        }
    }
    free(sel);
    free(all);
    if (out == NULL)
        return util_oom(ctx, list_target);
    dapt_ctx_log(ctx, DAPT_LOG_INFO, "%zu of %zu cities selected", json_array_size(out), n);
    return out;
}
