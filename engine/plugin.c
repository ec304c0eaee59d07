/*
 * plugin.c - one plugin file and its descriptor.
 *
 * plugin_open() is the only place that runs plugin code: the scanner child
 * (plugin-scan.c) calls it during discovery, and the workers call it to run
 * stages.  Everything else here works on copies: a dapt_plugin_info holds
 * its own strings, so the catalog never points into a library that may be
 * unloaded, and it can be cached and sent over a pipe.
 *
 * A descriptor is read defensively.  The plugin says which ABI it was built
 * against and how big its structs are; fields past those sizes are treated
 * as zero, arrays are walked with the plugin's strides, and every string and
 * table is checked before anything trusts it.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* The end of a struct's last ABI 1.0 field: a plugin's struct may not be
 * smaller than that (later minors only append fields). */
#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
#define DESC_SIZE_1_0 END_OF(dapt_plugin_desc, targets)
#define TARGET_SIZE_1_0 END_OF(dapt_target, executor)
#define PARAM_SIZE_1_0 END_OF(dapt_param, doc)

/* A table without its end marker would be walked into whatever follows it;
 * no real plugin comes near these. */
#define MAX_TARGETS 65536
#define MAX_PARAMS 1024
#define MAX_REQUIREMENTS 1024

static const char *const status_names[] = {
    [DAPT_PLUGIN_OK] = "ok",
    [DAPT_PLUGIN_BROKEN] = "broken",
    [DAPT_PLUGIN_SHADOWED] = "shadowed",
};

static const char *const kind_names[] = {
    [DAPT_TARGET_STAGE] = "stage",
    [DAPT_TARGET_EXECUTOR] = "executor",
    [DAPT_TARGET_ACTION] = "action",
};

/* The JSON types a parameter may declare, alone or joined with '|'. */
static const char *const param_types[] = {
    "string", "integer", "number", "boolean", "array", "object", "null", "any",
};

const char *dapt_plugin_status_name(dapt_plugin_status status)
{
    if ((size_t)status < sizeof status_names / sizeof *status_names)
        return status_names[status];
    return "unknown";
}

const char *dapt_target_kind_name(dapt_target_kind kind)
{
    if ((size_t)kind < sizeof kind_names / sizeof *kind_names)
        return kind_names[kind];
    return "unknown";
}

size_t plugin_positional_params(const dapt_target_info *t)
{
    if ((t->flags & DAPT_TARGET_VARARGS) && !(t->flags & TARGET_POSITIONAL_FIRST))
        return 0;
    size_t n = 0;
    while (n < t->param_count && !t->params[n].keyword_only)
        n++;
    return n;
}

const char *dapt_runtime_name(dapt_runtime runtime)
{
    return runtime == DAPT_RUNTIME_PYTHON ? "python" : "c";
}

/* ------------------------------------------------------------------ */
/* Names                                                                */
/* ------------------------------------------------------------------ */

static bool word_start(char c)
{
    return (c >= 'a' && c <= 'z') || c == '_';
}

static bool word_char(char c)
{
    return word_start(c) || (c >= '0' && c <= '9');
}

/* Length of the word at `s` ([a-z_][a-z0-9_]*), 0 when there is none. */
static size_t word_length(const char *s)
{
    if (!word_start(*s))
        return 0;
    size_t n = 1;
    while (word_char(s[n]))
        n++;
    return n;
}

bool plugin_name_valid(const char *name)
{
    if (name == NULL)
        return false;
    size_t n = word_length(name);
    return n > 0 && name[n] == '\0';
}

bool plugin_path_valid(const char *path)
{
    if (path == NULL)
        return false;
    for (;;) {
        size_t n = word_length(path);
        if (n == 0)
            return false;
        path += n;
        if (*path == '\0')
            return true;
        if (*path != '.')
            return false;
        path++;
    }
}

/* ------------------------------------------------------------------ */
/* Opening a plugin                                                     */
/* ------------------------------------------------------------------ */

/* The ABI rule: major equal, minor not newer.  NULL when acceptable, else
 * the reason (caller frees). */
