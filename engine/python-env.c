/*
 * python-env.c - the Python interpreter that finds, describes and runs
 * Python plugins.
 *
 * The command is the first of: the caller's (dapt_registry_options.python),
 * $DAPT_PYTHON, the settings' services.python.interpreter,
 * $VIRTUAL_ENV/bin/python, python3 on PATH; "none" means no Python at all.
 * A name without a slash is looked up in PATH.  The interpreter is asked
 * once, with `-c`, for its real executable (a pyenv shim is a script; a
 * venv's bin/python stays the venv's), version, prefixes, sys.path and
 * site folders; the answer is kept in python.cache (JSON, written
 * atomically) under a key of the command as given, the found file's
 * path/size/mtime/inode and the variables that change sys.path
 * ($VIRTUAL_ENV, $PYTHONPATH, $PYTHONHOME, $PYENV_VERSION).  A warm start
 * therefore runs no Python: a PATH walk, a stat and one small JSON file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

/* How long the interpreter may take to answer its one question. */
#define RESOLVE_TIMEOUT_MS 15000
/* Its answer is a few kilobytes; anything past this is not ours. */
#define RESOLVE_OUTPUT_MAX (1 << 20)
/* Bump when the cached answer's shape or meaning changes. */
#define CACHE_FORMAT 1
/* Entries kept in python.cache (one per interpreter in use). */
#define CACHE_MAX_ENTRIES 16
/* The line of the answer: what else the interpreter prints (a .pth file
 * that prints) is skipped. */
#define ANSWER_MARK "\036dapt-python "

/* The variables besides the command that change what the interpreter
 * answers. */
static const char *const key_vars[] = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYENV_VERSION"};

static const char resolve_code[] =
    "import sys, json, os, site, sysconfig\n"
    "p = sysconfig.get_paths()\n"
    "try:\n"
    "    s = list(site.getsitepackages())\n"
    "except Exception:\n"
    "    s = []\n"
    "if site.ENABLE_USER_SITE:\n"
    "    s.append(site.getusersitepackages())\n"
    "em = sys.prefix == sys.base_prefix and os.path.exists(\n"
    "    os.path.join(p.get('stdlib', ''), 'EXTERNALLY-MANAGED'))\n"
    "print('\\036dapt-python ' + json.dumps({'executable': sys.executable,\n"
    "    'version': '%d.%d.%d' % sys.version_info[:3], 'prefix': sys.prefix,\n"
    "    'base_prefix': sys.base_prefix, 'path': sys.path, 'site': s,\n"
    "    'stdlib': [p.get('stdlib'), p.get('platstdlib')],\n"
    "    'externally_managed': em}))\n";

void python_env_free(python_env *env)
{
    if (env == NULL)
        return;
    free(env->command);
    free(env->file);
    free(env->executable);
    free(env->version);
    free(env->prefix);
    free(env->base_prefix);
    fs_paths_free(env->path, env->path_count);
    fs_paths_free(env->site, env->site_count);
    free(env);
}

/* ------------------------------------------------------------------ */
/* Which command                                                        */
/* ------------------------------------------------------------------ */

char *python_env_rule(const char *option, const char *setting, const char **from)
{
    const char *env = getenv("DAPT_PYTHON");
    const char *venv = getenv("VIRTUAL_ENV");
    if (option != NULL && *option) {
        *from = "dapt's option";
        return xstrdup(option);
    }
    if (env != NULL && *env) {
        *from = "$DAPT_PYTHON";
        return xstrdup(env);
    }
    if (setting != NULL && *setting) {
        *from = "the setting services.python.interpreter";
        return xstrdup(setting);
    }
    if (venv != NULL && venv[0] == '/') {
        char *path = xasprintf("%s/bin/python", venv);
        if (access(path, X_OK) == 0) {
            *from = "$VIRTUAL_ENV";
            return path;
        }
        free(path);
    }
    *from = "python3 from PATH";
    return xstrdup("python3");
}

char *python_env_command(const char *option, const char *setting, bool *named)
{
    const char *from;
    char *cmd = python_env_rule(option, setting, &from);
    *named = strcmp(from, "$VIRTUAL_ENV") != 0 && strcmp(from, "python3 from PATH") != 0;
    if (strcmp(cmd, "none") == 0) {
        free(cmd);
        return NULL;
    }
    return cmd;
}

/* The file a command runs: itself when it has a slash, else the first
 * executable of that name in PATH.  NULL when there is none. */
