/*
 * python-dist.c - installed Python distributions, read in C: what
 * importlib.metadata would find, without starting Python.
 *
 * The folders are the interpreter's sys.path folders, then its site
 * folders, then the path lines of the .pth files in them (a cached
 * sys.path may predate an editable install); each is read once.  In each:
 *   - NAME.dist-info/ (entry_points.txt, METADATA, RECORD) and
 *     NAME.egg-info/ (entry_points.txt, PKG-INFO, installed-files.txt):
 *     the entry points of the groups flowdapt.plugins and dapt.plugins;
 *   - *.pth: lines that are paths extend the folders (import lines are
 *     code, skipped);
 *   - __editable___*_finder.py (setuptools' editable installs): its
 *     MAPPING = {'pkg': '/src/pkg'} places top-level packages.
 * A module is looked for as Python's path finder does: the first folder
 * holding NAME/ or NAME.py (or an extension module NAME.*.so), then the
 * editable mappings (their finder comes after the path finder).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

/* Metadata files are small; one that is not is not read past this. */
#define META_MAX (4 << 20)
/* A package tree deeper than this is not walked further. */
#define WALK_MAX_DEPTH 24

static const char *const groups[] = {"flowdapt.plugins", "dapt.plugins"};

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The whole (small) file, NUL-terminated; NULL when it cannot be read. */
static char *read_small(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    strbuf sb = {0};
    char buf[16384];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        strbuf_add(&sb, buf, (size_t)n);
        /* a short read of a regular file is its end: no read for 0 */
        if (sb.len > META_MAX || (size_t)n < sizeof buf)
            break;
    }
    close(fd);
    return sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

/* A/B, or A/B/C when c is not NULL (no printf: this is called per file). */
static char *join(const char *a, const char *b, const char *c)
{
    size_t na = strlen(a), nb = strlen(b), nc = c ? strlen(c) : 0;
    char *s = xmalloc(na + nb + nc + 3), *d = s;
    memcpy(d, a, na);
    d += na;
    *d++ = '/';
    memcpy(d, b, nb);
    d += nb;
    if (c) {
        *d++ = '/';
        memcpy(d, c, nc);
        d += nc;
    }
    *d = '\0';
    return s;
}

/* Trim spaces at both ends, in place. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static void vec_add(char ***v, size_t *n, char *s)
{
    *v = xrealloc(*v, *n + 2, sizeof **v);
    (*v)[(*n)++] = s;
    (*v)[*n] = NULL;
}

/* ------------------------------------------------------------------ */
/* The folders                                                          */
/* ------------------------------------------------------------------ */

static bool paths_has(const python_paths *p, const char *dir)
{
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->dirs[i], dir) == 0)
            return true;
    return false;
}

static void paths_add(python_paths *p, const char *dir, bool checked)
{
    if (dir[0] != '/' || paths_has(p, dir) || (!checked && !is_dir(dir)))
        return;
    vec_add(&p->dirs, &p->count, xstrdup(dir));
    p->dists = xrealloc(p->dists, p->count, sizeof *p->dists);
    p->dists[p->count - 1] = (python_dir_dists){0};
}

/* Path lines of a .pth file: relative ones are relative to its folder. */
static void read_pth(python_paths *p, const char *dir, const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    char *text = read_small(path);
    free(path);
    if (text == NULL)
        return;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *l = trim(line);
        if (*l == '\0' || *l == '#' || strncmp(l, "import ", 7) == 0 ||
            strncmp(l, "import\t", 7) == 0)
            continue;
        char *abs = l[0] == '/' ? xstrdup(l) : xasprintf("%s/%s", dir, l);
        paths_add(p, abs, false);
        free(abs);
    }
    free(text);
}

/* A quoted Python string literal at *s (no escapes but \\ and \'):
 * the copy, with *s past it; NULL when there is none. */
