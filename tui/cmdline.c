/*
 * cmdline.c - the `:` command line, as k9s: a table of commands with
 * aliases, each with what its argument completes to.  `:` works in every
 * view (in the editor after Esc), so `:w` and `:run` act on the open file.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tui.h"

typedef enum arg_kind {
    ARG_NONE,
    ARG_WORKFLOW, /* a workflow name or file of the workspace */
    ARG_FILE,     /* any file, workflows first */
    ARG_THEME,
    ARG_PLUGIN,
    ARG_RUN,
    ARG_TRIGGER, /* a trigger rule's name */
} arg_kind;

typedef struct cmd_row {
    const char *name;
    const char *alias;
    arg_kind arg;
    bool arg_required;
    int (*run)(tui_app *app, const char *arg);
    const char *help;
} cmd_row;

static int cmd_view(tui_app *app, tui_action a)
{
    app_do(app, a);
    return 0;
}

static int cmd_workflows(tui_app *app, const char *arg)
{
    (void)arg;
    return cmd_view(app, ACTION_VIEW_WORKFLOWS);
}

static int cmd_plugins(tui_app *app, const char *arg)
{
    (void)arg;
    return cmd_view(app, ACTION_VIEW_PLUGINS);
}

static int cmd_targets(tui_app *app, const char *arg)
{
    if (arg == NULL)
        return cmd_view(app, ACTION_VIEW_TARGETS);
    if (app->registry == NULL || dapt_registry_find(app->registry, arg) == NULL) {
        app_message(app, SLOT_ERROR, "no plugin `%s` (see :plugins)", arg);
        return -1;
    }
    app_push(app, view_targets_new(app, arg));
    return 0;
}

static int cmd_runs(tui_app *app, const char *arg)
{
    if (arg)
        return app_open_run(app, arg);
    return cmd_view(app, ACTION_VIEW_RUNS);
}

