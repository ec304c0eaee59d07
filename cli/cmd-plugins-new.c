/*
 * cmd-plugins-new.c - `dapt plugins new NAME [DIR] [--python]`: write a
 * ready plugin project.
 *
 * The project is the template of plugins/template/ (a plain Makefile that
 * uses pkg-config, NAME.c with one stage, a cmocka test, a bundled
 * workflow, a README), or with --python that of plugins/template-python/
 * (a pyproject.toml declaring the flowdapt.plugins entry point, the
 * package NAME/ with typed, documented stages and a bundled workflow,
 * unittest/pytest tests using dapt.testing, a README).  Both are embedded
 * into dapt when it is built (files.h beside each, made by embed.awk), so
 * an installed dapt needs no source tree.  @NAME@ in the template's paths
 * and text becomes NAME.
 *
 * A new folder is written under a temporary name beside it and renamed
 * into place at the end, so a failure leaves nothing half-made; an
 * existing empty folder is filled in place.
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
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "plugins/template-python/files.h"
#include "plugins/template/files.h"

#define USAGE "usage: dapt plugins new NAME [DIR] [--python]\n"
#define PLACEHOLDER "@NAME@"
/* Longer names make unwieldy target strings and file names. */
#define NAME_MAX_LEN 64

/* Names a new plugin cannot take: it would shadow or be shadowed by one
 * that every dapt has. */
static const struct {
    const char *name;
    const char *why;
} reserved_names[] = {
    {"dapt", "is the name of dapt's builtin plugin"},
    {"user_modules", "is the plugin dapt makes of a workspace's user_modules/ folder"},
};

/* Names a Python plugin's package cannot take: Python's keywords (the
 * package could not be imported) and the packages dapt's worker and tests
 * rely on. */
static const char *const python_reserved[] = {
    "and",    "as",   "assert", "async",    "await",  "break", "class", "continue",
    "def",    "del",  "elif",   "else",     "except", "false", "finally", "for",
    "from",   "global", "if",   "import",   "in",     "is",    "lambda", "none",
    "nonlocal", "not", "or",    "pass",     "raise",  "return", "true", "try",
    "while",  "with", "yield",  "flowdapt", "dapt_worker", "tests", "test",
};

/* One template: its files and what to say after writing it. */
typedef struct template_kind {
    const template_file *files;
    size_t count;
    void (*next_steps)(const char *dir, const char *name);
} template_kind;

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("dapt: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fputs(USAGE, stderr);
    fputs("Try 'dapt help plugins' for more.\n", stderr);
    return CLI_USAGE;
}

/* A valid name near `name` (lower case, other characters as _), or NULL. */
static char *name_suggestion(const char *name)
{
    char *s = xstrndup(name, NAME_MAX_LEN);
    for (char *p = s; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            *p = '_';
    }
    if (s[0] >= '0' && s[0] <= '9') {
        char *prefixed = xasprintf("p%s", s);
        free(s);
        s = prefixed;
    }
    if (!plugin_name_valid(s) || strcmp(s, name) == 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* 0 when `name` can be a new plugin's name; else prints why and returns
 * the exit status. */
static int check_name(const char *name, bool python)
{
    if (!plugin_name_valid(name) || strlen(name) > NAME_MAX_LEN) {
        char *hint = name_suggestion(name);
        fprintf(stderr,
                "dapt: `%s` is not a valid plugin name: use at most %d lower-case letters, "
                "digits and _, not starting with a digit%s%s%s\n",
                name, NAME_MAX_LEN, hint ? " (e.g. `" : "", hint ? hint : "", hint ? "`)" : "");
        free(hint);
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    for (size_t i = 0; i < sizeof reserved_names / sizeof reserved_names[0]; i++) {
        if (strcmp(name, reserved_names[i].name) == 0) {
            fprintf(stderr, "dapt: `%s` %s: choose another name\n", name, reserved_names[i].why);
            return CLI_FAILED;
        }
    }
    for (size_t i = 0; python && i < sizeof python_reserved / sizeof python_reserved[0]; i++) {
        if (strcmp(name, python_reserved[i]) == 0) {
            fprintf(stderr,
                    "dapt: `%s` cannot name a Python plugin's package (a Python keyword, or a "
                    "package dapt uses): choose another name\n",
                    name);
            return CLI_FAILED;
        }
    }
    return 0;
}

/* 1 when `dir` is an empty folder, 0 when it does not exist, -1 (with a
 * message) when it cannot be used. */
static int check_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        fprintf(stderr, "dapt: cannot use %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "dapt: %s exists and is not a folder: choose another DIR\n", dir);
        return -1;
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "dapt: cannot read %s: %s\n", dir, strerror(errno));
        return -1;
    }
    bool empty = true;
    struct dirent *e;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    if (!empty) {
        fprintf(stderr,
                "dapt: %s already exists and is not empty: choose another DIR, or remove it "
                "first\n",
                dir);
        return -1;
    }
    return 1;
}

/* `text` with every @NAME@ replaced by `name`. */
static char *substitute(const char *text, const char *name)
{
    strbuf sb = {0};
    strbuf_puts(&sb, "");
    const char *at;
    while ((at = strstr(text, PLACEHOLDER)) != NULL) {
        strbuf_add(&sb, text, (size_t)(at - text));
        strbuf_puts(&sb, name);
        text = at + strlen(PLACEHOLDER);
    }
    strbuf_puts(&sb, text);
    return strbuf_detach(&sb);
}

/* mkdir -p for the folders of `path` (a file below `root`). */
static int make_parents(const char *root, const char *rel)
{
    char *copy = xstrdup(rel);
    int rc = 0;
    for (char *slash = strchr(copy, '/'); rc == 0 && slash != NULL;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        char *dir = xasprintf("%s/%s", root, copy);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            rc = -1;
        free(dir);
        *slash = '/';
    }
    free(copy);
    return rc;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            close(fd);
            errno = err;
            return -1;
        }
        done += (size_t)n;
    }
    return close(fd);
}

