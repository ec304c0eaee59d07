/*
 * cmd-plugins.c - `dapt plugins list|show NAME|files NAME [--json]`, and
 * the dispatch of `dapt plugins new|install|uninstall` to their own files.
 *
 * Every command that needs the catalog opens it through cmd_plugins_open():
 * the workspace is the current folder, and what discovery had to say that
 * is not an error (an unwritable cache, an unreadable folder) goes to
 * standard error as a warning.  A broken plugin is not a failure of these
 * commands: it is reported, with its reason, like any other.
 */
#include "config.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "engine.h"

/* Text is wrapped to this many columns. */
#define WRAP_WIDTH 78
/* Data folders nested deeper than this are not listed (a guard, not a
 * limit anyone should meet). */
#define FILES_MAX_DEPTH 32

dapt_registry *cmd_plugins_open(void)
{
    dapt_registry_options opts = {.workspace = cli_workspace()};
    dapt_registry *reg;
    char *warnings = NULL, *error = NULL;
    int rc = dapt_registry_open(&reg, &opts, &warnings, &error);
    if (warnings) {
        /* One warning per line, each marked, except compiler messages of
         * user modules, which already say FILE:LINE:COL: SEVERITY. */
        for (char *line = strtok(warnings, "\n"); line; line = strtok(NULL, "\n")) {
            bool located = strstr(line, ": error: ") || strstr(line, ": warning: ") ||
                           strstr(line, ": note: ");
            fprintf(stderr, "%s%s\n", located ? "" : "dapt: warning: ", line);
        }
        free(warnings);
    }
    if (rc < 0) {
        fprintf(stderr, "dapt: cannot discover plugins: %s\n", error ? error : "unknown error");
        free(error);
        return NULL;
    }
    return reg;
}

void cmd_plugins_print_json(json_t *value)
{
    char *text = json_dumps(value, JSON_INDENT(2));
    if (text) {
        printf("%s\n", text);
        free(text);
    }
}

/* ------------------------------------------------------------------ */
/* Arguments                                                           */
/* ------------------------------------------------------------------ */

typedef struct plugins_args {
    bool json;
    const char *name; /* the one positional argument, when wanted */
} plugins_args;

static int plugins_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int plugins_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    int rc = cli_usage(cli_find("plugins"), "%s", msg);
    free(msg);
    return rc;
}

/* --json and, when `want_name`, exactly one NAME.  CLI_OK or a usage error
 * (already reported). */
static int plugins_parse(plugins_args *a, int argc, char **argv, bool want_name)
{
    bool options_done = false;
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (!options_done && strcmp(arg, "--json") == 0) {
            a->json = true;
        } else if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            return plugins_usage("unknown option '%s'", arg);
        } else if (!want_name || a->name != NULL) {
            return plugins_usage("unexpected argument '%s'", arg);
        } else {
            a->name = arg;
        }
    }
    if (want_name && a->name == NULL)
        return plugins_usage("'plugins %s' needs the name of a plugin", argv[0]);
    return CLI_OK;
}

/* The plugin under `name`, or NULL after saying it is unknown, with the
 * nearest name. */