static char *find_command(const char *cmd)
{
    if (strchr(cmd, '/') != NULL)
        return access(cmd, X_OK) == 0 ? xstrdup(cmd) : NULL;
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0')
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        char *file = n ? xasprintf("%.*s/%s", (int)n, path, cmd) : xasprintf("./%s", cmd);
        struct stat st;
        if (stat(file, &st) == 0 && S_ISREG(st.st_mode) && access(file, X_OK) == 0)
            return file;
        free(file);
        path = colon ? colon + 1 : path + n;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Asking the interpreter                                               */
/* ------------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run FILE -c CODE with stdin and stderr on /dev/null; its stdout into
 * *out.  0, or -1 with *error. */
static int run_python(const char *file, char **out, char **error)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        *error = xasprintf("pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        *error = xasprintf("fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, STDIN_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        setpgid(0, 0);
        signal(SIGPIPE, SIG_DFL);
        execl(file, file, "-c", resolve_code, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    strbuf sb = {0};
    int64_t deadline = now_ms() + RESOLVE_TIMEOUT_MS;
    bool timed_out = false;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        char buf[8192];
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (sb.len < RESOLVE_OUTPUT_MAX)
            strbuf_add(&sb, buf, (size_t)n);
    }
    close(fds[0]);
    if (timed_out)
        kill(-pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (timed_out) {
        *error = xasprintf("%s did not answer within %d s (killed)", file,
                           RESOLVE_TIMEOUT_MS / 1000);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        *error = WIFEXITED(status)
                     ? xasprintf("%s exited with status %d when asked for its sys.path", file,
                                 WEXITSTATUS(status))
                     : xasprintf("%s was killed by signal %d when asked for its sys.path", file,
                                 WTERMSIG(status));
    } else {
        *out = sb.buf ? strbuf_detach(&sb) : xstrdup("");
        return 0;
    }
    strbuf_free(&sb);
    return -1;
}

/* A JSON array of strings as a NULL-terminated vector of copies. */
static char **string_list(const json_t *arr, size_t *count)
{
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0, k = 0;
    char **v = xcalloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (s != NULL && *s)
            v[k++] = xstrdup(s);
    }
    *count = k;
    return v;
}

/* Keep the folders of sys.path worth reading: absolute, existing
 * folders that are not the standard library (zip files and the
 * current folder, '', are dropped). */
static void filter_path(python_env *env, const json_t *stdlib)
{
    size_t k = 0;
    for (size_t i = 0; i < env->path_count; i++) {
        char *dir = env->path[i];
        bool keep = dir[0] == '/';
        for (size_t s = 0; keep && s < json_array_size(stdlib); s++) {
            const char *std = json_string_value(json_array_get(stdlib, s));
            keep = std == NULL || strcmp(std, dir) != 0;
        }
        struct stat st;
        if (keep && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)))
            keep = false;
        if (keep)
            env->path[k++] = dir;
        else
            free(dir);
    }
    env->path_count = k;
    env->path[k] = NULL;
}

/* Fill env from the interpreter's answer (an object).  -1 when it is not
 * the shape we asked for. */
static int env_from_json(python_env *env, const json_t *a)
{
    const char *exe = json_string_value(json_object_get(a, "executable"));
    const char *version = json_string_value(json_object_get(a, "version"));
    if (exe == NULL || exe[0] != '/' || version == NULL)
        return -1;
    const char *prefix = json_string_value(json_object_get(a, "prefix"));
    const char *base = json_string_value(json_object_get(a, "base_prefix"));
    env->executable = xstrdup(exe);
    env->version = xstrdup(version);
    env->prefix = xstrdup(prefix ? prefix : "");
    env->base_prefix = xstrdup(base ? base : "");
    env->path = string_list(json_object_get(a, "path"), &env->path_count);
    env->site = string_list(json_object_get(a, "site"), &env->site_count);
    env->externally_managed = json_is_true(json_object_get(a, "externally_managed"));
    filter_path(env, json_object_get(a, "stdlib"));
    return 0;
}

