/*
 * view-history.c - the git history of a workflow file, from the editor
 * (M-h): every version that changed it, with how many runs were made from
 * each and how they ended.  Enter shows a version's diff against the
 * buffer, `v` the version itself, `r` restores it into the editor (not
 * saved, never over unsaved edits without asking).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tui.h"

typedef struct view_history {
    tui_view base;
    char *path; /* absolute */
    char *rel;
    json_t *log; /* [{commit, author, date, message, blob, runs_text}] */
    tui_list list;
    char *pending_text; /* a version waiting for the restore confirmation */
    char *pending_rev;
} view_history;

static json_t *entry(view_history *h, size_t row)
{
    return json_array_get(h->log, row);
}

static const char *field(json_t *e, const char *key)
{
    const char *v = json_string_value(json_object_get(e, key));
    return v ? v : "";
}

static const char *row_text(void *data, size_t row)
{
    return field(entry(data, row), "search");
}

static void draw_row(void *data, size_t row, int y, int x, int w, bool selected)
{
    view_history *h = data;
    json_t *e = entry(h, row);
    tui_slot sl = selected ? SLOT_SELECTED : SLOT_NORMAL;
    draw_fill(y, x, w, sl);
    int c = x + 1;
    c += draw_printf(y, c, 9, selected ? sl : SLOT_TITLE, "%.7s", field(e, "commit")) + 2;
    c += draw_printf(y, c, 17, sl, "%-16s", field(e, "when")) + 1;
    c += draw_clamped(y, c, 16, sl, field(e, "author"), strlen(field(e, "author"))) + 1;
    c = x + 1 + 9 + 17 + 17;
    const char *runs = field(e, "runs_text");
    draw_clamped(y, c, 26, selected ? sl : SLOT_DIM, runs, strlen(runs));
    c += 27;
    const char *msg = field(e, "message");
    draw_clamped(y, c, x + w - c, sl, msg, strcspn(msg, "\n"));
}

static void history_draw(tui_view *view, tui_rect r)
{
    view_history *h = (view_history *)view;
    if (r.h < 3)
        return;
    draw_printf(r.y, r.x + 1, r.w - 2, SLOT_TITLE, "%-9s%-17s%-17s%-27s%s", "COMMIT", "DATE",
                "AUTHOR", "RUNS", "MESSAGE");
    tui_rect lr = {r.y + 1, r.x, r.h - 1, r.w};
    list_draw(&h->list, lr, draw_row, h, "no commits of this file yet (M-s in the editor applies it)");
}

/* The text of the selected version (caller frees), or NULL after saying why. */
static char *version_text(view_history *h, const char **rev)
{
    long row = list_selected(&h->list);
    if (row < 0)
        return NULL;
    *rev = field(entry(h, (size_t)row), "commit");
    const char *args[] = {"show", "-C", h->base.app->workspace, *rev, h->rel, NULL};
    char *text = NULL, *error = NULL;
    size_t len;
    if (workspace_git_text(&text, &len, args, &error) < 0) {
        app_message(h->base.app, SLOT_ERROR, "%s", error);
        free(error);
        return NULL;
    }
    return text;
}

static void restore_now(tui_app *app, void *data)
{
    view_history *h = data;
    tui_view *ed = app_find_editor(app, h->path);
    if (ed == NULL) {
        app_edit(app, h->path);
        ed = app_find_editor(app, h->path);
    }
    if (ed == NULL) {
        app_message(app, SLOT_ERROR, "cannot open %s in the editor", h->rel);
        return;
    }
    view_editor_replace(ed, h->pending_text);
    app_message(app, SLOT_OK, "restored %s as of %.7s into the editor: C-s saves, M-s applies",
                h->rel, h->pending_rev);
    /* Back to the editor: it is below us, or was just opened on top. */
    if (app_top(app) == &h->base)
        app_pop(app);
}

