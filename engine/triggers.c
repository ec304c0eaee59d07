/*
 * triggers.c - the trigger rules of a workspace: every `kind:
 * trigger_rule` document of WORKSPACE/triggers/, checked against the
 * workspace (the workflow a rule runs exists, its action target is an
 * action of the catalog, its zone is known), with cron expressions parsed
 * and zones loaded, ready for the service (trigger-service.c) and for
 * `dapt triggers list`.
 *
 * A rule that has errors stays in the set with its `error`, so that lists
 * show it and say why it does not fire, instead of dropping it silently.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine.h"

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* One look at every workflow file of the workspace: the file whose
 * workflow is named `want` (*found, caller frees; NULL when none), and
 * when `names` is not NULL every workflow's name (for "did you mean";
 * free with fs_paths_free). */
static void workflow_scan(const char *workspace, const char *want, char **found, char ***names,
                          size_t *count)
{
    char *dir = xasprintf("%s/workflows", workspace);
    dapt_diags diags = {0};
    char **files;
    size_t nfiles;
    fs_yaml_files(&files, &nfiles, dir, &diags);
    *found = NULL;
    if (names != NULL) {
        *names = NULL;
        *count = 0;
    }
    for (size_t i = 0; i < nfiles && (names != NULL || *found == NULL); i++) {
        dapt_bundle *b = NULL;
        dapt_load_file(&b, files[i], &diags);
        const dapt_workflow *wf = dapt_bundle_workflow(b);
        if (wf != NULL && wf->name != NULL) {
            if (*found == NULL && strcmp(wf->name, want) == 0)
                *found = xstrdup(files[i]);
            if (names != NULL) {
                *names = xrealloc(*names, *count + 1, sizeof **names);
                (*names)[(*count)++] = xstrdup(wf->name);
            }
        }
        dapt_bundle_free(b);
    }
    dapt_diags_free(&diags); /* the workflows' own problems are not the rule's */
    fs_paths_free(files, nfiles);
    free(dir);
}

char *triggers_find_workflow(const char *workspace, const char *name)
{
    if (name == NULL || *name == '\0' || strchr(name, '/') != NULL)
        return NULL;
    char *path = fs_workflow_file(workspace, name);
    if (path == NULL) /* Flowdapt names a workflow by its metadata.name, whatever its file */
        workflow_scan(workspace, name, &path, NULL, NULL);
    return path;
}

static void check_workflow(const dapt_trigger *tr, const char *file, const char *workspace,
                           dapt_diags *diags, size_t *errors)
{
    const char *wf = json_string_value(json_object_get(tr->action_params, "workflow"));
    if (wf == NULL) {
        if (json_object_get(tr->action_params, "workflow") != NULL) {
            dapt_diags_add(diags, file, tr->workflow_pos, DAPT_SEV_ERROR,
                           "`parameters.workflow` must be the name of a workflow (a string)");
            (*errors)++;
        }
        return;
    }
    char *dir = xasprintf("%s/workflows", workspace);
    bool have_dir = is_dir(dir);
    free(dir);
    if (!have_dir) /* not in a workspace: nothing to check against */
        return;
    char *path = strchr(wf, '/') ? NULL : fs_workflow_file(workspace, wf);
    char **names = NULL;
    size_t n = 0;
    if (path == NULL && strchr(wf, '/') == NULL)
        workflow_scan(workspace, wf, &path, &names, &n);
    if (path != NULL) {
        free(path);
        fs_paths_free(names, n);
        return;
    }
    const char *near = suggest_closest(wf, (const char *const *)names, n);
    if (near != NULL)
        dapt_diags_add(diags, file, tr->workflow_pos, DAPT_SEV_ERROR,
                       "workflow `%s` does not exist in this workspace (did you mean `%s`?)", wf,
                       near);
    else
        dapt_diags_add(diags, file, tr->workflow_pos, DAPT_SEV_ERROR,
                       "workflow `%s` does not exist in this workspace: no workflows/%s.yaml and "
                       "no workflow of that name",
                       wf, wf);
    (*errors)++;
    fs_paths_free(names, n);
}

static const dapt_param_info *find_param(const dapt_target_info *t, const char *name)
{
    for (size_t i = 0; i < t->param_count; i++)
        if (strcmp(t->params[i].name, name) == 0)
            return &t->params[i];
    return NULL;
}

/* The rule's `parameters` against what the action takes: each a named
 * argument, `event` given by dapt. */
