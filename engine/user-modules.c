/*
 * user-modules.c - the workspace's user_modules/: single C files that dapt
 * compiles into plugins on demand.
 *
 * Each user_modules/FILE.c is compiled with the system's C compiler ($CC or
 * cc) into $XDG_CACHE_HOME/dapt/user_modules/FILE-HASH.so.  HASH covers
 * what decides the object: the source, the headers beside it, the compiler
 * command and dapt's version, so an unchanged file is never compiled twice
 * and an edited one is compiled once.  The compiler's messages become
 * diagnostics at FILE:LINE:COL.  The registry then scans those objects like
 * any plugin (in its subprocess, through its cache), and user_modules_merge()
 * joins them into the one plugin `user_modules` whose targets are FILE.PATH.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"

extern char **environ;

#ifndef DAPT_SOURCE_INCLUDEDIR
#define DAPT_SOURCE_INCLUDEDIR "/nonexistent"
#endif
#ifndef DAPT_INCLUDEDIR
#define DAPT_INCLUDEDIR "/usr/local/include"
#endif
#ifndef DAPT_JANSSON_CFLAGS
#define DAPT_JANSSON_CFLAGS ""
#endif

#define USER_MODULES_PLUGIN "user_modules"
/* Compiler output beyond this is dropped: diagnostics need the start. */
#define OUTPUT_MAX (256 * 1024)

/* After $CC: a position-independent shared object, as plugins are. */
static const char *const compile_flags[] = {
    "-shared",
    "-fPIC",
    "-O2",
    "-Wall",
    "-fvisibility=hidden",         /* export only the descriptor (DAPT_PLUGIN marks it) */
    "-fno-diagnostics-show-caret", /* one line per diagnostic */
    "-Wl,-z,defs",                 /* undefined symbols reported now, not by dlopen */
};
static const char *const link_flags[] = {"-ljansson", "-lm"};

/* The compiler's severities, as it prints them after the position. */
static const struct {
    const char *marker;
    dapt_severity severity;
} compiler_severities[] = {
    {": fatal error: ", DAPT_SEV_ERROR},
    {": error: ", DAPT_SEV_ERROR},
    {": warning: ", DAPT_SEV_WARNING},
    {": note: ", DAPT_SEV_NOTE},
};
#define SEVERITY_COUNT (sizeof compiler_severities / sizeof compiler_severities[0])

/* A growable NULL-terminated argument vector. */
typedef struct arglist {
    char **v;
    size_t n, cap;
} arglist;

static void arg_add(arglist *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->v = xrealloc(a->v, a->cap, sizeof *a->v);
    }
    a->v[a->n++] = xstrdup(s);
    a->v[a->n] = NULL;
}

/* Split on blanks: $CC may be "ccache gcc", the jansson flags several. */
static void arg_add_words(arglist *a, const char *s)
{
    while (*s != '\0') {
        size_t skip = strspn(s, " \t\n");
        s += skip;
        size_t len = strcspn(s, " \t\n");
        if (len == 0)
            break;
        char *word = xstrndup(s, len);
        arg_add(a, word);
        free(word);
        s += len;
    }
}

static void arg_free(arglist *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}

/* "DIR/NAME", or NAME alone for the current folder so that messages read
 * user_modules/x.c rather than ./user_modules/x.c. */
static char *path_join(const char *dir, const char *name)
{
    if (dir == NULL || dir[0] == '\0' || strcmp(dir, ".") == 0)
        return xstrdup(name);
    size_t len = strlen(dir);
    return xasprintf("%s%s%s", dir, dir[len - 1] == '/' ? "" : "/", name);
}

static int read_file(strbuf *out, const char *path, char **error)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *error = xasprintf("cannot open: %s", strerror(errno));
        return -1;
    }
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_add(out, buf, n);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        *error = xstrdup("cannot read the file");
        return -1;
    }
    return 0;
}

/* $XDG_CACHE_HOME/dapt/user_modules (created), as the XDG spec says:
 * a relative $XDG_CACHE_HOME is ignored. */