static char *py_string(const char **s)
{
    const char *p = *s;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    char q = *p;
    if (q != '\'' && q != '"')
        return NULL;
    strbuf sb = {0};
    for (p++; *p && *p != q; p++) {
        if (*p == '\\' && p[1])
            p++;
        strbuf_putc(&sb, *p);
    }
    if (*p != q) {
        strbuf_free(&sb);
        return NULL;
    }
    *s = p + 1;
    return sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

/* MAPPING = {'pkg': '/src/pkg', ...} of a setuptools editable finder. */
static void read_finder(python_paths *p, const char *dir, const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    char *text = read_small(path);
    free(path);
    const char *at = text ? strstr(text, "\nMAPPING") : NULL;
    at = at ? strchr(at, '{') : NULL;
    if (at == NULL) {
        free(text);
        return;
    }
    at++;
    for (;;) {
        char *key = py_string(&at);
        if (key == NULL)
            break;
        while (*at == ' ' || *at == ':')
            at++;
        char *value = py_string(&at);
        if (value == NULL) {
            free(key);
            break;
        }
        size_t n = p->map_count;
        vec_add(&p->map_names, &p->map_count, key);
        vec_add(&p->map_dirs, &n, value);
        while (*at == ' ' || *at == ',' || *at == '\n' || *at == '\r' || *at == '\t')
            at++;
    }
    free(text);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One folder: its listing and distributions kept, .pth files and
 * finders used now.  The listing is sorted once: site.py reads .pth
 * files in name order, and the subsets keep that order. */
static void read_dir(python_paths *p, size_t i, bool site)
{
    DIR *d = opendir(p->dirs[i]);
    if (d == NULL)
        return;
    char **names = NULL;
    size_t nnames = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            vec_add(&names, &nnames, xstrdup(de->d_name));
    closedir(d);
    if (nnames > 1)
        qsort(names, nnames, sizeof *names, name_cmp);
    char **dists = NULL;
    size_t ndists = 0;
    char *dir = xstrdup(p->dirs[i]); /* paths_add may move p->dirs */
    for (size_t k = 0; k < nnames; k++) {
        const char *n = names[k];
        if (has_suffix(n, ".dist-info") || has_suffix(n, ".egg-info"))
            vec_add(&dists, &ndists, xstrdup(n));
        else if (site && has_suffix(n, ".pth"))
            read_pth(p, dir, n);
    }
    for (size_t k = 0; site && k < nnames; k++)
        if (strncmp(names[k], "__editable___", 13) == 0 && has_suffix(names[k], "_finder.py"))
            read_finder(p, dir, names[k]);
    free(dir);
    p->dists[i].names = dists;
    p->dists[i].count = ndists;
    p->dists[i].entries = names;
    p->dists[i].nentries = nnames;
}

void python_dist_paths(python_paths *p, const python_env *env)
{
    memset(p, 0, sizeof *p);
    /* python-env.c keeps only the sys.path folders that are folders */
    for (size_t i = 0; i < env->path_count; i++)
        paths_add(p, env->path[i], true);
    for (size_t i = 0; i < env->site_count; i++)
        paths_add(p, env->site[i], false);
    /* p->count grows while .pth files add folders */
    for (size_t i = 0; i < p->count; i++) {
        bool site = false;
        for (size_t s = 0; s < env->site_count && !site; s++)
            site = strcmp(env->site[s], p->dirs[i]) == 0;
        /* a venv's site folder is in both lists; a folder a .pth added is
         * no site folder, but an editable src folder may hold egg-info */
        read_dir(p, i, site);
    }
}

void python_dist_paths_free(python_paths *p)
{
    for (size_t i = 0; i < p->count; i++) {
        fs_paths_free(p->dists[i].names, p->dists[i].count);
        fs_paths_free(p->dists[i].entries, p->dists[i].nentries);
    }
    free(p->dists);
    fs_paths_free(p->dirs, p->count);
    fs_paths_free(p->map_names, p->map_count);
    fs_paths_free(p->map_dirs, p->map_count);
    memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------------ */
/* Entry points                                                         */
/* ------------------------------------------------------------------ */

static bool wanted_group(const char *g)
{
    for (size_t i = 0; i < sizeof groups / sizeof *groups; i++)
        if (strcmp(g, groups[i]) == 0)
            return true;
    return false;
}

static void ep_add(python_ep **v, size_t *n, const char *name, const char *value,
                   const char *dir, const char *dist)
{
    /* "module:attr [extra]": the module is what is imported */
    size_t len = strcspn(value, ":[ \t");
    if (len == 0)
        return;
    for (size_t i = 0; i < *n; i++) /* both groups may declare it */
        if (strcmp((*v)[i].name, name) == 0 && strcmp((*v)[i].site_dir, dir) == 0 &&
            strcmp((*v)[i].dist_dir + strlen(dir) + 1, dist) == 0)
            return;
    *v = xrealloc(*v, *n + 1, sizeof **v);
    python_ep *ep = &(*v)[(*n)++];
    ep->name = xstrdup(name);
    ep->module = xstrndup(value, len);
    ep->site_dir = xstrdup(dir);
    ep->dist_dir = join(dir, dist, NULL);
    const char *dash = strchr(dist, '-'), *dot = strrchr(dist, '.');
    ep->dist_name = xstrndup(dist, (size_t)((dash && dash < dot ? dash : dot) - dist));
}

static void read_entry_points(python_ep **v, size_t *n, const char *dir, const char *dist)
{
    char *path = join(dir, dist, "entry_points.txt");
    char *text = read_small(path);
    free(path);
    if (text == NULL)
        return;
    bool in_group = false;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *l = trim(line);
        if (*l == '\0' || *l == '#' || *l == ';')
            continue;
        if (*l == '[') {
            char *end = strchr(l, ']');
            if (end)
                *end = '\0';
            in_group = wanted_group(trim(l + 1));
            continue;
        }
        char *eq = strchr(l, '=');
        if (!in_group || eq == NULL)
            continue;
        *eq = '\0';
        char *name = trim(l), *value = trim(eq + 1);
        if (*name)
            ep_add(v, n, name, value, dir, dist);
    }
    free(text);
}

void python_dist_entry_points(python_ep **out, size_t *count, const python_paths *p)
{
    *out = NULL;
    *count = 0;
    for (size_t i = 0; i < p->count; i++)
        for (size_t k = 0; k < p->dists[i].count; k++)
            read_entry_points(out, count, p->dirs[i], p->dists[i].names[k]);
}

void python_dist_eps_free(python_ep *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].module);
        free(v[i].site_dir);
        free(v[i].dist_dir);
        free(v[i].dist_name);
    }
    free(v);
}

