/*
 * cmd-workspace.c - the workspace under git: `dapt init [DIR]`, `dapt
 * apply FILE...`, `dapt history FILE`, `dapt diff [REV [REV]] [FILE]` and
 * `dapt restore FILE REV`.
 *
 * Every git operation goes through the helper dapt-git (workspace_git in
 * engine/workspace.c), so dapt itself never loads libgit2.  FILE is read
 * from the current folder (or, when that is not inside the workspace,
 * from the workspace) and handed to the helper relative to the workspace,
 * which may be a subfolder of a larger repository.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* A helper's message without the "dapt: " it may start with. */
static void print_git_error(char *error)
{
    const char *msg = error ? error : "dapt-git failed";
    if (strncmp(msg, "dapt: ", 6) == 0)
        msg += 6;
    fprintf(stderr, "dapt: %s\n", msg);
    free(error);
}

/* dapt-git ARGS as JSON: 0, or -1 after printing why. */
static int git_json(json_t **out, const char *const *args)
{
    char *error = NULL;
    if (workspace_git(out, args, &error) < 0) {
        print_git_error(error);
        return -1;
    }
    return 0;
}

/* dapt-git ARGS as raw text: 0, or -1 after printing why (quiet: -1
 * with *error for the caller). */
static int git_text(char **text, size_t *len, const char *const *args, char **error)
{
    char *err = NULL;
    if (workspace_git_text(text, len, args, &err) < 0) {
        if (error)
            *error = err;
        else
            print_git_error(err);
        return -1;
    }
    return 0;
}

static const char *jstr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The first 7 characters of a commit id. */
static const char *short_id(const char *id, char buf[8])
{
    snprintf(buf, 8, "%s", id ? id : "-");
    return buf;
}

/* The file's content (NUL-terminated, caller frees), or NULL with errno. */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    strbuf sb = {0};
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_add(&sb, buf, n);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        strbuf_free(&sb);
        errno = EIO;
        return NULL;
    }
    strbuf_puts(&sb, "");
    *len = sb.len;
    return strbuf_detach(&sb);
}

/* The mode a new file gets: 0666 less the umask. */
static mode_t file_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/* `path` made absolute from `base` and cleaned of "." and ".." (by text:
 * the file may not exist).  Caller frees. */
static char *absolute_from(const char *base, const char *path)
{
    char *joined = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", base, path);
    char **parts = xcalloc(strlen(joined) / 2 + 2, sizeof *parts);
    size_t n = 0;
    char *save = NULL;
    for (char *p = strtok_r(joined, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
        if (strcmp(p, ".") == 0)
            continue;
        if (strcmp(p, "..") == 0) {
            if (n > 0)
                n--;
            continue;
        }
        parts[n++] = p;
    }
    strbuf sb = {0};
    for (size_t i = 0; i < n; i++)
        strbuf_printf(&sb, "/%s", parts[i]);
    if (n == 0)
        strbuf_putc(&sb, '/');
    free(parts);
    free(joined);
    return strbuf_detach(&sb);
}

/* An absolute path with symbolic links resolved as far as it exists
 * (the file itself, or else its folder).  Caller frees. */
static char *resolve(const char *abs)
{
    char *real = realpath(abs, NULL);
    if (real != NULL)
        return real;
    const char *slash = strrchr(abs, '/');
    char *dir = slash == abs ? xstrdup("/") : xstrndup(abs, (size_t)(slash - abs));
    char *rdir = realpath(dir, NULL);
    char *r =
        rdir ? xasprintf("%s%s%s", rdir, strcmp(rdir, "/") ? "/" : "", slash + 1) : xstrdup(abs);
    free(rdir);
    free(dir);
    return r;
}

/* `abs` relative to the folder `root` when inside it, else NULL. */
static char *inside(const char *root, const char *abs)
{
    size_t n = strlen(root);
    if (strcmp(root, "/") == 0)
        return abs[1] ? xstrdup(abs + 1) : NULL;
    if (strncmp(abs, root, n) == 0 && abs[n] == '/' && abs[n + 1] != '\0')
        return xstrdup(abs + n + 1);
    return NULL;
}

/* The workspace folder, absolute and resolved; NULL after saying why. */
static char *workspace_root(void)
{
    char *root = realpath(cli_workspace(), NULL);
    if (root == NULL)
        fprintf(stderr, "dapt: cannot use the workspace %s: %s\n", cli_workspace(),
                strerror(errno));
    return root;
}

/*
 * FILE as a path relative to the workspace `root`: from the current
 * folder, or (a relative FILE that is not in the workspace from there)
 * from the workspace.  Caller frees; NULL after saying why.
 */
static char *workspace_rel(const char *root, const char *file)
{
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL) {
        fprintf(stderr, "dapt: cannot tell the current folder: %s\n", strerror(errno));
        return NULL;
    }
    char *abs = absolute_from(cwd, file), *real = resolve(abs);
    char *rel = inside(root, real);
    free(abs);
    free(real);
    if (rel == NULL && file[0] != '/') {
        abs = absolute_from(root, file);
        real = resolve(abs);
        rel = inside(root, real);
        free(abs);
        free(real);
    }
    if (rel == NULL)
        fprintf(stderr, "dapt: %s is not a file of the workspace %s\n", file, root);
    return rel;
}

