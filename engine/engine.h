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
#include <sys/stat.h>
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
/* 0, or -1 after an error at n: a NUL or another control character in n. */
int load_check_chars(load_ctx *lc, const ynode *n, const char *what);
bool load_valid_name(const char *name);
/* metadata: name and annotations, for every kind */
int load_metadata(load_ctx *lc, const ynode *doc, char **name, json_t **annotations);
/* The names the loader accepts, for the studio's completion (static
 * tables; NULL and 0 for an unknown `what`): "resource" (the keys of a
 * document's top), "metadata" (its keys), "kind" (the kinds). */
const char *const *resource_known(const char *what, size_t *count);

/* workflow.c */
dapt_workflow *workflow_load(load_ctx *lc, const ynode *doc, bool flat);
void workflow_free(dapt_workflow *wf);
/* As resource_known: "stage" (a stage's keys, also those `options` may
 * hold), "type" (the stage types), "resources" (the named ones; any other
 * key is a label), "spec", "flat" (the flat form's top). */
const char *const *workflow_known(const char *what, size_t *count);

/* config.c */
dapt_config *config_load(load_ctx *lc, const ynode *doc);
void config_free(dapt_config *cfg);

/* trigger.c */
dapt_trigger *trigger_load(load_ctx *lc, const ynode *doc);
/* As resource_known: "spec" (a trigger rule's spec keys), "type" (its
 * types), "action" (the action's keys). */
const char *const *trigger_known(const char *what, size_t *count);
void trigger_free(dapt_trigger *tr);

/* tzone.c: a time zone from the tz database (TZif files in $TZDIR or
 * /usr/share/zoneinfo), read once; offsets for any instant, past the last
 * transition too (the file's POSIX TZ footer rule). */
typedef struct tzone tzone;
/* name: "UTC", "Europe/Berlin", ...  0, or -1 with *error (caller frees)
 * saying the zone is unknown and where it was looked for. */
int tzone_load(tzone **out, const char *name, char **error);
void tzone_free(tzone *tz);
const char *tzone_name(const tzone *tz); /* borrowed */
/* Seconds east of UTC at Unix time t. */
long tzone_offset(const tzone *tz, int64_t t);
/* tzone_load from the directory `dir` instead of $TZDIR or the system's.
 * "UTC" and "Etc/UTC" (also "GMT", "Etc/GMT") are built in and never
 * read from a file, so they work without tzdata. */
int tzone_load_dir(tzone **out, const char *dir, const char *name, char **error);
/* A zone from a POSIX TZ string alone ("CET-1CEST,M3.5.0,M10.5.0/3",
 * "<+0330>-3:30", with Mm.w.d, Jn or n dates); its name is the string. */
int tzone_posix(tzone **out, const char *rule, char **error);
/* The offset at t, and the span of instants around t that share it:
 * [*start, *end) (either may be NULL), where start is the last instant
 * <= t at which the offset changed and end the first > t at which it
 * changes; INT64_MIN / INT64_MAX when there is none. */
long tzone_span(const tzone *tz, int64_t t, int64_t *start, int64_t *end);
/* The proleptic Gregorian calendar: days since 1970-01-01 of y-m-d
 * (m 1..12, d 1..31), and back. */
int64_t tzone_days(int64_t y, int m, int d);
void tzone_civil(int64_t days, int64_t *y, int *m, int *d);

/* cron.c: 5-field cron expressions: minute hour day-of-month month
 * day-of-week; each field a comma list of *, N, N-M, with /STEP; month and
 * weekday names (jan..dec, sun..sat, any case); weekday 7 is sunday.
 * N/STEP means N-MAX/STEP.  Semantics (Vixie cron's, made exact):
 * - a slot is a whole minute (second 0) of the wall clock;
 * - when both day-of-month and day-of-week are restricted (neither is `*`),
 *   a day matches when EITHER matches; else both must;
 * - in a zone with DST, a wall-clock time the clock skips (spring forward)
 *   does not fire when the hour field is `*`; otherwise the job fires once
 *   at the first instant after the gap (a daily 02:30 job still runs on the
 *   day 02:00-03:00 does not exist).  A wall-clock time that occurs twice
 *   (fall back) fires at both instants when the hour field is `*`, else
 *   only at the first. */
typedef struct cron_expr {
    uint64_t minute; /* bit n: minute n */
    uint32_t hour;
    uint32_t dom;    /* bits 1..31 */
    uint16_t month;  /* bits 1..12 */
    uint8_t dow;     /* bits 0..6, sunday 0 */
    bool dom_any, dow_any; /* field was `*` (or `*` with step 1) */
    bool hour_any;
} cron_expr;
/* 0, or -1 with *error (caller frees): which field, what is wrong.  The
 * message is whole: "cron expression `61 * * * *`: minute `61` is out of
 * range 0-59". */
int cron_parse(cron_expr *out, const char *text, char **error);
/* The first slot strictly after Unix time `after` (seconds), evaluated on
 * the wall clock of tz (NULL: UTC); INT64_MAX when none in the next 8 years
 * (e.g. "0 0 30 2 *"). */
int64_t cron_next(const cron_expr *c, int64_t after, const tzone *tz);
/* The last slot at or before `at`, or INT64_MIN when none in the 8 years before. */
int64_t cron_prev(const cron_expr *c, int64_t at, const tzone *tz);

/* rule.c: Flowdapt's condition rules (catalog 1.7): a mapping with one
 * operator whose value is its argument list (a lone value is a list of
 * one); an argument that is a mapping is evaluated, anything else is
 * taken as is.  eq ne gt lt ge le (two arguments), and or (any number;
 * empty and is true, empty or false), not (one), bool (truthiness), var
 * (a dotted path into the event; a missing key, a non-object on the way,
 * or an index out of range is null). */
/* Evaluate `rule` against `event`: 0 with *out (new reference), or -1
 * with *error (caller frees) naming the operator or argument at fault. */
int rule_eval(const json_t *rule, const json_t *event, json_t **out, char **error);
/* Python's truthiness: null, false, 0, 0.0, "", [] and {} are false. */
bool rule_truthy(const json_t *v);
/* Evaluate and test: 1 true, 0 false, -1 with *error. */
int rule_match(const json_t *rule, const json_t *event, char **error);
/* For the loader's checks: whether NAME is an operator, and how many
 * arguments it takes (max SIZE_MAX: any number). */
bool rule_operator(const char *name, size_t *min_args, size_t *max_args);
/* "unknown rule operator `X` (did you mean `Y`?)", or with the list of
 * operators when none is near.  Caller frees. */
char *rule_unknown_message(const char *name);

/* run-input.c: a run's input from the command line, added to the object
 * `input`.  run_input_add: `KEY=VALUE`, VALUE as JSON when it parses as
 * JSON (any value), else as a string.  run_input_add_json: a JSON object,
 * whose keys are added (a later key wins).  0, or -1 with *error (caller
 * frees; the whole message without the "dapt: " prefix) and `input` as it
 * was. */
int run_input_add(json_t *input, const char *kv, char **error);
int run_input_add_json(json_t *input, const char *text, char **error);


/* plugin.c: one plugin file and its descriptor.  Shared by the scanner
 * child (discovery) and the workers (running stages). */
/* A target flag beside DAPT_TARGET_VARARGS/KWARGS that no C descriptor
 * sets: the Python function is `async def` (the worker drives it with
 * asyncio.run). */
#define TARGET_ASYNC (1u << 16)
/* dlopen `path` (RTLD_NOW | RTLD_LOCAL), find DAPT_PLUGIN_SYMBOL, call it
 * and check the ABI version.  0, or -1 with *error (caller frees) saying
 * what is wrong and what to do. */
int plugin_open(void **handle, const dapt_plugin_desc **desc, const char *path, char **error);
/* The function of the stage target `path` of an opened descriptor, or
 * NULL (no such stage target). */
