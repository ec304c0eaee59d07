/*
 * view-target.c - one target, as gst-inspect shows an element: the target
 * and its plugin (version, license, path, status), its kind, signature,
 * full doc, parameters as a table (name, type, required or default, doc),
 * what it returns; below, the plugin's bundled workflows
 * (the YAML files of DATA_DIR/workflows) as a list: Enter or `e` opens one in the
 * editor as a copy to start from (workflows/NAME.yaml, or NAME-copy.yaml
 * when that is taken), which is only written when saved.
 *
 * The text is laid out for the body's width (wrapped, never cut) and
 * scrolls; Tab moves the up/down keys between the text and the list.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tui.h"

/* A piece of a laid-out line: text at a column, in a slot. */
typedef struct seg {
    int x;
    tui_slot slot;
    char *text;
} seg;

typedef struct tline {
    seg *segs;
    size_t nsegs;
} tline;

typedef struct bundled {
    char *path; /* absolute */
    char *file; /* "forecast.yaml" */
    char *name; /* the workflow's name, or NULL */
    char *description;
} bundled;

typedef struct view_target {
    tui_view base;
    char *target_name;         /* to find it again in a new catalog */
    const dapt_target_info *t; /* NULL: no longer in the catalog */
    tline *lines;
    size_t nlines, cap;
    int laid_width; /* the width the lines are laid out for; 0: not yet */
    size_t scroll;
    int text_h; /* text rows shown last */
    bundled *wfs;
    size_t nwfs;
    tui_list list;
    int list_h;
    tui_rect lr; /* where the list was drawn (for clicks) */
    bool focus_list;
    char status[64];
} view_target;

/* ------------------------------------------------------------------ */
/* Laying out the text                                                 */
/* ------------------------------------------------------------------ */

static void free_lines(view_target *v)
{
    for (size_t i = 0; i < v->nlines; i++) {
        for (size_t k = 0; k < v->lines[i].nsegs; k++)
            free(v->lines[i].segs[k].text);
        free(v->lines[i].segs);
    }
    free(v->lines);
    v->lines = NULL;
    v->nlines = v->cap = 0;
}

static tline *new_line(view_target *v)
{
    if (v->nlines == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 64;
        v->lines = xrealloc(v->lines, v->cap, sizeof *v->lines);
    }
    tline *l = &v->lines[v->nlines++];
    memset(l, 0, sizeof *l);
    return l;
}

static void add_seg(tline *l, int x, tui_slot slot, const char *text, size_t len)
{
    l->segs = xrealloc(l->segs, l->nsegs + 1, sizeof *l->segs);
    l->segs[l->nsegs++] = (seg){x, slot, xstrndup(text, len)};
}

/* Split one paragraph (no newline) into pieces at most `w` columns wide,
 * at spaces when it can; calls out(start, len) for each. */
typedef void (*piece_fn)(void *data, const char *s, size_t len, bool first);
static void wrap(const char *s, size_t len, int w, piece_fn out, void *data)
{
    bool first = true;
    if (w < 4)
        w = 4;
    while (len > 0 || first) {
        size_t fit = draw_fit(s, len, w);
        if (fit < len) {
            /* back up to the last space that fits, if any */
            size_t cut = fit;
            while (cut > 0 && s[cut] != ' ')
                cut--;
            if (cut > 0)
                fit = cut;
            else if (fit == 0)
                fit = 1;
        }
        out(data, s, fit, first);
        first = false;
        s += fit;
        len -= fit;
        while (len > 0 && *s == ' ')
            s++, len--;
    }
}

typedef struct para_ctx {
    view_target *v;
    int x;
    tui_slot slot;
    tline *line; /* the first piece goes here when not NULL */
} para_ctx;

static void para_piece(void *data, const char *s, size_t len, bool first)
{
    para_ctx *c = data;
    tline *l = first && c->line ? c->line : new_line(c->v);
    add_seg(l, c->x, c->slot, s, len);
}

/* Text with newlines, wrapped at column x for `w` columns; the first
 * piece goes on `line` when given. */
static void add_text(view_target *v, tline *line, int x, int w, tui_slot slot, const char *text)
{
    para_ctx c = {v, x, slot, line};
    const char *p = text;
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        wrap(p, len, w, para_piece, &c);
        c.line = NULL;
        if (nl == NULL)
            break;
        p = nl + 1;
    }
}