static void check_action_params(const dapt_trigger *tr, const dapt_target_info *t,
                                const char *file, dapt_diags *diags, size_t *errors)
{
    const char *key;
    json_t *value;
    json_object_foreach(tr->action_params, key, value)
    {
        (void)value;
        if (find_param(t, key) != NULL || (t->flags & DAPT_TARGET_KWARGS))
            continue;
        strbuf names = {0};
        for (size_t i = 0; i < t->param_count; i++)
            strbuf_printf(&names, "%s%s", i ? ", " : "", t->params[i].name);
        dapt_diags_add(diags, file, tr->target_pos, DAPT_SEV_ERROR,
                       "`%s` has no parameter `%s` (it takes %s)", t->target, key,
                       names.len ? names.buf : "none");
        strbuf_free(&names);
        (*errors)++;
    }
    for (size_t i = 0; i < t->param_count; i++) {
        const dapt_param_info *p = &t->params[i];
        if (p->required && strcmp(p->name, "event") != 0 &&
            json_object_get(tr->action_params, p->name) == NULL) {
            dapt_diags_add(diags, file, tr->target_pos, DAPT_SEV_ERROR,
                           "`%s` requires `%s`: add it to the action's `parameters`", t->target,
                           p->name);
            (*errors)++;
        }
    }
}

static void check_action_target(const dapt_trigger *tr, const char *file,
                                const dapt_registry *reg, dapt_diags *diags, size_t *errors)
{
    if (reg == NULL || strchr(tr->action_target, '.') == NULL)
        return;
    const dapt_target_info *t;
    char *err = NULL;
    if (dapt_registry_resolve(reg, tr->action_target, &t, &err) < 0) {
        dapt_diags_add(diags, file, tr->target_pos, DAPT_SEV_ERROR, "%s", err);
        free(err);
        (*errors)++;
    } else if (t->kind != DAPT_TARGET_ACTION) {
        dapt_diags_add(diags, file, tr->target_pos, DAPT_SEV_ERROR,
                       "`%s` is of kind %s, not an action: a rule's action is run_workflow, "
                       "print_event or a plugin target of kind action",
                       t->target, dapt_target_kind_name(t->kind));
        (*errors)++;
    } else {
        check_action_params(tr, t, file, diags, errors);
    }
}

size_t triggers_check_bundle(const dapt_bundle *bundle, const char *workspace,
                             const dapt_registry *reg, dapt_diags *diags)
{
    size_t errors = 0;
    for (size_t i = 0; bundle != NULL && i < bundle->count; i++) {
        const dapt_resource *res = &bundle->items[i];
        if (res->kind != DAPT_KIND_TRIGGER_RULE || res->u.trigger == NULL)
            continue;
        const dapt_trigger *tr = res->u.trigger;
        if (tr->timezone != NULL) {
            tzone *tz = NULL;
            char *err = NULL;
            if (tzone_load(&tz, tr->timezone, &err) < 0) {
                dapt_diags_add(diags, res->file, tr->timezone_pos, DAPT_SEV_ERROR, "%s", err);
                free(err);
                errors++;
            }
            tzone_free(tz);
        }
        if (strcmp(tr->action_target, "run_workflow") == 0 && workspace != NULL)
            check_workflow(tr, res->file, workspace, diags, &errors);
        check_action_target(tr, res->file, reg, diags, &errors);
    }
    return errors;
}

/* The first error reported for this document of `file`, or NULL. */
static const dapt_diag *first_error(const dapt_diags *diags, size_t from, const char *file,
                                    int doc_line, int next_line)
{
    for (size_t i = from; i < diags->count; i++) {
        const dapt_diag *d = &diags->items[i];
        if (d->severity == DAPT_SEV_ERROR && strcmp(d->file, file) == 0 &&
            d->pos.line >= doc_line && (next_line <= 0 || d->pos.line < next_line))
            return d;
    }
    return NULL;
}

static void rule_prepare(trigger_rule *r, const dapt_trigger *tr)
{
    if (tr->type == DAPT_TRIGGER_SCHEDULE) {
        size_t n = json_array_size(tr->rule);
        r->crons = xcalloc(n ? n : 1, sizeof *r->crons);
        for (size_t i = 0; i < n; i++) {
            char *err = NULL;
            const char *text = json_string_value(json_array_get(tr->rule, i));
            if (text != NULL && cron_parse(&r->crons[r->ncrons], text, &err) == 0)
                r->ncrons++;
            free(err); /* the loader said it */
        }
    }
    if (tr->timezone != NULL) {
        char *err = NULL;
        if (tzone_load(&r->tz, tr->timezone, &err) < 0 && r->error == NULL)
            r->error = err;
        else
            free(err);
    }
}

