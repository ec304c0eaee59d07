/*
 * registry.c - discovery: every plugin on the search path, and target
 * resolution.
 *
 * Opening the registry lists the plugin folders in search order
 * (ARCHITECTURE.md section 5), decides for each NAME.so what can be decided
 * without running it (shadowed by an earlier NAME.so, a bad file name,
 * writable by others or owned by a stranger, unreadable), takes what the
 * cache knows about the rest, and hands only the new or changed files to
 * one scanner subprocess.  Security and shadowing depend on the file's
 * surroundings, not its contents, so they are decided on every start and
 * never cached; the cache holds only what loading the file told us.
 *
 * A warm start therefore costs a readdir per folder, a stat per file and
 * a hash lookup: no plugin code runs and nothing is copied (cached entries
 * borrow the cache's buffer, which the registry keeps).
 *
 * The plugins of a runtime row with a discovery of its own (runtime.c's
 * table: Python's, python.c) come after the C search path, as entries of
 * the same list: shadowed by an earlier name (of either runtime), checked
 * for trust, looked up in the same cache under their own keys, and
 * described by the row (the Python scanner) when the cache does not know
 * them.  A
 * Python target is found through the module table (MODULE -> entry); one
 * in a package without an entry point is described on demand into an
 * entry of its own kept in `extra` (never moved: targets handed out stay
 * valid).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "engine.h"

/* Where a dapt that runs from its build tree, not installed, finds the
 * plugins built with it (staged by plugins/local.mk). */
#ifndef DAPT_BUILD_PLUGINDIR
#define DAPT_BUILD_PLUGINDIR "/nonexistent"
#endif
#ifndef DAPT_SYSTEM_PLUGINDIR
#define DAPT_SYSTEM_PLUGINDIR "/usr/local/lib/dapt/plugins"
#endif

#define DEFAULT_SCAN_TIMEOUT_MS 10000
/* The plugin name of the workspace's user_modules/ folder. */
#define USER_MODULES_NAME "user_modules"
/* How many names a "known plugins: ..." list shows. */
#define LIST_MAX 8

typedef struct entry {
    dapt_plugin_info info;
    /* info's strings and arrays belong to the cache (plugin_cache_take),
     * except data_dir, which is always ours */
    bool borrowed;
    /* info holds a fresh scan result, to be written to the cache */
    bool scanned;
    /* still to be looked up in the cache or scanned */
    bool pending;
    /* where its targets start in the registry's per-plugin runs (ok only) */
    size_t first_target;
    /* Python: the cache key (NULL: the path, as for C), the distribution
     * folder (NULL: described on demand), the one target described on
     * demand (NULL: all) */
    char *key;
    char *dist_dir;
    char *only;
} entry;

/* An open-addressing table of entry or target indexes (index + 1; 0 is
 * empty), keyed by a string an accessor returns for an index. */
typedef const char *(*key_fn)(const void *ctx, size_t i);
typedef struct table {
    size_t *slots;
    size_t mask, used;
    key_fn key;
    const void *ctx;
} table;

struct dapt_registry {
    char **dirs;
    size_t dir_count;
    entry *entries; /* in search order */
    size_t count, cap;
    table names;         /* name -> the first entry with that name */
    plugin_cache *cache; /* borrowed entries point into it */
    /* usable plugins' targets: each plugin's are a run, sorted by path,
     * which resolution searches; `targets` is the same array when that
     * order is the order of target strings, else a sorted copy */
    const dapt_target_info **runs;
    const dapt_target_info **targets;
    size_t target_count;
    table modules; /* module -> its ok entry (plugins whose targets are MODULE.PATH) */
    uid_t euid;
    dapt_registry_stats stats;
    /* each runtime row's discovery state (NULL: no discovery, or off),
     * kept for targets described on demand */
    void *runtimes[RUNTIME_COUNT];
    bool insecure;
    int scan_timeout_ms;
    char *cache_path;
    entry **extra;
    size_t extra_count;
};

/* ------------------------------------------------------------------ */
/* Hash tables                                                         */
/* ------------------------------------------------------------------ */

static void table_init(table *t, size_t count, key_fn key, const void *ctx)
{
    size_t size = 16;
    while (size < count * 2)
        size *= 2;
    t->slots = xcalloc(size, sizeof *t->slots);
    t->mask = size - 1;
    t->used = 0;
    t->key = key;
    t->ctx = ctx;
}

/* The slot of `k`: where it is, or the empty one where it would go. */
static size_t table_slot(const table *t, const char *k)
{
    size_t h = hash_bytes(k, strlen(k)) & t->mask;
    while (t->slots[h] != 0 && strcmp(t->key(t->ctx, t->slots[h] - 1), k) != 0)
        h = (h + 1) & t->mask;
    return h;
}

/* The index stored under `k`, or (size_t)-1. */
static size_t table_find(const table *t, const char *k)
{
    size_t h = table_slot(t, k);
    return t->slots[h] != 0 ? t->slots[h] - 1 : (size_t)-1;
}

/* Store `index` under its key unless the key is there: returns the index
 * already there, or (size_t)-1 when it was added.  Grows at half full. */
static size_t table_insert(table *t, size_t index)
{
    if ((t->used + 1) * 2 > t->mask + 1) {
        table old = *t;
        table_init(t, (old.mask + 1), old.key, old.ctx);
        for (size_t i = 0; i <= old.mask; i++)
            if (old.slots[i] != 0)
                t->slots[table_slot(t, t->key(t->ctx, old.slots[i] - 1))] = old.slots[i];
        t->used = old.used;
        free(old.slots);
    }
    size_t h = table_slot(t, t->key(t->ctx, index));
    if (t->slots[h] != 0)
        return t->slots[h] - 1;
    t->slots[h] = index + 1;
    t->used++;
    return (size_t)-1;
}

static const char *entry_name(const void *ctx, size_t i)
{
    return ((const dapt_registry *)ctx)->entries[i].info.name;
}

static const char *entry_key_of(const entry *e)
{
    return e->key ? e->key : e->info.path;
}

static const char *entry_key(const void *ctx, size_t i)
{
    return entry_key_of(&((const dapt_registry *)ctx)->entries[i]);
}

static const char *entry_module(const void *ctx, size_t i)
{
    return ((const dapt_registry *)ctx)->entries[i].info.module;
}

/* ------------------------------------------------------------------ */
/* The search path                                                     */
/* ------------------------------------------------------------------ */

static char *home_dir(void)
{
    const char *home = getenv("HOME");
    if (home && *home)
        return xstrdup(home);
    struct passwd *pw = getpwuid(getuid());
    return pw && pw->pw_dir ? xstrdup(pw->pw_dir) : NULL;
}

