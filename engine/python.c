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
static void found_init(python_found *f, const python_runtime *rt, const char *name,
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
static void found_locate(python_found *f, const python_runtime *rt, bool insecure,
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

void python_discover(python_found **out, size_t *count, const python_runtime *rt, bool insecure)
{
    python_ep *eps;
    size_t n;
    python_dist_entry_points(&eps, &n, &rt->paths);
    python_found *v = n ? xcalloc(n, sizeof *v) : NULL;
    for (size_t i = 0; i < n; i++) {
        python_found *f = &v[i];
        found_init(f, rt, eps[i].name, eps[i].module);
        f->dist_dir = xstrdup(eps[i].dist_dir);
        found_locate(f, rt, insecure, eps[i].name);
        f->key = python_cache_key(f->info.interpreter, f->info.name, f->info.path, NULL);
    }
    python_dist_eps_free(eps, n);
    *out = v;
    *count = n;
}

bool python_on_demand(python_found *out, const python_runtime *rt, const char *module,
                      const char *only, bool insecure)
{
    bool is_package;
    char *path = python_dist_locate(&rt->paths, module, &is_package);
    if (path == NULL)
        return false;
    free(path);
    found_init(out, rt, module, module);
    found_locate(out, rt, insecure, NULL);
    out->key = python_cache_key(out->info.interpreter, out->info.name, out->info.path, only);
    return true;
}

void python_found_clear(python_found *f)
{
    plugin_info_clear(&f->info);
    free(f->key);
    free(f->dist_dir);
    memset(f, 0, sizeof *f);
}

void python_found_free(python_found *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        python_found_clear(&v[i]);
    free(v);
}

void python_describe(dapt_plugin_info **infos, const char *const *dist_dirs,
                     const char *const *only, size_t count, const python_runtime *rt,
                     int timeout_ms)
{
    for (size_t i = 0; i < count; i++)
        if (dist_dirs && dist_dirs[i])
            python_dist_metadata(infos[i], dist_dirs[i]);
    python_scan(infos, only, count, rt->env, &rt->paths, timeout_ms);
}