static void set_add_rule(triggers *set, const dapt_resource *res, const dapt_diag *err)
{
    const dapt_trigger *tr = res->u.trigger;
    const char *name = tr->name ? tr->name : "";
    /* its file, copied: growing the array below moves the rules */
    const trigger_rule *first = triggers_find(set, name);
    char *dup_file = first ? xstrdup(first->file) : NULL;
    set->rules = xrealloc(set->rules, set->count + 1, sizeof *set->rules);
    trigger_rule *r = &set->rules[set->count++];
    memset(r, 0, sizeof *r);
    r->name = xstrdup(name);
    r->file = xstrdup(res->file);
    r->tr = tr;
    if (err != NULL)
        r->error = xasprintf("%s:%d:%d: %s", err->file, err->pos.line, err->pos.column,
                             err->message);
    else if (dup_file != NULL)
        r->error = xasprintf("%s:%d:%d: a rule named `%s` is also in %s: rule names must be "
                             "unique",
                             res->file, res->pos.line, res->pos.column, name, dup_file);
    free(dup_file);
    rule_prepare(r, tr);
}

triggers *triggers_load(const char *workspace, const dapt_registry *reg, dapt_diags *diags)
{
    triggers *set = xcalloc(1, sizeof *set);
    set->workspace = xstrdup(workspace);
    char *dir = xasprintf("%s/triggers", workspace);
    char **files;
    size_t n;
    fs_yaml_files(&files, &n, dir, diags); /* an unreadable folder is said there */
    for (size_t i = 0; i < n; i++) {
        const char *path = files[i];
        size_t from = diags->count;
        dapt_bundle *b = NULL;
        dapt_load_file(&b, path, diags);
        if (b != NULL)
            triggers_check_bundle(b, workspace, reg, diags);
        for (size_t k = 0; b != NULL && k < b->count; k++) {
            const dapt_resource *res = &b->items[k];
            if (res->kind != DAPT_KIND_TRIGGER_RULE || res->u.trigger == NULL)
                continue;
            int next = k + 1 < b->count ? b->items[k + 1].pos.line : 0;
            set_add_rule(set, res, first_error(diags, from, path, res->pos.line, next));
        }
        if (b != NULL) {
            set->bundles = xrealloc(set->bundles, set->nbundles + 1, sizeof *set->bundles);
            set->bundles[set->nbundles++] = b;
        }
    }
    fs_paths_free(files, n);
    free(dir);
    return set;
}

void triggers_free(triggers *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->count; i++) {
        trigger_rule *r = &set->rules[i];
        free(r->name);
        free(r->file);
        free(r->crons);
        tzone_free(r->tz);
        free(r->error);
    }
    free(set->rules);
    for (size_t i = 0; i < set->nbundles; i++)
        dapt_bundle_free(set->bundles[i]);
    free(set->bundles);
    free(set->workspace);
    free(set);
}

trigger_rule *triggers_find(triggers *set, const char *name)
{
    for (size_t i = 0; set != NULL && i < set->count; i++)
        if (strcmp(set->rules[i].name, name) == 0)
            return &set->rules[i];
    return NULL;
}

int64_t trigger_rule_next(const trigger_rule *r, int64_t now)
{
    int64_t best = INT64_MAX;
    for (size_t i = 0; i < r->ncrons; i++) {
        int64_t t = cron_next(&r->crons[i], now, r->tz);
        if (t < best)
            best = t;
    }
    return best;
}

int64_t trigger_rule_prev(const trigger_rule *r, int64_t now)
{
    int64_t best = INT64_MIN;
    for (size_t i = 0; i < r->ncrons; i++) {
        int64_t t = cron_prev(&r->crons[i], now, r->tz);
        if (t > best)
            best = t;
    }
    return best;
}

void trigger_iso(char *buf, size_t size, int64_t s)
{
    clock_iso(buf, size, s * 1000000);
    /* whole seconds: no ".000" */
    char *dot = strchr(buf, '.');
    if (dot != NULL)
        memcpy(dot, "Z", 2);
}

static json_t *iso_or_null(int64_t s)
{
    if (s <= 0 || s == INT64_MAX)
        return json_null();
    char buf[40];
    trigger_iso(buf, sizeof buf, s);
    return json_string(buf);
}