/* $VAR when set to an absolute path (the XDG rule), else ~/FALLBACK. */
static char *xdg_dir(const char *var, const char *fallback)
{
    const char *v = getenv(var);
    if (v && v[0] == '/')
        return xstrdup(v);
    char *home = home_dir();
    if (home == NULL)
        return NULL;
    char *dir = xasprintf("%s/%s", home, fallback);
    free(home);
    return dir;
}

/* Absolute, without trailing slashes: paths are shown and compared. */
static char *normalize_dir(const char *dir)
{
    char *abs;
    if (dir[0] == '/') {
        abs = xstrdup(dir);
    } else {
        while (dir[0] == '.' && dir[1] == '/') /* "./x": x, for readable paths */
            for (dir += 2; *dir == '/'; dir++)
                ;
        char *cwd = getcwd(NULL, 0);
        abs = xasprintf("%s/%s", cwd ? cwd : ".", dir);
        free(cwd);
    }
    size_t n = strlen(abs);
    while (n > 1 && abs[n - 1] == '/')
        abs[--n] = '\0';
    return abs;
}

static void add_dir(dapt_registry *reg, const char *dir)
{
    char *norm = normalize_dir(dir);
    for (size_t i = 0; i < reg->dir_count; i++) {
        if (strcmp(reg->dirs[i], norm) == 0) {
            free(norm);
            return;
        }
    }
    reg->dirs = xrealloc(reg->dirs, reg->dir_count + 2, sizeof *reg->dirs);
    reg->dirs[reg->dir_count++] = norm;
    reg->dirs[reg->dir_count] = NULL;
}

/* Colon separated; empty parts are skipped. */
static void add_dir_list(dapt_registry *reg, const char *list)
{
    while (list && *list) {
        const char *colon = strchr(list, ':');
        size_t n = colon ? (size_t)(colon - list) : strlen(list);
        if (n > 0) {
            char *dir = xstrndup(list, n);
            add_dir(reg, dir);
            free(dir);
        }
        list = colon ? colon + 1 : NULL;
    }
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void search_path(dapt_registry *reg, const dapt_registry_options *opts)
{
    add_dir_list(reg, opts->plugin_path ? opts->plugin_path : getenv("DAPT_PLUGIN_PATH"));
    if (opts->workspace) {
        char *dir = xasprintf("%s/.dapt/plugins", opts->workspace);
        add_dir(reg, dir);
        free(dir);
    }
    char *user = xdg_dir("XDG_DATA_HOME", ".local/share");
    if (user) {
        char *dir = xasprintf("%s/dapt/plugins", user);
        add_dir(reg, dir);
        free(dir);
        free(user);
    }
    const char *system = opts->system_path;
    if (system == NULL)
        system = getenv("DAPT_PLUGIN_SYSTEM_PATH");
    if (system == NULL && !is_dir(DAPT_SYSTEM_PLUGINDIR) && is_dir(DAPT_BUILD_PLUGINDIR))
        system = DAPT_BUILD_PLUGINDIR; /* an uninstalled dapt: its own build tree */
    add_dir_list(reg, system ? system : DAPT_SYSTEM_PLUGINDIR);
}

static char *cache_file(const dapt_registry_options *opts)
{
    if (opts->cache_file)
        return opts->cache_file[0] ? xstrdup(opts->cache_file) : NULL;
    char *base = xdg_dir("XDG_CACHE_HOME", ".cache");
    if (base == NULL)
        return NULL;
    char *file = xasprintf("%s/dapt/plugins.cache", base);
    free(base);
    return file;
}

static bool env_true(const char *var)
{
    const char *v = getenv(var);
    return v && *v && strcmp(v, "0") != 0;
}

static int scan_timeout(const dapt_registry_options *opts)
{
    if (opts->scan_timeout_ms > 0)
        return opts->scan_timeout_ms;
    const char *v = getenv("DAPT_PLUGIN_SCAN_TIMEOUT");
    if (v && *v) {
        char *end;
        long ms = strtol(v, &end, 10);
        if (*end == '\0' && ms > 0 && ms <= 24L * 3600 * 1000)
            return (int)ms;
    }
    return DEFAULT_SCAN_TIMEOUT_MS;
}

/* ------------------------------------------------------------------ */
/* Security (OpenSSH's StrictModes)                                    */
/* ------------------------------------------------------------------ */

/* Whether we may read the file, from the stat we already have when we
 * can (the owner is us or root here unless insecure files are accepted). */
static bool readable(const char *path, const struct stat *st, uid_t euid)
{
    if (euid == 0)
        return true;
    if (st->st_uid == euid)
        return (st->st_mode & S_IRUSR) != 0;
    return access(path, R_OK) == 0;
}

/* ------------------------------------------------------------------ */
/* Entries                                                             */
/* ------------------------------------------------------------------ */

static entry *entry_add(dapt_registry *reg, char *path, char *name)
{
    if (reg->count == reg->cap) {
        reg->cap = reg->cap ? reg->cap * 2 : 32;
        reg->entries = xrealloc(reg->entries, reg->cap, sizeof *reg->entries);
    }
    entry *e = &reg->entries[reg->count++];
    memset(e, 0, sizeof *e);
    e->info.path = path;
    e->info.name = name;
    return e;
}

/* An entry decided without loading it: every string set, as for a plugin
 * the scanner found broken. */
static void entry_fill_empty(entry *e)
{
    char **strings[] = {&e->info.version, &e->info.description, &e->info.author, &e->info.license,
                        &e->info.url};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if (*strings[i] == NULL)
            *strings[i] = xstrdup("");
    e->pending = false;
}

static void entry_broken(entry *e, char *reason)
{
    entry_fill_empty(e);
    plugin_info_broken(&e->info, "%s", reason);
    free(reason);
}

static void entry_clear(entry *e)
{
    if (e->borrowed)
        free(e->info.data_dir);
    else
        plugin_info_clear(&e->info);
    free(e->key);
    free(e->dist_dir);
    free(e->only);
}

/* ------------------------------------------------------------------ */
/* Listing a folder                                                    */
/* ------------------------------------------------------------------ */

typedef struct dirent_rec {
    char *name;
    unsigned char type; /* d_type */
} dirent_rec;

typedef struct listing {
    dirent_rec *files; /* NAME.so, sorted */
    size_t nfiles;
    dirent_rec *subdirs; /* what may be a data folder, sorted */
    size_t nsubdirs;
} listing;

static int rec_cmp(const void *a, const void *b)
{
    return strcmp(((const dirent_rec *)a)->name, ((const dirent_rec *)b)->name);
}

static void rec_add(dirent_rec **v, size_t *n, const char *name, unsigned char type)
{
    if ((*n & (*n - 1)) == 0) /* grow at powers of two */
        *v = xrealloc(*v, *n ? *n * 2 : 8, sizeof **v);
    (*v)[*n].name = xstrdup(name);
    (*v)[*n].type = type;
    (*n)++;
}

static bool is_plugin_file_name(const char *name)
{
    size_t n = strlen(name);
    /* dot files are editors' and installers' temporary files */
    return n > 3 && name[0] != '.' && strcmp(name + n - 3, ".so") == 0;
}

/* 0, or -1 with errno when the folder cannot be read. */
static int list_dir(listing *l, const char *dir)
{
    memset(l, 0, sizeof *l);
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (is_plugin_file_name(de->d_name))
            rec_add(&l->files, &l->nfiles, de->d_name, de->d_type);
        else if (de->d_name[0] != '.' &&
                 (de->d_type == DT_DIR || de->d_type == DT_LNK || de->d_type == DT_UNKNOWN))
            rec_add(&l->subdirs, &l->nsubdirs, de->d_name, de->d_type);
    }
    closedir(d);
    if (l->nfiles)
        qsort(l->files, l->nfiles, sizeof *l->files, rec_cmp);
    if (l->nsubdirs)
        qsort(l->subdirs, l->nsubdirs, sizeof *l->subdirs, rec_cmp);
    return 0;
}

