/*
 * stagediff.c - what changed between two versions of a workflow, stage by
 * stage: for `dapt diff --stages`, apply's commit messages and `dapt runs
 * diff`.
 *
 * Stages are matched by name (the last definition of a name is the one
 * that counts, as in the graph), so moving a stage is no change.  A
 * changed stage lists its fields one by one, the maps (options, args,
 * resources.labels) key by key, as "FIELD: OLD -> NEW" with "(none)" for
 * a field that is not given.  The fields compared are the stage's
 * effective ones; when either side sets a field inside `options:` (which
 * overrides the stage's own), the options.KEY line says it, and the
 * field's own line is left out so one change is not shown twice.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* A value longer than this many characters is cut ("..." at the end). */
#define SHOWN_MAX 40
/* A commit message summary has at most this many phrases ("add a, b",
 * "change c (target)"), each naming at most this many stages. */
#define SUMMARY_PHRASES 4
#define SUMMARY_NAMES 4

/* ------------------------------------------------------------------ */
/* Field lists                                                         */
/* ------------------------------------------------------------------ */

typedef struct fieldlist {
    char **items;
    size_t count;
} fieldlist;

static void fields_add(fieldlist *fl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fields_add(fieldlist *fl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fl->items = xrealloc(fl->items, fl->count + 1, sizeof *fl->items);
    fl->items[fl->count++] = xvasprintf(fmt, ap);
    va_end(ap);
}

static void fields_free(char **items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(items[i]);
    free(items);
}

static char *cut(char *s);

/* Two long values that start alike: each from a little before where they
 * first differ (after "..."), so the change shows once they are cut. */
static void cut_pair(char **a, char **b)
{
    size_t same = 0;
    while ((*a)[same] != '\0' && (*a)[same] == (*b)[same])
        same++;
    if (same < SHOWN_MAX - 10)
        return;
    size_t from = same - 10;
    while (from > 0 && ((unsigned char)(*a)[from] & 0xC0) == 0x80)
        from--; /* not inside a UTF-8 character */
    char *na = xasprintf("...%s", *a + from), *nb = xasprintf("...%s", *b + from);
    free(*a);
    free(*b);
    *a = na;
    *b = nb;
}

/* "FIELD: OLD -> NEW" (either may be NULL: "(none)"), both cut to
 * SHOWN_MAX characters.  Takes ownership of both. */
static void fields_set(fieldlist *fl, const char *field, char *old, char *new)
{
    if (old && new)
        cut_pair(&old, &new);
    if (old)
        old = cut(old);
    if (new)
        new = cut(new);
    fields_add(fl, "%s: %s -> %s", field, old ? old : "(none)", new ? new : "(none)");
    free(old);
    free(new);
}

/* The same when the two texts differ (values shown in full). */
static void fields_change(fieldlist *fl, const char *field, char *old, char *new)
{
    bool differ = (old == NULL) != (new == NULL) || (old != NULL && strcmp(old, new) != 0);
    if (differ) {
        fields_set(fl, field, old, new);
        return;
    }
    free(old);
    free(new);
}

/* ------------------------------------------------------------------ */
/* Values as text                                                      */
/* ------------------------------------------------------------------ */

/* Cut `s` (owned) to SHOWN_MAX characters (UTF-8 code points), the last
 * three of them "..." when cut. */
static char *cut(char *s)
{
    size_t chars = 0, keep = 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (((unsigned char)s[i] & 0xC0) == 0x80)
            continue;
        if (chars == SHOWN_MAX - 3)
            keep = i;
        if (++chars > SHOWN_MAX) {
            strcpy(s + keep, "...");
            return s;
        }
    }
    return s;
}

/* A JSON value as compact JSON (fields_set cuts it); NULL for NULL (not
 * given). */
static char *json_shown(const json_t *v)
{
    if (v == NULL)
        return NULL;
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (text == NULL)
        return xstrdup("?");
    char *s = xstrdup(text);
    free(text);
    return s;
}

