/*
 * cmd-runs.c - `dapt runs list|show ID|logs ID`: the run history of the
 * workspace, read from its run store (.dapt/dapt.db, engine/store.c).
 *
 * A workspace without a store has no runs: `list` prints nothing (with
 * --json, []), and nothing is created.  Run ids may be given by any
 * unique prefix.  Times are local, as "2026-11-25 10:37:43"; durations
 * as "850ms", "1.2s", "3m04s", "1h02m".
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"

/* `logs` reads this many lines at a time (memory stays flat for a run of
 * millions of lines) and, following a run, looks again this often. */
#define LOGS_PAGE 1000
/* With --grep each page runs the index search again: take bigger pages. */
#define LOGS_GREP_PAGE 100000
#define FOLLOW_POLL_MS 200

/* ------------------------------------------------------------------ */
/* Arguments                                                           */
/* ------------------------------------------------------------------ */

typedef struct runs_args {
    bool json;
    bool follow;
    bool definition;
    const char *id;
    const char *id2; /* `runs diff` */
    const char *workflow;
    const char *state;
    const char *stage;
    const char *grep;
    int limit;
} runs_args;

/* The options each subcommand takes: a flag sets a bool, the others take
 * a value. */
typedef enum opt_kind {
    OPT_JSON,
    OPT_FOLLOW,
    OPT_WORKFLOW,
    OPT_STATE,
    OPT_LIMIT,
    OPT_STAGE,
    OPT_GREP,
    OPT_DEFINITION
} opt_kind;

static const struct {
    const char *name;
    bool has_value;
} opts[] = {
    [OPT_JSON] = {"--json", false},        [OPT_FOLLOW] = {"--follow", false},
    [OPT_WORKFLOW] = {"--workflow", true}, [OPT_STATE] = {"--state", true},
    [OPT_LIMIT] = {"--limit", true},       [OPT_STAGE] = {"--stage", true},
    [OPT_GREP] = {"--grep", true},         [OPT_DEFINITION] = {"--definition", false},
};
#define OPT_COUNT (sizeof opts / sizeof opts[0])

typedef struct runs_sub {
    const char *name;
    int (*run)(runs_args *a);
    int wants_id; /* how many run ids */
    unsigned allowed; /* bits of opt_kind */
} runs_sub;

static int runs_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int runs_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    int rc = cli_usage(cli_find("runs"), "%s", msg);
    free(msg);
    return rc;
}

static int set_option(runs_args *a, opt_kind k, const char *value)
{
    switch (k) {
    case OPT_DEFINITION:
        a->definition = true;
        return CLI_OK;
    case OPT_JSON:
        a->json = true;
        break;
    case OPT_FOLLOW:
        a->follow = true;
        break;
    case OPT_WORKFLOW:
        a->workflow = value;
        break;
    case OPT_STATE:
        if (dapt_state_parse(value) < 0 || dapt_state_parse(value) == DAPT_STATE_SKIPPED)
            return runs_usage("--state: no state `%s` (pending, running, finished, failed, "
                              "cancelled, interrupted)",
                              value);
        a->state = value;
        break;
    case OPT_LIMIT: {
        char *end;
        errno = 0;
        long n = strtol(value, &end, 10);
        if (errno || *end || end == value || n <= 0 || n > 1000000000)
            return runs_usage("--limit wants a positive number, not `%s`", value);
        a->limit = (int)n;
        break;
    }
    case OPT_STAGE:
        a->stage = value;
        break;
    case OPT_GREP:
        a->grep = value;
        break;
    }
    return CLI_OK;
}

/* Options (also as --name=value) and the ID when the subcommand wants
 * one.  CLI_OK or a usage error (reported). */