/* ------------------------------------------------------------------ */
/* Modules                                                              */
/* ------------------------------------------------------------------ */

/* BASE/REL as a package folder or a module file, or NULL. */
static char *module_at(const char *base, const char *rel, bool *is_package)
{
    char *dir = xasprintf("%s/%s", base, rel);
    if (is_dir(dir)) {
        *is_package = true;
        return dir;
    }
    char *file = xasprintf("%s.py", dir);
    struct stat st;
    if (stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
        free(dir);
        *is_package = false;
        return file;
    }
    free(file);
    /* an extension module: REL.cpython-311-x86_64-linux-gnu.so, REL.so */
    char *parent = xstrdup(dir), *slash = strrchr(parent, '/');
    *slash = '\0';
    const char *leaf = slash + 1;
    size_t n = strlen(leaf);
    char *found = NULL;
    DIR *d = opendir(parent);
    struct dirent *de;
    while (d != NULL && found == NULL && (de = readdir(d)) != NULL)
        if (strncmp(de->d_name, leaf, n) == 0 && de->d_name[n] == '.' && has_suffix(de->d_name, ".so"))
            found = xasprintf("%s/%s", parent, de->d_name);
    if (d != NULL)
        closedir(d);
    free(parent);
    free(dir);
    *is_package = false;
    return found;
}