/* A name-like string field, in full; "" (not given) is NULL. */
static char *str_shown(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

/* A free text (description) as a quoted JSON string, so that spaces and
 * line breaks show. */
static char *text_shown(const char *s)
{
    if (s == NULL || *s == '\0')
        return NULL;
    json_t *j = json_string(s);
    char *r = j ? json_shown(j) : xstrdup("?");
    json_decref(j);
    return r;
}

static char *number_shown(double v)
{
    return v != 0 ? xasprintf("%.15g", v) : NULL;
}

/* Bytes the way they are written: the largest binary or decimal unit
 * that divides them ("512MiB", "8GB", "1500B"). */
static char *bytes_shown(int64_t n)
{
    static const struct {
        const char *unit;
        int64_t size;
    } units[] = {
        {"PiB", INT64_C(1) << 50}, {"PB", INT64_C(1000000000000000)},
        {"TiB", INT64_C(1) << 40}, {"TB", INT64_C(1000000000000)},
        {"GiB", INT64_C(1) << 30}, {"GB", INT64_C(1000000000)},
        {"MiB", INT64_C(1) << 20}, {"MB", INT64_C(1000000)},
        {"KiB", INT64_C(1) << 10}, {"kB", INT64_C(1000)},
    };
    if (n < 0)
        return NULL;
    for (size_t i = 0; i < sizeof units / sizeof units[0] && n > 0; i++) {
        if (n % units[i].size == 0)
            return xasprintf("%" PRId64 "%s", n / units[i].size, units[i].unit);
    }
    return xasprintf("%" PRId64 "B", n);
}

/* Milliseconds the way they are written: "30s", "2h30m", "1s500ms";
 * 0 (not given) is NULL. */
static char *duration_shown(int64_t ms)
{
    static const struct {
        const char *unit;
        int64_t size;
    } units[] = {
        {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1},
    };
    if (ms <= 0)
        return NULL;
    strbuf sb = {0};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ms >= units[i].size) {
            strbuf_printf(&sb, "%" PRId64 "%s", ms / units[i].size, units[i].unit);
            ms %= units[i].size;
        }
    }
    return strbuf_detach(&sb);
}

static char *list_shown(char *const *items, size_t count)
{
    strbuf sb = {0};
    strbuf_putc(&sb, '[');
    for (size_t i = 0; i < count; i++)
        strbuf_printf(&sb, "%s%s", i ? ", " : "", items[i]);
    strbuf_putc(&sb, ']');
    return strbuf_detach(&sb);
}

/* A resource label's amount (a real): "2", not "2.0". */
static char *label_shown(const json_t *v)
{
    return v ? xasprintf("%.15g", json_number_value(v)) : NULL;
}

/* Two objects key by key, "PREFIX.KEY: OLD -> NEW" (values as `shown`
 * makes them): the keys of `b` in its order, then those only `a` has. */
static void map_changes_as(fieldlist *fl, const char *prefix, const json_t *a, const json_t *b,
                           char *(*shown)(const json_t *))
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)b, key, v)
    {
        json_t *old = json_object_get(a, key);
        if (old == NULL || !json_equal(old, v)) {
            char *field = xasprintf("%s.%s", prefix, key);
            fields_set(fl, field, shown(old), shown(v));
            free(field);
        }
    }
    json_object_foreach((json_t *)a, key, v)
    {
        if (json_object_get(b, key) == NULL) {
            char *field = xasprintf("%s.%s", prefix, key);
            fields_set(fl, field, shown(v), NULL);
            free(field);
        }
    }
}

static void map_changes(fieldlist *fl, const char *prefix, const json_t *a, const json_t *b)
{
    map_changes_as(fl, prefix, a, b, json_shown);
}

/* ------------------------------------------------------------------ */
/* Stage fields                                                        */
/* ------------------------------------------------------------------ */

typedef void (*field_fn)(fieldlist *fl, const char *name, const dapt_stage *a, const dapt_stage *b);

static void field_target(fieldlist *fl, const char *name, const dapt_stage *a, const dapt_stage *b)
{
    fields_change(fl, name, str_shown(a->target), str_shown(b->target));
}

static void field_type(fieldlist *fl, const char *name, const dapt_stage *a, const dapt_stage *b)
{
    fields_change(fl, name, xstrdup(dapt_stage_type_name(a->type)),
                  xstrdup(dapt_stage_type_name(b->type)));
}

static void field_depends_on(fieldlist *fl, const char *name, const dapt_stage *a,
                             const dapt_stage *b)
{
    /* Order matters: dependency outputs are passed in depends_on order. */
    fields_change(fl, name, list_shown(a->depends_on, a->depends_count),
                  list_shown(b->depends_on, b->depends_count));
}

static void field_description(fieldlist *fl, const char *name, const dapt_stage *a,
                              const dapt_stage *b)
{
    if (strcmp(a->description, b->description) != 0)
        fields_set(fl, name, text_shown(a->description), text_shown(b->description));
}

