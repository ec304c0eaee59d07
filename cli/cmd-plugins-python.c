/*
 * cmd-plugins-python.c - Python plugin projects: `dapt plugins install`
 * and `uninstall` of a Python distribution, and `dapt plugins python`
 * (which interpreter dapt uses, and its environment).
 *
 * A Python plugin is an ordinary distribution whose entry points declare
 * it in the group `flowdapt.plugins` or `dapt.plugins`.  Installing one is
 * the interpreter's own `pip install` into the interpreter's environment;
 * removing one is `pip uninstall` of the distribution that declares the
 * plugin.  Both say which interpreter and which environment they touched,
 * and neither writes into a Python that its distribution manages
 * (EXTERNALLY-MANAGED, not a venv): they say how to make a venv instead.
 *
 * The interpreter follows dapt's rules: $DAPT_PYTHON (a path, or a name
 * looked up in PATH), else the setting services.python.interpreter, else
 * $VIRTUAL_ENV/bin/python, else python3 from PATH.  It is asked about
 * itself once per command (py_env_probe); the discovery of plugins keeps
 * its own cached answer.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"

/* What the interpreter says about itself: one JSON object on stdout. */
static const char probe_script[] =
    "import json, os, site, sys, sysconfig\n"
    "import importlib.util\n"
    "venv = sys.prefix != sys.base_prefix\n"
    "marker = os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')\n"
    "try:\n"
    "    sites = list(site.getsitepackages())\n"
    "except AttributeError:\n"
    "    sites = []\n"
    "if site.ENABLE_USER_SITE:\n"
    "    sites.append(site.getusersitepackages())\n"
    "print(json.dumps({'executable': sys.executable,\n"
    "    'version': '%d.%d.%d' % sys.version_info[:3],\n"
    "    'prefix': sys.prefix, 'base_prefix': sys.base_prefix,\n"
    "    'path': [p for p in sys.path if p and os.path.isdir(p)],\n"
    "    'site': sites, 'purelib': sysconfig.get_path('purelib'),\n"
    "    'user_site': site.getusersitepackages() if site.ENABLE_USER_SITE else None,\n"
    "    'externally_managed': not venv and os.path.isfile(marker),\n"
    "    'pip': importlib.util.find_spec('pip') is not None}))\n";

/* The entry point groups that declare plugins. */
static const char *const plugin_groups[] = {"flowdapt.plugins", "dapt.plugins"};
#define PLUGIN_GROUP_COUNT (sizeof plugin_groups / sizeof plugin_groups[0])

/* ------------------------------------------------------------------ */
/* Child processes                                                      */
/* ------------------------------------------------------------------ */

/* Read all of `fd` into a string (caller frees). */
static char *read_fd(int fd)
{
    strbuf sb = {0};
    strbuf_puts(&sb, "");
    fs_read_fd(fd, &sb, 0);
    return strbuf_detach(&sb);
}