/* The note after a commit made without a configured git identity. */
static void identity_note(const json_t *result)
{
    const char *identity = jstr(result, "identity");
    if (identity == NULL || strcmp(identity, "fallback") != 0)
        return;
    fprintf(stderr, "dapt: note: git has no user.name and user.email, so the commit is by dapt's\n"
                    "dapt: note: fallback identity; to commit as yourself, set them once with\n"
                    "dapt: note:   git config --global user.name \"Your Name\"\n"
                    "dapt: note:   git config --global user.email you@example.com\n"
                    "dapt: note: (or the [user] section of ~/.gitconfig)\n");
}

/* `dapt-git status` of one file: its entry {path, blob, head_blob,
 * state} (new reference), or NULL after saying why. */
static json_t *file_status(const char *root, const char *rel)
{
    const char *args[] = {"status", "-C", root, rel, NULL};
    json_t *status = NULL, *entry = NULL;
    if (git_json(&status, args) < 0)
        return NULL;
    json_t *files = json_object_get(status, "files");
    for (size_t i = 0; i < json_array_size(files) && entry == NULL; i++) {
        json_t *f = json_array_get(files, i);
        const char *path = jstr(f, "path");
        if (path && strcmp(path, rel) == 0)
            entry = json_incref(f);
    }
    if (entry == NULL)
        fprintf(stderr, "dapt: dapt-git status said nothing about %s\n", rel);
    json_decref(status);
    return entry;
}

static bool is_workflow_yaml(const char *rel)
{
    const char *dot = strrchr(rel, '.');
    return dot && (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0);
}

/* ------------------------------------------------------------------ */
/* dapt init                                                           */
/* ------------------------------------------------------------------ */

static const char init_settings[] =
    "# dapt.yaml - the settings of this workspace (the shape of Flowdapt's\n"
    "# flowdapt.yaml): a component is chosen by a target string and set up by\n"
    "# the keys beside it.  DAPT__A__B=value variables override any key\n"
    "# (DAPT__SERVICES__COMPUTE__EXECUTOR__USE_PROCESSES=false).\n"
    "services:\n"
    "  compute:\n"
    "    executor:\n"
    "      # dapt's builtin executor runs stages on this machine.\n"
    "      target: dapt.executor.local\n"
    "      # true: in a pool of worker processes (a crashing stage cannot take\n"
    "      # dapt down); false: in threads of the dapt process (faster to start).\n"
    "      use_processes: true\n"
    "      # workers: 4          # how many at once (default: the CPUs)\n";

static const char init_gitignore[] =
    "# dapt's run store, caches and artifacts: local to this machine.\n"
    ".dapt/\n";

static const char *const init_folders[] = {"workflows", "configs", "triggers", "user_modules"};

/* Whether a .gitignore text already ignores .dapt/ (one of the ways it is
 * written). */
static bool ignores_dapt(const char *text)
{
    static const char *const forms[] = {".dapt/", ".dapt", "/.dapt/", "/.dapt"};
    const char *line = text;
    while (*line) {
        size_t n = strcspn(line, "\r\n");
        while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
            n--;
        for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
            if (strlen(forms[i]) == n && strncmp(line, forms[i], n) == 0)
                return true;
        line += strcspn(line, "\n");
        if (*line)
            line++;
    }
    return false;
}

/* Write DIR/NAME unless it exists; says what it did.  0 or -1. */
static int init_file(const char *dir, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    int rc = fs_write_atomic(path, text, strlen(text), file_mode(), false);
    if (rc == 0)
        printf("created %s\n", name);
    else if (errno == EEXIST)
        printf("kept %s (it exists)\n", name), rc = 0;
    else
        fprintf(stderr, "dapt: cannot write %s: %s\n", path, strerror(errno));
    free(path);
    return rc;
}

