/*
 * view-plugins.c - `:plugins`: every plugin the catalog found, in search
 * order (ok, broken and shadowed ones), with its version, status and
 * number of targets; the selected one's reason (why broken, what shadows
 * it) or description and path below the list.  Enter opens its targets.
 *
 * Rows are indices into the registry, read again on every draw, so a
 * reloaded catalog (TUI_NOTIFY_REGISTRY) only needs a new count.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tui.h"

typedef struct view_plugins {
    tui_view base;
    tui_list list;
    int page;    /* rows the list showed last */
    tui_rect lr; /* where (for clicks) */
    char status[96];
} view_plugins;

static const dapt_plugin_info *plugin_at(view_plugins *v, size_t row)
{
    const dapt_registry *reg = v->base.app->registry;
    return reg && row < dapt_registry_count(reg) ? dapt_registry_plugin(reg, row) : NULL;
}

static const char *row_text(void *data, size_t row)
{
    view_plugins *v = data;
    const dapt_plugin_info *p = plugin_at(v, row);
    return p ? p->name : "";
}

static tui_slot status_slot(const dapt_plugin_info *p)
{
    switch (p->status) {
    case DAPT_PLUGIN_OK:
        return SLOT_OK;
    case DAPT_PLUGIN_BROKEN:
        return SLOT_ERROR;
    case DAPT_PLUGIN_SHADOWED:
        return SLOT_WARNING;
    }
    return SLOT_NORMAL;
}

/* The length of the first line of s. */
static size_t line_len(const char *s)
{
    const char *nl = strchr(s, '\n');
    return nl ? (size_t)(nl - s) : strlen(s);
}

/* Column widths for a body `w` wide: name, version, status, targets; the
 * description takes what is left (nothing when too narrow). */
typedef struct cols {
    int name, version, status, targets, desc;
} cols;

static cols layout(view_plugins *v, int w)
{
    cols c = {.name = 4, .version = 7, .status = 8, .targets = 7};
    const dapt_registry *reg = v->base.app->registry;
    for (size_t i = 0; reg && i < dapt_registry_count(reg); i++) {
        const dapt_plugin_info *p = dapt_registry_plugin(reg, i);
        int n = draw_width(p->name, strlen(p->name));
        int ver = draw_width(p->version, strlen(p->version));
        c.name = n > c.name ? n : c.name;
        c.version = ver > c.version ? ver : c.version;
    }
    if (c.name > 24)
        c.name = 24;
    if (c.version > 12)
        c.version = 12;
    c.desc = w - 2 - (c.name + c.version + c.status + c.targets + 8);
    if (c.desc < 8)
        c.desc = 0;
    return c;
}

typedef struct draw_ctx {
    view_plugins *v;
    cols c;
} draw_ctx;

static void draw_row(void *data, size_t row, int y, int x, int w, bool selected)
{
    draw_ctx *d = data;
    const dapt_plugin_info *p = plugin_at(d->v, row);
    tui_slot base = selected ? SLOT_SELECTED : SLOT_NORMAL;
    draw_fill(y, x, w, base);
    if (p == NULL)
        return;
    int cx = x + 1;
    draw_clamped(y, cx, d->c.name, base, p->name, strlen(p->name));
    cx += d->c.name + 2;
    draw_clamped(y, cx, d->c.version, selected ? base : SLOT_DIM, *p->version ? p->version : "-",
                 *p->version ? strlen(p->version) : 1);
    cx += d->c.version + 2;
    const char *st = dapt_plugin_status_name(p->status);
    draw_str(y, cx, d->c.status, selected ? base : status_slot(p), st);
    cx += d->c.status + 2;
    if (p->status != DAPT_PLUGIN_OK) /* not loaded: no targets to count */
        draw_str(y, cx, d->c.targets, selected ? base : SLOT_DIM, "      -");
    else
        draw_printf(y, cx, d->c.targets, base, "%7zu", p->target_count);
    cx += d->c.targets + 2;
    if (d->c.desc > 0)
        draw_clamped(y, cx, d->c.desc, selected ? base : SLOT_DIM, p->description,
                     line_len(p->description));
}

/* Below the list: why the selected plugin is not usable, or what it is. */
static void draw_detail(view_plugins *v, int y, int x, int w)
{
    long row = list_selected(&v->list);
    const dapt_plugin_info *p = row >= 0 ? plugin_at(v, (size_t)row) : NULL;
    for (int i = 0; i < w; i++)
        draw_str(y, x + i, 1, SLOT_BORDER, draw_glyph(GLYPH_HLINE));
    if (p == NULL)
        return;
    if (p->status != DAPT_PLUGIN_OK && p->error) {
        /* "shadowed by PATH" says it all; a broken one's reason needs the word */
        int used = p->status == DAPT_PLUGIN_BROKEN
                       ? draw_str(y + 1, x + 1, w - 1, status_slot(p), "broken: ")
                       : 0;
        draw_clamped(y + 1, x + 1 + used, w - 1 - used, status_slot(p), p->error,
                     line_len(p->error));
    } else {
        draw_clamped(y + 1, x + 1, w - 1, SLOT_NORMAL, p->description, line_len(p->description));
    }
    if (p->runtime == DAPT_RUNTIME_PYTHON) {
        /* which interpreter runs it matters as much as where it lives */
        char *where = xasprintf("python %s  %s", p->interpreter ? p->interpreter : "?", p->path);
        draw_clamped(y + 2, x + 1, w - 1, SLOT_DIM, where, strlen(where));
        free(where);
        return;
    }
    draw_clamped(y + 2, x + 1, w - 1, SLOT_DIM, p->path, strlen(p->path));
}