static void add_heading(view_target *v, const char *text)
{
    new_line(v);
    tline *l = new_line(v);
    add_seg(l, 1, SLOT_TITLE, text, strlen(text));
}

/* "Label      value" with the value wrapped under itself. */
static void add_field(view_target *v, int w, const char *label, tui_slot slot, const char *value)
{
    tline *l = new_line(v);
    add_seg(l, 2, SLOT_DIM, label, strlen(label));
    add_text(v, l, 13, w - 14, slot, *value ? value : "-");
}

static tui_slot plugin_status_slot(dapt_plugin_status s)
{
    return s == DAPT_PLUGIN_OK ? SLOT_OK : s == DAPT_PLUGIN_BROKEN ? SLOT_ERROR : SLOT_WARNING;
}

static int max_width(int a, const char *s)
{
    int n = draw_width(s, strlen(s));
    return n > a ? n : a;
}

static void add_params(view_target *v, int w)
{
    const dapt_target_info *t = v->t;
    add_heading(v, "Parameters");
    if (t->param_count == 0 && !(t->flags & (DAPT_TARGET_VARARGS | DAPT_TARGET_KWARGS))) {
        tline *l = new_line(v);
        add_seg(l, 2, SLOT_DIM, "(none)", 6);
        return;
    }
    int wn = 4, wt = 4, wd = 7;
    for (size_t i = 0; i < t->param_count; i++) {
        const dapt_param_info *p = &t->params[i];
        wn = max_width(wn, p->name);
        wt = max_width(wt, p->type);
        wd = max_width(wd, p->required ? "required" : p->default_json ? p->default_json : "-");
    }
    if (t->flags & DAPT_TARGET_KWARGS)
        wn = max_width(wn, "**kwargs");
    /* keep room for the doc: the other columns give way first */
    wn = wn > 20 ? 20 : wn;
    wt = wt > 18 ? 18 : wt;
    wd = wd > 16 ? 16 : wd;
    int xn = 2, xt = xn + wn + 2, xd = xt + wt + 2, xdoc = xd + wd + 2;
    int wdoc = w - xdoc - 1;
    tline *h = new_line(v);
    add_seg(h, xn, SLOT_DIM, "NAME", 4);
    add_seg(h, xt, SLOT_DIM, "TYPE", 4);
    add_seg(h, xd, SLOT_DIM, "DEFAULT", 7);
    if (wdoc >= 10)
        add_seg(h, xdoc, SLOT_DIM, "DOC", 3);
    if (t->flags & DAPT_TARGET_VARARGS) {
        tline *l = new_line(v);
        add_seg(l, xn, SLOT_SYN_KEY, "*args", 5);
        add_seg(l, xt, SLOT_NORMAL, "any", 3);
        add_text(v, l, xdoc, wdoc, SLOT_DIM,
                 "Any number of positional arguments: the outputs "
                 "of the stages it depends on, in order.");
    }
    for (size_t i = 0; i < t->param_count; i++) {
        const dapt_param_info *p = &t->params[i];
        tline *l = new_line(v);
        char name[64], type[64], def[64];
        size_t nn = draw_fit(p->name, strlen(p->name), wn);
        size_t nt = draw_fit(p->type, strlen(p->type), wt);
        const char *d = p->required ? "required" : p->default_json ? p->default_json : "-";
        size_t nd = draw_fit(d, strlen(d), wd);
        snprintf(name, sizeof name, "%.*s", (int)nn, p->name);
        snprintf(type, sizeof type, "%.*s", (int)nt, p->type);
        snprintf(def, sizeof def, "%.*s", (int)nd, d);
        add_seg(l, xn, SLOT_SYN_KEY, name, strlen(name));
        add_seg(l, xt, SLOT_SYN_STRING, type, strlen(type));
        add_seg(l, xd,
                p->required       ? SLOT_WARNING
                : p->default_json ? SLOT_SYN_NUMBER
                                  : SLOT_DIM,
                def, strlen(def));
        /* a name, type or default cut in its column is whole in the doc */
        strbuf doc = {0};
        if (nn < strlen(p->name) || nt < strlen(p->type) || nd < strlen(d))
            strbuf_printf(&doc, "[%s: %s%s%s] ", p->name, p->type, p->required ? "" : " = ",
                          p->required ? "" : d);
        strbuf_puts(&doc, *p->doc ? p->doc : "");
        if (wdoc >= 10 && doc.len)
            add_text(v, l, xdoc, wdoc, SLOT_NORMAL, doc.buf);
        else if (doc.len)
            add_text(v, NULL, xt, w - xt - 1, SLOT_NORMAL, doc.buf);
        strbuf_free(&doc);
    }
    if (t->flags & DAPT_TARGET_KWARGS) {
        tline *l = new_line(v);
        add_seg(l, xn, SLOT_SYN_KEY, "**kwargs", 8);
        add_seg(l, xt, SLOT_NORMAL, "any", 3);
        add_text(v, l, xdoc, wdoc, SLOT_DIM, "Any other named argument.");
    }
}