static void listing_free(listing *l)
{
    for (size_t i = 0; i < l->nfiles; i++)
        free(l->files[i].name);
    for (size_t i = 0; i < l->nsubdirs; i++)
        free(l->subdirs[i].name);
    free(l->files);
    free(l->subdirs);
}

/* DIR/NAME when it is a folder, else NULL. */
static char *data_dir(const listing *l, const char *dir, const char *name)
{
    dirent_rec key = {.name = (char *)name};
    const dirent_rec *r =
        l->nsubdirs ? bsearch(&key, l->subdirs, l->nsubdirs, sizeof key, rec_cmp) : NULL;
    if (r == NULL)
        return NULL;
    char *path = xasprintf("%s/%s", dir, name);
    struct stat st;
    if (r->type != DT_DIR && (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))) {
        free(path);
        return NULL;
    }
    return path;
}

static void file_id(dapt_file_id *id, const struct stat *st)
{
    id->size = (uint64_t)st->st_size;
    id->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    id->ino = (uint64_t)st->st_ino;
    id->dev = (uint64_t)st->st_dev;
}

/*
 * One NAME.so of a folder: an entry, decided now when it can be (shadowed,
 * unreadable, refused), else left pending for the cache or the scanner.
 * `dir_reason` says why the folder is not to be trusted, or is NULL.
 */
static void add_file(dapt_registry *reg, const listing *l, const char *dir, const dirent_rec *file,
                     const char *dir_reason, bool insecure)
{
    char *path = xasprintf("%s/%s", dir, file->name);
    struct stat st;
    int dangling = 0; /* the errno of a symbolic link to nothing */
    if (stat(path, &st) < 0) {
        struct stat lst;
        int err = errno;
        if (lstat(path, &lst) < 0 || !S_ISLNK(lst.st_mode)) {
            free(path); /* gone since readdir */
            return;
        }
        dangling = err;
    } else if (!S_ISREG(st.st_mode)) {
        free(path); /* a folder called x.so is not a plugin */
        return;
    }
    char *name = xstrndup(file->name, strlen(file->name) - 3);
    entry *e = entry_add(reg, path, name);
    size_t index = reg->count - 1;
    reg->stats.files++;
    e->info.data_dir = data_dir(l, dir, name);

    size_t winner = table_insert(&reg->names, index);
    if (winner != (size_t)-1) {
        entry_fill_empty(e);
        e->info.status = DAPT_PLUGIN_SHADOWED;
        e->info.error = xasprintf("shadowed by %s", reg->entries[winner].info.path);
        return;
    }
    if (dangling) {
        entry_broken(e, xasprintf("cannot read %s: %s (a symbolic link to nothing)", path,
                                  strerror(dangling)));
        return;
    }
    file_id(&e->info.id, &st);
    if (!plugin_name_valid(name)) {
        entry_broken(e, xasprintf("%s is not named like a plugin: a plugin file is NAME.so, "
                                  "NAME being lower-case letters, digits and _, not starting "
                                  "with a digit; rename it",
                                  path));
        return;
    }
    if (strcmp(name, USER_MODULES_NAME) == 0) {
        entry_broken(e, xasprintf("the name `%s` is reserved for the workspace's user_modules/ "
                                  "folder: rename %s",
                                  USER_MODULES_NAME, path));
        return;
    }
    if (!insecure) {
        char *reason = dir_reason ? xstrdup(dir_reason) : fs_untrusted_reason("", path, &st, reg->euid);
        if (reason == NULL && file->type != DT_REG)
            reason = fs_untrusted_path("", path, reg->euid); /* a link: its target */
        if (reason) {
            entry_broken(e, reason);
            return;
        }
    }
    if (!readable(path, &st, reg->euid)) {
        entry_broken(e, xasprintf("cannot read %s: %s", path, strerror(EACCES)));
        return;
    }
    e->pending = true;
}

/* Every NAME.so of every folder, in search order.  A folder reached twice
 * (through a symbolic link) is read once. */
static void list_all(dapt_registry *reg, bool insecure, strbuf *warnings)
{
    dev_t *devs = xcalloc(reg->dir_count, sizeof *devs);
    ino_t *inos = xcalloc(reg->dir_count, sizeof *inos);
    size_t seen = 0;
    for (size_t i = 0; i < reg->dir_count; i++) {
        const char *dir = reg->dirs[i];
        struct stat st;
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
            continue; /* a folder that is not there is no news */
        bool again = false;
        for (size_t k = 0; k < seen && !again; k++)
            again = devs[k] == st.st_dev && inos[k] == st.st_ino;
        if (again)
            continue;
        devs[seen] = st.st_dev;
        inos[seen++] = st.st_ino;
        listing l;
        if (list_dir(&l, dir) < 0) {
            strbuf_printf(warnings, "cannot read the plugin folder %s: %s\n", dir, strerror(errno));
            continue;
        }
        char *dir_reason = insecure ? NULL : fs_untrusted_path("its folder ", dir, reg->euid);
        for (size_t f = 0; f < l.nfiles; f++)
            add_file(reg, &l, dir, &l.files[f], dir_reason, insecure);
        free(dir_reason);
        listing_free(&l);
    }
    free(devs);
    free(inos);
}

/*
 * A warning for each folder holding found plugins (a Python site folder)
 * that others could write, or a folder above it: the runtime itself does
 * not check them, so neither does dapt refuse them; the packages' own
 * files are checked by the discovery.
 */