dapt_stage_fn plugin_desc_stage_fn(const dapt_plugin_desc *desc, const char *path);
/* Copy a descriptor into `info` (its strings owned by info) and check it:
 * name syntax, target path syntax, duplicate paths, kinds, parameter types.
 * Sets status OK, or BROKEN with info->error.  Fills everything but path,
 * data_dir and id.  Returns 0 when OK, -1 when BROKEN. */
int plugin_info_from_desc(dapt_plugin_info *info, const dapt_plugin_desc *desc);
/* Free what an info owns and zero it. */
void plugin_info_clear(dapt_plugin_info *info);
/* Deep copy (owned strings; target->plugin points at dst). */
void plugin_info_copy(dapt_plugin_info *dst, const dapt_plugin_info *src);
/* Set the target back pointers and full target strings ("name.path"; a
 * Python plugin's are "module.path", with object = the function's module
 * and object_path = its name). */
void plugin_info_link(dapt_plugin_info *info);
/* Mark an info broken with a formatted reason. */
void plugin_info_broken(dapt_plugin_info *info, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* How many of a target's parameters, from the first, positional
 * arguments can fill: none for a C target with DAPT_TARGET_VARARGS (its
 * parameters are named-only), else those before the first keyword-only
 * one (a Python target's params after *args). */
size_t plugin_positional_params(const dapt_target_info *t);
/* A target flag of Python targets (set by the scanner, cached with the
 * flags): its parameters before *args take positionals, as Python binds
 * them; without it a VARARGS target's parameters are named-only. */
#define TARGET_POSITIONAL_FIRST (1u << 17)
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
/* In a scanner child (either runtime's): default signal actions (a crash
 * must end it by its signal), nothing blocked, no core file, killed with
 * its parent.  false when the parent is gone already. */
bool plugin_scan_child_plain(pid_t parent);

/* registry.c: add a copy of a plugin described elsewhere (a test's own),
 * after every other: broken as shadowed when its name is taken. */
void registry_add_plugin(dapt_registry *reg, const dapt_plugin_info *info);

/* plugin-cache.c: what earlier scans found, keyed by path and file id, in
 * a versioned binary file written atomically. */
typedef struct plugin_cache plugin_cache;
/* Read the cache file; a missing, foreign or damaged file gives an empty
 * cache.  Never NULL. */
plugin_cache *plugin_cache_load(const char *file);
void plugin_cache_free(plugin_cache *cache);
/* The entry under `key` (a C plugin's path; python_cache_key() for a
 * Python plugin's) when its id matches, else NULL.  Borrowed. */
const dapt_plugin_info *plugin_cache_lookup(const plugin_cache *cache, const char *key,
                                            const dapt_file_id *id);
/* Write `infos` (temp file, fsync, rename), each under its path.  0, or
 * -1 with *error. */
int plugin_cache_save(const char *file, const dapt_plugin_info *const *infos, size_t count,
                      char **error);
/* The same, infos[i] under keys[i] (NULL, or keys NULL: its path). */
int plugin_cache_save_keyed(const char *file, const dapt_plugin_info *const *infos,
                            const char *const *keys, size_t count, char **error);
/* Entry i's key (borrowed). */
const char *plugin_cache_entry_key(const plugin_cache *cache, size_t i);
/* Lookup without copying (what keeps a warm start cheap): on a hit, *out
 * becomes a shallow copy whose strings and arrays stay owned by the cache
 * (valid until plugin_cache_free; never plugin_info_clear it) and whose
 * targets point back at *out.  false on a miss. */
bool plugin_cache_take(plugin_cache *cache, const char *key, const dapt_file_id *id,
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
 *     user_modules_build(&sos, &names, &n, ws, insecure, &diags, &err);
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
                       bool insecure, dapt_diags *diags, char **error);
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
/* 0 when `path` is not a symbolic link (or does not exist); -1 with
 * *error and errno ELOOP when it is one. */
int fs_refuse_symlink(const char *path, char **error);
/* write() all of it, again after EINTR and short writes; 0 or -1/errno. */
int fs_write_all(int fd, const void *data, size_t n);
/* Read `fd` to its end (EINTR retried) into `out`, keeping at most `max`
 * bytes of it (0: all): a child's output, say, read to EOF whatever its
 * size. */
void fs_read_fd(int fd, strbuf *out, size_t max);
/* Write a file so that a crash leaves the old one or the new one, never
 * half: a hidden temporary file beside it with `mode`, fsync, rename (or
 * with `replace` false, link: an existing file is never overwritten and
 * the call fails with EEXIST), then fsync of the folder.  0 or -1/errno. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool replace);
/* A YAML file's name (.yaml or .yml), not hidden. */
bool fs_yaml_name(const char *name);
/* The YAML files of `dir` (regular files), as paths DIR/NAME, sorted.
 * 0 (none when the folder does not exist), or -1 after an error in diags.
 * Free with fs_paths_free. */
int fs_yaml_files(char ***out, size_t *count, const char *dir, dapt_diags *diags);
void fs_paths_free(char **paths, size_t count);
/* WORKSPACE/workflows/NAME.yaml (or .yml) when it is a file; caller
 * frees; NULL when neither is. */
char *fs_workflow_file(const char *workspace, const char *name);

/* Why the file (or folder) at `path` must not be trusted, or NULL
 * (caller frees): writable by group or others, or owned by someone but
 * `euid` and root; the text says what to do.  `what` is put before the
 * path ("", "its folder "). */
char *fs_untrusted_reason(const char *what, const char *path, const struct stat *st, uid_t euid);
/* The same for `path` and every folder above it up to the root, as
 * OpenSSH's secure_filename() does: the path as named and, when a symbolic
 * link is on it, as resolved (the file it leads to and that file's
 * folders).  A root-owned folder with the sticky bit (/tmp) ends a walk
 * as trusted; `path`'s own check knows no such exception. */
char *fs_untrusted_path(const char *what, const char *path, uid_t euid);

/* python-env.c: the interpreter of Python plugins, resolved once by
 * running it and then cached ($XDG_CACHE_HOME/dapt/python.cache, keyed by
 * the command, its file's identity and $VIRTUAL_ENV, $PYTHONPATH,
 * $PYTHONHOME, $PYENV_VERSION): a warm start runs no Python. */
typedef struct python_env {
    char *command;    /* as given: "python3", "/v/bin/python" */
    char *file;       /* what the command found (a pyenv shim, a venv's link) */
    char *executable; /* sys.executable: what runs the scanner and the workers */
    char *version;    /* "3.11.2" */
    char *prefix, *base_prefix;
    char **path; /* sys.path: existing absolute folders, not the standard library */
    size_t path_count;
    char **site; /* site folders (site-packages, the user site when enabled) */
    size_t site_count;
    bool externally_managed; /* a system Python pip must not install into */
    bool from_cache;         /* no Python ran to learn this */
} python_env;
/* The command to use: `option` (the caller's), else $DAPT_PYTHON, else
 * `setting` (services.python.interpreter), else $VIRTUAL_ENV/bin/python,
 * else "python3".  NULL for "none" (no Python runtime).  *named: the
 * command was chosen, not a default (a missing one deserves a warning).
 * Caller frees. */
char *python_env_command(const char *option, const char *setting, bool *named);
/* The same, with the rule that chose it for messages ("$DAPT_PYTHON",
 * "the setting services.python.interpreter", "$VIRTUAL_ENV", "python3
 * from PATH"; static text) and "none" returned as such, not NULL: what
 * `dapt plugins python` and `plugins install` tell the user.  Caller
 * frees. */
char *python_env_rule(const char *option, const char *setting, const char **from);
/* Resolve `command` (a path, or a name in PATH) through the cache file
 * (NULL: none).  *out is NULL when there is no usable interpreter: with
 * *warning (caller frees) when it was `named`, or when it exists but does
 * not work.  A cache that cannot be written also gives a *warning.
 * Returns 0 (-1 is reserved for failures of dapt itself: *error). */
int python_env_open(python_env **out, const char *command, bool named, const char *cache_file,
                    char **warning, char **error);
void python_env_free(python_env *env);

/* python-dist.c: installed distributions, read in C (dist-info,
 * egg-info, .pth files, setuptools' editable finders). */
typedef struct python_dir_dists {
    char **names; /* the NAME.dist-info and NAME.egg-info of a folder, sorted */
    size_t count;
    char **entries; /* every name of the folder but hidden ones, sorted */
    size_t nentries;
} python_dir_dists;
typedef struct python_paths {
    char **dirs; /* sys.path folders, site folders, .pth path lines; in order */
    size_t count;
    python_dir_dists *dists; /* one per dir */
    /* editable installs: top-level package map_names[i] is at map_dirs[i] */
    char **map_names, **map_dirs;
    size_t map_count;
} python_paths;
/* Read every folder of env once (all owned by *p). */
void python_dist_paths(python_paths *p, const python_env *env);
void python_dist_paths_free(python_paths *p);
/* One entry point of the groups flowdapt.plugins and dapt.plugins. */
typedef struct python_ep {
    char *name;      /* the entry point's name: the plugin's */
    char *module;    /* "my_package" of "my_package" or "my_package:attr" */
    char *site_dir;  /* the folder its distribution is in */
    char *dist_dir;  /* SITE/NAME-VER.dist-info (or .egg-info) */
    char *dist_name; /* NAME of that folder */
} python_ep;
/* Every entry point, folder by folder in order, distributions by name.
 * The same name twice in one distribution (both groups) is one. */
void python_dist_entry_points(python_ep **out, size_t *count, const python_paths *p);
void python_dist_eps_free(python_ep *v, size_t n);
/* Where `module` ("pkg", "ns.pkg") is: its package folder (*is_package)
 * or its file; NULL when no folder or editable mapping has it.  Caller
 * frees. */
char *python_dist_locate(const python_paths *p, const char *module, bool *is_package);
/* The same, asking the file system only about the folders whose listing
 * (taken by python_dist_paths, as the entry points were) has the name:
 * for the entry points of one python_dist_paths. */
char *python_dist_locate_listed(const python_paths *p, const char *module, bool *is_package);
/* version, description (Summary), author (Author, else Author-email),
 * license (License-Expression, else License), url (Home-page, else the
 * first Project-URL) and requirements (Requires-Dist) from the folder's
 * METADATA or PKG-INFO, replacing what info held. */
void python_dist_metadata(dapt_plugin_info *info, const char *dist_dir);
/* The identity of a plugin's code: the (path, size, mtime) of the
 * distribution's METADATA (an egg's PKG-INFO) and entry_points.txt and of
 * every *.py under the package (not __pycache__, tests, test, hidden
 * folders) or of the module file.  id: size = file count, mtime_ns = the
 * newest, ino = a hash of all, dev = 0.  *data_dir: the package has a
 * workflows/ or configs/ folder.  With `check`, returns why a file or
 * folder of the package is not to be trusted (caller frees), else NULL. */
char *python_dist_fingerprint(dapt_file_id *id, bool *data_dir, const char *package,
                              bool is_package, const char *dist_dir, bool check);
/* The files a distribution installed (RECORD, or an egg's
 * installed-files.txt), relative to its site folder (an egg's: to the
 * egg-info folder), sorted, __pycache__ left out.  0, or -1 when there is
 * no such list.  Free with fs_paths_free. */
int python_dist_files(char ***files, size_t *count, const char *dist_dir);

/* python-scan.c: describe Python plugins in scanner processes
 * (INTERPRETER -I PYTHON_DIR/dapt_worker/scan.py), one per plugin, a few
 * at a time, each killed past timeout_ms (0: 10 s).  infos[i] has name,
 * module and path set; only[i] (only NULL, or an entry NULL: the whole
 * package) names the one target "sub.func" to describe.  Each info gets
 * its targets (linked) and status OK, or BROKEN with why: the exception
 * and FILE:LINE of a failed import, sys.exit, a crash (signal, and the
 * frame faulthandler printed), the deadline.  Returns 0, or -1 when
 * dapt's scan.py is missing (every info broken saying so). */
int python_scan(dapt_plugin_info **infos, const char *const *only, size_t count,
                const python_env *env, const python_paths *paths, int timeout_ms);

/* What a runtime's discovery hands the registry for one plugin. */
typedef struct runtime_found {
    /* runtime, name, module, path (for Python: the package folder or
     * module file), data_dir, interpreter, id (the fingerprint) set, the
     * metadata strings "": owned by the caller once taken */
    dapt_plugin_info info;
    char *key;      /* its plugin cache key */
    char *dist_dir; /* its distribution's folder; NULL when described on demand */
    bool pending;   /* false: decided already (broken: no package, untrusted) */
} runtime_found;
void runtime_found_clear(runtime_found *f);
void runtime_found_free(runtime_found *v, size_t n);

/* How the plugins of a runtime that has no NAME.so files are found and
 * described (the c row has none: the registry's search path of NAME.so
 * files and plugin-scan.c are its discovery).  The registry opens each
 * row's state once, lists its plugins after the C ones (shadowing across
 * runtimes is the registry's), has the cache misses described, and asks
 * for a target no plugin lists (MODULE.REST, the runtime's own import
 * paths) to be described on demand.  Targets of such plugins are
 * MODULE.PATH, found by module (dapt_plugin_info.module). */
typedef struct runtime_discovery {
    /* NULL when the runtime is off or has no interpreter (why appended
     * to *warnings when the user asked for one). */
    void *(*open)(const char *option, const char *workspace, const char *cache_file,
                  strbuf *warnings);
    void (*close)(void *state);
    void (*list)(runtime_found **out, size_t *count, const void *state, bool insecure);
    /* Metadata (dist_dirs[i] not NULL) and targets of infos[i] (name,
     * module, path set); only[i] (only NULL, or an entry NULL: all)
     * names the one target to describe. */
    void (*describe)(dapt_plugin_info **infos, const char *const *dist_dirs,
                     const char *const *only, size_t count, const void *state,
                     int timeout_ms);
    /* `top` is a package of the runtime's folders that can hold
     * TOP.REST: 1 with *out, 0 when it is no package of this runtime, -1
     * with *error (caller frees) when it cannot hold REST (no such module,
     * no such function: with the nearest name), found without starting
     * the interpreter. */
    int (*on_demand)(runtime_found *out, const void *state, const char *top, const char *rest,
                     bool insecure, char **error);
} runtime_discovery;

/* python.c: Python plugins in the registry.  python_runtime_open finds
 * the interpreter and reads its folders; python_discover lists the entry
 * points as entries decided as far as C can (shadowing is the registry's:
 * it knows the C plugins); python_describe fills what the cache did not
 * know (metadata in C, targets from the scanner). */
typedef struct python_runtime {
    python_env *env;
    python_paths paths;
} python_runtime;
/* NULL when there is no Python runtime (DAPT_PYTHON=none, no
 * interpreter); warnings appended to *warnings. */
python_runtime *python_runtime_open(const char *option, const char *workspace,
                                    const char *cache_file, strbuf *warnings);
void python_runtime_free(python_runtime *rt);
/* The python row's discovery (runtime.c's table points at it). */
extern const runtime_discovery python_discovery;
/* "python\nINTERPRETER\nNAME\nPATH" (+ "\nONLY" for a target described on
 * demand).  Caller frees. */
char *python_cache_key(const char *interpreter, const char *name, const char *path,
                       const char *only);

/* registry.c (public: dapt_registry_*): the distribution folder
 * (NAME-VER.dist-info) of a Python plugin of the registry, or NULL
 * (a C plugin, a target described on demand).  Borrowed. */
const char *registry_python_dist(const dapt_registry *reg, const dapt_plugin_info *plugin);

/* libexec.c: the path of a helper program (dapt-git, dapt-worker):
 * $DAPT_LIBEXECDIR/NAME, else the installed one, else the build tree's.
 * Caller frees. */
char *libexec_path(const char *name);
/* The folder of dapt's own Python code (python/ of the source tree:
 * dapt_worker, dapt, compat/flowdapt): $DAPT_PYTHON_DIR, else the
 * installed $(pkgdatadir)/python, else the source tree's.  Caller frees. */
char *libexec_python_dir(void);

/* runtime.c: the runtime table, one row per language a plugin is written
 * in (c, python).  A row says how the worker processes that run its
 * stages start and how a running task is asked to stop.  Rows are static
 * and never freed. */
typedef struct runtime_ops {
    const char *name; /* "c", "python" (as dapt_runtime_name) */
    dapt_runtime runtime;
    /* The command of a worker process for this runtime's stages, run by
     * `interpreter` (the plugin info's `interpreter`: the resolved
     * executable; ignored by rows that need none).  *argv: NULL-terminated,
     * argv[0] the program (an absolute path); *env: the worker's whole
     * environment ("NAME=value", NULL-terminated), or NULL for the
     * engine's own.  Both owned by the caller (runtime_strv_free).  0, or
     * -1 with *error (caller frees) naming what is missing. */
    int (*worker_command)(char ***argv, char ***env, const char *interpreter, char **error);
    /* A running task is stopped with a {"op":"cancel","id":N} frame (the
     * worker cannot read a sigqueue value), not with SIGTERM. */
    bool cancel_frame;
    /* Thread mode may run its stages in the engine's own threads (C);
     * otherwise they always go to a pool of its worker processes. */
    bool in_process;
    /* How its plugins are found and described; NULL: NAME.so files on the
     * plugin search path (the registry's own). */
    const runtime_discovery *discovery;
} runtime_ops;
/* The row of a runtime, or NULL for a value that has none. */
const runtime_ops *runtime_get(dapt_runtime runtime);
/* Rows in the order the registry lists their plugins (c first). */
#define RUNTIME_COUNT 2
void runtime_strv_free(char **v);

/* ================================================================== */
/* The engine (issue 4).  How the parts fit:                           */
/*                                                                     */
/*   run.c (scheduler: one run's state, on the caller's uv loop)       */
/*     -> callargs.c  Flowdapt's argument passing, checked up front    */
/*     -> executors   one pool per runtime in use: exec-thread.c      */
/*                    (threads, C only) | exec-process.c (a pool of   */
/*                    the runtime row's workers, runtime.c: dapt-     */
/*                    worker, or python -m dapt_worker; wire.c frames) */
/*     -> host.c      the dapt_host_api a stage calls (both modes)     */
/*     -> bus.c       events to subscribers: the CLI printer, store.c, */
/*                    the studio                                      */
/*   objstore.c  cluster memory + artifacts; settings.c, configs.c     */
/* ================================================================== */

/* time.c-like helpers live in run.c: */
int64_t clock_now_us(void);  /* CLOCK_REALTIME in microseconds */
int64_t clock_mono_us(void); /* CLOCK_MONOTONIC in microseconds */
/* "2026-11-25T10:37:43.123Z" into buf (at least 32 bytes); "" for 0. */
void clock_iso(char *buf, size_t size, int64_t ts_us);

/* wire.c: length-prefixed JSON frames between the engine and a
 * dapt-worker: a 4-byte big-endian length, then that many bytes of
 * compact JSON (one object).  Frames above WIRE_MAX are refused. */
#define WIRE_MAX (256u * 1024u * 1024u)
/* Encode one frame (length prefix included) into a malloc'd buffer; NULL
 * when it cannot be encoded (see wire_append). */
char *wire_encode(const json_t *msg, size_t *len);
/* The length of the UTF-8 sequence at p (of at most n bytes), or 0 when
 * it is not one jansson takes (overlong, a surrogate, past U+10FFFF, a
 * byte that does not continue it: a NUL ends a string safely). */
size_t wire_utf8_len(const unsigned char *p, size_t n);
/* A decoder fed with whatever bytes arrive. */
typedef struct wire_reader {
    char *buf;
    size_t len, cap;
    size_t pos; /* where the bytes not yet taken by wire_reader_next begin */
} wire_reader;
void wire_reader_feed(wire_reader *r, const char *data, size_t n);
/* The next complete frame: 1 with *msg (new reference), 0 when more bytes
 * are needed, -1 with *error (caller frees) when the stream is corrupt. */
int wire_reader_next(wire_reader *r, json_t **msg, char **error);
void wire_reader_free(wire_reader *r);
/* Reading without a copy: room for at least `want` bytes at the end of
 * the buffer (read into it), then commit what was read. */
char *wire_reader_space(wire_reader *r, size_t want, size_t *room);
void wire_reader_commit(wire_reader *r, size_t n);
/* One read(2) of up to 64 KiB from `fd` into the reader (EINTR retried):
 * the byte count, 0 at EOF, -1 with errno. */
long wire_reader_read(wire_reader *r, int fd);
/* Append one frame to `sb` (several frames then go out in one write).
 * 0, or -1 when the value cannot be encoded (a real that is not finite,
 * a cycle) or the frame would be over WIRE_MAX; sb is then unchanged. */
int wire_append(strbuf *sb, const json_t *msg);
/* Pieces of a frame written by hand: wire_begin leaves room for the
 * length; wire_end fills it in, or takes the frame back (-1) when rc < 0
 * or it is too big.  wire_put_value writes a value as wire_append does
 * (-1: a loop, or a string that is not UTF-8); wire_put_string a string
 * as JSON (-1, nothing written: not UTF-8). */
size_t wire_begin(strbuf *sb);
int wire_end(strbuf *sb, size_t start, int rc);
int wire_put_value(strbuf *sb, const json_t *v);
int wire_put_string(strbuf *sb, const char *s);
/* Write all of buf (EINTR retried; a socket gets MSG_NOSIGNAL so a dead
 * peer is EPIPE, not a signal).  0, or -1 with errno. */
int wire_send(int fd, const char *buf, size_t len);
/* Blocking helpers for the worker side (retry on EINTR): 0 or -1/errno;
 * wire_read returns 1 at a clean EOF before any byte of a frame. */
int wire_write(int fd, const json_t *msg);
int wire_read(int fd, json_t **msg, char **error);

/* loader.c: stage functions from plugin files, loaded once per process
 * (the workers, and the engine in thread mode) with plugin_open().
 * Thread-safe. */
/* The function of target `path` in the plugin file `so`.  0, or -1 with
 * *error (caller frees). */
int loader_get(dapt_stage_fn *fn, const char *so, const char *path, char **error);
/* dlclose everything (at exit; only for leak checkers). */
void loader_unload_all(void);

/* The run-wide part of a stage's context, shared by every call of a run
 * (immutable once the run starts; the executors and workers read it). */
typedef struct run_info {
    char *run_id;
    char *run_name;
    char *workflow;
    char *ns;        /* object store namespace */
    char *workspace; /* absolute, or NULL */
    json_t *input;   /* object */
    json_t *config;  /* object */
    json_t *definition; /* the workflow as JSON */
    char *default_strategy; /* object store default: "fallback" */
} run_info;
/* {run_id, run_name, workflow, namespace, workspace, input, config,
 * definition, default_strategy}; new reference.  And back (0 or -1). */
json_t *run_info_to_json(const run_info *ri);
int run_info_from_json(run_info *ri, const json_t *j);
void run_info_clear(run_info *ri);

/* host.c: the dapt_host_api a stage function sees, for both executors.
 * A host_ctx is one call's context; its side effects go to a sink. */
typedef struct host_sink {
    /* A dapt_ctx_log() line (text NUL-terminated, no newline added). */
    void (*log)(void *data, long item, int level, const char *text);
    /* An object store request {op, key, namespace, strategy, value}:
     * 0 with *reply (new reference: true for put/delete, the value for
     * get, a boolean for exists), or -1 with *error (caller frees). */
    int (*object)(void *data, json_t *request, json_t **reply, char **error);
    /* Context the run_info does not hold yet ("definition", built on
     * first use in thread mode), borrowed; may be NULL. */
    json_t *(*context)(void *data, const char *key);
    void *data;
} host_sink;

typedef struct host_ctx {
    dapt_ctx base; /* first: the stage sees a dapt_ctx * */
    const run_info *run;
    const char *stage;
    const char *plugin;
    const char *plugin_dir;
    long item;    /* -1: not an item */
    int attempt;  /* from 1 */
    const host_sink *sink;
    /* Set by the executor when the stage should stop (cancel, timeout). */
    const volatile int *cancel;
    /* Owned scratch: */
    char *error;  /* from dapt_ctx_fail */
    char *object_error;
    char item_text[24];
    char attempt_text[16];
    json_t *run_json; /* "run" context, built on demand */
} host_ctx;

extern const dapt_host_api host_api;
void host_ctx_init(host_ctx *hc, const run_info *run, const host_sink *sink,
                   const volatile int *cancel);
/* Call fn(args, kwargs) as item `item` (-1: none), attempt `attempt`.
 * Returns the value (new reference), or NULL with *error (caller frees):
 * the dapt_ctx_fail() message, or "returned nothing without calling
 * dapt_ctx_fail" when the stage returned NULL without a reason. */
json_t *host_call(host_ctx *hc, dapt_stage_fn fn, json_t *args, json_t *kwargs, long item,
                  int attempt, char **error);
void host_ctx_clear(host_ctx *hc);

/* typecheck.c: values against the JSON types targets declare.  A type
 * is names joined with '|' ("integer|string"); "array of T" is an array of
 * T (T: the rest of the text); "any", "" and unknown names take anything.
 * An integer is a number, a real (even 2.0) is not an integer; null fits a
 * type naming "null" and an optional parameter. */
/* NULL when `v` fits `p`, else a message (caller frees):
 * "`n` of `dapt.range` is an integer; `\"abc\"` is a string". */
char *typecheck_param(const dapt_param_info *p, const char *target, const json_t *v);
/* Whether `v` fits `type` (`optional`: null fits too). */
bool typecheck_fits(const char *type, bool optional, const json_t *v);
/* "an integer or a string", "an array of integers" (caller frees). */
char *typecheck_describe(const char *type);
/* The type a `returns` text starts with, canonical ("number: the sum" ->
 * "number", "list of integers" -> "array of integer", "Optional[int]" ->
 * "integer|null"), caller frees; NULL when it names none. */
char *typecheck_returns(const char *returns);
/* Whether some value of type `produced` fits `accepted`. */
bool typecheck_compatible(const char *produced, const char *accepted);
/* A stage's `args:` values (errors at each value) and its dependencies'
 * declared outputs against the parameters they fill (warnings at the
 * depends_on entry).  Returns the number of errors added. */
size_t typecheck_stage(const dapt_registry *reg, const dapt_workflow *wf, const dapt_stage *st,
                       const dapt_target_info *t, const char *file, dapt_diags *diags);
/* The run input a root stage receives (a mapped-over list item by item):
 * 0, or -1 with *error naming the stage, the key and --input. */
int typecheck_input(const dapt_stage *st, const dapt_target_info *t, const json_t *input,
                    char **error);
/* Warnings for the keys of a run's merged config named like a parameter of
 * a stage's target whose value does not fit it, at the value in the last
 * of `files` (configs_for_workflow's used files) that gives it. */
void typecheck_config(const dapt_registry *reg, const dapt_workflow *wf, const json_t *config,
                      const json_t *files, dapt_diags *diags);

/* callargs.c: Flowdapt's argument passing, checked before anything runs.
 * A stage's call gets:
 *   root:       kwargs = input filtered to the declared params (all of it
 *               with DAPT_TARGET_KWARGS), args = []
 *   dependent:  args = outputs of depends_on in order (an entry listed
 *               twice gives its output twice), kwargs = {}
 *   then        kwargs += the stage's `args:` (over the input's)
 *   parameterized: one call per element of args[0]: args = [item,
 *               args[1:]...]; or, with map_on, per element of
 *               input[map_on] (then not a kwarg): args = [item, args...]
 * Positional arguments beyond the declared params are dropped unless
 * VARARGS; a kwarg named like a param filled positionally is dropped. */
/* How many positional arguments each call of the stage gets (the item of
 * a parameterized stage included), before they are cut to the target's
 * params: what validation counts as given. */
size_t callargs_positionals(const dapt_stage *st);
/* Check a stage against its target before the run: required params that
 * neither positionals nor input nor `args:` fill, a dependent stage whose
 * target takes no arguments, a parameterized stage with nothing to map.
 * `input` may be NULL (unknown: root stages are not checked against it).
 * 0, or -1 with *error (caller frees), a message naming the stage. */
int callargs_check(const dapt_stage *st, const dapt_target_info *t, const json_t *input,
                   char **error);
/* The arguments of a simple stage's call, or the shared part of a
 * parameterized stage's calls (args without the item in front).  `deps`
 * are the outputs of depends_on, in order (borrowed).  New references in
 * *args (array) and *kwargs (object). */
void callargs_build(json_t **args, json_t **kwargs, const dapt_stage *st,
                    const dapt_target_info *t, const json_t *input, json_t *const *deps,
                    size_t ndeps);
/* The list a parameterized stage maps over: args[0], or input[map_on]
 * (borrowed).  NULL with *error when it is not an array. */
json_t *callargs_items(const dapt_stage *st, json_t *args, const json_t *input, char **error);
/* One item's positional arguments: [item, shared[1:]...] (with map_on
 * [item, shared...]), cut to the declared params unless VARARGS.  New
 * reference. */
json_t *callargs_item_args(const dapt_stage *st, const dapt_target_info *t, json_t *shared,
                           json_t *item);

/* task: one dispatch to an executor: a simple stage's one call, or a batch
 * of a parameterized stage's items.  Owned by run.c. */
typedef struct task_call {
    long item;     /* item index, -1 for a simple stage */
    json_t *args;  /* positional arguments (array); owned */
    /* filled by the executor: */
    bool done;
    json_t *value; /* new reference when done and ok */
    char *error;   /* malloc'd message when done and failed */
} task_call;

struct run;
struct executor;

typedef struct task {
    struct run *run;
    uint64_t id;          /* unique in the run */
    size_t stage;         /* index of the stage in the workflow */
    const char *stage_name;
    int attempt;          /* from 1 */
    int slots;            /* worker slots it holds (resources.cpus) */
    const char *so;       /* the shared object holding the function */
    const char *target_path; /* the target's path in it */
    const char *plugin;   /* plugin name, for the context */
    const char *plugin_dir; /* the plugin's data folder or NULL */
    json_t *kwargs;       /* shared by the calls; borrowed from the run */
    task_call *calls;
    size_t ncalls;
    /* Set when the executor could not finish the task: the worker died
     * ("worker process 123 was killed by SIGSEGV (segmentation fault)")
     * or could not start.  Calls without `done` did not report. */
    char *lost;
    volatile int cancel;  /* set by run.c: the stage should stop */
    /* Set by a thread executor that gave up on a stuck thread: run.c then
     * ignores the calls and leaves freeing the task to that thread. */
    volatile int abandoned;
    int refs; /* an abandoned task's owners: its thread and the report */
    void *exec_data;      /* the executor's */
    struct task *next;    /* run.c's list of tasks out */
    struct task *qnext;   /* an executor's queue */
} task;

/* An executor runs tasks and reports back through these (run.c).  The
 * process executor calls them on the loop's thread; the thread executor
 * calls run_task_done from its threads (it is thread-safe) and may get a
 * next task to run at once on the same thread (a successor). */
/* A task ended (every call done, or `lost` set).  Returns a task for the
 * calling thread to run next when `want_next` and the scheduler has one
 * that may run there, else NULL. */
task *run_task_done(struct run *r, task *t, bool want_next);
/* Free a task and its calls without its run (a thread executor's task
 * that was abandoned and came back after its run was gone). */
void run_task_free(task *t);
/* A log line of a task (t NULL: of no task, e.g. a worker's output between
 * tasks).  Any thread.  text need not be NUL-terminated. */
void run_task_line(struct run *r, task *t, long item, dapt_stream stream, int level,
                   const char *text, size_t len);
/* Raw output of a task read from a pipe: split into lines (a line cut by
 * the read waits in `partial`, the caller's per pipe; one longer than
 * max_line is handed over as it is).  One lock and one time for the
 * whole read.  Any thread. */
void run_task_text(struct run *r, task *t, long item, dapt_stream stream, int level,
                   const char *data, size_t n, strbuf *partial, size_t max_line);
/* An object store request from a stage (see host_sink.object).  Any
 * thread. */
int run_object_request(struct run *r, json_t *request, json_t **reply, char **error);
/* Check settings as a run would before starting: the executor target and
 * its keys (against the target's declared settings in `reg`), the
 * default object store strategy.  0, or -1 with *error ("services.
 * compute.executor.workres: ... did you mean `workers`?"). */
int run_check_settings(const json_t *settings, const dapt_registry *reg, char **error);
/* The run's context, for executors to hand to stages.  Its definition is
 * NULL until run_definition() built it (the process executor sends it to
 * the workers; thread mode builds it when a stage asks). */
const run_info *run_get_info(struct run *r);
/* The workflow as JSON (context "definition"), built on first use.
 * Borrowed; any thread. */
json_t *run_definition(struct run *r);

typedef struct executor_config {
    struct uv_loop_s *loop;
    struct run *run;
    int workers;         /* processes or threads */
    /* process mode: the worker command (runtime_ops.worker_command),
     * borrowed, copied by start.  NULL: dapt-worker --fd 3 (worker_path,
     * else the installed one) with the engine's environment. */
    const char *worker_path;
    char *const *worker_argv;
    char *const *worker_env;  /* NULL: the engine's environment */
    bool cancel_frame;        /* stop a task with a cancel frame, not SIGTERM */
    bool capture_stdio;  /* thread mode: see dapt_run_options */
} executor_config;

typedef struct executor_ops {
    const char *name; /* "process", "thread" */
    /* Start the pool (processes are spawned now and kept warm).  0, or -1
     * with *error. */
    int (*start)(struct executor **out, const executor_config *cfg, char **error);
    /* Run a task on an idle worker.  run.c never has more tasks out than
     * workers. */
    void (*submit)(struct executor *ex, task *t);
    /* Stop a running task: `kill` false: ask (t->cancel is already set;
     * a worker process gets SIGTERM carrying the task's id, or a cancel
     * frame with cancel_frame); true: kill its worker (SIGKILL; the
     * task is then lost and the pool starts a new worker).  A thread
     * cannot be killed: the task is abandoned (reported lost). */
    void (*stop)(struct executor *ex, task *t, bool kill);
    /* Stop every worker and free the executor; `done` is called on the
     * loop when all handles are closed (then ex is gone). */
    void (*close)(struct executor *ex, void (*done)(void *data), void *data);
} executor_ops;

extern const executor_ops exec_process_ops; /* exec-process.c */
extern const executor_ops exec_thread_ops;  /* exec-thread.c */

/* worker.c: the main loop of dapt-worker (cli/dapt-worker.c is its main).
 * Reads frames from `fd` (a socketpair end), runs the calls they ask for,
 * answers.  Returns the exit status. */
int worker_main(int fd);
/* The exit status of a worker whose socket to the engine was closed
 * under it (EBADF: a stage closed file descriptors it did not open), so
 * that the engine can say so instead of "exited with status 1". */
#define WORKER_EXIT_FD_CLOSED 71

/* bus.c: one run's event subscribers, called in order on the loop thread. */
typedef struct bus bus;
bus *bus_new(void);
void bus_free(bus *b);
void bus_subscribe(bus *b, dapt_event_fn fn, void *data);
void bus_emit(bus *b, const dapt_event *ev);

/* settings.c (public: dapt_settings_load) */
/* The value at a dotted path ("services.compute.executor.target") of a
 * settings object, or NULL.  Borrowed. */
json_t *settings_get(const json_t *settings, const char *path);
/* Deep-merge `over` into `base` (objects merge key by key; anything else
 * replaces). */
void settings_merge(json_t *base, const json_t *over);
/* Apply DAPT__A__B=value overrides from `env` (NULL-terminated, like
 * environ) to `settings`: keys lowercased, `__` separates levels, the
 * value parsed as JSON when it is JSON (true, 3, "x", [1], {"a": 1}), else
 * the text as a string.  Applied in sorted order, so DAPT__A={...} comes
 * before DAPT__A__B refines it; a name with an empty level (DAPT__A____B,
 * DAPT__A__) is ignored. */
void settings_apply_env(json_t *settings, char *const *env);
/* Where the setting at `path` ("services.compute.executor.workers") comes
 * from, for messages: "$DAPT__SERVICES__COMPUTE__EXECUTOR__WORKERS" when a
 * variable gives it (or a level above it), else "FILE:LINE:COL" of its key
 * (or of the deepest level of it there) in WORKSPACE/dapt.yaml, else in
 * the user's config.yaml; NULL when none has it.  Caller frees. */
char *settings_where(const char *workspace, const char *path);
/* A settings error ("services.compute.executor.x: ...", as
 * run_check_settings gives them) with where the setting comes from in
 * front: "WS/dapt.yaml:5:7: services...".  Caller frees. */
char *settings_locate_error(const char *workspace, const char *error);

/* configs.c: the `kind: config` resources of a workspace (catalog 1.6). */
/* The merged data of the configs that select `wf`: name selectors first,
 * then annotation selectors (any one annotation pair equal), each group
 * in order, shallow merge (later keys win).  New reference. */
json_t *configs_merge(const dapt_config *const *configs, size_t count, const dapt_workflow *wf);
/* Load every config of WORKSPACE/configs/ (*.yaml, *.yml, sorted by file
 * name, documents in order) and merge those that select `wf`.  *used
 * (when not NULL) gets the names of the configs applied (array), and
 * *used_files (when not NULL) their files, in the same order, as paths
 * under the workspace ("configs/x.yaml" when the workspace is ".").  Errors
 * in the files go to diags.  Returns 0, or -1 when diags got errors (the
 * configs that loaded are still merged). */
int configs_for_workflow(json_t **out, json_t **used, json_t **used_files,
                         const char *workspace, const dapt_workflow *wf, dapt_diags *diags);

/* objstore.c: the object store of a run's engine (catalog 3.11-3.13).
 * Cluster memory lives in the engine process for the objstore's life;
 * artifacts are folders WORKSPACE/.dapt/artifacts/NAMESPACE/NAME/ with a
 * file `object` (the value as JSON) and `.artifact.json` metadata
 * {name, namespace, value_type: "json", created_at, updated_at}.
 * Thread-safe. */
typedef struct objstore objstore;
/* artifact_root: the folder holding NAMESPACE/NAME (NULL: no artifacts:
 * the strategies that need them fail with a message). */
objstore *objstore_new(const char *artifact_root);
void objstore_free(objstore *os);
/* One request {op: put|get|delete|exists|clear, key, namespace, strategy,
 * value} as host_sink.object.  Errors name the key and the namespace:
 * "no object `k` in namespace `default` (cluster memory, artifacts)". */
int objstore_request(objstore *os, json_t *request, json_t **reply, char **error);

/* store.c: the run store, WORKSPACE/.dapt/dapt.db (SQLite, WAL).  Writes
 * go through a queue to a writer thread (calls return at once); reads use
 * their own connection. */
typedef struct store store;
/* Open (creating the schema), then mark runs left `running` or `pending`
 * by a process that is gone as `interrupted`.  0, or -1 with *error. */
int store_open(store **out, const char *workspace, char **error);
/* Flush the queue and close. */
void store_close(store *st);
/* Queue a run record (ARCHITECTURE.md section 7 shape, stages may be
 * omitted) to insert or update, and, while it is not terminal, hold the
 * run's liveness lock so another process can tell it is alive. */
void store_put_run(store *st, const json_t *record);
/* Queue one stage's record ({name, state, started_at, finished_at,
 * attempts, items, error}) of run `run_id` at index `index`. */
void store_put_stage(store *st, const char *run_id, size_t index, const json_t *stage);
/* The same from the stage's fields, without building JSON (the run's
 * hot path): strings are copied; a time of 0 is null, `target` and
 * `type` NULL leave the key out, `error` NULL is null. */
typedef struct store_stage {
    const char *name, *target, *state, *type, *error;
    int64_t started_us, finished_us;
    int attempts;
    int64_t total, ok, failed;
} store_stage;
void store_put_stage_fields(store *st, const char *run_id, size_t index, const store_stage *s);
/* Queue log lines of run `run_id` (copied). */
void store_put_lines(store *st, const char *run_id, const dapt_log_line *lines, size_t count);
/* Wait until everything queued so far is written. */
void store_flush(store *st);
/* The first write of the store that failed (a full disk, an I/O error),
 * as a message; NULL while every write went in.  New string. */
char *store_write_error(store *st);
/* Queries (any time; see cmd-runs.c). filter: {workflow, state, limit}.
 * New references; -1 with *error. */
int store_list_runs(store *st, json_t **out, const char *workflow, const char *state,
                    int limit, char **error);
/* The run record with its stages, by id or unique id prefix. */
int store_get_run(store *st, json_t **out, const char *id, char **error);
/* Log lines of a run after line `after` (0: from the start), at most
 * `limit`, optionally of one stage and containing `grep` (case
 * insensitive; uses the FTS5 index): an array of {seq, ts, stage, item,
 * stream, level, text}.  *last gets the seq of the last line returned. */
/* How many runs were made from the workflow version with git blob id
 * `blob` (their record's provenance), by state: {"finished": 3, ...}.
 * New reference; -1 with *error. */
int store_count_runs_by_blob(store *st, json_t **out, const char *blob, char **error);
/* Such counts as text: "3 finished, 1 failed" (the usual states first), or
 * "0".  Caller frees. */
char *store_counts_text(const json_t *counts);
int store_get_lines(store *st, json_t **out, const char *run_id, const char *stage,
                    const char *grep, int64_t after, int limit, int64_t *last, char **error);
/* (store.c) *last is rather the last line looked at, which is the last
 * returned without a filter: pass it as `after` to go on.  limit <= 0: no
 * limit.  A record's time (clock_iso text, or a number of microseconds)
 * in microseconds: 0, or -1 when v is not a time. */
int store_parse_time(const json_t *v, int64_t *us);
/* For the store's other files (store-trigger.c): the query connection,
 * held under the query lock until store_query_end. */
struct sqlite3 *store_query_begin(store *st);
void store_query_end(store *st);
const char *store_path(const store *st); /* .dapt/dapt.db, as messages show it */
/* Mark runs whose process died as interrupted (store_open does it too):
 * their events then appear.  0, or -1 with *error. */
int store_reap(store *st, char **error);

/* store-trigger.c: what trigger rules need of the run store.  Events are
 * every state change of a run or a stage, numbered (seq) in the order
 * they were stored, by whichever process stored them.  All 0, or -1 with
 * *error (caller frees), unless said otherwise. */
/* The number of the last event (0: none yet). */
int store_events_last(store *st, int64_t *seq, char **error);
/* Events after `after` (at most `limit`), as Flowdapt's envelopes
 * {id, time, channel, source, type, data} (data: the run's fields, and
 * "stage" for a stage's event; the result only when its JSON is at most
 * result_cap bytes, else null with "result_omitted": true).  Also {seq,
 * depth} per event: depth is the trigger depth of its run (0: a run no
 * trigger started).  *out: new array. */
int store_events_after(store *st, int64_t after, int limit, size_t result_cap, json_t **out,
                       char **error);
/* The events-seen mark shared by every process: *seen (-1: never set). */
int store_events_seen(store *st, int64_t *seen, char **error);
/* Move the mark from `from` to `to`: 1 when this call moved it, 0 when
 * another process did first (it handles those events), -1 error. */
int store_events_claim(store *st, int64_t from, int64_t to, char **error);
/* Every rule's state: {NAME: {enabled, last_slot, last_fired, last_run,
 * last_error, fires}} (times in Unix seconds or null).  New object. */
int store_trigger_states(store *st, json_t **out, char **error);
/* Make a rule's state row when it has none, with last_slot `slot` (the
 * slots before it are not due).  */
int store_trigger_init(store *st, const char *name, int64_t slot, char **error);
/* Claim cron slot `slot` of a rule: 1 when this call moved last_slot up
 * to it (fire it), 0 when it was claimed already, -1 error. */
int store_trigger_claim_slot(store *st, const char *name, int64_t slot, char **error);
int store_trigger_set_enabled(store *st, const char *name, bool enabled, char **error);
/* Record a fire at Unix time `now` (seconds; run_id and error_text may be
 * NULL; slot/event_seq 0: none). */
int store_trigger_fired(store *st, const char *name, int64_t now, int64_t slot,
                        int64_t event_seq, const char *run_id, int depth, const char *error_text,
                        char **error);
/* A rule's latest fires, newest first: [{time, slot, run_id, depth, error,
 * state (of its run), workflow}].  New array. */
int store_trigger_fires(store *st, const char *name, int limit, json_t **out, char **error);

/* ================================================================== */
/* Trigger rules at work (issue 7)                                     */
/* ================================================================== */

/* Limits, stated in the docs. */
#define TRIGGER_MAX_DEPTH 8         /* runs deep a chain of triggered runs may go */
#define TRIGGER_RESULT_CAP 16384    /* bytes of a run's result JSON an event carries */
#define TRIGGER_LATE_S 60           /* a slot fired later than this was missed */

/* triggers.c: the trigger rules of a workspace (triggers/ *.yaml), loaded,
 * checked against the workspace, with their cron expressions and zones
 * ready; what `dapt triggers list` shows; the actions.  Owned by the
 * caller; not thread-safe. */
typedef struct trigger_rule {
    char *name;
    char *file;              /* as found: WORKSPACE/triggers/x.yaml */
    const dapt_trigger *tr;  /* in the set's bundles */
    cron_expr *crons;        /* schedule rules */
    size_t ncrons;
    tzone *tz;               /* NULL: UTC */
    char *error;             /* why the rule cannot fire (load errors), or NULL */
} trigger_rule;

typedef struct triggers {
    char *workspace;
    trigger_rule *rules;
    size_t count;
    dapt_bundle **bundles;
    size_t nbundles;
} triggers;

/* Load every rule of WORKSPACE/triggers/ (none: an empty set).  Problems
 * go to diags with positions; a rule with errors is kept with its
 * `error` set so lists can show it.  Never fails. */
triggers *triggers_load(const char *workspace, const dapt_registry *reg, dapt_diags *diags);
void triggers_free(triggers *set);
trigger_rule *triggers_find(triggers *set, const char *name);
/* The checks that need the workspace (the workflow run_workflow names
 * exists; an action target is in the catalog and of kind action; the time
 * zone is known): diags for every trigger rule of `bundle`.  reg may be
 * NULL (targets not checked).  Returns the number of errors. */
size_t triggers_check_bundle(const dapt_bundle *bundle, const char *workspace,
                             const dapt_registry *reg, dapt_diags *diags);
/* The file of workflow NAME: workflows/NAME.yaml (.yml), else the file
 * whose workflow is named NAME.  Caller frees; NULL when none. */
char *triggers_find_workflow(const char *workspace, const char *name);
/* A schedule rule's next slot after `now` (Unix seconds), INT64_MAX when
 * none; its latest slot at or before `now`, INT64_MIN when none. */
int64_t trigger_rule_next(const trigger_rule *r, int64_t now);
int64_t trigger_rule_prev(const trigger_rule *r, int64_t now);
/* What lists show: [{name, file, type, rule, action, workflow, timezone,
 * catchup, enabled, next_fire, last_fired, last_run, last_error, fires,
 * error}] with times as ISO text (UTC) or null.  states: from
 * store_trigger_states (NULL: none). New array. */
json_t *triggers_list_json(const triggers *set, const json_t *states, int64_t now);
/* The time until a fire, `s` seconds away: "in 42s", "in 4m12s",
 * "in 3h12m", "in 2d03h", or "now". */
void trigger_countdown(char *buf, size_t size, int64_t s);
/* Unix time `s` (whole seconds) as "2026-12-04T15:30:00Z" (buf: 32 bytes
 * or more). */
void trigger_iso(char *buf, size_t size, int64_t s);

/* The clock of trigger rules: real time, or DAPT_CLOCK for tests:
 * "2026-03-29T00:59:00Z" (time starts there and runs on) with an
 * optional "*N" (N times as fast).  Unix seconds, fractional. */
typedef struct trigger_clock {
    double base, real0, speed;
    bool fake;
} trigger_clock;
/* 0, or -1 with *error when DAPT_CLOCK is set and unreadable. */
int trigger_clock_init(trigger_clock *c, char **error);
double trigger_clock_now(const trigger_clock *c);

/* trigger-service.c: rules at work on a libuv loop (the studio's, or
 * dapt daemon's).  One process per workspace fires: the holder of the
 * flock on WORKSPACE/.dapt/triggers.lock; the others watch, and take
 * over when it goes away.  Schedules fire on their cron slots, conditions
 * on the events of the run store (every run of the workspace, of any
 * process), each once. */
typedef struct trigger_service trigger_service;
typedef enum trigger_msg { TRIGGER_MSG_INFO, TRIGGER_MSG_WARN, TRIGGER_MSG_ERROR } trigger_msg;
typedef struct trigger_service_options {
    const char *workspace;
    /* Never fire on its own (`dapt triggers fire`): only what is asked. */
    bool passive;
    const char *role;              /* "daemon", "studio": written in the lock file */
    const dapt_registry *registry; /* borrowed; NULL: opened for the workspace */
    store *store;                  /* the run store (borrowed); NULL: opened for it */
    /* Everything the service has to say (a fire, a run's end, a missed
     * slot, a loop stopped, a load error); text borrowed. */
    void (*on_message)(trigger_msg level, const char *text, void *data);
    /* A run a rule started (borrowed; the service frees it when closed) */
    void (*on_run)(dapt_run *run, const char *rule, void *data);
    /* Something a list would show changed (a fire, leadership, a reload). */
    void (*on_change)(void *data);
    void *data;
} trigger_service_options;
/* Load the rules and start firing (or watching).  0, or -1 with *error
 * (the run store cannot be opened, DAPT_CLOCK is unreadable). */
int trigger_service_start(trigger_service **out, struct uv_loop_s *loop,
                          const trigger_service_options *opts, char **error);
/* Load the rules again (SIGHUP, a saved triggers/ file). */
void trigger_service_reload(trigger_service *ts);
/* Whether this process is the one that fires; else *holder (may be NULL)
 * gets who does, e.g. "pid 4242 (daemon)" (borrowed). */
bool trigger_service_leading(const trigger_service *ts, const char **holder);
/* The list (triggers_list_json) with "runs" (the latest fires, with their
 * runs' states) per rule.  New array. */
json_t *trigger_service_list(trigger_service *ts);
/* Fire a rule now, as if due (manual; fires even where another process
 * leads).  0, or -1 with *error. */
int trigger_service_fire(trigger_service *ts, const char *name, char **error);
int trigger_service_enable(trigger_service *ts, const char *name, bool enabled, char **error);
/* Stop firing; let running runs finish for grace_ms, then cancel them;
 * call done once every run is closed. */
void trigger_service_drain(trigger_service *ts, int64_t grace_ms, void (*done)(void *data),
                           void *data);
/* Runs it started that are still going. */
size_t trigger_service_running(const trigger_service *ts);
/* Cancel what still runs (force) and free; the loop must run afterwards
 * for the handles to close. */
void trigger_service_free(trigger_service *ts);

/* ================================================================== */
/* Workspaces under git (issue 6)                                      */
/* ================================================================== */

/* workspace.c: the workspace's git repository, reached through the helper
 * program dapt-git (cli/dapt-git.c), which links libgit2 so that dapt
 * does not (loading it costs every dapt command 1.5 ms).  Each call runs
 * the helper once: `dapt-git SUBCOMMAND -C WORKSPACE ARGS...`; it prints
 * JSON (or raw text for show/cat/diff) on stdout, and on failure exits 1
 * with one line "dapt: MESSAGE" on stderr.  The subcommands:
 *   init                       make WORKSPACE a repository, or adopt the
 *                              one that contains it, and commit what is
 *                              there and not ignored:
 *                              {repo, workspace, created, commit, identity}
 *   commit -m MSG PATH...      commit those files (paths relative to the
 *                              workspace): {commit|null, unchanged, identity}
 *   status PATH...             {repo, head|null, branch|null, dirty,
 *                              files: [{path, blob, head_blob|null, state:
 *                              clean|modified|untracked|missing}]}
 *   log PATH                   the commits that changed PATH, newest first:
 *                              [{commit, author, email, date, message, blob}]
 *   show REV PATH              PATH as of REV (raw)
 *   cat BLOB                   a blob by id (raw)
 *   diff [REV [REV]] [-- PATH] a unified diff: HEAD..worktree, REV..worktree
 *                              or REV..REV (raw)
 *   restore REV PATH           write PATH as of REV into the worktree
 *   clone LOCATION REF DEST    (no -C) {url, commit}
 * `identity` is "git config" or "fallback" (user.name/email not set: the
 * commit is by "dapt <dapt@HOST>", and the message says how to set it). */
/* Run dapt-git with `args` (NULL-terminated, after the program name) and
 * parse its stdout as JSON: 0 with *out (new reference), or -1 with
 * *error (caller frees): the helper's message. */
int workspace_git(json_t **out, const char *const *args, char **error);
/* The same, for the raw-text subcommands: *text (NUL-terminated, caller
 * frees) and *len. */
int workspace_git_text(char **text, size_t *len, const char *const *args, char **error);
/* The workflow exactly as a run ran it, from its record (`dapt runs show
 * --definition`): the text kept in the record when the file had
 * uncommitted changes, else its blob from the repository of `workspace`.
 * Caller frees; NULL with *error. */
char *workspace_run_definition(const char *workspace, const json_t *record, char **error);
/* The commit message part for one file being applied: "add workflow etl
 * (3 stages)", "workflow etl: add report, change fetch (target)" (against
 * the file at HEAD in `root`), or "update REL" for a file that holds no
 * workflow (bundle NULL or without one).  Caller frees. */
char *workspace_change_summary(const char *root, const char *rel, const dapt_bundle *bundle,
                               bool is_new);

/* textdiff.c: a unified diff (3 lines of context) of two texts; "" when
 * they are equal.  Caller frees. */
char *textdiff_unified(const char *a, const char *b, const char *label_a, const char *label_b);

/* stagediff.c: what changed between two versions of a workflow, stage by
 * stage (for `dapt diff --stages`, apply's commit messages, `dapt runs
 * diff`).  Stages are matched by name. */
typedef struct stagediff_entry {
    char op;          /* '+' added, '-' removed, '~' changed */
    char *stage;
    char **fields;    /* '~': "target: a.b -> a.c", "args.days: 14 -> 7", ...;
                       * '+'/'-': one, "target: a.b" */
    size_t nfields;
} stagediff_entry;
typedef struct stagediff {
    stagediff_entry *items; /* in the order of the new file, then removed */
    size_t count;
    char **workflow_fields; /* name, description, annotations changes */
    size_t nworkflow_fields;
} stagediff;
/* Compare `a` (old; NULL: none) and `b` (new; NULL: none). */
void stagediff_compute(stagediff *d, const dapt_workflow *a, const dapt_workflow *b);
void stagediff_free(stagediff *d);
/* Human text, one line per entry ("+ stage report (dapt.sum)",
 * "~ stage fetch: target: x -> y; args.days: 14 -> 7"); "" when equal.
 * Caller frees. */
char *stagediff_text(const stagediff *d);
/* A commit message summary: "workflow etl: add report, change fetch
 * (target), remove old" (or "workflow etl: no stage changes").  Caller
 * frees. */
char *stagediff_summary(const stagediff *d, const char *workflow);

#endif /* DAPT_ENGINE_H */