static char *abi_problem(unsigned major, unsigned minor)
{
    if (major != DAPT_PLUGIN_ABI_MAJOR)
        return xasprintf("built for plugin ABI %u.%u but this dapt supports %d.%d: "
                         "rebuild the plugin against this dapt's <dapt/plugin.h>",
                         major, minor, DAPT_PLUGIN_ABI_MAJOR, DAPT_PLUGIN_ABI_MINOR);
    if (minor > DAPT_PLUGIN_ABI_MINOR)
        return xasprintf("needs plugin ABI %u.%u, newer than this dapt's %d.%d: "
                         "upgrade dapt or rebuild the plugin",
                         major, minor, DAPT_PLUGIN_ABI_MAJOR, DAPT_PLUGIN_ABI_MINOR);
    return NULL;
}

int plugin_open(void **handle, const dapt_plugin_desc **desc, const char *path, char **error)
{
    *handle = NULL;
    *desc = NULL;
    dlerror();
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *why = dlerror();
        *error = xasprintf("cannot load: %s", why ? why : "unknown dlopen error");
        return -1;
    }
    dapt_plugin_describe_fn describe;
    /* dlsym returns an object pointer; POSIX guarantees it converts. */
    *(void **)&describe = dlsym(h, DAPT_PLUGIN_SYMBOL);
    if (describe == NULL) {
        *error = xstrdup("no dapt plugin descriptor (symbol " DAPT_PLUGIN_SYMBOL
                         "): is this a dapt plugin? Declare one with DAPT_PLUGIN() "
                         "from <dapt/plugin.h>");
        dlclose(h);
        return -1;
    }
    const dapt_plugin_desc *d = describe();
    if (d == NULL) {
        *error = xstrdup(DAPT_PLUGIN_SYMBOL "() returned NULL: it must return the "
                                            "descriptor that DAPT_PLUGIN() declares");
        dlclose(h);
        return -1;
    }
    char *why = abi_problem(d->abi_major, d->abi_minor);
    if (why != NULL) {
        *error = why;
        dlclose(h);
        return -1;
    }
    *handle = h;
    *desc = d;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Reading a descriptor                                                 */
/* ------------------------------------------------------------------ */

/* Copy the first `size` bytes of a plugin's struct into a zeroed struct of
 * ours: fields the plugin was built without read as zero. */
static void read_struct(void *dst, size_t dst_size, const void *src, size_t size)
{
    memset(dst, 0, dst_size);
    memcpy(dst, src, size < dst_size ? size : dst_size);
}

static void read_target(dapt_target *t, const dapt_plugin_desc *d, size_t i)
{
    const char *base = (const char *)d->targets;
    read_struct(t, sizeof *t, base + i * d->target_size, d->target_size);
}

dapt_stage_fn plugin_desc_stage_fn(const dapt_plugin_desc *d, const char *path)
{
    dapt_plugin_desc desc;
    read_struct(&desc, sizeof desc, d, d->desc_size);
    for (size_t i = 0; desc.targets != NULL; i++) {
        dapt_target t;
        read_target(&t, d, i);
        if (t.path == NULL)
            break;
        if (strcmp(t.path, path) == 0)
            return t.kind == DAPT_TARGET_STAGE || t.kind == DAPT_TARGET_ACTION ? t.fn : NULL;
    }
    return NULL;
}

static void read_param(dapt_param *p, const dapt_plugin_desc *d, const dapt_param *params, size_t i)
{
    read_struct(p, sizeof *p, (const char *)params + i * d->param_size, d->param_size);
}

static char *dup_or_empty(const char *s)
{
    return xstrdup(s ? s : "");
}

/* Each '|'-separated part of `type` is a known JSON type name. */
/* Names joined with '|'; the last may be "array of TYPE" (items of TYPE,
 * the rest of the text). */
static bool param_type_valid(const char *type)
{
    const char *p = type;
    for (;;) {
        if (strncmp(p, "array of ", 9) == 0)
            return param_type_valid(p + 9);
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        bool known = false;
        for (size_t k = 0; k < sizeof param_types / sizeof *param_types && !known; k++)
            known = strlen(param_types[k]) == n && memcmp(param_types[k], p, n) == 0;
        if (!known)
            return false;
        if (bar == NULL)
            return true;
        p = bar + 1;
    }
}

