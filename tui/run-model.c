/*
 * run-model.c - a run as the studio shows it: a live run of the engine on
 * the app's loop, or a past run read from the run store.
 *
 * A live run's events update the stages and append log lines to the ring
 * (O(lines of the batch), nothing per frame); the app coalesces the
 * redraws that app_invalidate asks for.  While a run is live its model is
 * in app->runs and the list holds a reference; once the engine has sent
 * the terminal RUN event and released its workers (dapt_run_closed), a
 * timer, never the event callback itself, frees the engine's run and
 * drops the list's reference.
 *
 * Log line numbers are the run store's: the engine's bus numbers lines
 * from 1 in the order it sends them, as store.c does, so the lines that
 * left the ring are read back with store_get_lines.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui.h"

/* A stored run's tail read into the ring when it is opened. */
#define LOAD_TAIL_LINES 5000
/* How often the closing timer looks whether the engine let go. */
#define CLOSE_POLL_MS 20
/* At quit: how long cancelled runs get to end, then killed ones. */
#define CLOSE_GRACE_MS 3000

typedef struct model {
    run_model pub;      /* first: a run_model * is a model * */
    size_t last_stage;  /* the stage of the last line looked up */
    uv_timer_t *closer; /* frees the engine's run once it is closed */
    bool store_said;    /* a failed write of the run store was shown */
} model;

/* ------------------------------------------------------------------ */
/* Building and freeing                                                */
/* ------------------------------------------------------------------ */

static model *model_new(tui_app *app)
{
    model *m = xcalloc(1, sizeof *m);
    m->pub.app = app;
    m->pub.refs = 1;
    m->pub.log = logring_new(0);
    m->pub.state = DAPT_STATE_PENDING;
    return m;
}

static void model_free(run_model *m)
{
    for (size_t i = 0; i < m->nstages; i++) {
        free(m->stages[i].name);
        free(m->stages[i].target);
        free(m->stages[i].error);
    }
    free(m->stages);
    free(m->id);
    free(m->workflow);
    free(m->file);
    free(m->error);
    free(m->commit);
    json_decref(m->input);
    json_decref(m->result);
    logring_free(m->log);
    free(m);
}

void run_model_ref(run_model *m)
{
    m->refs++;
}

void run_model_unref(run_model *m)
{
    if (m == NULL || --m->refs > 0)
        return;
    model_free(m);
}

static void list_remove(tui_app *app, run_model *m)
{
    for (run_model **p = &app->runs; *p; p = &(*p)->next)
        if (*p == m) {
            *p = m->next;
            m->next = NULL;
            return;
        }
}

/* The short form of a commit id. */
static char *short_commit(const char *commit)
{
    return commit && *commit ? xstrndup(commit, 7) : NULL;
}

/* Commit and dirty state from a run record's provenance. */
static void read_provenance(run_model *m, const json_t *rec)
{
    free(m->commit);
    m->commit = short_commit(json_string_value(json_object_get(rec, "commit")));
    json_t *prov = json_object_get(rec, "provenance");
    json_t *wf = json_object_get(prov, "workflow");
    m->dirty = json_is_true(json_object_get(wf, "dirty"));
    if (m->commit == NULL)
        m->commit = short_commit(json_string_value(json_object_get(prov, "commit")));
}

/* The index of a stage by name (-1: the run itself, or unknown).  Lines
 * come in runs of the same stage: the last one found is tried first. */
static int stage_index(model *mm, const char *name)
{
    run_model *m = &mm->pub;
    if (name == NULL)
        return -1;
    if (mm->last_stage < m->nstages && strcmp(m->stages[mm->last_stage].name, name) == 0)
        return (int)mm->last_stage;
    for (size_t i = 0; i < m->nstages; i++)
        if (strcmp(m->stages[i].name, name) == 0) {
            mm->last_stage = i;
            return (int)i;
        }
    return -1;
}

