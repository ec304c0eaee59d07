/*
 * view-workflows.c - `:workflows`, the start view: the YAML files (.yaml,
 * .yml) of the workspace's workflows/ folder with the workflow's name, whether it is
 * valid ("ok", "2 errors", "1 warning": the file's own checks and the
 * catalog's), its stage count and its last run (state and time, from the
 * run store).  The selected file's first problem, or its description,
 * shows below the list.  Enter edits, `r` runs, `n` starts a new file.
 *
 * Refreshing is cheap: TUI_NOTIFY_RUNS reads the last run of each
 * workflow again (one indexed query each); TUI_NOTIFY_FILES lists the
 * folder again and validates only files whose size or mtime changed; a
 * new catalog (TUI_NOTIFY_REGISTRY) validates everything again.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tui.h"

typedef struct wf_row {
    char *path; /* absolute */
    char *file; /* "etl.yaml" */
    int64_t mtime_ns;
    int64_t size;
    /* from validation */
    char *name;        /* the workflow's name; NULL: none could be read */
    char *description; /* "" when none */
    size_t errors, warnings;
    char *problem; /* the first error (else warning), "LINE:COL: message" */
    size_t stages;
    /* from the run store */
    bool has_run;
    dapt_state run_state;
    int64_t run_us; /* when it finished, or started when not over */
} wf_row;

typedef struct view_workflows {
    tui_view base;
    wf_row *rows;
    size_t nrows;
    tui_list list;
    int page;
    tui_rect lr; /* where the list was drawn (for clicks) */
    bool no_folder;
    char status[96];
} view_workflows;

static void row_clear(wf_row *r)
{
    free(r->name);
    free(r->description);
    free(r->problem);
    r->name = r->description = r->problem = NULL;
    r->errors = r->warnings = r->stages = 0;
}

static void row_free(wf_row *r)
{
    row_clear(r);
    free(r->path);
    free(r->file);
}

/* Load and check a file: its name, stage count and problems. */
static void validate(view_workflows *v, wf_row *r)
{
    row_clear(r);
    dapt_bundle *b = NULL;
    dapt_diags diags = {0};
    dapt_load_file(&b, r->path, &diags);
    const dapt_workflow *wf = b ? dapt_bundle_workflow(b) : NULL;
    if (wf) {
        r->name = xstrdup(wf->name);
        r->description = xstrdup(wf->description);
        r->stages = wf->stage_count;
        if (v->base.app->registry)
            dapt_registry_check_workflow(v->base.app->registry, wf, r->path, &diags);
    }
    dapt_diags_sort(&diags);
    r->errors = dapt_diags_count(&diags, DAPT_SEV_ERROR);
    r->warnings = dapt_diags_count(&diags, DAPT_SEV_WARNING);
    for (int pass = 0; pass < 2 && r->problem == NULL; pass++) {
        dapt_severity want = pass == 0 ? DAPT_SEV_ERROR : DAPT_SEV_WARNING;
        for (size_t i = 0; i < diags.count; i++) {
            if (diags.items[i].severity == want) {
                r->problem = xasprintf("%d:%d: %s", diags.items[i].pos.line,
                                       diags.items[i].pos.column, diags.items[i].message);
                break;
            }
        }
    }
    if (wf == NULL && r->errors == 0 && r->problem == NULL)
        r->problem = xstrdup("no workflow in this file");
    dapt_bundle_free(b);
    dapt_diags_free(&diags);
}

/* The last run of each workflow, from the run store. */
static void read_runs(view_workflows *v)
{
    store *st = v->base.app->store;
    for (size_t i = 0; i < v->nrows; i++) {
        wf_row *r = &v->rows[i];
        r->has_run = false;
        json_t *arr = NULL;
        char *error = NULL;
        if (st == NULL || r->name == NULL ||
            store_list_runs(st, &arr, r->name, NULL, 1, &error) < 0) {
            free(error);
            continue;
        }
        json_t *run = json_array_get(arr, 0);
        int state = run ? dapt_state_parse(json_string_value(json_object_get(run, "state"))) : -1;
        if (state >= 0) {
            int64_t started = 0, finished = 0;
            store_parse_time(json_object_get(run, "started_at"), &started);
            store_parse_time(json_object_get(run, "finished_at"), &finished);
            r->has_run = true;
            r->run_state = (dapt_state)state;
            r->run_us = finished > 0 ? finished : started;
        }
        json_decref(arr);
    }
}

static const char *row_text(void *data, size_t row)
{
    view_workflows *v = data;
    return v->rows[row].file;
}

static int compare_rows(const void *a, const void *b)
{
    return strcmp(((const wf_row *)a)->file, ((const wf_row *)b)->file);
}

