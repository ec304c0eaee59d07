/*
 * engine.h - the internal header of libdapt (engine/).  One block per file,
 * in the order of the files' dependencies.  Public API lives in
 * include/dapt/dapt.h; everything here is private to the library and its
 * unit tests.
 */
#ifndef DAPT_ENGINE_H
#define DAPT_ENGINE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "dapt/dapt.h"

/* xmalloc.c: allocation that aborts on exhaustion (tmux's way): callers
 * never test for NULL, and out-of-memory is not a recoverable state here. */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* strbuf.c: a growable NUL-terminated string. */
typedef struct strbuf {
    char *buf; /* always NUL-terminated once anything was added */
    size_t len;
    size_t cap;
} strbuf;
void strbuf_add(strbuf *sb, const char *s, size_t n);
void strbuf_puts(strbuf *sb, const char *s);
void strbuf_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_putc(strbuf *sb, char c);
char *strbuf_detach(strbuf *sb); /* caller frees; sb is reset */
void strbuf_free(strbuf *sb);

/* hash.c: FNV-1a over bytes, for the engine's small string tables (short
 * keys, tables sized from trusted counts: nothing stronger is needed). */
size_t hash_bytes(const void *p, size_t n);

/* suggest.c: "did you mean" from edit distance. */
/* The candidate closest to `word` if close enough to be a likely typo, else
 * NULL.  Borrowed from `candidates`. */
const char *suggest_closest(const char *word, const char *const *candidates, size_t count);
size_t suggest_distance(const char *a, const char *b);

/* ynode.c: a YAML document tree with a position on every node, built from
 * libyaml's events.  Nodes live in the document's arena; aliases point at the
 * anchored node (the tree may be a DAG), so nothing is freed one by one. */
typedef enum ynode_type {
    YNODE_SCALAR,
    YNODE_SEQ,
    YNODE_MAP,
} ynode_type;

typedef struct ynode ynode;
struct ynode {
    ynode_type type;
    dapt_pos pos;
    const char *tag; /* explicit tag ("tag:yaml.org,2002:str"...) or NULL */
    /* YNODE_SCALAR */
    const char *str; /* NUL-terminated; may contain NULs if len says so */
    size_t len;
    bool plain; /* plain style: subject to null/bool/number resolution */
    /* YNODE_SEQ: items; YNODE_MAP: keys[i] -> items[i] */
    ynode **items;
    ynode **keys;
    size_t count;
};

typedef struct ydoc {
    ynode *root; /* NULL for an empty document */
    dapt_pos pos;
    struct yarena *arena;
} ydoc;

typedef struct ydocs {
    ydoc *docs;
    size_t count;
} ydocs;

/* Parse every document of a buffer.  Syntax errors (and duplicate keys) are
 * added to diags under `file`; the documents before a syntax error are kept.
 * Returns 0, or -1 when a syntax error stopped the parse. */
int ynode_parse(ydocs *out, const char *file, const char *buf, size_t len, dapt_diags *diags);
void ynode_docs_free(ydocs *docs);
/* The value of `key` in a mapping, or NULL (also when `map` is not one). */
ynode *ynode_get(const ynode *map, const char *key);
/* The key node for `key` in a mapping, or NULL. */
ynode *ynode_key(const ynode *map, const char *key);
bool ynode_is_null(const ynode *n);
/* "mapping", "list", "string", "number", "boolean", "null": for messages. */
const char *ynode_describe(const ynode *n);
/* Convert to a JSON value with YAML 1.2 core scalar resolution (plain
 * null/~, true/false, integers, floats; quoted: strings).  When aliases
 * make it nest too deeply, an error naming `what` is added (if diags is
 * not NULL) and NULL is returned.  New reference. */
json_t *ynode_to_json(const ynode *n, const char *what, const char *file, dapt_diags *diags);

/* units.c: byte sizes and durations (public as dapt_parse_bytes and
 * dapt_parse_duration). */

