/*
 * dapt.h - the embedding and testing API of libdapt.
 *
 * Conventions (after libgit2): output parameters come first, fallible calls
 * return 0 on success and -1 on failure, opaque types have _new/_free, and
 * every returned pointer says who owns it.  Nothing in libdapt prints: it
 * returns diagnostics and messages; the caller decides how to show them.
 */
#ifndef DAPT_DAPT_H
#define DAPT_DAPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <dapt/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version string, e.g. "0.1.0".  Static storage. */
const char *dapt_version(void);

/* ------------------------------------------------------------------ */
/* Diagnostics                                                         */
/* ------------------------------------------------------------------ */

typedef enum dapt_severity {
    DAPT_SEV_ERROR,
    DAPT_SEV_WARNING,
    DAPT_SEV_NOTE, /* a pointer to a related place, e.g. "first defined here" */
} dapt_severity;

/* A position in a file, both 1-based; {0, 0} when unknown. */
typedef struct dapt_pos {
    int line;
    int column;
} dapt_pos;

typedef struct dapt_diag {
    char *file; /* owned */
    dapt_pos pos;
    dapt_severity severity;
    char *message; /* owned; no trailing newline, no position */
} dapt_diag;

/* A growable list of diagnostics.  Zero-initialise or dapt_diags_init(). */
typedef struct dapt_diags {
    dapt_diag *items;
    size_t count;
    size_t cap;
} dapt_diags;