/* The answer line of what the interpreter printed, parsed. */
static json_t *parse_answer(const char *out)
{
    const char *at = NULL, *p = out;
    while ((p = strstr(p, ANSWER_MARK)) != NULL)
        at = p++;
    if (at == NULL)
        return NULL;
    at += strlen(ANSWER_MARK);
    const char *eol = strchr(at, '\n');
    json_t *v = json_loadb(at, eol ? (size_t)(eol - at) : strlen(at), 0, NULL);
    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

/* ------------------------------------------------------------------ */
/* The cache                                                            */
/* ------------------------------------------------------------------ */

/* What an answer is valid for. */
static json_t *cache_key(const char *command, const char *file, const struct stat *st)
{
    json_t *key = json_pack("{s:s, s:s, s:I, s:I, s:I}", "command", command, "file", file, "size",
                            (json_int_t)st->st_size, "mtime_ns",
                            (json_int_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
                            "ino", (json_int_t)st->st_ino);
    for (size_t i = 0; i < sizeof key_vars / sizeof *key_vars; i++) {
        const char *v = getenv(key_vars[i]);
        json_object_set_new(key, key_vars[i], v ? json_string(v) : json_null());
    }
    return key;
}

/* The cached entries (an array), or a new empty one. */
static json_t *cache_load(const char *file)
{
    json_t *doc = file ? json_load_file(file, 0, NULL) : NULL;
    json_t *entries = json_object_get(doc, "entries");
    const char *dapt = json_string_value(json_object_get(doc, "dapt"));
    if (json_integer_value(json_object_get(doc, "format")) != CACHE_FORMAT ||
        !json_is_array(entries) || dapt == NULL || strcmp(dapt, PACKAGE_VERSION) != 0) {
        json_decref(doc);
        return json_array();
    }
    json_incref(entries);
    json_decref(doc);
    return entries;
}

static void cache_save(const char *file, json_t *entries, char **warning)
{
    json_t *doc = json_pack("{s:i, s:s, s:O}", "format", CACHE_FORMAT, "dapt", PACKAGE_VERSION,
                            "entries", entries);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    char *dir = xstrdup(file), *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir)
        *slash = '\0';
    if (text == NULL ||
        (slash != NULL && slash != dir && fs_mkdir_p(dir, 0700) < 0) ||
        fs_write_atomic(file, text, strlen(text), 0600, true) < 0)
        *warning = xasprintf("cannot write the Python cache %s: %s", file, strerror(errno));
    free(dir);
    free(text);
}

/* ------------------------------------------------------------------ */
/* Opening                                                              */
/* ------------------------------------------------------------------ */

int python_env_open(python_env **out, const char *command, bool named, const char *cache_file,
                    char **warning, char **error)
{
    *out = NULL;
    *warning = NULL;
    *error = NULL;
    char *file = find_command(command);
    struct stat st;
    if (file == NULL || stat(file, &st) < 0) {
        if (named)
            *warning = xasprintf("no Python interpreter `%s`%s: Python plugins are not "
                                 "available (set DAPT_PYTHON or services.python.interpreter "
                                 "to an interpreter, or to `none`)",
                                 command, strchr(command, '/') ? "" : " in PATH");
        free(file);
        return 0;
    }
    json_t *key = cache_key(command, file, &st);
    json_t *entries = cache_load(cache_file);
    json_t *answer = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        if (json_equal(json_object_get(e, "key"), key)) {
            answer = json_incref(json_object_get(e, "answer"));
            break;
        }
    }
    bool from_cache = answer != NULL;
    if (answer == NULL) {
        char *text = NULL, *why = NULL;
        if (run_python(file, &text, &why) == 0) {
            answer = parse_answer(text);
            if (answer == NULL)
                why = xasprintf("%s did not answer like a Python 3 interpreter", file);
        }
        free(text);
        if (answer == NULL) {
            *warning = xasprintf("the Python interpreter %s cannot be used: %s; Python plugins "
                                 "are not available",
                                 file, why);
            free(why);
            json_decref(key);
            json_decref(entries);
            free(file);
            return 0;
        }
    }
    python_env *env = xcalloc(1, sizeof *env);
    env->command = xstrdup(command);
    env->file = file;
    env->from_cache = from_cache;
    if (env_from_json(env, answer) < 0) {
        *warning = xasprintf("the Python interpreter %s gave an answer dapt does not "
                             "understand; Python plugins are not available",
                             file);
        python_env_free(env);
        json_decref(answer);
        json_decref(key);
        json_decref(entries);
        return 0;
    }
    if (!from_cache && cache_file != NULL) {
        /* the newest first; the oldest fall off */
        json_t *kept = json_array();
        json_array_append_new(kept, json_pack("{s:O, s:O}", "key", key, "answer", answer));
        json_array_foreach(entries, i, e)
        {
            if (json_array_size(kept) < CACHE_MAX_ENTRIES &&
                !json_equal(json_object_get(e, "key"), key))
                json_array_append(kept, e);
        }
        cache_save(cache_file, kept, warning);
        json_decref(kept);
    }
    json_decref(answer);
    json_decref(key);
    json_decref(entries);
    *out = env;
    return 0;
}
