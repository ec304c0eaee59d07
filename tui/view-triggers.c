/*
 * view-triggers.c - `:triggers`: the workspace's trigger rules at work
 * (app->triggers, engine/trigger-service.c), and the latest fires of one
 * rule.
 *
 * The rules list shows NAME, TYPE, ENABLED (yes, no, broken), NEXT (a
 * countdown and the UTC time of the next cron slot), LAST FIRED and the
 * ACTION; above it, who fires the rules (this studio, or the process that
 * holds the lead: a daemon, another studio).  `e` enables or disables a
 * rule (reversible: no question), `f` fires it now (asked first), Enter
 * lists its fires, and Enter on a fire opens the Run view of its run.
 *
 * Times are those of the rules' clock (app->trigger_clock: DAPT_CLOCK in
 * tests), in UTC as cron slots are.  The lists are read again when the
 * service says something changed (TUI_NOTIFY_TRIGGERS); a one-second tick
 * moves the countdowns, and reads again when another process leads (it
 * tells this one nothing), a slot is due, or a fire's run is not over.
 *
 * When the service could not start, the rules of triggers/ are still
 * listed (read-only) under the reason.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"

/* ------------------------------------------------------------------ */
/* What both lists read                                                */
/* ------------------------------------------------------------------ */

static int64_t now_s(tui_app *app)
{
    return (int64_t)floor(trigger_clock_now(&app->trigger_clock));
}

/* Unix seconds of an ISO time (or a number) in JSON; 0 when none. */
static int64_t seconds_of(const json_t *v)
{
    int64_t us;
    return v != NULL && !json_is_null(v) && store_parse_time(v, &us) == 0 ? us / 1000000 : 0;
}

static const char *str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL && *s ? s : NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* The list of rules with their fires ("runs"), as trigger_service_list
 * gives it; without a service, what triggers/ holds (no fires). */
static json_t *rules_json(tui_app *app)
{
    if (app->triggers)
        return trigger_service_list(app->triggers);
    dapt_diags diags = {0};
    triggers *set = triggers_load(app->workspace, app->registry, &diags);
    dapt_diags_free(&diags);
    json_t *states = NULL;
    char *error = NULL;
    if (app->store == NULL || store_trigger_states(app->store, &states, &error) < 0) {
        free(error);
        states = NULL;
    }
    json_t *list = triggers_list_json(set, states, now_s(app));
    json_decref(states);
    triggers_free(set);
    return list;
}

char **view_triggers_names(tui_app *app)
{
    json_t *list = rules_json(app);
    size_t n = json_array_size(list);
    char **names = xcalloc(n + 1, sizeof *names);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = str_of(json_array_get(list, i), "name");
        if (name)
            names[k++] = xstrdup(name);
    }
    json_decref(list);
    return names;
}

/* A message of the service names files by their absolute path; in the
 * footer the workspace-relative one reads better (borrowed from text). */
static const char *short_text(tui_app *app, const char *text)
{
    size_t n = strlen(app->workspace);
    return strncmp(text, app->workspace, n) == 0 && text[n] == '/' ? text + n + 1 : text;
}

/* A UTC time: on the day of `now` as "01:00Z" (with `seconds`,
 * "01:00:05Z"), else with the date, "03-30 01:00Z". */
static const char *utc(char *buf, size_t size, int64_t t, int64_t now, bool seconds)
{
    time_t tt = (time_t)t, tn = (time_t)now;
    struct tm a, b;
    gmtime_r(&tt, &a);
    gmtime_r(&tn, &b);
    if (a.tm_year != b.tm_year || a.tm_yday != b.tm_yday)
        strftime(buf, size, "%m-%d %H:%MZ", &a);
    else if (seconds)
        strftime(buf, size, "%H:%M:%SZ", &a);
    else
        strftime(buf, size, "%H:%MZ", &a);
    return buf;
}

/* Tick once a second while a view is open; `fn` gets the view. */
static uv_timer_t *tick_new(tui_app *app, uv_timer_cb fn, void *view)
{
    uv_timer_t *t = xcalloc(1, sizeof *t);
    uv_timer_init(app->loop, t);
    t->data = view;
    uv_timer_start(t, fn, 1000, 1000);
    return t;
}

static void tick_closed(uv_handle_t *h)
{
    free(h);
}

static void tick_free(uv_timer_t *t)
{
    if (t == NULL)
        return;
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, tick_closed);
}

