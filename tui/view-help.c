/*
 * view-help.c - `?`: the keys of the view it was opened from (its own
 * scope first, then the global ones) and the `:` commands, all from the
 * tables, so help can never disagree with what the keys do.  Filterable
 * with `/`, which makes it a small command palette.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tui.h"

typedef struct help_row {
    bool heading;
    char *keys;
    char *text; /* heading text, or "name  help" */
    char *match;/* what `/` filters on */
} help_row;

typedef struct view_help {
    tui_view base;
    help_row *rows;
    size_t nrows, cap;
    tui_list list;
} view_help;

static void add_row(view_help *h, bool heading, const char *keys, const char *text)
{
    if (h->nrows == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->rows = xrealloc(h->rows, h->cap, sizeof *h->rows);
    }
    help_row *r = &h->rows[h->nrows++];
    r->heading = heading;
    r->keys = xstrdup(keys ? keys : "");
    r->text = xstrdup(text);
    r->match = xasprintf("%s %s", r->keys, text);
}

static void add_scope(view_help *h, const char *scope, const char *heading)
{
    bool any = false;
    for (int a = 0; a < ACTION_COUNT; a++) {
        if (strcmp(action_scope((tui_action)a), scope) != 0)
            continue;
        char keys[96];
        action_keys((tui_action)a, keys, sizeof keys);
        if (!any)
            add_row(h, true, NULL, heading);
        any = true;
        char *text = xasprintf("%-13s %s", action_name((tui_action)a), action_help((tui_action)a));
        add_row(h, false, *keys ? keys : "(unbound)", text);
        free(text);
    }
}

static const char *row_text(void *data, size_t row)
{
    view_help *h = data;
    return h->rows[row].heading ? "" : h->rows[row].match;
}

static void draw_row(void *data, size_t row, int y, int x, int w, bool selected)
{
    view_help *h = data;
    help_row *r = &h->rows[row];
    if (r->heading) {
        draw_fill(y, x, w, SLOT_NORMAL);
        draw_str(y, x + 1, w - 1, SLOT_TITLE, r->text);
        return;
    }
    tui_slot sl = selected ? SLOT_SELECTED : SLOT_NORMAL;
    draw_fill(y, x, w, sl);
    draw_clamped(y, x + 2, 22, selected ? SLOT_SELECTED : SLOT_HINT_KEY, r->keys,
                 strlen(r->keys));
    draw_clamped(y, x + 26, w - 27, sl, r->text, strlen(r->text));
}

static void help_draw(tui_view *view, tui_rect r)
{
    view_help *h = (view_help *)view;
    list_draw(&h->list, r, draw_row, h, "no key matches the filter");
}

static int help_action(tui_view *view, tui_action a)
{
    view_help *h = (view_help *)view;
    if (a == ACTION_OPEN || a == ACTION_HELP) {
        app_pop(view->app);
        return TUI_HANDLED;
    }
    return list_action(&h->list, a, 10) ? TUI_HANDLED : TUI_IGNORED;
}

static void help_filter(tui_view *view, const char *text)
{
    view_help *h = (view_help *)view;
    list_filter(&h->list, text, row_text, h);
    app_invalidate(view->app);
}

static void view_free(tui_view *view)
{
    view_help *h = (view_help *)view;
    for (size_t i = 0; i < h->nrows; i++) {
        free(h->rows[i].keys);
        free(h->rows[i].text);
        free(h->rows[i].match);
    }
    free(h->rows);
    list_free(&h->list);
    free(view->title);
    free(h);
}

static const tui_view_class view_help_class = {
    .name = "help",
    .draw = help_draw,
    .action = help_action,
    .filter = help_filter,
    .free = view_free,
};

tui_view *view_help_new(tui_app *app, const tui_view *of)
{
    view_help *h = xcalloc(1, sizeof *h);
    h->base.cls = &view_help_class;
    h->base.app = app;
    const char *scope = of ? of->cls->name : "global";
    h->base.title = xasprintf("help: %s", scope);
    if (strcmp(scope, "global") != 0) {
        char *heading = xasprintf("Keys of the %s view", scope);
        add_scope(h, scope, heading);
        free(heading);
    }
    add_scope(h, "global", "Keys everywhere");
    add_row(h, true, NULL, "Commands (press : then Tab to complete)");
    char *cmds = cmdline_help_text();
    for (char *line = cmds, *nl; line && *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (nl == NULL)
            break;
        *nl = '\0';
        char *tab = strchr(line, '\t');
        if (tab) {
            *tab = '\0';
            add_row(h, false, line, tab + 1);
        }
    }
    free(cmds);
    list_init(&h->list);
    list_set_count(&h->list, h->nrows, row_text, h);
    return &h->base;
}
