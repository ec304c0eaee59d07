/*
 * python.c - Python plugins for the registry: the interpreter and its
 * folders (python-env.c, python-dist.c) turned into plugin entries, and
 * the entries the cache does not know described (python-scan.c).
 *
 * A Python plugin is an entry point NAME = MODULE[:attr] of the groups
 * flowdapt.plugins or dapt.plugins.  Its path is MODULE's package folder
 * (or module file), found as Python's path finder would; its data_dir is
 * that folder when it has workflows/ or configs/ (bundled workflows, as a
 * C plugin's NAME/ folder); its id is the fingerprint of its files, so an
 * edited .py file makes it described again.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

/* The cache file of python-env.c: beside the plugin cache. */
static char *env_cache_file(const char *plugins_cache)
{
    if (plugins_cache == NULL)
        return NULL;
    const char *slash = strrchr(plugins_cache, '/');
    return slash ? xasprintf("%.*s/python.cache", (int)(slash - plugins_cache), plugins_cache)
                 : xstrdup("python.cache");
}

/* services.python.interpreter of the workspace's settings, or NULL
 * (caller frees).  Problems of the settings files are for the commands
 * that use settings to report. */
static char *setting_interpreter(const char *workspace)
{
    json_t *settings = NULL;
    dapt_diags diags = {0};
    dapt_settings_load(&settings, workspace, &diags);
    dapt_diags_free(&diags);
    const char *v = json_string_value(settings_get(settings, "services.python.interpreter"));
    char *copy = v ? xstrdup(v) : NULL;
    json_decref(settings);
    return copy;
}

python_runtime *python_runtime_open(const char *option, const char *workspace,
                                    const char *cache_file, strbuf *warnings)
{
    char *setting = NULL;
    const char *env = getenv("DAPT_PYTHON");
    if ((option == NULL || *option == '\0') && (env == NULL || *env == '\0'))
        setting = setting_interpreter(workspace);
    bool named;
    char *command = python_env_command(option, setting, &named);
    free(setting);
    if (command == NULL)
        return NULL;
    char *file = env_cache_file(cache_file);
    python_env *penv = NULL;
    char *warning = NULL, *error = NULL;
    python_env_open(&penv, command, named, file, &warning, &error);
    if (warning)
        strbuf_printf(warnings, "%s\n", warning);
    if (error)
        strbuf_printf(warnings, "%s\n", error);
    free(warning);
    free(error);
    free(file);
    free(command);
    if (penv == NULL)
        return NULL;
    python_runtime *rt = xcalloc(1, sizeof *rt);
    rt->env = penv;
    python_dist_paths(&rt->paths, penv);
    return rt;
}

void python_runtime_free(python_runtime *rt)
{
    if (rt == NULL)
        return;
    python_dist_paths_free(&rt->paths);
    python_env_free(rt->env);
    free(rt);
}

char *python_cache_key(const char *interpreter, const char *name, const char *path,
                       const char *only)
{
    /* "python\nINTERPRETER\nNAME\nPATH[\nONLY]", without printf: one per plugin */
    const char *parts[] = {"python", interpreter, name, path, only};
    size_t count = only ? 5 : 4, len = 0;
    for (size_t i = 0; i < count; i++)
        len += strlen(parts[i]) + 1;
    char *key = xmalloc(len), *d = key;
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(parts[i]);
        memcpy(d, parts[i], n);
        d += n;
        *d++ = i + 1 < count ? '\n' : '\0';
    }
    return key;
}

/* An entry with everything but what describing it tells. */
static void found_init(runtime_found *f, const python_runtime *rt, const char *name,
                       const char *module)
{
    memset(f, 0, sizeof *f);
    dapt_plugin_info *info = &f->info;
    info->runtime = DAPT_RUNTIME_PYTHON;
    info->name = xstrdup(name);
    info->module = xstrdup(module);
    info->interpreter = xstrdup(rt->env->executable);
    char **strings[] = {&info->version, &info->description, &info->author, &info->license,
                        &info->url};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        *strings[i] = xstrdup("");
}