/* ------------------------------------------------------------------ */
/* A live run                                                          */
/* ------------------------------------------------------------------ */

static void closer_closed(uv_handle_t *h)
{
    model *mm = h->data;
    free(h);
    run_model_unref(&mm->pub); /* the timer's reference */
}

/* Free the engine's run once it is closed, then leave the app's list. */
static void closer_fired(uv_timer_t *t)
{
    model *mm = t->data;
    run_model *m = &mm->pub;
    if (m->run != NULL && !dapt_run_closed(m->run))
        return; /* the timer repeats */
    if (m->run != NULL) {
        json_decref(m->result);
        json_t *res = dapt_run_result(m->run);
        m->result = res ? json_incref(res) : NULL;
        dapt_run_free(m->run);
        m->run = NULL;
    }
    m->live = false;
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, closer_closed);
    mm->closer = NULL;
    tui_app *app = m->app;
    list_remove(app, m);
    app_notify(app, TUI_NOTIFY_RUNS);
    run_model_unref(m); /* the list's reference */
}

static void schedule_close(model *mm)
{
    if (mm->closer != NULL)
        return;
    mm->closer = xcalloc(1, sizeof *mm->closer);
    uv_timer_init(mm->pub.app->loop, mm->closer);
    mm->closer->data = mm;
    run_model_ref(&mm->pub);
    uv_timer_start(mm->closer, closer_fired, 0, CLOSE_POLL_MS);
}

static void on_run(model *mm, const dapt_event *ev)
{
    run_model *m = &mm->pub;
    m->state = ev->state;
    if (ev->state == DAPT_STATE_RUNNING && m->started_us == 0)
        m->started_us = ev->ts_us;
    if (dapt_state_terminal(ev->state)) {
        m->finished_us = ev->ts_us;
        m->cancelling = false;
        free(m->error);
        m->error = ev->error ? xstrdup(ev->error) : NULL;
        json_t *res = dapt_run_result(ev->run);
        json_decref(m->result);
        m->result = res ? json_incref(res) : NULL;
        schedule_close(mm);
    }
    app_notify(m->app, TUI_NOTIFY_RUNS);
}

static void on_stage(run_model *m, const dapt_event *ev)
{
    if (ev->stage_index >= m->nstages)
        return;
    run_stage *s = &m->stages[ev->stage_index];
    s->state = ev->state;
    if (ev->attempt > 0)
        s->attempts = ev->attempt;
    if (ev->state == DAPT_STATE_RUNNING && s->started_us == 0)
        s->started_us = ev->ts_us;
    if (dapt_state_terminal(ev->state)) {
        s->finished_us = ev->ts_us;
        if (s->started_us == 0)
            s->started_us = ev->ts_us;
    }
    if (ev->error && ev->state != DAPT_STATE_RUNNING) {
        free(s->error);
        s->error = xstrdup(ev->error);
    }
    if (s->parameterized && ev->items.total > 0)
        s->items = ev->items;
    app_invalidate(m->app);
}

static void on_items(run_model *m, const dapt_event *ev)
{
    if (ev->stage_index < m->nstages)
        m->stages[ev->stage_index].items = ev->items;
    app_invalidate(m->app);
}

static void on_log(model *mm, const dapt_event *ev)
{
    run_model *m = &mm->pub;
    for (size_t i = 0; i < ev->line_count; i++) {
        const dapt_log_line *l = &ev->lines[i];
        logring_append(m->log, l->ts_us, stage_index(mm, l->stage), l->item, (int)l->stream,
                       (int)l->level, l->text, l->len);
    }
    app_invalidate(m->app);
}

/* A write of the run store failed (a full disk): said at once, on the
 * status line, once per run; state changes are when it is looked at. */