static char *cache_dir(char **error)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    char *dir;
    if (xdg != NULL && xdg[0] == '/')
        dir = xasprintf("%s/dapt/user_modules", xdg);
    else if (home != NULL && home[0] != '\0')
        dir = xasprintf("%s/.cache/dapt/user_modules", home);
    else {
        *error = xstrdup("no cache folder for user modules: set XDG_CACHE_HOME or HOME");
        return NULL;
    }
    if (fs_mkdir_p(dir, 0700) < 0) {
        *error = xasprintf("cannot create %s: %s", dir, strerror(errno));
        free(dir);
        return NULL;
    }
    return dir;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

/* The regular files of `dir` ending in `suffix`, sorted (names only).
 * A missing folder has none.  -1 when it cannot be read. */
static int list_files(char ***out, size_t *count, const char *dir, const char *suffix, char **error)
{
    *out = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        *error = xasprintf("cannot read %s: %s", dir, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !has_suffix(e->d_name, suffix))
            continue;
        char *path = path_join(dir, e->d_name);
        struct stat st;
        bool regular = stat(path, &st) == 0 && S_ISREG(st.st_mode);
        free(path);
        if (!regular)
            continue;
        if (*count == cap) {
            cap = cap ? cap * 2 : 8;
            *out = xrealloc(*out, cap, sizeof **out);
        }
        (*out)[(*count)++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (*count > 1)
        qsort(*out, *count, sizeof **out, compare_strings);
    return 0;
}

static void free_strings(char **v, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(v[i]);
    free(v);
}

/* ------------------------------------------------------------------ */
/* Running the compiler                                                 */
/* ------------------------------------------------------------------ */

/* The environment with LC_ALL=C: the messages we parse are the English
 * ones ("error:"), with plain quotes.  Built before fork: the child only
 * calls async-signal-safe functions. */
static char **compiler_environ(void)
{
    size_t n = 0;
    while (environ[n] != NULL)
        n++;
    char **env = xcalloc(n + 2, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(environ[i], "LC_ALL=", 7) != 0)
            env[k++] = environ[i];
    }
    env[k++] = (char *)"LC_ALL=C";
    env[k] = NULL;
    return env;
}



/*
 * Run argv (no shell), its stdout and stderr into *output.  *status is the
 * exit status, or 128 + the signal that ended it.  -1 with *error when it
 * could not be started (also when exec failed: the child reports errno
 * through a close-on-exec pipe).
 */
static int run_compiler(char *const *argv, strbuf *output, int *status, char **error)
{
    int out[2], err[2];
    if (pipe(out) < 0) {
        *error = xasprintf("cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    if (pipe2(err, O_CLOEXEC) < 0) {
        *error = xasprintf("cannot create a pipe: %s", strerror(errno));
        close(out[0]);
        close(out[1]);
        return -1;
    }
    char **env = compiler_environ();
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(out[1], STDERR_FILENO);
        close(out[0]);
        close(err[0]);
        execvpe(argv[0], argv, env);
        int e = errno;
        ssize_t w = write(err[1], &e, sizeof e);
        (void)w;
        free(env); /* for leak checkers following the child */
        _exit(127);
    }
    int fork_errno = errno;
    free(env);
    close(out[1]);
    close(err[1]);
    if (pid < 0) {
        close(out[0]);
        close(err[0]);
        *error = xasprintf("cannot start the compiler: %s", strerror(fork_errno));
        return -1;
    }
    fs_read_fd(out[0], output, OUTPUT_MAX);
    close(out[0]);
    int exec_errno = 0;
    ssize_t got;
    do
        got = read(err[0], &exec_errno, sizeof exec_errno);
    while (got < 0 && errno == EINTR);
    close(err[0]);
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (got == (ssize_t)sizeof exec_errno) {
        *error = xasprintf("cannot run the compiler `%s`: %s (set CC to a C compiler)", argv[0],
                           strerror(exec_errno));
        return -1;
    }
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return 0;
}

/* "file:12:5" -> file and {12, 5}; "file:12" -> {12, 0}.  False when the
 * prefix names no position (e.g. "cc1", "collect2"). */
static bool parse_position(const char *prefix, size_t len, size_t *file_len, dapt_pos *pos)
{
    long nums[2] = {0, 0};
    int found = 0;
    size_t end = len;
    while (found < 2) {
        size_t i = end;
        while (i > 0 && prefix[i - 1] >= '0' && prefix[i - 1] <= '9')
            i--;
        if (i == end || i == 0 || prefix[i - 1] != ':' || end - i > 9)
            break;
        nums[found++] = strtol(prefix + i, NULL, 10);
        end = i - 1;
    }
    if (found == 0 || end == 0)
        return false;
    *file_len = end;
    pos->line = (int)(found == 2 ? nums[1] : nums[0]);
    pos->column = (int)(found == 2 ? nums[0] : 0);
    return true;
}