/* Place the module, fingerprint it, check it: pending, or decided broken.
 * The entry point `ep_name` of dist_dir, or the target when ep_name is
 * NULL (on demand: the folders are asked afresh, not their listings). */
static void found_locate(runtime_found *f, const python_runtime *rt, bool insecure,
                         const char *ep_name)
{
    dapt_plugin_info *info = &f->info;
    bool is_package = false;
    char *path = ep_name ? python_dist_locate_listed(&rt->paths, info->module, &is_package)
                         : python_dist_locate(&rt->paths, info->module, &is_package);
    if (path == NULL) {
        info->path = xstrdup(f->dist_dir ? f->dist_dir : info->module);
        char *where = ep_name ? xasprintf("the entry point `%s` of %s", ep_name, f->dist_dir)
                              : xstrdup("the target");
        plugin_info_broken(info,
                           "the module %s of %s is not in any folder of %s's sys.path: is the "
                           "package installed, and is the entry point's module right?",
                           info->module, where, rt->env->executable);
        free(where);
        return;
    }
    info->path = path;
    bool data_dir = false;
    char *why = python_dist_fingerprint(&info->id, &data_dir, path, is_package, f->dist_dir,
                                        !insecure);
    if (is_package && data_dir)
        info->data_dir = xstrdup(path);
    if (why != NULL) {
        plugin_info_broken(info, "%s", why);
        free(why);
        return;
    }
    f->pending = true;
}

static void discover(runtime_found **out, size_t *count, const void *state, bool insecure)
{
    const python_runtime *rt = state;
    python_ep *eps;
    size_t n;
    python_dist_entry_points(&eps, &n, &rt->paths);
    runtime_found *v = n ? xcalloc(n, sizeof *v) : NULL;
    for (size_t i = 0; i < n; i++) {
        runtime_found *f = &v[i];
        found_init(f, rt, eps[i].name, eps[i].module);
        f->dist_dir = xstrdup(eps[i].dist_dir);
        found_locate(f, rt, insecure, eps[i].name);
        f->key = python_cache_key(f->info.interpreter, f->info.name, f->info.path, NULL);
    }
    python_dist_eps_free(eps, n);
    *out = v;
    *count = n;
}