static int wait_status(pid_t pid)
{
    int ws;
    while (waitpid(pid, &ws, 0) < 0) {
        if (errno != EINTR)
            return 127;
    }
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/*
 * Run argv (execvp: a name is looked up in PATH), stdin /dev/null.  With
 * `out`, its stdout is collected there (caller frees) and its stderr in
 * *err; without, both go to our stderr as they come.  Returns the exit
 * status (127: could not be run, 128 + N: killed by signal N).
 */
static int run_child(char *const *argv, char **out, char **err)
{
    int opipe[2] = {-1, -1}, epipe[2] = {-1, -1};
    if (out != NULL && (pipe(opipe) < 0 || pipe(epipe) < 0))
        return 127;
    pid_t pid = fork();
    if (pid < 0)
        return 127;
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        if (out != NULL) {
            dup2(opipe[1], STDOUT_FILENO);
            dup2(epipe[1], STDERR_FILENO);
        } else {
            dup2(STDERR_FILENO, STDOUT_FILENO);
        }
        execvp(argv[0], argv);
        dprintf(STDERR_FILENO, "cannot run `%s`: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (out != NULL) {
        close(opipe[1]);
        close(epipe[1]);
        /* the probe's answer is small, so reading stdout to its end
         * first cannot fill the stderr pipe in a way that matters */
        *out = read_fd(opipe[0]);
        *err = read_fd(epipe[0]);
        close(opipe[0]);
        close(epipe[0]);
    }
    return wait_status(pid);
}

/* The last non-empty line of `text` (a traceback's message), borrowed
 * into buf. */
static const char *last_line(const char *text, char *buf, size_t size)
{
    const char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    snprintf(buf, size, "%.*s", (int)(end - start), start);
    return buf;
}

/* ------------------------------------------------------------------ */
/* The interpreter                                                      */
/* ------------------------------------------------------------------ */

typedef struct py_env {
    char *command;    /* as the rules gave it: "python3", "/v/bin/python" */
    const char *from; /* which rule gave it */
    char *executable; /* sys.executable */
    char *version;
    char *prefix; /* sys.prefix: the environment */
    char *base_prefix;
    char *purelib;   /* where pip installs */
    char *user_site; /* NULL when user site folders are off */
    bool venv, externally_managed, has_pip;
    char **dirs; /* sys.path folders and site folders, no repeats */
    size_t dir_count;
} py_env;

static void py_env_free(py_env *env)
{
    free(env->command);
    free(env->executable);
    free(env->version);
    free(env->prefix);
    free(env->base_prefix);
    free(env->purelib);
    free(env->user_site);
    for (size_t i = 0; i < env->dir_count; i++)
        free(env->dirs[i]);
    free(env->dirs);
    memset(env, 0, sizeof *env);
}

/* The interpreter's command by dapt's rules (the registry's own,
 * python_env_rule), and which rule gave it. */
static char *interpreter_command(const char **from)
{
    json_t *settings = NULL;
    dapt_diags diags = {0};
    dapt_settings_load(&settings, cli_workspace(), &diags);
    dapt_diags_free(&diags);
    const char *set = json_string_value(settings_get(settings, "services.python.interpreter"));
    char *cmd = python_env_rule(NULL, set, from);
    json_decref(settings);
    return cmd;
}

static char *json_strdup(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? xstrdup(s) : NULL;
}

static void add_dir(py_env *env, const char *dir)
{
    if (dir == NULL || dir[0] == '\0')
        return;
    for (size_t i = 0; i < env->dir_count; i++) {
        if (strcmp(env->dirs[i], dir) == 0)
            return;
    }
    env->dirs = xrealloc(env->dirs, env->dir_count + 1, sizeof *env->dirs);
    env->dirs[env->dir_count++] = xstrdup(dir);
}

/* Resolve and ask the interpreter.  0, or -1 with *error. */
static int py_env_probe(py_env *env, char **error)
{
    memset(env, 0, sizeof *env);
    env->command = interpreter_command(&env->from);
    if (strcmp(env->command, "none") == 0) {
        *error = xasprintf("Python plugins are turned off (%s is `none`)", env->from);
        return -1;
    }
    char *argv[] = {env->command, (char *)"-c", (char *)probe_script, NULL};
    char *out = NULL, *err = NULL;
    int status = run_child(argv, &out, &err);
    json_t *doc = status == 0 ? json_loads(out, 0, NULL) : NULL;
    if (doc == NULL) {
        char line[512];
        *error = xasprintf("cannot use the Python interpreter `%s` (%s): %s", env->command,
                           env->from,
                           err && err[0] ? last_line(err, line, sizeof line)
                                         : status == 0 ? "it did not describe itself"
                                                       : "it failed");
        free(out);
        free(err);
        return -1;
    }
    env->executable = json_strdup(doc, "executable");
    env->version = json_strdup(doc, "version");
    env->prefix = json_strdup(doc, "prefix");
    env->base_prefix = json_strdup(doc, "base_prefix");
    env->purelib = json_strdup(doc, "purelib");
    env->user_site = json_strdup(doc, "user_site");
    env->venv = env->prefix && env->base_prefix && strcmp(env->prefix, env->base_prefix) != 0;
    env->externally_managed = json_is_true(json_object_get(doc, "externally_managed"));
    env->has_pip = json_is_true(json_object_get(doc, "pip"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "path"), i, v) add_dir(env, json_string_value(v));
    json_array_foreach(json_object_get(doc, "site"), i, v) add_dir(env, json_string_value(v));
    add_dir(env, env->purelib);
    if (env->executable == NULL || env->executable[0] == '\0') {
        free(env->executable);
        env->executable = xstrdup(env->command);
    }
    json_decref(doc);
    free(out);
    free(err);
    return 0;
}

/* "the venv /v" or "the system Python /usr (not a venv)". */
static char *py_env_where(const py_env *env)
{
    if (env->venv)
        return xasprintf("the venv %s", env->prefix);
    return xasprintf("%s %s (not a venv)",
                     env->externally_managed ? "the system Python" : "the Python installation",
                     env->prefix ? env->prefix : "?");
}

/* One line to stderr: which interpreter, which environment. */
static void py_env_say(const py_env *env)
{
    char *where = py_env_where(env);
    fprintf(stderr, "using Python %s %s (%s), environment: %s\n", env->version ? env->version : "",
            env->executable, env->from, where);
    free(where);
}

/* pip may not touch it: say why and how to make a venv.  CLI_FAILED. */
static int py_env_refuse_managed(const py_env *env, const char *what)
{
    fprintf(stderr,
            "dapt: %s is the system's Python (%s), marked EXTERNALLY-MANAGED: its\n"
            "packages belong to the system's package manager, and pip may not %s it.\n"
            "Make a virtual environment and point dapt at it:\n"
            "  %s -m venv --system-site-packages ~/.venvs/dapt\n"
            "  export VIRTUAL_ENV=~/.venvs/dapt     (or DAPT_PYTHON=~/.venvs/dapt/bin/python)\n"
            "then run the command again.  (--system-site-packages lets the venv see the\n"
            "system's Python packages; leave it out for a clean one.)\n",
            env->executable, env->prefix ? env->prefix : "?", what, env->executable);
    return CLI_FAILED;
}

static int py_env_refuse_no_pip(const py_env *env)
{
    fprintf(stderr,
            "dapt: %s has no pip (`%s -m pip` cannot run): install it (Debian: apt-get "
            "install python3-pip; a venv made with `python3 -m venv` has its own), or choose "
            "another interpreter with DAPT_PYTHON\n",
            env->executable, env->executable);
    return CLI_FAILED;
}

/* ------------------------------------------------------------------ */
/* Distributions                                                        */
/* ------------------------------------------------------------------ */

typedef struct py_dist {
    char *dir;     /* the .dist-info or .egg-info folder */
    char *site;    /* the folder that holds it */
    char *name;    /* Name: of its metadata */
    char *version; /* Version: */
    char **plugins; /* the entry point names of the plugin groups */
    size_t plugin_count;
    struct stat st; /* of its entry_points.txt: a reinstall changes it */
} py_dist;

typedef struct py_dists {
    py_dist *items;
    size_t count;
} py_dists;

static void py_dists_free(py_dists *list)
{
    for (size_t i = 0; i < list->count; i++) {
        py_dist *d = &list->items[i];
        free(d->dir);
        free(d->site);
        free(d->name);
        free(d->version);
        for (size_t j = 0; j < d->plugin_count; j++)
            free(d->plugins[j]);
        free(d->plugins);
    }
    free(list->items);
    memset(list, 0, sizeof *list);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* The names of entry_points.txt's plugin groups (`name = module[:attr]`
 * lines under [flowdapt.plugins] or [dapt.plugins]). */
static void read_entry_points(py_dist *d, const char *file)
{
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return;
    char *line = NULL;
    size_t cap = 0;
    bool in_group = false;
    while (getline(&line, &cap, f) >= 0) {
        char *s = trim(line);
        if (s[0] == '#' || s[0] == ';' || s[0] == '\0')
            continue;
        if (s[0] == '[') {
            char *end = strchr(s, ']');
            if (end != NULL)
                *end = '\0';
            char *group = trim(s + 1);
            in_group = false;
            for (size_t i = 0; i < PLUGIN_GROUP_COUNT; i++)
                in_group = in_group || strcmp(group, plugin_groups[i]) == 0;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!in_group || eq == NULL)
            continue;
        *eq = '\0';
        d->plugins = xrealloc(d->plugins, d->plugin_count + 1, sizeof *d->plugins);
        d->plugins[d->plugin_count++] = xstrdup(trim(s));
    }
    free(line);
    fclose(f);
}

/* Name: and Version: of a METADATA or PKG-INFO file (its header part). */
static void read_metadata(py_dist *d, const char *file)
{
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0 && line[0] != '\n' && line[0] != '\r') {
        if (d->name == NULL && strncasecmp(line, "Name:", 5) == 0)
            d->name = xstrdup(trim(line + 5));
        else if (d->version == NULL && strncasecmp(line, "Version:", 8) == 0)
            d->version = xstrdup(trim(line + 8));
    }
    free(line);
    fclose(f);
}