/* Write every template file under `root`.  0, or -1 with a message. */
static int write_project(const char *root, const char *name, const template_kind *kind)
{
    for (size_t i = 0; i < kind->count; i++) {
        char *rel = substitute(kind->files[i].path, name);
        char *text = substitute(kind->files[i].text, name);
        char *path = xasprintf("%s/%s", root, rel);
        int rc = make_parents(root, rel) < 0 ? -1 : write_file(path, text);
        if (rc < 0)
            fprintf(stderr, "dapt: cannot write %s: %s\n", path, strerror(errno));
        free(path);
        free(text);
        free(rel);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* mkdir -p DIR's parent, so `dapt plugins new x a/b/x` works like git init. */
static int make_dir_parents(const char *dir)
{
    char *copy = xstrdup(dir);
    int rc = 0;
    for (char *p = copy + 1; rc == 0 && *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0755) < 0 && errno != EEXIST)
            rc = -1;
        *p = '/';
    }
    if (rc < 0)
        fprintf(stderr, "dapt: cannot create %s: %s\n", copy, strerror(errno));
    free(copy);
    return rc;
}

/* Into a new folder: write a temporary one beside it, then rename. */
static int create_new(const char *dir, const char *name, const template_kind *kind)
{
    if (make_dir_parents(dir) < 0)
        return -1;
    char *tmp = xasprintf("%s.new-XXXXXX", dir);
    if (mkdtemp(tmp) == NULL) {
        fprintf(stderr, "dapt: cannot create %s: %s\n", dir, strerror(errno));
        free(tmp);
        return -1;
    }
    chmod(tmp, 0755); /* mkdtemp makes it 0700 */
    int rc = write_project(tmp, name, kind);
    if (rc == 0 && rename(tmp, dir) < 0) {
        fprintf(stderr, "dapt: cannot create %s: %s\n", dir, strerror(errno));
        rc = -1;
    }
    if (rc < 0)
        nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(tmp);
    return rc;
}

static void print_files(const char *dir, const char *name, const template_kind *kind)
{
    printf("created the plugin project `%s` in %s:\n", name, dir);
    for (size_t i = 0; i < kind->count; i++) {
        char *rel = substitute(kind->files[i].path, name);
        printf("  %s\n", rel);
        free(rel);
    }
}

static void python_next_steps(const char *dir, const char *name)
{
    printf("next (in a virtual environment: a system Python refuses pip):\n"
           "  cd %s\n"
           "  python3 -m venv .venv && . .venv/bin/activate\n"
           "  dapt plugins install --editable .   pip install -e . (then: dapt plugins show %s)\n"
           "  python3 -m unittest                  its tests (or python3 -m pytest)\n"
           "  dapt run %s/workflows/words.yaml --input text=\"the cat and the hat\"\n",
           dir, name, name);
}

static void c_next_steps(const char *dir, const char *name)
{
    printf("next:\n"
           "  cd %s\n"
           "  make check      build %s.so and run its tests\n"
           "  make install    install it for dapt (then: dapt plugins show %s)\n"
           "(against a dapt build tree: PKG_CONFIG_PATH=/path/to/dapt/build make check)\n",
           dir, name, name);
}

static const template_kind c_template = {template_files, TEMPLATE_FILE_COUNT, c_next_steps};
static const template_kind python_template = {python_template_files,
                                              PYTHON_TEMPLATE_FILE_COUNT, python_next_steps};

int plugins_new_run(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(USAGE, stdout);
        fputs("Writes a ready plugin project for the plugin NAME into DIR (default ./NAME):\n"
              "NAME.c with one stage, a Makefile (all, check, install, uninstall, clean)\n"
              "using pkg-config dapt, a cmocka test, a README and the workflow\n"
              "NAME/workflows/hello.yaml.  With --python, a Python distribution:\n"
              "pyproject.toml declaring the flowdapt.plugins entry point, the package\n"
              "NAME/ (stages.py, the workflow NAME/workflows/words.yaml), tests for\n"
              "unittest or pytest and a README.  DIR must not exist or be empty.\n",
              stdout);
        return CLI_OK;
    }
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    bool python = false, options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0)
            options_done = true;
        else if (!options_done && strcmp(a, "--python") == 0)
            python = true;
        else if (!options_done && a[0] == '-' && a[1] != '\0')
            return usage_error("unknown option %s", a);
        else if (npos == 2)
            return usage_error("unexpected argument %s", a);
        else
            pos[npos++] = a;
    }
    if (npos < 1)
        return usage_error("plugins new needs the NAME of the plugin");
    const char *name = pos[0];
    if (npos == 2 && pos[1][0] == '\0')
        return usage_error("DIR is empty");
    int rc = check_name(name, python);
    if (rc != 0)
        return rc;
    const template_kind *kind = python ? &python_template : &c_template;
    /* "dir/" is "dir" (the temporary folder goes beside it, not in it) */
    char *dir = xstrdup(npos == 2 ? pos[1] : name);
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
        dir[n - 1] = '\0';
    int exists = check_dir(dir);
    if (exists < 0)
        rc = CLI_FAILED;
    else if (exists ? write_project(dir, name, kind) < 0 : create_new(dir, name, kind) < 0)
        rc = CLI_FAILED;
    else {
        print_files(dir, name, kind);
        kind->next_steps(dir, name);
    }
    free(dir);
    return rc;
}