static void check_store(model *mm, const dapt_event *ev)
{
    if (mm->store_said || ev->run == NULL)
        return;
    char *why = dapt_run_store_error(ev->run, false);
    if (why == NULL)
        return;
    mm->store_said = true;
    app_message(mm->pub.app, SLOT_ERROR, "run %s: the run store failed: %s; this run will not be "
                "fully recorded", mm->pub.id ? mm->pub.id : "?", why);
    free(why);
}

static void on_event(const dapt_event *ev, void *data)
{
    model *mm = data;
    if (ev->kind == DAPT_EVENT_RUN || ev->kind == DAPT_EVENT_STAGE)
        check_store(mm, ev);
    switch (ev->kind) {
    case DAPT_EVENT_RUN:
        on_run(mm, ev);
        break;
    case DAPT_EVENT_STAGE:
        on_stage(&mm->pub, ev);
        break;
    case DAPT_EVENT_ITEMS:
        on_items(&mm->pub, ev);
        break;
    case DAPT_EVENT_LOG:
        on_log(mm, ev);
        break;
    }
}

/* The errors of loading and checking a file, one per line ("FILE:LINE:
 * COL: error: ..."), at most `max` and a count of the rest. */
static char *diag_errors(const dapt_diags *diags, size_t max)
{
    strbuf sb = {0};
    size_t shown = 0, total = dapt_diags_count(diags, DAPT_SEV_ERROR);
    for (size_t i = 0; i < diags->count && shown < max; i++) {
        if (diags->items[i].severity != DAPT_SEV_ERROR)
            continue;
        char *line = dapt_diag_format(&diags->items[i]);
        strbuf_printf(&sb, "%s%s", shown ? "\n" : "", line);
        free(line);
        shown++;
    }
    if (total > shown)
        strbuf_printf(&sb, " (and %zu more)", total - shown);
    return strbuf_detach(&sb);
}

/* Load and check a workflow file: its bundle, or NULL with *error. */
static dapt_bundle *load_checked(tui_app *app, const char *file, char **error)
{
    dapt_diags diags = {0};
    dapt_bundle *bundle = NULL;
    bool failed = dapt_load_file(&bundle, file, &diags) < 0;
    const dapt_workflow *wf = dapt_bundle_workflow(bundle);
    if (!failed && wf == NULL) {
        dapt_diags_add(&diags, file, (dapt_pos){1, 1}, DAPT_SEV_ERROR,
                       "no `kind: workflow` document here: nothing to run");
        failed = true;
    }
    if (!failed && app->registry != NULL)
        failed = dapt_registry_check_workflow(app->registry, wf, file, &diags) > 0;
    if (failed) {
        *error = diag_errors(&diags, 1);
        dapt_bundle_free(bundle);
        bundle = NULL;
    }
    dapt_diags_free(&diags);
    return bundle;
}

static void stages_from_workflow(run_model *m, const dapt_workflow *wf)
{
    m->nstages = wf->stage_count;
    m->stages = xcalloc(m->nstages ? m->nstages : 1, sizeof *m->stages);
    for (size_t i = 0; i < wf->stage_count; i++) {
        run_stage *s = &m->stages[i];
        s->name = xstrdup(wf->stages[i].name);
        s->target = xstrdup(wf->stages[i].target);
        s->parameterized = wf->stages[i].type == DAPT_STAGE_PARAMETERIZED;
        s->state = DAPT_STATE_PENDING;
    }
}