static void site_warnings(const dapt_registry *reg, const runtime_found *found, size_t n,
                          strbuf *warnings)
{
    char **seen = n ? xcalloc(n, sizeof *seen) : NULL;
    size_t nseen = 0;
    for (size_t i = 0; i < n; i++) {
        const char *path = found[i].info.path;
        const char *slash = path ? strrchr(path, '/') : NULL;
        if (slash == NULL || slash == path)
            continue;
        char *dir = xstrndup(path, (size_t)(slash - path));
        bool again = false;
        for (size_t k = 0; k < nseen && !again; k++)
            again = strcmp(seen[k], dir) == 0;
        if (again) {
            free(dir);
            continue;
        }
        seen[nseen++] = dir;
        char *reason = fs_untrusted_path("the plugins' folder ", dir, reg->euid);
        if (reason != NULL)
            strbuf_printf(warnings, "%s (loaded all the same: Python does not check it)\n",
                          reason);
        free(reason);
    }
    fs_paths_free(seen, nseen);
}

/*
 * The plugins of one runtime row with a discovery of its own (Python's),
 * after every C plugin: an entry each, shadowed by an earlier plugin of
 * the same name, or by an earlier plugin of the same module (its targets
 * would be the same strings).
 */
static void runtime_add(dapt_registry *reg, const dapt_registry_options *opts, const char *cache,
                        dapt_runtime r, strbuf *warnings)
{
    const runtime_ops *row = runtime_get(r);
    if (row == NULL || row->discovery == NULL)
        return;
    reg->runtimes[r] = row->discovery->open(opts->python, opts->workspace, cache, warnings);
    if (reg->runtimes[r] == NULL)
        return;
    runtime_found *found;
    size_t n;
    row->discovery->list(&found, &n, reg->runtimes[r], reg->insecure);
    if (!reg->insecure)
        site_warnings(reg, found, n, warnings);
    table modules;
    table_init(&modules, n, entry_module, reg);
    for (size_t i = 0; i < n; i++) {
        runtime_found *f = &found[i];
        entry *e = entry_add(reg, NULL, NULL);
        size_t index = reg->count - 1;
        e->info = f->info;
        memset(&f->info, 0, sizeof f->info);
        e->key = f->key;
        e->dist_dir = f->dist_dir;
        f->key = f->dist_dir = NULL;
        reg->stats.files++;
        size_t winner = table_insert(&reg->names, index);
        size_t same = winner == (size_t)-1 ? table_insert(&modules, index) : (size_t)-1;
        if (winner != (size_t)-1 || same != (size_t)-1) {
            const entry *w = &reg->entries[winner != (size_t)-1 ? winner : same];
            free(e->info.error);
            e->info.status = DAPT_PLUGIN_SHADOWED;
            e->info.error = winner != (size_t)-1
                                ? xasprintf("shadowed by %s", w->info.path)
                                : xasprintf("shadowed by the plugin `%s` (%s): it has the "
                                            "same module %s",
                                            w->info.name, w->info.path, e->info.module);
            e->pending = false;
            continue;
        }
        e->pending = f->pending;
    }
    free(modules.slots);
    runtime_found_free(found, n);
}

/* ------------------------------------------------------------------ */
/* The cache and the scanner                                           */
/* ------------------------------------------------------------------ */

/* The checks on what the scanner reported that depend on the file name. */
static void check_scanned(dapt_plugin_info *info, const char *name)
{
    if (info->status == DAPT_PLUGIN_OK && strcmp(info->name, name) != 0) {
        char *declared = xstrdup(info->name);
        plugin_info_broken(info,
                           "declares plugin `%s` but the file is named %s.so: rename it to %s.so",
                           declared, name, declared);
        free(declared);
    }
    if (info->status != DAPT_PLUGIN_OK && (info->name == NULL || strcmp(info->name, name) != 0)) {
        free(info->name);
        info->name = xstrdup(name); /* a broken plugin is known by its file */
    }
}

/*
 * Take what the cache knows for the pending entries, and scan the rest in
 * one scanner run.  A scan result replaces the entry's placeholder and
 * keeps its path, name check, data folder and id.
 */
/* What the cache knows of a pending entry: its info becomes the cache's
 * (borrowed), but for its data folder, which is always this run's. */
static bool take_cached(dapt_registry *reg, entry *e)
{
    dapt_plugin_info mine = e->info;
    /* (the key is read before *out is written) */
    if (!plugin_cache_take(reg->cache, entry_key_of(e), &mine.id, &e->info))
        return false;
    e->info.data_dir = mine.data_dir;
    mine.data_dir = NULL;
    plugin_info_clear(&mine);
    e->borrowed = true;
    e->pending = false;
    reg->stats.cached++;
    return true;
}

/* Describe the entries of one runtime row that the cache did not know. */
static void runtime_pending(dapt_registry *reg, dapt_runtime r, entry **v, size_t n,
                            int timeout_ms)
{
    dapt_plugin_info **infos = xcalloc(n, sizeof *infos);
    const char **dists = xcalloc(n, sizeof *dists), **only = xcalloc(n, sizeof *only);
    for (size_t k = 0; k < n; k++) {
        infos[k] = &v[k]->info;
        dists[k] = v[k]->dist_dir;
        only[k] = v[k]->only;
    }
    runtime_get(r)->discovery->describe(infos, dists, only, n, reg->runtimes[r], timeout_ms);
    for (size_t k = 0; k < n; k++) {
        v[k]->scanned = true;
        v[k]->pending = false;
        reg->stats.scanned++;
    }
    free(infos);
    free(dists);
    free(only);
}

static int resolve_pending(dapt_registry *reg, int timeout_ms, char **error)
{
    size_t *misses = xcalloc(reg->count, sizeof *misses);
    entry **rtmiss = xcalloc(reg->count ? reg->count : 1, sizeof *rtmiss);
    size_t nmiss = 0;
    for (size_t i = 0; i < reg->count; i++) {
        entry *e = &reg->entries[i];
        if (e->pending && !take_cached(reg, e) && reg->runtimes[e->info.runtime] == NULL)
            misses[nmiss++] = i; /* a NAME.so: the plugin scanner's */
    }
    /* the others by their runtime's own description, a row at a time */
    for (size_t r = 0; r < RUNTIME_COUNT; r++) {
        size_t n = 0;
        for (size_t i = 0; reg->runtimes[r] != NULL && i < reg->count; i++) {
            entry *e = &reg->entries[i];
            if (e->pending && (size_t)e->info.runtime == r)
                rtmiss[n++] = e;
        }
        if (n > 0)
            runtime_pending(reg, (dapt_runtime)r, rtmiss, n, timeout_ms);
    }
    free(rtmiss);
    int rc = 0;
    if (nmiss > 0) {
        dapt_plugin_info *scan = xcalloc(nmiss, sizeof *scan);
        for (size_t k = 0; k < nmiss; k++)
            scan[k].path = xstrdup(reg->entries[misses[k]].info.path);
        rc = plugin_scan(scan, nmiss, timeout_ms, error);
        for (size_t k = 0; k < nmiss; k++) {
            entry *e = &reg->entries[misses[k]];
            if (rc == 0) {
                check_scanned(&scan[k], e->info.name);
                free(scan[k].data_dir);
                scan[k].data_dir = e->info.data_dir;
                scan[k].id = e->info.id;
                e->info.data_dir = NULL;
                plugin_info_clear(&e->info);
                e->info = scan[k];
                for (size_t t = 0; t < e->info.target_count; t++)
                    e->info.targets[t].plugin = &e->info;
                e->scanned = true;
                reg->stats.scanned++;
            } else {
                plugin_info_clear(&scan[k]);
                entry_fill_empty(e); /* freed with the registry */
            }
            e->pending = false;
        }
        free(scan);
    }
    free(misses);
    return rc;
}