/* A distribution's name from its folder: "my_pkg-1.0.dist-info". */
static char *name_from_dir(const char *entry)
{
    const char *dash = strchr(entry, '-');
    const char *dot = strrchr(entry, '.');
    return xstrndup(entry, (size_t)((dash ? dash : dot) - entry));
}

static void read_site(py_dists *list, const char *site)
{
    DIR *dir = opendir(site);
    if (dir == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        bool dist_info = n > 10 && strcmp(e->d_name + n - 10, ".dist-info") == 0;
        bool egg_info = n > 9 && strcmp(e->d_name + n - 9, ".egg-info") == 0;
        if (!dist_info && !egg_info)
            continue;
        char *path = xasprintf("%s/%s", site, e->d_name);
        char *eps = xasprintf("%s/entry_points.txt", path);
        py_dist d = {0};
        if (stat(eps, &d.st) == 0)
            read_entry_points(&d, eps);
        if (d.plugin_count > 0) {
            char *meta = xasprintf("%s/%s", path, dist_info ? "METADATA" : "PKG-INFO");
            read_metadata(&d, meta);
            free(meta);
            if (d.name == NULL)
                d.name = name_from_dir(e->d_name);
            d.dir = path;
            d.site = xstrdup(site);
            path = NULL;
            list->items = xrealloc(list->items, list->count + 1, sizeof *list->items);
            list->items[list->count++] = d;
        } else {
            free(d.plugins);
        }
        free(eps);
        free(path);
    }
    closedir(dir);
}