run_model *run_model_start(tui_app *app, const char *file, json_t *input, char **error)
{
    dapt_bundle *bundle = load_checked(app, file, error);
    if (bundle == NULL)
        return NULL;
    const dapt_workflow *wf = dapt_bundle_workflow(bundle);
    model *mm = model_new(app);
    run_model *m = &mm->pub;
    m->workflow = xstrdup(wf->name);
    m->file = xstrdup(file);
    m->input = input ? json_deep_copy(input) : json_object();
    stages_from_workflow(m, wf);
    dapt_run_options opts = {
        .workspace = app->workspace,
        .file = file,
        .input = m->input,
        .source = "studio",
        .store = true,
        /* the app draws through its own dup of the terminal */
        .capture_stdio = true,
        .registry = app->registry,
        .on_event = on_event,
        .event_data = mm,
    };
    char *err = NULL;
    if (dapt_run_start(&m->run, app->loop, wf, &opts, &err) < 0) {
        *error = xasprintf("%s: %s", file, err);
        free(err);
        dapt_bundle_free(bundle);
        model_free(m);
        return NULL;
    }
    dapt_bundle_free(bundle);
    m->live = true;
    m->id = xstrdup(dapt_run_id(m->run));
    json_t *rec = dapt_run_record(m->run);
    read_provenance(m, rec);
    json_decref(rec);
    if (m->started_us == 0)
        m->started_us = clock_now_us();
    /* the list's reference; the caller has the first */
    run_model_ref(m);
    m->next = app->runs;
    app->runs = m;
    app_notify(app, TUI_NOTIFY_RUNS);
    return m;
}

void run_model_cancel(run_model *m)
{
    if (m->run == NULL || dapt_run_closed(m->run) || dapt_state_terminal(m->state))
        return;
    /* asked again while cancelling: kill the stages at once */
    dapt_run_cancel(m->run, m->cancelling);
    m->cancelling = true;
    app_invalidate(m->app);
}

/* Wakes the loop while run_model_close_all waits. */
static void wait_tick(uv_timer_t *t)
{
    (void)t;
}

static bool any_open(tui_app *app)
{
    for (run_model *m = app->runs; m; m = m->next)
        if (m->run && !dapt_run_closed(m->run))
            return true;
    return false;
}

/* Run the loop until every live run is closed or `ms` have passed. */
static void wait_closed(tui_app *app, uv_timer_t *tick, int64_t ms)
{
    int64_t until = clock_now_us() + ms * 1000;
    while (any_open(app) && clock_now_us() < until)
        uv_run(app->loop, UV_RUN_ONCE);
    (void)tick;
}

void run_model_close_all(tui_app *app)
{
    uv_timer_t tick;
    uv_timer_init(app->loop, &tick);
    uv_timer_start(&tick, wait_tick, CLOSE_POLL_MS, CLOSE_POLL_MS);
    for (run_model *m = app->runs; m; m = m->next)
        if (m->run && !dapt_run_closed(m->run))
            dapt_run_cancel(m->run, false);
    wait_closed(app, &tick, CLOSE_GRACE_MS);
    for (run_model *m = app->runs; m; m = m->next)
        if (m->run && !dapt_run_closed(m->run))
            dapt_run_cancel(m->run, true);
    wait_closed(app, &tick, CLOSE_GRACE_MS);
    uv_timer_stop(&tick);
    uv_close((uv_handle_t *)&tick, NULL);
    while (app->runs) {
        run_model *m = app->runs;
        app->runs = m->next;
        m->next = NULL;
        model *mm = (model *)m;
        if (mm->closer) {
            uv_timer_stop(mm->closer);
            uv_close((uv_handle_t *)mm->closer, closer_closed);
            mm->closer = NULL;
        }
        if (m->run) {
            dapt_run_free(m->run); /* kills what is left of its workers */
            m->run = NULL;
        }
        m->live = false;
        run_model_unref(m);
    }
    /* the handles closed above (their callbacks drop references) */
    uv_run(app->loop, UV_RUN_NOWAIT);
}

/* ------------------------------------------------------------------ */
/* A stored run                                                        */
/* ------------------------------------------------------------------ */

static const char *str_or(const char *s, const char *otherwise)
{
    return s ? s : otherwise;
}

static char *string_or_null(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s && *s ? xstrdup(s) : NULL;
}

static int64_t time_of(const json_t *obj, const char *key)
{
    int64_t us;
    return store_parse_time(json_object_get(obj, key), &us) == 0 ? us : 0;
}