/* The cache entry's path is in a folder this run listed. */
static bool in_listed_dir(const dapt_registry *reg, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return false;
    size_t n = (size_t)(slash - path);
    for (size_t i = 0; i < reg->dir_count; i++)
        if (strlen(reg->dirs[i]) == n && memcmp(reg->dirs[i], path, n) == 0)
            return true;
    return false;
}

/* What becomes of a cache entry when the cache is written. */
enum { KEEP, DROP, REPLACE };

/* The described-on-demand entry under `key`, or NULL. */
static const entry *extra_by_key(const dapt_registry *reg, const char *key)
{
    for (size_t i = 0; i < reg->extra_count; i++)
        if (strcmp(entry_key_of(reg->extra[i]), key) == 0)
            return reg->extra[i];
    return NULL;
}

static int cache_fate(const dapt_registry *reg, const table *keys, size_t i)
{
    const char *key = plugin_cache_entry_key(reg->cache, i);
    const dapt_plugin_info *c = plugin_cache_entry(reg->cache, i);
    size_t at = table_find(keys, key);
    if (at != (size_t)-1)
        return reg->entries[at].scanned ? REPLACE : KEEP;
    const entry *x = extra_by_key(reg, key);
    if (x != NULL)
        return x->scanned ? REPLACE : KEEP;
    /* a C plugin not found in a folder we listed: gone (a Python
     * plugin's path is a package folder, in no listed folder) */
    return c->runtime == DAPT_RUNTIME_C && in_listed_dir(reg, c->path) ? DROP : KEEP;
}

/*
 * Write the cache back when this run learnt something: new scan results,
 * or entries for files gone from the folders it listed.  Entries for other
 * folders (another workspace's .dapt/plugins, another interpreter's
 * packages) are kept while their files exist; checking that costs a stat
 * each, paid only when writing anyway.
 */
static void save_cache(dapt_registry *reg, const char *file, strbuf *warnings)
{
    size_t old = plugin_cache_count(reg->cache);
    /* the warm start: every cached entry was used, nothing is new */
    if (reg->stats.scanned == 0 && reg->stats.cached == old)
        return;
    table keys;
    table_init(&keys, reg->count, entry_key, reg);
    for (size_t i = 0; i < reg->count; i++)
        table_insert(&keys, i);
    bool dirty = reg->stats.scanned > 0;
    for (size_t i = 0; i < old && !dirty; i++)
        dirty = cache_fate(reg, &keys, i) == DROP;
    if (!dirty) {
        free(keys.slots);
        return;
    }
    size_t max = old + reg->count + reg->extra_count;
    const dapt_plugin_info **keep = xcalloc(max ? max : 1, sizeof *keep);
    const char **keep_keys = xcalloc(max ? max : 1, sizeof *keep_keys);
    size_t nkeep = 0;
    for (size_t i = 0; i < old; i++) {
        const dapt_plugin_info *c = plugin_cache_entry(reg->cache, i);
        const char *key = plugin_cache_entry_key(reg->cache, i);
        struct stat st;
        if (cache_fate(reg, &keys, i) == KEEP &&
            (table_find(&keys, key) != (size_t)-1 || extra_by_key(reg, key) != NULL ||
             stat(c->path, &st) == 0)) {
            keep_keys[nkeep] = key;
            keep[nkeep++] = c;
        }
    }
    for (size_t i = 0; i < reg->count; i++) {
        if (reg->entries[i].scanned) {
            keep_keys[nkeep] = reg->entries[i].key;
            keep[nkeep++] = &reg->entries[i].info;
        }
    }
    for (size_t i = 0; i < reg->extra_count; i++) {
        if (reg->extra[i]->scanned) {
            keep_keys[nkeep] = reg->extra[i]->key;
            keep[nkeep++] = &reg->extra[i]->info;
        }
    }
    char *err = NULL;
    if (plugin_cache_save_keyed(file, keep, keep_keys, nkeep, &err) == 0) {
        reg->stats.cache_written = true;
    } else {
        strbuf_printf(warnings, "cannot write the plugin cache: %s\n", err);
        free(err);
    }
    free(keep);
    free(keep_keys);
    free(keys.slots);
}

/*
 * The workspace's user_modules/ (engine/user-modules.c): each FILE.c
 * compiled (when changed) into an object that is scanned like a plugin
 * file, through the same cache and scanner, then all merged into the one
 * plugin `user_modules` whose targets are FILE.PATH.  The objects' entries
 * are named `user_modules` (what their descriptors declare) but kept out
 * of the name table: only the merged entry is found by name.
 */
typedef struct user_modules_state {
    size_t first; /* the objects' entries are entries[first..count) */
    char **names;
    size_t count;
    dapt_diags diags;
} user_modules_state;

static void user_modules_add(dapt_registry *reg, const dapt_registry_options *opts,
                             user_modules_state *um, strbuf *warnings)
{
    memset(um, 0, sizeof *um);
    um->first = reg->count;
    if (opts->workspace == NULL)
        return;
    char **objects = NULL, *error = NULL;
    if (user_modules_build(&objects, &um->names, &um->count, opts->workspace, reg->insecure,
                           &um->diags, &error) < 0) {
        strbuf_printf(warnings, "user modules: %s\n", error);
        free(error);
        return;
    }
    for (size_t i = 0; i < um->count; i++) {
        struct stat st;
        entry *e = entry_add(reg, objects[i], xstrdup(USER_MODULES_NAME));
        objects[i] = NULL;
        if (stat(e->info.path, &st) < 0) {
            entry_broken(e, xasprintf("cannot read %s: %s", e->info.path, strerror(errno)));
            continue;
        }
        file_id(&e->info.id, &st);
        /* the compiled object in the cache: trusted as a plugin file is */
        char *reason = reg->insecure ? NULL : fs_untrusted_path("", e->info.path, reg->euid);
        if (reason != NULL) {
            entry_broken(e, reason);
            continue;
        }
        e->pending = true;
    }
    free(objects);
}