static void field_version(fieldlist *fl, const char *name, const dapt_stage *a, const dapt_stage *b)
{
    fields_change(fl, name, str_shown(a->version), str_shown(b->version));
}

static void field_options(fieldlist *fl, const char *name, const dapt_stage *a, const dapt_stage *b)
{
    map_changes(fl, name, a->options, b->options);
}

static void field_args(fieldlist *fl, const char *name, const dapt_stage *a, const dapt_stage *b)
{
    map_changes(fl, name, a->args, b->args);
}

static void field_resources(fieldlist *fl, const char *name, const dapt_stage *a,
                            const dapt_stage *b)
{
    const dapt_resources *ra = &a->resources, *rb = &b->resources;
    if (ra->cpus != rb->cpus)
        fields_set(fl, "resources.cpus", number_shown(ra->cpus), number_shown(rb->cpus));
    if (ra->gpus != rb->gpus)
        fields_set(fl, "resources.gpus", number_shown(ra->gpus), number_shown(rb->gpus));
    if (ra->memory != rb->memory)
        fields_set(fl, "resources.memory", bytes_shown(ra->memory), bytes_shown(rb->memory));
    /* Custom labels are written beside cpus and gpus: resources.LABEL. */
    map_changes_as(fl, name, ra->labels, rb->labels, label_shown);
}

static void field_priority(fieldlist *fl, const char *name, const dapt_stage *a,
                           const dapt_stage *b)
{
    fields_change(fl, name, a->has_priority ? xasprintf("%" PRId64, a->priority) : NULL,
                  b->has_priority ? xasprintf("%" PRId64, b->priority) : NULL);
}

static void field_timeout(fieldlist *fl, const char *name, const dapt_stage *a, const dapt_stage *b)
{
    fields_change(fl, name, duration_shown(a->timeout_ms), duration_shown(b->timeout_ms));
}

static void field_retries(fieldlist *fl, const char *name, const dapt_stage *a, const dapt_stage *b)
{
    fields_change(fl, name, xasprintf("%d", a->retries), xasprintf("%d", b->retries));
}

static void field_retry_delay(fieldlist *fl, const char *name, const dapt_stage *a,
                              const dapt_stage *b)
{
    fields_change(fl, name, duration_shown(a->retry_delay_ms), duration_shown(b->retry_delay_ms));
}

static void field_map_on(fieldlist *fl, const char *name, const dapt_stage *a, const dapt_stage *b)
{
    fields_change(fl, name, str_shown(a->map_on), str_shown(b->map_on));
}

static void field_allow_partial(fieldlist *fl, const char *name, const dapt_stage *a,
                                const dapt_stage *b)
{
    fields_change(fl, name, xstrdup(a->allow_partial_failure ? "true" : "false"),
                  xstrdup(b->allow_partial_failure ? "true" : "false"));
}

/* The stage fields compared, in the order they are listed. */
static const struct stage_field_diff {
    const char *name;
    field_fn diff;
} stage_field_diffs[] = {
    {"target", field_target},
    {"type", field_type},
    {"depends_on", field_depends_on},
    {"description", field_description},
    {"version", field_version},
    {"options", field_options},
    {"args", field_args},
    {"resources", field_resources},
    {"priority", field_priority},
    {"timeout", field_timeout},
    {"retries", field_retries},
    {"retry_delay", field_retry_delay},
    {"map_on", field_map_on},
    {"allow_partial_failure", field_allow_partial},
};

static void stage_changes(fieldlist *fl, const dapt_stage *a, const dapt_stage *b)
{
    for (size_t i = 0; i < sizeof stage_field_diffs / sizeof stage_field_diffs[0]; i++) {
        const char *name = stage_field_diffs[i].name;
        /* Set in options on either side: its options.NAME line tells. */
        if (strcmp(name, "options") != 0 &&
            (json_object_get(a->options, name) || json_object_get(b->options, name)))
            continue;
        stage_field_diffs[i].diff(fl, name, a, b);
    }
}

/* ------------------------------------------------------------------ */
/* Matching stages by name                                             */
/* ------------------------------------------------------------------ */

typedef struct name_index {
    const char *name;
    size_t stage;
} name_index;

static int name_index_cmp(const void *x, const void *y)
{
    const name_index *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->stage < b->stage ? -1 : a->stage > b->stage);
}

/* The stages of `wf` sorted by name, one entry per name: its last
 * definition.  *count gets the number of names. */