static int copy_param(dapt_param_info *out, const dapt_param *p, const char *target, char **error)
{
    if (p->name[0] == '\0') {
        *error = xasprintf("target `%s` has a parameter with an empty name", target);
        return -1;
    }
    const char *type = p->type ? p->type : "any";
    if (!param_type_valid(type)) {
        *error = xasprintf("parameter `%s` of target `%s` has the unknown type `%s`: use "
                           "string, integer, number, boolean, array, object, null or any, "
                           "or several joined with |; `array of TYPE` for items of a type",
                           p->name, target, type);
        return -1;
    }
    if (p->default_json != NULL) {
        json_t *v = json_loads(p->default_json, JSON_DECODE_ANY, NULL);
        if (v == NULL) {
            *error = xasprintf("parameter `%s` of target `%s` has a default that is not "
                               "JSON: `%s` (a string default is written \"\\\"text\\\"\")",
                               p->name, target, p->default_json);
            return -1;
        }
        json_decref(v);
    }
    out->name = xstrdup(p->name);
    out->type = xstrdup(type);
    out->required = p->required != 0;
    out->default_json = p->default_json ? xstrdup(p->default_json) : NULL;
    out->doc = dup_or_empty(p->doc);
    return 0;
}

static int copy_params(dapt_target_info *out, const dapt_plugin_desc *d, const dapt_target *t,
                       char **error)
{
    if (t->params == NULL)
        return 0;
    for (size_t i = 0;; i++) {
        if (i == MAX_PARAMS) {
            *error = xasprintf("target `%s` has more than %d parameters: does its table end "
                               "with DAPT_PARAM_END?",
                               out->path, MAX_PARAMS);
            return -1;
        }
        dapt_param p;
        read_param(&p, d, t->params, i);
        if (p.name == NULL)
            return 0;
        for (size_t k = 0; k < out->param_count; k++) {
            if (strcmp(out->params[k].name, p.name) == 0) {
                *error =
                    xasprintf("target `%s` declares the parameter `%s` twice", out->path, p.name);
                return -1;
            }
        }
        out->params = xrealloc(out->params, out->param_count + 1, sizeof *out->params);
        dapt_param_info *pi = &out->params[out->param_count];
        memset(pi, 0, sizeof *pi);
        if (copy_param(pi, &p, out->path, error) < 0)
            return -1;
        out->param_count++;
    }
}

/* What is wrong with target i's own fields, or NULL. */
static char *target_problem(const dapt_target *t, size_t i)
{
    if (t->path[0] == '\0')
        return xasprintf("targets[%zu] has an empty path", i);
    if (!plugin_path_valid(t->path))
        return xasprintf("target path `%s` (targets[%zu]) is not valid: use words of lowercase "
                         "letters, digits and _ joined by single dots, like `stages.fetch`",
                         t->path, i);
    switch (t->kind) {
    case DAPT_TARGET_STAGE:
    case DAPT_TARGET_ACTION:
        if (t->fn == NULL)
            return xasprintf("target `%s` is %s without a function (.fn)", t->path,
                             t->kind == DAPT_TARGET_STAGE ? "a stage" : "an action");
        break;
    case DAPT_TARGET_EXECUTOR:
        /* what it is the engine reads from its descriptor (the kind) */
        if (t->executor == NULL)
            return xasprintf("target `%s` is an executor without a descriptor (.executor)",
                             t->path);
        if (t->executor->abi != DAPT_EXECUTOR_ABI || t->executor->kind == NULL)
            return xasprintf("executor `%s` has a descriptor of another version (%u; this dapt "
                             "reads %d): rebuild the plugin against this dapt",
                             t->path, (unsigned)t->executor->abi, DAPT_EXECUTOR_ABI);
        break;
    default:
        return xasprintf("target `%s` has the unknown kind %d: use DAPT_TARGET_STAGE, "
                         "DAPT_TARGET_ACTION or DAPT_TARGET_EXECUTOR",
                         t->path, (int)t->kind);
    }
    return NULL;
}

static int copy_targets(dapt_plugin_info *info, const dapt_plugin_desc *d, char **error)
{
    if (d->targets == NULL)
        return 0;
    for (size_t i = 0;; i++) {
        if (i == MAX_TARGETS) {
            *error = xasprintf("more than %d targets: does the table end with "
                               "DAPT_TARGET_END?",
                               MAX_TARGETS);
            return -1;
        }
        dapt_target t;
        read_target(&t, d, i);
        if (t.path == NULL)
            return 0;
        *error = target_problem(&t, i);
        if (*error != NULL)
            return -1;
        /* Linear: plugins declare tens of targets, and this runs once per
         * file change, in the scanner. */
        for (size_t k = 0; k < info->target_count; k++) {
            if (strcmp(info->targets[k].path, t.path) == 0) {
                *error = xasprintf("target `%s` is declared twice", t.path);
                return -1;
            }
        }
        info->targets = xrealloc(info->targets, info->target_count + 1, sizeof *info->targets);
        dapt_target_info *ti = &info->targets[info->target_count++];
        memset(ti, 0, sizeof *ti);
        ti->path = xstrdup(t.path);
        ti->kind = t.kind;
        ti->flags = t.flags & (DAPT_TARGET_VARARGS | DAPT_TARGET_KWARGS);
        ti->doc = dup_or_empty(t.doc);
        ti->returns = dup_or_empty(t.returns);
        if (copy_params(ti, d, &t, error) < 0)
            return -1;
    }
}