static bool ident_char(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * Whether `word` may be an attribute of the module in `file`: it occurs
 * there as a word, or the module takes names it does not spell out (a
 * star import, a module __getattr__).  A cheap test that spares starting
 * Python for a name that cannot be there (a typo, a name being typed).
 * When it cannot, *defs gets the names of the file's top-level `def`s
 * (for a suggestion; free with fs_paths_free).
 */
static bool may_define(const char *file, const char *word, char ***defs, size_t *ndefs)
{
    *defs = NULL;
    *ndefs = 0;
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return true; /* let Python say */
    strbuf sb = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(f);
    if (sb.buf == NULL)
        return false;
    bool yes = strstr(sb.buf, "import *") || strstr(sb.buf, "__getattr__");
    size_t len = strlen(word);
    for (const char *p = sb.buf; !yes && (p = strstr(p, word)) != NULL; p += len)
        yes = (p == sb.buf || !ident_char(p[-1])) && !ident_char(p[len]);
    for (const char *line = sb.buf; !yes && line; line = strchr(line, '\n')) {
        line += *line == '\n';
        const char *d = strncmp(line, "def ", 4) == 0         ? line + 4
                        : strncmp(line, "async def ", 10) == 0 ? line + 10
                                                               : NULL;
        size_t k = 0;
        while (d && ident_char(d[k]))
            k++;
        if (d && k > 0 && d[0] != '_') {
            *defs = xrealloc(*defs, *ndefs + 2, sizeof **defs);
            (*defs)[(*ndefs)++] = xstrndup(d, k);
            (*defs)[*ndefs] = NULL;
        }
    }
    strbuf_free(&sb);
    return yes;
}

/* Why TOP.REST cannot be in `file` (the module it would be in): with the
 * nearest function it defines. */
static char *no_such_function(const char *target, const char *file, char **defs, size_t ndefs)
{
    const char *last = strrchr(target, '.');
    char *module = xstrndup(target, (size_t)(last - target));
    strbuf sb = {0};
    strbuf_printf(&sb, "the Python module `%s` (%s) defines no `%s`", module, file, last + 1);
    const char *close = suggest_closest(last + 1, (const char *const *)defs, ndefs);
    if (close) {
        strbuf_printf(&sb, "; did you mean `%s.%s`?", module, close);
    } else if (ndefs > 0) {
        strbuf_puts(&sb, "; its functions: ");
        for (size_t i = 0; i < ndefs && i < 8; i++)
            strbuf_printf(&sb, "%s%s", i ? ", " : "", defs[i]);
        if (ndefs > 8)
            strbuf_printf(&sb, ", ... (%zu in all)", ndefs);
    }
    free(module);
    return strbuf_detach(&sb);
}

/* The file of the module that would define MODULE.ONLY's last word, or
 * NULL when there is no such module (caller frees). */
static char *defining_file(const python_runtime *rt, const char *module, const char *only)
{
    const char *dot = strrchr(only, '.');
    char *mod = dot ? xasprintf("%s.%.*s", module, (int)(dot - only), only) : xstrdup(module);
    bool is_package;
    char *path = python_dist_locate(&rt->paths, mod, &is_package);
    free(mod);
    if (path != NULL && is_package) {
        char *init = xasprintf("%s/__init__.py", path);
        free(path);
        path = init;
    }
    return path;
}

/* Whether the module of TOP.REST exists and may define its last word;
 * else *error says why.  Read in C: no interpreter starts for a typo or
 * a name half typed in the editor. */
static bool can_hold(const python_runtime *rt, const runtime_found *f, const char *top,
                     const char *rest, char **error)
{
    char *target = xasprintf("%s.%s", top, rest);
    char *file = defining_file(rt, top, rest);
    const char *last = strrchr(rest, '.');
    char **defs = NULL;
    size_t ndefs = 0;
    if (file == NULL)
        *error = xasprintf("the Python package `%s` (%s) has no module for `%s`", top,
                           f->info.path, target);
    else if (!may_define(file, last ? last + 1 : rest, &defs, &ndefs))
        *error = no_such_function(target, file, defs, ndefs);
    fs_paths_free(defs, ndefs);
    free(file);
    free(target);
    return *error == NULL;
}

static int on_demand(runtime_found *out, const void *state, const char *top, const char *rest,
                     bool insecure, char **error)
{
    const python_runtime *rt = state;
    *error = NULL;
    bool is_package;
    char *path = python_dist_locate(&rt->paths, top, &is_package);
    if (path == NULL)
        return 0;
    free(path);
    found_init(out, rt, top, top);
    found_locate(out, rt, insecure, NULL);
    out->key = python_cache_key(out->info.interpreter, out->info.name, out->info.path, rest);
    if (out->pending && !can_hold(rt, out, top, rest, error)) {
        runtime_found_clear(out);
        return -1;
    }
    return 1;
}

static void describe(dapt_plugin_info **infos, const char *const *dist_dirs,
                     const char *const *only, size_t count, const void *state, int timeout_ms)
{
    const python_runtime *rt = state;
    for (size_t i = 0; i < count; i++)
        if (dist_dirs && dist_dirs[i])
            python_dist_metadata(infos[i], dist_dirs[i]);
    python_scan(infos, only, count, rt->env, &rt->paths, timeout_ms);
}

static void *open_state(const char *option, const char *workspace, const char *cache_file,
                        strbuf *warnings)
{
    return python_runtime_open(option, workspace, cache_file, warnings);
}

static void close_state(void *state)
{
    python_runtime_free(state);
}

const runtime_discovery python_discovery = {
    .open = open_state,
    .close = close_state,
    .list = discover,
    .describe = describe,
    .on_demand = on_demand,
};