static void plugins_draw(tui_view *view, tui_rect r)
{
    view_plugins *v = (view_plugins *)view;
    if (view->app->registry == NULL) {
        draw_str(r.y + 1, r.x + 1, r.w - 1, SLOT_ERROR, "The plugin catalog could not be loaded.");
        draw_str(r.y + 2, r.x + 1, r.w - 1, SLOT_DIM, "Run `dapt plugins` in a shell to see why.");
        return;
    }
    draw_ctx d = {v, layout(v, r.w)};
    int x = r.x + 1;
    draw_str(r.y, x, d.c.name, SLOT_TITLE, "NAME");
    x += d.c.name + 2;
    draw_str(r.y, x, d.c.version, SLOT_TITLE, "VERSION");
    x += d.c.version + 2;
    draw_str(r.y, x, d.c.status, SLOT_TITLE, "STATUS");
    x += d.c.status + 2;
    draw_str(r.y, x, d.c.targets, SLOT_TITLE, "TARGETS");
    x += d.c.targets + 2;
    if (d.c.desc > 0)
        draw_str(r.y, x, d.c.desc, SLOT_TITLE, "DESCRIPTION");
    int detail = r.h >= 8 ? 3 : 0;
    tui_rect lr = {r.y + 1, r.x, r.h - 1 - detail, r.w};
    v->page = lr.h;
    v->lr = lr;
    list_draw(&v->list, lr, draw_row, &d, "no plugins found");
    if (detail)
        draw_detail(v, r.y + r.h - detail, r.x, r.w);
}

static void open_selected(view_plugins *v)
{
    long row = list_selected(&v->list);
    const dapt_plugin_info *p = row >= 0 ? plugin_at(v, (size_t)row) : NULL;
    if (p == NULL)
        return;
    if (p->status == DAPT_PLUGIN_BROKEN) {
        app_message(v->base.app, SLOT_ERROR, "%s is broken: %s", p->name,
                    p->error ? p->error : "no reason given");
        return;
    }
    if (p->status == DAPT_PLUGIN_SHADOWED) {
        app_message(v->base.app, SLOT_WARNING, "%s is %s; its targets are those of the one in use",
                    p->name, p->error ? p->error : "shadowed");
        return;
    }
    app_push(v->base.app, view_targets_new(v->base.app, p->name));
}

static int plugins_action(tui_view *view, tui_action a)
{
    view_plugins *v = (view_plugins *)view;
    if (a == ACTION_OPEN) {
        open_selected(v);
        return TUI_HANDLED;
    }
    return list_action(&v->list, a, v->page) ? TUI_HANDLED : TUI_IGNORED;
}

static int plugins_click(tui_view *view, int y, int x)
{
    (void)x;
    view_plugins *v = (view_plugins *)view;
    int c = list_click(&v->list, v->lr, y);
    if (c == 2)
        plugins_action(view, ACTION_OPEN);
    if (c)
        app_invalidate(view->app);
    return c ? TUI_HANDLED : TUI_IGNORED;
}

static void plugins_filter(tui_view *view, const char *text)
{
    view_plugins *v = (view_plugins *)view;
    list_filter(&v->list, text, row_text, v);
    app_invalidate(view->app);
}

static void reload(view_plugins *v)
{
    const dapt_registry *reg = v->base.app->registry;
    list_set_count(&v->list, reg ? dapt_registry_count(reg) : 0, row_text, v);
}

static void plugins_notify(tui_view *view, int what)
{
    if (what & TUI_NOTIFY_REGISTRY)
        reload((view_plugins *)view);
}

static const char *plugins_status(tui_view *view)
{
    view_plugins *v = (view_plugins *)view;
    const dapt_registry *reg = view->app->registry;
    if (reg == NULL)
        return "no catalog";
    size_t broken = 0;
    for (size_t i = 0; i < dapt_registry_count(reg); i++)
        broken += dapt_registry_plugin(reg, i)->status == DAPT_PLUGIN_BROKEN;
    int n = 0;
    if (v->list.filter)
        n = snprintf(v->status, sizeof v->status, "/%s  %zu of %zu plugin%s", v->list.filter,
                     v->list.nshown, v->list.count, v->list.count == 1 ? "" : "s");
    else
        n = snprintf(v->status, sizeof v->status, "%zu plugin%s", v->list.count,
                     v->list.count == 1 ? "" : "s");
    if (broken && n > 0 && (size_t)n < sizeof v->status)
        snprintf(v->status + n, sizeof v->status - (size_t)n, ", %zu broken", broken);
    return v->status;
}

static const tui_action *plugins_hints(tui_view *view)
{
    (void)view;
    static const tui_action hints[] = {
        ACTION_OPEN, ACTION_FILTER, ACTION_VIEW_TARGETS, ACTION_BACK,
        ACTION_HELP, ACTION_QUIT,   ACTION_NONE,
    };
    return hints;
}

static void plugins_free(tui_view *view)
{
    view_plugins *v = (view_plugins *)view;
    list_free(&v->list);
    free(view->title);
    free(v);
}

static const tui_view_class view_plugins_class = {
    .name = "plugins",
    .draw = plugins_draw,
    .action = plugins_action,
    .filter = plugins_filter,
    .click = plugins_click,
    .notify = plugins_notify,
    .status = plugins_status,
    .hints = plugins_hints,
    .free = plugins_free,
};

tui_view *view_plugins_new(tui_app *app)
{
    view_plugins *v = xcalloc(1, sizeof *v);
    v->base.cls = &view_plugins_class;
    v->base.app = app;
    list_init(&v->list);
    reload(v);
    return &v->base;
}