static dapt_state state_of(const json_t *obj)
{
    int st = dapt_state_parse(str_or(json_string_value(json_object_get(obj, "state")), ""));
    return st < 0 ? DAPT_STATE_PENDING : (dapt_state)st;
}

static size_t count_of(const json_t *items, const char *key)
{
    json_int_t n = json_integer_value(json_object_get(items, key));
    return n > 0 ? (size_t)n : 0;
}

static void stage_from_record(run_stage *s, const json_t *rec)
{
    s->name = xstrdup(str_or(json_string_value(json_object_get(rec, "name")), "?"));
    s->target = xstrdup(str_or(json_string_value(json_object_get(rec, "target")), ""));
    const char *type = json_string_value(json_object_get(rec, "type"));
    json_t *items = json_object_get(rec, "items");
    s->parameterized = type ? strcmp(type, "parameterized") == 0 : json_is_object(items);
    s->state = state_of(rec);
    s->attempts = (int)json_integer_value(json_object_get(rec, "attempts"));
    s->started_us = time_of(rec, "started_at");
    s->finished_us = time_of(rec, "finished_at");
    s->items = (dapt_items){.total = count_of(items, "total"),
                            .ok = count_of(items, "ok"),
                            .failed = count_of(items, "failed")};
    s->error = string_or_null(rec, "error");
}

static void model_from_record(run_model *m, const json_t *rec)
{
    m->id = xstrdup(str_or(json_string_value(json_object_get(rec, "id")), "?"));
    m->workflow = xstrdup(str_or(json_string_value(json_object_get(rec, "workflow")), "?"));
    m->file = string_or_null(rec, "file");
    m->state = state_of(rec);
    m->started_us = time_of(rec, "started_at");
    m->finished_us = time_of(rec, "finished_at");
    m->error = string_or_null(rec, "error");
    read_provenance(m, rec);
    json_t *input = json_object_get(rec, "input");
    m->input = json_is_object(input) ? json_deep_copy(input) : json_object();
    json_t *result = json_object_get(rec, "result");
    m->result = result && !json_is_null(result) ? json_incref(result) : NULL;
    json_t *stages = json_object_get(rec, "stages");
    m->nstages = json_array_size(stages);
    m->stages = xcalloc(m->nstages ? m->nstages : 1, sizeof *m->stages);
    for (size_t i = 0; i < m->nstages; i++)
        stage_from_record(&m->stages[i], json_array_get(stages, i));
}

/* Whether the store has a line of the run after line `after`. */
static int has_line_after(store *st, const char *id, int64_t after, char **error)
{
    json_t *lines;
    if (store_get_lines(st, &lines, id, NULL, NULL, after, 1, NULL, error) < 0)
        return -1;
    int has = json_array_size(lines) > 0;
    json_decref(lines);
    return has;
}

/* The number of the run's last stored line (0: none): doubling, then
 * halving, each step one indexed query for a single line. */