static int parse_args(runs_args *a, const runs_sub *sub, int argc, char **argv)
{
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            if (a->id == NULL && sub->wants_id >= 1)
                a->id = arg;
            else if (a->id2 == NULL && sub->wants_id >= 2)
                a->id2 = arg;
            else
                return runs_usage("unexpected argument '%s'", arg);
            continue;
        }
        size_t k = 0, len = strcspn(arg, "=");
        while (k < OPT_COUNT && (strlen(opts[k].name) != len || strncmp(arg, opts[k].name, len)))
            k++;
        if (k == OPT_COUNT || !(sub->allowed & (1u << k)))
            return runs_usage("'runs %s' has no option '%.*s'", sub->name, (int)len, arg);
        const char *value = NULL;
        if (opts[k].has_value) {
            if (arg[len] == '=')
                value = arg + len + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return runs_usage("%s wants a value", opts[k].name);
        } else if (arg[len] == '=') {
            return runs_usage("%s takes no value", opts[k].name);
        }
        int rc = set_option(a, (opt_kind)k, value);
        if (rc != CLI_OK)
            return rc;
    }
    if (sub->wants_id && a->id == NULL)
        return runs_usage("'runs %s' needs the id of a run (see `dapt runs list`)", sub->name);
    if (sub->wants_id == 2 && a->id2 == NULL)
        return runs_usage("'runs %s' needs the ids of two runs (see `dapt runs list`)",
                          sub->name);
    return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* The store                                                           */
/* ------------------------------------------------------------------ */

/* The workspace's store, or NULL when it has none (*exists false) or it
 * cannot be opened (reported; *exists true). */
static store *open_store(bool *exists)
{
    const char *ws = cli_workspace();
    char *db = strcmp(ws, ".") == 0 ? xstrdup(".dapt/dapt.db") : xasprintf("%s/.dapt/dapt.db", ws);
    struct stat sb;
    *exists = lstat(db, &sb) == 0; /* a link is refused by store_open */
    store *st = NULL;
    char *error = NULL;
    if (*exists && store_open(&st, ws, &error) < 0) {
        fprintf(stderr, "dapt: %s\n", error);
        free(error);
    }
    free(db);
    return st;
}

/* The record of run `id` (a unique prefix will do), or NULL after saying
 * why. */
static json_t *find_run(store *st, const char *id)
{
    json_t *rec = NULL;
    char *error = NULL;
    if (st == NULL) {
        const char *ws = cli_workspace();
        fprintf(stderr, "dapt: no run `%s` in %s%s.dapt/dapt.db\n", id, strcmp(ws, ".") ? ws : "",
                strcmp(ws, ".") ? "/" : "");
        return NULL;
    }
    if (store_get_run(st, &rec, id, &error) < 0) {
        fprintf(stderr, "dapt: %s\n", error);
        free(error);
        return NULL;
    }
    return rec;
}

/* ------------------------------------------------------------------ */
/* Formats                                                             */
/* ------------------------------------------------------------------ */

static const char *text_of(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s && *s ? s : "-";
}

/* "2026-11-25 10:37:43" in local time, or "-". */
static void format_time(char *buf, size_t size, const json_t *v)
{
    int64_t us;
    struct tm tm;
    time_t t;
    snprintf(buf, size, "-");
    if (store_parse_time(v, &us) < 0)
        return;
    t = (time_t)(us / 1000000);
    if (localtime_r(&t, &tm) != NULL)
        strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static void format_duration(char *buf, size_t size, int64_t us)
{
    if (us < 0)
        us = 0;
    int64_t s = us / 1000000;
    if (us < 1000000)
        snprintf(buf, size, "%dms", (int)(us / 1000));
    else if (s < 60)
        snprintf(buf, size, "%.1fs", (double)us / 1e6);
    else if (s < 3600)
        snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)(s % 60));
    else
        snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)(s % 3600 / 60));
}

