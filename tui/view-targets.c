/*
 * view-targets.c - `:targets` (every target of the usable plugins, sorted)
 * or one plugin's targets (in the plugin's order): the target, its kind,
 * a short signature and the first line of its doc.  `K` cycles a kind
 * filter (all, stage, executor), `/` filters by name (fuzzy), Enter opens
 * the target's detail.
 *
 * The rows point into the registry; a reloaded catalog
 * (TUI_NOTIFY_REGISTRY) rebuilds them, keeping the selected target by
 * name.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tui.h"

/* The kind filter: all, then each kind. */
enum { KIND_ALL, KIND_STAGE, KIND_EXECUTOR, KIND_ACTION, KIND_MODES };
static const char *const kind_mode_names[KIND_MODES] = {"all", "stage", "executor", "action"};

typedef struct view_targets {
    tui_view base;
    char *plugin; /* NULL: all plugins */
    int kind;     /* KIND_* */
    const dapt_target_info **rows;
    size_t nrows;
    tui_list list;
    int page;
    tui_rect lr; /* where the list was drawn (for clicks) */
    char status[128];
} view_targets;

char *view_targets_signature(const dapt_target_info *t)
{
    strbuf sb = {0};
    const char *sep = "";
    strbuf_putc(&sb, '(');
    /* *args where Python writes it: after the params positionals fill */
    size_t star = (t->flags & DAPT_TARGET_VARARGS) ? plugin_positional_params(t) : (size_t)-1;
    for (size_t i = 0; i <= t->param_count; i++) {
        if (i == star) {
            strbuf_printf(&sb, "%s*args", sep);
            sep = ", ";
        }
        if (i == t->param_count)
            break;
        const dapt_param_info *p = &t->params[i];
        strbuf_printf(&sb, "%s%s%s: %s", sep, p->name, p->required ? "" : "?", p->type);
        if (!p->required && p->default_json)
            strbuf_printf(&sb, " = %s", p->default_json);
        sep = ", ";
    }
    if (t->flags & DAPT_TARGET_KWARGS)
        strbuf_printf(&sb, "%s**kwargs", sep);
    strbuf_putc(&sb, ')');
    if (t->returns && *t->returns)
        strbuf_printf(&sb, " -> %s", t->returns);
    /* one line: a multi-line default or return shows folded */
    for (char *c = sb.buf; *c; c++)
        if (*c == '\n' || *c == '\t')
            *c = ' ';
    return strbuf_detach(&sb);
}

static size_t line_len(const char *s)
{
    const char *nl = strchr(s, '\n');
    return nl ? (size_t)(nl - s) : strlen(s);
}

static const char *row_text(void *data, size_t row)
{
    view_targets *v = data;
    return row < v->nrows ? v->rows[row]->target : "";
}

static bool kind_passes(const view_targets *v, const dapt_target_info *t)
{
    switch (v->kind) {
    case KIND_STAGE:
        return t->kind == DAPT_TARGET_STAGE;
    case KIND_EXECUTOR:
        return t->kind == DAPT_TARGET_EXECUTOR;
    case KIND_ACTION:
        return t->kind == DAPT_TARGET_ACTION;
    default:
        return true;
    }
}

static void add_row(view_targets *v, const dapt_target_info *t, size_t *cap)
{
    if (!kind_passes(v, t))
        return;
    if (v->nrows == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        v->rows = xrealloc(v->rows, *cap, sizeof *v->rows);
    }
    v->rows[v->nrows++] = t;
}