/* ------------------------------------------------------------------ */
/* The rules                                                           */
/* ------------------------------------------------------------------ */

typedef struct trig_row {
    char *name, *type, *action, *workflow, *file;
    char *rule; /* the cron expressions, or the condition as JSON */
    char *timezone;
    char *error;      /* broken: why it cannot fire */
    char *last_error; /* what the last fire said, when it failed */
    char *last_run;
    bool enabled;
    bool schedule;
    int64_t next_s; /* 0: none */
    int64_t last_s; /* 0: never fired */
    long long fires;
    char *text; /* what `/` matches */
} trig_row;

typedef struct view_triggers {
    tui_view base;
    trig_row *rows;
    size_t nrows;
    tui_list list;
    tui_rect lr; /* where the list was drawn (for clicks) */
    int page;
    uv_timer_t *tick;
    char status[96];
} view_triggers;

static void rows_free(view_triggers *v)
{
    for (size_t i = 0; i < v->nrows; i++) {
        trig_row *r = &v->rows[i];
        free(r->name);
        free(r->type);
        free(r->action);
        free(r->workflow);
        free(r->file);
        free(r->rule);
        free(r->timezone);
        free(r->error);
        free(r->last_error);
        free(r->last_run);
        free(r->text);
    }
    free(v->rows);
    v->rows = NULL;
    v->nrows = 0;
}