/* .gitignore: written, or .dapt/ added to the user's (*appended). */
static int init_gitignore_file(const char *dir, bool *appended)
{
    char *path = xasprintf("%s/.gitignore", dir);
    size_t len = 0;
    char *old = read_all(path, &len);
    int rc = 0;
    struct stat sb;
    if (old == NULL && errno == ENOENT) {
        rc = init_file(dir, ".gitignore", init_gitignore);
    } else if (old == NULL) {
        fprintf(stderr, "dapt: cannot read %s: %s\n", path, strerror(errno));
        rc = -1;
    } else if (!ignores_dapt(old)) {
        char *text = xasprintf("%s%s.dapt/\n", old, len > 0 && old[len - 1] != '\n' ? "\n" : "");
        rc = fs_write_atomic(path, text, strlen(text),
                          stat(path, &sb) == 0 ? sb.st_mode & 07777 : file_mode(), true);
        *appended = rc == 0;
        if (rc == 0)
            printf("added .dapt/ to .gitignore\n");
        else
            fprintf(stderr, "dapt: cannot write %s: %s\n", path, strerror(errno));
        free(text);
    }
    free(old);
    free(path);
    return rc;
}

static int init_layout(const char *dir, bool *appended)
{
    struct stat sb;
    bool existed = stat(dir, &sb) == 0;
    if (fs_mkdir_p(dir, 0777) < 0) {
        fprintf(stderr, "dapt: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (!existed)
        printf("created %s/\n", dir);
    for (size_t i = 0; i < sizeof init_folders / sizeof init_folders[0]; i++) {
        char *path = xasprintf("%s/%s", dir, init_folders[i]);
        bool had = stat(path, &sb) == 0;
        int rc = fs_mkdir_p(path, 0777);
        if (rc < 0)
            fprintf(stderr, "dapt: cannot create %s: %s\n", path, strerror(errno));
        else if (!had)
            printf("created %s/\n", init_folders[i]);
        /* git keeps no empty folder: a clone of the workspace should
         * still have the layout */
        char *keep = xasprintf("%s/.gitkeep", path);
        if (rc == 0 && !had && fs_write_atomic(keep, "", 0, file_mode(), false) < 0 &&
            errno != EEXIST) {
            fprintf(stderr, "dapt: cannot write %s: %s\n", keep, strerror(errno));
            rc = -1;
        }
        free(keep);
        free(path);
        if (rc < 0)
            return -1;
    }
    if (init_file(dir, "dapt.yaml", init_settings) < 0)
        return -1;
    return init_gitignore_file(dir, appended);
}

/* Whether DIR/.gitignore is committed as it is and lacks .dapt/: then
 * init adds the line and commits it (a .gitignore with changes of the
 * user's not committed is left for the user to apply). */
static bool gitignore_to_commit(const char *dir)
{
    char *path = xasprintf("%s/.gitignore", dir);
    size_t len;
    char *text = read_all(path, &len);
    bool yes = false;
    free(path);
    if (text != NULL && !ignores_dapt(text)) {
        const char *args[] = {"status", "-C", dir, ".gitignore", NULL};
        json_t *status = NULL;
        char *error = NULL;
        if (workspace_git(&status, args, &error) == 0) {
            json_t *f = json_array_get(json_object_get(status, "files"), 0);
            yes = jstr(f, "state") && strcmp(jstr(f, "state"), "clean") == 0;
        }
        free(error); /* no repository yet: init commits the new file */
        json_decref(status);
    }
    free(text);
    return yes;
}

int cmd_workspace_init(int argc, char **argv)
{
    const cli_command *self = cli_find("init");
    const char *dir = NULL;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--") == 0)
            options_done = true;
        else if (!options_done && argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage(self, "unknown option '%s'", argv[i]);
        else if (dir != NULL)
            return cli_usage(self, "one folder at a time");
        else
            dir = argv[i];
    }
    if (dir == NULL)
        dir = ".";
    bool appended = false, commit_gitignore = gitignore_to_commit(dir);
    if (init_layout(dir, &appended) < 0)
        return CLI_FAILED;

    const char *args[] = {"init", "-C", dir, NULL};
    json_t *res = NULL, *more = NULL;
    if (git_json(&res, args) < 0) {
        fprintf(stderr, "dapt: the workspace %s was laid out, but is not under git\n", dir);
        return CLI_FAILED;
    }
    const char *commit = jstr(res, "commit");
    if (appended && commit_gitignore) {
        const char *cargs[] = {"commit",     "-C", dir, "-m", "dapt init: ignore .dapt/",
                               ".gitignore", NULL};
        if (git_json(&more, cargs) < 0) {
            json_decref(res);
            return CLI_FAILED;
        }
        if (jstr(more, "commit"))
            commit = jstr(more, "commit");
    }
    char id[8];
    const char *repo = jstr(res, "repo");
    bool created = json_is_true(json_object_get(res, "created"));
    char *where = created ? xstrdup("new git repository")
                          : xasprintf("in the git repository %s", repo ? repo : "around it");
    if (commit)
        printf("initialised a workspace in %s (%s) \xe2\x80\x94 %scommit %s\n", dir, where,
               created ? "first " : "", short_id(commit, id));
    else
        printf("initialised a workspace in %s (%s) \xe2\x80\x94 nothing new to commit\n", dir,
               where);
    free(where);
    if (commit)
        identity_note(more ? more : res);
    json_decref(more);
    json_decref(res);
    return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* dapt apply                                                          */
/* ------------------------------------------------------------------ */

typedef struct apply_file {
    const char *arg;     /* as given */
    char *rel;           /* relative to the workspace */
    char *path;          /* to open: WORKSPACE/REL */
    dapt_bundle *bundle; /* NULL for a file that is not a resource file */
    bool changed;
    bool is_new;
} apply_file;

/* Validate one file as `dapt validate` does (a workspace's dapt.yaml as
 * settings; files that are not YAML are taken as they are).  0 or -1,
 * diagnostics in diags. */
static int apply_validate(apply_file *f, const char *root, dapt_registry **reg, bool *reg_tried,
                          dapt_diags *diags)
{
    if (strcmp(f->rel, "dapt.yaml") == 0) {
        json_t *settings = NULL;
        int rc = dapt_settings_load(&settings, root, diags);
        if (rc == 0) {
            /* what `dapt run` would refuse: the executor and its keys */
            if (!*reg_tried) {
                *reg_tried = true;
                *reg = cmd_plugins_open();
            }
            char *error = NULL;
            if (*reg != NULL && run_check_settings(settings, *reg, &error) < 0) {
                char *located = settings_locate_error(root, error);
                dapt_diags_add(diags, f->arg, (dapt_pos){0, 0}, DAPT_SEV_ERROR, "%s", located);
                free(located);
                rc = -1;
            }
            free(error);
        }
        json_decref(settings);
        return rc;
    }
    if (!is_workflow_yaml(f->rel))
        return 0;
    /* Named as given in diagnostics when that is the same file. */
    char *a = realpath(f->arg, NULL), *b = realpath(f->path, NULL);
    bool as_given = a && b ? strcmp(a, b) == 0 : a == NULL && b == NULL;
    free(a);
    free(b);
    int rc = dapt_load_file(&f->bundle, as_given ? f->arg : f->path, diags);
    for (size_t i = 0; i < f->bundle->count; i++) {
        const dapt_resource *r = &f->bundle->items[i];
        if (r->kind != DAPT_KIND_WORKFLOW || r->u.workflow == NULL)
            continue;
        if (!*reg_tried) {
            *reg_tried = true;
            *reg = cmd_plugins_open();
        }
        if (*reg == NULL) {
            fprintf(stderr, "dapt: the targets of %s could not be checked\n", f->arg);
            return -1;
        }
        if (dapt_registry_check_workflow(*reg, r->u.workflow, r->file, diags) > 0)
            rc = -1;
    }
    return rc;
}

/* Which files differ from HEAD, and which are new to git: one
 * `dapt-git status` for all.  0, or -1 after saying why. */
static int apply_status(apply_file *files, size_t n, const char *root)
{
    const char **args = xcalloc(n + 4, sizeof *args);
    args[0] = "status";
    args[1] = "-C";
    args[2] = root;
    for (size_t i = 0; i < n; i++)
        args[3 + i] = files[i].rel;
    json_t *status = NULL;
    int rc = git_json(&status, args);
    free(args);
    json_t *entries = json_object_get(status, "files");
    for (size_t i = 0; i < n && rc == 0; i++) {
        const json_t *entry = NULL;
        for (size_t k = 0; k < json_array_size(entries) && entry == NULL; k++) {
            const char *path = jstr(json_array_get(entries, k), "path");
            if (path && strcmp(path, files[i].rel) == 0)
                entry = json_array_get(entries, k);
        }
        const char *state = jstr(entry, "state");
        bool repeated = false;
        for (size_t k = 0; k < i && !repeated; k++)
            repeated = strcmp(files[k].rel, files[i].rel) == 0;
        if (repeated) {
            continue;
        } else if (state && strcmp(state, "clean") == 0) {
            printf("nothing to apply: %s is as committed\n", files[i].arg);
        } else {
            files[i].changed = true;
            files[i].is_new = !json_is_string(json_object_get(entry, "head_blob"));
        }
    }
    json_decref(status);
    return rc;
}

static int apply_commit(apply_file *files, size_t n, const char *root, const char *message)
{
    size_t changed = 0;
    const char **args = xcalloc(n + 6, sizeof *args);
    size_t k = 0;
    args[k++] = "commit";
    args[k++] = "-C";
    args[k++] = root;
    args[k++] = "-m";
    args[k++] = NULL; /* the message, below */
    strbuf msg = {0};
    for (size_t i = 0; i < n; i++) {
        if (!files[i].changed)
            continue;
        args[k++] = files[i].rel;
        changed++;
        if (message == NULL) {
            char *part = workspace_change_summary(root, files[i].rel, files[i].bundle, files[i].is_new);
            strbuf_printf(&msg, "%s%s", msg.len ? "; " : "", part);
            free(part);
        }
    }
    args[4] = message ? message : msg.buf;
    json_t *res = NULL;
    int rc = CLI_OK;
    if (changed > 0 && git_json(&res, args) < 0) {
        rc = CLI_FAILED;
    } else if (changed > 0 && jstr(res, "commit") == NULL) {
        printf("nothing to apply: the files are as committed\n");
    } else if (changed > 0) {
        char id[8];
        printf("applied %zu file%s in %s: %s\n", changed, changed == 1 ? "" : "s",
               short_id(jstr(res, "commit"), id), args[4]);
        identity_note(res);
    }
    json_decref(res);
    strbuf_free(&msg);
    free(args);
    return rc;
}

int cmd_workspace_apply(int argc, char **argv)
{
    const cli_command *self = cli_find("apply");
    const char *message = NULL;
    apply_file *files = xcalloc((size_t)argc, sizeof *files);
    size_t n = 0;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--") == 0) {
            options_done = true;
        } else if (!options_done &&
                   (strcmp(argv[i], "-m") == 0 || strcmp(argv[i], "--message") == 0)) {
            if (i + 1 >= argc) {
                free(files);
                return cli_usage(self, "%s needs a message", argv[i]);
            }
            message = argv[++i];
        } else if (!options_done && argv[i][0] == '-' && argv[i][1] != '\0') {
            free(files);
            return cli_usage(self, "unknown option '%s'", argv[i]);
        } else {
            files[n++].arg = argv[i];
        }
    }
    if (n == 0) {
        free(files);
        return cli_usage(self, "no file to apply");
    }
    if (message != NULL && message[0] == '\0') {
        free(files);
        return cli_usage(self, "the message is empty");
    }

    int rc = CLI_OK;
    char *root = workspace_root();
    dapt_registry *reg = NULL;
    bool reg_tried = false;
    dapt_diags diags = {0};
    bool *bad = xcalloc(n, sizeof *bad);
    for (size_t i = 0; i < n && root; i++) {
        if ((files[i].rel = workspace_rel(root, files[i].arg)) == NULL) {
            rc = CLI_FAILED;
            continue;
        }
        files[i].path = xasprintf("%s/%s", root, files[i].rel);
        bad[i] = apply_validate(&files[i], root, &reg, &reg_tried, &diags) < 0;
    }
    if (root == NULL)
        rc = CLI_FAILED;
    cli_print_diags(stderr, &diags);
    for (size_t i = 0; i < n; i++) {
        if (bad[i]) {
            fprintf(stderr, "not applied: %s does not validate\n", files[i].arg);
            rc = CLI_FAILED;
        }
    }
    if (rc != CLI_OK && root != NULL)
        fprintf(stderr, "dapt: nothing was committed\n");
    if (rc == CLI_OK && apply_status(files, n, root) < 0)
        rc = CLI_FAILED;
    if (rc == CLI_OK)
        rc = apply_commit(files, n, root, message);

    for (size_t i = 0; i < n; i++) {
        free(files[i].rel);
        free(files[i].path);
        if (files[i].bundle)
            dapt_bundle_free(files[i].bundle);
    }
    free(files);
    free(bad);
    dapt_diags_free(&diags);
    dapt_registry_free(reg);
    free(root);
    return rc;
}

/* ------------------------------------------------------------------ */
/* dapt history                                                        */
/* ------------------------------------------------------------------ */

/* The workspace's run store, or NULL when it has none (or it cannot be
 * opened: said, and the counts are then 0). */
static store *history_store(const char *root)
{
    char *db = xasprintf("%s/.dapt/dapt.db", root);
    store *st = NULL;
    char *error = NULL;
    if (access(db, F_OK) == 0 && store_open(&st, root, &error) < 0) {
        fprintf(stderr, "dapt: warning: no run counts: %s\n", error);
        free(error);
    }
    free(db);
    return st;
}

/* {state: n} of the runs made from `blob` (an empty object without a
 * store or a blob).  New reference. */
static json_t *history_runs(store *st, const char *blob)
{
    json_t *runs = NULL;
    char *error = NULL;
    if (st && blob && store_count_runs_by_blob(st, &runs, blob, &error) < 0) {
        fprintf(stderr, "dapt: warning: no run counts: %s\n", error);
        free(error);
        runs = NULL;
    }
    return json_is_object(runs) ? runs : (json_decref(runs), json_object());
}

/* A commit date as "2026-11-25 10:37" (local time), from an ISO 8601
 * text or seconds since the epoch. */
static void date_text(char *buf, size_t size, const json_t *date)
{
    snprintf(buf, size, "-");
    if (json_is_integer(date)) {
        time_t t = (time_t)json_integer_value(date);
        struct tm tm;
        if (localtime_r(&t, &tm))
            strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
    } else if (json_is_string(date)) {
        const char *s = json_string_value(date);
        int64_t us;
        time_t t;
        struct tm tm;
        if (store_parse_time(date, &us) == 0 && (t = (time_t)(us / 1000000), 1) &&
            localtime_r(&t, &tm)) {
            strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
        } else {
            /* As written, "T" and seconds left out. */
            snprintf(buf, size, "%.16s", s);
            if (strlen(buf) > 10 && buf[10] == 'T')
                buf[10] = ' ';
        }
    }
}

/* The first line of a message.  Caller frees. */
static char *first_line(const char *msg)
{
    return msg ? xstrndup(msg, strcspn(msg, "\n")) : xstrdup("");
}

static void history_print(const json_t *log)
{
    size_t n = json_array_size(log);
    char **dates = xcalloc(n, sizeof *dates), **runs = xcalloc(n, sizeof *runs);
    int wa = (int)strlen("AUTHOR"), wr = (int)strlen("RUNS");
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(log, i);
        char buf[64];
        date_text(buf, sizeof buf, json_object_get(e, "date"));
        dates[i] = xstrdup(buf);
        runs[i] = store_counts_text(json_object_get(e, "runs"));
        const char *author = jstr(e, "author");
        if (author && (int)strlen(author) > wa)
            wa = (int)strlen(author);
        if ((int)strlen(runs[i]) > wr)
            wr = (int)strlen(runs[i]);
    }
    printf("%-7s  %-16s  %-*s  %-*s  %s\n", "COMMIT", "DATE", wa, "AUTHOR", wr, "RUNS", "MESSAGE");
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(log, i);
        char id[8];
        char *msg = first_line(jstr(e, "message"));
        const char *author = jstr(e, "author");
        printf("%-7s  %-16s  %-*s  %-*s  %s\n", short_id(jstr(e, "commit"), id), dates[i], wa,
               author ? author : "-", wr, runs[i], msg);
        free(msg);
        free(dates[i]);
        free(runs[i]);
    }
    free(dates);
    free(runs);
}

