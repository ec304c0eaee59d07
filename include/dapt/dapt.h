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

#ifdef __cplusplus
}
#endif

#endif /* DAPT_DAPT_H */