/* The first severity marker of a line, or -1. */
static int find_marker(const char *line, const char **at)
{
    int best = -1;
    *at = NULL;
    for (size_t i = 0; i < SEVERITY_COUNT; i++) {
        const char *p = strstr(line, compiler_severities[i].marker);
        if (p != NULL && (*at == NULL || p < *at)) {
            *at = p;
            best = (int)i;
        }
    }
    return best;
}

/*
 * The compiler's output as diagnostics: `file:line:col: error: message`
 * lines at their place (warnings and notes kept as such), linker errors at
 * the source file.  When the compile failed and nothing was recognised, the
 * last line of output says why.
 */
static void parse_output(const char *output, int status, const char *compiler, const char *src,
                         dapt_diags *diags)
{
    size_t errors_before = dapt_diags_count(diags, DAPT_SEV_ERROR);
    strbuf loose = {0}; /* errors with no position ("cc1: error: ...") */
    const char *last = NULL;
    size_t last_len = 0;
    const char *p = output;
    while (*p != '\0') {
        size_t len = strcspn(p, "\n");
        char *line = xstrndup(p, len);
        const char *at;
        int m = find_marker(line, &at);
        const char *undef = strstr(line, "undefined reference to ");
        size_t file_len;
        dapt_pos pos = {0, 0};
        if (m >= 0 && parse_position(line, (size_t)(at - line), &file_len, &pos)) {
            char *file = xstrndup(line, file_len);
            dapt_diags_add(diags, file, pos, compiler_severities[m].severity, "%s",
                           at + strlen(compiler_severities[m].marker));
            free(file);
        } else if (undef != NULL) {
            dapt_diags_add(diags, src, pos, DAPT_SEV_ERROR, "%s", undef);
        } else if (m >= 0 && compiler_severities[m].severity == DAPT_SEV_ERROR && loose.len == 0) {
            strbuf_puts(&loose, at + strlen(compiler_severities[m].marker));
        }
        if (strspn(line, " \t") < len) {
            last = p;
            last_len = len;
        }
        free(line);
        p += len;
        if (*p == '\n')
            p++;
    }
    if (status != 0 && dapt_diags_count(diags, DAPT_SEV_ERROR) == errors_before) {
        if (loose.len > 0)
            dapt_diags_add(diags, src, (dapt_pos){0, 0}, DAPT_SEV_ERROR, "%s", loose.buf);
        else
            dapt_diags_add(diags, src, (dapt_pos){0, 0}, DAPT_SEV_ERROR,
                           "`%s` failed with status %d%s%.*s", compiler, status, last ? ": " : "",
                           (int)last_len, last ? last : "");
    }
    strbuf_free(&loose);
}

/* ------------------------------------------------------------------ */
/* Building one module                                                  */
/* ------------------------------------------------------------------ */

/* What every module of a build shares: the command and the hash input
 * that does not depend on the file. */
typedef struct build_ctx {
    const char *cache;
    arglist command; /* $CC and the flags, without -o OUT SRC and the libraries */
    strbuf common;   /* dapt's version, the command, the headers beside the modules */
    dapt_diags *diags;
} build_ctx;

/* The folder holding dapt/plugin.h: the installed one, or for a dapt
 * running from its build tree (nothing installed yet), its source tree's. */
static const char *header_dir(void)
{
    if (access(DAPT_INCLUDEDIR "/dapt/plugin.h", R_OK) != 0 &&
        access(DAPT_SOURCE_INCLUDEDIR "/dapt/plugin.h", R_OK) == 0)
        return DAPT_SOURCE_INCLUDEDIR;
    return DAPT_INCLUDEDIR;
}