int cmd_workspace_history(int argc, char **argv)
{
    const cli_command *self = cli_find("history");
    const char *file;
    bool json;
    int usage = cli_json_and_one(argc, argv, self, &json, &file, "file");
    if (usage != CLI_OK)
        return usage;
    if (file == NULL)
        return cli_usage(self, "no file");

    char *root = workspace_root(), *rel = root ? workspace_rel(root, file) : NULL;
    json_t *log = NULL;
    int rc = CLI_FAILED;
    const char *args[] = {"log", "-C", root, rel, NULL};
    if (rel != NULL && git_json(&log, args) == 0) {
        if (json_array_size(log) == 0) {
            fprintf(stderr, "dapt: %s has no commits; `dapt apply %s` commits it\n", file, file);
        } else {
            store *st = history_store(root);
            size_t i;
            json_t *e;
            json_array_foreach(log, i, e)
                json_object_set_new(e, "runs", history_runs(st, jstr(e, "blob")));
            if (st)
                store_close(st);
            if (json)
                cmd_plugins_print_json(log);
            else
                history_print(log);
            rc = CLI_OK;
        }
    }
    json_decref(log);
    free(rel);
    free(root);
    return rc;
}

/* ------------------------------------------------------------------ */
/* dapt diff                                                           */
/* ------------------------------------------------------------------ */