/* Rebuild the rows from the registry, keeping the selected target. */
static void reload(view_targets *v)
{
    long sel = list_selected(&v->list);
    char *keep = sel >= 0 && (size_t)sel < v->nrows ? xstrdup(v->rows[sel]->target) : NULL;
    const dapt_registry *reg = v->base.app->registry;
    size_t cap = 0;
    free(v->rows);
    v->rows = NULL;
    v->nrows = 0;
    if (reg && v->plugin) {
        const dapt_plugin_info *p = dapt_registry_find(reg, v->plugin);
        for (size_t i = 0; p && i < p->target_count; i++)
            add_row(v, &p->targets[i], &cap);
    } else if (reg) {
        size_t n = 0;
        const dapt_target_info *const *all = dapt_registry_targets(reg, &n);
        for (size_t i = 0; i < n; i++)
            add_row(v, all[i], &cap);
    }
    list_set_count(&v->list, v->nrows, row_text, v);
    for (size_t i = 0; keep && i < v->nrows; i++)
        if (strcmp(v->rows[i]->target, keep) == 0)
            list_select(&v->list, i);
    free(keep);
}

typedef struct cols {
    int target, kind, sig, doc;
} cols;

/* The target column fits the longest name (within reason); the signature
 * and the doc share the rest, the doc only when there is room for both. */
static cols layout(const view_targets *v, int w)
{
    cols c = {.target = 6, .kind = 8};
    for (size_t i = 0; i < v->nrows; i++) {
        int n = draw_width(v->rows[i]->target, strlen(v->rows[i]->target));
        c.target = n > c.target ? n : c.target;
    }
    int room = w - 2 - c.kind - 4;
    if (c.target > room / 2)
        c.target = room / 2;
    room -= c.target + 2;
    if (room >= 70) {
        c.sig = room * 11 / 20;
        c.doc = room - c.sig - 2;
    } else {
        c.sig = room;
    }
    return c;
}

typedef struct draw_ctx {
    view_targets *v;
    cols c;
} draw_ctx;

static void draw_row(void *data, size_t row, int y, int x, int w, bool selected)
{
    draw_ctx *d = data;
    const dapt_target_info *t = d->v->rows[row];
    tui_slot base = selected ? SLOT_SELECTED : SLOT_NORMAL;
    draw_fill(y, x, w, base);
    int cx = x + 1;
    size_t pos[256];
    const char *f = d->v->list.filter;
    if (f && strlen(f) < 256 && fuzzy_score(f, t->target, pos) >= 0 && !selected)
        draw_marked(y, cx, d->c.target, base, t->target, strlen(t->target), pos, strlen(f));
    else
        draw_clamped(y, cx, d->c.target, base, t->target, strlen(t->target));
    cx += d->c.target + 2;
    draw_str(y, cx, d->c.kind, selected ? base : SLOT_DIM, dapt_target_kind_name(t->kind));
    cx += d->c.kind + 2;
    char *sig = view_targets_signature(t);
    draw_clamped(y, cx, d->c.sig, selected ? base : SLOT_SYN_KEY, sig, strlen(sig));
    free(sig);
    cx += d->c.sig + 2;
    if (d->c.doc > 0)
        draw_clamped(y, cx, d->c.doc, selected ? base : SLOT_DIM, t->doc, line_len(t->doc));
}

static void targets_draw(tui_view *view, tui_rect r)
{
    view_targets *v = (view_targets *)view;
    if (view->app->registry == NULL) {
        draw_str(r.y + 1, r.x + 1, r.w - 1, SLOT_ERROR, "The plugin catalog could not be loaded.");
        draw_str(r.y + 2, r.x + 1, r.w - 1, SLOT_DIM, "Run `dapt plugins` in a shell to see why.");
        return;
    }
    draw_ctx d = {v, layout(v, r.w)};
    int x = r.x + 1;
    draw_str(r.y, x, d.c.target, SLOT_TITLE, "TARGET");
    x += d.c.target + 2;
    draw_str(r.y, x, d.c.kind, SLOT_TITLE, "KIND");
    x += d.c.kind + 2;
    draw_str(r.y, x, d.c.sig, SLOT_TITLE, "SIGNATURE");
    x += d.c.sig + 2;
    if (d.c.doc > 0)
        draw_str(r.y, x, d.c.doc, SLOT_TITLE, "SUMMARY");
    /* the selected target's doc below the list, when the doc column is
     * not there to show it */
    int detail = d.c.doc == 0 && r.h >= 8 ? 2 : 0;
    tui_rect lr = {r.y + 1, r.x, r.h - 1 - detail, r.w};
    v->page = lr.h;
    v->lr = lr;
    const char *empty = v->plugin ? "this plugin has no targets of this kind" : "no targets";
    list_draw(&v->list, lr, draw_row, &d, empty);
    long sel = list_selected(&v->list);
    if (detail && sel >= 0) {
        int y = r.y + r.h - detail;
        for (int i = 0; i < r.w; i++)
            draw_str(y, r.x + i, 1, SLOT_BORDER, draw_glyph(GLYPH_HLINE));
        const char *doc = v->rows[sel]->doc;
        if (*doc)
            draw_clamped(y + 1, r.x + 1, r.w - 1, SLOT_NORMAL, doc, line_len(doc));
        else
            draw_str(y + 1, r.x + 1, r.w - 1, SLOT_DIM, "(no doc)");
    }
}

