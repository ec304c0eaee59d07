/*
 * cmd-plugins-install.c - `dapt plugins install SRC[@REF]` and
 * `dapt plugins uninstall NAME`.
 *
 * Install fetches a plugin project (a directory's working tree, or a git
 * repository cloned by the dapt-git helper with libgit2 at REF) into a temporary
 * folder, builds it with its own build system into the user plugin folder
 * ($XDG_DATA_HOME/dapt/plugins), keeps the build log, and checks through
 * the registry that what it installed loads.  Uninstall removes NAME.so and
 * its data folder from that folder only: dapt never deletes what it did not
 * install.
 *
 * A Python project (setup.py, or pyproject.toml) is no build of dapt's:
 * it goes to the interpreter's pip (cmd-plugins-python.c), from the folder
 * itself or from the clone, and uninstall asks pip to remove the
 * distribution that declares the plugin.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"

/* How much of a failed build's log is shown. */
#define LOG_TAIL_LINES 40

/* ------------------------------------------------------------------ */
/* Folders                                                              */
/* ------------------------------------------------------------------ */

/* $XDG_DATA_HOME/dapt/plugins: where the registry looks for the user's
 * plugins (a relative $XDG_DATA_HOME is ignored, as the spec says). */
static char *user_plugin_dir(void)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (xdg != NULL && xdg[0] == '/')
        return xasprintf("%s/dapt/plugins", xdg);
    return xasprintf("%s/.local/share/dapt/plugins", home ? home : "");
}

/* $XDG_CACHE_HOME/dapt/install: the build logs. */
static char *log_dir(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg != NULL && xdg[0] == '/')
        return xasprintf("%s/dapt/install", xdg);
    return xasprintf("%s/.cache/dapt/install", home ? home : "");
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* rm -rf, without following symbolic links. */
static int remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool file_exists(const char *dir, const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    struct stat st;
    bool found = stat(path, &st) == 0;
    free(path);
    return found;
}

/* ------------------------------------------------------------------ */
/* Running the build's commands                                         */
/* ------------------------------------------------------------------ */

/*
 * Run argv in `dir` (no shell), output appended to the log.  Returns the
 * exit status (128 + signal when killed, 127 when it could not be run: the
 * reason is in the log).
 */