static void user_modules_finish(dapt_registry *reg, const dapt_registry_options *opts,
                                user_modules_state *um, strbuf *warnings)
{
    dapt_plugin_info *scanned = xcalloc(um->count, sizeof *scanned);
    for (size_t i = 0; i < um->count; i++)
        scanned[i] = reg->entries[um->first + i].info; /* borrowed for the merge */
    dapt_plugin_info merged;
    int have = user_modules_merge(&merged, scanned, um->names, um->count,
                                  opts->workspace ? opts->workspace : ".", &um->diags);
    free(scanned);
    for (size_t i = um->first; i < reg->count; i++)
        entry_clear(&reg->entries[i]);
    reg->count = um->first;
    if (have) {
        entry *e = entry_add(reg, NULL, NULL);
        e->info = merged;
        plugin_info_link(&e->info);
        size_t winner = table_insert(&reg->names, reg->count - 1);
        if (winner != (size_t)-1) /* a file named user_modules.so: broken already */
            reg->names.slots[table_slot(&reg->names, USER_MODULES_NAME)] = reg->count;
    }
    dapt_diags_sort(&um->diags);
    for (size_t i = 0; i < um->diags.count; i++) {
        char *line = dapt_diag_format(&um->diags.items[i]);
        strbuf_printf(warnings, "%s\n", line);
        free(line);
    }
    dapt_diags_free(&um->diags);
    for (size_t i = 0; i < um->count; i++)
        free(um->names[i]);
    free(um->names);
}

/* ------------------------------------------------------------------ */
/* Targets                                                             */
/* ------------------------------------------------------------------ */

static int path_cmp(const void *a, const void *b)
{
    const dapt_target_info *x = *(const dapt_target_info *const *)a;
    const dapt_target_info *y = *(const dapt_target_info *const *)b;
    return strcmp(x->path, y->path);
}

/* What a plugin's target strings begin with: its name, or a Python
 * plugin's module. */
static const char *target_prefix(const dapt_plugin_info *info)
{
    return info->runtime == DAPT_RUNTIME_PYTHON && info->module ? info->module : info->name;
}

static int plugin_cmp(const void *a, const void *b)
{
    const entry *x = *(const entry *const *)a;
    const entry *y = *(const entry *const *)b;
    return strcmp(target_prefix(&x->info), target_prefix(&y->info));
}

static int target_cmp(const void *a, const void *b)
{
    const dapt_target_info *x = *(const dapt_target_info *const *)a;
    const dapt_target_info *y = *(const dapt_target_info *const *)b;
    return strcmp(x->target, y->target);
}

/*
 * The sorted array of usable targets.  Sorting by the target string is
 * sorting plugins by name (a Python plugin's: its module), then each
 * plugin's targets by path: a name is word characters only, all after the
 * '.' that ends it, so "ab.x" sorts before "ab_c.x" as "ab" does before
 * "ab_c" (a dotted Python module can break this: then the array is
 * checked, and sorted apart from the runs resolution searches).  Many small sorts of short
 * paths are much cheaper than one of 10000 long strings, and each
 * plugin's run of targets is what resolution searches: the name table
 * finds the plugin, a binary search its target, with no second table of
 * 10000 strings to hash on every start.
 */
/* Whether an array of pointers is in order already: plugins usually
 * declare their targets sorted, and a check is much cheaper than qsort. */
static bool is_sorted(const void *base, size_t n, int (*cmp)(const void *, const void *))
{
    const char *p = base;
    for (size_t i = 1; i < n; i++) {
        if (cmp(p + (i - 1) * sizeof(void *), p + i * sizeof(void *)) > 0)
            return false;
    }
    return true;
}

static void index_targets(dapt_registry *reg)
{
    entry **plugins = xcalloc(reg->count, sizeof *plugins);
    size_t nplugins = 0, n = 0;
    for (size_t i = 0; i < reg->count; i++) {
        if (reg->entries[i].info.status == DAPT_PLUGIN_OK) {
            plugins[nplugins++] = &reg->entries[i];
            n += reg->entries[i].info.target_count;
        }
    }
    if (!is_sorted(plugins, nplugins, plugin_cmp))
        qsort(plugins, nplugins, sizeof *plugins, plugin_cmp);
    reg->runs = xcalloc(n, sizeof *reg->runs);
    for (size_t i = 0; i < nplugins; i++) {
        const dapt_plugin_info *info = &plugins[i]->info;
        plugins[i]->first_target = reg->target_count;
        const dapt_target_info **first = reg->runs + reg->target_count;
        for (size_t t = 0; t < info->target_count; t++)
            reg->runs[reg->target_count++] = &info->targets[t];
        if (!is_sorted(first, info->target_count, path_cmp))
            qsort(first, info->target_count, sizeof *first, path_cmp);
    }
    free(plugins);
    reg->targets = reg->runs;
    if (!is_sorted(reg->runs, reg->target_count, target_cmp)) {
        reg->targets = xcalloc(n, sizeof *reg->targets);
        memcpy(reg->targets, reg->runs, n * sizeof *reg->targets);
        qsort(reg->targets, n, sizeof *reg->targets, target_cmp);
    }
    /* the Python modules of usable plugins (the first of a module wins;
     * runtime_add shadowed the others) */
    table_init(&reg->modules, 0, entry_module, reg);
    for (size_t i = 0; i < reg->count; i++)
        if (reg->entries[i].info.status == DAPT_PLUGIN_OK &&
            reg->entries[i].info.runtime == DAPT_RUNTIME_PYTHON && reg->entries[i].info.module)
            table_insert(&reg->modules, i);
}