static const dapt_plugin_info *plugins_lookup(const dapt_registry *reg, const char *name)
{
    const dapt_plugin_info *p = dapt_registry_find(reg, name);
    if (p != NULL)
        return p;
    size_t n = dapt_registry_count(reg);
    const char **names = xcalloc(n ? n : 1, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = dapt_registry_plugin(reg, i)->name;
    const char *close = suggest_closest(name, names, n);
    if (close)
        fprintf(stderr, "dapt: unknown plugin `%s`; did you mean `%s`?\n", name, close);
    else
        fprintf(stderr, "dapt: unknown plugin `%s`\n", name);
    fprintf(stderr, "Run 'dapt plugins list' to see the plugins found.\n");
    free(names);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Text helpers                                                        */
/* ------------------------------------------------------------------ */

/*
 * Print `text` wrapped at WRAP_WIDTH: its first line starts `indent`
 * spaces in, every other line (its own or wrapped) `hang` spaces in.
 * Lines break at spaces (a word longer than the width is cut).
 */
static void print_wrapped(const char *text, int indent, int hang)
{
    const char *p = text;
    int at = indent;
    for (;;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        do {
            size_t width = WRAP_WIDTH - at > 20 ? (size_t)(WRAP_WIDTH - at) : 20;
            size_t take = len, next;
            if (take > width) {
                take = width;
                while (take > 0 && p[take] != ' ')
                    take--;
                if (take == 0) /* one long word */
                    take = width;
            }
            next = take;
            while (take > 0 && p[take - 1] == ' ')
                take--;
            while (next < len && p[next] == ' ')
                next++;
            printf("%*s%.*s\n", take ? at : 0, "", (int)take, p);
            p += next;
            len -= next;
            at = hang;
        } while (len > 0);
        if (eol == NULL)
            break;
        p = eol + 1;
    }
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* ------------------------------------------------------------------ */
/* Bundled files                                                       */
/* ------------------------------------------------------------------ */

typedef struct data_file {
    char *path; /* relative to the data folder */
    uint64_t size;
} data_file;

typedef struct data_files {
    data_file *items;
    size_t count, cap;
    /* the folders being walked, to stop at a symbolic link to one */
    dev_t devs[FILES_MAX_DEPTH];
    ino_t inos[FILES_MAX_DEPTH];
} data_files;

static void files_add(data_files *f, const char *rel, uint64_t size)
{
    if (f->count == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->items = xrealloc(f->items, f->cap, sizeof *f->items);
    }
    f->items[f->count].path = xstrdup(rel);
    f->items[f->count].size = size;
    f->count++;
}

static void files_walk(data_files *f, const char *dir, const char *rel, int depth)
{
    struct stat st;
    if (depth >= FILES_MAX_DEPTH || stat(dir, &st) < 0)
        return;
    for (int i = 0; i < depth; i++)
        if (f->devs[i] == st.st_dev && f->inos[i] == st.st_ino)
            return; /* a link back to a folder above */
    f->devs[depth] = st.st_dev;
    f->inos[depth] = st.st_ino;
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        /* dapt's own record of where the plugin came from is not one of
         * its files */
        if (depth == 0 && strcmp(de->d_name, ".source.json") == 0)
            continue;
        if (strcmp(de->d_name, "__pycache__") == 0) /* Python's compiled copies */
            continue;
        char *path = xasprintf("%s/%s", dir, de->d_name);
        char *sub = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
        struct stat est;
        if (stat(path, &est) == 0) {
            if (S_ISDIR(est.st_mode))
                files_walk(f, path, sub, depth + 1);
            else if (S_ISREG(est.st_mode))
                files_add(f, sub, (uint64_t)est.st_size);
        }
        free(sub);
        free(path);
    }
    closedir(d);
}

static int file_cmp(const void *a, const void *b)
{
    return strcmp(((const data_file *)a)->path, ((const data_file *)b)->path);
}

/* A Python plugin's files: what its distribution installed (RECORD,
 * relative to the site folder), else those of its package folder. */
static void files_python(data_files *f, const dapt_registry *reg, const dapt_plugin_info *p)
{
    const char *dist = registry_python_dist(reg, p);
    char **names = NULL;
    size_t n = 0;
    if (dist != NULL && python_dist_files(&names, &n, dist) == 0) {
        char *base = xstrdup(dist), *slash = strrchr(base, '/');
        bool egg = strlen(dist) > 9 && strcmp(dist + strlen(dist) - 9, ".egg-info") == 0;
        if (slash != NULL && !egg)
            *slash = '\0';
        for (size_t i = 0; i < n; i++) {
            char *path = xasprintf("%s/%s", egg ? dist : base, names[i]);
            struct stat st;
            files_add(f, names[i], stat(path, &st) == 0 ? (uint64_t)st.st_size : 0);
            free(path);
        }
        /* an editable install's RECORD has no source files: the package
         * folder's, by its name */
        size_t nb = strlen(base);
        struct stat st;
        if (!egg && p->path && (strncmp(p->path, base, nb) != 0 || p->path[nb] != '/') &&
            stat(p->path, &st) == 0 && S_ISDIR(st.st_mode))
            files_walk(f, p->path, strrchr(p->path, '/') ? strrchr(p->path, '/') + 1 : p->path, 0);
        free(base);
        fs_paths_free(names, n);
        return;
    }
    struct stat st;
    if (p->path && stat(p->path, &st) == 0 && S_ISDIR(st.st_mode))
        files_walk(f, p->path, "", 0);
    else if (p->path && stat(p->path, &st) == 0)
        files_add(f, strrchr(p->path, '/') ? strrchr(p->path, '/') + 1 : p->path,
                  (uint64_t)st.st_size);
}

/* Every regular file under the plugin's data folder (a Python plugin's:
 * see files_python), sorted. */
static void files_collect(data_files *f, const dapt_registry *reg, const dapt_plugin_info *p)
{
    memset(f, 0, sizeof *f);
    if (p->runtime == DAPT_RUNTIME_PYTHON)
        files_python(f, reg, p);
    else if (p->data_dir != NULL)
        files_walk(f, p->data_dir, "", 0);
    if (f->count > 1)
        qsort(f->items, f->count, sizeof *f->items, file_cmp);
}

static void files_free(data_files *f)
{
    for (size_t i = 0; i < f->count; i++)
        free(f->items[i].path);
    free(f->items);
}

/* [{path, size}, ...] */
static json_t *files_to_json(const data_files *f)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < f->count; i++)
        json_array_append_new(arr, json_pack("{s:s, s:I}", "path", f->items[i].path, "size",
                                             (json_int_t)f->items[i].size));
    return arr;
}