static name_index *index_stages(const dapt_workflow *wf, size_t *count)
{
    *count = 0;
    if (wf == NULL || wf->stage_count == 0)
        return NULL;
    name_index *ix = xcalloc(wf->stage_count, sizeof *ix);
    for (size_t i = 0; i < wf->stage_count; i++)
        ix[i] = (name_index){wf->stages[i].name, i};
    qsort(ix, wf->stage_count, sizeof *ix, name_index_cmp);
    size_t n = 0;
    for (size_t i = 0; i < wf->stage_count; i++) {
        if (n > 0 && strcmp(ix[n - 1].name, ix[i].name) == 0)
            ix[n - 1] = ix[i]; /* sorted by index too: the later one wins */
        else
            ix[n++] = ix[i];
    }
    *count = n;
    return ix;
}

/* The stage named `name`, or NULL. */
static const dapt_stage *lookup(const dapt_workflow *wf, const name_index *ix, size_t count,
                                const char *name)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, ix[mid].name);
        if (c == 0)
            return &wf->stages[ix[mid].stage];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static void add_entry(stagediff *d, char op, const char *stage, fieldlist *fl)
{
    d->items = xrealloc(d->items, d->count + 1, sizeof *d->items);
    d->items[d->count++] = (stagediff_entry){
        .op = op,
        .stage = xstrdup(stage),
        .fields = fl ? fl->items : NULL,
        .nfields = fl ? fl->count : 0,
    };
}

/* An added or removed stage has one field, "target: T", for its line. */
static void add_whole(stagediff *d, char op, const dapt_stage *st)
{
    fieldlist fl = {0};
    fields_add(&fl, "target: %s", st->target[0] ? st->target : "(none)");
    add_entry(d, op, st->name, &fl);
}

static void workflow_changes(fieldlist *fl, const dapt_workflow *a, const dapt_workflow *b)
{
    fields_change(fl, "name", xstrdup(a->name), xstrdup(b->name));
    if (strcmp(a->description, b->description) != 0)
        fields_set(fl, "description", text_shown(a->description), text_shown(b->description));
    map_changes(fl, "annotations", a->annotations, b->annotations);
}

void stagediff_compute(stagediff *d, const dapt_workflow *a, const dapt_workflow *b)
{
    memset(d, 0, sizeof *d);
    size_t na, nb;
    name_index *ia = index_stages(a, &na), *ib = index_stages(b, &nb);

    for (size_t i = 0; b != NULL && i < b->stage_count; i++) {
        const dapt_stage *sb = &b->stages[i];
        if (lookup(b, ib, nb, sb->name) != sb)
            continue; /* redefined later: the later one is compared */
        const dapt_stage *sa = lookup(a, ia, na, sb->name);
        if (sa == NULL) {
            add_whole(d, '+', sb);
            continue;
        }
        fieldlist fl = {0};
        stage_changes(&fl, sa, sb);
        if (fl.count > 0)
            add_entry(d, '~', sb->name, &fl);
    }
    for (size_t i = 0; a != NULL && i < a->stage_count; i++) {
        const dapt_stage *sa = &a->stages[i];
        if (lookup(a, ia, na, sa->name) == sa && lookup(b, ib, nb, sa->name) == NULL)
            add_whole(d, '-', sa);
    }
    if (a != NULL && b != NULL) {
        fieldlist fl = {0};
        workflow_changes(&fl, a, b);
        d->workflow_fields = fl.items;
        d->nworkflow_fields = fl.count;
    }
    free(ia);
    free(ib);
}