void dapt_diags_init(dapt_diags *diags);
void dapt_diags_free(dapt_diags *diags);
void dapt_diags_add(dapt_diags *diags, const char *file, dapt_pos pos, dapt_severity sev,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Stable sort by file (first-seen order), line, column. */
void dapt_diags_sort(dapt_diags *diags);
size_t dapt_diags_count(const dapt_diags *diags, dapt_severity sev);
const char *dapt_severity_name(dapt_severity sev); /* "error", "warning", "note" */
/* "FILE:LINE:COL: error: MESSAGE" (no newline).  Caller frees. */
char *dapt_diag_format(const dapt_diag *diag);
/* [{file, line, column, severity, message}, ...]  New reference. */
json_t *dapt_diags_to_json(const dapt_diags *diags);

/* ------------------------------------------------------------------ */
/* Resources                                                           */
/* ------------------------------------------------------------------ */

typedef enum dapt_kind {
    DAPT_KIND_WORKFLOW,
    DAPT_KIND_CONFIG,
    DAPT_KIND_TRIGGER_RULE,
} dapt_kind;

const char *dapt_kind_name(dapt_kind kind); /* "workflow", "config", "trigger_rule" */

typedef enum dapt_stage_type {
    DAPT_STAGE_SIMPLE,
    DAPT_STAGE_PARAMETERIZED,
} dapt_stage_type;

const char *dapt_stage_type_name(dapt_stage_type type);

typedef struct dapt_resources {
    double cpus;    /* 0 when not given */
    double gpus;    /* 0 when not given */
    int64_t memory; /* bytes; -1 when not given */
    json_t *labels; /* object: custom label -> real; never NULL */
} dapt_resources;

typedef struct dapt_stage {
    char *name;         /* never NULL */
    char *target;       /* "plugin.path.to.target"; "" when missing */
    dapt_stage_type type;
    char **depends_on;  /* deduplicated, in written order */
    size_t depends_count;
    char *description;  /* "" when not given */
    char *version;      /* "" when not given */
    json_t *options;    /* the `options` mapping as written; never NULL */
    char *map_on;       /* NULL when not given */
    bool allow_partial_failure; /* default true */
    dapt_resources resources;
    bool has_priority;
    int64_t priority;
    json_t *args;           /* static named arguments; object, never NULL */
    int64_t timeout_ms;     /* 0: no timeout */
    int retries;            /* 0: no retry */
    int64_t retry_delay_ms; /* 0: retry at once */

    /* Where things were written, for diagnostics of later passes. */
    dapt_pos pos;         /* the stage mapping */
    dapt_pos name_pos;    /* the name value (or the mapping when absent) */
    dapt_pos target_pos;  /* the target value (or the mapping when absent) */
    dapt_pos *depends_pos; /* one per depends_on entry */
    /* The keys of `args:` as written, with the position of each key and of
     * its value (for checks against the target's parameters and their
     * types). */
    char **arg_names;
    dapt_pos *arg_pos;
    dapt_pos *arg_value_pos;
    size_t arg_count;
} dapt_stage;

typedef struct dapt_workflow {
    char *name;        /* metadata.name (or the flat form's name); never NULL */
    char *description; /* "" when not given */
    json_t *annotations; /* object string -> string; never NULL */
    dapt_stage *stages;
    size_t stage_count;
    bool flat; /* written in the seed document's flat form */
} dapt_workflow;

typedef enum dapt_selector_type {
    DAPT_SELECTOR_NONE, /* no selector: attached to nothing */
    DAPT_SELECTOR_NAME,
    DAPT_SELECTOR_ANNOTATION,
} dapt_selector_type;

typedef struct dapt_config {
    char *name;
    json_t *annotations;      /* never NULL */
    dapt_selector_type selector_type;
    json_t *selector_value;   /* string (name) or object (annotation); NULL for NONE */
    char *selector_kind;      /* NULL: any kind */
    json_t *data;             /* object, never NULL */
} dapt_config;

typedef enum dapt_trigger_type {
    DAPT_TRIGGER_CONDITION,
    DAPT_TRIGGER_SCHEDULE,
} dapt_trigger_type;

typedef struct dapt_trigger {
    char *name;
    json_t *annotations;   /* never NULL */
    dapt_trigger_type type;
    json_t *rule;          /* object (condition) or array of strings (schedule) */
    char *action_target;   /* never NULL */
    json_t *action_params; /* object, never NULL */
    char *timezone;        /* spec.timezone: the zone of the cron slots; NULL: UTC */
    bool catchup;          /* spec.catchup: run the latest slot missed while down */
    /* where to point the workspace's checks (0:0 when absent) */
    dapt_pos timezone_pos, target_pos, workflow_pos;
} dapt_trigger;

/* One resource (one YAML document) of a file. */
typedef struct dapt_resource {
    dapt_kind kind;
    char *file;   /* owned */
    dapt_pos pos; /* start of the document */
    bool valid;   /* false when any error was reported for it */
    union {
        dapt_workflow *workflow;
        dapt_config *config;
        dapt_trigger *trigger;
    } u;
} dapt_resource;

/* Every resource of one file, in document order. */
typedef struct dapt_bundle {
    dapt_resource *items;
    size_t count;
} dapt_bundle;

/*
 * Load and validate every document of a YAML file (or buffer; `name` is the
 * file name used in diagnostics).  All problems of the file are appended to
 * `diags` in one pass.  *out receives every resource that could be read,
 * even one with errors (marked !valid), so an editor can still draw it; it
 * is never NULL on return.  Returns 0 when no error was found, -1 otherwise.
 * The caller frees *out with dapt_bundle_free().  dapt_load_file reads
 * standard input when `path` is "-" (named "<stdin>" in diagnostics).
 */
int dapt_load_file(dapt_bundle **out, const char *path, dapt_diags *diags);
int dapt_load_buffer(dapt_bundle **out, const char *name, const char *buf, size_t len,
                     dapt_diags *diags);
void dapt_bundle_free(dapt_bundle *bundle);

/* The first workflow of a bundle, or NULL.  Borrowed. */
const dapt_workflow *dapt_bundle_workflow(const dapt_bundle *bundle);

/*
 * Parse "8GB", "2GiB", "512M", "100 MB", "1e6", "5kB" (decimal k/M/G/T/P,
 * binary Ki/Mi/Gi/Ti/Pi, case-insensitive, B optional).  0 or -1.
 */
int dapt_parse_bytes(int64_t *out, const char *text);
/* Parse "500ms", "30s", "2h30m", "1d", "1.5s" into milliseconds.  0 or -1. */
int dapt_parse_duration(int64_t *out_ms, const char *text);

/* ------------------------------------------------------------------ */
/* The DAG of a workflow                                               */
/* ------------------------------------------------------------------ */

typedef struct dapt_graph dapt_graph;

/*
 * Build the DAG of a workflow: node i is wf->stages[i].  Self-edges, edges to
 * unknown names and repeated edges are dropped (validation reports them);
 * when a name is defined twice the later definition wins, as in Flowdapt.
 * Cycles are kept so they can be reported.  Never NULL; free with
 * dapt_graph_free().  The graph borrows nothing from wf.
 */
dapt_graph *dapt_graph_new(const dapt_workflow *wf);
void dapt_graph_free(dapt_graph *g);

size_t dapt_graph_count(const dapt_graph *g);
const char *dapt_graph_name(const dapt_graph *g, size_t node); /* borrowed */
/* Dependencies of a node, in depends_on order.  Borrowed array. */
const size_t *dapt_graph_deps(const dapt_graph *g, size_t node, size_t *count);
/* Nodes depending on a node, in definition order.  Borrowed array. */
const size_t *dapt_graph_dependents(const dapt_graph *g, size_t node, size_t *count);
/* The node with that name, or -1. */
long dapt_graph_find(const dapt_graph *g, const char *name);

/*
 * A stable topological order: among ready nodes, the earliest defined comes
 * first.  `order` must hold dapt_graph_count() entries.  Returns the number
 * of nodes ordered; fewer than the count means the rest are on or behind a
 * cycle.
 */
size_t dapt_graph_topo(const dapt_graph *g, size_t *order);

/*
 * Flowdapt's level grouping (catalog 3.3): level 0 holds the roots, level k
 * the nodes whose dependencies all sit in levels < k.  `level` must hold
 * dapt_graph_count() entries; nodes on or behind a cycle get SIZE_MAX.
 * Returns the number of levels.
 */
size_t dapt_graph_levels(const dapt_graph *g, size_t *level);

/*
 * The cycles of the graph, one per strongly connected component of more than
 * one node: each is an array of nodes in dependency order (a depends on b,
 * b on c, ..., last on a), starting from its earliest defined node.  Returns
 * the number of cycles; *cycles and each (*cycles)[i] are malloc'd and owned
 * by the caller, as is *lengths.
 */
size_t dapt_graph_cycles(const dapt_graph *g, size_t ***cycles, size_t **lengths);
/* Free what dapt_graph_cycles() returned (`count` cycles). */
void dapt_graph_cycles_free(size_t **cycles, size_t *lengths, size_t count);


/* ------------------------------------------------------------------ */
/* Plugins: discovery, the catalog, target resolution                  */
/* ------------------------------------------------------------------ */

typedef enum dapt_plugin_status {
    DAPT_PLUGIN_OK,
    DAPT_PLUGIN_BROKEN,   /* could not be used; `error` says why and what to do */
    DAPT_PLUGIN_SHADOWED, /* same name as an earlier plugin in the search order */
} dapt_plugin_status;

const char *dapt_plugin_status_name(dapt_plugin_status status); /* "ok", "broken", "shadowed" */
const char *dapt_target_kind_name(dapt_target_kind kind);       /* "stage", "executor" */

/* The language a plugin is written in: the row of the runtime table
 * (engine/runtime.c) that finds, describes and runs it. */
typedef enum dapt_runtime {
    DAPT_RUNTIME_C = 0,      /* a shared library run by dapt-worker */
    DAPT_RUNTIME_PYTHON = 1, /* a Python distribution run by INTERPRETER -m dapt_worker */
} dapt_runtime;
const char *dapt_runtime_name(dapt_runtime runtime); /* "c", "python" */

/* A copy of what a descriptor declared: nothing points into plugin code. */
typedef struct dapt_param_info {
    char *name;
    char *type;         /* "string", "integer|string", "any", ... */
    bool required;
    char *default_json; /* NULL: no default */
    char *doc;          /* "" when not given */
    /* Only a named argument can fill it: a Python parameter after *args
     * (or a bare *).  A C target's parameters are never marked: with
     * DAPT_TARGET_VARARGS all of them are named-only. */
    bool keyword_only;
} dapt_param_info;

struct dapt_plugin_info;

typedef struct dapt_target_info {
    char *path;   /* "stages.fetch" */
    char *target; /* "weather.stages.fetch": what a workflow writes */
    dapt_target_kind kind;
    unsigned flags; /* DAPT_TARGET_VARARGS | DAPT_TARGET_KWARGS */
    char *doc;      /* "" when not given */
    char *returns;  /* "" when not given */
    dapt_param_info *params;
    size_t param_count;
    const struct dapt_plugin_info *plugin; /* the plugin it belongs to */
    /* Where the function lives when not in plugin->path under `path`: a
     * user module's compiled FILE-HASH.so and the path in it.  Both NULL
     * for an ordinary plugin. */
    char *object;
    char *object_path;
    /* Where the target is defined, "FILE:LINE" (Python targets), or NULL. */
    char *source;
} dapt_target_info;

/* The identity of a plugin file, the key of the discovery cache. */
typedef struct dapt_file_id {
    uint64_t size;
    int64_t mtime_ns;
    uint64_t ino;
    uint64_t dev;
} dapt_file_id;

typedef struct dapt_plugin_info {
    char *name;        /* from the descriptor; the file's base name when broken */
    char *version;     /* "" when not given (all these strings are never NULL) */
    char *description;
    char *author;
    char *license;
    char *url;
    char **requirements;
    size_t requirement_count;
    char *path;     /* absolute path of NAME.so */
    char *data_dir; /* absolute path of the NAME/ folder beside it, or NULL */
    dapt_plugin_status status;
    char *error;    /* NULL when ok; why broken; "shadowed by PATH" */
    unsigned abi_major, abi_minor;
    dapt_target_info *targets; /* in the plugin's order */
    size_t target_count;
    dapt_file_id id;
    dapt_runtime runtime;
    /* Python: the interpreter that runs it (the resolved executable) and
     * the import path of the entry point's module ("my_package"): its
     * targets are MODULE.PATH ("my_package.module1.my_stage").  NULL for
     * C plugins. */
    char *interpreter;
    char *module;
} dapt_plugin_info;

typedef struct dapt_registry dapt_registry;

typedef struct dapt_registry_options {
    /* The workspace folder (for .dapt/plugins and user_modules/); NULL: none. */
    const char *workspace;
    /* Replaces $DAPT_PLUGIN_PATH when not NULL (colon separated). */
    const char *plugin_path;
    /* Replaces $DAPT_PLUGIN_SYSTEM_PATH, itself replacing the installed
     * $(pkglibdir)/plugins, when not NULL. */
    const char *system_path;
    /* The cache file; NULL: $XDG_CACHE_HOME/dapt/plugins.cache; "": none. */
    const char *cache_file;
    /* Accept plugin files that others could have written
     * (also: DAPT_PLUGIN_INSECURE=1). */
    bool insecure;
    /* How long one plugin may take to load in the scanner before it is
     * killed; 0: $DAPT_PLUGIN_SCAN_TIMEOUT (ms) or 10 s. */
    int scan_timeout_ms;
    /* The Python interpreter of Python plugins (a path, or a name looked
     * up in PATH; "none": no Python plugins), replacing $DAPT_PYTHON and
     * the settings' services.python.interpreter when not NULL.  NULL:
     * $DAPT_PYTHON, the setting, $VIRTUAL_ENV/bin/python, python3. */
    const char *python;
} dapt_registry_options;

/* What the last dapt_registry_open did, for tests and benchmarks. */
typedef struct dapt_registry_stats {
    size_t files;   /* plugin files found */
    size_t cached;  /* taken from the cache without loading */
    size_t scanned; /* loaded by the scanner */
    size_t broken;
    bool cache_written;
} dapt_registry_stats;

/*
 * Discover every plugin on the search path: $DAPT_PLUGIN_PATH, the
 * workspace's .dapt/plugins, $XDG_DATA_HOME/dapt/plugins, then the system
 * folder; then the Python plugins (entry points of flowdapt.plugins and
 * dapt.plugins) of the interpreter (ARCHITECTURE.md section 5.1).  Plugin code runs only in a scanner subprocess, and only for files
 * the cache does not know.  A broken plugin is an entry, never a failure:
 * this returns -1 (with *error, caller frees) only when discovery itself
 * cannot work (e.g. no memory for a pipe).  Free with dapt_registry_free().
 * Messages that are not errors (an unwritable cache) go to *warnings when
 * not NULL (caller frees; NULL when none).
 */
int dapt_registry_open(dapt_registry **out, const dapt_registry_options *opts,
                       char **warnings, char **error);
void dapt_registry_free(dapt_registry *reg);

/* The folders searched, in order.  Borrowed. */
const char *const *dapt_registry_dirs(const dapt_registry *reg, size_t *count);
/* Every plugin entry (ok, broken and shadowed), in search order.  Borrowed. */
size_t dapt_registry_count(const dapt_registry *reg);
const dapt_plugin_info *dapt_registry_plugin(const dapt_registry *reg, size_t i);
/* The plugin in use under that name (the first found), or NULL.  Borrowed. */
const dapt_plugin_info *dapt_registry_find(const dapt_registry *reg, const char *name);
/*
 * Resolve a target string: "weather.stages.fetch" is plugin "weather",
 * target "stages.fetch"; a Python target is MODULE.PATH, the longest
 * MODULE of a Python plugin that begins it.  A Python target of a package
 * that no entry point declares is described on demand (a scanner run,
 * then cached) and stays known to this registry, outside
 * dapt_registry_targets().  Returns 0 and the target (borrowed), or -1 and
 * *error (caller frees): what is wrong and the nearest known names.
 */
int dapt_registry_resolve(const dapt_registry *reg, const char *target,
                          const dapt_target_info **out, char **error);
/* Every target of usable plugins, sorted by target string.  Borrowed array
 * of borrowed pointers. */
const dapt_target_info *const *dapt_registry_targets(const dapt_registry *reg, size_t *count);
void dapt_registry_get_stats(const dapt_registry *reg, dapt_registry_stats *stats);

/* The JSON shapes of `dapt plugins --json` and `dapt targets --json`
 * (ARCHITECTURE.md section 7).  New references. */
json_t *dapt_plugin_to_json(const dapt_plugin_info *plugin);
json_t *dapt_target_to_json(const dapt_target_info *target);

/*
 * Check the stages of a workflow against the catalog: unknown targets (with
 * the nearest names) and executors named as stages, at the target; stage
 * `args:` a target does not declare (unless DAPT_TARGET_KWARGS), at the
 * key; required parameters neither in `args:` nor filled by positional
 * arguments (without DAPT_TARGET_VARARGS, a stage's dependencies, or a
 * parameterized stage's item, fill the first parameters in order): an
 * error, but only a warning on a root stage, whose run input may provide
 * them.  Adds diagnostics with positions; returns the number of errors
 * added.
 */
size_t dapt_registry_check_workflow(const dapt_registry *reg, const dapt_workflow *wf,
                                    const char *file, dapt_diags *diags);

/* ------------------------------------------------------------------ */
/* Running workflows: the engine                                       */
/* ------------------------------------------------------------------ */

/* States of runs and of stages (a stage can also be SKIPPED: never started
 * because the run failed or was cancelled first). */
typedef enum dapt_state {
    DAPT_STATE_PENDING,
    DAPT_STATE_RUNNING,
    DAPT_STATE_FINISHED,
    DAPT_STATE_FAILED,
    DAPT_STATE_CANCELLED,
    DAPT_STATE_INTERRUPTED, /* runs only: the process running it died */
    DAPT_STATE_SKIPPED,     /* stages only */
} dapt_state;

/* "pending", "running", ...; dapt_state_parse returns -1 when unknown. */
const char *dapt_state_name(dapt_state state);
int dapt_state_parse(const char *name);
bool dapt_state_terminal(dapt_state state);

/* Where a log line came from. */
typedef enum dapt_stream {
    DAPT_STREAM_LOG,    /* dapt_ctx_log() */
    DAPT_STREAM_STDOUT, /* the stage's standard output */
    DAPT_STREAM_STDERR, /* the stage's standard error */
    DAPT_STREAM_ENGINE, /* the engine about the stage: retries, timeouts, crashes */
} dapt_stream;

const char *dapt_stream_name(dapt_stream stream); /* "log", "stdout", "stderr", "engine" */

typedef struct dapt_log_line {
    int64_t ts_us;      /* Unix time in microseconds */
    const char *stage;  /* NULL: the run itself */
    long item;          /* item index in a parameterized stage, else -1 */
    dapt_stream stream;
    dapt_log_level level;
    const char *text;   /* without the newline; not NUL-terminated past len */
    size_t len;
} dapt_log_line;

typedef struct dapt_items {
    size_t total, ok, failed, running;
} dapt_items;

typedef enum dapt_event_kind {
    DAPT_EVENT_RUN,   /* the run changed state */
    DAPT_EVENT_STAGE, /* a stage changed state (or began another attempt) */
    DAPT_EVENT_ITEMS, /* items of a parameterized stage finished */
    DAPT_EVENT_LOG,   /* a batch of log lines, in the order they were read */
} dapt_event_kind;

typedef struct dapt_run dapt_run;

/* An event of a run's bus.  Everything is borrowed for the callback. */
typedef struct dapt_event {
    dapt_event_kind kind;
    dapt_run *run;
    int64_t ts_us;
    /* STAGE, ITEMS: the stage */
    const char *stage;
    size_t stage_index;
    /* RUN, STAGE */
    dapt_state state;
    int attempt;       /* STAGE: the attempt (from 1) */
    const char *error; /* failed, cancelled: why */
    /* ITEMS (and STAGE of a parameterized stage) */
    dapt_items items;
    /* LOG */
    const dapt_log_line *lines;
    size_t line_count;
} dapt_event;

typedef void (*dapt_event_fn)(const dapt_event *event, void *data);

typedef struct dapt_run_options {
    /* The workspace: configs/ to match, dapt.yaml, .dapt/ for the run
     * store and artifacts.  NULL: none (no store, no configs). */
    const char *workspace;
    /* The workflow file, for the record ("" or NULL: from a string). */
    const char *file;
    /* The run input (an object; borrowed).  NULL: {}. */
    json_t *input;
    /* When not NULL, the stages' config as is, as Flowdapt's
     * execute_workflow(config=...); NULL: the workspace's configs/ that
     * match the workflow (catalog 1.6). */
    json_t *config;
    /* Settings over the ones loaded from dapt.yaml, the user's config.yaml
     * and DAPT__* (an object like dapt.yaml; borrowed; NULL: none). */
    json_t *settings;
    /* The namespace of the object store; NULL: "default". */
    const char *ns;
    /* Where the run came from: "manual" (default), "cli", "studio",
     * "trigger". */
    const char *source;
    /* The trigger rule that started the run (NULL: none), and how many
     * runs deep the chain of triggered runs is (a rule fired by a run a
     * rule started is 2 deep): the record's "trigger": {rule, depth}. */
    const char *trigger;
    int trigger_depth;
    /* The whole run's time limit in ms (0: none). */
    int64_t timeout_ms;
    /* Record the run in the workspace's run store (needs a workspace). */
    bool store;
    /* Capture the process's own stdout and stderr while a thread-mode run
     * is active (stage output then reaches the log instead of the
     * terminal).  The caller should write through dup()s made before. */
    bool capture_stdio;
    /* The plugin catalog to resolve targets in (borrowed); NULL: opened
     * for the workspace. */
    const dapt_registry *registry;
    /* Called on the loop's thread for every event. */
    dapt_event_fn on_event;
    void *event_data;
} dapt_run_options;

struct uv_loop_s;

/*
 * Start a run of a workflow on a libuv loop and return at once; the loop
 * drives it and on_event reports it.  Everything that can be checked
 * before a stage runs is checked here (targets, arguments, executor
 * settings, required parameters against the input): -1 with *error
 * (caller frees) and no run then.  The workflow is copied.  Free the run
 * with dapt_run_free() once it is terminal (or to abandon it: that
 * cancels it and kills its workers).
 */
int dapt_run_start(dapt_run **out, struct uv_loop_s *loop, const dapt_workflow *wf,
                   const dapt_run_options *opts, char **error);
/* Stop scheduling, signal running stages, kill them after the grace period
 * (force: at once).  The run ends CANCELLED.  Safe to call twice. */
void dapt_run_cancel(dapt_run *run, bool force);
dapt_state dapt_run_state(const dapt_run *run);
/* Whether the run is over and has released its workers: the moment its
 * last (terminal) RUN event was sent.  Then dapt_run_free() is quick. */
bool dapt_run_closed(const dapt_run *run);
const char *dapt_run_id(const dapt_run *run); /* borrowed */
/* The result: the single sink's output, or an object keyed by sink names.
 * Borrowed; NULL until finished. */
json_t *dapt_run_result(const dapt_run *run);
/* The run record of ARCHITECTURE.md section 7.  New reference. */
json_t *dapt_run_record(const dapt_run *run);
/* The first write of the run store that failed (a full disk...): what the
 * store has of the run is then incomplete.  With `wait`, after what was
 * queued is written (the run's end, when it is closed).  NULL when every
 * write went in, or the run has no store.  New string (free()). */
char *dapt_run_store_error(dapt_run *run, bool wait);
void dapt_run_free(dapt_run *run);

/*
 * Run a workflow to its end on a private loop: the C counterpart of
 * Flowdapt's execute_workflow.  Returns the final state (FINISHED, FAILED,
 * CANCELLED), or -1 with *error when the run could not start.  *record
 * (when not NULL) receives the run record (caller decrefs); its "result"
 * is the result.
 */
int dapt_execute(json_t **record, const dapt_workflow *wf, const dapt_run_options *opts,
                 char **error);

/*
 * The settings of a workspace: $XDG_CONFIG_HOME/dapt/config.yaml, then
 * WORKSPACE/dapt.yaml over it, then DAPT__A__B=value variables (as
 * Flowdapt's FLOWDAPT__A__B).  Problems in the files go to diags with
 * positions.  *out is an object (new reference), never NULL on return.
 * Returns 0, or -1 when diags got an error.
 */
int dapt_settings_load(json_t **out, const char *workspace, dapt_diags *diags);

#ifdef __cplusplus
}
#endif

#endif /* DAPT_DAPT_H */
