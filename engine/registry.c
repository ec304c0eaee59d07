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
    /* where its targets start in the registry's sorted array (ok only) */
    size_t first_target;
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
    /* usable plugins' targets, sorted: each plugin's are a run, sorted
     * by path, which resolution searches */
    const dapt_target_info **targets;
    size_t target_count;
    uid_t euid;
    dapt_registry_stats stats;
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

static const char *entry_path(const void *ctx, size_t i)
{
    return ((const dapt_registry *)ctx)->entries[i].info.path;
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

static char *user_name(uid_t uid)
{
    struct passwd *pw = getpwuid(uid);
    return pw ? xasprintf("user %s (uid %lu)", pw->pw_name, (unsigned long)uid)
              : xasprintf("uid %lu", (unsigned long)uid);
}

static char *my_name(void)
{
    struct passwd *pw = getpwuid(geteuid());
    return pw ? xstrdup(pw->pw_name) : xasprintf("%lu", (unsigned long)geteuid());
}

/*
 * Why the file (or folder) at `path` must not be trusted, or NULL.  A file
 * that someone else can write is code someone else chose; `what` is ""
 * for the plugin file, "its folder " for its folder.
 */
static char *insecure_reason(const char *what, const char *path, const struct stat *st, uid_t euid)
{
    static const char *const fix = "or set DAPT_PLUGIN_INSECURE=1 to accept it";
    mode_t w = st->st_mode & (S_IWGRP | S_IWOTH);
    if (w) {
        const char *who = w == (S_IWGRP | S_IWOTH) ? "group and others"
                          : w == S_IWGRP           ? "group"
                                                   : "others";
        return xasprintf("%s%s is writable by %s: chmod go-w %s, %s", what, path, who, path, fix);
    }
    if (st->st_uid != euid && st->st_uid != 0) {
        char *owner = user_name(st->st_uid), *me = my_name();
        char *reason = xasprintf("%s%s is owned by %s, not by you or root: chown %s %s, %s", what,
                                 path, owner, me, path, fix);
        free(owner);
        free(me);
        return reason;
    }
    return NULL;
}

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
        char *reason = dir_reason ? xstrdup(dir_reason) : insecure_reason("", path, &st, reg->euid);
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
        char *dir_reason = insecure ? NULL : insecure_reason("its folder ", dir, &st, reg->euid);
        for (size_t f = 0; f < l.nfiles; f++)
            add_file(reg, &l, dir, &l.files[f], dir_reason, insecure);
        free(dir_reason);
        listing_free(&l);
    }
    free(devs);
    free(inos);
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
static int resolve_pending(dapt_registry *reg, int timeout_ms, char **error)
{
    size_t *misses = xcalloc(reg->count, sizeof *misses);
    size_t nmiss = 0;
    for (size_t i = 0; i < reg->count; i++) {
        entry *e = &reg->entries[i];
        if (!e->pending)
            continue;
        char *path = e->info.path, *name = e->info.name, *dir = e->info.data_dir;
        dapt_file_id id = e->info.id;
        if (plugin_cache_take(reg->cache, path, &id, &e->info)) {
            e->info.data_dir = dir;
            e->borrowed = true;
            e->pending = false;
            reg->stats.cached++;
            free(path);
            free(name);
        } else {
            misses[nmiss++] = i;
        }
    }
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

static int cache_fate(const dapt_registry *reg, const table *paths, const dapt_plugin_info *c)
{
    size_t at = table_find(paths, c->path);
    if (at != (size_t)-1)
        return reg->entries[at].scanned ? REPLACE : KEEP;
    /* not found in a folder we listed: gone */
    return in_listed_dir(reg, c->path) ? DROP : KEEP;
}

/*
 * Write the cache back when this run learnt something: new scan results,
 * or entries for files gone from the folders it listed.  Entries for other
 * folders (another workspace's .dapt/plugins) are kept while their files
 * exist; checking that costs a stat each, paid only when writing anyway.
 */
static void save_cache(dapt_registry *reg, const char *file, strbuf *warnings)
{
    size_t old = plugin_cache_count(reg->cache);
    /* the warm start: every cached entry was used, nothing is new */
    if (reg->stats.scanned == 0 && reg->stats.cached == old)
        return;
    table paths;
    table_init(&paths, reg->count, entry_path, reg);
    for (size_t i = 0; i < reg->count; i++)
        table_insert(&paths, i);
    bool dirty = reg->stats.scanned > 0;
    for (size_t i = 0; i < old && !dirty; i++)
        dirty = cache_fate(reg, &paths, plugin_cache_entry(reg->cache, i)) == DROP;
    if (!dirty) {
        free(paths.slots);
        return;
    }
    const dapt_plugin_info **keep = xcalloc(old + reg->count, sizeof *keep);
    size_t nkeep = 0;
    for (size_t i = 0; i < old; i++) {
        const dapt_plugin_info *c = plugin_cache_entry(reg->cache, i);
        struct stat st;
        if (cache_fate(reg, &paths, c) == KEEP &&
            (table_find(&paths, c->path) != (size_t)-1 || stat(c->path, &st) == 0))
            keep[nkeep++] = c;
    }
    for (size_t i = 0; i < reg->count; i++)
        if (reg->entries[i].scanned)
            keep[nkeep++] = &reg->entries[i].info;
    char *err = NULL;
    if (plugin_cache_save(file, keep, nkeep, &err) == 0) {
        reg->stats.cache_written = true;
    } else {
        strbuf_printf(warnings, "cannot write the plugin cache: %s\n", err);
        free(err);
    }
    free(keep);
    free(paths.slots);
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
    if (user_modules_build(&objects, &um->names, &um->count, opts->workspace, &um->diags,
                           &error) < 0) {
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

static int plugin_cmp(const void *a, const void *b)
{
    const entry *x = *(const entry *const *)a;
    const entry *y = *(const entry *const *)b;
    return strcmp(x->info.name, y->info.name);
}

/*
 * The sorted array of usable targets.  Sorting by the target string is
 * sorting plugins by name, then each plugin's targets by path: a plugin
 * name is [a-z0-9_] only, all after the '.' that ends it, so "ab.x" sorts
 * before "ab_c.x" as "ab" does before "ab_c".  Many small sorts of short
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
    reg->targets = xcalloc(n, sizeof *reg->targets);
    for (size_t i = 0; i < nplugins; i++) {
        const dapt_plugin_info *info = &plugins[i]->info;
        plugins[i]->first_target = reg->target_count;
        const dapt_target_info **first = reg->targets + reg->target_count;
        for (size_t t = 0; t < info->target_count; t++)
            reg->targets[reg->target_count++] = &info->targets[t];
        if (!is_sorted(first, info->target_count, path_cmp))
            qsort(first, info->target_count, sizeof *first, path_cmp);
    }
    free(plugins);
}

/* The target of a usable plugin by path, or NULL. */
static const dapt_target_info *plugin_target(const dapt_registry *reg, const entry *e,
                                             const char *path)
{
    size_t lo = e->first_target, hi = lo + e->info.target_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(path, reg->targets[mid]->path);
        if (c == 0)
            return reg->targets[mid];
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

    list_all(reg, insecure, &warn);
    user_modules_state um;
    user_modules_add(reg, opts, &um, &warn);

    char *file = cache_file(opts);
    reg->cache = plugin_cache_load(file);
    if (resolve_pending(reg, scan_timeout(opts), error) < 0) {
        user_modules_finish(reg, opts, &um, &warn); /* frees what it holds */
        free(file);
        strbuf_free(&warn);
        dapt_registry_free(reg);
        return -1;
    }
    if (file)
        save_cache(reg, file, &warn);
    free(file);
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
    free(reg->targets);
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
                  target + strlen(plugin->name) + 1);
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

int dapt_registry_resolve(const dapt_registry *reg, const char *target,
                          const dapt_target_info **out, char **error)
{
    *out = NULL;
    const char *dot = strchr(target, '.');
    if (dot == NULL || dot == target || dot[1] == '\0') {
        *error = xasprintf("`%s` is not a target: write PLUGIN.PATH, e.g. dapt.echo", target);
        return -1;
    }
    char *name = xstrndup(target, (size_t)(dot - target));
    size_t i = table_find(&reg->names, name);
    const entry *e = i == (size_t)-1 ? NULL : &reg->entries[i];
    const dapt_plugin_info *plugin = e ? &e->info : NULL;
    if (plugin && plugin->status == DAPT_PLUGIN_OK &&
        (*out = plugin_target(reg, e, dot + 1)) != NULL) {
        free(name);
        return 0;
    }
    if (plugin == NULL)
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
    free(reg->targets);
    reg->targets = NULL;
    reg->target_count = 0;
    index_targets(reg);
}
