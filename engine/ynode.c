/*
 * ynode.c - a YAML document tree with a position on every node.
 *
 * libyaml's document loader keeps marks too, but it allocates every node
 * separately and stops at the first problem without saying which key is
 * duplicated.  Building our own tree from the event stream gives one arena
 * per document (freed at once), aliases that share the anchored node, merge
 * keys, duplicate-key errors that point at both keys, and limits that keep
 * hostile input (deep nesting, alias bombs) from hurting us.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "engine.h"

#define YNODE_MAX_DEPTH 256
/* Total nodes an alias may bring back into one document: past this the
 * document is an alias bomb, not a workflow. */
#define YNODE_MAX_EXPANSION 1000000
#define YARENA_CHUNK 16384
#define YNODE_MAX_JSON_DEPTH 512

/* The arena: bump allocation from a list of chunks. */
struct yarena {
    struct yarena_chunk *head;
};
struct yarena_chunk {
    struct yarena_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

static void *yarena_alloc(struct yarena *a, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct yarena_chunk *c = a->head;
    if (c == NULL || c->cap - c->used < size) {
        size_t cap = size > YARENA_CHUNK ? size : YARENA_CHUNK;
        c = xmalloc(sizeof *c + cap);
        c->cap = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    return p;
}

static void yarena_free(struct yarena *a)
{
    if (a == NULL)
        return;
    struct yarena_chunk *c = a->head;
    while (c != NULL) {
        struct yarena_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

static char *yarena_strndup(struct yarena *a, const char *s, size_t n)
{
    char *p = yarena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* A collection being built: its children grow in malloc'd vectors and move
 * into the arena when the collection ends. */
typedef struct yframe {
    ynode *node;
    ynode **items;
    ynode **keys;
    size_t count, cap;
    ynode *pending_key; /* mappings: a key waiting for its value */
    const char *anchor;
} yframe;

typedef struct yparser {
    const char *file;
    dapt_diags *diags;
    struct yarena *arena;
    yframe *stack;
    size_t depth, stack_cap;
    ynode *root;
    bool root_set;
    /* anchors of the current document */
    struct yanchor {
        const char *name;
        ynode *node;
    } *anchors;
    size_t anchor_count, anchor_cap;
    size_t expansion; /* nodes re-used through aliases in this document */
} yparser;

/* Expanded size of a node, counting aliases as their full subtree.  It is
 * computed only when an alias needs it, and stops counting at `cap` (also
 * when nesting through aliases gets deep enough to threaten the stack). */
static size_t ynode_size(const ynode *n, size_t cap, int depth)
{
    size_t total = 1;
    if (n->type == YNODE_SCALAR)
        return total;
    if (depth > 2 * YNODE_MAX_DEPTH)
        return cap;
    for (size_t i = 0; i < n->count && total < cap; i++) {
        total += ynode_size(n->items[i], cap - total, depth + 1);
        if (n->keys != NULL)
            total += 1;
    }
    return total;
}

static dapt_pos ynode_mark_pos(yaml_mark_t m)
{
    return (dapt_pos){(int)m.line + 1, (int)m.column + 1};
}

static ynode *ynode_new(yparser *yp, ynode_type type, yaml_mark_t mark, const yaml_char_t *tag)
{
    ynode *n = yarena_alloc(yp->arena, sizeof *n);
    memset(n, 0, sizeof *n);
    n->type = type;
    n->pos = ynode_mark_pos(mark);
    if (tag != NULL)
        n->tag = yarena_strndup(yp->arena, (const char *)tag, strlen((const char *)tag));
    return n;
}

static void yparser_anchor(yparser *yp, const yaml_char_t *anchor, ynode *n)
{
    if (anchor == NULL)
        return;
    if (yp->anchor_count == yp->anchor_cap) {
        yp->anchor_cap = yp->anchor_cap ? yp->anchor_cap * 2 : 8;
        yp->anchors = xrealloc(yp->anchors, yp->anchor_cap, sizeof *yp->anchors);
    }
    /* A later anchor of the same name shadows the earlier one (YAML 1.2). */
    yp->anchors[yp->anchor_count].name =
        yarena_strndup(yp->arena, (const char *)anchor, strlen((const char *)anchor));
    yp->anchors[yp->anchor_count].node = n;
    yp->anchor_count++;
}

static ynode *yparser_lookup(yparser *yp, const char *name)
{
    for (size_t i = yp->anchor_count; i-- > 0;) {
        if (strcmp(yp->anchors[i].name, name) == 0)
            return yp->anchors[i].node;
    }
    return NULL;
}

static void yframe_push_child(yframe *f, ynode *child, ynode *key)
{
    if (f->count == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->items = xrealloc(f->items, f->cap, sizeof *f->items);
        if (f->node->type == YNODE_MAP)
            f->keys = xrealloc(f->keys, f->cap, sizeof *f->keys);
    }
    f->items[f->count] = child;
    if (f->node->type == YNODE_MAP)
        f->keys[f->count] = key;
    f->count++;
}

/* Attach a finished node to its parent, or make it the document's root. */
static void yparser_attach(yparser *yp, ynode *n)
{
    if (yp->depth == 0) {
        yp->root = n;
        yp->root_set = true;
        return;
    }
    yframe *f = &yp->stack[yp->depth - 1];
    if (f->node->type == YNODE_SEQ) {
        yframe_push_child(f, n, NULL);
    } else if (f->pending_key == NULL) {
        if (n->type != YNODE_SCALAR) {
            dapt_diags_add(yp->diags, yp->file, n->pos, DAPT_SEV_ERROR,
                           "a mapping key must be a plain value, not a %s",
                           n->type == YNODE_MAP ? "mapping" : "list");
        }
        f->pending_key = n;
    } else {
        yframe_push_child(f, n, f->pending_key);
        f->pending_key = NULL;
    }
}

static bool ynode_key_is(const ynode *key, const char *s)
{
    return key != NULL && key->type == YNODE_SCALAR && strlen(s) == key->len &&
           memcmp(key->str, s, key->len) == 0;
}

static bool ynode_is_merge_key(const ynode *key)
{
    return key->type == YNODE_SCALAR && key->plain && ynode_key_is(key, "<<");
}

static int ynode_key_compare(const ynode *a, const ynode *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->str, b->str, n);
    if (c != 0)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* Sorting key indices finds duplicates in O(n log n) for big mappings. */
static const ynode *const *ykey_sort_keys;
static int ykey_sort_compare(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const ynode *ka = ykey_sort_keys[a], *kb = ykey_sort_keys[b];
    /* keys that are collections (already reported) have no text to compare */
    if (ka->type != YNODE_SCALAR || kb->type != YNODE_SCALAR) {
        if (ka->type != kb->type)
            return ka->type < kb->type ? -1 : 1;
        return a < b ? -1 : a > b;
    }
    int c = ynode_key_compare(ka, kb);
    if (c != 0)
        return c;
    return a < b ? -1 : a > b;
}

static void yparser_report_duplicate(yparser *yp, const ynode *first, const ynode *again)
{
    dapt_diags_add(yp->diags, yp->file, again->pos, DAPT_SEV_ERROR,
                   "duplicate key `%s` (first at line %d, column %d); remove one of them",
                   again->str, first->pos.line, first->pos.column);
}

static void yparser_check_duplicates(yparser *yp, yframe *f)
{
    size_t n = f->count;
    if (n < 2)
        return;
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            if (f->keys[i]->type != YNODE_SCALAR || ynode_is_merge_key(f->keys[i]))
                continue;
            for (size_t j = 0; j < i; j++) {
                if (f->keys[j]->type == YNODE_SCALAR &&
                    ynode_key_compare(f->keys[i], f->keys[j]) == 0) {
                    yparser_report_duplicate(yp, f->keys[j], f->keys[i]);
                    break;
                }
            }
        }
        return;
    }
    size_t *idx = xcalloc(n, sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    ykey_sort_keys = (const ynode *const *)f->keys;
    qsort(idx, n, sizeof *idx, ykey_sort_compare);
    for (size_t i = 1; i < n; i++) {
        const ynode *a = f->keys[idx[i - 1]], *b = f->keys[idx[i]];
        if (a->type == YNODE_SCALAR && b->type == YNODE_SCALAR && !ynode_is_merge_key(b) &&
            ynode_key_compare(a, b) == 0) {
            /* report against the first occurrence of the run */
            size_t first = i - 1;
            while (first > 0 && f->keys[idx[first - 1]]->type == YNODE_SCALAR &&
                   ynode_key_compare(f->keys[idx[first - 1]], b) == 0)
                first--;
            yparser_report_duplicate(yp, f->keys[idx[first]], b);
        }
    }
    free(idx);
}

/* A set of key texts, so merging big mappings stays linear. */
typedef struct ykeyset {
    const ynode **slots;
    size_t cap, count;
} ykeyset;

static size_t ykeyset_hash(const ynode *k)
{
    return hash_bytes(k->str, k->len);
}

/* Adds the key; false when it was already there. */
static bool ykeyset_add(ykeyset *s, const ynode *k)
{
    if ((s->count + 1) * 2 > s->cap) {
        ykeyset old = *s;
        s->cap = old.cap ? old.cap * 2 : 32;
        s->slots = xcalloc(s->cap, sizeof *s->slots);
        s->count = 0;
        for (size_t i = 0; i < old.cap; i++) {
            if (old.slots[i] != NULL)
                ykeyset_add(s, old.slots[i]);
        }
        free(old.slots);
    }
    size_t i = ykeyset_hash(k) & (s->cap - 1);
    while (s->slots[i] != NULL) {
        if (ynode_key_compare(s->slots[i], k) == 0)
            return false;
        i = (i + 1) & (s->cap - 1);
    }
    s->slots[i] = k;
    s->count++;
    return true;
}

/* `<<: *base` or `<<: [*a, *b]`: copy in the entries the mapping does not
 * set itself (YAML's merge key, which PyYAML users rely on). */
static void yparser_merge(yparser *yp, yframe *f)
{
    size_t merges = 0;
    for (size_t i = 0; i < f->count; i++)
        merges += ynode_is_merge_key(f->keys[i]);
    if (merges == 0)
        return;
    ynode **items = f->items, **keys = f->keys;
    size_t count = f->count;
    ykeyset present = {0};
    f->items = f->keys = NULL;
    f->count = f->cap = 0;
    for (size_t i = 0; i < count; i++) {
        if (!ynode_is_merge_key(keys[i])) {
            yframe_push_child(f, items[i], keys[i]);
            if (keys[i]->type == YNODE_SCALAR)
                ykeyset_add(&present, keys[i]);
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (!ynode_is_merge_key(keys[i]))
            continue;
        ynode *v = items[i];
        ynode *const *sources = &items[i];
        size_t nsources = 1;
        if (v->type == YNODE_SEQ) {
            sources = v->items;
            nsources = v->count;
        }
        for (size_t s = 0; s < nsources; s++) {
            const ynode *src = sources[s];
            if (src->type != YNODE_MAP) {
                dapt_diags_add(yp->diags, yp->file, src->pos, DAPT_SEV_ERROR,
                               "a merge key `<<` takes a mapping or a list of mappings");
                continue;
            }
            for (size_t k = 0; k < src->count; k++) {
                if (src->keys[k]->type == YNODE_SCALAR && ykeyset_add(&present, src->keys[k]))
                    yframe_push_child(f, src->items[k], src->keys[k]);
            }
        }
    }
    free(present.slots);
    free(items);
    free(keys);
}

static int yparser_start(yparser *yp, ynode *n, const yaml_char_t *anchor)
{
    if (yp->depth >= YNODE_MAX_DEPTH) {
        dapt_diags_add(yp->diags, yp->file, n->pos, DAPT_SEV_ERROR,
                       "nesting deeper than %d levels; flatten the document", YNODE_MAX_DEPTH);
        return -1;
    }
    if (yp->depth == yp->stack_cap) {
        yp->stack_cap = yp->stack_cap ? yp->stack_cap * 2 : 16;
        yp->stack = xrealloc(yp->stack, yp->stack_cap, sizeof *yp->stack);
    }
    yframe *f = &yp->stack[yp->depth++];
    memset(f, 0, sizeof *f);
    f->node = n;
    f->anchor = (const char *)anchor;
    return 0;
}

static void yparser_end(yparser *yp)
{
    yframe *f = &yp->stack[yp->depth - 1];
    ynode *n = f->node;
    if (n->type == YNODE_MAP) {
        yparser_check_duplicates(yp, f);
        yparser_merge(yp, f);
    }
    n->count = f->count;
    if (f->count > 0) {
        n->items = yarena_alloc(yp->arena, f->count * sizeof *n->items);
        memcpy(n->items, f->items, f->count * sizeof *n->items);
        if (n->type == YNODE_MAP) {
            n->keys = yarena_alloc(yp->arena, f->count * sizeof *n->keys);
            memcpy(n->keys, f->keys, f->count * sizeof *n->keys);
        }
    }
    free(f->items);
    free(f->keys);
    yp->depth--;
    yparser_attach(yp, n);
}

static void yparser_reset_stack(yparser *yp)
{
    while (yp->depth > 0) {
        yframe *f = &yp->stack[--yp->depth];
        free(f->items);
        free(f->keys);
    }
}

/* libyaml's words for the commonest mistakes, made into advice. */
static const struct yhint {
    const char *problem;
    const char *hint;
} yhints[] = {
    {"mapping values are not allowed", "if this `:` belongs to the value, quote the whole value"},
    {"did not find expected '-' indicator", "check the indentation of this line"},
    {"did not find expected key", "check the indentation of this line"},
    {"could not find expected ':'", "a key needs a `:` after it"},
    {"found undefined tag handle", "write the tag as !!str, or quote the value"},
};

static void yparser_syntax_error(yparser *yp, const yaml_parser_t *p, const char *buf, size_t len)
{
    yaml_mark_t m = p->problem_mark;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    /* A tab where indentation is expected: libyaml reports it in two
     * different ways, neither of which says "tab" plainly. */
    bool tab = strstr(problem, "tab character") != NULL ||
               (strstr(problem, "cannot start any token") != NULL && m.index < len &&
                buf[m.index] == '\t');
    if (tab) {
        dapt_diags_add(yp->diags, yp->file, ynode_mark_pos(m), DAPT_SEV_ERROR,
                       "YAML syntax: a tab indents this line; YAML indents with spaces only");
        return;
    }
    for (size_t i = 0; i < sizeof yhints / sizeof yhints[0]; i++) {
        if (strstr(problem, yhints[i].problem) != NULL) {
            if (p->context != NULL)
                dapt_diags_add(yp->diags, yp->file, ynode_mark_pos(m), DAPT_SEV_ERROR,
                               "YAML syntax: %s %s (line %d, column %d); %s", problem, p->context,
                               (int)p->context_mark.line + 1, (int)p->context_mark.column + 1,
                               yhints[i].hint);
            else
                dapt_diags_add(yp->diags, yp->file, ynode_mark_pos(m), DAPT_SEV_ERROR,
                               "YAML syntax: %s; %s", problem, yhints[i].hint);
            return;
        }
    }
    if (p->context != NULL) {
        dapt_diags_add(yp->diags, yp->file, ynode_mark_pos(m), DAPT_SEV_ERROR,
                       "YAML syntax: %s %s (line %d, column %d)", problem, p->context,
                       (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    } else {
        dapt_diags_add(yp->diags, yp->file, ynode_mark_pos(m), DAPT_SEV_ERROR, "YAML syntax: %s",
                       problem);
    }
}

static void ydocs_push(ydocs *out, ydoc doc)
{
    out->docs = xrealloc(out->docs, out->count + 1, sizeof *out->docs);
    out->docs[out->count++] = doc;
}

/* Handle one event; returns -1 to stop the parse. */
static int yparser_event(yparser *yp, yaml_event_t *ev, ydocs *out, ydoc *doc)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        doc->arena = xcalloc(1, sizeof *doc->arena);
        doc->pos = ynode_mark_pos(ev->start_mark);
        doc->root = NULL;
        yp->arena = doc->arena;
        yp->root = NULL;
        yp->root_set = false;
        yp->anchor_count = 0;
        yp->expansion = 0;
        return 0;
    case YAML_DOCUMENT_END_EVENT:
        doc->root = yp->root;
        ydocs_push(out, *doc);
        doc->arena = NULL;
        yp->arena = NULL;
        return 0;
    case YAML_SCALAR_EVENT: {
        ynode *n = ynode_new(yp, YNODE_SCALAR, ev->start_mark, ev->data.scalar.tag);
        n->str = yarena_strndup(yp->arena, (const char *)ev->data.scalar.value,
                                ev->data.scalar.length);
        n->len = ev->data.scalar.length;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && n->tag == NULL;
        yparser_anchor(yp, ev->data.scalar.anchor, n);
        yparser_attach(yp, n);
        return 0;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
        ynode *n = ynode_new(yp, seq ? YNODE_SEQ : YNODE_MAP, ev->start_mark,
                             seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag);
        const yaml_char_t *anchor =
            seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
        if (yparser_start(yp, n, anchor) < 0)
            return -1;
        /* Anchor at the start, so a self-referencing alias inside is caught
         * as recursion rather than silently building a cycle. */
        yparser_anchor(yp, anchor, n);
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        yparser_end(yp);
        return 0;
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        ynode *target = yparser_lookup(yp, name);
        dapt_pos pos = ynode_mark_pos(ev->start_mark);
        if (target == NULL) {
            dapt_diags_add(yp->diags, yp->file, pos, DAPT_SEV_ERROR,
                           "alias `*%s` names no anchor defined before it", name);
            return -1;
        }
        for (size_t i = 0; i < yp->depth; i++) {
            if (yp->stack[i].node == target) {
                dapt_diags_add(yp->diags, yp->file, pos, DAPT_SEV_ERROR,
                               "alias `*%s` refers to a node that contains it", name);
                return -1;
            }
        }
        yp->expansion += ynode_size(target, YNODE_MAX_EXPANSION + 1, 0);
        if (yp->expansion > YNODE_MAX_EXPANSION) {
            dapt_diags_add(yp->diags, yp->file, pos, DAPT_SEV_ERROR,
                           "aliases expand to more than %d nodes; refusing the document",
                           YNODE_MAX_EXPANSION);
            return -1;
        }
        yparser_attach(yp, target);
        return 0;
    }
    default:
        return 0;
    }
}

int ynode_parse(ydocs *out, const char *file, const char *buf, size_t len, dapt_diags *diags)
{
    yaml_parser_t p;
    yparser yp;
    ydoc doc = {0};
    int rc = 0;

    memset(out, 0, sizeof *out);
    memset(&yp, 0, sizeof yp);
    yp.file = file;
    yp.diags = diags;
    if (!yaml_parser_initialize(&p)) {
        dapt_diags_add(diags, file, (dapt_pos){1, 1}, DAPT_SEV_ERROR,
                       "cannot start the YAML parser (out of memory)");
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            yparser_syntax_error(&yp, &p, buf, len);
            rc = -1;
            break;
        }
        bool done = ev.type == YAML_STREAM_END_EVENT;
        int erc = yparser_event(&yp, &ev, out, &doc);
        yaml_event_delete(&ev);
        if (erc < 0) {
            rc = -1;
            break;
        }
        if (done)
            break;
    }
    yparser_reset_stack(&yp);
    if (doc.arena != NULL) {
        /* The document a syntax error interrupted: its nodes are partial
         * and its error already says where; drop it. */
        yarena_free(doc.arena);
    }
    free(yp.stack);
    free(yp.anchors);
    yaml_parser_delete(&p);
    return rc;
}

void ynode_docs_free(ydocs *docs)
{
    for (size_t i = 0; i < docs->count; i++)
        yarena_free(docs->docs[i].arena);
    free(docs->docs);
    docs->docs = NULL;
    docs->count = 0;
}

ynode *ynode_key(const ynode *map, const char *key)
{
    if (map == NULL || map->type != YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->count; i++) {
        if (ynode_key_is(map->keys[i], key))
            return map->keys[i];
    }
    return NULL;
}

ynode *ynode_get(const ynode *map, const char *key)
{
    if (map == NULL || map->type != YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->count; i++) {
        if (ynode_key_is(map->keys[i], key))
            return map->items[i];
    }
    return NULL;
}

static bool ynode_tag_is(const ynode *n, const char *suffix)
{
    static const char prefix[] = "tag:yaml.org,2002:";
    return n->tag != NULL && strncmp(n->tag, prefix, sizeof prefix - 1) == 0 &&
           strcmp(n->tag + sizeof prefix - 1, suffix) == 0;
}

/* YAML 1.2 core schema resolution of a plain scalar. */
typedef enum yscalar_kind {
    YSCALAR_STRING,
    YSCALAR_NULL,
    YSCALAR_BOOL,
    YSCALAR_INT,
    YSCALAR_FLOAT,
} yscalar_kind;

static bool ystr_in(const char *s, const char *const *words)
{
    for (; *words != NULL; words++) {
        if (strcmp(s, *words) == 0)
            return true;
    }
    return false;
}

static yscalar_kind ynode_resolve(const ynode *n, json_int_t *ival, double *fval, bool *bval)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    static const char *const infs[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
    static const char *const ninfs[] = {"-.inf", "-.Inf", "-.INF", NULL};
    static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
    const char *s = n->str;

    if (n->type != YNODE_SCALAR)
        return YSCALAR_STRING;
    if (n->tag != NULL) {
        if (ynode_tag_is(n, "null"))
            return YSCALAR_NULL;
        if (!ynode_tag_is(n, "int") && !ynode_tag_is(n, "float") && !ynode_tag_is(n, "bool"))
            return YSCALAR_STRING;
    } else if (!n->plain) {
        return YSCALAR_STRING;
    }
    if (strlen(s) != n->len)
        return YSCALAR_STRING;
    if (ystr_in(s, nulls))
        return YSCALAR_NULL;
    if (ystr_in(s, trues) || ystr_in(s, falses)) {
        *bval = ystr_in(s, trues);
        return YSCALAR_BOOL;
    }
    if (ystr_in(s, infs) || ystr_in(s, ninfs) || ystr_in(s, nans)) {
        *fval = ystr_in(s, nans) ? NAN : ystr_in(s, infs) ? INFINITY : -INFINITY;
        return YSCALAR_FLOAT;
    }
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (*p >= '0' && *p <= '9') {
        char *end;
        errno = 0;
        int base = 10;
        const char *digits = s;
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o') && p == s) {
            base = p[1] == 'x' ? 16 : 8;
            digits = p + 2;
        }
        if (*digits != '\0') {
            long long v = strtoll(digits, &end, base);
            if (*end == '\0' && errno == 0) {
                *ival = (json_int_t)v;
                return YSCALAR_INT;
            }
        }
    }
    if ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')) {
        char *end;
        double v = strtod(s, &end);
        /* strtod also takes hex and "inf"; YAML's float is decimal only */
        if (*end == '\0' && strpbrk(s, "xXnN") == NULL) {
            *fval = v;
            return YSCALAR_FLOAT;
        }
    }
    return YSCALAR_STRING;
}

bool ynode_is_null(const ynode *n)
{
    json_int_t i;
    double f;
    bool b;
    return n == NULL || (n->type == YNODE_SCALAR && ynode_resolve(n, &i, &f, &b) == YSCALAR_NULL);
}

const char *ynode_describe(const ynode *n)
{
    json_int_t i;
    double f;
    bool b;
    if (n == NULL)
        return "nothing";
    switch (n->type) {
    case YNODE_MAP:
        return "a mapping";
    case YNODE_SEQ:
        return "a list";
    case YNODE_SCALAR:
        switch (ynode_resolve(n, &i, &f, &b)) {
        case YSCALAR_NULL:
            return "null";
        case YSCALAR_BOOL:
            return "a boolean";
        case YSCALAR_INT:
        case YSCALAR_FLOAT:
            return "a number";
        case YSCALAR_STRING:
            return "a string";
        }
    }
    return "a value";
}

static json_t *ynode_scalar_json(const ynode *n)
{
    json_int_t i;
    double f;
    bool b;
    switch (ynode_resolve(n, &i, &f, &b)) {
    case YSCALAR_NULL:
        return json_null();
    case YSCALAR_BOOL:
        return json_boolean(b);
    case YSCALAR_INT:
        return json_integer(i);
    case YSCALAR_FLOAT:
        /* JSON has no inf or NaN; keep what the user wrote as a string. */
        return isfinite(f) ? json_real(f) : json_stringn(n->str, n->len);
    case YSCALAR_STRING:
        break;
    }
    return json_stringn(n->str, n->len);
}

/* Returns NULL when the value nests too deeply (aliases can stack the
 * parser's own limit several times over); the caller reports it. */
static json_t *ynode_json_rec(const ynode *n, int depth)
{
    if (n->type == YNODE_SCALAR)
        return ynode_scalar_json(n);
    if (depth > YNODE_MAX_JSON_DEPTH)
        return NULL;
    if (n->type == YNODE_SEQ) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n->count; i++) {
            json_t *v = ynode_json_rec(n->items[i], depth + 1);
            if (v == NULL) {
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, v);
        }
        return arr;
    }
    json_t *obj = json_object();
    for (size_t i = 0; i < n->count; i++) {
        const ynode *k = n->keys[i];
        if (k->type != YNODE_SCALAR)
            continue; /* reported by the parser */
        json_t *v = ynode_json_rec(n->items[i], depth + 1);
        if (v == NULL) {
            json_decref(obj);
            return NULL;
        }
        json_object_setn_new_nocheck(obj, k->str, k->len, v);
    }
    return obj;
}

json_t *ynode_to_json(const ynode *n, const char *what, const char *file, dapt_diags *diags)
{
    if (n == NULL)
        return json_null();
    json_t *j = ynode_json_rec(n, 0);
    if (j == NULL && diags != NULL)
        dapt_diags_add(diags, file, n->pos, DAPT_SEV_ERROR,
                       "`%s` nests more than %d levels deep once its aliases are expanded; "
                       "flatten it",
                       what, YNODE_MAX_JSON_DEPTH);
    return j;
}