static void layout(view_target *v, int w)
{
    free_lines(v);
    v->laid_width = w;
    const dapt_target_info *t = v->t;
    if (t == NULL) {
        tline *l = new_line(v);
        char *msg = xasprintf("%s is no longer in the plugin catalog.", v->target_name);
        add_seg(l, 1, SLOT_ERROR, msg, strlen(msg));
        free(msg);
        return;
    }
    const dapt_plugin_info *p = t->plugin;
    tline *l = new_line(v);
    add_seg(l, 1, SLOT_TITLE, t->target, strlen(t->target));
    char *kind = xasprintf("[%s]", dapt_target_kind_name(t->kind));
    add_seg(l, 3 + draw_width(t->target, strlen(t->target)), SLOT_DIM, kind, strlen(kind));
    free(kind);
    if (*t->doc) {
        const char *nl = strchr(t->doc, '\n');
        char *first = xstrndup(t->doc, nl ? (size_t)(nl - t->doc) : strlen(t->doc));
        add_text(v, NULL, 3, w - 4, SLOT_NORMAL, first);
        free(first);
    }
    new_line(v);
    if (p) {
        char *plugin = *p->version ? xasprintf("%s %s", p->name, p->version) : xstrdup(p->name);
        add_field(v, w, "Plugin", SLOT_NORMAL, plugin);
        free(plugin);
        add_field(v, w, "Status", plugin_status_slot(p->status),
                  p->error ? p->error : dapt_plugin_status_name(p->status));
        add_field(v, w, "License", SLOT_NORMAL, p->license);
        if (p->runtime == DAPT_RUNTIME_PYTHON) {
            char *rt = xasprintf("python (%s)", p->interpreter ? p->interpreter : "?");
            add_field(v, w, "Runtime", SLOT_NORMAL, rt);
            free(rt);
            add_field(v, w, "Path", SLOT_DIM, p->path);
        } else {
            add_field(v, w, "Path", SLOT_DIM, t->object ? t->object : p->path);
        }
        if (t->source != NULL)
            add_field(v, w, "Source", SLOT_DIM, t->source);
    }
    add_field(v, w, "Kind", SLOT_NORMAL, dapt_target_kind_name(t->kind));
    char *sig = view_targets_signature(t);
    char *full = xasprintf("%s%s", t->target, sig);
    add_field(v, w, "Signature", SLOT_SYN_KEY, full);
    free(full);
    free(sig);
    /* the doc's first line is under the title already */
    const char *more = strchr(t->doc, '\n');
    while (more && (*more == '\n' || *more == ' '))
        more++;
    if (more && *more) {
        add_heading(v, "Description");
        add_text(v, NULL, 3, w - 4, SLOT_NORMAL, more);
    }
    add_params(v, w);
    add_heading(v, "Returns");
    add_text(v, NULL, 3, w - 4, *t->returns ? SLOT_NORMAL : SLOT_DIM,
             *t->returns ? t->returns : "(not documented)");
    if (v->nwfs == 0) {
        add_heading(v, "Bundled workflows");
        l = new_line(v);
        const char *none = p && p->data_dir ? "(none in the plugin's workflows/ folder)"
                                            : "(none: the plugin has no data folder)";
        add_seg(l, 3, SLOT_DIM, none, strlen(none));
    }
}

/* ------------------------------------------------------------------ */
/* Bundled workflows                                                   */
/* ------------------------------------------------------------------ */

static int compare_bundled(const void *a, const void *b)
{
    return strcmp(((const bundled *)a)->file, ((const bundled *)b)->file);
}