/* One side of a stage diff: the workflow of FILE at REV (rev NULL: the
 * working tree; "HEAD" of a file not committed yet: none).  0 with
 * *bundle (NULL: no such file there), or -1 after saying why. */
static int diff_side(dapt_bundle **bundle, const char *root, const char *rel, const char *file,
                     const char *rev)
{
    char *text = NULL, *name;
    size_t len = 0;
    *bundle = NULL;
    if (rev == NULL) {
        char *path = xasprintf("%s/%s", root, rel);
        text = read_all(path, &len);
        free(path);
        if (text == NULL && errno != ENOENT) {
            fprintf(stderr, "dapt: cannot read %s: %s\n", file, strerror(errno));
            return -1;
        }
        if (text == NULL)
            return 0; /* removed from the working tree */
        name = xstrdup(file);
    } else {
        if (strcmp(rev, "HEAD") == 0) {
            json_t *st = file_status(root, rel);
            if (st == NULL)
                return -1;
            bool committed = json_is_string(json_object_get(st, "head_blob"));
            json_decref(st);
            if (!committed)
                return 0;
        }
        const char *args[] = {"show", "-C", root, rev, rel, NULL};
        if (git_text(&text, &len, args, NULL) < 0)
            return -1;
        name = xasprintf("%s@%s", file, rev);
    }
    dapt_diags diags = {0};
    dapt_load_buffer(bundle, name, text, len, &diags);
    dapt_diags_free(&diags);
    free(name);
    free(text);
    return 0;
}

