/*
 * runtime.c - the runtime table: one row per language a plugin can be
 * written in.  A row says how a worker process for that language's stages
 * starts (its command and environment) and how a running task is asked to
 * stop (a signal carrying the task's id, or a `cancel` frame for a worker
 * that cannot read a signal's value).  The executors take the command as
 * it is: adding a language is adding a row here and its worker program.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"

extern char **environ;

/* A NULL-terminated copy of the strings given (varargs end with NULL). */
static char **strv_new(const char *first, ...)
{
    size_t n = 0, cap = 8;
    char **v = xcalloc(cap, sizeof *v);
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s != NULL; s = va_arg(ap, const char *)) {
        if (n + 1 == cap) {
            cap *= 2;
            v = xrealloc(v, cap, sizeof *v);
        }
        v[n++] = xstrdup(s);
    }
    va_end(ap);
    v[n] = NULL;
    return v;
}

void runtime_strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* The engine's environment without the variables named in `drop`
 * (NULL-terminated), with room for `extra` more entries at the end. */
static char **env_without(const char *const *drop, size_t extra, size_t *count)
{
    size_t n = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    char **v = xcalloc(n + extra + 1, sizeof *v);
    size_t k = 0;
    for (char **e = environ; e && *e; e++) {
        bool dropped = false;
        for (const char *const *d = drop; *d && !dropped; d++) {
            size_t len = strlen(*d);
            dropped = strncmp(*e, *d, len) == 0 && (*e)[len] == '=';
        }
        if (!dropped)
            v[k++] = xstrdup(*e);
    }
    *count = k;
    return v;
}

/* ------------------------------------------------------------------ */
/* c: dapt-worker loads the plugin's shared object                     */
/* ------------------------------------------------------------------ */

static int c_worker_command(char ***argv, char ***env, const char *interpreter, char **error)
{
    (void)interpreter;
    char *path = libexec_path("dapt-worker");
    if (access(path, X_OK) < 0) {
        *error = xasprintf("cannot start the worker process %s: %s", path, strerror(errno));
        free(path);
        return -1;
    }
    *argv = strv_new(path, "--fd", "3", NULL);
    *env = NULL;
    free(path);
    return 0;
}

/* ------------------------------------------------------------------ */
/* python: INTERPRETER -m dapt_worker, with dapt's Python code on the   */
/* path and the Flowdapt compatibility package after site-packages     */
/* ------------------------------------------------------------------ */

static int python_worker_command(char ***argv, char ***env, const char *interpreter,
                                 char **error)
{
    if (interpreter == NULL || interpreter[0] == '\0') {
        *error = xstrdup("no Python interpreter to run Python stages with (set DAPT_PYTHON or "
                         "services.python.interpreter)");
        return -1;
    }
    if (access(interpreter, X_OK) < 0) {
        *error = xasprintf("cannot start the Python worker: the interpreter %s: %s", interpreter,
                           strerror(errno));
        return -1;
    }
    char *dir = libexec_python_dir();
    char *probe = xasprintf("%s/dapt_worker/__main__.py", dir);
    int ok = access(probe, R_OK);
    free(probe);
    if (ok < 0) {
        *error = xasprintf("cannot start the Python worker: dapt's Python code is not in %s "
                           "(no dapt_worker package there; set DAPT_PYTHON_DIR)",
                           dir);
        free(dir);
        return -1;
    }
    static const char *const drop[] = {"PYTHONPATH", "DAPT_PYTHON_COMPAT", NULL};
    size_t n;
    char **e = env_without(drop, 2, &n);
    const char *old = getenv("PYTHONPATH");
    e[n++] = old && old[0] ? xasprintf("PYTHONPATH=%s:%s", dir, old)
                           : xasprintf("PYTHONPATH=%s", dir);
    e[n++] = xasprintf("DAPT_PYTHON_COMPAT=%s/compat", dir);
    e[n] = NULL;
    *argv = strv_new(interpreter, "-m", "dapt_worker", "--fd", "3", NULL);
    *env = e;
    free(dir);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The table                                                           */
/* ------------------------------------------------------------------ */

static const runtime_ops runtime_c = {
    .name = "c",
    .runtime = DAPT_RUNTIME_C,
    .worker_command = c_worker_command,
    .cancel_frame = false,
    .in_process = true,
};

static const runtime_ops runtime_python = {
    .name = "python",
    .runtime = DAPT_RUNTIME_PYTHON,
    .worker_command = python_worker_command,
    .cancel_frame = true,
    .in_process = false,
    .discovery = &python_discovery,
};

static const runtime_ops *const runtimes[] = {
    [DAPT_RUNTIME_C] = &runtime_c,
    [DAPT_RUNTIME_PYTHON] = &runtime_python,
};

void runtime_found_clear(runtime_found *f)
{
    plugin_info_clear(&f->info);
    free(f->key);
    free(f->dist_dir);
    memset(f, 0, sizeof *f);
}

void runtime_found_free(runtime_found *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        runtime_found_clear(&v[i]);
    free(v);
}

const runtime_ops *runtime_get(dapt_runtime runtime)
{
    if ((size_t)runtime < sizeof runtimes / sizeof runtimes[0] && runtimes[runtime] != NULL)
        return runtimes[runtime];
    return NULL;
}