static bool is_workflow_file(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
                              (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

static void free_bundled(view_target *v)
{
    for (size_t i = 0; i < v->nwfs; i++) {
        free(v->wfs[i].path);
        free(v->wfs[i].file);
        free(v->wfs[i].name);
        free(v->wfs[i].description);
    }
    free(v->wfs);
    v->wfs = NULL;
    v->nwfs = 0;
}

/* The first line of a file when it is a comment ("# text"), or NULL. */
static char *first_comment(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    char *out = NULL;
    if (f && fgets(line, sizeof line, f) && line[0] == '#') {
        const char *s = line + 1;
        while (*s == ' ')
            s++;
        out = xstrndup(s, strcspn(s, "\r\n"));
    }
    if (f)
        fclose(f);
    return out;
}

static void load_bundled(view_target *v)
{
    free_bundled(v);
    const dapt_plugin_info *p = v->t ? v->t->plugin : NULL;
    if (p == NULL || p->data_dir == NULL)
        return;
    char *dir = xasprintf("%s/workflows", p->data_dir);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (!is_workflow_file(e->d_name))
            continue;
        v->wfs = xrealloc(v->wfs, v->nwfs + 1, sizeof *v->wfs);
        bundled *b = &v->wfs[v->nwfs++];
        memset(b, 0, sizeof *b);
        b->file = xstrdup(e->d_name);
        b->path = xasprintf("%s/%s", dir, e->d_name);
        dapt_bundle *bundle = NULL;
        dapt_diags diags = {0};
        dapt_load_file(&bundle, b->path, &diags);
        const dapt_workflow *wf = bundle ? dapt_bundle_workflow(bundle) : NULL;
        if (wf) {
            b->name = xstrdup(wf->name);
            b->description = xstrdup(wf->description);
        }
        if (b->description == NULL || *b->description == '\0') {
            /* else the file's opening comment says what it is */
            free(b->description);
            b->description = first_comment(b->path);
        }
        dapt_bundle_free(bundle);
        dapt_diags_free(&diags);
    }
    if (d)
        closedir(d);
    free(dir);
    qsort(v->wfs, v->nwfs, sizeof *v->wfs, compare_bundled);
}

static const char *bundled_text(void *data, size_t row)
{
    view_target *v = data;
    return v->wfs[row].file;
}

static void draw_bundled(void *data, size_t row, int y, int x, int w, bool selected)
{
    view_target *v = data;
    bundled *b = &v->wfs[row];
    tui_slot base = selected ? (v->focus_list ? SLOT_SELECTED : SLOT_SELECTED_DIM) : SLOT_NORMAL;
    draw_fill(y, x, w, base);
    int fw = w / 4 > 20 ? 20 : w / 4;
    draw_clamped(y, x + 1, fw, base, b->file, strlen(b->file));
    const char *name = b->name ? b->name : "(not a workflow)";
    draw_clamped(y, x + fw + 3, fw,
                 selected  ? base
                 : b->name ? SLOT_SYN_KEY
                           : SLOT_ERROR,
                 name, strlen(name));
    const char *desc = b->description ? b->description : "";
    int dx = x + 2 * fw + 5;
    draw_clamped(y, dx, x + w - dx - 1, selected ? base : SLOT_DIM, desc, strcspn(desc, "\n"));
}

/* A name in the workspace's workflows/ for a copy of `file`: NAME.yaml,
 * else NAME-copy.yaml, NAME-copy2.yaml...  Caller frees. */
static char *copy_path(const char *dir, const char *file)
{
    size_t n = strlen(file);
    size_t stem = n > 5 && strcmp(file + n - 5, ".yaml") == 0 ? n - 5 : n > 4 ? n - 4 : n;
    for (int i = 0;; i++) {
        char *path;
        if (i == 0)
            path = xasprintf("%s/%.*s.yaml", dir, (int)stem, file);
        else if (i == 1)
            path = xasprintf("%s/%.*s-copy.yaml", dir, (int)stem, file);
        else
            path = xasprintf("%s/%.*s-copy%d.yaml", dir, (int)stem, file, i);
        if (access(path, F_OK) != 0)
            return path;
        free(path);
    }
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    strbuf sb = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(f);
    return sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

static void copy_selected(view_target *v)
{
    tui_app *app = v->base.app;
    long row = list_selected(&v->list);
    if (row < 0) {
        app_message(app, SLOT_DIM, "this plugin bundles no workflow");
        return;
    }
    bundled *b = &v->wfs[row];
    char *text = read_text(b->path);
    if (text == NULL) {
        app_message(app, SLOT_ERROR, "cannot read %s", b->path);
        return;
    }
    char *dir = xasprintf("%s/workflows", app->workspace);
    if (fs_mkdir_p(dir, 0777) < 0) {
        app_message(app, SLOT_ERROR, "cannot make %s", dir);
        free(dir);
        free(text);
        return;
    }
    char *dest = copy_path(dir, b->file);
    app_push(app, view_editor_new(app, dest, text));
    char rel[256], key[32];
    app_message(app, SLOT_MESSAGE, "copy of %s/%s: %s saves it as %s", v->t->plugin->name, b->file,
                action_key(ACTION_ED_SAVE, key, sizeof key),
                app_relpath(app, dest, rel, sizeof rel));
    free(dest);
    free(dir);
    free(text);
}

/* ------------------------------------------------------------------ */
/* The view                                                            */
/* ------------------------------------------------------------------ */

/* The rows of the bundled workflows' box in a body `h` rows high. */
static int pane_rows(const view_target *v, int h)
{
    if (v->nwfs == 0)
        return 0;
    int pane = (v->nwfs < 5 ? (int)v->nwfs : 5) + 2;
    return pane > h / 2 ? h / 2 : pane;
}

static void target_draw(tui_view *view, tui_rect r)
{
    view_target *v = (view_target *)view;
    if (v->laid_width != r.w)
        layout(v, r.w);
    int pane = pane_rows(v, r.h);
    v->text_h = r.h - pane;
    size_t max_scroll = v->nlines > (size_t)v->text_h ? v->nlines - (size_t)v->text_h : 0;
    if (v->scroll > max_scroll)
        v->scroll = max_scroll;
    for (int i = 0; i < v->text_h && v->scroll + (size_t)i < v->nlines; i++) {
        tline *l = &v->lines[v->scroll + (size_t)i];
        for (size_t k = 0; k < l->nsegs; k++)
            draw_clamped(r.y + i, r.x + l->segs[k].x, r.w - l->segs[k].x, l->segs[k].slot,
                         l->segs[k].text, strlen(l->segs[k].text));
    }
    if (pane >= 3) {
        tui_rect box = {r.y + v->text_h, r.x, pane, r.w};
        char *title = xasprintf(" Bundled workflows of %s (%zu): Enter opens a copy ",
                                v->t->plugin->name, v->nwfs);
        draw_box(box, v->focus_list ? SLOT_TITLE : SLOT_BORDER, title);
        free(title);
        tui_rect lr = {box.y + 1, box.x + 1, box.h - 2, box.w - 2};
        v->list_h = lr.h;
        v->lr = lr;
        list_draw(&v->list, lr, draw_bundled, v, NULL);
    }
}

static void scroll_text(view_target *v, tui_action a)
{
    size_t page = v->text_h > 1 ? (size_t)v->text_h - 1 : 1;
    switch (a) {
    case ACTION_UP:
        v->scroll = v->scroll ? v->scroll - 1 : 0;
        break;
    case ACTION_DOWN:
        v->scroll++;
        break; /* draw clamps */
    case ACTION_PAGE_UP:
        v->scroll = v->scroll > page ? v->scroll - page : 0;
        break;
    case ACTION_PAGE_DOWN:
        v->scroll += page;
        break;
    case ACTION_TOP:
        v->scroll = 0;
        break;
    case ACTION_BOTTOM:
        v->scroll = v->nlines;
        break;
    default:
        break;
    }
}

static int target_action(tui_view *view, tui_action a)
{
    view_target *v = (view_target *)view;
    switch (a) {
    case ACTION_OPEN:
    case ACTION_COPY_WORKFLOW:
        if (v->t)
            copy_selected(v);
        return TUI_HANDLED;
    case ACTION_TARGET_FOCUS:
        v->focus_list = v->nwfs > 0 && !v->focus_list;
        app_invalidate(view->app);
        return TUI_HANDLED;
    case ACTION_UP:
    case ACTION_DOWN:
    case ACTION_PAGE_UP:
    case ACTION_PAGE_DOWN:
    case ACTION_TOP:
    case ACTION_BOTTOM:
        if (v->focus_list)
            list_action(&v->list, a, v->list_h);
        else
            scroll_text(v, a);
        app_invalidate(view->app);
        return TUI_HANDLED;
    default:
        return TUI_IGNORED;
    }
}

/* A click in the bundled workflows selects (and focuses) them; again
 * opens a copy. */
static int target_click(tui_view *view, int y, int x)
{
    (void)x;
    view_target *v = (view_target *)view;
    int c = v->nwfs ? list_click(&v->list, v->lr, y) : 0;
    if (c)
        v->focus_list = true;
    if (c == 2)
        target_action(view, ACTION_OPEN);
    if (c)
        app_invalidate(view->app);
    return c ? TUI_HANDLED : TUI_IGNORED;
}

static void target_filter(tui_view *view, const char *text)
{
    view_target *v = (view_target *)view;
    list_filter(&v->list, text, bundled_text, v);
    if (text && *text && v->nwfs)
        v->focus_list = true;
    app_invalidate(view->app);
}

/* Find the target again (a new catalog frees the old one). */
static void resolve(view_target *v)
{
    v->t = NULL;
    char *error = NULL;
    if (v->base.app->registry &&
        dapt_registry_resolve(v->base.app->registry, v->target_name, &v->t, &error) < 0)
        v->t = NULL;
    free(error);
    load_bundled(v);
    list_set_count(&v->list, v->nwfs, bundled_text, v);
    v->laid_width = 0;
}

static void target_notify(tui_view *view, int what)
{
    view_target *v = (view_target *)view;
    if (what & TUI_NOTIFY_REGISTRY)
        resolve(v);
}

static const char *target_status(tui_view *view)
{
    view_target *v = (view_target *)view;
    if (v->list.filter)
        snprintf(v->status, sizeof v->status, "/%s  %zu of %zu workflows", v->list.filter,
                 v->list.nshown, v->nwfs);
    else if (v->t && v->nlines > (size_t)v->text_h)
        snprintf(v->status, sizeof v->status, "lines %zu-%zu of %zu", v->scroll + 1,
                 v->scroll + (size_t)v->text_h < v->nlines ? v->scroll + (size_t)v->text_h
                                                           : v->nlines,
                 v->nlines);
    else if (v->t)
        snprintf(v->status, sizeof v->status, "%zu parameter%s", v->t->param_count,
                 v->t->param_count == 1 ? "" : "s");
    else
        return NULL;
    return v->status;
}

static const tui_action *target_hints(tui_view *view)
{
    view_target *v = (view_target *)view;
    static const tui_action with_wfs[] = {
        ACTION_COPY_WORKFLOW, ACTION_TARGET_FOCUS, ACTION_PAGE_DOWN, ACTION_BACK,
        ACTION_HELP,          ACTION_QUIT,         ACTION_NONE,
    };
    static const tui_action plain[] = {
        ACTION_DOWN, ACTION_PAGE_DOWN, ACTION_BACK, ACTION_HELP, ACTION_QUIT, ACTION_NONE,
    };
    return v->nwfs ? with_wfs : plain;
}

static void target_free(tui_view *view)
{
    view_target *v = (view_target *)view;
    free_lines(v);
    free_bundled(v);
    list_free(&v->list);
    free(v->target_name);
    free(view->title);
    free(v);
}

static const tui_view_class view_target_class = {
    .name = "target",
    .draw = target_draw,
    .action = target_action,
    .filter = target_filter,
    .click = target_click,
    .notify = target_notify,
    .status = target_status,
    .hints = target_hints,
    .free = target_free,
};

tui_view *view_target_new(tui_app *app, const dapt_target_info *target)
{
    view_target *v = xcalloc(1, sizeof *v);
    v->base.cls = &view_target_class;
    v->base.app = app;
    v->target_name = xstrdup(target->target);
    v->base.title = xstrdup(target->target);
    v->t = target;
    list_init(&v->list);
    load_bundled(v);
    list_set_count(&v->list, v->nwfs, bundled_text, v);
    /* laid out for the screen now, so the first status is right (the body
     * is the screen less the header, crumbs and footer lines) */
    layout(v, app->cols);
    v->text_h = app->rows - 3 - pane_rows(v, app->rows - 3);
    return &v->base;
}