/*
 * Whether folder i's listing may hold the top-level REL (its first n
 * bytes): an entry REL (a package folder, or the first part of a dotted
 * name), or, when REL is all of it, REL.something (REL.py, an extension
 * module).  The entries with that prefix are together in the sorted
 * listing.
 */
static bool listed(const python_paths *p, size_t i, const char *rel, size_t n)
{
    const python_dir_dists *l = &p->dists[i];
    size_t lo = 0, hi = l->nentries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strncmp(l->entries[mid], rel, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < l->nentries && strncmp(l->entries[lo], rel, n) == 0; lo++) {
        char c = l->entries[lo][n];
        if (c == '\0' || (c == '.' && rel[n] == '\0'))
            return true;
    }
    return false;
}

/* The first folder holding `module`, then the editable mappings; with
 * use_lists, a folder is asked only when its listing has the name. */
static char *locate(const python_paths *p, const char *module, bool *is_package, bool use_lists)
{
    char *rel = xstrdup(module);
    for (char *c = rel; *c; c++)
        if (*c == '.')
            *c = '/';
    char *found = NULL;
    for (size_t i = 0; i < p->count && found == NULL; i++)
        if (!use_lists || listed(p, i, rel, strcspn(rel, "/")))
            found = module_at(p->dirs[i], rel, is_package);
    size_t top = strcspn(module, ".");
    for (size_t i = 0; i < p->map_count && found == NULL; i++) {
        if (strlen(p->map_names[i]) != top || strncmp(p->map_names[i], module, top) != 0)
            continue;
        if (module[top] == '\0') {
            if (is_dir(p->map_dirs[i])) {
                *is_package = true;
                found = xstrdup(p->map_dirs[i]);
            } else if (access(p->map_dirs[i], R_OK) == 0) {
                *is_package = false;
                found = xstrdup(p->map_dirs[i]);
            }
        } else {
            found = module_at(p->map_dirs[i], rel + top + 1, is_package);
        }
    }
    free(rel);
    return found;
}

char *python_dist_locate(const python_paths *p, const char *module, bool *is_package)
{
    return locate(p, module, is_package, false);
}

char *python_dist_locate_listed(const python_paths *p, const char *module, bool *is_package)
{
    return locate(p, module, is_package, true);
}

/* ------------------------------------------------------------------ */
/* Metadata                                                             */
/* ------------------------------------------------------------------ */

typedef struct meta {
    char *name, *version, *summary, *author, *author_email, *license, *license_expr, *home,
        *project_url;
    char **requires;
    size_t nrequires;
} meta;

static void set_once(char **field, const char *value)
{
    if (*field == NULL)
        *field = xstrdup(value);
}

static void meta_field(meta *m, const char *key, const char *value)
{
    if (strcasecmp(key, "Name") == 0)
        set_once(&m->name, value);
    else if (strcasecmp(key, "Version") == 0)
        set_once(&m->version, value);
    else if (strcasecmp(key, "Summary") == 0)
        set_once(&m->summary, value);
    else if (strcasecmp(key, "Author") == 0)
        set_once(&m->author, value);
    else if (strcasecmp(key, "Author-email") == 0)
        set_once(&m->author_email, value);
    else if (strcasecmp(key, "License") == 0)
        set_once(&m->license, value);
    else if (strcasecmp(key, "License-Expression") == 0)
        set_once(&m->license_expr, value);
    else if (strcasecmp(key, "Home-page") == 0)
        set_once(&m->home, value);
    else if (strcasecmp(key, "Project-URL") == 0) {
        /* "Homepage, https://...": the URL */
        const char *comma = strchr(value, ',');
        char *url = xstrdup(comma ? comma + 1 : value);
        set_once(&m->project_url, trim(url));
        free(url);
    } else if (strcasecmp(key, "Requires-Dist") == 0)
        vec_add(&m->requires, &m->nrequires, xstrdup(value));
}