/* The target of a usable plugin by path, or NULL. */
static const dapt_target_info *plugin_target(const dapt_registry *reg, const entry *e,
                                             const char *path)
{
    size_t lo = e->first_target, hi = lo + e->info.target_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(path, reg->runs[mid]->path);
        if (c == 0)
            return reg->runs[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The API                                                             */
/* ------------------------------------------------------------------ */

int dapt_registry_open(dapt_registry **out, const dapt_registry_options *opts, char **warnings,
                       char **error)
{
    static const dapt_registry_options defaults = {0};
    if (opts == NULL)
        opts = &defaults;
    *out = NULL;
    if (warnings)
        *warnings = NULL;
    dapt_registry *reg = xcalloc(1, sizeof *reg);
    reg->euid = geteuid();
    search_path(reg, opts);
    table_init(&reg->names, 0, entry_name, reg);
    strbuf warn = {0};
    bool insecure = opts->insecure || env_true("DAPT_PLUGIN_INSECURE");
    reg->insecure = insecure;
    reg->scan_timeout_ms = scan_timeout(opts);
    char *file = cache_file(opts);

    list_all(reg, insecure, &warn);
    for (size_t r = 0; r < RUNTIME_COUNT; r++)
        runtime_add(reg, opts, file, (dapt_runtime)r, &warn);
    user_modules_state um;
    user_modules_add(reg, opts, &um, &warn);

    reg->cache = plugin_cache_load(file);
    if (resolve_pending(reg, reg->scan_timeout_ms, error) < 0) {
        user_modules_finish(reg, opts, &um, &warn); /* frees what it holds */
        free(file);
        strbuf_free(&warn);
        dapt_registry_free(reg);
        return -1;
    }
    if (file)
        save_cache(reg, file, &warn);
    reg->cache_path = file;
    user_modules_finish(reg, opts, &um, &warn);

    for (size_t i = 0; i < reg->count; i++)
        reg->stats.broken += reg->entries[i].info.status == DAPT_PLUGIN_BROKEN;
    index_targets(reg);
    if (warnings && warn.len > 0) {
        warn.buf[--warn.len] = '\0'; /* no final newline */
        *warnings = strbuf_detach(&warn);
    }
    strbuf_free(&warn);
    *out = reg;
    return 0;
}

void dapt_registry_free(dapt_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->count; i++)
        entry_clear(&reg->entries[i]);
    free(reg->entries);
    for (size_t i = 0; i < reg->dir_count; i++)
        free(reg->dirs[i]);
    free(reg->dirs);
    free(reg->names.slots);
    free(reg->modules.slots);
    if (reg->targets != reg->runs)
        free(reg->targets);
    free(reg->runs);
    for (size_t i = 0; i < reg->extra_count; i++) {
        entry_clear(reg->extra[i]);
        free(reg->extra[i]);
    }
    free(reg->extra);
    for (size_t r = 0; r < RUNTIME_COUNT; r++) {
        const runtime_ops *row = runtime_get((dapt_runtime)r);
        if (reg->runtimes[r] != NULL)
            row->discovery->close(reg->runtimes[r]);
    }
    free(reg->cache_path);
    plugin_cache_free(reg->cache);
    free(reg);
}

const char *const *dapt_registry_dirs(const dapt_registry *reg, size_t *count)
{
    static const char *const none[] = {NULL};
    *count = reg->dir_count;
    return reg->dirs ? (const char *const *)reg->dirs : none;
}

size_t dapt_registry_count(const dapt_registry *reg)
{
    return reg->count;
}

const dapt_plugin_info *dapt_registry_plugin(const dapt_registry *reg, size_t i)
{
    return i < reg->count ? &reg->entries[i].info : NULL;
}

const dapt_plugin_info *dapt_registry_find(const dapt_registry *reg, const char *name)
{
    size_t i = table_find(&reg->names, name);
    return i == (size_t)-1 ? NULL : &reg->entries[i].info;
}

const dapt_target_info *const *dapt_registry_targets(const dapt_registry *reg, size_t *count)
{
    *count = reg->target_count;
    return reg->targets;
}

const char *registry_python_dist(const dapt_registry *reg, const dapt_plugin_info *plugin)
{
    for (size_t i = 0; i < reg->count; i++)
        if (&reg->entries[i].info == plugin)
            return reg->entries[i].dist_dir;
    return NULL;
}

void dapt_registry_get_stats(const dapt_registry *reg, dapt_registry_stats *stats)
{
    *stats = reg->stats;
}

/* ------------------------------------------------------------------ */
/* Resolution and its messages                                         */
/* ------------------------------------------------------------------ */

/* The target strings of one plugin, or of all usable plugins (NULL). */
static const char **target_strings(const dapt_registry *reg, const dapt_plugin_info *plugin,
                                   size_t *n)
{
    size_t count = plugin ? plugin->target_count : reg->target_count;
    const char **v = xcalloc(count, sizeof *v);
    for (size_t i = 0; i < count; i++)
        v[i] = plugin ? plugin->targets[i].target : reg->targets[i]->target;
    *n = count;
    return v;
}

static const char *closest_target(const dapt_registry *reg, const dapt_plugin_info *plugin,
                                  const char *target)
{
    size_t n;
    const char **v = target_strings(reg, plugin, &n);
    const char *best = suggest_closest(target, v, n);
    free(v);
    return best;
}

/* "a, b, c" and ", ..." past LIST_MAX. */
static void list_names(strbuf *sb, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n && i < LIST_MAX; i++)
        strbuf_printf(sb, "%s%s", i ? ", " : "", names[i]);
    if (n > LIST_MAX)
        strbuf_printf(sb, ", ... (%zu in all)", n);
}

static char *unknown_plugin(const dapt_registry *reg, const char *name, const char *target)
{
    strbuf sb = {0};
    strbuf_printf(&sb, "unknown plugin `%s` in target `%s`", name, target);
    const char *full = closest_target(reg, NULL, target);
    if (full) {
        strbuf_printf(&sb, "; did you mean `%s`?", full);
        return strbuf_detach(&sb);
    }
    const char **names = xcalloc(reg->count, sizeof *names);
    size_t n = 0;
    for (size_t i = 0; i < reg->count; i++)
        if (reg->entries[i].info.status != DAPT_PLUGIN_SHADOWED)
            names[n++] = reg->entries[i].info.name;
    const char *close = suggest_closest(name, names, n);
    if (close) {
        strbuf_printf(&sb, "; did you mean `%s`?", close);
    } else if (n > 0) {
        strbuf_puts(&sb, "; known plugins: ");
        list_names(&sb, names, n);
    } else {
        strbuf_puts(&sb, "; no plugins were found on the search path");
    }
    free(names);
    return strbuf_detach(&sb);
}

static char *unknown_target(const dapt_registry *reg, const dapt_plugin_info *plugin,
                            const char *target)
{
    strbuf sb = {0};
    strbuf_printf(&sb, "plugin `%s` has no target `%s`", plugin->name,
                  target + strlen(target_prefix(plugin)) + 1);
    const char *close = closest_target(reg, plugin, target);
    if (close == NULL)
        close = closest_target(reg, NULL, target);
    if (close) {
        strbuf_printf(&sb, "; did you mean `%s`?", close);
    } else if (plugin->target_count == 0) {
        strbuf_puts(&sb, "; it has no targets");
    } else {
        size_t n;
        const char **v = target_strings(reg, plugin, &n);
        strbuf_puts(&sb, "; its targets: ");
        list_names(&sb, v, n);
        free(v);
    }
    return strbuf_detach(&sb);
}

/* ------------------------------------------------------------------ */
/* Python targets                                                      */
/* ------------------------------------------------------------------ */

/* The usable Python plugin whose module is the longest that begins
 * `target` at a dot, or NULL; *rest is the path after it. */
static const entry *python_module_entry(const dapt_registry *reg, const char *target,
                                        const char **rest)
{
    if (reg->modules.slots == NULL || reg->modules.used == 0)
        return NULL;
    char *prefix = xstrdup(target);
    const entry *found = NULL;
    for (char *dot = strrchr(prefix, '.'); dot != NULL && found == NULL;
         dot = strrchr(prefix, '.')) {
        *dot = '\0';
        size_t i = table_find(&reg->modules, prefix);
        if (i != (size_t)-1) {
            found = &reg->entries[i];
            *rest = target + (dot - prefix) + 1;
        }
    }
    free(prefix);
    return found;
}