/* Every distribution that declares a plugin, in the interpreter's folders. */
static void py_dists_read(py_dists *list, const py_env *env)
{
    memset(list, 0, sizeof *list);
    for (size_t i = 0; i < env->dir_count; i++)
        read_site(list, env->dirs[i]);
}

/* Was `d` absent from `before`, or reinstalled? */
static bool dist_changed(const py_dist *d, const py_dists *before)
{
    for (size_t i = 0; i < before->count; i++) {
        const py_dist *b = &before->items[i];
        if (strcmp(b->dir, d->dir) != 0)
            continue;
        return b->st.st_ino != d->st.st_ino || b->st.st_size != d->st.st_size ||
               b->st.st_mtim.tv_sec != d->st.st_mtim.tv_sec ||
               b->st.st_mtim.tv_nsec != d->st.st_mtim.tv_nsec;
    }
    return true;
}

/* The Python plugin `name` in the catalog, or NULL. */
static const dapt_plugin_info *registry_python(const dapt_registry *reg, const char *name)
{
    for (size_t i = 0; reg != NULL && i < dapt_registry_count(reg); i++) {
        const dapt_plugin_info *p = dapt_registry_plugin(reg, i);
        if (p->runtime == DAPT_RUNTIME_PYTHON && strcmp(p->name, name) == 0)
            return p;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Projects                                                             */
/* ------------------------------------------------------------------ */

/* Does pyproject.toml declare a project or a build system (not only
 * [tool.*] settings of a project that is not Python's)? */
static bool pyproject_declares(const char *file)
{
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return false;
    char *line = NULL;
    size_t cap = 0;
    bool found = false;
    while (!found && getline(&line, &cap, f) >= 0) {
        char *s = trim(line);
        found = strncmp(s, "[project]", 9) == 0 || strncmp(s, "[build-system]", 14) == 0 ||
                strncmp(s, "[project.", 9) == 0 || strncmp(s, "[tool.poetry]", 13) == 0;
    }
    free(line);
    fclose(f);
    return found;
}

bool plugins_python_project(const char *dir)
{
    char *setup = xasprintf("%s/setup.py", dir);
    char *pyproject = xasprintf("%s/pyproject.toml", dir);
    bool yes = access(setup, R_OK) == 0 || pyproject_declares(pyproject);
    free(setup);
    free(pyproject);
    return yes;
}

/* ------------------------------------------------------------------ */
/* install                                                              */
/* ------------------------------------------------------------------ */

static bool has_arg(const plugins_pip_options *opts, const char *arg)
{
    for (size_t i = 0; i < opts->arg_count; i++) {
        if (strcmp(opts->args[i], arg) == 0)
            return true;
    }
    return false;
}

/* Report what pip installed, as the catalog sees it.  0, or -1 when no
 * plugin came of it or one cannot be used. */
static int report_installed(const py_env *env, const py_dists *before, const char *label)
{
    py_dists after;
    py_dists_read(&after, env);
    dapt_registry *reg = cmd_plugins_open();
    int rc = 0;
    size_t found = 0;
    for (size_t i = 0; i < after.count; i++) {
        const py_dist *d = &after.items[i];
        if (!dist_changed(d, before))
            continue;
        for (size_t j = 0; j < d->plugin_count; j++) {
            found++;
            const char *name = d->plugins[j];
            const dapt_plugin_info *p = registry_python(reg, name);
            const char *version = d->version ? d->version : "";
            if (p != NULL && p->status == DAPT_PLUGIN_BROKEN) {
                fprintf(stderr, "dapt: installed %s (distribution %s), but it cannot be used: %s\n",
                        name, d->name, p->error ? p->error : "broken");
                fprintf(stderr, "Fix the plugin, or remove it with: dapt plugins uninstall %s\n",
                        name);
                rc = -1;
                continue;
            }
            if (p != NULL)
                printf("installed %s %s (python, %zu target%s; distribution %s) into %s\n", name,
                       version, p->target_count, p->target_count == 1 ? "" : "s", d->name,
                       d->site);
            else
                printf("installed %s %s (python; distribution %s) into %s\n", name, version,
                       d->name, d->site);
            if (p != NULL && p->status == DAPT_PLUGIN_SHADOWED)
                fprintf(stderr, "dapt: warning: %s\n", p->error ? p->error : "shadowed");
            else if (p == NULL && reg != NULL)
                fprintf(stderr,
                        "dapt: warning: the plugin catalog does not list %s (see dapt plugins "
                        "list)\n",
                        name);
        }
    }
    if (found == 0) {
        fprintf(stderr,
                "dapt: pip installed %s, but it declares no plugin: no entry point in the\n"
                "group flowdapt.plugins (or dapt.plugins).  Declare one in pyproject.toml:\n"
                "  [project.entry-points.\"flowdapt.plugins\"]\n"
                "  my_package = \"my_package\"\n"
                "(or entry_points={'flowdapt.plugins': ['my_package = my_package']} in setup.py)\n",
                label);
        rc = -1;
    }
    dapt_registry_free(reg);
    py_dists_free(&after);
    return rc;
}

/* The absolute folder of dapt's own Python code.  Caller frees. */
static char *own_python_dir(void)
{
    char *pydir = libexec_python_dir();
    char *real = realpath(pydir, NULL);
    if (real == NULL)
        return pydir;
    free(pydir);
    return real;
}

/*
 * PURELIB/dapt.pth: dapt's Python code and the Flowdapt compatibility
 * package on the environment's path (after its site-packages, as .pth
 * lines are), so that the environment's own Python (a plugin's tests run
 * with pytest) imports dapt and flowdapt as stages in dapt's workers do.
 * A real flowdapt installed there still wins.  0, or -1 said on stderr.
 */
static int link_environment(const py_env *env)
{
    if (env->purelib == NULL) {
        fprintf(stderr, "dapt: %s did not say where its packages go\n", env->executable);
        return -1;
    }
    char *pydir = own_python_dir();
    char *text = xasprintf("%s\n%s/compat\n", pydir, pydir);
    char *path = xasprintf("%s/dapt.pth", env->purelib);
    int rc = fs_write_atomic(path, text, strlen(text), 0644, true);
    if (rc < 0)
        fprintf(stderr, "dapt: cannot write %s: %s\n", path, strerror(errno));
    else
        fprintf(stderr, "import dapt and flowdapt work in this environment: %s\n", path);
    free(path);
    free(text);
    free(pydir);
    return rc;
}

int plugins_python_install(const char *project, const char *label,
                           const plugins_pip_options *opts)
{
    py_env env;
    char *error = NULL;
    if (py_env_probe(&env, &error) < 0) {
        fprintf(stderr, "dapt: %s\n(set DAPT_PYTHON to the Python to install into)\n", error);
        free(error);
        py_env_free(&env);
        return -1;
    }
    py_env_say(&env);
    int rc = -1;
    if (env.externally_managed && !has_arg(opts, "--break-system-packages")) {
        py_env_refuse_managed(&env, "install into");
        goto out;
    }
    if (!env.has_pip) {
        py_env_refuse_no_pip(&env);
        goto out;
    }
    py_dists before;
    py_dists_read(&before, &env);
    size_t n = 0;
    char **argv = xcalloc(opts->arg_count + 8, sizeof *argv);
    argv[n++] = env.executable;
    argv[n++] = (char *)"-m";
    argv[n++] = (char *)"pip";
    argv[n++] = (char *)"install";
    argv[n++] = (char *)"--no-input";
    for (size_t i = 0; i < opts->arg_count; i++)
        argv[n++] = opts->args[i];
    if (opts->editable)
        argv[n++] = (char *)"--editable";
    argv[n++] = (char *)project;
    fprintf(stderr, "$");
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %s", argv[i]);
    fprintf(stderr, "\n");
    fflush(stdout);
    int status = run_child(argv, NULL, NULL);
    free(argv);
    if (status != 0) {
        fprintf(stderr, "dapt: pip could not install %s (exit status %d; its output is above)\n",
                label, status);
        if (!has_arg(opts, "--no-index"))
            fprintf(stderr, "(offline? pass pip's options with --pip-arg or DAPT_PIP_ARGS, e.g. "
                            "DAPT_PIP_ARGS='--no-index --no-build-isolation')\n");
    } else {
        /* asked again: an install can add folders to sys.path (a legacy
         * editable install's .egg-link and easy-install.pth) */
        py_env now;
        char *again = NULL;
        if (py_env_probe(&now, &again) == 0) {
            rc = report_installed(&now, &before, label);
        } else {
            free(again);
            rc = report_installed(&env, &before, label);
        }
        py_env_free(&now);
        if (rc == 0 && link_environment(&env) < 0)
            rc = -1;
    }
    py_dists_free(&before);
out:
    py_env_free(&env);
    return rc;
}

/* ------------------------------------------------------------------ */
/* uninstall                                                            */
/* ------------------------------------------------------------------ */

/* Is `dir` inside `root` (or `root` itself)? */
static bool below(const char *dir, const char *root)
{
    if (root == NULL)
        return false;
    char *rd = realpath(dir, NULL), *rr = realpath(root, NULL);
    bool yes = false;
    if (rd != NULL && rr != NULL) {
        size_t n = strlen(rr);
        yes = strncmp(rd, rr, n) == 0 && (rd[n] == '\0' || rd[n] == '/' || rr[n - 1] == '/');
    }
    free(rd);
    free(rr);
    return yes;
}

/* Does a site folder of the environment link to `dir` (a `.egg-link`
 * of a legacy editable install, whose first line is the project)? */
static bool egg_linked(const py_env *env, const char *dir)
{
    bool found = false;
    for (size_t i = 0; !found && i < env->dir_count; i++) {
        if (!below(env->dirs[i], env->prefix))
            continue;
        DIR *d = opendir(env->dirs[i]);
        struct dirent *e;
        while (d != NULL && !found && (e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n <= 9 || strcmp(e->d_name + n - 9, ".egg-link") != 0)
                continue;
            char *path = xasprintf("%s/%s", env->dirs[i], e->d_name);
            FILE *f = fopen(path, "r");
            char *line = NULL;
            size_t cap = 0;
            if (f != NULL && getline(&line, &cap, f) > 0) {
                char *target = trim(line);
                char *rt = realpath(target, NULL), *rd = realpath(dir, NULL);
                found = rt != NULL && rd != NULL && strcmp(rt, rd) == 0;
                free(rt);
                free(rd);
            }
            free(line);
            if (f != NULL)
                fclose(f);
            free(path);
        }
        if (d != NULL)
            closedir(d);
    }
    return found;
}

/* Is the distribution at `dir` still in the environment after pip
 * uninstall?  (A legacy editable install leaves its .egg-info in the
 * project: it is gone when no folder of sys.path holds it any more.) */
static bool still_declared(const char *dir)
{
    py_env env;
    char *error = NULL;
    if (py_env_probe(&env, &error) < 0) {
        free(error);
        py_env_free(&env);
        return false;
    }
    py_dists dists;
    py_dists_read(&dists, &env);
    bool found = false;
    for (size_t i = 0; !found && i < dists.count; i++)
        found = strcmp(dists.items[i].dir, dir) == 0;
    py_dists_free(&dists);
    py_env_free(&env);
    return found;
}

int plugins_python_uninstall(const char *name)
{
    py_env env;
    char *error = NULL;
    if (py_env_probe(&env, &error) < 0) {
        free(error); /* no Python: no Python plugin to remove */
        py_env_free(&env);
        return -1;
    }
    py_dists dists;
    py_dists_read(&dists, &env);
    const py_dist *d = NULL;
    for (size_t i = 0; d == NULL && i < dists.count; i++) {
        for (size_t j = 0; d == NULL && j < dists.items[i].plugin_count; j++) {
            if (strcmp(dists.items[i].plugins[j], name) == 0)
                d = &dists.items[i];
        }
    }
    int rc = -1;
    if (d == NULL)
        goto out;
    py_env_say(&env);
    rc = CLI_FAILED;
    bool own = below(d->site, env.prefix) || (env.user_site && below(d->site, env.user_site)) ||
               egg_linked(&env, d->site);
    if (!own) {
        fprintf(stderr,
                "dapt: %s comes from the distribution %s in %s, which is outside the\n"
                "environment of %s (%s): dapt removes only what that interpreter's pip\n"
                "installed.  Remove it with the pip of the environment that holds it.\n",
                name, d->name, d->site, env.executable, env.prefix ? env.prefix : "?");
        goto out;
    }
    if (env.externally_managed) {
        py_env_refuse_managed(&env, "remove packages from");
        goto out;
    }
    if (!env.has_pip) {
        py_env_refuse_no_pip(&env);
        goto out;
    }
    if (d->plugin_count > 1) {
        fprintf(stderr, "note: the distribution %s also brings the plugin%s", d->name,
                d->plugin_count > 2 ? "s" : "");
        for (size_t j = 0; j < d->plugin_count; j++) {
            if (strcmp(d->plugins[j], name) != 0)
                fprintf(stderr, " %s", d->plugins[j]);
        }
        fprintf(stderr, ": they go too\n");
    }
    char *argv[] = {env.executable, (char *)"-m", (char *)"pip", (char *)"uninstall",
                    (char *)"--no-input", (char *)"-y", d->name, NULL};
    fprintf(stderr, "$ %s -m pip uninstall --no-input -y %s\n", env.executable, d->name);
    int status = run_child(argv, NULL, NULL);
    if (status != 0 || still_declared(d->dir)) {
        fprintf(stderr, "dapt: pip could not uninstall %s (exit status %d; its output is above)\n",
                d->name, status);
        goto out;
    }
    printf("uninstalled %s (the distribution %s%s%s, from %s)\n", name, d->name,
           d->version ? " " : "", d->version ? d->version : "", d->site);
    rc = CLI_OK;
    dapt_registry *reg = cmd_plugins_open();
    const dapt_plugin_info *other = reg ? dapt_registry_find(reg, name) : NULL;
    if (other != NULL)
        printf("%s is still available from %s\n", name, other->path);
    dapt_registry_free(reg);
out:
    py_dists_free(&dists);
    py_env_free(&env);
    return rc;
}

/* ------------------------------------------------------------------ */
/* dapt plugins python                                                  */
/* ------------------------------------------------------------------ */

int plugins_python_run(int argc, char **argv)
{
    bool json = false, link = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--link") == 0)
            link = true;
        else
            return cli_usage(cli_find("plugins"),
                             "'plugins python' takes only --json and --link, not '%s'", argv[i]);
    }
    py_env env;
    char *error = NULL;
    char *pydir = own_python_dir();
    int rc = CLI_OK;
    if (py_env_probe(&env, &error) < 0) {
        fprintf(stderr, "dapt: %s\n", error);
        free(error);
        rc = CLI_FAILED;
    } else if (link) {
        py_env_say(&env);
        if (env.externally_managed)
            rc = py_env_refuse_managed(&env, "link dapt's Python code into");
        else if (link_environment(&env) < 0)
            rc = CLI_FAILED;
    } else if (json) {
        json_t *dirs = json_array();
        for (size_t i = 0; i < env.dir_count; i++)
            json_array_append_new(dirs, json_string(env.dirs[i]));
        json_t *doc = json_pack(
            "{s:s, s:s, s:s, s:s, s:s?, s:s?, s:b, s:b, s:b, s:s?, s:o, s:s}", "command",
            env.command, "from", env.from, "executable", env.executable, "version",
            env.version ? env.version : "", "prefix", env.prefix, "purelib", env.purelib, "venv",
            env.venv, "externally_managed", env.externally_managed, "pip", env.has_pip,
            "user_site", env.user_site, "path", dirs, "dapt_python_dir", pydir);
        cmd_plugins_print_json(doc);
        json_decref(doc);
    } else {
        char *where = py_env_where(&env);
        printf("interpreter  %s (Python %s)\n", env.executable, env.version ? env.version : "?");
        printf("chosen by    %s: %s\n", env.from, env.command);
        printf("environment  %s\n", where);
        printf("pip installs into %s%s\n", env.purelib ? env.purelib : "?",
               env.externally_managed ? " (refused: externally managed)" : "");
        printf("dapt's Python code (import dapt) %s\n", pydir);
        free(where);
    }
    py_env_free(&env);
    free(pydir);
    return rc;
}