static int diff_stages(const char *root, const char *rel, const char *file, const char *rev_a,
                       const char *rev_b)
{
    dapt_bundle *a = NULL, *b = NULL;
    int rc = CLI_FAILED;
    if (diff_side(&a, root, rel, file, rev_a ? rev_a : "HEAD") == 0 &&
        diff_side(&b, root, rel, file, rev_b) == 0) {
        const dapt_workflow *wa = a ? dapt_bundle_workflow(a) : NULL;
        const dapt_workflow *wb = b ? dapt_bundle_workflow(b) : NULL;
        if (wa == NULL && wb == NULL) {
            fprintf(stderr, "dapt: %s holds no workflow in either version\n", file);
        } else {
            stagediff d;
            stagediff_compute(&d, wa, wb);
            char *text = stagediff_text(&d);
            fputs(text[0] ? text : "no stage changes\n", stdout);
            free(text);
            stagediff_free(&d);
            rc = CLI_OK;
        }
    }
    if (a)
        dapt_bundle_free(a);
    if (b)
        dapt_bundle_free(b);
    return rc;
}

int cmd_workspace_diff(int argc, char **argv)
{
    const cli_command *self = cli_find("diff");
    const char *pos[4] = {NULL};
    const char *file = NULL;
    size_t npos = 0;
    bool stages = false, options_done = false;
    for (int i = 1; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--") == 0) {
            options_done = true;
        } else if (!options_done && strcmp(argv[i], "--stages") == 0) {
            stages = true;
        } else if (!options_done && argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage(self, "unknown option '%s'", argv[i]);
        } else if (options_done) {
            if (file != NULL)
                return cli_usage(self, "one file at a time");
            file = argv[i];
        } else {
            if (npos == 3)
                return cli_usage(self, "too many arguments");
            pos[npos++] = argv[i];
        }
    }
    /* The last argument is FILE when it names a file, when there are three,
     * or with --stages (which needs one); `--` makes it plain. */
    struct stat sb;
    if (file == NULL && npos > 0 && (npos == 3 || stages || stat(pos[npos - 1], &sb) == 0)) {
        file = pos[--npos];
        pos[npos] = NULL;
    }
    if (npos > 2)
        return cli_usage(self, "at most two revisions");
    if (stages && file == NULL)
        return cli_usage(self, "--stages needs a workflow FILE");

    char *root = workspace_root(), *rel = NULL;
    int rc = CLI_FAILED;
    if (root == NULL || (file != NULL && (rel = workspace_rel(root, file)) == NULL)) {
        free(root);
        return CLI_FAILED;
    }
    if (stages) {
        rc = diff_stages(root, rel, file, pos[0], pos[1]);
    } else {
        const char *args[8];
        size_t k = 0;
        args[k++] = "diff";
        args[k++] = "-C";
        args[k++] = root;
        for (size_t i = 0; i < npos; i++)
            args[k++] = pos[i];
        if (rel != NULL) {
            args[k++] = "--";
            args[k++] = rel;
        }
        args[k] = NULL;
        char *text = NULL;
        size_t len = 0;
        if (git_text(&text, &len, args, NULL) == 0) {
            fwrite(text, 1, len, stdout);
            rc = CLI_OK;
        }
        free(text);
    }
    free(rel);
    free(root);
    return rc;
}