static void files_print(const data_files *f, int indent)
{
    int width = 0;
    for (size_t i = 0; i < f->count; i++) {
        int n = (int)strlen(f->items[i].path);
        width = n > width ? n : width;
    }
    for (size_t i = 0; i < f->count; i++)
        printf("%*s%-*s  %8llu\n", indent, "", width, f->items[i].path,
               (unsigned long long)f->items[i].size);
}

/* ------------------------------------------------------------------ */
/* plugins list                                                        */
/* ------------------------------------------------------------------ */

static int width_of(int w, const char *s)
{
    int n = (int)strlen(s);
    return n > w ? n : w;
}

static void list_print(const dapt_registry *reg)
{
    size_t n = dapt_registry_count(reg);
    if (n == 0) {
        size_t ndirs;
        const char *const *dirs = dapt_registry_dirs(reg, &ndirs);
        printf("No plugins found.  Searched, in order:\n");
        for (size_t i = 0; i < ndirs; i++)
            printf("  %s\n", dirs[i]);
        return;
    }
    int wname = 4, wver = 7, wstatus = 6, wtargets = 7;
    for (size_t i = 0; i < n; i++) {
        const dapt_plugin_info *p = dapt_registry_plugin(reg, i);
        char count[32];
        snprintf(count, sizeof count, "%zu", p->target_count);
        wname = width_of(wname, p->name);
        wver = width_of(wver, or_dash(p->version));
        wstatus = width_of(wstatus, dapt_plugin_status_name(p->status));
        wtargets = width_of(wtargets, count);
    }
    printf("%-*s  %-*s  %-*s  %*s  %s\n", wname, "NAME", wver, "VERSION", wstatus, "STATUS",
           wtargets, "TARGETS", "PATH");
    for (size_t i = 0; i < n; i++) {
        const dapt_plugin_info *p = dapt_registry_plugin(reg, i);
        printf("%-*s  %-*s  %-*s  %*zu  %s\n", wname, p->name, wver, or_dash(p->version), wstatus,
               dapt_plugin_status_name(p->status), wtargets, p->target_count, p->path);
        if (p->status != DAPT_PLUGIN_OK && p->error)
            print_wrapped(p->error, 4, 4);
    }
}

static int plugins_list_run(int argc, char **argv)
{
    plugins_args a;
    int rc = plugins_parse(&a, argc, argv, false);
    if (rc != CLI_OK)
        return rc;
    dapt_registry *reg = cmd_plugins_open();
    if (reg == NULL)
        return CLI_FAILED;
    if (a.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < dapt_registry_count(reg); i++)
            json_array_append_new(arr, dapt_plugin_to_json(dapt_registry_plugin(reg, i)));
        cmd_plugins_print_json(arr);
        json_decref(arr);
    } else {
        list_print(reg);
    }
    dapt_registry_free(reg);
    return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* plugins show                                                        */
/* ------------------------------------------------------------------ */

/*
 * A target's signature, Python-like:
 *   cities.stages.weather(city: object|string, days: integer = 14) -> ...
 * Parameters a positional argument can fill come first; a target taking
 * any number of positionals shows `*args` after them, before its
 * named-only parameters (all of a C target's); one taking any named
 * argument ends with `**kwargs`.  An
 * optional parameter without a default is in brackets.
 */