static void build_ctx_init(build_ctx *bc, const char *cache, const char *dir, dapt_diags *diags)
{
    memset(bc, 0, sizeof *bc);
    bc->cache = cache;
    bc->diags = diags;
    const char *cc = getenv("CC");
    arg_add_words(&bc->command, cc != NULL && cc[strspn(cc, " \t")] != '\0' ? cc : "cc");
    for (size_t i = 0; i < sizeof compile_flags / sizeof compile_flags[0]; i++)
        arg_add(&bc->command, compile_flags[i]);
    const char *inc = getenv("DAPT_INCLUDE_DIR");
    if (inc == NULL || inc[0] == '\0')
        inc = header_dir();
    char *iflag = xasprintf("-I%s", inc);
    arg_add(&bc->command, iflag);
    free(iflag);
    arg_add_words(&bc->command, DAPT_JANSSON_CFLAGS);

    strbuf_printf(&bc->common, "dapt %s", dapt_version());
    strbuf_putc(&bc->common, '\0');
    for (size_t i = 0; i < bc->command.n; i++)
        strbuf_add(&bc->common, bc->command.v[i], strlen(bc->command.v[i]) + 1);
    for (size_t i = 0; i < sizeof link_flags / sizeof link_flags[0]; i++)
        strbuf_add(&bc->common, link_flags[i], strlen(link_flags[i]) + 1);
    /* A module may include a header beside it: editing one rebuilds all. */
    char **headers;
    size_t count;
    char *ignored = NULL;
    if (list_files(&headers, &count, dir, ".h", &ignored) < 0)
        free(ignored);
    for (size_t i = 0; i < count; i++) {
        char *path = path_join(dir, headers[i]);
        strbuf_add(&bc->common, headers[i], strlen(headers[i]) + 1);
        if (read_file(&bc->common, path, &ignored) < 0)
            free(ignored);
        strbuf_putc(&bc->common, '\0');
        free(path);
    }
    free_strings(headers, count);
}

static void build_ctx_free(build_ctx *bc)
{
    arg_free(&bc->command);
    strbuf_free(&bc->common);
}

/* Remove NAME-OTHERHASH.so objects of earlier versions of this module. */
static void remove_stale(const char *cache, const char *name, const char *keep)
{
    DIR *d = opendir(cache);
    if (d == NULL)
        return;
    size_t nlen = strlen(name);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *s = e->d_name;
        if (strncmp(s, name, nlen) != 0 || s[nlen] != '-' || strcmp(s, keep) == 0)
            continue;
        const char *h = s + nlen + 1;
        size_t hex = strspn(h, "0123456789abcdef");
        if (hex == 0 || strcmp(h + hex, ".so") != 0)
            continue;
        char *path = path_join(cache, s);
        unlink(path);
        free(path);
    }
    closedir(d);
}

/* Compile `src` into `so` through a temporary file renamed into place, so
 * a reader never sees half an object and a failure leaves nothing. */
static int compile(build_ctx *bc, const char *src, const char *so)
{
    char *tmp = xasprintf("%s.XXXXXX", so);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        dapt_diags_add(bc->diags, src, (dapt_pos){0, 0}, DAPT_SEV_ERROR,
                       "cannot create a file in %s: %s", bc->cache, strerror(errno));
        free(tmp);
        return -1;
    }
    close(fd);
    arglist argv = {0};
    for (size_t i = 0; i < bc->command.n; i++)
        arg_add(&argv, bc->command.v[i]);
    arg_add(&argv, "-o");
    arg_add(&argv, tmp);
    arg_add(&argv, src);
    for (size_t i = 0; i < sizeof link_flags / sizeof link_flags[0]; i++)
        arg_add(&argv, link_flags[i]);

    strbuf output = {0};
    int status = 0, rc = -1;
    char *error = NULL;
    struct stat st;
    if (run_compiler(argv.v, &output, &status, &error) < 0) {
        dapt_diags_add(bc->diags, src, (dapt_pos){0, 0}, DAPT_SEV_ERROR, "%s", error);
        free(error);
    } else {
        parse_output(output.buf ? output.buf : "", status, argv.v[0], src, bc->diags);
        if (status == 0 && (stat(tmp, &st) < 0 || st.st_size == 0))
            dapt_diags_add(bc->diags, src, (dapt_pos){0, 0}, DAPT_SEV_ERROR,
                           "`%s` reported success but wrote no object", argv.v[0]);
        /* mkstemp made it 0600 and the linker keeps the umask: the
         * registry refuses group-writable plugins, so say exactly. */
        else if (status == 0 && chmod(tmp, 0755) == 0 && rename(tmp, so) == 0)
            rc = 0;
        else if (status == 0)
            dapt_diags_add(bc->diags, src, (dapt_pos){0, 0}, DAPT_SEV_ERROR,
                           "cannot store the compiled module as %s: %s", so, strerror(errno));
    }
    if (rc < 0)
        unlink(tmp);
    strbuf_free(&output);
    arg_free(&argv);
    free(tmp);
    return rc;
}