void stagediff_free(stagediff *d)
{
    for (size_t i = 0; i < d->count; i++) {
        free(d->items[i].stage);
        fields_free(d->items[i].fields, d->items[i].nfields);
    }
    free(d->items);
    fields_free(d->workflow_fields, d->nworkflow_fields);
    memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------------ */
/* Text                                                                */
/* ------------------------------------------------------------------ */

static void join_fields(strbuf *sb, char *const *fields, size_t count)
{
    for (size_t i = 0; i < count; i++)
        strbuf_printf(sb, "%s%s", i ? "; " : "", fields[i]);
}

char *stagediff_text(const stagediff *d)
{
    strbuf sb = {0};
    if (d->nworkflow_fields > 0) {
        strbuf_puts(&sb, "~ workflow: ");
        join_fields(&sb, d->workflow_fields, d->nworkflow_fields);
        strbuf_putc(&sb, '\n');
    }
    for (size_t i = 0; i < d->count; i++) {
        const stagediff_entry *e = &d->items[i];
        if (e->op == '~') {
            strbuf_printf(&sb, "~ stage %s: ", e->stage);
            join_fields(&sb, e->fields, e->nfields);
            strbuf_putc(&sb, '\n');
        } else {
            const char *target = e->nfields > 0 ? e->fields[0] : "";
            if (strncmp(target, "target: ", 8) == 0)
                target += 8;
            strbuf_printf(&sb, "%c stage %s (%s)\n", e->op, e->stage, target);
        }
    }
    return strbuf_detach(&sb);
}

/* The field names of a '~' entry without repeats: "target, args". */
static void field_names(strbuf *sb, char *const *fields, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        size_t len = strcspn(fields[i], ".:");
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcspn(fields[k], ".:") == len && strncmp(fields[k], fields[i], len) == 0;
        if (!seen) {
            if (i > 0)
                strbuf_puts(sb, ", ");
            strbuf_add(sb, fields[i], len);
        }
    }
}

/* One phrase of a summary: a verb, the stages it applies to, and for
 * changes the fields ("change a, b (target)"). */
typedef struct phrase {
    char op;
    char *fields; /* '~': the field names; NULL otherwise */
    const char **stages;
    size_t count;
} phrase;

/* The phrase for an entry: the one with the same op (and fields), else a
 * new one at the end, so phrases come in the order of the diff. */
static phrase *phrase_for(phrase **list, size_t *n, const stagediff_entry *e)
{
    strbuf sb = {0};
    if (e->op == '~')
        field_names(&sb, e->fields, e->nfields);
    for (size_t i = 0; i < *n; i++) {
        phrase *p = &(*list)[i];
        if (p->op == e->op && (e->op != '~' || strcmp(p->fields, sb.buf) == 0)) {
            strbuf_free(&sb);
            return p;
        }
    }
    *list = xrealloc(*list, *n + 1, sizeof **list);
    phrase *p = &(*list)[(*n)++];
    *p = (phrase){.op = e->op, .fields = e->op == '~' ? strbuf_detach(&sb) : NULL};
    strbuf_free(&sb);
    return p;
}

static void phrase_print(strbuf *sb, const phrase *p)
{
    strbuf_puts(sb, p->op == '+' ? "add " : p->op == '-' ? "remove " : "change ");
    for (size_t i = 0; i < p->count && i < SUMMARY_NAMES; i++)
        strbuf_printf(sb, "%s%s", i ? ", " : "", p->stages[i]);
    if (p->count > SUMMARY_NAMES)
        strbuf_printf(sb, " and %zu more", p->count - SUMMARY_NAMES);
    if (p->op == '~')
        strbuf_printf(sb, " (%s)", p->fields);
}

char *stagediff_summary(const stagediff *d, const char *workflow)
{
    strbuf sb = {0};
    strbuf_printf(&sb, "workflow %s: ", workflow);
    if (d->count == 0 && d->nworkflow_fields == 0) {
        strbuf_puts(&sb, "no stage changes");
        return strbuf_detach(&sb);
    }
    if (d->nworkflow_fields > 0) {
        strbuf_puts(&sb, "change ");
        field_names(&sb, d->workflow_fields, d->nworkflow_fields);
    }
    phrase *list = NULL;
    size_t n = 0;
    /* Additions, then changes, then removals, each in the diff's order. */
    for (const char *op = "+~-"; *op; op++) {
        for (size_t i = 0; i < d->count; i++) {
            if (d->items[i].op != *op)
                continue;
            phrase *p = phrase_for(&list, &n, &d->items[i]);
            p->stages = xrealloc(p->stages, p->count + 1, sizeof *p->stages);
            p->stages[p->count++] = d->items[i].stage;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (i == SUMMARY_PHRASES) {
            size_t more = 0;
            for (size_t k = i; k < n; k++)
                more += list[k].count;
            strbuf_printf(&sb, ", and %zu more stage%s changed", more, more == 1 ? "" : "s");
            break;
        }
        if (i > 0 || d->nworkflow_fields > 0)
            strbuf_puts(&sb, ", ");
        phrase_print(&sb, &list[i]);
    }
    for (size_t i = 0; i < n; i++) {
        free(list[i].fields);
        free(list[i].stages);
    }
    free(list);
    return strbuf_detach(&sb);
}