static int64_t last_line(store *st, const char *id, char **error)
{
    int64_t lo = 0, hi = 1; /* a line after lo; none after hi, once found */
    int has;
    while ((has = has_line_after(st, id, hi - 1, error)) == 1) {
        lo = hi;
        hi *= 2;
    }
    if (has < 0)
        return -1;
    /* line lo exists (or lo is 0); line hi does not */
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        has = has_line_after(st, id, mid - 1, error);
        if (has < 0)
            return -1;
        if (has)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static int parse_level(const char *name)
{
    static const char *const names[] = {"debug", "info", "warning", "error"};
    for (int i = 0; name && i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return DAPT_LOG_INFO;
}

static int parse_stream(const char *name)
{
    for (int i = DAPT_STREAM_LOG; name && i <= DAPT_STREAM_ENGINE; i++)
        if (strcmp(name, dapt_stream_name((dapt_stream)i)) == 0)
            return i;
    return DAPT_STREAM_STDOUT;
}

static void entry_of(model *mm, const json_t *l, log_entry *e)
{
    json_t *item = json_object_get(l, "item");
    json_t *text = json_object_get(l, "text");
    const char *t = str_or(json_string_value(text), "");
    size_t len = json_string_length(text);
    *e = (log_entry){
        .seq = json_integer_value(json_object_get(l, "seq")),
        .ts_us = time_of(l, "ts"),
        .stage = stage_index(mm, json_string_value(json_object_get(l, "stage"))),
        .item = json_is_integer(item) ? (long)json_integer_value(item) : -1,
        .stream = (uint8_t)parse_stream(json_string_value(json_object_get(l, "stream"))),
        .level = (uint8_t)parse_level(json_string_value(json_object_get(l, "level"))),
        .clamped = len > LOGRING_LINE_MAX,
        .text = t,
        .len = (uint32_t)(len > LOGRING_LINE_MAX ? LOGRING_LINE_MAX : len),
    };
}

void run_model_entry(run_model *m, const json_t *line, log_entry *out)
{
    entry_of((model *)m, line, out);
}

/* A stored line ({seq, ts, stage, item, stream, level, text}) into the
 * ring (restarting it at the line's seq when the store skipped some). */
static void append_stored(model *mm, const json_t *l)
{
    run_model *m = &mm->pub;
    log_entry e;
    entry_of(mm, l, &e);
    if (e.seq != logring_last(m->log) + 1)
        logring_restart(m->log, e.seq);
    json_t *text = json_object_get(l, "text");
    logring_append(m->log, e.ts_us, e.stage, e.item, e.stream, e.level, e.text,
                   json_string_length(text));
}

/* The last LOAD_TAIL_LINES lines of the run into the ring. */
static int load_tail(model *mm, store *st, char **error)
{
    run_model *m = &mm->pub;
    int64_t last = last_line(st, m->id, error);
    if (last < 0)
        return -1;
    int64_t after = last > LOAD_TAIL_LINES ? last - LOAD_TAIL_LINES : 0;
    logring_restart(m->log, after + 1);
    json_t *lines;
    if (store_get_lines(st, &lines, m->id, NULL, NULL, after, LOAD_TAIL_LINES, NULL, error) < 0)
        return -1;
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l) append_stored(mm, l);
    json_decref(lines);
    return 0;
}

/* A live run of this studio with that id (or unique prefix). */
static run_model *find_live(tui_app *app, const char *id)
{
    run_model *found = NULL;
    size_t n = strlen(id);
    for (run_model *m = app->runs; m; m = m->next) {
        if (m->id == NULL)
            continue;
        if (strcmp(m->id, id) == 0)
            return m;
        if (n > 0 && strncmp(m->id, id, n) == 0)
            found = found ? NULL : m;
    }
    return found;
}

run_model *run_model_load(tui_app *app, const char *id, char **error)
{
    run_model *live = find_live(app, id);
    if (live) {
        run_model_ref(live);
        return live;
    }
    if (app->store == NULL) {
        *error = xasprintf("no run `%s`: this workspace has no run store yet", id);
        return NULL;
    }
    json_t *rec;
    if (store_get_run(app->store, &rec, id, error) < 0)
        return NULL;
    model *mm = model_new(app);
    model_from_record(&mm->pub, rec);
    json_decref(rec);
    if (load_tail(mm, app->store, error) < 0) {
        model_free(&mm->pub);
        return NULL;
    }
    return &mm->pub;
}

int run_model_older(run_model *m, int64_t seq, int count, json_t **out)
{
    *out = NULL;
    if (m->app->store == NULL || m->id == NULL || count <= 0)
        return -1;
    if (seq < 1) {
        count -= (int)(1 - seq);
        seq = 1;
    }
    char *error = NULL;
    if (store_get_lines(m->app->store, out, m->id, NULL, NULL, seq - 1, count, NULL, &error) < 0) {
        app_debug(m->app, "run %s: older lines: %s", m->id, error);
        free(error);
        return -1;
    }
    return 0;
}