/* resource.c: documents to typed resources (dapt_load_*).  The per-kind
 * loaders fill a resource from its document and report what is wrong. */
typedef struct load_ctx {
    const char *file;
    dapt_diags *diags;
} load_ctx;
void load_error(load_ctx *lc, dapt_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void load_warning(load_ctx *lc, dapt_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void load_note(load_ctx *lc, dapt_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Warn about keys of `map` not in `known` (with a suggestion). */
void load_unknown_keys(load_ctx *lc, const ynode *map, const char *what,
                       const char *const *known, size_t count);
/* `v` names one of `names`, a table indexed by an enum: returns the index,
 * or -1 after reporting "unknown WHAT `X`" with the closest name or the
 * list of choices.  Any scalar is taken as its text (`type: true` is a
 * wrong name, not a wrong type). */
int load_choice(load_ctx *lc, const ynode *v, const char *what, const char *const *names,
                size_t count);
/* Typed field readers: 0 when absent or read, -1 when wrong (reported). */
int load_string(load_ctx *lc, const ynode *n, const char *what, char **out);
bool load_valid_name(const char *name);
/* metadata: name and annotations, for every kind */
int load_metadata(load_ctx *lc, const ynode *doc, char **name, json_t **annotations);

/* workflow.c */
dapt_workflow *workflow_load(load_ctx *lc, const ynode *doc, bool flat);
void workflow_free(dapt_workflow *wf);

/* config.c */
dapt_config *config_load(load_ctx *lc, const ynode *doc);
void config_free(dapt_config *cfg);

/* trigger.c */
dapt_trigger *trigger_load(load_ctx *lc, const ynode *doc);
void trigger_free(dapt_trigger *tr);


/* plugin.c: one plugin file and its descriptor.  Shared by the scanner
 * child (discovery) and the workers (running stages). */
/* dlopen `path` (RTLD_NOW | RTLD_LOCAL), find DAPT_PLUGIN_SYMBOL, call it
 * and check the ABI version.  0, or -1 with *error (caller frees) saying
 * what is wrong and what to do. */
int plugin_open(void **handle, const dapt_plugin_desc **desc, const char *path, char **error);
/* Copy a descriptor into `info` (its strings owned by info) and check it:
 * name syntax, target path syntax, duplicate paths, kinds, parameter types.
 * Sets status OK, or BROKEN with info->error.  Fills everything but path,
 * data_dir and id.  Returns 0 when OK, -1 when BROKEN. */
int plugin_info_from_desc(dapt_plugin_info *info, const dapt_plugin_desc *desc);
/* Free what an info owns and zero it. */
void plugin_info_clear(dapt_plugin_info *info);
/* Deep copy (owned strings; target->plugin points at dst). */
void plugin_info_copy(dapt_plugin_info *dst, const dapt_plugin_info *src);
/* Set the target back pointers and full target strings ("name.path"). */
void plugin_info_link(dapt_plugin_info *info);
/* Mark an info broken with a formatted reason. */
void plugin_info_broken(dapt_plugin_info *info, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Syntax of names: a plugin name is [a-z_][a-z0-9_]*; a target path is such
 * words joined by single dots. */
bool plugin_name_valid(const char *name);
bool plugin_path_valid(const char *path);

/* plugin-scan.c: the scanner subprocess.  For each info (path set), load
 * the file in a forked child that reports the descriptor over a pipe, and
 * fill the info (status OK or BROKEN with the reason).  A child that
 * crashes, exits or hangs past timeout_ms marks the plugin it was loading
 * broken and a new child takes the rest.  Returns 0, or -1 with *error
 * when no child could be started at all. */
int plugin_scan(dapt_plugin_info *infos, size_t count, int timeout_ms, char **error);

/* plugin-cache.c: what earlier scans found, keyed by path and file id, in
 * a versioned binary file written atomically. */
typedef struct plugin_cache plugin_cache;
/* Read the cache file; a missing, foreign or damaged file gives an empty
 * cache.  Never NULL. */
plugin_cache *plugin_cache_load(const char *file);
void plugin_cache_free(plugin_cache *cache);
/* The entry for `path` when its id matches, else NULL.  Borrowed. */
const dapt_plugin_info *plugin_cache_lookup(const plugin_cache *cache, const char *path,
                                            const dapt_file_id *id);
/* Write `infos` (temp file, fsync, rename).  0, or -1 with *error. */
int plugin_cache_save(const char *file, const dapt_plugin_info *const *infos, size_t count,
                      char **error);
/* Lookup without copying (what keeps a warm start cheap): on a hit, *out
 * becomes a shallow copy whose strings and arrays stay owned by the cache
 * (valid until plugin_cache_free; never plugin_info_clear it) and whose
 * targets point back at *out.  false on a miss. */
bool plugin_cache_take(plugin_cache *cache, const char *path, const dapt_file_id *id,
                       dapt_plugin_info *out);
/* Every entry in file order, to carry over what a run did not look at. */
size_t plugin_cache_count(const plugin_cache *cache);
const dapt_plugin_info *plugin_cache_entry(const plugin_cache *cache, size_t i);
/* The checksum of the file's body (for tests that damage what is behind it). */
uint64_t plugin_cache_checksum(const void *p, size_t n);

/* user-modules.c: WORKSPACE/user_modules/FILE.c compiled on demand into
 * $XDG_CACHE_HOME/dapt/user_modules/FILE-HASH.so (HASH: the source, the .h
 * files beside it, the compiler command, dapt's version), then presented
 * as the one plugin `user_modules` with targets FILE.PATH.  The registry:
 *     user_modules_build(&sos, &names, &n, ws, &diags, &err);
 *     scan sos[0..n) like plugin files (cache, scanner) -> infos[0..n)
 *     if (user_modules_merge(&info, infos, names, n, ws, &diags)) add info;
 *     user_modules_free(sos, names, n);
 * and shows `diags` (compiler messages at FILE:LINE:COL) as warnings. */
/* Compile what changed ($CC or cc, with DAPT_INCLUDE_DIR or the installed
 * headers).  Fills the objects of the modules that compiled, sorted by
 * FILE (none when there is no user_modules/ folder); compiler messages,
 * failed modules and skipped files (FILE not a plugin name word) go to
 * diags.  -1 with *error only when the folder or the cache cannot be used. */
int user_modules_build(char ***so_paths, char ***names, size_t *count, const char *workspace,
                       dapt_diags *diags, char **error);
void user_modules_free(char **so_paths, char **names, size_t count);
/* Join the scanned objects (scanned[i] is so_paths[i] of module names[i])
 * into *out: the plugin `user_modules`, path the user_modules folder, the
 * targets of each usable module with paths FILE.PATH.  A module that
 * scanned broken adds an error to diags at its source file.  The plugin
 * is BROKEN (reason: the first error) when no module is usable and diags
 * hold errors.  Returns 1 when *out was filled (free it with
 * plugin_info_clear), 0 when there are no modules and no errors. */
int user_modules_merge(dapt_plugin_info *out, const dapt_plugin_info *scanned,
                       char *const *names, size_t count, const char *workspace,
                       dapt_diags *diags);

/* fs.c: mkdir -p (each missing folder with `mode`); 0, or -1 with errno
 * (ENOTDIR when `path` exists and is not a folder). */
int fs_mkdir_p(const char *path, mode_t mode);

/* libexec.c: the path of a helper program (dapt-fetch, later dapt-worker):
 * $DAPT_LIBEXECDIR/NAME, else the installed one, else the build tree's.
 * Caller frees. */
char *libexec_path(const char *name);

#endif /* DAPT_ENGINE_H */