static char *signature(const dapt_target_info *t)
{
    strbuf sb = {0};
    const char *sep = "";
    strbuf_printf(&sb, "%s(", t->target);
    size_t star = (t->flags & DAPT_TARGET_VARARGS) ? plugin_positional_params(t) : (size_t)-1;
    for (size_t i = 0; i <= t->param_count; i++) {
        if (i == star) {
            strbuf_printf(&sb, "%s*args", sep);
            sep = ", ";
        }
        if (i == t->param_count)
            break;
        const dapt_param_info *p = &t->params[i];
        bool bracket = !p->required && p->default_json == NULL;
        strbuf_printf(&sb, "%s%s%s: %s", sep, bracket ? "[" : "", p->name, p->type);
        if (!p->required && p->default_json)
            strbuf_printf(&sb, " = %s", p->default_json);
        if (bracket)
            strbuf_putc(&sb, ']');
        sep = ", ";
    }
    if (t->flags & DAPT_TARGET_KWARGS)
        strbuf_printf(&sb, "%s**kwargs", sep);
    strbuf_putc(&sb, ')');
    if (t->returns && *t->returns)
        strbuf_printf(&sb, " -> %s", t->returns);
    return strbuf_detach(&sb);
}

static void show_target(const dapt_target_info *t)
{
    char *sig = signature(t);
    if (t->kind != DAPT_TARGET_STAGE || (t->flags & TARGET_ASYNC)) {
        char *tagged = xasprintf("%s  [%s%s%s]", sig, t->flags & TARGET_ASYNC ? "async" : "",
                                 t->flags & TARGET_ASYNC && t->kind != DAPT_TARGET_STAGE ? " " : "",
                                 t->kind != DAPT_TARGET_STAGE ? dapt_target_kind_name(t->kind) : "");
        free(sig);
        sig = tagged;
    }
    /* continued lines line up after the opening parenthesis */
    print_wrapped(sig, 2, 3 + (int)strlen(t->target));
    free(sig);
    if (t->doc && *t->doc)
        print_wrapped(t->doc, 6, 6);
    if (t->source)
        printf("      defined at %s\n", t->source);
    int w = 0;
    for (size_t i = 0; i < t->param_count; i++)
        w = width_of(w, t->params[i].name);
    for (size_t i = 0; i < t->param_count; i++) {
        const dapt_param_info *p = &t->params[i];
        const char *req = p->required ? " (required)" : "";
        char *line = xasprintf("%-*s  %s%s", w, p->name, p->doc && *p->doc ? p->doc : "-", req);
        print_wrapped(line, 8, 10 + w);
        free(line);
    }
}

/* Where `dapt plugins install` got the plugin: its data folder's
 * .source.json ({url, ref, commit, installed_at} from git, {path,
 * installed_at} from a folder), or NULL.  New reference. */
static json_t *plugin_source(const dapt_plugin_info *p)
{
    if (p->data_dir == NULL)
        return NULL;
    char *file = xasprintf("%s/.source.json", p->data_dir);
    json_t *src = json_load_file(file, 0, NULL);
    free(file);
    if (src != NULL && !json_is_object(src)) {
        json_decref(src);
        src = NULL;
    }
    return src;
}

/* "URL @ COMMIT (ref REF)", or "PATH (a folder)". */
static void print_source(const json_t *src)
{
    const char *url = json_string_value(json_object_get(src, "url"));
    const char *commit = json_string_value(json_object_get(src, "commit"));
    const char *ref = json_string_value(json_object_get(src, "ref"));
    const char *path = json_string_value(json_object_get(src, "path"));
    if (url != NULL) {
        printf("source:      %s @ %s", url, or_dash(commit));
        if (ref != NULL)
            printf(" (ref %s)", ref);
        printf("\n");
    } else if (path != NULL) {
        printf("source:      %s (a folder)\n", path);
    }
}

static void show_print(const dapt_plugin_info *p, const data_files *files)
{
    printf("name:        %s\n", p->name);
    printf("runtime:     %s\n", dapt_runtime_name(p->runtime));
    if (p->runtime == DAPT_RUNTIME_PYTHON) {
        printf("interpreter: %s\n", or_dash(p->interpreter));
        printf("module:      %s\n", or_dash(p->module));
    }
    printf("version:     %s\n", or_dash(p->version));
    printf("description: %s\n", or_dash(p->description));
    printf("author:      %s\n", or_dash(p->author));
    printf("license:     %s\n", or_dash(p->license));
    printf("url:         %s\n", or_dash(p->url));
    printf("requires:    ");
    for (size_t i = 0; i < p->requirement_count; i++)
        printf("%s%s", i ? ", " : "", p->requirements[i]);
    printf("%s\n", p->requirement_count ? "" : "-");
    printf("path:        %s\n", p->path);
    printf("data folder: %s\n", p->data_dir ? p->data_dir : "- (none)");
    json_t *src = plugin_source(p);
    if (src != NULL)
        print_source(src);
    json_decref(src);
    if (p->abi_major)
        printf("abi:         %u.%u\n", p->abi_major, p->abi_minor);
    printf("status:      %s\n", dapt_plugin_status_name(p->status));
    if (p->status != DAPT_PLUGIN_OK && p->error)
        print_wrapped(p->error, 4, 4);

    if (p->target_count == 0)
        printf("\ntargets: none\n");
    else
        printf("\ntargets (%zu):\n", p->target_count);
    for (size_t i = 0; i < p->target_count; i++) {
        if (i > 0)
            printf("\n");
        show_target(&p->targets[i]);
    }
    if (p->data_dir || p->runtime == DAPT_RUNTIME_PYTHON) {
        printf("\nfiles (%zu):\n", files->count);
        files_print(files, 2);
    }
}

