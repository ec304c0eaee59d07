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

#endif /* DAPT_ENGINE_H */