/* ------------------------------------------------------------------ */
/* dapt restore                                                        */
/* ------------------------------------------------------------------ */

/* A copy of the file as it is (mode kept) in FILE.orig, or FILE.orig.N
 * when that exists (an earlier copy is never overwritten).  Returns the
 * suffix used (".orig", ".orig.1", ...; caller frees), or NULL after
 * saying why. */
static char *save_orig(const char *path, const char *file)
{
    size_t len = 0;
    char *text = read_all(path, &len), *suffix = NULL;
    struct stat sb;
    mode_t mode = stat(path, &sb) == 0 ? sb.st_mode & 07777 : file_mode();
    if (text == NULL)
        fprintf(stderr, "dapt: cannot read %s: %s\n", file, strerror(errno));
    for (int n = 0; text != NULL && n < 1000; n++) {
        char *sfx = n == 0 ? xstrdup(".orig") : xasprintf(".orig.%d", n);
        char *orig = xasprintf("%s%s", path, sfx);
        int rc = fs_write_atomic(orig, text, len, mode, false);
        free(orig);
        if (rc == 0) {
            suffix = sfx;
            break;
        }
        if (errno != EEXIST || n == 999) {
            fprintf(stderr, "dapt: cannot save %s%s: %s\n", file, sfx, strerror(errno));
            free(sfx);
            break;
        }
        free(sfx);
    }
    free(text);
    return suffix;
}

