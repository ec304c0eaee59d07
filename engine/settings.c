/*
 * settings.c - dapt's own configuration (Flowdapt's flowdapt.yaml): the
 * user's $XDG_CONFIG_HOME/dapt/config.yaml, then the workspace's dapt.yaml
 * over it, then DAPT__A__B=value environment variables over both, as
 * Flowdapt's FLOWDAPT__A__B.  The result is one JSON object; what its keys
 * mean is for the parts that read them (settings_get).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

extern char **environ;

/* What separates the levels of a variable's name, and what starts it. */
#define ENV_PREFIX "DAPT__"
#define ENV_SEP "__"

json_t *settings_get(const json_t *settings, const char *path)
{
    /* json_object_getn is jansson 2.14; configure accepts 2.13 */
    char *copy = xstrdup(path);
    const json_t *cur = settings;
    for (char *seg = copy, *dot; cur != NULL; seg = dot + 1) {
        dot = strchr(seg, '.');
        if (dot)
            *dot = '\0';
        cur = json_is_object(cur) ? json_object_get(cur, seg) : NULL;
        if (dot == NULL)
            break;
    }
    free(copy);
    return (json_t *)cur;
}

void settings_merge(json_t *base, const json_t *over)
{
    const char *key;
    json_t *v;
    /* jansson's iteration macro takes a non-const object */
    json_object_foreach((json_t *)over, key, v)
    {
        json_t *old = json_object_get(base, key);
        if (json_is_object(old) && json_is_object(v))
            settings_merge(old, v);
        else /* a copy: later merges into base must not change `over` */
            json_object_set_new(base, key, json_deep_copy(v));
    }
}

/* ------------------------------------------------------------------ */
/* DAPT__A__B=value                                                    */
/* ------------------------------------------------------------------ */

static int env_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The value of a variable: JSON when it parses as JSON (true, 3, 1.5,
 * null, "text", [1, 2], {"a": 1}), else the text itself. */
static json_t *env_value(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(text);
}

/* Set the lowercased path of NAME (the part after DAPT__, up to '=') to
 * `value` (stolen).  Levels that are not objects become objects.  A name
 * with an empty level (DAPT__A____B, a trailing __) is ignored. */
static void env_set(json_t *settings, const char *name, size_t len, json_t *value)
{
    char *path = xstrndup(name, len);
    for (char *c = path; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    /* cut into levels first: nothing is set for a name that is wrong */
    size_t n = 0, cap = 4;
    char **levels = xcalloc(cap, sizeof *levels);
    bool ok = true;
    for (char *seg = path;;) {
        char *sep = strstr(seg, ENV_SEP);
        if (sep)
            *sep = '\0';
        ok = ok && *seg != '\0';
        if (n == cap)
            levels = xrealloc(levels, cap *= 2, sizeof *levels);
        levels[n++] = seg;
        if (sep == NULL)
            break;
        seg = sep + strlen(ENV_SEP);
    }
    json_t *cur = settings;
    for (size_t i = 0; ok && i + 1 < n; i++) {
        json_t *next = json_object_get(cur, levels[i]);
        if (!json_is_object(next)) {
            next = json_object();
            json_object_set_new(cur, levels[i], next);
        }
        cur = next;
    }
    if (ok)
        json_object_set(cur, levels[n - 1], value);
    json_decref(value);
    free(levels);
    free(path);
}

void settings_apply_env(json_t *settings, char *const *env)
{
    size_t n = 0;
    for (size_t i = 0; env && env[i]; i++)
        n += strncmp(env[i], ENV_PREFIX, strlen(ENV_PREFIX)) == 0;
    if (n == 0)
        return;
    char **vars = xcalloc(n, sizeof *vars);
    n = 0;
    for (size_t i = 0; env[i]; i++)
        if (strncmp(env[i], ENV_PREFIX, strlen(ENV_PREFIX)) == 0)
            vars[n++] = env[i];
    /* Sorted, so the outcome does not depend on the environment's order,
     * and DAPT__A (an object) comes before DAPT__A__B refines it ('=' sorts
     * before '_'). */
    qsort(vars, n, sizeof *vars, env_compare);
    for (size_t i = 0; i < n; i++) {
        const char *name = vars[i] + strlen(ENV_PREFIX);
        const char *eq = strchr(name, '=');
        if (eq == NULL)
            continue;
        json_t *value = env_value(eq + 1);
        if (value != NULL) /* NULL: the text is not UTF-8 */
            env_set(settings, name, (size_t)(eq - name), value);
    }
    free(vars);
}

/* ------------------------------------------------------------------ */
/* The files                                                           */
/* ------------------------------------------------------------------ */

/* The whole of a regular file.  1 with *buf, 0 when it does not exist,
 * -1 with *cause. */
static int read_file(const char *path, char **buf, size_t *len, char **cause)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        *cause = xasprintf("cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        *cause = xstrdup("cannot read: not a regular file");
        close(fd);
        return -1;
    }
    strbuf sb = {0};
    char chunk[16384];
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            *cause = xasprintf("cannot read: %s", strerror(errno));
            strbuf_free(&sb);
            close(fd);
            return -1;
        }
        if (got == 0)
            break;
        strbuf_add(&sb, chunk, (size_t)got);
    }
    close(fd);
    *len = sb.len;
    *buf = sb.buf ? strbuf_detach(&sb) : xstrdup("");
    return 1;
}

/* Merge the settings of one YAML file into `settings`.  A missing file is
 * no settings; problems go to diags. */