/* How long a run or stage took (so far, when it still runs), or "-". */
static void format_span(char *buf, size_t size, const json_t *obj)
{
    int64_t from, to;
    const char *state = json_string_value(json_object_get(obj, "state"));
    snprintf(buf, size, "-");
    if (store_parse_time(json_object_get(obj, "started_at"), &from) < 0)
        return;
    if (store_parse_time(json_object_get(obj, "finished_at"), &to) < 0) {
        if (state == NULL || strcmp(state, "running") != 0)
            return;
        to = clock_now_us();
    }
    format_duration(buf, size, to - from);
}

static void print_json(json_t *value)
{
    char *text = json_dumps(value, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (text) {
        printf("%s\n", text);
        free(text);
    }
}

/* A table: rows of cells, printed with columns as wide as their widest
 * cell (the last column is not padded). */
typedef struct table {
    size_t ncols;
    char **cells; /* row-major */
    size_t nrows;
} table;

static void table_add(table *t, const char *const *row)
{
    t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols, sizeof *t->cells);
    for (size_t c = 0; c < t->ncols; c++)
        t->cells[t->nrows * t->ncols + c] = cli_escape(row[c]);
    t->nrows++;
}

/* Display width of UTF-8 text, counting each code point as one column. */
static size_t text_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void table_print(table *t)
{
    size_t *width = xcalloc(t->ncols, sizeof *width);
    for (size_t i = 0; i < t->nrows * t->ncols; i++) {
        size_t w = text_width(t->cells[i]);
        if (w > width[i % t->ncols])
            width[i % t->ncols] = w;
    }
    for (size_t r = 0; r < t->nrows; r++) {
        char **row = t->cells + r * t->ncols;
        size_t end = t->ncols; /* no padding after the last cell that has text */
        while (end > 1 && row[end - 1][0] == '\0')
            end--;
        for (size_t c = 0; c < end; c++) {
            if (c + 1 == end)
                printf("%s\n", row[c]);
            else
                printf("%s%*s", row[c], (int)(width[c] - text_width(row[c]) + 2), "");
        }
    }
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(width);
}

/* ------------------------------------------------------------------ */
/* list                                                                */
/* ------------------------------------------------------------------ */

static int runs_list(runs_args *a)
{
    bool exists;
    store *st = open_store(&exists);
    if (exists && st == NULL)
        return CLI_FAILED;
    json_t *runs = NULL;
    char *error = NULL;
    if (st == NULL) {
        runs = json_array();
    } else if (store_list_runs(st, &runs, a->workflow, a->state, a->limit, &error) < 0) {
        fprintf(stderr, "dapt: %s\n", error);
        free(error);
        store_close(st);
        return CLI_FAILED;
    }
    store_close(st);
    if (a->json) {
        print_json(runs);
    } else if (json_array_size(runs) > 0) {
        table t = {.ncols = 6};
        table_add(&t, (const char *[]){"ID", "WORKFLOW", "STATE", "STARTED", "DURATION", "SOURCE"});
        size_t i;
        json_t *run;
        json_array_foreach(runs, i, run)
        {
            char started[40], took[40];
            format_time(started, sizeof started, json_object_get(run, "started_at"));
            format_span(took, sizeof took, run);
            table_add(&t, (const char *[]){text_of(run, "id"), text_of(run, "workflow"),
                                           text_of(run, "state"), started, took,
                                           text_of(run, "source")});
        }
        table_print(&t);
    }
    json_decref(runs);
    return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* show                                                                */
/* ------------------------------------------------------------------ */

static void field(const char *name, const char *value)
{
    char *v = cli_escape(value);
    printf("%-11s%s\n", name, v);
    free(v);
}

/* A JSON value on one line (strings as they are). */
static char *compact(const json_t *v)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    return s ? s : xstrdup("?");
}

/* Whether a stage record is a parameterized stage's (records made before
 * stages had a `type` gave items to those only). */
static bool stage_is_map(const json_t *s)
{
    const char *type = json_string_value(json_object_get(s, "type"));
    return type ? strcmp(type, "parameterized") == 0 : json_is_object(json_object_get(s, "items"));
}

