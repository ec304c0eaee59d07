/*
 * objstore.c - the object store of a run (catalog 3.11-3.13): cluster
 * memory, a {namespace: {key: value}} table held by the engine for the
 * store's life, and artifacts, folders ROOT/NAMESPACE/KEY/ holding the
 * value as JSON in `object` and metadata in `.artifact.json`.
 *
 * Strategies, as Flowdapt's:
 *   cluster_memory  memory only; errors propagate.
 *   artifact        artifacts only.
 *   fallback        put: memory (which cannot fail here); get and exists:
 *                   memory, then an artifact; delete: memory, and only when
 *                   the key is not there, the artifact (Flowdapt's quirk:
 *                   an artifact of the same key survives a delete that
 *                   found the key in memory).
 *
 * Keys and namespaces are names (^[A-Za-z0-9_-]+$), checked before any
 * use, so no request can reach a path outside ROOT.  Artifacts are
 * written to a temporary file, synced, then renamed over the old one: a
 * reader (another run, another process) sees the old value or the new,
 * never half of one.  Values are copied in and out, so no caller shares
 * a value with the store (nor with another thread).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

#define DEFAULT_NAMESPACE "default"
#define OBJECT_FILE "object"
#define META_FILE ".artifact.json"
/* How much of a refused name a message shows. */
#define SHOW_MAX 64

struct objstore {
    char *root; /* NULL: no artifacts */
    pthread_mutex_t mem_lock;
    json_t *memory;           /* {namespace: {key: value}} */
    pthread_mutex_t art_lock; /* one artifact operation at a time in this process */
};

typedef enum strategy {
    STRATEGY_FALLBACK,
    STRATEGY_MEMORY,
    STRATEGY_ARTIFACT,
} strategy;

static const char *const strategy_names[] = {
    [STRATEGY_FALLBACK] = DAPT_OBJECT_FALLBACK,
    [STRATEGY_MEMORY] = DAPT_OBJECT_CLUSTER_MEMORY,
    [STRATEGY_ARTIFACT] = DAPT_OBJECT_ARTIFACT,
};
#define STRATEGY_COUNT (sizeof strategy_names / sizeof strategy_names[0])

/* One request, checked. */
typedef struct objreq {
    const char *op;
    const char *key; /* NULL for clear */
    const char *ns;  /* NULL: every namespace (clear only) */
    strategy strategy;
    json_t *value; /* put; borrowed */
} objreq;

objstore *objstore_new(const char *artifact_root)
{
    objstore *os = xcalloc(1, sizeof *os);
    os->root = artifact_root ? xstrdup(artifact_root) : NULL;
    os->memory = json_object();
    pthread_mutex_init(&os->mem_lock, NULL);
    pthread_mutex_init(&os->art_lock, NULL);
    return os;
}