static void copy_requirements(dapt_plugin_info *info, const dapt_plugin_desc *d)
{
    if (d->requirements == NULL)
        return;
    for (size_t i = 0; i < MAX_REQUIREMENTS && d->requirements[i] != NULL; i++) {
        info->requirements =
            xrealloc(info->requirements, info->requirement_count + 1, sizeof(char *));
        info->requirements[info->requirement_count++] = xstrdup(d->requirements[i]);
    }
}

/* The sizes the plugin recorded are at least ABI 1.0's. */
static char *size_problem(const dapt_plugin_desc *d)
{
    static const struct {
        const char *field;
        size_t offset;
        size_t min;
    } sizes[] = {
        {"desc_size", offsetof(dapt_plugin_desc, desc_size), DESC_SIZE_1_0},
        {"target_size", offsetof(dapt_plugin_desc, target_size), TARGET_SIZE_1_0},
        {"param_size", offsetof(dapt_plugin_desc, param_size), PARAM_SIZE_1_0},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        uint16_t have;
        memcpy(&have, (const char *)d + sizes[i].offset, sizeof have);
        if (have < sizes[i].min)
            return xasprintf("malformed descriptor: its %s is %u bytes, less than ABI 1.0's "
                             "%zu: declare it with DAPT_PLUGIN() from <dapt/plugin.h>",
                             sizes[i].field, (unsigned)have, sizes[i].min);
    }
    return NULL;
}

/* The metadata strings, never NULL. */
static void copy_metadata(dapt_plugin_info *info, const dapt_plugin_desc *d)
{
    info->name = dup_or_empty(d->name);
    info->version = dup_or_empty(d->version);
    info->description = dup_or_empty(d->description);
    info->author = dup_or_empty(d->author);
    info->license = dup_or_empty(d->license);
    info->url = dup_or_empty(d->url);
    copy_requirements(info, d);
}

static void drop_targets(dapt_plugin_info *info);

/* Fill what the descriptor says, or return the first problem. */
static char *read_desc(dapt_plugin_info *info, const dapt_plugin_desc *d)
{
    info->abi_major = d->abi_major;
    info->abi_minor = d->abi_minor;
    char *why = abi_problem(d->abi_major, d->abi_minor);
    if (why == NULL)
        why = size_problem(d);
    if (why != NULL)
        return why;
    /* Our copy of the descriptor, zero past what the plugin was built with. */
    dapt_plugin_desc desc;
    read_struct(&desc, sizeof desc, d, d->desc_size);
    copy_metadata(info, &desc);
    if (desc.name == NULL || desc.name[0] == '\0')
        return xstrdup("descriptor has no name: give DAPT_PLUGIN() a .name");
    if (!plugin_name_valid(desc.name))
        return xasprintf("plugin name `%s` is not valid: use lowercase letters, digits and _, "
                         "not starting with a digit",
                         desc.name);
    if (copy_targets(info, &desc, &why) < 0)
        return why;
    return NULL;
}