static int targets_action(tui_view *view, tui_action a)
{
    view_targets *v = (view_targets *)view;
    long sel = list_selected(&v->list);
    switch (a) {
    case ACTION_OPEN:
        if (sel >= 0)
            app_push(view->app, view_target_new(view->app, v->rows[sel]));
        return TUI_HANDLED;
    case ACTION_KIND:
        v->kind = (v->kind + 1) % KIND_MODES;
        reload(v);
        app_message(view->app, SLOT_MESSAGE, "kind: %s", kind_mode_names[v->kind]);
        return TUI_HANDLED;
    default:
        return list_action(&v->list, a, v->page) ? TUI_HANDLED : TUI_IGNORED;
    }
}

static int targets_click(tui_view *view, int y, int x)
{
    (void)x;
    view_targets *v = (view_targets *)view;
    int c = list_click(&v->list, v->lr, y);
    if (c == 2)
        targets_action(view, ACTION_OPEN);
    if (c)
        app_invalidate(view->app);
    return c ? TUI_HANDLED : TUI_IGNORED;
}

static void targets_filter(tui_view *view, const char *text)
{
    view_targets *v = (view_targets *)view;
    list_filter(&v->list, text, row_text, v);
    app_invalidate(view->app);
}

static void targets_notify(tui_view *view, int what)
{
    if (what & TUI_NOTIFY_REGISTRY)
        reload((view_targets *)view);
}

static const char *targets_status(tui_view *view)
{
    view_targets *v = (view_targets *)view;
    if (v->list.filter)
        snprintf(v->status, sizeof v->status, "/%s  kind: %s  %zu of %zu target%s", v->list.filter,
                 kind_mode_names[v->kind], v->list.nshown, v->nrows, v->nrows == 1 ? "" : "s");
    else
        snprintf(v->status, sizeof v->status, "kind: %s  %zu target%s", kind_mode_names[v->kind],
                 v->nrows, v->nrows == 1 ? "" : "s");
    return v->status;
}

static const tui_action *targets_hints(tui_view *view)
{
    (void)view;
    static const tui_action hints[] = {
        ACTION_OPEN, ACTION_FILTER, ACTION_KIND, ACTION_BACK, ACTION_HELP, ACTION_QUIT, ACTION_NONE,
    };
    return hints;
}

static void targets_free(tui_view *view)
{
    view_targets *v = (view_targets *)view;
    list_free(&v->list);
    free(v->rows);
    free(v->plugin);
    free(view->title);
    free(v);
}

static const tui_view_class view_targets_class = {
    .name = "targets",
    .draw = targets_draw,
    .action = targets_action,
    .filter = targets_filter,
    .click = targets_click,
    .notify = targets_notify,
    .status = targets_status,
    .hints = targets_hints,
    .free = targets_free,
};

tui_view *view_targets_new(tui_app *app, const char *plugin)
{
    view_targets *v = xcalloc(1, sizeof *v);
    v->base.cls = &view_targets_class;
    v->base.app = app;
    if (plugin && *plugin) {
        v->plugin = xstrdup(plugin);
        v->base.title = xasprintf("%s targets", plugin);
    }
    list_init(&v->list);
    reload(v);
    return &v->base;
}