static char *rule_text(const json_t *rule, bool schedule)
{
    if (!schedule || !json_is_array(rule)) {
        char *text = rule ? json_dumps(rule, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        return text ? text : xstrdup("");
    }
    strbuf sb = {0};
    size_t i;
    json_t *c;
    json_array_foreach(rule, i, c) strbuf_printf(&sb, "%s%s", i ? ", " : "", json_string_value(c));
    return strbuf_detach(&sb);
}

/* "run_workflow etl", "print_event", "acme.notify" (caller frees). */
static char *action_text(const trig_row *r)
{
    return r->workflow ? xasprintf("%s %s", r->action, r->workflow) : xstrdup(r->action);
}

static void row_read(trig_row *r, const json_t *o)
{
    r->name = xstrdup(str_of(o, "name") ? str_of(o, "name") : "");
    r->type = xstrdup(str_of(o, "type") ? str_of(o, "type") : "");
    r->schedule = strcmp(r->type, "schedule") == 0;
    r->action = xstrdup(str_of(o, "action") ? str_of(o, "action") : "");
    r->workflow = dup_or_null(str_of(o, "workflow"));
    r->file = dup_or_null(str_of(o, "file"));
    r->rule = rule_text(json_object_get(o, "rule"), r->schedule);
    r->timezone = dup_or_null(str_of(o, "timezone"));
    r->error = dup_or_null(str_of(o, "error"));
    r->last_error = dup_or_null(str_of(o, "last_error"));
    r->last_run = dup_or_null(str_of(o, "last_run"));
    r->enabled = json_is_true(json_object_get(o, "enabled"));
    r->next_s = seconds_of(json_object_get(o, "next_fire"));
    r->last_s = seconds_of(json_object_get(o, "last_fired"));
    r->fires = (long long)json_integer_value(json_object_get(o, "fires"));
    char *act = action_text(r);
    r->text = xasprintf("%s %s %s", r->name, r->type, act);
    free(act);
}

static const char *rules_text(void *data, size_t row)
{
    return ((view_triggers *)data)->rows[row].text;
}

/* Read the rules again, keeping the selected one. */
static void rules_reload(view_triggers *v)
{
    long sel = list_selected(&v->list);
    char *keep = sel >= 0 ? xstrdup(v->rows[sel].name) : NULL;
    rows_free(v);
    json_t *list = rules_json(v->base.app);
    v->nrows = json_array_size(list);
    v->rows = xcalloc(v->nrows ? v->nrows : 1, sizeof *v->rows);
    for (size_t i = 0; i < v->nrows; i++)
        row_read(&v->rows[i], json_array_get(list, i));
    json_decref(list);
    list_set_count(&v->list, v->nrows, rules_text, v);
    for (size_t i = 0; keep && i < v->nrows; i++)
        if (strcmp(v->rows[i].name, keep) == 0)
            list_select(&v->list, i);
    free(keep);
    app_invalidate(v->base.app);
}

static trig_row *selected_rule(view_triggers *v)
{
    long sel = list_selected(&v->list);
    return sel >= 0 ? &v->rows[sel] : NULL;
}

/* A broken rule says why in the footer when it is selected. */
static void say_broken(view_triggers *v)
{
    trig_row *r = selected_rule(v);
    if (r && r->error)
        app_message(v->base.app, SLOT_ERROR, "%s is broken: %s", r->name,
                    short_text(v->base.app, r->error));
}

/* Who fires the rules, and its slot; *more: what follows when there is
 * room. */
static tui_slot who_fires(tui_app *app, char *buf, size_t size, const char **more)
{
    *more = "";
    if (app->triggers == NULL) {
        snprintf(buf, size, "rules are not at work here: %s",
                 app->triggers_error ? app->triggers_error : "?");
        return SLOT_ERROR;
    }
    const char *holder = NULL;
    if (trigger_service_leading(app->triggers, &holder)) {
        snprintf(buf, size, "rules fire here");
        return SLOT_OK;
    }
    if (holder) {
        snprintf(buf, size, "rules fire in %s", holder);
        *more = "; this studio takes over if it stops";
        return SLOT_MESSAGE;
    }
    snprintf(buf, size, "rules fire nowhere yet (waiting for the lead)");
    return SLOT_WARNING;
}

typedef struct rule_cols {
    int name, type, enabled, next, last, action;
} rule_cols;

enum { GAP = 2 };

static rule_cols rule_layout(const view_triggers *v, int w)
{
    rule_cols c = {.name = 4, .type = 9, .enabled = 7, .next = 16, .last = 12, .action = 6};
    for (size_t i = 0; i < v->nrows; i++) {
        const trig_row *r = &v->rows[i];
        int n = draw_width(r->name, strlen(r->name));
        int a = (int)strlen(r->action) + (r->workflow ? 1 + (int)strlen(r->workflow) : 0);
        c.name = n > c.name ? n : c.name;
        c.action = a > c.action ? a : c.action;
    }
    int room = w - 2 - c.type - c.enabled - c.next - c.last - 5 * GAP;
    if (room < 16)
        room = 16;
    draw_share(room, &c.name, &c.action);
    return c;
}

typedef struct rules_ctx {
    view_triggers *v;
    rule_cols c;
    int64_t now;
} rules_ctx;

static void draw_rule(void *data, size_t row, int y, int x, int w, bool selected)
{
    rules_ctx *d = data;
    const trig_row *r = &d->v->rows[row];
    tui_slot base = selected ? SLOT_SELECTED : SLOT_NORMAL;
    draw_fill(y, x, w, base);
    int cx = x + 1;
    draw_clamped(y, cx, d->c.name, base, r->name, strlen(r->name));
    cx += d->c.name + GAP;
    draw_str(y, cx, d->c.type, base, r->type);
    cx += d->c.type + GAP;
    const char *en = r->error ? "broken" : r->enabled ? "yes" : "no";
    tui_slot es = r->error ? SLOT_ERROR : r->enabled ? SLOT_OK : SLOT_WARNING;
    draw_str(y, cx, d->c.enabled, selected ? base : es, en);
    cx += d->c.enabled + GAP;
    char buf[64], when[32];
    if (r->error || (r->schedule && !r->enabled)) {
        draw_str(y, cx, d->c.next, selected ? base : SLOT_DIM, "-");
    } else if (!r->schedule) {
        draw_str(y, cx, d->c.next, selected ? base : SLOT_DIM, "on an event");
    } else if (r->next_s > 0) {
        trigger_countdown(buf, sizeof buf, r->next_s - d->now);
        int used = draw_str(y, cx, d->c.next, base, buf);
        utc(when, sizeof when, r->next_s, d->now, false);
        draw_str(y, cx + used + 1, d->c.next - used - 1, selected ? base : SLOT_DIM, when);
    } else {
        draw_str(y, cx, d->c.next, selected ? base : SLOT_DIM, "never");
    }
    cx += d->c.next + GAP;
    if (r->last_s > 0)
        draw_str(y, cx, d->c.last,
                 selected        ? base
                 : r->last_error ? SLOT_WARNING
                                 : SLOT_NORMAL,
                 utc(when, sizeof when, r->last_s, d->now, true));
    else
        draw_str(y, cx, d->c.last, selected ? base : SLOT_DIM, "never");
    cx += d->c.last + GAP;
    if (x + w - cx <= 0)
        return;
    char *act = action_text(r);
    draw_clamped(y, cx, x + w - cx - 1, base, act, strlen(act));
    free(act);
}

static void draw_rule_detail(view_triggers *v, int y, int x, int w, int64_t now)
{
    for (int i = 0; i < w; i++)
        draw_str(y, x + i, 1, SLOT_BORDER, draw_glyph(GLYPH_HLINE));
    const trig_row *r = selected_rule(v);
    if (r == NULL)
        return;
    tui_app *app = v->base.app;
    char rel[512];
    app_relpath(app, r->file ? r->file : "", rel, sizeof rel);
    if (r->error) {
        const char *e = short_text(app, r->error);
        draw_printf(y + 1, x + 1, w - 2, SLOT_ERROR, "%s %s", draw_glyph(GLYPH_ERROR), e);
    } else {
        /* the whole action and rule, which the columns may have clamped */
        char *act = action_text(r);
        char *line =
            xasprintf("%s %s %s %s  (%s)", r->type, r->rule, draw_glyph(GLYPH_ARROW), act, rel);
        draw_clamped(y + 1, x + 1, w - 2, SLOT_NORMAL, line, strlen(line));
        free(line);
        free(act);
    }
    strbuf sb = {0};
    if (r->schedule && r->next_s > 0 && r->enabled && !r->error) {
        char iso[40];
        time_t t = (time_t)r->next_s;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
        strbuf_printf(&sb, "next %s (%s)  ", iso, r->timezone ? r->timezone : "UTC");
    }
    strbuf_printf(&sb, "fired %lld time%s", r->fires, r->fires == 1 ? "" : "s");
    if (r->last_run)
        strbuf_printf(&sb, ", last run %s", r->last_run);
    if (r->last_error)
        strbuf_printf(&sb, "; last fire failed: %s", short_text(app, r->last_error));
    draw_clamped(y + 2, x + 1, w - 2, r->last_error ? SLOT_WARNING : SLOT_DIM, sb.buf, sb.len);
    strbuf_free(&sb);
}

static void rules_draw(tui_view *view, tui_rect r)
{
    view_triggers *v = (view_triggers *)view;
    tui_app *app = view->app;
    if (r.h < 4)
        return;
    int64_t now = now_s(app);
    /* who fires, and the rules' clock */
    char who[256], clock[64];
    const char *more;
    tui_slot ws = who_fires(app, who, sizeof who, &more);
    time_t tn = (time_t)now;
    struct tm tm;
    gmtime_r(&tn, &tm);
    strftime(clock, sizeof clock, "%Y-%m-%d %H:%M:%S UTC", &tm);
    if (app->trigger_clock.fake)
        strncat(clock, " (DAPT_CLOCK)", sizeof clock - strlen(clock) - 1);
    int cw = draw_width(clock, strlen(clock));
    int right = r.w - cw - 1;
    int used = draw_clamped(r.y, r.x + 1, right - 3, ws, who, strlen(who));
    int mw = draw_width(more, strlen(more));
    if (used + mw <= right - 3)
        used += draw_str(r.y, r.x + 1 + used, mw, SLOT_DIM, more);
    if (right > used + 3)
        draw_str(r.y, r.x + right, cw, SLOT_DIM, clock);
    rules_ctx d = {v, rule_layout(v, r.w), now};
    static const char *const heads[] = {"NAME", "TYPE", "ENABLED", "NEXT", "LAST FIRED", "ACTION"};
    int widths[] = {d.c.name, d.c.type, d.c.enabled, d.c.next, d.c.last, d.c.action};
    int x = r.x + 1;
    for (int i = 0; i < 6 && x < r.x + r.w; i++) {
        draw_str(r.y + 1, x, r.x + r.w - x, SLOT_TITLE, heads[i]);
        x += widths[i] + GAP;
    }
    int detail = r.h >= 10 ? 3 : 0;
    tui_rect lr = {r.y + 2, r.x, r.h - 2 - detail, r.w};
    v->lr = lr;
    v->page = lr.h;
    const char *empty = v->list.filter ? "no rule matches the filter"
                                       : "no trigger rules: write one in triggers/ (kind: "
                                         "trigger_rule), then C-r";
    list_draw(&v->list, lr, draw_rule, &d, empty);
    if (detail)
        draw_rule_detail(v, r.y + r.h - detail, r.x, r.w, now);
}

/* ------------------------------------------------------------------ */
/* Rules: actions                                                      */
/* ------------------------------------------------------------------ */

static bool at_work(tui_app *app)
{
    if (app->triggers)
        return true;
    app_message(app, SLOT_ERROR, "trigger rules are not at work here: %s",
                app->triggers_error ? app->triggers_error : "?");
    return false;
}

static void fire_yes(tui_app *app, void *data)
{
    char *name = data;
    char *error = NULL;
    /* the service says what happened: the run it started, the event */
    if (app->triggers && trigger_service_fire(app->triggers, name, &error) < 0) {
        app_message(app, SLOT_ERROR, "%s", short_text(app, error));
        free(error);
    }
    free(name);
}

static void fire_no(tui_app *app, void *data)
{
    app_message(app, SLOT_DIM, "%s not fired", (char *)data);
    free(data);
}

static void rule_fire(view_triggers *v, const trig_row *r)
{
    tui_app *app = v->base.app;
    if (!at_work(app))
        return;
    if (r->error) {
        app_message(app, SLOT_ERROR, "%s cannot fire: %s", r->name, short_text(app, r->error));
        return;
    }
    char *q = xasprintf("Fire rule %s now?", r->name);
    app_confirm_ex(app, q, fire_yes, fire_no, xstrdup(r->name));
    free(q);
}

static void rule_toggle(view_triggers *v, const trig_row *r)
{
    tui_app *app = v->base.app;
    if (!at_work(app))
        return;
    /* the service's change reloads the rows: keep what is needed */
    char *name = xstrdup(r->name);
    bool on = !r->enabled;
    char *error = NULL;
    if (trigger_service_enable(app->triggers, name, on, &error) < 0) {
        app_message(app, SLOT_ERROR, "%s", error);
        free(error);
    } else if (on) {
        app_message(app, SLOT_OK, "%s enabled: it fires again (e disables it)", name);
    } else {
        app_message(app, SLOT_OK, "%s disabled: it does not fire until e enables it", name);
    }
    free(name);
    rules_reload(v);
}

static int rules_action(tui_view *view, tui_action a)
{
    view_triggers *v = (view_triggers *)view;
    tui_app *app = view->app;
    trig_row *r = selected_rule(v);
    switch (a) {
    case ACTION_OPEN:
        if (r) {
            char *name = xstrdup(r->name);
            app_push(app, view_triggers_fires_new(app, name));
            free(name);
        }
        return TUI_HANDLED;
    case ACTION_TRIG_ENABLE:
        if (r)
            rule_toggle(v, r);
        return TUI_HANDLED;
    case ACTION_TRIG_FIRE:
        if (r)
            rule_fire(v, r);
        return TUI_HANDLED;
    case ACTION_TRIG_RELOAD:
        if (app->triggers)
            trigger_service_reload(app->triggers);
        rules_reload(v);
        app_message(app, SLOT_MESSAGE, "%zu rule%s loaded from triggers/", v->nrows,
                    v->nrows == 1 ? "" : "s");
        say_broken(v);
        return TUI_HANDLED;
    default:
        break;
    }
    if (!list_action(&v->list, a, v->page))
        return TUI_IGNORED;
    say_broken(v);
    return TUI_HANDLED;
}

static int rules_click(tui_view *view, int y, int x)
{
    (void)x;
    view_triggers *v = (view_triggers *)view;
    int c = list_click(&v->list, v->lr, y);
    if (c == 2)
        rules_action(view, ACTION_OPEN);
    else if (c)
        say_broken(v);
    if (c)
        app_invalidate(view->app);
    return c ? TUI_HANDLED : TUI_IGNORED;
}

static void rules_filter(tui_view *view, const char *text)
{
    view_triggers *v = (view_triggers *)view;
    list_filter(&v->list, text, rules_text, v);
    say_broken(v);
    app_invalidate(view->app);
}

static void rules_notify(tui_view *view, int what)
{
    if (what & TUI_NOTIFY_TRIGGERS)
        rules_reload((view_triggers *)view);
}

static const char *rules_status(tui_view *view)
{
    view_triggers *v = (view_triggers *)view;
    size_t broken = 0;
    for (size_t i = 0; i < v->nrows; i++)
        broken += v->rows[i].error != NULL;
    int n;
    if (v->list.filter)
        n = snprintf(v->status, sizeof v->status, "/%s  %zu of %zu rules", v->list.filter,
                     v->list.nshown, v->nrows);
    else
        n = snprintf(v->status, sizeof v->status, "%zu rule%s", v->nrows, v->nrows == 1 ? "" : "s");
    if (broken && n > 0 && (size_t)n < sizeof v->status)
        snprintf(v->status + n, sizeof v->status - (size_t)n, ", %zu broken", broken);
    return v->status;
}

static const tui_action *rules_hints(tui_view *view)
{
    (void)view;
    static const tui_action hints[] = {
        ACTION_OPEN,        ACTION_TRIG_ENABLE, ACTION_TRIG_FIRE, ACTION_FILTER,
        ACTION_TRIG_RELOAD, ACTION_HELP,        ACTION_BACK,      ACTION_NONE,
    };
    return hints;
}

/* The countdowns move; read again when this process is told nothing
 * (another leads) or a slot is due (its fire is on the way). */
static void rules_tick(uv_timer_t *t)
{
    view_triggers *v = t->data;
    tui_app *app = v->base.app;
    if (app_top(app) != &v->base)
        return;
    bool again = app->triggers && !trigger_service_leading(app->triggers, NULL);
    int64_t now = now_s(app);
    for (size_t i = 0; !again && app->triggers && i < v->nrows; i++)
        again = v->rows[i].next_s > 0 && v->rows[i].next_s <= now;
    if (again)
        rules_reload(v);
    app_invalidate(app);
}

static void rules_free(tui_view *view)
{
    view_triggers *v = (view_triggers *)view;
    tick_free(v->tick);
    rows_free(v);
    list_free(&v->list);
    free(view->title);
    free(v);
}

static const tui_view_class view_triggers_class = {
    .name = "triggers",
    .draw = rules_draw,
    .action = rules_action,
    .filter = rules_filter,
    .click = rules_click,
    .notify = rules_notify,
    .status = rules_status,
    .hints = rules_hints,
    .free = rules_free,
};

tui_view *view_triggers_new(tui_app *app)
{
    view_triggers *v = xcalloc(1, sizeof *v);
    v->base.cls = &view_triggers_class;
    v->base.app = app;
    list_init(&v->list);
    rules_reload(v);
    say_broken(v);
    v->tick = tick_new(app, rules_tick, v);
    return &v->base;
}

/* ------------------------------------------------------------------ */
/* A rule's fires                                                      */
/* ------------------------------------------------------------------ */

typedef struct fire_row {
    int64_t time_s;
    char *run_id; /* NULL: the fire started no run */
    char *state;  /* the run's state in the store; NULL: not (yet) there */
    char *error;
    long long depth;
    char *text;
} fire_row;

typedef struct view_fires {
    tui_view base;
    char *rule;
    char *about; /* "schedule * * * * *  run_workflow etl" */
    bool gone;   /* the rule is no longer in triggers/ */
    fire_row *rows;
    size_t nrows;
    tui_list list;
    tui_rect lr;
    int page;
    uv_timer_t *tick;
    char status[96];
} view_fires;

static void fires_free_rows(view_fires *v)
{
    for (size_t i = 0; i < v->nrows; i++) {
        free(v->rows[i].run_id);
        free(v->rows[i].state);
        free(v->rows[i].error);
        free(v->rows[i].text);
    }
    free(v->rows);
    v->rows = NULL;
    v->nrows = 0;
}

static const char *fires_text(void *data, size_t row)
{
    return ((view_fires *)data)->rows[row].text;
}

/* Read the rule's fires again, keeping the selected one. */
static void fires_reload(view_fires *v)
{
    long sel = list_selected(&v->list);
    int64_t keep_time = sel >= 0 ? v->rows[sel].time_s : 0;
    char *keep_run = sel >= 0 ? dup_or_null(v->rows[sel].run_id) : NULL;
    fires_free_rows(v);
    json_t *list = rules_json(v->base.app);
    const json_t *rule = NULL;
    for (size_t i = 0; i < json_array_size(list) && rule == NULL; i++) {
        const char *name = str_of(json_array_get(list, i), "name");
        if (name && strcmp(name, v->rule) == 0)
            rule = json_array_get(list, i);
    }
    v->gone = rule == NULL;
    if (rule) {
        free(v->about);
        trig_row r = {0};
        row_read(&r, rule);
        char *act = action_text(&r);
        v->about = xasprintf("%s %s  %s %s", r.type, r.rule, draw_glyph(GLYPH_ARROW), act);
        free(act);
        free(r.name), free(r.type), free(r.action), free(r.workflow), free(r.file);
        free(r.rule), free(r.timezone), free(r.error), free(r.last_error), free(r.last_run);
        free(r.text);
    }
    const json_t *fires = json_object_get(rule, "runs");
    v->nrows = json_array_size(fires);
    v->rows = xcalloc(v->nrows ? v->nrows : 1, sizeof *v->rows);
    for (size_t i = 0; i < v->nrows; i++) {
        const json_t *f = json_array_get(fires, i);
        fire_row *r = &v->rows[i];
        r->time_s = seconds_of(json_object_get(f, "time"));
        r->run_id = dup_or_null(str_of(f, "run_id"));
        r->state = dup_or_null(str_of(f, "state"));
        r->error = dup_or_null(str_of(f, "error"));
        r->depth = (long long)json_integer_value(json_object_get(f, "depth"));
        r->text = xasprintf("%s %s %s", r->run_id ? r->run_id : "", r->state ? r->state : "",
                            r->error ? r->error : "");
    }
    json_decref(list);
    list_set_count(&v->list, v->nrows, fires_text, v);
    for (size_t i = 0; sel >= 0 && i < v->nrows; i++) {
        const fire_row *r = &v->rows[i];
        if (r->time_s == keep_time && ((keep_run == NULL && r->run_id == NULL) ||
                                       (keep_run && r->run_id && strcmp(keep_run, r->run_id) == 0)))
            list_select(&v->list, i);
    }
    free(keep_run);
    app_invalidate(v->base.app);
}

static fire_row *selected_fire(view_fires *v)
{
    long sel = list_selected(&v->list);
    return sel >= 0 ? &v->rows[sel] : NULL;
}

static void say_fire_error(view_fires *v)
{
    fire_row *r = selected_fire(v);
    if (r && r->error)
        app_message(v->base.app, SLOT_ERROR, "this fire failed: %s",
                    short_text(v->base.app, r->error));
}

static tui_glyph state_glyph(dapt_state s)
{
    switch (s) {
    case DAPT_STATE_FINISHED:
        return GLYPH_OK;
    case DAPT_STATE_RUNNING:
        return GLYPH_RUNNING;
    case DAPT_STATE_PENDING:
        return GLYPH_PENDING;
    case DAPT_STATE_CANCELLED:
    case DAPT_STATE_SKIPPED:
        return GLYPH_SKIPPED;
    default:
        return GLYPH_FAIL;
    }
}

enum { FCOL_TIME = 20, FCOL_RUN = 8, FCOL_STATE = 13 };

static void draw_fire(void *data, size_t row, int y, int x, int w, bool selected)
{
    view_fires *v = data;
    const fire_row *r = &v->rows[row];
    tui_slot base = selected ? SLOT_SELECTED : SLOT_NORMAL;
    draw_fill(y, x, w, base);
    int cx = x + 1;
    char when[40];
    time_t t = (time_t)r->time_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%SZ", &tm);
    draw_str(y, cx, FCOL_TIME, base, when);
    cx += FCOL_TIME + GAP;
    draw_str(y, cx, FCOL_RUN, r->run_id || selected ? base : SLOT_DIM, r->run_id ? r->run_id : "-");
    cx += FCOL_RUN + GAP;
    int st = r->state ? dapt_state_parse(r->state) : -1;
    if (st >= 0) {
        tui_slot ss = selected ? base : theme_state_slot((dapt_state)st);
        draw_printf(y, cx, FCOL_STATE, ss, "%s %s", draw_glyph(state_glyph((dapt_state)st)),
                    r->state);
    } else {
        draw_str(y, cx, FCOL_STATE, selected ? base : SLOT_DIM,
                 r->run_id  ? "starting"
                 : r->error ? "failed"
                            : "no run");
    }
    cx += FCOL_STATE + GAP;
    if (x + w - cx <= 0)
        return;
    if (r->error)
        draw_clamped(y, cx, x + w - cx - 1, selected ? base : SLOT_ERROR, r->error,
                     strcspn(r->error, "\n"));
    else if (r->depth > 1)
        draw_printf(y, cx, x + w - cx - 1, selected ? base : SLOT_DIM, "in a chain of %lld runs",
                    r->depth);
}

static void fires_draw(tui_view *view, tui_rect r)
{
    view_fires *v = (view_fires *)view;
    if (r.h < 3)
        return;
    if (v->gone)
        draw_printf(r.y, r.x + 1, r.w - 2, SLOT_WARNING, "%s is no longer in triggers/", v->rule);
    else
        draw_clamped(r.y, r.x + 1, r.w - 2, SLOT_DIM, v->about ? v->about : "",
                     v->about ? strlen(v->about) : 0);
    draw_printf(r.y + 1, r.x + 1, r.w - 1, SLOT_TITLE, "%-*s  %-*s  %-*s  %s", FCOL_TIME,
                "FIRED (UTC)", FCOL_RUN, "RUN", FCOL_STATE, "STATE", "ERROR");
    tui_rect lr = {r.y + 2, r.x, r.h - 2, r.w};
    v->lr = lr;
    v->page = lr.h;
    list_draw(&v->list, lr, draw_fire, v,
              v->list.filter ? "no fire matches the filter" : "not fired yet");
}

static int fires_action(tui_view *view, tui_action a)
{
    view_fires *v = (view_fires *)view;
    if (a == ACTION_OPEN) {
        fire_row *r = selected_fire(v);
        if (r && r->run_id) {
            char *id = xstrdup(r->run_id); /* the list may reload meanwhile */
            app_open_run(view->app, id);
            free(id);
        } else if (r && r->error) {
            say_fire_error(v);
        } else if (r) {
            app_message(view->app, SLOT_DIM, "this fire started no run (its action is not a run)");
        }
        return TUI_HANDLED;
    }
    if (!list_action(&v->list, a, v->page))
        return TUI_IGNORED;
    say_fire_error(v);
    return TUI_HANDLED;
}

static int fires_click(tui_view *view, int y, int x)
{
    (void)x;
    view_fires *v = (view_fires *)view;
    int c = list_click(&v->list, v->lr, y);
    if (c == 2)
        fires_action(view, ACTION_OPEN);
    if (c)
        app_invalidate(view->app);
    return c ? TUI_HANDLED : TUI_IGNORED;
}

static void fires_filter(tui_view *view, const char *text)
{
    view_fires *v = (view_fires *)view;
    list_filter(&v->list, text, fires_text, v);
    app_invalidate(view->app);
}

static void fires_notify(tui_view *view, int what)
{
    if (what & (TUI_NOTIFY_TRIGGERS | TUI_NOTIFY_RUNS))
        fires_reload((view_fires *)view);
}

static const char *fires_status(tui_view *view)
{
    view_fires *v = (view_fires *)view;
    if (v->list.filter)
        snprintf(v->status, sizeof v->status, "/%s  %zu of %zu fires", v->list.filter,
                 v->list.nshown, v->nrows);
    else
        snprintf(v->status, sizeof v->status, "the latest %zu fire%s", v->nrows,
                 v->nrows == 1 ? "" : "s");
    return v->status;
}

static const tui_action *fires_hints(tui_view *view)
{
    (void)view;
    static const tui_action hints[] = {ACTION_OPEN, ACTION_FILTER, ACTION_HELP, ACTION_BACK,
                                       ACTION_NONE};
    return hints;
}

/* A run the store has not closed yet ends without telling this view (it
 * is written behind the run): look again each second until it has. */
static void fires_tick(uv_timer_t *t)
{
    view_fires *v = t->data;
    if (app_top(v->base.app) != &v->base)
        return;
    for (size_t i = 0; i < v->nrows; i++) {
        const fire_row *r = &v->rows[i];
        int st = r->state ? dapt_state_parse(r->state) : -1;
        if (r->run_id && (st < 0 || !dapt_state_terminal((dapt_state)st))) {
            fires_reload(v);
            return;
        }
    }
}

static void fires_free(tui_view *view)
{
    view_fires *v = (view_fires *)view;
    tick_free(v->tick);
    fires_free_rows(v);
    list_free(&v->list);
    free(v->rule);
    free(v->about);
    free(view->title);
    free(v);
}

static const tui_view_class view_fires_class = {
    .name = "fires",
    .draw = fires_draw,
    .action = fires_action,
    .filter = fires_filter,
    .click = fires_click,
    .notify = fires_notify,
    .status = fires_status,
    .hints = fires_hints,
    .free = fires_free,
};

tui_view *view_triggers_fires_new(tui_app *app, const char *name)
{
    view_fires *v = xcalloc(1, sizeof *v);
    v->base.cls = &view_fires_class;
    v->base.app = app;
    v->base.title = xasprintf("fires: %s", name);
    v->rule = xstrdup(name);
    list_init(&v->list);
    fires_reload(v);
    if (v->gone) {
        app_message(app, SLOT_ERROR, "no trigger rule `%s` (see :triggers)", name);
        fires_free(&v->base);
        return NULL;
    }
    say_fire_error(v);
    v->tick = tick_new(app, fires_tick, v);
    return &v->base;
}