/* The cached object of user_modules/NAME.c, compiled when missing.
 * NULL when it does not compile (diagnostics added). */
static char *build_one(build_ctx *bc, const char *src, const char *name)
{
    strbuf input = {0};
    char *error = NULL;
    strbuf_add(&input, bc->common.buf, bc->common.len);
    if (read_file(&input, src, &error) < 0) {
        dapt_diags_add(bc->diags, src, (dapt_pos){0, 0}, DAPT_SEV_ERROR, "%s", error);
        free(error);
        strbuf_free(&input);
        return NULL;
    }
    uint64_t hash = (uint64_t)hash_bytes(input.buf, input.len);
    strbuf_free(&input);
    char *base = xasprintf("%s-%016" PRIx64 ".so", name, hash);
    char *so = path_join(bc->cache, base);
    struct stat st;
    if (stat(so, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (compile(bc, src, so) < 0) {
            free(so);
            so = NULL;
        } else {
            remove_stale(bc->cache, name, base);
        }
    }
    free(base);
    return so;
}

/*
 * Whether the folder, its headers and the folders above it may be
 * trusted as plugins are (fs_untrusted_path): if not, an error on what
 * is wrong, and nothing of the folder is compiled.
 */
static bool folder_trusted(const char *dir, dapt_diags *diags)
{
    uid_t euid = geteuid();
    char *reason = fs_untrusted_path("", dir, euid);
    char **headers = NULL;
    size_t count = 0;
    char *ignored = NULL;
    if (reason == NULL && list_files(&headers, &count, dir, ".h", &ignored) < 0)
        free(ignored);
    const char *at = dir;
    char *path = NULL;
    for (size_t i = 0; i < count && reason == NULL; i++) {
        free(path);
        at = path = path_join(dir, headers[i]);
        reason = fs_untrusted_path("", path, euid);
    }
    if (reason != NULL)
        dapt_diags_add(diags, at, (dapt_pos){0, 0}, DAPT_SEV_ERROR, "not compiled: %s", reason);
    free(path);
    free(reason);
    free_strings(headers, count);
    return reason == NULL;
}

int user_modules_build(char ***so_paths, char ***names, size_t *count, const char *workspace,
                       bool insecure, dapt_diags *diags, char **error)
{
    *so_paths = NULL;
    *names = NULL;
    *count = 0;
    char *dir = path_join(workspace, USER_MODULES_PLUGIN);
    char **files;
    size_t nfiles;
    if (list_files(&files, &nfiles, dir, ".c", error) < 0) {
        free(dir);
        return -1;
    }
    if (nfiles == 0 || (!insecure && !folder_trusted(dir, diags))) {
        free_strings(files, nfiles);
        free(dir);
        return 0;
    }
    char *cache = cache_dir(error);
    if (cache == NULL) {
        free_strings(files, nfiles);
        free(dir);
        return -1;
    }
    build_ctx bc;
    build_ctx_init(&bc, cache, dir, diags);
    *so_paths = xcalloc(nfiles, sizeof **so_paths);
    *names = xcalloc(nfiles, sizeof **names);
    for (size_t i = 0; i < nfiles; i++) {
        char *name = xstrndup(files[i], strlen(files[i]) - 2);
        char *src = path_join(dir, files[i]);
        char *so = NULL, *reason = insecure ? NULL : fs_untrusted_path("", src, geteuid());
        if (reason != NULL)
            dapt_diags_add(diags, src, (dapt_pos){0, 0}, DAPT_SEV_ERROR, "not compiled: %s",
                           reason);
        else if (!plugin_name_valid(name))
            dapt_diags_add(diags, src, (dapt_pos){0, 0}, DAPT_SEV_WARNING,
                           "`%s` is not a module name (lowercase letters, digits and _, "
                           "not starting with a digit): file skipped",
                           name);
        else
            so = build_one(&bc, src, name);
        if (so != NULL) {
            (*so_paths)[*count] = so;
            (*names)[(*count)++] = name;
        } else {
            free(name);
        }
        free(reason);
        free(src);
    }
    build_ctx_free(&bc);
    free(cache);
    free_strings(files, nfiles);
    free(dir);
    return 0;
}

void user_modules_free(char **so_paths, char **names, size_t count)
{
    free_strings(so_paths, count);
    free_strings(names, count);
}

/* ------------------------------------------------------------------ */
/* The one plugin                                                       */
/* ------------------------------------------------------------------ */

/* Move the targets of one module into `out`, their paths now FILE.PATH. */
static void merge_targets(dapt_plugin_info *out, const dapt_plugin_info *module, const char *name)
{
    dapt_plugin_info copy;
    plugin_info_copy(&copy, module);
    out->targets =
        xrealloc(out->targets, out->target_count + copy.target_count, sizeof *out->targets);
    for (size_t i = 0; i < copy.target_count; i++) {
        dapt_target_info *t = &out->targets[out->target_count++];
        *t = copy.targets[i];
        char *path = xasprintf("%s.%s", name, t->path);
        /* the function is found in the module's own object, by its own path */
        free(t->object);
        free(t->object_path);
        t->object = xstrdup(module->path);
        t->object_path = t->path;
        free(t->target);
        t->path = path;
        t->target = NULL; /* plugin_info_link() sets it */
    }
    free(copy.targets);
    copy.targets = NULL;
    copy.target_count = 0;
    plugin_info_clear(&copy);
}

static char *absolute_dir(const char *workspace)
{
    char *dir = path_join(workspace, USER_MODULES_PLUGIN);
    char *real = realpath(dir, NULL);
    if (real == NULL)
        return dir;
    free(dir);
    return real;
}

int user_modules_merge(dapt_plugin_info *out, const dapt_plugin_info *scanned, char *const *names,
                       size_t count, const char *workspace, dapt_diags *diags)
{
    memset(out, 0, sizeof *out);
    size_t errors = dapt_diags_count(diags, DAPT_SEV_ERROR);
    if (count == 0 && errors == 0)
        return 0;
    char *dir = path_join(workspace, USER_MODULES_PLUGIN);
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        char *src = xasprintf("%s/%s.c", dir, names[i]);
        if (scanned[i].status != DAPT_PLUGIN_OK) {
            dapt_diags_add(diags, src, (dapt_pos){0, 0}, DAPT_SEV_ERROR,
                           "the compiled module cannot be used: %s",
                           scanned[i].error ? scanned[i].error : "unknown reason");
        } else {
            if (strcmp(scanned[i].name, USER_MODULES_PLUGIN) != 0)
                dapt_diags_add(diags, src, (dapt_pos){0, 0}, DAPT_SEV_WARNING,
                               "declares the plugin `%s`; a user module declares its targets "
                               "with DAPT_USER_MODULE(targets)",
                               scanned[i].name);
            merge_targets(out, &scanned[i], names[i]);
            used++;
        }
        free(src);
    }
    free(dir);

    out->name = xstrdup(USER_MODULES_PLUGIN);
    out->version = xstrdup("");
    out->path = absolute_dir(workspace);
    out->description = xasprintf("the C files of %s, compiled by dapt", out->path);
    out->author = xstrdup("");
    out->license = xstrdup("");
    out->url = xstrdup("");
    out->abi_major = DAPT_PLUGIN_ABI_MAJOR;
    out->abi_minor = DAPT_PLUGIN_ABI_MINOR;
    out->status = DAPT_PLUGIN_OK;
    errors = dapt_diags_count(diags, DAPT_SEV_ERROR);
    if (used == 0 && errors > 0) {
        /* The first error says where; the diagnostics have the rest. */
        for (size_t i = 0; i < diags->count; i++) {
            if (diags->items[i].severity != DAPT_SEV_ERROR)
                continue;
            char *first = dapt_diag_format(&diags->items[i]);
            plugin_info_broken(out, "%s%s", first, errors > 1 ? " (and more errors)" : "");
            free(first);
            break;
        }
    }
    plugin_info_link(out);
    return 1;
}