static int history_action(tui_view *view, tui_action a)
{
    view_history *h = (view_history *)view;
    tui_app *app = view->app;
    const char *rev = NULL;
    if (a == ACTION_OPEN || a == ACTION_HIST_VIEW) {
        char *text = version_text(h, &rev);
        if (text == NULL)
            return TUI_HANDLED;
        char title[128];
        if (a == ACTION_HIST_VIEW) {
            snprintf(title, sizeof title, "%s@%.7s", h->rel, rev);
            app_push(app, view_text_new(app, title, text, false));
        } else {
            char *now = vcs_current_text(app, h->path);
            char la[128];
            snprintf(la, sizeof la, "%s@%.7s", h->rel, rev);
            char *d = textdiff_unified(text, now ? now : "", la, "buffer");
            snprintf(title, sizeof title, "%.7s vs buffer", rev);
            if (*d == '\0')
                app_message(app, SLOT_OK, "the buffer is as %.7s", rev);
            else
                app_push(app, view_text_new(app, title, d, true));
            free(d);
            free(now);
        }
        free(text);
        return TUI_HANDLED;
    }
    if (a == ACTION_HIST_RESTORE) {
        char *text = version_text(h, &rev);
        if (text == NULL)
            return TUI_HANDLED;
        free(h->pending_text);
        free(h->pending_rev);
        h->pending_text = text;
        h->pending_rev = xstrdup(rev);
        tui_view *ed = app_find_editor(app, h->path);
        if (ed && view_editor_modified(ed)) {
            char *q = xasprintf("The editor has unsaved edits to %s: replace them with %.7s?",
                                h->rel, rev);
            app_confirm(app, q, restore_now, h);
            free(q);
        } else {
            restore_now(app, h);
        }
        return TUI_HANDLED;
    }
    if (list_action(&h->list, a, 10)) {
        app_invalidate(app);
        return TUI_HANDLED;
    }
    return TUI_IGNORED;
}

static void history_filter(tui_view *view, const char *text)
{
    view_history *h = (view_history *)view;
    list_filter(&h->list, text, row_text, h);
    app_invalidate(view->app);
}

static const tui_action history_hints[] = {
    ACTION_OPEN, ACTION_HIST_VIEW, ACTION_HIST_RESTORE, ACTION_FILTER, ACTION_BACK, ACTION_NONE,
};

static const tui_action *hints(tui_view *view)
{
    (void)view;
    return history_hints;
}

static void history_free(tui_view *view)
{
    view_history *h = (view_history *)view;
    free(h->path);
    free(h->rel);
    json_decref(h->log);
    list_free(&h->list);
    free(h->pending_text);
    free(h->pending_rev);
    free(view->title);
    free(h);
}

static const tui_view_class view_history_class = {
    .name = "history",
    .draw = history_draw,
    .action = history_action,
    .filter = history_filter,
    .hints = hints,
    .free = history_free,
};

/* Dates as "2026-11-25 10:37", run counts as text, and what `/` sees. */
static void decorate(view_history *h)
{
    size_t i;
    json_t *e;
    json_array_foreach(h->log, i, e) {
        char when[32] = "-";
        int64_t us;
        if (store_parse_time(json_object_get(e, "date"), &us) == 0) {
            time_t t = (time_t)(us / 1000000);
            struct tm tm;
            if (localtime_r(&t, &tm))
                strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
        } else if (json_is_integer(json_object_get(e, "date"))) {
            time_t t = (time_t)json_integer_value(json_object_get(e, "date"));
            struct tm tm;
            if (localtime_r(&t, &tm))
                strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
        }
        json_object_set_new(e, "when", json_string(when));
        json_t *counts = NULL;
        char *error = NULL;
        const char *blob = json_string_value(json_object_get(e, "blob"));
        char *text = NULL;
        if (h->base.app->store && blob &&
            store_count_runs_by_blob(h->base.app->store, &counts, blob, &error) == 0)
            text = store_counts_text(counts);
        json_object_set_new(e, "runs_text", json_string(text ? text : "0"));
        char *search = xasprintf("%s %s %s %s", field(e, "commit"), field(e, "author"),
                                 field(e, "message"), when);
        json_object_set_new(e, "search", json_string(search));
        free(search);
        free(text);
        free(error);
        json_decref(counts);
    }
}

tui_view *view_history_new(tui_app *app, const char *path)
{
    char rel[4096];
    app_relpath(app, path, rel, sizeof rel);
    const char *args[] = {"log", "-C", app->workspace, rel, NULL};
    json_t *log = NULL;
    char *error = NULL;
    if (workspace_git(&log, args, &error) < 0) {
        app_message(app, SLOT_ERROR, "history of %s: %s", rel, error);
        free(error);
        return NULL;
    }
    view_history *h = xcalloc(1, sizeof *h);
    h->base.cls = &view_history_class;
    h->base.app = app;
    h->base.title = xasprintf("history %s", rel);
    h->path = xstrdup(path);
    h->rel = xstrdup(rel);
    h->log = json_is_array(log) ? log : (json_decref(log), json_array());
    decorate(h);
    list_init(&h->list);
    list_set_count(&h->list, json_array_size(h->log), row_text, h);
    return &h->base;
}