static void items_cell(char *buf, size_t size, const json_t *items)
{
    if (!json_is_object(items)) {
        snprintf(buf, size, "-");
        return;
    }
    json_int_t total = json_integer_value(json_object_get(items, "total"));
    json_int_t ok = json_integer_value(json_object_get(items, "ok"));
    json_int_t failed = json_integer_value(json_object_get(items, "failed"));
    int n = snprintf(buf, size, "%lld/%lld", (long long)ok, (long long)total);
    if (failed > 0 && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, ", %lld failed", (long long)failed);
}

static void print_stages(const json_t *stages)
{
    if (json_array_size(stages) == 0)
        return;
    table t = {.ncols = 7};
    table_add(&t, (const char *[]){"STAGE", "STATE", "ATTEMPTS", "ITEMS", "STARTED", "DURATION",
                                   "ERROR"});
    size_t i;
    json_t *s;
    json_array_foreach(stages, i, s)
    {
        char started[40], took[40], items[80], attempts[24];
        format_time(started, sizeof started, json_object_get(s, "started_at"));
        format_span(took, sizeof took, s);
        /* a simple stage's one call is not worth a column of 1/1 */
        items_cell(items, sizeof items, stage_is_map(s) ? json_object_get(s, "items") : NULL);
        json_t *att = json_object_get(s, "attempts");
        if (json_is_integer(att) && json_integer_value(att) > 0)
            snprintf(attempts, sizeof attempts, "%lld", (long long)json_integer_value(att));
        else
            snprintf(attempts, sizeof attempts, "-");
        const char *error = json_string_value(json_object_get(s, "error"));
        /* A table row is one line: a multi-line error shows its first. */
        char *err = xstrndup(error ? error : "", error ? strcspn(error, "\n") : 0);
        table_add(&t, (const char *[]){text_of(s, "name"), text_of(s, "state"), attempts, items,
                                       started, took, err});
        free(err);
    }
    printf("\n");
    table_print(&t);
}