/* The headers of a core metadata file (RFC 822: up to the first empty
 * line; a line starting with a space continues the one before, and is
 * dropped here: only a License can be that long, and its first line
 * says which). */
static void meta_parse(meta *m, char *text)
{
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (*line == '\0' || strcmp(line, "\r") == 0)
            break;
        if (*line == ' ' || *line == '\t')
            continue;
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        *colon = '\0';
        char *value = trim(colon + 1);
        if (*value && strcasecmp(value, "UNKNOWN") != 0)
            meta_field(m, trim(line), value);
    }
}

/* `"A B" <a@b>, C <c@d>` as "A B <a@b>, C <c@d>". */
static char *unquote_email(const char *s)
{
    strbuf sb = {0};
    for (; *s; s++)
        if (*s != '"')
            strbuf_putc(&sb, *s);
    return sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

static char *take(char **s)
{
    char *v = *s ? *s : xstrdup("");
    *s = NULL;
    return v;
}

void python_dist_metadata(dapt_plugin_info *info, const char *dist_dir)
{
    meta m = {0};
    bool egg = has_suffix(dist_dir, ".egg-info");
    char *file = xasprintf("%s/%s", dist_dir, egg ? "PKG-INFO" : "METADATA");
    char *text = read_small(file);
    free(file);
    if (text != NULL)
        meta_parse(&m, text);
    free(text);
    free(info->version);
    free(info->description);
    free(info->author);
    free(info->license);
    free(info->url);
    info->version = take(&m.version);
    info->description = take(&m.summary);
    if (m.author != NULL)
        info->author = take(&m.author);
    else if (m.author_email != NULL)
        info->author = unquote_email(m.author_email);
    else
        info->author = xstrdup("");
    if (m.license_expr != NULL)
        info->license = take(&m.license_expr);
    else
        info->license = take(&m.license);
    info->url = m.home ? take(&m.home) : take(&m.project_url);
    for (size_t i = 0; i < info->requirement_count; i++)
        free(info->requirements[i]);
    free(info->requirements);
    info->requirements = m.requires;
    info->requirement_count = m.nrequires;
    char **rest[] = {&m.name, &m.version, &m.summary, &m.author, &m.author_email, &m.license,
                     &m.license_expr, &m.home, &m.project_url};
    for (size_t i = 0; i < sizeof rest / sizeof *rest; i++)
        free(*rest[i]);
}

/* ------------------------------------------------------------------ */
/* Fingerprint and trust                                                */
/* ------------------------------------------------------------------ */

typedef struct walk {
    dapt_file_id id;
    uint64_t sum;
    uid_t euid;
    bool check;
    bool data;    /* the package has workflows/ or configs/ */
    char *reason; /* the first untrusted file or folder */
    char path[PATH_MAX]; /* the file or folder at hand */
} walk;

static void walk_file(walk *w, const char *path, size_t len, const struct stat *st)
{
    int64_t mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    uint64_t h = hash_bytes(path, len);
    h ^= (uint64_t)st->st_size * 0x9e3779b97f4a7c15u;
    h = (h ^ (uint64_t)mtime) * 0x100000001b3u;
    h ^= h >> 31;
    /* a sum: the order the folder lists its files in does not matter */
    w->sum += h;
    w->id.size++;
    if (mtime > w->id.mtime_ns)
        w->id.mtime_ns = mtime;
    if (w->check && w->reason == NULL)
        w->reason = fs_untrusted_reason("", path, st, w->euid);
}

static bool skipped_dir(const char *name)
{
    return name[0] == '.' || strcmp(name, "__pycache__") == 0 || strcmp(name, "tests") == 0 ||
           strcmp(name, "test") == 0;
}

/* The folder w->path (len bytes of it), its *.py files and folders; the
 * names of a folder are appended to w->path in place. */
static void walk_tree(walk *w, size_t len, int depth)
{
    struct stat st;
    if (depth > WALK_MAX_DEPTH || stat(w->path, &st) < 0)
        return;
    if (w->check && w->reason == NULL)
        w->reason = fs_untrusted_reason("", w->path, &st, w->euid);
    DIR *d = opendir(w->path);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        /* a skipped folder's name never ends in .py: no stat for it */
        if (skipped_dir(n))
            continue;
        bool py = has_suffix(n, ".py");
        if (!py && de->d_type != DT_DIR && de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
            continue;
        size_t nlen = strlen(n);
        if (len + 1 + nlen >= sizeof w->path)
            continue;
        w->path[len] = '/';
        memcpy(w->path + len + 1, n, nlen + 1);
        if (stat(w->path, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                if (depth == 0 && (strcmp(n, "workflows") == 0 || strcmp(n, "configs") == 0))
                    w->data = true;
                walk_tree(w, len + 1 + nlen, depth + 1);
            } else if (S_ISREG(st.st_mode) && py) {
                walk_file(w, w->path, len + 1 + nlen, &st);
            }
        }
        w->path[len] = '\0';
    }
    closedir(d);
}

char *python_dist_fingerprint(dapt_file_id *id, bool *data_dir, const char *package,
                              bool is_package, const char *dist_dir, bool check)
{
    /* not zeroed: path is a buffer, written before it is read */
    walk *w = xmalloc(sizeof *w);
    w->id = (dapt_file_id){0};
    w->sum = 0;
    w->euid = geteuid();
    w->check = check;
    w->data = false;
    w->reason = NULL;
    /* the metadata file python_dist_metadata reads, and the entry points */
    const char *meta_files[] = {has_suffix(dist_dir ? dist_dir : "", ".egg-info") ? "PKG-INFO"
                                                                                 : "METADATA",
                                "entry_points.txt"};
    for (size_t i = 0; dist_dir && i < sizeof meta_files / sizeof *meta_files; i++) {
        char *path = join(dist_dir, meta_files[i], NULL);
        struct stat st;
        if (stat(path, &st) == 0)
            walk_file(w, path, strlen(path), &st);
        free(path);
    }
    size_t len = strlen(package);
    struct stat st;
    if (is_package && len < sizeof w->path) {
        memcpy(w->path, package, len + 1);
        walk_tree(w, len, 0);
    } else if (!is_package && stat(package, &st) == 0) {
        walk_file(w, package, len, &st);
    }
    w->id.ino = w->sum;
    w->id.dev = 0;
    *id = w->id;
    *data_dir = w->data;
    char *reason = w->reason;
    free(w);
    return reason;
}

/* ------------------------------------------------------------------ */
/* Files                                                                */
/* ------------------------------------------------------------------ */

int python_dist_files(char ***files, size_t *count, const char *dist_dir)
{
    *files = NULL;
    *count = 0;
    bool egg = has_suffix(dist_dir, ".egg-info");
    char *path = xasprintf("%s/%s", dist_dir, egg ? "installed-files.txt" : "RECORD");
    char *text = read_small(path);
    free(path);
    if (text == NULL)
        return -1;
    /* RECORD: "path,hash,size" (paths relative to the site folder; a
     * path with a comma is quoted) */
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *l = trim(line);
        if (*l == '\0')
            continue;
        char *name;
        if (!egg && *l == '"') {
            const char *p = l;
            name = py_string(&p);
        } else {
            if (!egg)
                l[strcspn(l, ",")] = '\0';
            name = xstrdup(l);
        }
        if (name != NULL && strstr(name, "__pycache__/") == NULL)
            vec_add(files, count, name);
        else
            free(name);
    }
    free(text);
    if (*count > 1)
        qsort(*files, *count, sizeof **files, name_cmp);
    return 0;
}