int cmd_workspace_restore(int argc, char **argv)
{
    const cli_command *self = cli_find("restore");
    const char *pos[2] = {NULL};
    size_t npos = 0;
    bool force = false, options_done = false;
    for (int i = 1; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--") == 0)
            options_done = true;
        else if (!options_done && strcmp(argv[i], "--force") == 0)
            force = true;
        else if (!options_done && argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage(self, "unknown option '%s'", argv[i]);
        else if (npos == 2)
            return cli_usage(self, "too many arguments");
        else
            pos[npos++] = argv[i];
    }
    if (npos < 2)
        return cli_usage(self, npos == 0 ? "no file and revision" : "no revision");
    const char *file = pos[0], *rev = pos[1];

    char *root = workspace_root(), *rel = root ? workspace_rel(root, file) : NULL;
    json_t *st = rel ? file_status(root, rel) : NULL;
    int rc = CLI_FAILED;
    const char *state = jstr(st, "state");
    bool unsaved = state && (strcmp(state, "modified") == 0 || strcmp(state, "untracked") == 0);
    char *path = rel ? xasprintf("%s/%s", root, rel) : NULL;
    char *saved = NULL; /* the suffix of the copy made by --force */
    if (st == NULL) {
        /* said */
    } else if (unsaved && !force) {
        fprintf(stderr,
                "dapt: %s has changes not applied; apply them first, or use --force (they are "
                "saved to %s.orig)\n",
                file, file);
    } else if (unsaved && (saved = save_orig(path, file)) == NULL) {
        /* said */
    } else {
        const char *args[] = {"restore", "-C", root, rev, rel, NULL};
        json_t *res = NULL;
        if (git_json(&res, args) < 0) {
            char *orig = saved ? xasprintf("%s%s", path, saved) : NULL;
            if (orig)
                unlink(orig); /* the file is as it was: no copy needed */
            free(orig);
        } else {
            if (saved)
                printf("saved the changes not applied to %s%s\n", file, saved);
            printf("restored %s as of %s (not applied: dapt apply %s to commit it)\n", file, rev,
                   file);
            rc = CLI_OK;
        }
        json_decref(res);
    }
    free(saved);
    free(path);
    json_decref(st);
    free(rel);
    free(root);
    return rc;
}