static int runs_show(runs_args *a)
{
    bool exists;
    store *st = open_store(&exists);
    if (exists && st == NULL)
        return CLI_FAILED;
    json_t *rec = find_run(st, a->id);
    store_close(st);
    if (rec == NULL)
        return CLI_FAILED;
    if (a->definition) {
        char *error = NULL, *text = workspace_run_definition(cli_workspace(), rec, &error);
        if (text == NULL) {
            fprintf(stderr, "dapt: run %s: %s\n", text_of(rec, "id"), error);
            free(error);
            json_decref(rec);
            return CLI_FAILED;
        }
        fputs(text, stdout);
        free(text);
        json_decref(rec);
        return CLI_OK;
    }
    if (a->json) {
        print_json(rec);
        json_decref(rec);
        return CLI_OK;
    }
    char started[40], finished[40], took[40], line[120];
    format_time(started, sizeof started, json_object_get(rec, "started_at"));
    format_time(finished, sizeof finished, json_object_get(rec, "finished_at"));
    format_span(took, sizeof took, rec);
    field("run", text_of(rec, "id"));
    field("workflow", text_of(rec, "workflow"));
    if (json_string_value(json_object_get(rec, "file")))
        field("file", text_of(rec, "file"));
    field("state", text_of(rec, "state"));
    field("source", text_of(rec, "source"));
    field("started", started);
    if (strcmp(finished, "-") != 0) {
        snprintf(line, sizeof line, "%s (%s)", finished, took);
        field("finished", line);
    } else if (strcmp(took, "-") != 0) {
        snprintf(line, sizeof line, "- (running for %s)", took);
        field("finished", line);
    }
    field("commit", text_of(rec, "commit"));
    json_t *prov = json_object_get(rec, "provenance");
    if (json_is_object(prov)) {
        json_t *wf = json_object_get(prov, "workflow");
        const char *blob = text_of(wf, "blob");
        snprintf(line, sizeof line, "%s, blob %.7s%s", text_of(wf, "path"), blob,
                 json_is_true(json_object_get(wf, "dirty"))
                     ? " (changes not committed: the text it ran is kept)"
                     : "");
        field("definition", line);
        json_t *configs = json_object_get(prov, "configs");
        for (size_t i = 0; i < json_array_size(configs); i++) {
            json_t *c = json_array_get(configs, i);
            snprintf(line, sizeof line, "%s, blob %.7s%s", text_of(c, "path"), text_of(c, "blob"),
                     json_is_true(json_object_get(c, "dirty")) ? " (changes not committed)" : "");
            field(i == 0 ? "configs" : "", line);
        }
    }
    /* What else the engine recorded, as it is (namespace, executor,
     * input...); the error and the result last. */
    static const char *const shown[] = {"id",     "workflow",   "file",        "state",
                                        "source", "started_at", "finished_at", "commit",
                                        "result", "error",      "stages", "provenance"};
    const char *key;
    json_t *v;
    json_object_foreach(rec, key, v)
    {
        bool done = json_is_null(v) || (json_is_object(v) && json_object_size(v) == 0) ||
                    (json_is_array(v) && json_array_size(v) == 0);
        for (size_t i = 0; i < sizeof shown / sizeof shown[0] && !done; i++)
            done = strcmp(key, shown[i]) == 0;
        if (!done) {
            char *s = compact(v);
            field(key, s);
            free(s);
        }
    }
    json_t *error = json_object_get(rec, "error");
    if (error && !json_is_null(error)) {
        char *s = compact(error);
        printf("%-11s%s\n", "error", s); /* a message, not a name: as it is */
        free(s);
    }
    json_t *result = json_object_get(rec, "result");
    if (result && (!json_is_null(result) || strcmp(text_of(rec, "state"), "finished") == 0)) {
        char *s = compact(result);
        printf("%-11s%s\n", "result", s);
        free(s);
    }
    print_stages(json_object_get(rec, "stages"));
    json_decref(rec);
    return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* logs                                                                */
/* ------------------------------------------------------------------ */

typedef struct logs_out {
    bool json;
    bool first; /* JSON: no line printed yet */
    int width;  /* of the stage column */
} logs_out;

static void print_line(logs_out *o, json_t *l)
{
    if (o->json) {
        char *s = json_dumps(l, JSON_COMPACT);
        printf("%s%s", o->first ? "\n" : ",\n", s ? s : "{}");
        free(s);
        o->first = false;
        return;
    }
    /* As `dapt run` prints them: the stage (#item), or dapt for the run's
     * own lines. */
    char prefix[200];
    char *stage = json_is_string(json_object_get(l, "stage"))
                      ? cli_escape(json_string_value(json_object_get(l, "stage")))
                      : NULL;
    json_t *item = json_object_get(l, "item");
    if (stage == NULL)
        snprintf(prefix, sizeof prefix, "dapt");
    else if (json_is_integer(item))
        snprintf(prefix, sizeof prefix, "%s#%lld", stage, (long long)json_integer_value(item));
    else
        snprintf(prefix, sizeof prefix, "%s", stage);
    free(stage);
    json_t *text = json_object_get(l, "text");
    printf("%-*s | ", o->width, prefix);
    fwrite(json_string_value(text), 1, json_string_length(text), stdout);
    putchar('\n');
}

/* Print the lines after *after; false after reporting an error. */
static bool print_new_lines(store *st, const char *id, runs_args *a, logs_out *o, int64_t *after)
{
    for (;;) {
        json_t *lines;
        int64_t last = *after;
        char *error = NULL;
        if (store_get_lines(st, &lines, id, a->stage, a->grep, *after,
                            a->grep ? LOGS_GREP_PAGE : LOGS_PAGE, &last, &error) <
            0) {
            fprintf(stderr, "dapt: %s\n", error);
            free(error);
            return false;
        }
        size_t i;
        json_t *l;
        json_array_foreach(lines, i, l) print_line(o, l);
        json_decref(lines);
        if (last <= *after)
            return true;
        *after = last;
    }
}

static bool run_terminal(const json_t *rec)
{
    int s = dapt_state_parse(json_string_value(json_object_get(rec, "state")));
    return s >= 0 && dapt_state_terminal((dapt_state)s);
}

/* As wide as `dapt run` makes it: the longest stage name, with room for
 * "#ITEM" after a parameterized stage's, at most 40. */
static int stage_width(const json_t *stages)
{
    size_t w = 4; /* "dapt" */
    size_t i;
    json_t *s;
    json_array_foreach(stages, i, s)
    {
        const char *name = json_string_value(json_object_get(s, "name"));
        size_t n = name ? text_width(name) : 0;
        if (stage_is_map(s))
            n += 4; /* "#ITEM" */
        if (n > w)
            w = n;
    }
    return w > 40 ? 40 : (int)w;
}

/* The stage `name` of the run, or an error naming its stages. */
static bool has_stage(const json_t *rec, const char *name)
{
    const json_t *stages = json_object_get(rec, "stages");
    size_t i;
    json_t *s;
    json_array_foreach(stages, i, s)
    {
        if (strcmp(text_of(s, "name"), name) == 0)
            return true;
    }
    strbuf sb = {0};
    json_array_foreach(stages, i, s) strbuf_printf(&sb, "%s%s", i ? ", " : "", text_of(s, "name"));
    fprintf(stderr, "dapt: run %s has no stage `%s` (its stages: %s)\n", text_of(rec, "id"), name,
            sb.buf ? sb.buf : "none");
    strbuf_free(&sb);
    return false;
}

static int runs_logs(runs_args *a)
{
    bool exists;
    store *st = open_store(&exists);
    if (exists && st == NULL)
        return CLI_FAILED;
    json_t *rec = find_run(st, a->id);
    if (rec == NULL || (a->stage && !has_stage(rec, a->stage))) {
        json_decref(rec);
        store_close(st);
        return CLI_FAILED;
    }
    char *id = xstrdup(text_of(rec, "id"));
    logs_out o = {
        .json = a->json, .first = true, .width = stage_width(json_object_get(rec, "stages"))};
    if (o.json)
        printf("[");
    int64_t after = 0;
    bool ok = true;
    for (;;) {
        /* The state first: lines are written before the state that ends
         * a run, so after a terminal state one more read gets them all. */
        bool done = !a->follow || run_terminal(rec);
        ok = print_new_lines(st, id, a, &o, &after);
        fflush(stdout);
        if (!ok || done)
            break;
        usleep(FOLLOW_POLL_MS * 1000);
        json_decref(rec);
        if ((rec = find_run(st, id)) == NULL) {
            ok = false;
            break;
        }
    }
    if (o.json)
        printf("%s]\n", o.first ? "" : "\n");
    json_decref(rec);
    free(id);
    store_close(st);
    return ok ? CLI_OK : CLI_FAILED;
}

/* ------------------------------------------------------------------ */

/* A definition as a workflow to compare (a version with errors still
 * loads what it can).  Free with dapt_bundle_free. */
static dapt_bundle *load_definition(const char *text, const char *name)
{
    dapt_bundle *b = NULL;
    dapt_diags diags = {0};
    dapt_load_buffer(&b, name, text, strlen(text), &diags);
    dapt_diags_free(&diags);
    return b;
}

/* `dapt runs diff ID1 ID2`: what changed between the definitions (stage by
 * stage, then line by line) and the configs of two runs. */
static int runs_diff(runs_args *a)
{
    bool exists;
    store *st = open_store(&exists);
    if (exists && st == NULL)
        return CLI_FAILED;
    json_t *r1 = find_run(st, a->id);
    json_t *r2 = r1 ? find_run(st, a->id2) : NULL;
    store_close(st);
    char *error = NULL, *t1 = NULL, *t2 = NULL;
    int rc = CLI_FAILED;
    const char *ws = cli_workspace();
    if (r1 && r2 && (t1 = workspace_run_definition(ws, r1, &error)) &&
        (t2 = workspace_run_definition(ws, r2, &error))) {
        char l1[64], l2[64];
        snprintf(l1, sizeof l1, "run %s", text_of(r1, "id"));
        snprintf(l2, sizeof l2, "run %s", text_of(r2, "id"));
        dapt_bundle *b1 = load_definition(t1, l1);
        dapt_bundle *b2 = load_definition(t2, l2);
        stagediff d;
        stagediff_compute(&d, dapt_bundle_workflow(b1), dapt_bundle_workflow(b2));
        char *stages = stagediff_text(&d);
        char *lines = textdiff_unified(t1, t2, l1, l2);
        printf("definition: %s\n", *lines ? "changed" : "the same");
        fputs(stages, stdout);
        fputs(lines, stdout);
        /* configs: by path, blob against blob */
        json_t *c1 = json_object_get(json_object_get(r1, "provenance"), "configs");
        json_t *c2 = json_object_get(json_object_get(r2, "provenance"), "configs");
        for (size_t i = 0; i < json_array_size(c2); i++) {
            json_t *c = json_array_get(c2, i), *before = NULL;
            for (size_t k = 0; k < json_array_size(c1); k++)
                if (strcmp(text_of(json_array_get(c1, k), "path"), text_of(c, "path")) == 0)
                    before = json_array_get(c1, k);
            if (before == NULL)
                printf("config %s: applied only to %s\n", text_of(c, "path"), l2);
            else if (strcmp(text_of(before, "blob"), text_of(c, "blob")) != 0)
                printf("config %s: changed (blob %.7s -> %.7s)\n", text_of(c, "path"),
                       text_of(before, "blob"), text_of(c, "blob"));
        }
        for (size_t k = 0; k < json_array_size(c1); k++) {
            json_t *c = json_array_get(c1, k);
            bool still = false;
            for (size_t i = 0; i < json_array_size(c2); i++)
                still |= strcmp(text_of(json_array_get(c2, i), "path"), text_of(c, "path")) == 0;
            if (!still)
                printf("config %s: applied only to %s\n", text_of(c, "path"), l1);
        }
        free(stages);
        free(lines);
        stagediff_free(&d);
        dapt_bundle_free(b1);
        dapt_bundle_free(b2);
        rc = CLI_OK;
    } else if (error) {
        fprintf(stderr, "dapt: %s\n", error);
    }
    free(error);
    free(t1);
    free(t2);
    json_decref(r1);
    json_decref(r2);
    return rc;
}

#define BIT(k) (1u << (k))

static const runs_sub subs[] = {
    {"list", runs_list, 0, BIT(OPT_JSON) | BIT(OPT_WORKFLOW) | BIT(OPT_STATE) | BIT(OPT_LIMIT)},
    {"show", runs_show, 1, BIT(OPT_JSON) | BIT(OPT_DEFINITION)},
    {"logs", runs_logs, 1, BIT(OPT_JSON) | BIT(OPT_FOLLOW) | BIT(OPT_STAGE) | BIT(OPT_GREP)},
    {"diff", runs_diff, 2, 0},
};

int cmd_runs(int argc, char **argv)
{
    if (argc < 2)
        return runs_usage("'runs' needs a subcommand: list, show, logs or diff");
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (strcmp(argv[1], subs[i].name) != 0)
            continue;
        runs_args a = {0};
        int rc = parse_args(&a, &subs[i], argc - 1, argv + 1);
        return rc == CLI_OK ? subs[i].run(&a) : rc;
    }
    return runs_usage("no subcommand '%s' (list, show, logs or diff)", argv[1]);
}