static json_t *state_time(const json_t *state, const char *key)
{
    json_t *v = json_object_get(state, key);
    return json_is_integer(v) ? iso_or_null(json_integer_value(v)) : json_null();
}

json_t *triggers_list_json(const triggers *set, const json_t *states, int64_t now)
{
    json_t *list = json_array();
    for (size_t i = 0; set != NULL && i < set->count; i++) {
        const trigger_rule *r = &set->rules[i];
        const dapt_trigger *tr = r->tr;
        const json_t *state = json_object_get(states, r->name);
        json_t *enabled = json_object_get(state, "enabled");
        bool on = enabled == NULL || json_is_true(enabled);
        bool schedule = tr->type == DAPT_TRIGGER_SCHEDULE;
        int64_t next = schedule && on && r->error == NULL ? trigger_rule_next(r, now) : 0;
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:O, s:s, s:O, s:o, s:b, s:b}", "name", r->name, "file", r->file,
            "type", schedule ? "schedule" : "condition", "rule", tr->rule, "action",
            tr->action_target, "parameters", tr->action_params, "timezone",
            tr->timezone ? json_string(tr->timezone) : json_string("UTC"), "catchup",
            tr->catchup, "enabled", on);
        json_t *wf = json_object_get(tr->action_params, "workflow");
        json_object_set(o, "workflow", json_is_string(wf) ? wf : json_null());
        json_object_set_new(o, "next_fire", iso_or_null(next));
        json_object_set_new(o, "last_fired", state_time(state, "last_fired"));
        json_t *v = json_object_get(state, "last_run");
        json_object_set(o, "last_run", v ? v : json_null());
        v = json_object_get(state, "last_error");
        json_object_set(o, "last_error", v ? v : json_null());
        v = json_object_get(state, "last_slot");
        json_object_set_new(o, "last_slot", json_is_integer(v) ? iso_or_null(json_integer_value(v))
                                                               : json_null());
        v = json_object_get(state, "fires");
        json_object_set_new(o, "fires", json_integer(json_integer_value(v)));
        json_object_set_new(o, "error", r->error ? json_string(r->error) : json_null());
        json_array_append_new(list, o);
    }
    return list;
}

void trigger_countdown(char *buf, size_t size, int64_t s)
{
    if (s <= 0)
        snprintf(buf, size, "now");
    else if (s < 60)
        snprintf(buf, size, "in %llds", (long long)s);
    else if (s < 3600)
        snprintf(buf, size, "in %lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else if (s < 86400)
        snprintf(buf, size, "in %lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
    else
        snprintf(buf, size, "in %lldd%02lldh", (long long)(s / 86400), (long long)(s / 3600 % 24));
}

/* ------------------------------------------------------------------ */
/* The clock                                                           */
/* ------------------------------------------------------------------ */

static double real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "YYYY-MM-DDTHH:MM[:SS]Z" as Unix seconds; -1 when unreadable. */
static double parse_utc(const char *s, const char **end)
{
    int y, mo, d, h, mi, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5)
        return -1;
    s += n;
    if (*s == ':') {
        if (sscanf(s, ":%2d%n", &sec, &n) != 1)
            return -1;
        s += n;
    }
    if (*s != 'Z' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    *end = s + 1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = sec};
    return (double)timegm(&tm);
}

int trigger_clock_init(trigger_clock *c, char **error)
{
    *c = (trigger_clock){.speed = 1};
    const char *env = getenv("DAPT_CLOCK");
    if (env == NULL || *env == '\0')
        return 0;
    const char *end = NULL;
    double base = parse_utc(env, &end);
    double speed = 1;
    if (base >= 0 && *end == '*') {
        char *e;
        speed = strtod(end + 1, &e);
        end = speed > 0 && *e == '\0' ? e : NULL;
    }
    if (base < 0 || end == NULL || *end != '\0') {
        *error = xasprintf("DAPT_CLOCK=%s: expected a UTC time like 2026-03-29T00:59:00Z, "
                           "optionally followed by *N to run N times as fast",
                           env);
        return -1;
    }
    *c = (trigger_clock){.base = base, .real0 = real_now(), .speed = speed, .fake = true};
    return 0;
}

double trigger_clock_now(const trigger_clock *c)
{
    double now = real_now();
    return c->fake ? c->base + (now - c->real0) * c->speed : now;
}