/* What `show` and `files` print for the plugin they name. */
typedef void plugins_printer(const dapt_plugin_info *p, const data_files *files, bool json);

/* Parse NAME [--json], find the plugin and its data files, print them. */
static int plugins_named_run(int argc, char **argv, plugins_printer *print)
{
    plugins_args a;
    int rc = plugins_parse(&a, argc, argv, true);
    if (rc != CLI_OK)
        return rc;
    dapt_registry *reg = cmd_plugins_open();
    if (reg == NULL)
        return CLI_FAILED;
    const dapt_plugin_info *p = plugins_lookup(reg, a.name);
    if (p == NULL) {
        dapt_registry_free(reg);
        return CLI_FAILED;
    }
    data_files files;
    files_collect(&files, reg, p);
    print(p, &files, a.json);
    files_free(&files);
    dapt_registry_free(reg);
    return CLI_OK;
}

static void show_output(const dapt_plugin_info *p, const data_files *files, bool json)
{
    if (json) {
        json_t *obj = dapt_plugin_to_json(p);
        json_object_set_new(obj, "files", files_to_json(files));
        json_t *src = plugin_source(p);
        if (src != NULL)
            json_object_set_new(obj, "source", src);
        cmd_plugins_print_json(obj);
        json_decref(obj);
    } else {
        show_print(p, files);
    }
}

static int plugins_show_run(int argc, char **argv)
{
    return plugins_named_run(argc, argv, show_output);
}

/* ------------------------------------------------------------------ */
/* plugins files                                                       */
/* ------------------------------------------------------------------ */

static void files_output(const dapt_plugin_info *p, const data_files *files, bool json)
{
    if (json) {
        json_t *arr = files_to_json(files);
        cmd_plugins_print_json(arr);
        json_decref(arr);
    } else if (p->data_dir == NULL && p->runtime != DAPT_RUNTIME_PYTHON) {
        fprintf(stderr, "dapt: plugin `%s` has no data folder (no folder %s/ beside %s)\n", p->name,
                p->name, p->path);
    } else {
        files_print(files, 0);
    }
}

static int plugins_files_run(int argc, char **argv)
{
    return plugins_named_run(argc, argv, files_output);
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */
/* ------------------------------------------------------------------ */

/* The subcommands: adding one is adding a row (its help is in main.c's
 * entry for `plugins`). */
static const struct plugins_subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
} plugins_subcommands[] = {
    {.name = "list", .run = plugins_list_run},
    {.name = "show", .run = plugins_show_run},
    {.name = "files", .run = plugins_files_run},
    {.name = "new", .run = plugins_new_run},
    {.name = "install", .run = plugins_install_run},
    {.name = "uninstall", .run = plugins_uninstall_run},
    {.name = "python", .run = plugins_python_run},
};
#define PLUGINS_SUBCOMMAND_COUNT (sizeof plugins_subcommands / sizeof plugins_subcommands[0])

int cmd_plugins(int argc, char **argv)
{
    if (argc < 2)
        return plugins_usage("'plugins' needs a subcommand: list, show, files, new, install "
                             "or uninstall");
    for (size_t i = 0; i < PLUGINS_SUBCOMMAND_COUNT; i++)
        if (strcmp(argv[1], plugins_subcommands[i].name) == 0)
            return plugins_subcommands[i].run(argc - 1, argv + 1);
    const char *names[PLUGINS_SUBCOMMAND_COUNT];
    for (size_t i = 0; i < PLUGINS_SUBCOMMAND_COUNT; i++)
        names[i] = plugins_subcommands[i].name;
    const char *close = suggest_closest(argv[1], names, PLUGINS_SUBCOMMAND_COUNT);
    if (close)
        return plugins_usage("no subcommand 'plugins %s' (did you mean 'plugins %s'?)", argv[1],
                             close);
    return plugins_usage("no subcommand 'plugins %s'", argv[1]);
}