static bool is_workflow_file(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
                              (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

/* List the folder again; validate what is new or changed (all when
 * `all`); keep the selected file selected. */
static void rescan(view_workflows *v, bool all)
{
    long sel = list_selected(&v->list);
    char *keep = sel >= 0 ? xstrdup(v->rows[sel].file) : NULL;
    char *dir = xasprintf("%s/workflows", v->base.app->workspace);
    wf_row *rows = NULL;
    size_t n = 0;
    DIR *d = opendir(dir);
    v->no_folder = d == NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (!is_workflow_file(e->d_name))
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        rows = xrealloc(rows, n + 1, sizeof *rows);
        wf_row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        r->path = path;
        r->file = xstrdup(e->d_name);
        r->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        r->size = (int64_t)st.st_size;
        /* the old row's results, when the file did not change */
        wf_row *old = NULL;
        for (size_t i = 0; i < v->nrows && old == NULL; i++)
            if (strcmp(v->rows[i].file, r->file) == 0)
                old = &v->rows[i];
        if (old && !all && old->mtime_ns == r->mtime_ns && old->size == r->size) {
            r->name = old->name;
            r->description = old->description;
            r->problem = old->problem;
            r->errors = old->errors;
            r->warnings = old->warnings;
            r->stages = old->stages;
            old->name = old->description = old->problem = NULL;
        } else {
            validate(v, r);
        }
    }
    if (d)
        closedir(d);
    free(dir);
    for (size_t i = 0; i < v->nrows; i++)
        row_free(&v->rows[i]);
    free(v->rows);
    qsort(rows, n, sizeof *rows, compare_rows);
    v->rows = rows;
    v->nrows = n;
    read_runs(v);
    list_set_count(&v->list, n, row_text, v);
    for (size_t i = 0; keep && i < n; i++)
        if (strcmp(rows[i].file, keep) == 0)
            list_select(&v->list, i);
    free(keep);
}

/* ------------------------------------------------------------------ */
/* Drawing                                                             */
/* ------------------------------------------------------------------ */

static tui_glyph state_glyph(dapt_state s)
{
    switch (s) {
    case DAPT_STATE_FINISHED:
        return GLYPH_OK;
    case DAPT_STATE_FAILED:
    case DAPT_STATE_INTERRUPTED:
        return GLYPH_FAIL;
    case DAPT_STATE_RUNNING:
        return GLYPH_RUNNING;
    case DAPT_STATE_PENDING:
        return GLYPH_PENDING;
    case DAPT_STATE_CANCELLED:
    case DAPT_STATE_SKIPPED:
        return GLYPH_SKIPPED;
    }
    return GLYPH_PENDING;
}

/* "ok", "2 errors", "1 warning", into buf; its slot. */
static tui_slot validity(const wf_row *r, char *buf, size_t size)
{
    if (r->errors) {
        snprintf(buf, size, "%zu error%s", r->errors, r->errors == 1 ? "" : "s");
        return SLOT_ERROR;
    }
    if (r->warnings) {
        snprintf(buf, size, "%zu warning%s", r->warnings, r->warnings == 1 ? "" : "s");
        return SLOT_WARNING;
    }
    if (r->name == NULL) {
        snprintf(buf, size, "no workflow");
        return SLOT_WARNING;
    }
    snprintf(buf, size, "ok");
    return SLOT_OK;
}

typedef struct cols {
    int file, name, valid, stages, state, when;
} cols;

static cols layout(const view_workflows *v, int w)
{
    cols c = {.file = 4, .name = 4, .valid = 10, .stages = 6, .state = 12, .when = 12};
    for (size_t i = 0; i < v->nrows; i++) {
        int f = draw_width(v->rows[i].file, strlen(v->rows[i].file));
        c.file = f > c.file ? f : c.file;
        if (v->rows[i].name) {
            int nm = draw_width(v->rows[i].name, strlen(v->rows[i].name));
            c.name = nm > c.name ? nm : c.name;
        }
    }
    int room = w - 2 - c.valid - c.stages - c.state - c.when - 10;
    if (room < 16)
        room = 16;
    draw_share(room, &c.file, &c.name);
    return c;
}

typedef struct draw_ctx {
    view_workflows *v;
    cols c;
} draw_ctx;

static void draw_row(void *data, size_t row, int y, int x, int w, bool selected)
{
    draw_ctx *d = data;
    const wf_row *r = &d->v->rows[row];
    tui_slot base = selected ? SLOT_SELECTED : SLOT_NORMAL;
    draw_fill(y, x, w, base);
    int cx = x + 1;
    draw_clamped(y, cx, d->c.file, base, r->file, strlen(r->file));
    cx += d->c.file + 2;
    const char *name = r->name ? r->name : "-";
    draw_clamped(y, cx, d->c.name,
                 selected  ? base
                 : r->name ? SLOT_SYN_KEY
                           : SLOT_DIM,
                 name, strlen(name));
    cx += d->c.name + 2;
    char buf[32];
    tui_slot vs = validity(r, buf, sizeof buf);
    draw_str(y, cx, d->c.valid, selected ? base : vs, buf);
    cx += d->c.valid + 2;
    if (r->name)
        draw_printf(y, cx, d->c.stages, base, "%6zu", r->stages);
    cx += d->c.stages + 2;
    if (r->has_run) {
        draw_printf(y, cx, d->c.state, selected ? base : theme_state_slot(r->run_state), "%s %s",
                    draw_glyph(state_glyph(r->run_state)), dapt_state_name(r->run_state));
        cx += d->c.state + 2;
        draw_str(y, cx, d->c.when, selected ? base : SLOT_DIM,
                 draw_when(r->run_us, buf, sizeof buf));
    } else {
        draw_str(y, cx, d->c.state, selected ? base : SLOT_DIM, "never run");
    }
}

static void draw_detail(view_workflows *v, int y, int x, int w)
{
    for (int i = 0; i < w; i++)
        draw_str(y, x + i, 1, SLOT_BORDER, draw_glyph(GLYPH_HLINE));
    long sel = list_selected(&v->list);
    if (sel < 0)
        return;
    const wf_row *r = &v->rows[sel];
    char rel[512];
    app_relpath(v->base.app, r->path, rel, sizeof rel);
    if (r->problem) {
        tui_slot s = r->errors ? SLOT_ERROR : SLOT_WARNING;
        int used = draw_printf(y + 1, x + 1, w - 1, s,
                               "%s %s:", draw_glyph(r->errors ? GLYPH_ERROR : GLYPH_WARNING), rel);
        size_t len = strcspn(r->problem, "\n");
        draw_clamped(y + 1, x + 1 + used, w - 1 - used, s, r->problem, len);
    } else {
        int used = draw_str(y + 1, x + 1, w - 1, SLOT_DIM, rel);
        const char *desc = r->description ? r->description : "";
        if (*desc) {
            used += draw_str(y + 1, x + 1 + used, w - 1 - used, SLOT_DIM, ": ");
            draw_clamped(y + 1, x + 1 + used, w - 1 - used, SLOT_NORMAL, desc, strcspn(desc, "\n"));
        }
    }
    if (v->base.app->registry == NULL)
        draw_str(y + 2, x + 1, w - 1, SLOT_WARNING,
                 "the plugin catalog could not be loaded: targets are not checked");
}

static void workflows_draw(tui_view *view, tui_rect r)
{
    view_workflows *v = (view_workflows *)view;
    draw_ctx d = {v, layout(v, r.w)};
    int x = r.x + 1;
    static const char *const heads[] = {"FILE", "WORKFLOW", "VALID", "STAGES", "LAST RUN", ""};
    int widths[] = {d.c.file, d.c.name, d.c.valid, d.c.stages, d.c.state, d.c.when};
    for (int i = 0; i < 6; i++) {
        draw_str(r.y, x, widths[i], SLOT_TITLE, heads[i]);
        x += widths[i] + 2;
    }
    int detail = r.h >= 8 ? 3 : 0;
    tui_rect lr = {r.y + 1, r.x, r.h - 1 - detail, r.w};
    v->page = lr.h;
    v->lr = lr;
    if (v->no_folder) {
        draw_str(lr.y, lr.x + 1, lr.w - 1, SLOT_DIM,
                 "This workspace has no workflows/ folder yet: press n to write a workflow.");
    } else {
        list_draw(&v->list, lr, draw_row, &d, "no workflows yet: press n to write one");
    }
    if (detail)
        draw_detail(v, r.y + r.h - detail, r.x, r.w);
}

/* ------------------------------------------------------------------ */
/* Actions                                                             */
/* ------------------------------------------------------------------ */

static bool valid_file_name(const char *s)
{
    if (s == NULL || *s == '\0')
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-'))
            return false;
    return true;
}

/* A small valid workflow to start from: one stage, and how to go on. */
static char *skeleton(const char *name)
{
    return xasprintf("# %s: a new workflow.  Ctrl-S saves, Ctrl-R saves and runs.\n"
                     "# Tab completes a target or a key; :targets lists what stages can run.\n"
                     "kind: workflow\n"
                     "metadata:\n"
                     "  name: %s\n"
                     "spec:\n"
                     "  stages:\n"
                     "    - name: hello\n"
                     "      target: dapt.echo\n"
                     "      args:\n"
                     "        greeting: hello from %s\n",
                     name, name, name);
}

static void new_named(tui_app *app, const char *text, void *data)
{
    (void)data;
    if (text == NULL || *text == '\0')
        return; /* Esc, or nothing typed */
    size_t n = strlen(text);
    char *name = xstrdup(text);
    if (n > 5 && strcmp(name + n - 5, ".yaml") == 0)
        name[n - 5] = '\0';
    if (!valid_file_name(name)) {
        app_message(app, SLOT_ERROR, "`%s` is not a workflow name (letters, digits, _ and -)",
                    text);
        free(name);
        return;
    }
    char *dir = xasprintf("%s/workflows", app->workspace);
    char *path = xasprintf("%s/%s.yaml", dir, name);
    if (access(path, F_OK) == 0) {
        app_message(app, SLOT_ERROR, "workflows/%s.yaml exists already: opening it", name);
        app_edit(app, path);
    } else if (fs_mkdir_p(dir, 0777) < 0) {
        app_message(app, SLOT_ERROR, "cannot make %s: %s", dir, strerror(errno));
    } else {
        char *body = skeleton(name);
        app_push(app, view_editor_new(app, path, body));
        free(body);
    }
    free(path);
    free(dir);
    free(name);
}

static int workflows_action(tui_view *view, tui_action a)
{
    view_workflows *v = (view_workflows *)view;
    long sel = list_selected(&v->list);
    switch (a) {
    case ACTION_OPEN:
        if (sel >= 0)
            app_edit(view->app, v->rows[sel].path);
        return TUI_HANDLED;
    case ACTION_WF_RUN:
        if (sel >= 0)
            app_run_file(view->app, v->rows[sel].path, NULL);
        return TUI_HANDLED;
    case ACTION_WF_NEW:
        app_prompt(view->app, "new workflow name: ", NULL, new_named, NULL, NULL);
        return TUI_HANDLED;
    default:
        return list_action(&v->list, a, v->page) ? TUI_HANDLED : TUI_IGNORED;
    }
}

static int workflows_click(tui_view *view, int y, int x)
{
    (void)x;
    view_workflows *v = (view_workflows *)view;
    int c = list_click(&v->list, v->lr, y);
    if (c == 2)
        workflows_action(view, ACTION_OPEN);
    if (c)
        app_invalidate(view->app);
    return c ? TUI_HANDLED : TUI_IGNORED;
}

static void workflows_filter(tui_view *view, const char *text)
{
    view_workflows *v = (view_workflows *)view;
    list_filter(&v->list, text, row_text, v);
    app_invalidate(view->app);
}

static void workflows_notify(tui_view *view, int what)
{
    view_workflows *v = (view_workflows *)view;
    if (what & (TUI_NOTIFY_FILES | TUI_NOTIFY_REGISTRY))
        rescan(v, (what & TUI_NOTIFY_REGISTRY) != 0); /* reads the runs too */
    else if (what & TUI_NOTIFY_RUNS)
        read_runs(v);
}

static const char *workflows_status(tui_view *view)
{
    view_workflows *v = (view_workflows *)view;
    size_t bad = 0;
    for (size_t i = 0; i < v->nrows; i++)
        bad += v->rows[i].errors > 0;
    int n;
    if (v->list.filter)
        n = snprintf(v->status, sizeof v->status, "/%s  %zu of %zu workflow%s", v->list.filter,
                     v->list.nshown, v->nrows, v->nrows == 1 ? "" : "s");
    else
        n = snprintf(v->status, sizeof v->status, "%zu workflow%s", v->nrows,
                     v->nrows == 1 ? "" : "s");
    if (bad && n > 0 && (size_t)n < sizeof v->status)
        snprintf(v->status + n, sizeof v->status - (size_t)n, ", %zu with errors", bad);
    return v->status;
}

static const tui_action *workflows_hints(tui_view *view)
{
    (void)view;
    static const tui_action hints[] = {
        ACTION_OPEN,    ACTION_WF_RUN, ACTION_WF_NEW, ACTION_FILTER,
        ACTION_COMMAND, ACTION_HELP,   ACTION_QUIT,   ACTION_NONE,
    };
    return hints;
}

static void workflows_free(tui_view *view)
{
    view_workflows *v = (view_workflows *)view;
    for (size_t i = 0; i < v->nrows; i++)
        row_free(&v->rows[i]);
    free(v->rows);
    list_free(&v->list);
    free(view->title);
    free(v);
}

static const tui_view_class view_workflows_class = {
    .name = "workflows",
    .draw = workflows_draw,
    .action = workflows_action,
    .filter = workflows_filter,
    .click = workflows_click,
    .notify = workflows_notify,
    .status = workflows_status,
    .hints = workflows_hints,
    .free = workflows_free,
};

tui_view *view_workflows_new(tui_app *app)
{
    view_workflows *v = xcalloc(1, sizeof *v);
    v->base.cls = &view_workflows_class;
    v->base.app = app;
    list_init(&v->list);
    rescan(v, true);
    return &v->base;
}