static int run_logged(const char *dir, char *const *argv, int log_fd)
{
    dprintf(log_fd, "$");
    for (size_t i = 0; argv[i] != NULL; i++)
        dprintf(log_fd, " %s", argv[i]);
    dprintf(log_fd, "\n");
    pid_t pid = fork();
    if (pid < 0) {
        dprintf(log_fd, "dapt: cannot fork: %s\n", strerror(errno));
        return 127;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        dup2(log_fd, STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        if (chdir(dir) < 0) {
            dprintf(STDERR_FILENO, "dapt: cannot enter %s: %s\n", dir, strerror(errno));
            _exit(127);
        }
        execvp(argv[0], argv);
        dprintf(STDERR_FILENO, "dapt: cannot run `%s`: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* Print the last lines of the log to stderr. */
static void print_log_tail(const char *log_path)
{
    FILE *f = fopen(log_path, "r");
    if (f == NULL)
        return;
    char *lines[LOG_TAIL_LINES] = {0};
    size_t n = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) {
        free(lines[n % LOG_TAIL_LINES]);
        lines[n % LOG_TAIL_LINES] = xstrdup(line);
        n++;
    }
    free(line);
    fclose(f);
    size_t first = n > LOG_TAIL_LINES ? n - LOG_TAIL_LINES : 0;
    for (size_t i = first; i < n; i++) {
        const char *s = lines[i % LOG_TAIL_LINES];
        fprintf(stderr, "  | %s%s", s, s[0] != '\0' && s[strlen(s) - 1] == '\n' ? "" : "\n");
    }
    for (size_t i = 0; i < LOG_TAIL_LINES; i++)
        free(lines[i]);
}

/* ------------------------------------------------------------------ */
/* Build systems: adding one is adding a row                            */
/* ------------------------------------------------------------------ */

/* A Makefile written by hand (not generated from a Makefile.in) with a
 * rule for `install`. */
static bool detect_make(const char *dir)
{
    static const char *const names[] = {"GNUmakefile", "makefile", "Makefile"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *path = xasprintf("%s/%s", dir, names[i]);
        FILE *f = fopen(path, "r");
        free(path);
        if (f == NULL)
            continue;
        char *line = NULL;
        size_t cap = 0;
        bool found = false;
        while (!found && getline(&line, &cap, f) >= 0) {
            if (line[0] == '\t' || line[0] == '#')
                continue;
            char *colon = strchr(line, ':');
            if (colon == NULL || colon[1] == '=')
                continue;
            *colon = '\0';
            for (char *w = strtok(line, " \t"); w != NULL; w = strtok(NULL, " \t"))
                found = found || strcmp(w, "install") == 0;
        }
        free(line);
        fclose(f);
        char *in = xasprintf("%s.in", names[i]);
        bool generated = file_exists(dir, in);
        free(in);
        if (found && !generated)
            return true;
    }
    return false;
}

static bool detect_autotools(const char *dir)
{
    return file_exists(dir, "configure") || file_exists(dir, "configure.ac");
}

static bool detect_cmake(const char *dir)
{
    return file_exists(dir, "CMakeLists.txt");
}

#define STEPS_MAX 5
#define STEP_ARGS_MAX 10

typedef struct build_step {
    const char *unless;              /* skipped when this file exists in the source */
    const char *argv[STEP_ARGS_MAX]; /* ends at the first NULL */
} build_step;

/*
 * In the steps, {plugindir} is the user plugin folder, {prefix} a staging
 * prefix that is thrown away (only the plugin and its data folder, which a
 * plugin installs into its plugindir, are kept), {jobs} the CPU count.
 */
static const struct build_system {
    const char *name;
    bool (*detect)(const char *dir);
    build_step steps[STEPS_MAX];
} build_systems[] = {
    {
        .name = "make",
        .detect = detect_make,
        .steps =
            {
                {NULL, {"make", "-j{jobs}", "PLUGINDIR={plugindir}", "plugindir={plugindir}"}},
                {NULL, {"make", "install", "PLUGINDIR={plugindir}", "plugindir={plugindir}"}},
            },
    },
    {
        .name = "autotools",
        .detect = detect_autotools,
        .steps =
            {
                {"configure", {"autoreconf", "-fi"}},
                {NULL, {"./configure", "--prefix={prefix}", "--with-plugindir={plugindir}"}},
                {NULL, {"make", "-j{jobs}", "plugindir={plugindir}", "PLUGINDIR={plugindir}"}},
                {NULL, {"make", "install", "plugindir={plugindir}", "PLUGINDIR={plugindir}"}},
            },
    },
    {
        .name = "cmake",
        .detect = detect_cmake,
        .steps =
            {
                {NULL,
                 {"cmake", "-S", ".", "-B", "_dapt_build", "-DCMAKE_BUILD_TYPE=Release",
                  "-DCMAKE_INSTALL_PREFIX={prefix}", "-DDAPT_PLUGINDIR={plugindir}"}},
                {NULL, {"cmake", "--build", "_dapt_build", "-j", "{jobs}"}},
                {NULL, {"cmake", "--install", "_dapt_build"}},
            },
    },
};
#define BUILD_SYSTEM_COUNT (sizeof build_systems / sizeof build_systems[0])

typedef struct build_vars {
    const char *plugindir;
    const char *prefix;
    char jobs[24];
} build_vars;

/* `arg` with {plugindir}, {prefix} and {jobs} replaced. */
static char *expand(const char *arg, const build_vars *vars)
{
    const struct {
        const char *key;
        const char *value;
    } keys[] = {
        {"{plugindir}", vars->plugindir}, {"{prefix}", vars->prefix}, {"{jobs}", vars->jobs}};
    strbuf sb = {0};
    strbuf_puts(&sb, "");
    while (*arg != '\0') {
        size_t k = 0;
        while (k < sizeof keys / sizeof keys[0] &&
               strncmp(arg, keys[k].key, strlen(keys[k].key)) != 0)
            k++;
        if (k < sizeof keys / sizeof keys[0]) {
            strbuf_puts(&sb, keys[k].value);
            arg += strlen(keys[k].key);
        } else {
            strbuf_putc(&sb, *arg++);
        }
    }
    return strbuf_detach(&sb);
}

/* Run the steps; on failure say which one and show the log's end. */
static int run_build(const struct build_system *bs, const char *dir, const build_vars *vars,
                     const char *log_path)
{
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        fprintf(stderr, "dapt: cannot write the build log %s: %s\n", log_path, strerror(errno));
        return -1;
    }
    dprintf(log_fd, "# dapt plugins install: building %s with %s\n", dir, bs->name);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < STEPS_MAX && bs->steps[i].argv[0] != NULL; i++) {
        const build_step *step = &bs->steps[i];
        if (step->unless != NULL && file_exists(dir, step->unless))
            continue;
        char *argv[STEP_ARGS_MAX + 1] = {0};
        size_t n = 0;
        for (; n < STEP_ARGS_MAX && step->argv[n] != NULL; n++)
            argv[n] = expand(step->argv[n], vars);
        int status = run_logged(dir, argv, log_fd);
        if (status != 0) {
            fprintf(stderr, "dapt: the build failed: `%s` exited with status %d\n", argv[0],
                    status);
            rc = -1;
        }
        for (size_t j = 0; j < n; j++)
            free(argv[j]);
    }
    close(log_fd);
    if (rc < 0) {
        fprintf(stderr, "The last lines of the build log:\n");
        print_log_tail(log_path);
        fprintf(stderr, "The whole log: %s\n", log_path);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Sources                                                              */
/* ------------------------------------------------------------------ */

typedef struct source {
    char *location; /* a path or a URL */
    char *ref;      /* NULL: the working tree (a folder) or the default branch */
    bool git;       /* clone it (a URL, or a folder with @REF) */
    char *stem;     /* the last part of the location, for the log's name */
} source;

/* file://, https://, ssh://... or git@host:path (scp-like). */
static bool is_url(const char *s)
{
    if (strstr(s, "://") != NULL)
        return true;
    const char *colon = strchr(s, ':');
    const char *slash = strchr(s, '/');
    return colon != NULL && colon != s && (slash == NULL || colon < slash) &&
           strchr(s, '@') != NULL && strchr(s, '@') < colon;
}

/* Where the path part of a URL starts: an '@' before it belongs to the
 * user (ssh://git@host/x, git@host:x); after it, to the ref. */
static size_t path_start(const char *s)
{
    const char *scheme = strstr(s, "://");
    if (scheme != NULL) {
        const char *slash = strchr(scheme + 3, '/');
        return slash ? (size_t)(slash - s) : strlen(s);
    }
    if (is_url(s))
        return (size_t)(strchr(s, ':') - s);
    return 0;
}

static char *make_stem(const char *location)
{
    size_t len = strlen(location);
    while (len > 1 && location[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && location[start - 1] != '/' && location[start - 1] != ':')
        start--;
    char *stem = xstrndup(location + start, len - start);
    size_t n = strlen(stem);
    if (n > 4 && strcmp(stem + n - 4, ".git") == 0)
        stem[n - 4] = '\0';
    if (stem[0] == '.') /* no hidden log files */
        stem[0] = '_';
    if (stem[0] == '\0') {
        free(stem);
        stem = xstrdup("plugin");
    }
    return stem;
}

static int source_parse(source *src, const char *arg)
{
    memset(src, 0, sizeof *src);
    struct stat st;
    char *at = NULL;
    if (stat(arg, &st) != 0) {
        at = strrchr(arg, '@');
        if (at != NULL && (size_t)(at - arg) < path_start(arg))
            at = NULL;
    }
    src->location = at ? xstrndup(arg, (size_t)(at - arg)) : xstrdup(arg);
    if (at != NULL) {
        if (at[1] == '\0') {
            fprintf(stderr, "dapt: nothing after '@' in %s: give a branch, tag or commit\n", arg);
            return -1;
        }
        src->ref = xstrdup(at + 1);
    }
    if (is_url(src->location)) {
        src->git = true;
    } else if (stat(src->location, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr,
                "dapt: %s is not a folder, nor a git URL (https://, ssh://, git@HOST:PATH, "
                "file://)\n",
                src->location);
        return -1;
    } else {
        /* "." is logged and reported under the project's folder name */
        char *real = realpath(src->location, NULL);
        if (real != NULL) {
            free(src->location);
            src->location = real;
        }
        src->git = src->ref != NULL;
    }
    src->stem = make_stem(src->location);
    return 0;
}

static void source_free(source *src)
{
    free(src->location);
    free(src->ref);
    free(src->stem);
}

/* Clone with the dapt-git helper (libgit2 lives there, not in dapt):
 * *origin becomes what `.source.json` records, {url, ref, commit}. */
static int git_fetch_source(const source *src, const char *dest, json_t **origin)
{
    fprintf(stderr, "cloning %s%s%s\n", src->location, src->ref ? " at " : "",
            src->ref ? src->ref : "");
    const char *args[] = {"clone", src->location, src->ref ? src->ref : "", dest, NULL};
    json_t *cloned = NULL;
    char *error = NULL;
    if (workspace_git(&cloned, args, &error) < 0) {
        fprintf(stderr, "dapt: %s\n", error);
        free(error);
        return -1;
    }
    const char *url = json_string_value(json_object_get(cloned, "url"));
    const char *commit = json_string_value(json_object_get(cloned, "commit"));
    *origin =
        json_pack("{s:s, s:o, s:s}", "url", url ? url : src->location, "ref",
                  src->ref ? json_string(src->ref) : json_null(), "commit", commit ? commit : "");
    json_decref(cloned);
    return 0;
}

/* A folder is built from a copy of its working tree as it is (uncommitted
 * changes included), so its own build files are left alone. */
static int copy_source(const source *src, const char *dest, const char *log_path)
{
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        fprintf(stderr, "dapt: cannot write %s: %s\n", log_path, strerror(errno));
        return -1;
    }
    char *from = xasprintf("%s/.", src->location);
    char *argv[] = {(char *)"cp", (char *)"-a", from, (char *)dest, NULL};
    int status = run_logged(".", argv, log_fd);
    close(log_fd);
    free(from);
    if (status != 0) {
        fprintf(stderr, "dapt: cannot copy %s:\n", src->location);
        print_log_tail(log_path);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* What the build installed                                             */
/* ------------------------------------------------------------------ */

typedef struct so_file {
    char *name; /* "NAME.so" */
    struct stat st;
} so_file;

typedef struct so_list {
    so_file *items;
    size_t count;
} so_list;

static void so_list_read(so_list *list, const char *dir)
{
    memset(list, 0, sizeof *list);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n <= 3 || strcmp(e->d_name + n - 3, ".so") != 0)
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            list->items = xrealloc(list->items, list->count + 1, sizeof *list->items);
            list->items[list->count].name = xstrdup(e->d_name);
            list->items[list->count++].st = st;
        }
        free(path);
    }
    closedir(d);
}

static void so_list_free(so_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i].name);
    free(list->items);
}