void objstore_free(objstore *os)
{
    if (os == NULL)
        return;
    json_decref(os->memory);
    pthread_mutex_destroy(&os->mem_lock);
    pthread_mutex_destroy(&os->art_lock);
    free(os->root);
    free(os);
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

static bool name_valid(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* A JSON rendering of a value for messages, cut short. */
static char *show(const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == NULL)
        return xstrdup("?");
    if (strlen(text) > SHOW_MAX) {
        size_t cut = SHOW_MAX - 3;
        while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
            cut--; /* on a UTF-8 boundary */
        memcpy(text + cut, "...", 4);
    }
    return text;
}

/* The name `field` ("key", "namespace") of a request.  0 with *out, or -1
 * with *error. */
static int name_field(const json_t *req, const char *field, const char *op, const char **out,
                      char **error)
{
    json_t *v = json_object_get(req, field);
    if (v == NULL || json_is_null(v)) {
        *error = xasprintf("`%s` is missing: %s needs the %s of an object", field, op, field);
        return -1;
    }
    if (!json_is_string(v)) {
        char *s = show(v);
        *error = xasprintf("`%s` must be a string, not %s", field, s);
        free(s);
        return -1;
    }
    const char *name = json_string_value(v);
    /* a NUL inside would hide the rest of the name from the check */
    if (!name_valid(name) || strlen(name) != json_string_length(v)) {
        char *s = show(v);
        *error = xasprintf("invalid %s %s: a %s is one or more letters, digits, `_` or `-` "
                           "(nothing that could make a path)",
                           field, s, field);
        free(s);
        return -1;
    }
    *out = name;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Cluster memory                                                      */
/* ------------------------------------------------------------------ */

/* The value of key in ns: a copy, or NULL when missing. */
static json_t *mem_get(objstore *os, const char *ns, const char *key)
{
    pthread_mutex_lock(&os->mem_lock);
    json_t *v = json_object_get(json_object_get(os->memory, ns), key);
    json_t *copy = v ? json_deep_copy(v) : NULL;
    pthread_mutex_unlock(&os->mem_lock);
    return copy;
}

static bool mem_exists(objstore *os, const char *ns, const char *key)
{
    pthread_mutex_lock(&os->mem_lock);
    bool there = json_object_get(json_object_get(os->memory, ns), key) != NULL;
    pthread_mutex_unlock(&os->mem_lock);
    return there;
}

/* Stores `copy` (stolen). */
static void mem_put(objstore *os, const char *ns, const char *key, json_t *copy)
{
    pthread_mutex_lock(&os->mem_lock);
    json_t *space = json_object_get(os->memory, ns);
    if (space == NULL) {
        space = json_object();
        json_object_set_new(os->memory, ns, space);
    }
    json_object_set_new(space, key, copy);
    pthread_mutex_unlock(&os->mem_lock);
}

/* Whether the key was there.  An emptied namespace goes too (Flowdapt). */
static bool mem_delete(objstore *os, const char *ns, const char *key)
{
    pthread_mutex_lock(&os->mem_lock);
    json_t *space = json_object_get(os->memory, ns);
    bool there = json_object_del(space, key) == 0;
    if (there && json_object_size(space) == 0)
        json_object_del(os->memory, ns);
    pthread_mutex_unlock(&os->mem_lock);
    return there;
}

/* One namespace, or all of them (ns NULL). */
static void mem_clear(objstore *os, const char *ns)
{
    pthread_mutex_lock(&os->mem_lock);
    if (ns)
        json_object_del(os->memory, ns);
    else
        json_object_clear(os->memory);
    pthread_mutex_unlock(&os->mem_lock);
}

/* ------------------------------------------------------------------ */
/* Artifacts                                                           */
/* ------------------------------------------------------------------ */

static int no_artifacts(char **error)
{
    *error = xstrdup("no artifact store: artifacts live in a workspace's .dapt/artifacts, and "
                     "this run has no workspace (use the strategy cluster_memory)");
    return -1;
}

/* Write `value` as JSON (and a newline) to DIR/NAME atomically.  0, or
 * -1 with errno and *what (the file that failed, caller frees). */
static int write_json(const char *dir, const char *name, const json_t *value, size_t flags,
                      char **what)
{
    char *text = json_dumps(value, flags | JSON_ENCODE_ANY);
    char *dst = xasprintf("%s/%s", dir, name);
    strbuf sb = {0};
    strbuf_puts(&sb, text ? text : "null");
    strbuf_putc(&sb, '\n');
    free(text);
    /* 0644: mkstemp's 0600 would hide it from the workspace's users */
    int rc = fs_write_atomic(dst, sb.buf, sb.len, 0644, true);
    strbuf_free(&sb);
    if (rc < 0)
        *what = dst;
    else
        free(dst);
    return rc;
}

/* A JSON file, not followed when it is a symbolic link; NULL when it
 * cannot be read. */
static json_t *load_json_nofollow(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    json_t *v = json_loadfd(fd, 0, NULL);
    close(fd);
    return v;
}

/* The artifact folders (ROOT, ROOT/NS, ROOT/NS/KEY) are not followed when
 * they are symbolic links: -1 with *error. */
static int art_no_symlinks(const objstore *os, const objreq *r, char **error)
{
    char *ns = xasprintf("%s/%s", os->root, r->ns);
    char *key = xasprintf("%s/%s", ns, r->key);
    char *why = NULL;
    int rc = fs_refuse_symlink(os->root, &why) < 0 || fs_refuse_symlink(ns, &why) < 0 ||
                     fs_refuse_symlink(key, &why) < 0
                 ? -1
                 : 0;
    if (rc < 0)
        *error = xasprintf("artifact `%s` in namespace `%s`: %s", r->key, r->ns, why);
    free(why);
    free(ns);
    free(key);
    return rc;
}

/* created_at of an artifact's existing metadata, or NULL. */
static char *meta_created_at(const char *dir)
{
    char *path = xasprintf("%s/%s", dir, META_FILE);
    json_t *meta = load_json_nofollow(path);
    free(path);
    const char *s = json_string_value(json_object_get(meta, "created_at"));
    char *out = s ? xstrdup(s) : NULL;
    json_decref(meta);
    return out;
}

static int art_put(objstore *os, const objreq *r, char **error)
{
    char *dir = xasprintf("%s/%s/%s", os->root, r->ns, r->key);
    char *what = NULL;
    if (art_no_symlinks(os, r, error) < 0) {
        free(dir);
        return -1;
    }
    int rc = 0;
    pthread_mutex_lock(&os->art_lock);
    if (fs_mkdir_p(dir, 0777) < 0) {
        what = xstrdup(dir);
        rc = -1;
    }
    if (rc == 0)
        rc = write_json(dir, OBJECT_FILE, r->value, JSON_COMPACT, &what);
    if (rc == 0) {
        char now[32];
        clock_iso(now, sizeof now, clock_now_us());
        char *created = meta_created_at(dir);
        json_t *meta =
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", r->key, "namespace", r->ns, "value_type",
                      "json", "created_at", created ? created : now, "updated_at", now);
        free(created);
        rc = write_json(dir, META_FILE, meta, JSON_INDENT(2), &what);
        json_decref(meta);
    }
    pthread_mutex_unlock(&os->art_lock);
    if (rc < 0)
        *error = xasprintf("cannot write artifact `%s` in namespace `%s`: %s: %s", r->key, r->ns,
                           what, strerror(errno));
    free(what);
    free(dir);
    return rc;
}

/* A Python value a Python stage stored as a pickle (its metadata says
 * value_type "pickle"): the reference Python stages resolve, as the
 * engine never unpickles.  NULL when the artifact holds JSON. */
static json_t *art_pickle_ref(const char *dir, const char *object_path)
{
    char *meta_path = xasprintf("%s/%s", dir, META_FILE);
    json_t *meta = load_json_nofollow(meta_path);
    free(meta_path);
    json_t *ref = NULL;
    const char *type = json_string_value(json_object_get(meta, "value_type"));
    if (type != NULL && strcmp(type, "pickle") == 0) {
        const char *pytype = json_string_value(json_object_get(meta, "type"));
        ref = json_pack("{s:s, s:s, s:s}", "$dapt_ref", "pickle", "path", object_path, "type",
                        pytype ? pytype : "");
    }
    json_decref(meta);
    return ref;
}

/* 1 with *value (new reference), 0 when there is no such artifact, -1
 * with *error. */
static int art_get(objstore *os, const objreq *r, json_t **value, char **error)
{
    char *dir = xasprintf("%s/%s/%s", os->root, r->ns, r->key);
    char *path = xasprintf("%s/%s", dir, OBJECT_FILE);
    if (art_no_symlinks(os, r, error) < 0) {
        free(path);
        free(dir);
        return -1;
    }
    pthread_mutex_lock(&os->art_lock);
    int rc = 1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
    if (fd >= 0 && f == NULL)
        close(fd);
    if (f != NULL && (*value = art_pickle_ref(dir, path)) != NULL) {
        fclose(f);
    } else if (f == NULL && (errno == ENOENT || errno == ENOTDIR)) {
        rc = 0;
    } else if (f == NULL && errno == ELOOP) {
        *error = xasprintf("cannot read artifact `%s` in namespace `%s`: %s is a symbolic link, "
                           "which dapt does not follow under .dapt/",
                           r->key, r->ns, path);
        rc = -1;
    } else if (f == NULL) {
        *error = xasprintf("cannot read artifact `%s` in namespace `%s`: %s: %s", r->key, r->ns,
                           path, strerror(errno));
        rc = -1;
    } else {
        json_error_t je;
        *value = json_loadf(f, JSON_DECODE_ANY, &je);
        if (*value == NULL) {
            *error = xasprintf("artifact `%s` in namespace `%s` is damaged: %s:%d:%d: %s", r->key,
                               r->ns, path, je.line, je.column, je.text);
            rc = -1;
        }
        fclose(f);
    }
    pthread_mutex_unlock(&os->art_lock);
    free(path);
    free(dir);
    return rc;
}

/* 1 when the artifact holds an object, 0 when not, -1 with *error. */
static int art_exists(objstore *os, const objreq *r, char **error)
{
    if (art_no_symlinks(os, r, error) < 0)
        return -1;
    char *path = xasprintf("%s/%s/%s/%s", os->root, r->ns, r->key, OBJECT_FILE);
    struct stat st;
    int rc = 1;
    if (lstat(path, &st) < 0) {
        rc = errno == ENOENT || errno == ENOTDIR ? 0 : -1;
        if (rc < 0)
            *error = xasprintf("cannot look for artifact `%s` in namespace `%s`: %s: %s", r->key,
                               r->ns, path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        rc = 0;
    }
    free(path);
    return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* rm -r without following symbolic links (a link is removed, not what it
 * points at).  0 (also when `path` does not exist), or -1 with errno. */
static int rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/* 1 when deleted, 0 when there was none, -1 with *error. */
static int art_delete(objstore *os, const objreq *r, char **error)
{
    char *ns_dir = xasprintf("%s/%s", os->root, r->ns);
    char *dir = xasprintf("%s/%s", ns_dir, r->key);
    pthread_mutex_lock(&os->art_lock);
    struct stat st;
    int rc = lstat(dir, &st) == 0 ? 1 : 0;
    if (rc == 1 && rm_tree(dir) < 0) {
        *error = xasprintf("cannot delete artifact `%s` in namespace `%s`: %s: %s", r->key, r->ns,
                           dir, strerror(errno));
        rc = -1;
    }
    if (rc == 1)
        rmdir(ns_dir); /* fails, as it should, while the namespace has others */
    pthread_mutex_unlock(&os->art_lock);
    free(dir);
    free(ns_dir);
    return rc;
}

/* The namespace's folder, or every namespace's (ns NULL). */
static int art_clear(objstore *os, const char *ns, char **error)
{
    int rc = 0;
    char *failed = NULL;
    pthread_mutex_lock(&os->art_lock);
    if (ns != NULL) {
        char *dir = xasprintf("%s/%s", os->root, ns);
        if (rm_tree(dir) < 0)
            failed = dir;
        else
            free(dir);
    } else {
        DIR *d = opendir(os->root);
        struct dirent *e;
        while (d != NULL && failed == NULL && (e = readdir(d)) != NULL) {
            if (!name_valid(e->d_name)) /* ".", "..", and nothing of ours */
                continue;
            char *dir = xasprintf("%s/%s", os->root, e->d_name);
            if (rm_tree(dir) < 0)
                failed = dir;
            else
                free(dir);
        }
        if (d == NULL && errno != ENOENT)
            failed = xstrdup(os->root);
        int saved = errno;
        if (d)
            closedir(d);
        errno = saved;
    }
    if (failed) {
        *error = xasprintf("cannot clear artifacts: %s: %s", failed, strerror(errno));
        rc = -1;
    }
    pthread_mutex_unlock(&os->art_lock);
    free(failed);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */
/* ------------------------------------------------------------------ */

/* "no object `k` in namespace `ns` (cluster memory, artifacts)": where
 * it was looked for. */
static int missing(const objstore *os, const objreq *r, char **error)
{
    const char *where = "cluster memory, artifacts";
    if (r->strategy == STRATEGY_MEMORY || (r->strategy == STRATEGY_FALLBACK && os->root == NULL))
        where = "cluster memory";
    else if (r->strategy == STRATEGY_ARTIFACT)
        where = "artifacts";
    *error = xasprintf("no object `%s` in namespace `%s` (%s)", r->key, r->ns, where);
    return -1;
}

static bool uses_memory(strategy s)
{
    return s != STRATEGY_ARTIFACT;
}

/* Whether the strategy looks at artifacts; -1 (with *error) when it needs
 * them and there are none. */
static int uses_artifacts(const objstore *os, strategy s, char **error)
{
    if (s == STRATEGY_MEMORY)
        return 0;
    if (os->root != NULL)
        return 1;
    return s == STRATEGY_ARTIFACT ? no_artifacts(error) : 0;
}

static int op_put(objstore *os, const objreq *r, json_t **reply, char **error)
{
    if (r->strategy == STRATEGY_ARTIFACT) {
        if (os->root == NULL)
            return no_artifacts(error);
        if (art_put(os, r, error) < 0)
            return -1;
    } else {
        /* fallback: memory, which cannot fail here */
        mem_put(os, r->ns, r->key, json_deep_copy(r->value));
    }
    *reply = json_true();
    return 0;
}

static int op_get(objstore *os, const objreq *r, json_t **reply, char **error)
{
    if (uses_memory(r->strategy) && (*reply = mem_get(os, r->ns, r->key)) != NULL)
        return 0;
    int art = uses_artifacts(os, r->strategy, error);
    if (art < 0)
        return -1;
    int rc = art ? art_get(os, r, reply, error) : 0;
    if (rc < 0)
        return -1;
    return rc == 1 ? 0 : missing(os, r, error);
}

static int op_exists(objstore *os, const objreq *r, json_t **reply, char **error)
{
    bool there = uses_memory(r->strategy) && mem_exists(os, r->ns, r->key);
    if (!there) {
        int art = uses_artifacts(os, r->strategy, error);
        int rc = art > 0 ? art_exists(os, r, error) : art;
        if (rc < 0)
            return -1;
        there = rc == 1;
    }
    *reply = json_boolean(there);
    return 0;
}

static int op_delete(objstore *os, const objreq *r, json_t **reply, char **error)
{
    if (uses_memory(r->strategy) && mem_delete(os, r->ns, r->key)) {
        *reply = json_true();
        return 0;
    }
    int art = uses_artifacts(os, r->strategy, error);
    int rc = art > 0 ? art_delete(os, r, error) : art;
    if (rc < 0)
        return -1;
    if (rc == 0)
        return missing(os, r, error);
    *reply = json_true();
    return 0;
}

/* Everything in a namespace, or in every namespace when none is given. */
static int op_clear(objstore *os, const objreq *r, json_t **reply, char **error)
{
    int art = uses_artifacts(os, r->strategy, error);
    if (art < 0 || (art > 0 && art_clear(os, r->ns, error) < 0))
        return -1;
    if (uses_memory(r->strategy))
        mem_clear(os, r->ns);
    *reply = json_true();
    return 0;
}

typedef int (*op_fn)(objstore *os, const objreq *r, json_t **reply, char **error);

static const struct {
    const char *name;
    op_fn fn;
    bool keyed; /* takes a key (and one namespace) */
} ops[] = {
    {"put", op_put, true},       {"get", op_get, true},      {"delete", op_delete, true},
    {"exists", op_exists, true}, {"clear", op_clear, false},
};
#define OP_COUNT (sizeof ops / sizeof ops[0])

static int parse_strategy(const json_t *req, strategy *out, char **error)
{
    json_t *v = json_object_get(req, "strategy");
    *out = STRATEGY_FALLBACK; /* Flowdapt's default_os_strategy */
    if (v == NULL || json_is_null(v))
        return 0;
    for (size_t i = 0; json_is_string(v) && i < STRATEGY_COUNT; i++) {
        if (strcmp(json_string_value(v), strategy_names[i]) == 0) {
            *out = (strategy)i;
            return 0;
        }
    }
    char *s = show(v);
    *error =
        xasprintf("unknown object store strategy %s: use fallback, cluster_memory or artifact", s);
    free(s);
    return -1;
}

int objstore_request(objstore *os, json_t *request, json_t **reply, char **error)
{
    *reply = NULL;
    *error = NULL;
    if (!json_is_object(request)) {
        *error = xstrdup("an object store request must be an object {op, key, namespace, "
                         "strategy, value}");
        return -1;
    }
    json_t *op = json_object_get(request, "op");
    size_t i = 0;
    while (i < OP_COUNT && !(json_is_string(op) && strcmp(json_string_value(op), ops[i].name) == 0))
        i++;
    if (i == OP_COUNT) {
        /* Flowdapt's words, with the operation as given */
        char *s = json_is_string(op) ? xstrdup(json_string_value(op)) : show(op ? op : json_null());
        *error = xasprintf("Invalid operation: %s", s);
        free(s);
        return -1;
    }
    objreq r = {.op = ops[i].name};
    if (parse_strategy(request, &r.strategy, error) < 0)
        return -1;
    json_t *ns = json_object_get(request, "namespace");
    if (ns == NULL || json_is_null(ns))
        r.ns = ops[i].keyed ? DEFAULT_NAMESPACE : NULL;
    else if (name_field(request, "namespace", r.op, &r.ns, error) < 0)
        return -1;
    if (ops[i].keyed && name_field(request, "key", r.op, &r.key, error) < 0)
        return -1;
    if (ops[i].fn == op_put && (r.value = json_object_get(request, "value")) == NULL) {
        *error = xstrdup("`value` is missing: put needs the value to store (null for none)");
        return -1;
    }
    return ops[i].fn(os, &r, reply, error);
}
