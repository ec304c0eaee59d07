/*
 * view-runs.c - `:runs`: the run history of the workspace, newest first.
 *
 * The runs this studio has live come first, from their models (fresher
 * than the store, which is written behind them); then the run store's
 * records, read again when a run starts or ends (TUI_NOTIFY_RUNS) and on
 * C-r.  Enter opens the Run view of the selected run.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui.h"

/* How many stored runs are listed. */
#define RUNS_LIMIT 500

typedef struct runs_row {
    char *id, *workflow, *source, *commit;
    dapt_state state;
    bool cancelling;
    bool dirty;
    int64_t started_us, finished_us;
    char *text; /* what the filter matches */
} runs_row;

typedef struct runs_view {
    tui_view base;
    runs_row *rows;
    size_t nrows;
    tui_list list;
    char *error; /* why the store could not be read */
    uv_timer_t *tick;
    char status[96];
    int wf_w; /* the WORKFLOW column: what the width leaves after COMMIT */
} runs_view;

static void rows_free(runs_view *v)
{
    for (size_t i = 0; i < v->nrows; i++) {
        runs_row *r = &v->rows[i];
        free(r->id);
        free(r->workflow);
        free(r->source);
        free(r->commit);
        free(r->text);
    }
    free(v->rows);
    v->rows = NULL;
    v->nrows = 0;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

static void row_text(runs_row *r)
{
    r->text = xasprintf("%s %s %s %s %s", r->id, r->workflow ? r->workflow : "",
                        dapt_state_name(r->state), r->source ? r->source : "",
                        r->commit ? r->commit : "");
}

static runs_row *add_row(runs_view *v, size_t *cap)
{
    if (v->nrows == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        v->rows = xrealloc(v->rows, *cap, sizeof *v->rows);
    }
    runs_row *r = &v->rows[v->nrows++];
    memset(r, 0, sizeof *r);
    return r;
}

static bool listed(const runs_view *v, const char *id)
{
    for (size_t i = 0; i < v->nrows; i++)
        if (strcmp(v->rows[i].id, id) == 0)
            return true;
    return false;
}

static int64_t time_of(const json_t *obj, const char *key)
{
    int64_t us;
    return store_parse_time(json_object_get(obj, key), &us) == 0 ? us : 0;
}

static void add_stored(runs_view *v, const json_t *rec, size_t *cap)
{
    const char *id = json_string_value(json_object_get(rec, "id"));
    if (id == NULL || listed(v, id))
        return;
    runs_row *r = add_row(v, cap);
    r->id = xstrdup(id);
    r->workflow = dup_or_null(json_string_value(json_object_get(rec, "workflow")));
    r->source = dup_or_null(json_string_value(json_object_get(rec, "source")));
    const char *commit = json_string_value(json_object_get(rec, "commit"));
    r->commit = commit && *commit ? xstrndup(commit, 7) : NULL;
    json_t *wf = json_object_get(json_object_get(rec, "provenance"), "workflow");
    r->dirty = json_is_true(json_object_get(wf, "dirty"));
    const char *state = json_string_value(json_object_get(rec, "state"));
    int st = state ? dapt_state_parse(state) : -1;
    r->state = st < 0 ? DAPT_STATE_PENDING : (dapt_state)st;
    r->started_us = time_of(rec, "started_at");
    r->finished_us = time_of(rec, "finished_at");
    row_text(r);
}

static const char *list_text(void *data, size_t row)
{
    return ((runs_view *)data)->rows[row].text;
}

/* Read the live runs and the store again, keeping the selected run. */
static void reload(runs_view *v)
{
    long sel = list_selected(&v->list);
    char *sel_id = sel >= 0 ? xstrdup(v->rows[sel].id) : NULL;
    rows_free(v);
    free(v->error);
    v->error = NULL;
    size_t cap = 0;
    tui_app *app = v->base.app;
    for (run_model *m = app->runs; m; m = m->next) {
        if (m->id == NULL)
            continue;
        runs_row *r = add_row(v, &cap);
        r->id = xstrdup(m->id);
        r->workflow = dup_or_null(m->workflow);
        r->source = xstrdup("studio");
        r->commit = dup_or_null(m->commit);
        r->dirty = m->dirty;
        r->state = m->state;
        r->cancelling = m->cancelling;
        r->started_us = m->started_us;
        r->finished_us = m->finished_us;
        row_text(r);
    }
    json_t *runs = NULL;
    char *error = NULL;
    if (app->store && store_list_runs(app->store, &runs, NULL, NULL, RUNS_LIMIT, &error) < 0) {
        v->error = error;
        runs = NULL;
    }
    size_t i;
    json_t *rec;
    json_array_foreach(runs, i, rec) add_stored(v, rec, &cap);
    json_decref(runs);
    list_set_count(&v->list, v->nrows, list_text, v);
    for (size_t k = 0; sel_id && k < v->nrows; k++)
        if (strcmp(v->rows[k].id, sel_id) == 0)
            list_select(&v->list, k);
    free(sel_id);
}

/* ------------------------------------------------------------------ */
/* Drawing                                                             */
/* ------------------------------------------------------------------ */

static tui_glyph state_glyph(dapt_state s)
{
    switch (s) {
    case DAPT_STATE_PENDING:
        return GLYPH_PENDING;
    case DAPT_STATE_RUNNING:
        return GLYPH_RUNNING;
    case DAPT_STATE_FINISHED:
        return GLYPH_OK;
    case DAPT_STATE_SKIPPED:
        return GLYPH_SKIPPED;
    default:
        return GLYPH_FAIL;
    }
}

/* COL_WORKFLOW is the most the workflow column takes; it gives way (down
 * to COL_WORKFLOW_MIN) so that COMMIT (7 characters and the dirty mark)
 * stays on screen at 80 columns. */
enum { COL_ID = 8, COL_STATE = 13, COL_WORKFLOW = 20, COL_WORKFLOW_MIN = 10, COL_STARTED = 14,
       COL_TOOK = 8, COL_SOURCE = 8, COL_COMMIT = 9 };

static int workflow_width(int w)
{
    int rest = 1 + COL_ID + 1 + COL_STATE + 1 + COL_STARTED + 1 + COL_TOOK + 1 + COL_SOURCE + 1 +
               COL_COMMIT + 1;
    int ww = w - rest;
    return ww > COL_WORKFLOW ? COL_WORKFLOW : ww < COL_WORKFLOW_MIN ? COL_WORKFLOW_MIN : ww;
}

static void draw_row(void *data, size_t row, int y, int x, int w, bool selected)
{
    runs_view *v = data;
    runs_row *r = &v->rows[row];
    tui_slot base = selected ? SLOT_SELECTED : SLOT_NORMAL;
    if (selected)
        draw_fill(y, x, w, SLOT_SELECTED);
    int cx = x + 1;
    draw_str(y, cx, COL_ID, base, r->id);
    cx += COL_ID + 1;
    tui_slot st = theme_state_slot(r->state);
    draw_str(y, cx, 2, st, draw_glyph(state_glyph(r->state)));
    bool live_cancel = r->cancelling && !dapt_state_terminal(r->state);
    draw_str(y, cx + 2, COL_STATE - 2, st, live_cancel ? "cancelling" : dapt_state_name(r->state));
    cx += COL_STATE + 1;
    const char *wf = r->workflow ? r->workflow : "-";
    draw_clamped(y, cx, v->wf_w, base, wf, strlen(wf));
    cx += v->wf_w + 1;
    char buf[48];
    draw_str(y, cx, COL_STARTED, base, draw_when(r->started_us, buf, sizeof buf));
    cx += COL_STARTED + 1;
    int64_t took = -1;
    if (r->started_us > 0 && r->finished_us > 0)
        took = r->finished_us - r->started_us;
    else if (r->started_us > 0 && r->state == DAPT_STATE_RUNNING)
        took = clock_now_us() - r->started_us;
    draw_str(y, cx, COL_TOOK, base, draw_duration(took, buf, sizeof buf));
    cx += COL_TOOK + 1;
    draw_str(y, cx, COL_SOURCE, base, r->source ? r->source : "-");
    cx += COL_SOURCE + 1;
    if (x + w - cx <= 0)
        return;
    int used = draw_str(y, cx, x + w - cx, r->commit ? base : SLOT_DIM, r->commit ? r->commit : "-");
    if (r->dirty)
        draw_str(y, cx + used, x + w - cx - used, SLOT_WARNING, draw_glyph(GLYPH_DIRTY));
}

static void draw(tui_view *view, tui_rect r)
{
    runs_view *v = (runs_view *)view;
    if (r.h <= 0)
        return;
    v->wf_w = workflow_width(r.w);
    draw_printf(r.y, r.x, r.w, SLOT_DIM, " %-*s %-*s %-*s %-*s %-*s %-*s %s", COL_ID, "ID",
                COL_STATE, "STATE", v->wf_w, "WORKFLOW", COL_STARTED, "STARTED", COL_TOOK,
                "DURATION", COL_SOURCE, "SOURCE", "COMMIT");
    tui_rect body = {r.y + 1, r.x, r.h - 1, r.w};
    if (v->error) {
        draw_clamped(body.y, body.x + 1, body.w - 1, SLOT_ERROR, v->error, strlen(v->error));
        body.y++;
        body.h--;
    }
    const char *empty = v->base.app->store == NULL
                            ? "no runs yet: run a workflow (r on :workflows, or :run FILE)"
                        : v->list.filter ? "no run matches the filter"
                                         : "no runs yet: run a workflow (r on :workflows, or :run FILE)";
    list_draw(&v->list, body, draw_row, v, empty);
}

/* ------------------------------------------------------------------ */
/* Actions                                                             */
/* ------------------------------------------------------------------ */

static int action(tui_view *view, tui_action a)
{
    runs_view *v = (runs_view *)view;
    switch (a) {
    case ACTION_RUNS_REFRESH:
        reload(v);
        app_message(v->base.app, SLOT_MESSAGE, "%zu run%s", v->nrows, v->nrows == 1 ? "" : "s");
        return TUI_HANDLED;
    case ACTION_OPEN: {
        long sel = list_selected(&v->list);
        if (sel >= 0) {
            char *id = xstrdup(v->rows[sel].id); /* the list may reload meanwhile */
            app_open_run(v->base.app, id);
            free(id);
        }
        return TUI_HANDLED;
    }
    case ACTION_RUNS_DEFINITION:
    case ACTION_RUNS_DIFF: {
        long sel = list_selected(&v->list);
        if (sel >= 0) {
            char *id = xstrdup(v->rows[sel].id);
            vcs_show_definition(v->base.app, id, a == ACTION_RUNS_DIFF);
            free(id);
        }
        return TUI_HANDLED;
    }
    default:
        break;
    }
    int page = v->base.app->rows > 6 ? v->base.app->rows - 5 : 1;
    return list_action(&v->list, a, page) ? TUI_HANDLED : TUI_IGNORED;
}

static void text_filter(tui_view *view, const char *text)
{
    runs_view *v = (runs_view *)view;
    list_filter(&v->list, text, list_text, v);
}

static void notify(tui_view *view, int what)
{
    if (what & TUI_NOTIFY_RUNS)
        reload((runs_view *)view);
}

static const char *status(tui_view *view)
{
    runs_view *v = (runs_view *)view;
    snprintf(v->status, sizeof v->status, "%zu of %zu runs", v->list.nshown, v->nrows);
    return v->status;
}

static const tui_action *hints(tui_view *view)
{
    (void)view;
    static const tui_action h[] = {ACTION_OPEN, ACTION_RUNS_DEFINITION, ACTION_RUNS_DIFF,
                                   ACTION_FILTER, ACTION_RUNS_REFRESH, ACTION_BACK,
                                   ACTION_NONE};
    return h;
}

/* Running durations tick once a second. */
static void tick_fired(uv_timer_t *t)
{
    runs_view *v = t->data;
    for (size_t i = 0; i < v->nrows; i++)
        if (v->rows[i].state == DAPT_STATE_RUNNING) {
            app_invalidate(v->base.app);
            return;
        }
}

static void tick_closed(uv_handle_t *h)
{
    free(h);
}

static void view_free(tui_view *view)
{
    runs_view *v = (runs_view *)view;
    uv_timer_stop(v->tick);
    uv_close((uv_handle_t *)v->tick, tick_closed);
    rows_free(v);
    list_free(&v->list);
    free(v->error);
    free(v->base.title);
    free(v);
}

static const tui_view_class view_class = {
    .name = "runs",
    .draw = draw,
    .action = action,
    .filter = text_filter,
    .notify = notify,
    .status = status,
    .hints = hints,
    .free = view_free,
};

tui_view *view_runs_new(tui_app *app)
{
    runs_view *v = xcalloc(1, sizeof *v);
    v->base.cls = &view_class;
    v->base.app = app;
    list_init(&v->list);
    reload(v);
    v->tick = xcalloc(1, sizeof *v->tick);
    uv_timer_init(app->loop, v->tick);
    v->tick->data = v;
    uv_timer_start(v->tick, tick_fired, 1000, 1000);
    return &v->base;
}