static void settings_load_file(json_t *settings, const char *path, dapt_diags *diags)
{
    char *buf = NULL, *cause = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len, &cause);
    if (rc <= 0) {
        if (rc < 0)
            dapt_diags_add(diags, path, (dapt_pos){0, 0}, DAPT_SEV_ERROR, "%s", cause);
        free(cause);
        return;
    }
    ydocs docs;
    if (ynode_parse(&docs, path, buf, len, diags) == 0) {
        const ydoc *first = NULL;
        for (size_t i = 0; i < docs.count; i++) {
            const ynode *root = docs.docs[i].root;
            if (root == NULL || ynode_is_null(root))
                continue; /* comments only, or a trailing --- */
            if (first != NULL) {
                dapt_diags_add(diags, path, docs.docs[i].pos, DAPT_SEV_ERROR,
                               "settings are one document: remove this `---` and what follows, "
                               "or merge it into the first document");
                break;
            }
            first = &docs.docs[i];
        }
        if (first != NULL && first->root->type != YNODE_MAP) {
            dapt_diags_add(diags, path, first->root->pos, DAPT_SEV_ERROR,
                           "settings must be a mapping, e.g. `services: {compute: {executor: "
                           "{use_processes: false}}}`, not %s",
                           ynode_describe(first->root));
        } else if (first != NULL) {
            json_t *j = ynode_to_json(first->root, "the settings", path, diags);
            if (j != NULL)
                settings_merge(settings, j);
            json_decref(j);
        }
    }
    ynode_docs_free(&docs);
    free(buf);
}

/* $XDG_CONFIG_HOME/dapt/config.yaml (a relative $XDG_CONFIG_HOME is
 * ignored, as the XDG spec says), or NULL when there is no home. */
static char *settings_user_file(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    if (xdg && xdg[0] == '/')
        return xasprintf("%s/dapt/config.yaml", xdg);
    const char *home = getenv("HOME");
    if (home == NULL || *home == '\0') {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    return home && *home ? xasprintf("%s/.config/dapt/config.yaml", home) : NULL;
}

int dapt_settings_load(json_t **out, const char *workspace, dapt_diags *diags)
{
    size_t errors_before = dapt_diags_count(diags, DAPT_SEV_ERROR);
    json_t *settings = json_object();
    char *user = settings_user_file();
    if (user != NULL)
        settings_load_file(settings, user, diags);
    free(user);
    if (workspace != NULL) {
        char *file = xasprintf("%s/dapt.yaml", workspace);
        settings_load_file(settings, file, diags);
        free(file);
    }
    settings_apply_env(settings, environ);
    *out = settings;
    return dapt_diags_count(diags, DAPT_SEV_ERROR) == errors_before ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Where a setting comes from                                          */
/* ------------------------------------------------------------------ */

/* The key node of `path` ("a.b.c") in the first document of `file`, or
 * of the deepest level of it the file has; its position in *pos.  false
 * when the file does not have even the first level. */
static bool file_key_pos(const char *file, const char *path, dapt_pos *pos)
{
    char *buf = NULL, *cause = NULL;
    size_t len = 0;
    int rc = read_file(file, &buf, &len, &cause);
    free(cause);
    if (rc <= 0)
        return false;
    ydocs docs;
    dapt_diags diags;
    dapt_diags_init(&diags);
    bool found = false;
    if (ynode_parse(&docs, file, buf, len, &diags) == 0 && docs.count > 0) {
        const ynode *map = docs.docs[0].root;
        char *copy = xstrdup(path);
        for (char *seg = copy, *dot; map != NULL; seg = dot + 1) {
            dot = strchr(seg, '.');
            if (dot)
                *dot = '\0';
            const ynode *key = ynode_key(map, seg);
            if (key == NULL)
                break;
            *pos = key->pos;
            found = true;
            map = ynode_get(map, seg);
            if (dot == NULL)
                break;
        }
        free(copy);
    }
    ynode_docs_free(&docs);
    dapt_diags_free(&diags);
    free(buf);
    return found;
}

/* The variable DAPT__A__B for the path "a.b" (caller frees). */
static char *env_name(const char *path, size_t n)
{
    strbuf sb = {0};
    strbuf_puts(&sb, ENV_PREFIX);
    for (size_t i = 0; i < n; i++) {
        char c = path[i];
        if (c == '.')
            strbuf_puts(&sb, ENV_SEP);
        else
            strbuf_putc(&sb, (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
    }
    return strbuf_detach(&sb);
}

char *settings_where(const char *workspace, const char *path)
{
    /* a variable wins: the one for the path, or for a level above it */
    for (size_t n = strlen(path); n > 0; n--) {
        if (path[n] != '\0' && path[n] != '.')
            continue;
        char *var = env_name(path, n);
        const char *v = getenv(var);
        if (v != NULL) {
            char *s = xasprintf("$%s", var);
            free(var);
            return s;
        }
        free(var);
    }
    char *files[2] = {workspace ? xasprintf("%s/dapt.yaml", workspace) : NULL,
                      settings_user_file()};
    char *where = NULL;
    for (size_t i = 0; i < 2 && where == NULL; i++) {
        dapt_pos pos;
        if (files[i] != NULL && file_key_pos(files[i], path, &pos))
            where = xasprintf("%s:%d:%d", files[i], pos.line, pos.column);
    }
    free(files[0]);
    free(files[1]);
    return where;
}

char *settings_locate_error(const char *workspace, const char *error)
{
    const char *colon = strstr(error, ": ");
    if (colon == NULL || strncmp(error, "services.", 9) != 0)
        return xstrdup(error);
    char *path = xstrndup(error, (size_t)(colon - error));
    char *where = settings_where(workspace, path);
    free(path);
    char *s = where ? xasprintf("%s: %s", where, error) : xstrdup(error);
    free(where);
    return s;
}