/* Was `f` absent from `before`, or different? */
static bool so_changed(const so_file *f, const so_list *before)
{
    for (size_t i = 0; i < before->count; i++) {
        const struct stat *b = &before->items[i].st;
        if (strcmp(before->items[i].name, f->name) != 0)
            continue;
        return b->st_ino != f->st.st_ino || b->st_size != f->st.st_size ||
               b->st_mtim.tv_sec != f->st.st_mtim.tv_sec ||
               b->st_mtim.tv_nsec != f->st.st_mtim.tv_nsec;
    }
    return true;
}

static const dapt_plugin_info *registry_entry(const dapt_registry *reg, const char *path)
{
    char *real = realpath(path, NULL);
    const dapt_plugin_info *found = NULL;
    for (size_t i = 0; found == NULL && i < dapt_registry_count(reg); i++) {
        const dapt_plugin_info *p = dapt_registry_plugin(reg, i);
        char *other = realpath(p->path, NULL);
        if (other != NULL && strcmp(other, real ? real : path) == 0)
            found = p;
        free(other);
    }
    free(real);
    return found;
}

/* Record where plugin `name` came from in its data folder's .source.json
 * (`origin` plus installed_at), for `dapt plugins show`.  A failure is
 * only a warning: the plugin is installed. */
static void record_source(const char *dir, const char *name, const json_t *origin)
{
    char *data = xasprintf("%s/%s", dir, name);
    char *file = xasprintf("%s/.source.json", data);
    json_t *rec = json_deep_copy(origin);
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    json_object_set_new(rec, "installed_at", json_string(stamp));
    char *text = json_dumps(rec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    char *withnl = xasprintf("%s\n", text);
    if (fs_mkdir_p(data, 0755) < 0 || fs_write_atomic(file, withnl, strlen(withnl), 0644, true) < 0)
        fprintf(stderr, "dapt: warning: cannot record the source of %s in %s: %s\n", name, file,
                strerror(errno));
    free(withnl);
    free(text);
    json_decref(rec);
    free(file);
    free(data);
}

/* Report each new or updated plugin as the registry sees it, and record
 * its origin.  -1 when nothing was installed or something installed
 * cannot be used. */
static int report_installed(const char *dir, const so_list *before, const json_t *origin)
{
    so_list after;
    so_list_read(&after, dir);
    dapt_registry *reg = NULL;
    dapt_registry_options opts = {.workspace = "."}; /* as the other plugin commands */
    char *warnings = NULL, *error = NULL;
    int rc = 0;
    size_t installed = 0;
    if (dapt_registry_open(&reg, &opts, &warnings, &error) < 0) {
        fprintf(stderr, "dapt: cannot check the installed plugins: %s\n", error);
        free(error);
        rc = -1;
    }
    free(warnings);
    for (size_t i = 0; reg != NULL && i < after.count; i++) {
        if (!so_changed(&after.items[i], before))
            continue;
        installed++;
        char *path = xasprintf("%s/%s", dir, after.items[i].name);
        const dapt_plugin_info *p = registry_entry(reg, path);
        if (p == NULL) {
            fprintf(stderr, "dapt: installed %s, but the registry does not list it\n", path);
            rc = -1;
        } else if (p->status == DAPT_PLUGIN_BROKEN) {
            fprintf(stderr, "dapt: installed %s, but it cannot be used: %s\n", path, p->error);
            fprintf(stderr, "Fix the plugin, or remove it with: dapt plugins uninstall %s\n",
                    p->name);
            rc = -1;
        } else {
            record_source(dir, p->name, origin);
            printf("installed %s%s%s (%zu target%s) into %s\n", p->name, p->version[0] ? " " : "",
                   p->version, p->target_count, p->target_count == 1 ? "" : "s", dir);
            if (p->status == DAPT_PLUGIN_SHADOWED)
                fprintf(stderr, "dapt: warning: %s\n", p->error);
        }
        free(path);
    }
    if (reg != NULL && installed == 0) {
        fprintf(stderr,
                "dapt: the build succeeded but installed no plugin into %s\n"
                "(its install rule should copy NAME.so into $(PLUGINDIR), which dapt sets, or\n"
                "into $XDG_DATA_HOME/dapt/plugins)\n",
                dir);
        rc = -1;
    }
    dapt_registry_free(reg);
    so_list_free(&after);
    return rc;
}

/* ------------------------------------------------------------------ */
/* install                                                              */
/* ------------------------------------------------------------------ */

static const struct {
    const char *name;
    const char *usage;
} usages[] = {
    {"install", "plugins install SRC[@REF] [--editable] [--pip-arg ARG]..."},
    {"uninstall", "plugins uninstall NAME"},
};

/* The usage of one subcommand, to stderr; returns CLI_USAGE. */
static int usage(const char *which, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage(const char *which, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("dapt: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    for (size_t i = 0; i < sizeof usages / sizeof usages[0]; i++) {
        if (strcmp(usages[i].name, which) == 0)
            fprintf(stderr, "usage: dapt %s\n", usages[i].usage);
    }
    fprintf(stderr, "Try 'dapt help plugins' for more.\n");
    return CLI_USAGE;
}

static const struct build_system *detect_build_system(const char *dir)
{
    for (size_t i = 0; i < BUILD_SYSTEM_COUNT; i++) {
        if (build_systems[i].detect(dir))
            return &build_systems[i];
    }
    return NULL;
}

/* The C build systems take no pip options ($DAPT_PIP_ARGS is ignored for
 * them: it is meant for every Python install). */
static int refuse_pip_options(const source *src, const plugins_pip_options *pip)
{
    if (pip->editable || pip->arg_count > pip->env_count) {
        fprintf(stderr,
                "dapt: --editable and --pip-arg are for Python projects (setup.py or "
                "pyproject.toml); %s is not one\n",
                src->location);
        return -1;
    }
    return 0;
}

static int install_from(const source *src, const char *work, const plugins_pip_options *pip)
{
    char *plugindir = user_plugin_dir();
    char *logs = log_dir();
    char *log_path = xasprintf("%s/%s.log", logs, src->stem);
    char *tree = xasprintf("%s/src", work);
    char *prefix = xasprintf("%s/prefix", work);
    so_list before = {0};
    json_t *origin = NULL; /* what .source.json records */
    int rc = -1;

    if (fs_mkdir_p(plugindir, 0755) < 0 || fs_mkdir_p(logs, 0700) < 0) {
        fprintf(stderr, "dapt: cannot create %s or %s: %s\n", plugindir, logs, strerror(errno));
        goto out;
    }
    if (!src->git && plugins_python_project(src->location)) {
        rc = plugins_python_install(src->location, src->location, pip);
        goto out;
    }
    if (src->git && pip->editable) {
        fprintf(stderr, "dapt: --editable installs a folder in place, not a clone of %s\n",
                src->location);
        goto out;
    }
    if (src->git ? git_fetch_source(src, tree, &origin) < 0 : copy_source(src, tree, log_path) < 0)
        goto out;
    if (src->git && plugins_python_project(tree)) {
        rc = plugins_python_install(tree, src->location, pip);
        goto out;
    }
    if (refuse_pip_options(src, pip) < 0)
        goto out;
    if (origin == NULL)
        origin = json_pack("{s:s}", "path", src->location);
    const struct build_system *bs = detect_build_system(tree);
    if (bs == NULL) {
        fprintf(stderr,
                "dapt: no build system in %s: expected a Makefile with an `install` rule, a "
                "configure script (or configure.ac), or a CMakeLists.txt\n",
                src->location);
        goto out;
    }
    build_vars vars = {.plugindir = plugindir, .prefix = prefix};
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(vars.jobs, sizeof vars.jobs, "%ld", cpus > 0 ? cpus : 1);
    so_list_read(&before, plugindir);
    fprintf(stderr, "building with %s (log: %s)\n", bs->name, log_path);
    if (run_build(bs, tree, &vars, log_path) < 0)
        goto out;
    rc = report_installed(plugindir, &before, origin);
out:
    json_decref(origin);
    so_list_free(&before);
    free(prefix);
    free(tree);
    free(log_path);
    free(logs);
    free(plugindir);
    return rc;
}

/* $DAPT_PIP_ARGS, split at spaces, into pip->args (before those of
 * --pip-arg). */
static void pip_env_args(plugins_pip_options *pip)
{
    const char *env = getenv("DAPT_PIP_ARGS");
    char *copy = xstrdup(env ? env : "");
    for (char *save = NULL, *w = strtok_r(copy, " \t\n", &save); w != NULL;
         w = strtok_r(NULL, " \t\n", &save)) {
        pip->args = xrealloc(pip->args, pip->arg_count + 1, sizeof *pip->args);
        pip->args[pip->arg_count++] = xstrdup(w);
    }
    free(copy);
    pip->env_count = pip->arg_count;
}

static void pip_options_free(plugins_pip_options *pip)
{
    for (size_t i = 0; i < pip->arg_count; i++)
        free(pip->args[i]);
    free(pip->args);
}

static int install_parse(int argc, char **argv, const char **arg, plugins_pip_options *pip)
{
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *value = NULL;
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && strcmp(a, "--pip-arg") == 0) {
            if (i + 1 >= argc)
                return usage("install", "--pip-arg needs a value (one option for pip)");
            value = argv[++i];
        } else if (!options_done && strncmp(a, "--pip-arg=", 10) == 0) {
            value = a + 10;
        } else if (!options_done && (strcmp(a, "--editable") == 0 || strcmp(a, "-e") == 0)) {
            pip->editable = true;
            continue;
        } else if (!options_done && a[0] == '-' && a[1] != '\0') {
            return usage("install", "unknown option '%s'", a);
        } else if (*arg != NULL) {
            return usage("install", "one source at a time");
        } else {
            *arg = a;
            continue;
        }
        pip->args = xrealloc(pip->args, pip->arg_count + 1, sizeof *pip->args);
        pip->args[pip->arg_count++] = xstrdup(value);
    }
    if (*arg == NULL)
        return usage("install", "no source to install");
    return CLI_OK;
}