int plugin_info_from_desc(dapt_plugin_info *info, const dapt_plugin_desc *desc)
{
    char *path = info->path, *data_dir = info->data_dir;
    dapt_file_id id = info->id;
    info->path = info->data_dir = NULL;
    plugin_info_clear(info);
    info->path = path;
    info->data_dir = data_dir;
    info->id = id;

    char *why = desc ? read_desc(info, desc) : xstrdup("no descriptor");
    if (info->name == NULL) {
        info->name = xstrdup("");
        info->version = xstrdup("");
        info->description = xstrdup("");
        info->author = xstrdup("");
        info->license = xstrdup("");
        info->url = xstrdup("");
    }
    if (why != NULL) {
        /* A broken plugin offers nothing to run. */
        drop_targets(info);
        plugin_info_broken(info, "%s", why);
        free(why);
        return -1;
    }
    info->status = DAPT_PLUGIN_OK;
    plugin_info_link(info);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Owning, copying, linking                                             */
/* ------------------------------------------------------------------ */

static void param_clear(dapt_param_info *p)
{
    free(p->name);
    free(p->type);
    free(p->default_json);
    free(p->doc);
}

static void target_clear(dapt_target_info *t)
{
    free(t->path);
    free(t->target);
    free(t->doc);
    free(t->returns);
    free(t->object);
    free(t->object_path);
    free(t->source);
    for (size_t i = 0; i < t->param_count; i++)
        param_clear(&t->params[i]);
    free(t->params);
}

static void drop_targets(dapt_plugin_info *info)
{
    for (size_t i = 0; i < info->target_count; i++)
        target_clear(&info->targets[i]);
    free(info->targets);
    info->targets = NULL;
    info->target_count = 0;
}

void plugin_info_clear(dapt_plugin_info *info)
{
    free(info->name);
    free(info->version);
    free(info->description);
    free(info->author);
    free(info->license);
    free(info->url);
    for (size_t i = 0; i < info->requirement_count; i++)
        free(info->requirements[i]);
    free(info->requirements);
    free(info->path);
    free(info->data_dir);
    free(info->error);
    free(info->interpreter);
    free(info->module);
    drop_targets(info);
    memset(info, 0, sizeof *info);
}

static char *dup_maybe(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void param_copy(dapt_param_info *dst, const dapt_param_info *src)
{
    dst->name = dup_maybe(src->name);
    dst->type = dup_maybe(src->type);
    dst->required = src->required;
    dst->keyword_only = src->keyword_only;
    dst->default_json = dup_maybe(src->default_json);
    dst->doc = dup_maybe(src->doc);
}

static void target_copy(dapt_target_info *dst, const dapt_target_info *src)
{
    *dst = *src;
    dst->path = dup_maybe(src->path);
    dst->target = dup_maybe(src->target);
    dst->doc = dup_maybe(src->doc);
    dst->returns = dup_maybe(src->returns);
    dst->object = dup_maybe(src->object);
    dst->object_path = dup_maybe(src->object_path);
    dst->source = dup_maybe(src->source);
    dst->params = src->param_count ? xcalloc(src->param_count, sizeof *dst->params) : NULL;
    for (size_t i = 0; i < src->param_count; i++)
        param_copy(&dst->params[i], &src->params[i]);
}

void plugin_info_copy(dapt_plugin_info *dst, const dapt_plugin_info *src)
{
    *dst = *src;
    dst->name = dup_maybe(src->name);
    dst->version = dup_maybe(src->version);
    dst->description = dup_maybe(src->description);
    dst->author = dup_maybe(src->author);
    dst->license = dup_maybe(src->license);
    dst->url = dup_maybe(src->url);
    dst->path = dup_maybe(src->path);
    dst->data_dir = dup_maybe(src->data_dir);
    dst->error = dup_maybe(src->error);
    dst->interpreter = dup_maybe(src->interpreter);
    dst->module = dup_maybe(src->module);
    dst->requirements =
        src->requirement_count ? xcalloc(src->requirement_count, sizeof(char *)) : NULL;
    for (size_t i = 0; i < src->requirement_count; i++)
        dst->requirements[i] = xstrdup(src->requirements[i]);
    dst->targets = src->target_count ? xcalloc(src->target_count, sizeof *dst->targets) : NULL;
    for (size_t i = 0; i < src->target_count; i++)
        target_copy(&dst->targets[i], &src->targets[i]);
    plugin_info_link(dst);
}

/* A Python target MODULE.PATH is the function PATH's last word in the
 * module MODULE.PATH-without-it: what the worker imports and calls. */
static void link_python(dapt_target_info *t, const char *module)
{
    const char *dot = t->path ? strrchr(t->path, '.') : NULL;
    free(t->object);
    free(t->object_path);
    t->object = dot ? xasprintf("%s.%.*s", module, (int)(dot - t->path), t->path)
                    : xstrdup(module);
    t->object_path = xstrdup(dot ? dot + 1 : t->path ? t->path : "");
}

void plugin_info_link(dapt_plugin_info *info)
{
    bool python = info->runtime == DAPT_RUNTIME_PYTHON && info->module != NULL;
    const char *prefix = python ? info->module : info->name ? info->name : "";
    for (size_t i = 0; i < info->target_count; i++) {
        dapt_target_info *t = &info->targets[i];
        t->plugin = info;
        free(t->target);
        t->target = xasprintf("%s.%s", prefix, t->path ? t->path : "");
        if (python)
            link_python(t, info->module);
    }
}

void plugin_info_broken(dapt_plugin_info *info, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *why = xvasprintf(fmt, ap);
    va_end(ap);
    free(info->error);
    info->error = why;
    info->status = DAPT_PLUGIN_BROKEN;
}

/* ------------------------------------------------------------------ */
/* JSON (ARCHITECTURE.md section 7)                                     */
/* ------------------------------------------------------------------ */

/* Plugin strings are not checked for UTF-8 when read; JSON needs it, so a
 * bad byte shows as '?' rather than losing the whole value. */
static json_t *string_or_null(const char *s)
{
    if (s == NULL)
        return json_null();
    json_t *v = json_string(s);
    if (v != NULL)
        return v;
    char *copy = xstrdup(s);
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    v = json_string(copy);
    free(copy);
    return v;
}

static json_t *param_to_json(const dapt_param_info *p)
{
    json_t *def = p->default_json ? json_loads(p->default_json, JSON_DECODE_ANY, NULL) : NULL;
    return json_pack("{s:o, s:o, s:b, s:o, s:o}", "name", string_or_null(p->name), "type",
                     string_or_null(p->type), "required", p->required, "default",
                     def ? def : json_null(), "doc", string_or_null(p->doc));
}

json_t *dapt_target_to_json(const dapt_target_info *target)
{
    json_t *params = json_array();
    for (size_t i = 0; i < target->param_count; i++)
        json_array_append_new(params, param_to_json(&target->params[i]));
    const char *name = target->target ? target->target : target->path;
    dapt_runtime runtime = target->plugin ? target->plugin->runtime : DAPT_RUNTIME_C;
    return json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:b, s:b, s:b, s:s, s:o}", "target",
                     string_or_null(name), "plugin",
                     string_or_null(target->plugin ? target->plugin->name : NULL), "kind",
                     dapt_target_kind_name(target->kind), "doc", string_or_null(target->doc),
                     "params", params, "returns", string_or_null(target->returns), "varargs",
                     (target->flags & DAPT_TARGET_VARARGS) != 0, "kwargs",
                     (target->flags & DAPT_TARGET_KWARGS) != 0, "async",
                     (target->flags & TARGET_ASYNC) != 0, "runtime", dapt_runtime_name(runtime),
                     "source", string_or_null(target->source));
}