/*
 * Describe TOP.REST on demand: TOP is a package of the interpreter's
 * folders that no entry point declares (or whose plugin does not list
 * REST).  The result (also a failure) is an entry of `extra`, cached
 * under a key naming REST.  1 with *out, 0 when TOP is no package (or
 * REST cannot be in it), -1 with *error.
 */
static int describe_on_demand(dapt_registry *reg, const char *target, const dapt_target_info **out,
                              char **error)
{
    *error = NULL;
    const char *dot = strchr(target, '.');
    char *top = xstrndup(target, (size_t)(dot - target));
    const char *rest = dot + 1;
    const entry *e = NULL;
    for (size_t i = 0; i < reg->extra_count && e == NULL; i++)
        if (strcmp(reg->extra[i]->info.module, top) == 0 &&
            strcmp(reg->extra[i]->only, rest) == 0)
            e = reg->extra[i];
    if (e == NULL) {
        runtime_found f;
        int found = 0;
        dapt_runtime r = DAPT_RUNTIME_C;
        for (size_t k = 0; k < RUNTIME_COUNT && found == 0; k++) {
            r = (dapt_runtime)k;
            if (reg->runtimes[k] != NULL)
                found = runtime_get(r)->discovery->on_demand(&f, reg->runtimes[k], top, rest,
                                                             reg->insecure, error);
        }
        if (found <= 0) {
            free(top);
            return found;
        }
        entry *x = xcalloc(1, sizeof *x);
        x->info = f.info;
        x->key = f.key;
        x->only = xstrdup(rest);
        x->pending = f.pending;
        memset(&f.info, 0, sizeof f.info);
        f.key = NULL;
        runtime_found_clear(&f);
        reg->extra = xrealloc(reg->extra, reg->extra_count + 1, sizeof *reg->extra);
        reg->extra[reg->extra_count++] = x;
        if (x->pending && !take_cached(reg, x)) {
            runtime_pending(reg, r, &x, 1, reg->scan_timeout_ms);
            if (reg->cache_path) {
                strbuf warn = {0}; /* a cache that cannot be written was said at open */
                save_cache(reg, reg->cache_path, &warn);
                strbuf_free(&warn);
            }
        }
        x->pending = false;
        e = x;
    }
    free(top);
    if (e->info.status != DAPT_PLUGIN_OK) {
        *error = xasprintf("cannot describe the Python target `%s`: %s", target, e->info.error);
        return -1;
    }
    for (size_t i = 0; i < e->info.target_count; i++) {
        if (strcmp(e->info.targets[i].path, rest) == 0) {
            *out = &e->info.targets[i];
            return 1;
        }
    }
    *error = xasprintf("cannot describe the Python target `%s`: the scanner did not find it",
                       target);
    return -1;
}

/* A broken Python plugin named NAME, or whose module begins `target`. */
static const entry *broken_python(const dapt_registry *reg, const char *name, const char *target)
{
    for (size_t k = 0; k < reg->count; k++) {
        const dapt_plugin_info *p = &reg->entries[k].info;
        if (p->runtime != DAPT_RUNTIME_PYTHON || p->status != DAPT_PLUGIN_BROKEN || !p->module)
            continue;
        size_t n = strlen(p->module);
        if (strcmp(p->name, name) == 0 || (strncmp(target, p->module, n) == 0 && target[n] == '.'))
            return &reg->entries[k];
    }
    return NULL;
}

int dapt_registry_resolve(const dapt_registry *creg, const char *target,
                          const dapt_target_info **out, char **error)
{
    /* Describing on demand adds to the registry: resolution is not safe
     * from two threads at once. */
    dapt_registry *reg = (dapt_registry *)creg;
    *out = NULL;
    const char *dot = strchr(target, '.');
    if (dot == NULL || dot == target || dot[1] == '\0') {
        *error = xasprintf("`%s` is not a target: write PLUGIN.PATH, e.g. dapt.echo", target);
        return -1;
    }
    char *name = xstrndup(target, (size_t)(dot - target));
    size_t i = table_find(&reg->names, name);
    const entry *e = i == (size_t)-1 ? NULL : &reg->entries[i];
    if (e && e->info.runtime == DAPT_RUNTIME_PYTHON)
        e = NULL; /* a Python plugin is found by its module */
    const dapt_plugin_info *plugin = e ? &e->info : NULL;
    if (plugin && plugin->status == DAPT_PLUGIN_OK &&
        (*out = plugin_target(reg, e, dot + 1)) != NULL) {
        free(name);
        return 0;
    }
    const char *rest = NULL;
    const entry *py = plugin ? NULL : python_module_entry(reg, target, &rest);
    if (py != NULL && (*out = plugin_target(reg, py, rest)) != NULL) {
        free(name);
        return 0;
    }
    const entry *broken = plugin || py ? NULL : broken_python(reg, name, target);
    int rc = 0;
    if (plugin == NULL && broken == NULL) {
        rc = describe_on_demand(reg, target, out, error);
        if (rc > 0 || (rc < 0 && py == NULL)) {
            free(name);
            return rc > 0 ? 0 : -1;
        }
        if (rc < 0) { /* the plugin's message lists its targets */
            free(*error);
            *error = NULL;
        }
    }
    if (py != NULL)
        *error = unknown_target(reg, &py->info, target);
    else if (broken != NULL)
        *error = xasprintf("plugin `%s` is broken: %s", broken->info.name, broken->info.error);
    else if (plugin == NULL)
        *error = unknown_plugin(reg, name, target);
    else if (plugin->status != DAPT_PLUGIN_OK)
        *error = xasprintf("plugin `%s` is broken: %s", name, plugin->error);
    else
        *error = unknown_target(reg, plugin, target);
    free(name);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Plugins described elsewhere                                         */
/* ------------------------------------------------------------------ */

void registry_add_plugin(dapt_registry *reg, const dapt_plugin_info *info)
{
    entry *e = entry_add(reg, NULL, NULL);
    plugin_info_copy(&e->info, info);
    /* the entries may have moved: their targets point back at them again */
    for (size_t i = 0; i < reg->count; i++)
        for (size_t t = 0; t < reg->entries[i].info.target_count; t++)
            reg->entries[i].info.targets[t].plugin = &reg->entries[i].info;
    if (table_insert(&reg->names, reg->count - 1) != (size_t)-1)
        plugin_info_broken(&e->info, "shadowed by an earlier plugin named `%s`", e->info.name);
    if (reg->targets != reg->runs)
        free(reg->targets);
    free(reg->runs);
    free(reg->modules.slots);
    reg->targets = reg->runs = NULL;
    reg->target_count = 0;
    index_targets(reg);
}