int plugins_install_run(int argc, char **argv)
{
    const char *arg = NULL;
    plugins_pip_options pip = {0};
    pip_env_args(&pip);
    int parsed = install_parse(argc, argv, &arg, &pip);
    if (parsed != CLI_OK) {
        pip_options_free(&pip);
        return parsed;
    }

    source src;
    if (source_parse(&src, arg) < 0) {
        source_free(&src);
        pip_options_free(&pip);
        return CLI_FAILED;
    }
    const char *tmpdir = getenv("TMPDIR");
    char *work = xasprintf("%s/dapt-install.XXXXXX", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    int rc = -1;
    if (mkdtemp(work) == NULL)
        fprintf(stderr, "dapt: cannot create a folder in %s: %s\n", work, strerror(errno));
    else {
        rc = install_from(&src, work, &pip);
        remove_tree(work);
    }
    free(work);
    source_free(&src);
    pip_options_free(&pip);
    return rc < 0 ? CLI_FAILED : CLI_OK;
}

/* ------------------------------------------------------------------ */
/* uninstall                                                            */
/* ------------------------------------------------------------------ */

static bool same_dir(const char *a, const char *b)
{
    char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
    bool same = ra != NULL && rb != NULL && strcmp(ra, rb) == 0;
    free(ra);
    free(rb);
    return same;
}

/* Which part of the search order holds `path`, for the refusal. */
static const char *where_from(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    const char *env = getenv("DAPT_PLUGIN_PATH");
    char *list = xstrdup(env ? env : "");
    const char *what = NULL;
    for (char *save = NULL, *d = strtok_r(list, ":", &save); d && !what;
         d = strtok_r(NULL, ":", &save)) {
        if (same_dir(d, dir))
            what = "a folder of $DAPT_PLUGIN_PATH";
    }
    if (what == NULL)
        what = strstr(dir, "/.dapt/plugins") ? "a workspace's .dapt/plugins"
                                             : "the system plugin folder";
    free(list);
    free(dir);
    return what;
}

/* No plugin of that name: say so, with the closest name known. */
static int uninstall_unknown(const char *name, const dapt_registry *reg, const char *plugindir)
{
    size_t n = reg ? dapt_registry_count(reg) : 0;
    const char **names = xcalloc(n + 1, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = dapt_registry_plugin(reg, i)->name;
    const char *close = suggest_closest(name, names, n);
    fprintf(stderr, "dapt: no plugin named `%s` is installed in %s", name, plugindir);
    if (close != NULL)
        fprintf(stderr, " (did you mean `%s`?)", close);
    fprintf(stderr, "\nSee the installed plugins with: dapt plugins list\n");
    free(names);
    return CLI_FAILED;
}

int plugins_uninstall_run(int argc, char **argv)
{
    if (argc == 2 && argv[1][0] == '-')
        return usage("uninstall", "unknown option '%s'", argv[1]);
    if (argc != 2)
        return usage("uninstall", "%s", argc < 2 ? "no plugin name" : "one plugin name at a time");
    const char *name = argv[1];
    if (!plugin_name_valid(name)) {
        /* an entry point may be named so; a C plugin may not */
        int py = strchr(name, '/') ? -1 : plugins_python_uninstall(name);
        if (py >= 0)
            return py;
        fprintf(stderr, "dapt: `%s` is not a plugin name (lowercase letters, digits and _)\n",
                name);
        return CLI_FAILED;
    }
    char *plugindir = user_plugin_dir();
    char *so = xasprintf("%s/%s.so", plugindir, name);
    char *data = xasprintf("%s/%s", plugindir, name);
    struct stat st;
    bool has_so = lstat(so, &st) == 0, has_data = lstat(data, &st) == 0 && S_ISDIR(st.st_mode);
    /* Not one of the user's C plugins: the distribution that declares it
     * in the interpreter's environment, if any. */
    int py = has_so || has_data ? -1 : plugins_python_uninstall(name);
    if (py >= 0) {
        free(data);
        free(so);
        free(plugindir);
        return py;
    }
    int rc = CLI_OK;
    dapt_registry *reg = NULL;
    dapt_registry_options opts = {.workspace = "."}; /* as the other plugin commands */
    char *warnings = NULL, *error = NULL;
    if (has_so || has_data) {
        if ((has_so && unlink(so) < 0) || (has_data && remove_tree(data) < 0)) {
            fprintf(stderr, "dapt: cannot remove %s: %s\n", has_so ? so : data, strerror(errno));
            rc = CLI_FAILED;
        } else {
            printf("uninstalled %s (removed %s%s%s)\n", name, has_so ? so : "",
                   has_so && has_data ? " and " : "", has_data ? data : "");
        }
    }
    if (dapt_registry_open(&reg, &opts, &warnings, &error) < 0) {
        fprintf(stderr, "dapt: %s\n", error);
        free(error);
        reg = NULL;
    }
    const dapt_plugin_info *other = reg ? dapt_registry_find(reg, name) : NULL;
    if (has_so || has_data) {
        if (rc == CLI_OK && other != NULL)
            printf("%s is still available from %s\n", name, other->path);
    } else if (other != NULL) {
        fprintf(stderr,
                "dapt: %s is not in your plugin folder %s: it lives in %s (%s).\n"
                "dapt plugins uninstall removes only plugins of your own folder; remove that "
                "file yourself, or ask whoever installed it.\n",
                name, plugindir, other->path, where_from(other->path));
        rc = CLI_FAILED;
    } else {
        rc = uninstall_unknown(name, reg, plugindir);
    }
    dapt_registry_free(reg);
    free(warnings);
    free(data);
    free(so);
    free(plugindir);
    return rc;
}