json_t *dapt_plugin_to_json(const dapt_plugin_info *plugin)
{
    json_t *requirements = json_array();
    for (size_t i = 0; i < plugin->requirement_count; i++)
        json_array_append_new(requirements, json_string(plugin->requirements[i]));
    json_t *targets = json_array();
    for (size_t i = 0; i < plugin->target_count; i++)
        json_array_append_new(targets, dapt_target_to_json(&plugin->targets[i]));
    /* A plugin that could not be opened has no ABI to show. */
    json_t *abi = plugin->abi_major ? json_sprintf("%u.%u", plugin->abi_major, plugin->abi_minor)
                                    : json_null();
    json_t *out = json_object();
    json_object_set_new(out, "name", string_or_null(plugin->name));
    json_object_set_new(out, "runtime", json_string(dapt_runtime_name(plugin->runtime)));
    if (plugin->runtime == DAPT_RUNTIME_PYTHON) {
        json_object_set_new(out, "interpreter", string_or_null(plugin->interpreter));
        json_object_set_new(out, "module", string_or_null(plugin->module));
    }
    json_object_set_new(out, "version", string_or_null(plugin->version));
    json_object_set_new(out, "description", string_or_null(plugin->description));
    json_object_set_new(out, "author", string_or_null(plugin->author));
    json_object_set_new(out, "license", string_or_null(plugin->license));
    json_object_set_new(out, "url", string_or_null(plugin->url));
    json_object_set_new(out, "requirements", requirements);
    json_object_set_new(out, "path", string_or_null(plugin->path));
    json_object_set_new(out, "data_dir", string_or_null(plugin->data_dir));
    json_object_set_new(out, "status", json_string(dapt_plugin_status_name(plugin->status)));
    json_object_set_new(out, "error", string_or_null(plugin->error));
    json_object_set_new(out, "abi", abi);
    json_object_set_new(out, "targets", targets);
    return out;
}