static int cmd_triggers(tui_app *app, const char *arg)
{
    if (arg == NULL)
        return cmd_view(app, ACTION_VIEW_TRIGGERS);
    tui_view *v = view_triggers_fires_new(app, arg); /* says why when NULL */
    if (v == NULL)
        return -1;
    app_do(app, ACTION_VIEW_TRIGGERS); /* so that Esc goes back to the rules */
    app_push(app, v);
    return 0;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A command's file argument: absolute, relative to the workspace, or a
 * workflow NAME (workflows/NAME.yaml).  Caller frees. */
static char *resolve(tui_app *app, const char *arg, bool must_exist)
{
    if (arg[0] == '/')
        return xstrdup(arg);
    char *p = xasprintf("%s/%s", app->workspace, arg);
    if (is_file(p) || strchr(arg, '/'))
        return p;
    char *w = fs_workflow_file(app->workspace, arg);
    if (w != NULL) {
        free(p);
        return w;
    }
    if (must_exist) {
        free(p);
        return NULL;
    }
    return p;
}

static tui_view *top_editor(tui_app *app)
{
    tui_view *v = app_top(app);
    return v && strcmp(v->cls->name, "editor") == 0 ? v : NULL;
}

static int cmd_edit(tui_app *app, const char *arg)
{
    if (arg == NULL) {
        app_message(app, SLOT_ERROR, "usage: :edit FILE");
        return -1;
    }
    char *path = resolve(app, arg, false);
    app_edit(app, path);
    free(path);
    return 0;
}

/* `:run [FILE] [K=V]...`: the words of arg; a word with `=` is an input
 * value (V as JSON when it parses, else a string, as `dapt run --input`),
 * the other one the file.  0, or -1 after saying what is wrong. */
static int run_args(tui_app *app, const char *arg, char **file, json_t *input)
{
    char *copy = xstrdup(arg ? arg : ""), *save = NULL;
    int rc = 0;
    for (char *w = strtok_r(copy, " \t", &save); w != NULL && rc == 0;
         w = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(w, '=');
        if (eq == NULL) {
            if (*file != NULL) {
                app_message(app, SLOT_ERROR, "usage: :run [FILE] [KEY=VALUE]... (one file)");
                rc = -1;
            } else {
                *file = xstrdup(w);
            }
            continue;
        }
        if (eq == w) {
            app_message(app, SLOT_ERROR, "input `%s` has no key: write KEY=VALUE", w);
            rc = -1;
            continue;
        }
        *eq = '\0';
        json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
        json_object_set_new(input, w, v ? v : json_string(eq + 1));
    }
    free(copy);
    return rc;
}

static int cmd_run(tui_app *app, const char *arg)
{
    char *file = NULL;
    json_t *input = json_object();
    int rc = run_args(app, arg, &file, input);
    json_t *in = json_object_size(input) ? input : NULL;
    if (rc == 0 && file == NULL) {
        tui_view *ed = top_editor(app);
        if (ed) {
            rc = view_editor_run(ed, in);
        } else {
            app_message(app, SLOT_ERROR, "usage: :run FILE [KEY=VALUE]... (or :run in the editor)");
            rc = -1;
        }
    } else if (rc == 0) {
        char *path = resolve(app, file, true);
        if (path == NULL) {
            app_message(app, SLOT_ERROR, "no workflow `%s`: not a file, and no workflows/%s.yaml",
                        file, file);
            rc = -1;
        } else {
            rc = app_run_file(app, path, in);
        }
        free(path);
    }
    free(file);
    json_decref(input);
    return rc;
}

static int cmd_write(tui_app *app, const char *arg)
{
    (void)arg;
    tui_view *ed = top_editor(app);
    if (ed == NULL) {
        app_message(app, SLOT_ERROR, ":w saves the file of the editor; no editor is open here");
        return -1;
    }
    return view_editor_save(ed);
}

static int cmd_history(tui_app *app, const char *arg)
{
    tui_view *ed = top_editor(app);
    char *path = arg ? resolve(app, arg, true) : ed ? xstrdup(view_editor_path(ed)) : NULL;
    if (path == NULL) {
        app_message(app, SLOT_ERROR, arg ? "no file `%s`" : "usage: :history FILE (or in the editor)",
                    arg);
        return -1;
    }
    tui_view *v = view_history_new(app, path);
    free(path);
    if (v == NULL)
        return -1;
    app_push(app, v);
    return 0;
}

static int cmd_apply(tui_app *app, const char *arg)
{
    tui_view *ed = top_editor(app);
    char *path = arg ? resolve(app, arg, true) : ed ? xstrdup(view_editor_path(ed)) : NULL;
    if (path == NULL) {
        app_message(app, SLOT_ERROR, arg ? "no file `%s`" : "usage: :apply FILE (or in the editor)",
                    arg);
        return -1;
    }
    if (ed && arg == NULL && view_editor_modified(ed) && view_editor_save(ed) < 0) {
        free(path);
        return -1;
    }
    vcs_apply(app, path);
    free(path);
    return 0;
}

static int cmd_theme(tui_app *app, const char *arg)
{
    if (arg == NULL) {
        app_message(app, SLOT_MESSAGE, "theme: %s (:theme NAME to change; Tab lists them)",
                    theme_current());
        return 0;
    }
    char *error = NULL;
    if (theme_use(arg, &error) < 0) {
        app_message(app, SLOT_ERROR, "%s", error);
        free(error);
        return -1;
    }
    app_notify(app, TUI_NOTIFY_THEME);
    app_message(app, SLOT_OK, "theme %s", theme_current());
    return 0;
}

static int cmd_help(tui_app *app, const char *arg)
{
    (void)arg;
    app_do(app, ACTION_HELP);
    return 0;
}

static int cmd_quit(tui_app *app, const char *arg)
{
    (void)arg;
    app_quit(app);
    return 0;
}

static int cmd_mouse(tui_app *app, const char *arg)
{
    (void)arg;
    app_do(app, ACTION_MOUSE);
    return 0;
}

static const cmd_row cmd_rows[] = {
    {"workflows", "wf", ARG_NONE, false, cmd_workflows, "the workspace's workflow files"},
    {"plugins", "pl", ARG_NONE, false, cmd_plugins, "installed plugins"},
    {"targets", "tg", ARG_PLUGIN, false, cmd_targets, "targets (of one plugin)"},
    {"runs", "rs", ARG_RUN, false, cmd_runs, "run history, or one run by id"},
    {"triggers", "tr", ARG_TRIGGER, false, cmd_triggers, "trigger rules, or one rule's fires"},
    {"edit", "e", ARG_FILE, true, cmd_edit, "edit a file (NAME: workflows/NAME.yaml)"},
    {"run", "r", ARG_WORKFLOW, false, cmd_run,
     "run a workflow (none: the open file), with input KEY=VALUE..."},
    {"w", "write", ARG_NONE, false, cmd_write, "save the open file"},
    {"history", "hi", ARG_FILE, false, cmd_history, "git history of a file (none: the open one)"},
    {"apply", NULL, ARG_FILE, false, cmd_apply, "validate and commit a file (none: the open one)"},
    {"theme", NULL, ARG_THEME, false, cmd_theme, "switch the colour theme"},
    {"mouse", NULL, ARG_NONE, false, cmd_mouse, "toggle the mouse"},
    {"help", "h", ARG_NONE, false, cmd_help, "keys of this view"},
    {"quit", "q", ARG_NONE, false, cmd_quit, "leave dapt"},
};
#define CMD_COUNT (sizeof cmd_rows / sizeof cmd_rows[0])

static const cmd_row *cmd_find(const char *name, size_t len)
{
    for (size_t i = 0; i < CMD_COUNT; i++) {
        const cmd_row *c = &cmd_rows[i];
        if ((strlen(c->name) == len && strncmp(c->name, name, len) == 0) ||
            (c->alias && strlen(c->alias) == len && strncmp(c->alias, name, len) == 0))
            return c;
    }
    return NULL;
}

int cmdline_run(tui_app *app, const char *line)
{
    while (*line == ' ' || *line == ':')
        line++;
    size_t n = strcspn(line, " ");
    const cmd_row *c = cmd_find(line, n);
    if (c == NULL) {
        const char *names[CMD_COUNT];
        for (size_t i = 0; i < CMD_COUNT; i++)
            names[i] = cmd_rows[i].name;
        char *word = xstrndup(line, n);
        const char *near = suggest_closest(word, names, CMD_COUNT);
        if (near)
            app_message(app, SLOT_ERROR, "no command `:%s` (did you mean `:%s`?)", word, near);
        else
            app_message(app, SLOT_ERROR, "no command `:%s` (Tab completes; :help lists keys)",
                        word);
        free(word);
        return -1;
    }
    const char *arg = line + n;
    while (*arg == ' ')
        arg++;
    char *a = *arg ? xstrdup(arg) : NULL;
    if (a) {
        size_t len = strlen(a);
        while (len && a[len - 1] == ' ')
            a[--len] = '\0';
    }
    if (c->arg == ARG_NONE && a && c->run != cmd_write) {
        app_message(app, SLOT_ERROR, ":%s takes no argument", c->name);
        free(a);
        return -1;
    }
    if (c->arg_required && a == NULL) {
        app_message(app, SLOT_ERROR, "usage: :%s ARG (Tab completes)", c->name);
        return -1;
    }
    app_debug(app, "command :%s %s", c->name, a ? a : "");
    int rc = c->run(app, a);
    free(a);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Completion                                                          */
/* ------------------------------------------------------------------ */

typedef struct list_builder {
    char **items;
    size_t n, cap;
} list_builder;

static void add(list_builder *b, char *item)
{
    for (size_t i = 0; i < b->n; i++) {
        if (strcmp(b->items[i], item) == 0) {
            free(item);
            return;
        }
    }
    if (b->n + 2 > b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->items = xrealloc(b->items, b->cap, sizeof *b->items);
    }
    b->items[b->n++] = item;
    b->items[b->n] = NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Candidates for an argument kind (bare words, not whole lines). */
static void arg_candidates(tui_app *app, arg_kind kind, list_builder *out)
{
    switch (kind) {
    case ARG_WORKFLOW:
    case ARG_FILE: {
        char *dir = xasprintf("%s/workflows", app->workspace);
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            size_t len = strlen(e->d_name);
            if (e->d_name[0] == '.' || len < 5)
                continue;
            if (strcmp(e->d_name + len - 5, ".yaml") == 0)
                add(out, kind == ARG_WORKFLOW ? xstrndup(e->d_name, len - 5)
                                              : xasprintf("workflows/%s", e->d_name));
            else if (strcmp(e->d_name + len - 4, ".yml") == 0)
                add(out, kind == ARG_WORKFLOW ? xstrndup(e->d_name, len - 4)
                                              : xasprintf("workflows/%s", e->d_name));
        }
        if (d)
            closedir(d);
        free(dir);
        if (kind == ARG_FILE)
            add(out, xstrdup("dapt.yaml"));
        break;
    }
    case ARG_THEME: {
        char **names = theme_names();
        for (size_t i = 0; names && names[i]; i++)
            add(out, xstrdup(names[i]));
        theme_names_free(names);
        break;
    }
    case ARG_PLUGIN:
        for (size_t i = 0; app->registry && i < dapt_registry_count(app->registry); i++)
            add(out, xstrdup(dapt_registry_plugin(app->registry, i)->name));
        break;
    case ARG_RUN: {
        json_t *runs = NULL;
        char *error = NULL;
        if (app->store && store_list_runs(app->store, &runs, NULL, NULL, 30, &error) == 0) {
            size_t i;
            json_t *r;
            json_array_foreach(runs, i, r) {
                const char *id = json_string_value(json_object_get(r, "id"));
                if (id)
                    add(out, xstrdup(id));
            }
        }
        json_decref(runs);
        free(error);
        break;
    }
    case ARG_TRIGGER: {
        char **names = view_triggers_names(app);
        for (size_t i = 0; names[i]; i++)
            add(out, names[i]);
        free(names); /* the strings moved into out */
        break;
    }
    case ARG_NONE:
        break;
    }
}

char **cmdline_complete(tui_app *app, const char *line)
{
    list_builder b = {0};
    while (*line == ' ' || *line == ':')
        line++;
    size_t n = strcspn(line, " ");
    if (line[n] == '\0') {
        for (size_t i = 0; i < CMD_COUNT; i++)
            if (strncmp(cmd_rows[i].name, line, n) == 0)
                add(&b, xstrdup(cmd_rows[i].name));
        if (b.n)
            qsort(b.items, b.n, sizeof *b.items, by_name);
        return b.items;
    }
    const cmd_row *c = cmd_find(line, n);
    if (c == NULL || c->arg == ARG_NONE)
        return NULL;
    const char *arg = line + n;
    while (*arg == ' ')
        arg++;
    list_builder cands = {0};
    arg_candidates(app, c->arg, &cands);
    for (size_t i = 0; i < cands.n; i++) {
        if (strncmp(cands.items[i], arg, strlen(arg)) == 0)
            add(&b, xasprintf("%s %s", c->name, cands.items[i]));
        free(cands.items[i]);
    }
    free(cands.items);
    if (b.n && c->arg != ARG_RUN)
        qsort(b.items, b.n, sizeof *b.items, by_name);
    return b.items;
}

void cmdline_free_list(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

char *cmdline_help_text(void)
{
    strbuf sb = {0};
    for (size_t i = 0; i < CMD_COUNT; i++) {
        const cmd_row *c = &cmd_rows[i];
        char head[64];
        snprintf(head, sizeof head, ":%s%s%s%s", c->name,
                 c->arg == ARG_NONE ? "" : c->arg_required ? " ARG" : " [ARG]",
                 c->alias ? "  :" : "", c->alias ? c->alias : "");
        strbuf_printf(&sb, "%s\t%s\n", head, c->help);
    }
    return strbuf_detach(&sb);
}
