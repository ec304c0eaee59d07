/*
 * complete.c - what can be typed at a place of a workflow file.
 *
 * The text is being typed, so it rarely parses: the place is found from
 * the lines alone.  One pass over the document's lines keeps a stack of
 * the block collections open at each line (a mapping at a column, a list
 * at a column, by indentation and `- ` markers), each with a role (the
 * top, metadata, spec, the stages list, a stage, its options, resources,
 * args, depends_on...) that follows from its parent's role and key.  The
 * cursor's line is read up to the cursor only; flow collections ([a, b],
 * {k: v}) on that line are read by a small scanner.  The pass goes on to
 * the end of the document, so the keys written below the cursor count
 * too, and so do the stages defined after it.
 *
 * Targets are ranked over the whole catalog at every keystroke: each
 * target keeps its lowercase copy and its fuzzy_sig, so most targets are
 * dropped by one AND before fuzzy_score_prepared, most of the others by
 * fuzzy_bound once the heap of the best `max` is full (the catalog is
 * never sorted).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

/* ------------------------------------------------------------------ */
/* The catalog                                                          */
/* ------------------------------------------------------------------ */

typedef struct cat_param {
    char *name;
    char *detail; /* "integer = 2", "string (required)" */
    char *doc;
} cat_param;

/* What ranking reads of every target, apart from the rest so that a pass
 * over 100,000 of them stays in the cache. */
typedef struct cat_key {
    fuzzy_sig sig;
    uint32_t off; /* of the name in names / lnames */
    uint32_t len;
} cat_key;

typedef struct cat_target {
    char *detail;
    char *doc;
    cat_param *params;
    size_t nparams;
} cat_target;

struct complete_catalog {
    cat_key *keys;
    cat_target *targets;
    size_t count, cap;
    char *names, *lnames; /* every name, NUL-separated, and its lowercase twin */
    size_t names_len, names_cap;
    size_t *slots; /* open addressing by name: index + 1, 0 empty */
    size_t nslots;
};

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static size_t hash_name(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (size_t)h;
}

static const char *cat_name(const complete_catalog *cat, size_t i)
{
    return cat->names + cat->keys[i].off;
}

static void cat_rehash(complete_catalog *cat)
{
    free(cat->slots);
    cat->nslots = cat->nslots ? cat->nslots * 2 : 64;
    cat->slots = xcalloc(cat->nslots, sizeof *cat->slots);
    for (size_t i = 0; i < cat->count; i++) {
        size_t s = hash_name(cat_name(cat, i), cat->keys[i].len) & (cat->nslots - 1);
        while (cat->slots[s] != 0)
            s = (s + 1) & (cat->nslots - 1);
        cat->slots[s] = i + 1;
    }
}

/* The target named exactly `name` (n bytes), or NULL. */
static const cat_target *cat_find(const complete_catalog *cat, const char *name, size_t n)
{
    if (cat->nslots == 0)
        return NULL;
    size_t s = hash_name(name, n) & (cat->nslots - 1);
    for (; cat->slots[s] != 0; s = (s + 1) & (cat->nslots - 1)) {
        size_t i = cat->slots[s] - 1;
        if (cat->keys[i].len == n && memcmp(cat_name(cat, i), name, n) == 0)
            return &cat->targets[i];
    }
    return NULL;
}

void complete_catalog_add(complete_catalog *cat, const char *target, const char *detail,
                          const char *doc)
{
    size_t n = strlen(target);
    if (cat->names_len + n + 1 > UINT32_MAX)
        return; /* no target name is that long, nor catalog that large */
    if (cat->names_len + n + 1 > cat->names_cap) {
        cat->names_cap = (cat->names_len + n + 1) * 2;
        cat->names = xrealloc(cat->names, cat->names_cap, 1);
        cat->lnames = xrealloc(cat->lnames, cat->names_cap, 1);
    }
    if (cat->count == cat->cap) {
        cat->cap = cat->cap ? cat->cap * 2 : 64;
        cat->targets = xrealloc(cat->targets, cat->cap, sizeof *cat->targets);
        cat->keys = xrealloc(cat->keys, cat->cap, sizeof *cat->keys);
    }
    cat_key *k = &cat->keys[cat->count];
    cat_target *t = &cat->targets[cat->count++];
    memset(t, 0, sizeof *t);
    k->off = (uint32_t)cat->names_len;
    k->len = (uint32_t)n;
    memcpy(cat->names + k->off, target, n + 1);
    for (size_t i = 0; i <= n; i++)
        cat->lnames[k->off + i] = (char)lower((unsigned char)target[i]);
    cat->names_len += n + 1;
    fuzzy_sign(&k->sig, target, n);
    t->detail = xstrdup(detail ? detail : "");
    t->doc = doc ? xstrdup(doc) : NULL;
    if (cat->count * 2 > cat->nslots) {
        cat_rehash(cat);
    } else {
        size_t s = hash_name(target, n) & (cat->nslots - 1);
        while (cat->slots[s] != 0)
            s = (s + 1) & (cat->nslots - 1);
        cat->slots[s] = cat->count;
    }
}

void complete_catalog_add_param(complete_catalog *cat, const char *name, const char *detail,
                                const char *doc)
{
    if (cat->count == 0)
        return;
    cat_target *t = &cat->targets[cat->count - 1];
    t->params = xrealloc(t->params, t->nparams + 1, sizeof *t->params);
    cat_param *p = &t->params[t->nparams++];
    p->name = xstrdup(name);
    p->detail = xstrdup(detail ? detail : "");
    p->doc = doc ? xstrdup(doc) : NULL;
}

size_t complete_catalog_count(const complete_catalog *cat)
{
    return cat->count;
}

/* "(n: integer, by?: integer = 2) -> integer" */
static char *target_signature(const dapt_target_info *t)
{
    strbuf sb = {0};
    strbuf_putc(&sb, '(');
    for (size_t i = 0; i < t->param_count; i++) {
        const dapt_param_info *p = &t->params[i];
        strbuf_printf(&sb, "%s%s%s: %s", i ? ", " : "", p->name, p->required ? "" : "?", p->type);
        if (p->default_json != NULL)
            strbuf_printf(&sb, " = %s", p->default_json);
    }
    if (t->flags & DAPT_TARGET_VARARGS)
        strbuf_printf(&sb, "%s*args", t->param_count ? ", " : "");
    if (t->flags & DAPT_TARGET_KWARGS)
        strbuf_printf(&sb, "%s**kwargs",
                      t->param_count || (t->flags & DAPT_TARGET_VARARGS) ? ", " : "");
    strbuf_putc(&sb, ')');
    if (t->returns[0] != '\0')
        strbuf_printf(&sb, " -> %s", t->returns);
    return strbuf_detach(&sb);
}

/* The preview: the doc, then every parameter and what it returns. */
static char *target_doc(const dapt_target_info *t)
{
    strbuf sb = {0};
    strbuf_puts(&sb, t->doc[0] ? t->doc : "(no documentation)");
    if (t->param_count > 0)
        strbuf_puts(&sb, "\n\nParameters:");
    for (size_t i = 0; i < t->param_count; i++) {
        const dapt_param_info *p = &t->params[i];
        strbuf_printf(&sb, "\n  %s (%s", p->name, p->type);
        if (p->required)
            strbuf_puts(&sb, ", required");
        else if (p->default_json != NULL)
            strbuf_printf(&sb, ", default %s", p->default_json);
        strbuf_putc(&sb, ')');
        if (p->doc[0] != '\0')
            strbuf_printf(&sb, ": %s", p->doc);
    }
    if (t->returns[0] != '\0')
        strbuf_printf(&sb, "\n\nReturns: %s", t->returns);
    return strbuf_detach(&sb);
}

static char *param_detail(const dapt_param_info *p)
{
    if (p->required)
        return xasprintf("%s (required)", p->type);
    if (p->default_json != NULL)
        return xasprintf("%s = %s", p->type, p->default_json);
    return xstrdup(p->type);
}

complete_catalog *complete_catalog_new(const dapt_registry *reg)
{
    complete_catalog *cat = xcalloc(1, sizeof *cat);
    size_t n = 0;
    const dapt_target_info *const *all = reg ? dapt_registry_targets(reg, &n) : NULL;
    for (size_t i = 0; i < n; i++) {
        const dapt_target_info *t = all[i];
        /* an executor in `target:` is an error (registry-check.c) */
        if (t->kind != DAPT_TARGET_STAGE)
            continue;
        char *sig = target_signature(t), *doc = target_doc(t);
        complete_catalog_add(cat, t->target, sig, doc);
        free(sig);
        free(doc);
        for (size_t k = 0; k < t->param_count; k++) {
            char *detail = param_detail(&t->params[k]);
            complete_catalog_add_param(cat, t->params[k].name, detail,
                                       t->params[k].doc[0] ? t->params[k].doc : NULL);
            free(detail);
        }
    }
    return cat;
}

void complete_catalog_free(complete_catalog *cat)
{
    if (cat == NULL)
        return;
    for (size_t i = 0; i < cat->count; i++) {
        cat_target *t = &cat->targets[i];
        free(t->detail);
        free(t->doc);
        for (size_t k = 0; k < t->nparams; k++) {
            free(t->params[k].name);
            free(t->params[k].detail);
            free(t->params[k].doc);
        }
        free(t->params);
    }
    free(cat->targets);
    free(cat->keys);
    free(cat->names);
    free(cat->lnames);
    free(cat->slots);
    free(cat);
}

/* ------------------------------------------------------------------ */
/* Ranking: the best `max` candidates in a heap                          */
/* ------------------------------------------------------------------ */

/* A candidate before it becomes an item: borrowed strings. */
typedef struct cand {
    int score;
    size_t order; /* ties among equal scores (and lengths, for targets) */
    const char *label;
    size_t len;
    const char *text; /* NULL: the label */
    const char *detail;
    const char *doc;
} cand;

typedef struct ranker {
    cand *heap; /* the worst kept candidate at [0] */
    size_t count, max;
    bool by_length; /* ties: shorter, then alphabetical (targets); else by order */
} ranker;

/* Whether a ranks before b. */
static bool cand_better(const ranker *r, const cand *a, const cand *b)
{
    if (a->score != b->score)
        return a->score > b->score;
    if (r->by_length) {
        if (a->len != b->len)
            return a->len < b->len;
        int c = strcmp(a->label, b->label);
        if (c != 0)
            return c < 0;
    }
    return a->order < b->order;
}

static void heap_down(ranker *r, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, w = i;
        if (l < r->count && cand_better(r, &r->heap[w], &r->heap[l]))
            w = l;
        if (l + 1 < r->count && cand_better(r, &r->heap[w], &r->heap[l + 1]))
            w = l + 1;
        if (w == i)
            return;
        cand t = r->heap[i];
        r->heap[i] = r->heap[w];
        r->heap[w] = t;
        i = w;
    }
}

static void heap_up(ranker *r, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!cand_better(r, &r->heap[p], &r->heap[i]))
            return;
        cand t = r->heap[i];
        r->heap[i] = r->heap[p];
        r->heap[p] = t;
        i = p;
    }
}

/* Whether a candidate of at most this score could be kept. */
static bool ranker_may_keep(const ranker *r, int bound, const char *label, size_t len, size_t order)
{
    if (r->count < r->max)
        return true;
    cand c = {.score = bound, .label = label, .len = len, .order = order};
    return cand_better(r, &c, &r->heap[0]);
}

static void ranker_push(ranker *r, const cand *c)
{
    if (r->count < r->max) {
        r->heap[r->count++] = *c;
        heap_up(r, r->count - 1);
    } else if (cand_better(r, c, &r->heap[0])) {
        r->heap[0] = *c;
        heap_down(r, 0);
    }
}

/* The kept candidates, best first, into the result (with the matched
 * bytes of `pattern` in each label; `prefix` before each text). */
static void ranker_finish(ranker *r, complete_result *res, const char *pattern, const char *prefix)
{
    /* heap sort: the worst leaves the heap first and goes last */
    size_t total = r->count;
    for (size_t n = total; n > 1; n--) {
        cand worst = r->heap[0];
        r->heap[0] = r->heap[--r->count];
        heap_down(r, 0);
        r->heap[n - 1] = worst;
    }
    r->count = total;
    size_t m = strlen(pattern);
    res->items = r->count ? xcalloc(r->count, sizeof *res->items) : NULL;
    res->count = r->count;
    for (size_t i = 0; i < r->count; i++) {
        const cand *c = &r->heap[i];
        complete_item *it = &res->items[i];
        it->label = xstrndup(c->label, c->len);
        if (c->text != NULL)
            it->text = xasprintf("%s%s", prefix, c->text);
        else
            it->text = xasprintf("%s%.*s", prefix, (int)c->len, c->label);
        it->detail = xstrdup(c->detail ? c->detail : "");
        it->doc = c->doc ? xstrdup(c->doc) : NULL;
        it->score = c->score;
        if (m > 0) {
            it->match = xcalloc(m, sizeof *it->match);
            if (fuzzy_score(pattern, it->label, it->match) >= 0)
                it->nmatch = m;
        }
    }
    free(r->heap);
    r->heap = NULL;
}

static void ranker_init(ranker *r, size_t max, bool by_length)
{
    memset(r, 0, sizeof *r);
    r->max = max;
    r->by_length = by_length;
    r->heap = xcalloc(max, sizeof *r->heap);
}

/* A small list (keys, enum values, stage names): those the pattern
 * matches. */
static void ranker_offer(ranker *r, const char *pattern, const char *label, const char *text,
                         const char *detail, const char *doc, size_t order)
{
    int s = fuzzy_score(pattern, label, NULL);
    if (s < 0)
        return;
    cand c = {.score = s,
              .order = order,
              .label = label,
              .len = strlen(label),
              .text = text,
              .detail = detail,
              .doc = doc};
    ranker_push(r, &c);
}

static void rank_one(ranker *r, const complete_catalog *cat, size_t i, const char *lp, size_t m)
{
    const cat_key *k = &cat->keys[i];
    const char *name = cat->names + k->off;
    int s = fuzzy_score_prepared(lp, m, name, cat->lnames + k->off, k->len, NULL);
    if (s < 0)
        return;
    const cat_target *t = &cat->targets[i];
    cand c = {
        .score = s, .order = i, .label = name, .len = k->len, .detail = t->detail, .doc = t->doc};
    ranker_push(r, &c);
}

/* Every target against the pattern.  Prefix matches first: they are
 * scored in a few steps and outrank every other match, so when there are
 * `max` of them the second pass (the others) is cut short by the bound
 * before any table is filled. */
static void rank_targets(ranker *r, const complete_catalog *cat, const char *pattern)
{
    size_t m = strlen(pattern);
    char lbuf[256];
    char *lp = m < sizeof lbuf ? lbuf : xmalloc(m + 1);
    for (size_t i = 0; i < m; i++)
        lp[i] = (char)lower((unsigned char)pattern[i]);
    fuzzy_sig psig;
    fuzzy_sign(&psig, pattern, m);
    /* the targets that may match but not as a prefix, for the second pass */
    uint32_t *later = xmalloc((cat->count ? cat->count : 1) * sizeof *later);
    size_t nlater = 0;
    for (size_t i = 0; i < cat->count; i++) {
        const cat_key *k = &cat->keys[i];
        if (!fuzzy_may_match(&psig, &k->sig) || k->len < m)
            continue;
        const char *lname = cat->lnames + k->off;
        size_t same = 0;
        while (same < m && lname[same] == lp[same])
            same++;
        if (same < m) {
            later[nlater++] = (uint32_t)i;
            continue;
        }
        rank_one(r, cat, i, lp, m);
    }
    for (size_t x = 0; x < nlater; x++) {
        size_t i = later[x];
        const cat_key *k = &cat->keys[i];
        if (ranker_may_keep(r, fuzzy_bound(lp, m, k->len, &k->sig), cat->names + k->off, k->len, i))
            rank_one(r, cat, i, lp, m);
    }
    free(later);
    if (lp != lbuf)
        free(lp);
}

/* ------------------------------------------------------------------ */
/* Lines                                                                */
/* ------------------------------------------------------------------ */

typedef struct span {
    const char *s;
    size_t n;
} span;

static bool span_is(span a, const char *s)
{
    return a.s != NULL && strlen(s) == a.n && memcmp(a.s, s, a.n) == 0;
}

/* What a block line holds, by columns (bytes from the line's start). */
typedef struct yline {
    const char *p;
    size_t n;
    bool blank;    /* empty, spaces, or a comment */
    size_t indent; /* first non-space */
    size_t ndash;  /* `- ` markers, at dash[0..] */
    size_t dash[8];
    size_t content; /* after the markers */
    bool has_key;
    span key;         /* unquoted */
    bool has_value;   /* something after `key:` (not a comment) */
    size_t value_col; /* of the value, or of the content when there is no key */
    span value;       /* to the end, without a trailing comment and spaces */
} yline;

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* The end of a value: before ` #` (outside quotes) and trailing spaces. */
static size_t value_end(const char *p, size_t from, size_t n)
{
    char quote = 0;
    size_t end = n;
    for (size_t i = from; i < n; i++) {
        char c = p[i];
        if (quote) {
            if (c == quote)
                quote = 0;
            continue;
        }
        if ((c == '"' || c == '\'') &&
            (i == from || is_space(p[i - 1]) || strchr("[{,:", p[i - 1])))
            quote = c;
        else if (c == '#' && i > from && is_space(p[i - 1])) {
            end = i;
            break;
        }
    }
    while (end > from && is_space(p[end - 1]))
        end--;
    return end;
}

/* A key at p[c..]: `key:` followed by a space or the end, plain or
 * quoted.  Sets *key and returns the index after the colon, or 0. */
static size_t find_key(const char *p, size_t c, size_t n, span *key)
{
    if (c >= n || p[c] == '[' || p[c] == '{' || p[c] == '#' || p[c] == '|' || p[c] == '>')
        return 0;
    if (p[c] == '"' || p[c] == '\'') {
        const char *q = memchr(p + c + 1, p[c], n - c - 1);
        if (q == NULL)
            return 0;
        size_t e = (size_t)(q - p) + 1;
        while (e < n && is_space(p[e]))
            e++;
        if (e < n && p[e] == ':' && (e + 1 == n || is_space(p[e + 1]))) {
            key->s = p + c + 1;
            key->n = (size_t)(q - p) - c - 1;
            return e + 1;
        }
        return 0;
    }
    for (size_t i = c; i < n; i++) {
        if (p[i] == '#' && i > c && is_space(p[i - 1]))
            return 0;
        if (p[i] == ':' && (i + 1 == n || is_space(p[i + 1]))) {
            size_t e = i;
            while (e > c && is_space(p[e - 1]))
                e--;
            key->s = p + c;
            key->n = e - c;
            return i + 1;
        }
    }
    return 0;
}

static void yline_parse(yline *l, const char *p, size_t n)
{
    memset(l, 0, sizeof *l);
    l->p = p;
    l->n = n;
    size_t c = 0;
    while (c < n && p[c] == ' ')
        c++;
    l->indent = c;
    if (c == n || p[c] == '#') {
        l->blank = true;
        return;
    }
    while (c < n && p[c] == '-' && (c + 1 == n || is_space(p[c + 1]))) {
        if (l->ndash < sizeof l->dash / sizeof l->dash[0])
            l->dash[l->ndash++] = c;
        c++;
        while (c < n && is_space(p[c]))
            c++;
    }
    l->content = c;
    l->value_col = c;
    size_t after = find_key(p, c, n, &l->key);
    if (after > 0) {
        l->has_key = true;
        while (after < n && is_space(p[after]))
            after++;
        l->value_col = after;
    }
    if (l->value_col < n && p[l->value_col] != '#') {
        size_t e = value_end(p, l->value_col, n);
        l->has_value = e > l->value_col;
        l->value.s = p + l->value_col;
        l->value.n = e - l->value_col;
    }
}

/* A scalar as written, without its quotes. */
static span unquote(span v)
{
    if (v.n >= 2 && (v.s[0] == '"' || v.s[0] == '\'') && v.s[v.n - 1] == v.s[0]) {
        v.s++;
        v.n -= 2;
    }
    return v;
}

/* ------------------------------------------------------------------ */
/* The outline: block collections open at a line                        */
/* ------------------------------------------------------------------ */

typedef enum role {
    ROLE_OTHER,
    ROLE_TOP,
    ROLE_METADATA,
    ROLE_ANNOTATIONS,
    ROLE_SPEC,
    ROLE_STAGES, /* the list */
    ROLE_STAGE,  /* one stage */
    ROLE_OPTIONS,
    ROLE_RESOURCES,
    ROLE_ARGS,
    ROLE_DEPENDS, /* a depends_on list */
} role;

/* The role of what hangs under `key` of a collection of role `parent`
 * (list: whether it is a list, so a stage is an item of the stages). */
static role role_child(role parent, span key, bool list)
{
    switch (parent) {
    case ROLE_TOP:
        if (span_is(key, "metadata"))
            return ROLE_METADATA;
        if (span_is(key, "spec"))
            return ROLE_SPEC;
        if (span_is(key, "stages"))
            return list ? ROLE_STAGES : ROLE_OTHER;
        return ROLE_OTHER;
    case ROLE_METADATA:
        return span_is(key, "annotations") ? ROLE_ANNOTATIONS : ROLE_OTHER;
    case ROLE_SPEC:
        return span_is(key, "stages") && list ? ROLE_STAGES : ROLE_OTHER;
    case ROLE_STAGE:
    case ROLE_OPTIONS:
        if (span_is(key, "depends_on"))
            return list ? ROLE_DEPENDS : ROLE_OTHER;
        if (parent == ROLE_OPTIONS)
            return ROLE_OTHER;
        if (span_is(key, "options"))
            return ROLE_OPTIONS;
        if (span_is(key, "resources"))
            return ROLE_RESOURCES;
        if (span_is(key, "args"))
            return ROLE_ARGS;
        return ROLE_OTHER;
    default:
        return ROLE_OTHER;
    }
}

/* The role of an item of a list of role `parent`. */
static role role_item(role parent)
{
    return parent == ROLE_STAGES ? ROLE_STAGE : ROLE_OTHER;
}

typedef struct entry {
    span key;   /* a mapping's key, or a list's item */
    span value; /* the key's inline value (n == 0: none) */
} entry;

typedef struct frame {
    bool list;
    size_t col;
    role role;
    entry *entries; /* keys of a mapping, scalar items of a list */
    size_t count;
    bool open_key; /* mapping: the last key has no inline value */
    span last_key;
    int stage;  /* ROLE_STAGE: its index in the document's stages */
    bool chain; /* an ancestor of (or) the cursor's place */
} frame;

static void frame_add(frame *f, span key, span value)
{
    f->entries = xrealloc(f->entries, f->count + 1, sizeof *f->entries);
    f->entries[f->count].key = key;
    f->entries[f->count].value = value;
    f->count++;
}

static bool frame_has(const frame *f, const char *key)
{
    for (size_t i = 0; f != NULL && i < f->count; i++) {
        if (span_is(f->entries[i].key, key))
            return true;
    }
    return false;
}

static span frame_value(const frame *f, const char *key)
{
    span none = {NULL, 0};
    for (size_t i = 0; f != NULL && i < f->count; i++) {
        if (span_is(f->entries[i].key, key))
            return unquote(f->entries[i].value);
    }
    return none;
}

static void frame_free(frame *f)
{
    if (f != NULL && !f->chain) {
        free(f->entries);
        free(f);
    }
}

/* A stage of the document, for depends_on. */
typedef struct stage_name {
    span name;
    span target; /* n == 0: none written */
    int stage;
    bool dup; /* a later stage of the same name */
} stage_name;

typedef struct outline {
    frame **stack;
    size_t depth, cap;
    int nstages; /* stage mappings seen */
    stage_name *names;
    size_t nnames;
    /* the cursor's chain, outermost first (owned here) */
    frame **chain;
    size_t nchain;
    int cursor_stages; /* stages seen before the cursor's line */
} outline;

static frame *ol_top(const outline *o)
{
    return o->depth ? o->stack[o->depth - 1] : NULL;
}

static void ol_note_stage(outline *o, const frame *f);

/* Close the innermost collection; a stage is complete then. */
static void ol_pop(outline *o)
{
    frame *f = o->stack[--o->depth];
    if (f->role == ROLE_STAGE)
        ol_note_stage(o, f);
    frame_free(f);
}

static frame *ol_push(outline *o, bool list, size_t col, role r)
{
    if (o->depth == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 16;
        o->stack = xrealloc(o->stack, o->cap, sizeof *o->stack);
    }
    frame *f = xcalloc(1, sizeof *f);
    f->list = list;
    f->col = col;
    f->role = r;
    f->stage = -1;
    if (r == ROLE_STAGE)
        f->stage = o->nstages++;
    o->stack[o->depth++] = f;
    return f;
}

/* The role of a new collection at column `col` under the top of the
 * stack (which has a column below col, or is a mapping at col for a
 * list written at its key's column). */
static role ol_child_role(const outline *o, bool list)
{
    const frame *t = ol_top(o);
    if (t == NULL)
        return list ? ROLE_OTHER : ROLE_TOP;
    if (t->list)
        return list ? ROLE_OTHER : role_item(t->role);
    return t->open_key ? role_child(t->role, t->last_key, list) : ROLE_OTHER;
}

static void ol_note_stage(outline *o, const frame *f)
{
    span name = frame_value(f, "name");
    if (name.n == 0)
        return;
    o->names = xrealloc(o->names, o->nnames + 1, sizeof *o->names);
    stage_name *sn = &o->names[o->nnames++];
    sn->name = name;
    sn->target = frame_value(f, "target");
    sn->stage = f->stage;
    sn->dup = false;
}

static int span_cmp(span a, span b)
{
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.s, b.s, n) : 0;
    return c != 0 ? c : a.n < b.n ? -1 : a.n > b.n;
}

static int stage_by_index(const void *pa, const void *pb)
{
    const stage_name *a = pa, *b = pb;
    return a->stage < b->stage ? -1 : a->stage > b->stage;
}

static int stage_by_name(const void *pa, const void *pb)
{
    const stage_name *const *a = pa, *const *b = pb;
    int c = span_cmp((*a)->name, (*b)->name);
    return c != 0 ? c : stage_by_index(*a, *b);
}

/* Once every stage is noted: in document order, a name used twice
 * marked after its first stage. */
static void ol_sort_stages(outline *o)
{
    if (o->nnames == 0)
        return;
    qsort(o->names, o->nnames, sizeof *o->names, stage_by_index);
    stage_name **by_name = xcalloc(o->nnames, sizeof *by_name);
    for (size_t i = 0; i < o->nnames; i++)
        by_name[i] = &o->names[i];
    qsort(by_name, o->nnames, sizeof *by_name, stage_by_name);
    for (size_t i = 1; i < o->nnames; i++)
        by_name[i]->dup = span_cmp(by_name[i]->name, by_name[i - 1]->name) == 0;
    free(by_name);
}

/* The flow scanner: items and keys of a [ ] or { } on one line.  Each
 * segment (between the brackets and commas, at one depth) is a key (with
 * or without a value) in a mapping, an item in a list. */
typedef struct flow_seg {
    span key;   /* mapping: the key, or the whole segment when no colon */
    span value; /* mapping: after the colon; list: the item */
    bool has_colon;
    size_t start; /* byte offset of the segment's text in the line */
} flow_seg;

/* Read one segment starting at p[i] (after spaces), at flow depth 0 of
 * its own, up to the `,` or closing bracket (or n).  Nested brackets are
 * skipped whole.  Returns the index of the stop byte. */
static size_t flow_segment(const char *p, size_t i, size_t n, bool in_map, flow_seg *seg)
{
    memset(seg, 0, sizeof *seg);
    while (i < n && is_space(p[i]))
        i++;
    seg->start = i;
    size_t colon = 0, depth = 0;
    char quote = 0;
    size_t j = i;
    for (; j < n; j++) {
        char c = p[j];
        if (quote) {
            if (c == quote)
                quote = 0;
            continue;
        }
        if (c == '"' || c == '\'')
            quote = c;
        else if (c == '[' || c == '{')
            depth++;
        else if ((c == ']' || c == '}') && depth > 0)
            depth--;
        else if (depth == 0 && (c == ',' || c == ']' || c == '}'))
            break;
        else if (depth == 0 && in_map && c == ':' && colon == 0 &&
                 (j + 1 == n || is_space(p[j + 1]) || strchr(",]}", p[j + 1])))
            colon = j;
    }
    size_t end = j;
    while (end > i && is_space(p[end - 1]))
        end--;
    if (in_map && colon > 0) {
        size_t ke = colon;
        while (ke > i && is_space(p[ke - 1]))
            ke--;
        seg->key = unquote((span){p + i, ke - i});
        size_t v = colon + 1;
        while (v < end && is_space(p[v]))
            v++;
        seg->value = (span){p + v, end > v ? end - v : 0};
        seg->has_colon = true;
    } else if (in_map) {
        seg->key = unquote((span){p + i, end - i});
    } else {
        seg->value = unquote((span){p + i, end - i});
    }
    return j;
}

/* The keys and values of a flow mapping, or the items of a flow list,
 * that starts at p[open] ('{' or '['), into f; the index after its end. */
static size_t flow_read(const char *p, size_t open, size_t n, frame *f)
{
    bool in_map = p[open] == '{';
    size_t i = open + 1;
    while (i < n) {
        flow_seg seg;
        i = flow_segment(p, i, n, in_map, &seg);
        if (in_map && seg.key.n > 0)
            frame_add(f, seg.key, seg.value);
        else if (!in_map && seg.value.n > 0)
            frame_add(f, seg.value, (span){NULL, 0});
        if (i >= n || p[i] != ',')
            return i + 1;
        i++;
    }
    return n;
}

/* Pop what a line at `col` closes (a mapping key at col, or `- ` at col
 * when `dash`). */
static void ol_close(outline *o, size_t col, bool dash)
{
    while (o->depth > 0) {
        frame *t = ol_top(o);
        if (t->col > col || (t->col == col && t->list && !dash))
            ol_pop(o);
        else
            break;
    }
}

/* Apply the structure of a line: its `- ` markers open or continue lists,
 * its key goes into the mapping at its column.  Returns the frame that
 * holds the content at l->content (a mapping when it has a key, else the
 * innermost list, or NULL). */
static frame *ol_line(outline *o, const yline *l, bool record)
{
    frame *f = NULL;
    for (size_t d = 0; d < l->ndash; d++) {
        size_t col = l->dash[d];
        ol_close(o, col, true);
        frame *t = ol_top(o);
        if (t != NULL && t->list && t->col == col) {
            f = t;
        } else {
            role r = ol_child_role(o, true);
            if (t != NULL && !t->list)
                t->open_key = false; /* its value is this list */
            f = ol_push(o, true, col, r);
        }
    }
    size_t col = l->content;
    if (!l->has_key) {
        if (f != NULL && record && l->has_value) {
            if (l->value.s[0] == '{' && role_item(f->role) == ROLE_STAGE) {
                /* - {name: a, target: b}: a stage written in flow */
                frame *st = ol_push(o, false, col, ROLE_STAGE);
                flow_read(l->p, l->value_col, l->n, st);
                ol_pop(o);
            } else {
                frame_add(f, unquote(l->value), (span){NULL, 0});
            }
        }
        return f;
    }
    ol_close(o, col, false);
    frame *t = ol_top(o);
    if (t == NULL || t->list || t->col < col) {
        role r = ol_child_role(o, false);
        if (t != NULL && !t->list)
            t->open_key = false;
        t = ol_push(o, false, col, r);
    } else if (t->col != col) {
        return NULL; /* deeper than a mapping's keys without a key to hang on */
    }
    t->last_key = l->key;
    t->open_key = !l->has_value;
    if (record) {
        span v = l->has_value ? l->value : (span){NULL, 0};
        frame_add(t, l->key, v);
    }
    return t;
}

static void ol_free(outline *o)
{
    while (o->depth > 0)
        ol_pop(o);
    free(o->stack);
    for (size_t i = 0; i < o->nchain; i++) {
        o->chain[i]->chain = false;
        frame_free(o->chain[i]);
    }
    free(o->chain);
    free(o->names);
}

/* Mark the stack from the bottom up to `f` as the cursor's chain (kept
 * when popped, so the lines below the cursor still add to it). */
static void ol_mark_chain(outline *o)
{
    o->nchain = o->depth;
    o->cursor_stages = o->nstages;
    o->chain = xcalloc(o->depth ? o->depth : 1, sizeof *o->chain);
    for (size_t i = 0; i < o->depth; i++) {
        o->chain[i] = o->stack[i];
        o->stack[i]->chain = true;
    }
}

/* ------------------------------------------------------------------ */
/* The place of the cursor                                              */
/* ------------------------------------------------------------------ */

typedef enum what {
    AT_NOTHING,
    AT_KEY,   /* a key of the mapping `map` */
    AT_VALUE, /* the value of `key` in `map` */
    AT_ITEM,  /* an item of the list `map` (role ROLE_DEPENDS) */
} what;

typedef struct place {
    what what;
    frame *map;        /* the collection (owned by the outline, or `flow`) */
    span key;          /* AT_VALUE */
    size_t start, end; /* what accepting replaces, in the line */
    char *typed;       /* the text from start to the cursor */
    /* the keys (or items) of a flow collection on the cursor's line */
    frame flow;
    bool in_flow;
    bool need_space; /* `key:|`: values go in with a space before them */
} place;

static bool token_byte(char c)
{
    return c != '\0' && !is_space(c) && !strchr(",[]{}#\"'", c);
}

/* The end of the token the cursor is in (for replacing it whole). */
static size_t token_end(const char *p, size_t col, size_t n)
{
    while (col < n && token_byte(p[col]) && p[col] != ':')
        col++;
    return col;
}

/* A key being typed: replace up to and with the `: ` after it, if any. */
static size_t key_end(const char *p, size_t col, size_t n)
{
    size_t e = token_end(p, col, n);
    if (e < n && p[e] == ':') {
        e++;
        if (e < n && p[e] == ' ')
            e++;
    }
    return e;
}

/* The cursor is inside a flow collection that opens at p[open], of role
 * r: find the innermost collection open at the cursor, the segment the
 * cursor is in, and the other segments of that collection (before and
 * after the cursor). */
static void place_flow(place *pl, const char *p, size_t n, size_t open, size_t col, role r)
{
    enum { MAX_DEPTH = 32 };
    size_t open_at[MAX_DEPTH], seg_at[MAX_DEPTH];
    role role_at[MAX_DEPTH];
    size_t depth = 0;
    open_at[0] = open;
    role_at[0] = r;
    seg_at[0] = open + 1;
    char quote = 0;
    for (size_t i = open + 1; i < col; i++) {
        char c = p[i];
        if (quote) {
            if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if ((c == '[' || c == '{') && depth + 1 < MAX_DEPTH) {
            /* its role from its key (in a mapping) or its parent list */
            role nr;
            if (p[open_at[depth]] == '{') {
                flow_seg seg;
                flow_segment(p, seg_at[depth], i, true, &seg);
                nr = role_child(role_at[depth], seg.key, c == '[');
            } else {
                nr = c == '{' ? role_item(role_at[depth]) : ROLE_OTHER;
            }
            depth++;
            open_at[depth] = i;
            role_at[depth] = nr;
            seg_at[depth] = i + 1;
        } else if (c == ']' || c == '}') {
            if (depth == 0)
                return; /* the cursor is after the collection */
            depth--;
        } else if (c == ',') {
            seg_at[depth] = i + 1;
        }
    }
    if (quote)
        return; /* inside a quoted string */
    size_t o = open_at[depth];
    bool in_map = p[o] == '{';
    pl->in_flow = true;
    pl->flow.role = role_at[depth];
    pl->flow.list = !in_map;
    pl->flow.stage = -1;
    pl->map = &pl->flow;
    for (size_t i = o + 1; i < n;) {
        flow_seg seg;
        size_t stop = flow_segment(p, i, n, in_map, &seg);
        if (!(i <= col && col <= stop)) {
            if (in_map && seg.key.n > 0)
                frame_add(&pl->flow, seg.key, seg.value);
            else if (!in_map && seg.value.n > 0)
                frame_add(&pl->flow, seg.value, (span){NULL, 0});
        }
        if (stop >= n || p[stop] != ',')
            break;
        i = stop + 1;
    }
    size_t s = seg_at[depth];
    while (s < col && is_space(p[s]))
        s++;
    flow_seg cur;
    flow_segment(p, s, col, in_map, &cur);
    if (in_map && cur.has_colon) {
        pl->what = AT_VALUE;
        pl->key = cur.key;
        pl->start = (size_t)(cur.value.s - p);
    } else {
        pl->what = in_map ? AT_KEY : AT_ITEM;
        pl->start = s;
    }
    if (pl->start < col && (p[pl->start] == '"' || p[pl->start] == '\''))
        pl->start++;
    if (pl->start > col)
        pl->start = col;
    pl->end = pl->what == AT_KEY ? key_end(p, col, n) : token_end(p, col, n);
}

/* Find the place of the cursor on its line, after the outline of the
 * lines above it (o).  `line` holds the whole line; col is in it. */
static void place_find(place *pl, outline *o, const char *p, size_t n, size_t col)
{
    yline before;
    yline_parse(&before, p, col);
    /* the structure of the line up to the cursor */
    if (before.blank) {
        /* nothing typed yet on this line: a key at the cursor's column */
        ol_close(o, col, false);
        frame *t = ol_top(o);
        if (t != NULL && !t->list && t->col == col) {
            pl->map = t;
        } else if (t == NULL || t->col < col) {
            if (t != NULL && !t->list && !t->open_key)
                return; /* under a key that has its value already */
            role r = ol_child_role(o, false);
            pl->map = ol_push(o, false, col, r);
        } else {
            return;
        }
        pl->what = AT_KEY;
        pl->start = col;
        pl->end = key_end(p, col, n);
        return;
    }
    /* the markers: lists (and what they hold) */
    yline marks = before;
    marks.has_key = false;
    marks.has_value = false;
    frame *list = ol_line(o, &marks, false);
    size_t c = before.content;
    if (before.has_key) {
        ol_close(o, c, false);
        frame *t = ol_top(o);
        if (t == NULL || t->list || t->col < c) {
            role r = ol_child_role(o, false);
            if (t != NULL && !t->list && !t->open_key)
                return;
            t = ol_push(o, false, c, r);
        } else if (t->col != c) {
            return;
        }
        pl->map = t;
        size_t v = before.value_col;
        if (v < col && (p[v] == '[' || p[v] == '{')) {
            role r = role_child(t->role, before.key, p[v] == '[');
            place_flow(pl, p, n, v, col, r);
            return;
        }
        pl->what = AT_VALUE;
        pl->key = before.key;
        pl->start = v;
        pl->need_space = v == col && col > 0 && p[col - 1] == ':';
        if (pl->start < col && (p[pl->start] == '"' || p[pl->start] == '\''))
            pl->start++;
        pl->end = token_end(p, col, n);
        /* a value with a space or a comment in it is not one we complete */
        for (size_t i = pl->start; i < col; i++) {
            if (p[i] == '#' || (is_space(p[i]) && !(p[v] == '"' || p[v] == '\'')))
                pl->what = AT_NOTHING;
        }
        return;
    }
    if (c < col && (p[c] == '[' || p[c] == '{')) {
        role r = list ? (p[c] == '{' ? role_item(list->role) : ROLE_OTHER) : ROLE_OTHER;
        place_flow(pl, p, n, c, col, r);
        return;
    }
    for (size_t i = c; i < col; i++) {
        if (!token_byte(p[i]) && p[i] != '"' && p[i] != '\'')
            return;
    }
    if (list != NULL && list->role == ROLE_DEPENDS) {
        pl->what = AT_ITEM;
        pl->map = list;
        pl->start = c;
        if (pl->start < col && (p[pl->start] == '"' || p[pl->start] == '\''))
            pl->start++;
        pl->end = token_end(p, col, n);
        return;
    }
    /* a key being typed at column c: in the mapping at c (a new item's,
     * after a marker) */
    ol_close(o, c, false);
    frame *t = ol_top(o);
    if (t == NULL || t->list || t->col < c) {
        if (t != NULL && !t->list && !t->open_key)
            return;
        role r = ol_child_role(o, false);
        t = ol_push(o, false, c, r);
    } else if (t->col != c) {
        return;
    }
    pl->what = AT_KEY;
    pl->map = t;
    pl->start = c;
    pl->end = key_end(p, col, n);
}

/* ------------------------------------------------------------------ */
/* What to offer                                                        */
/* ------------------------------------------------------------------ */

/* Help for the keys the loader accepts (the set comes from the engine:
 * workflow_known, resource_known).  A key not here is offered bare. */
static const struct key_doc {
    const char *key, *detail, *doc;
} key_docs[] = {
    {"kind", "workflow | config | trigger_rule", "What the document is."},
    {"version", "text", "A version string, kept as written."},
    {"metadata", "{name, annotations}", "The resource's name and annotations."},
    {"spec", "{stages}", "The workflow: its stages."},
    {"name", "name", "Letters, digits, `_` and `-`; unique among the stages."},
    {"description", "text", "What it is for (shown in lists)."},
    {"stages", "[stage, ...]", "The stages, each with a name and a target."},
    {"annotations", "{key: value}", "Free-form labels; configs select workflows by them."},
    {"target", "plugin.path", "The function the stage runs, e.g. `weather.stages.fetch`."},
    {"type", "simple | parameterized",
     "parameterized: call the target once per element of its input (map)."},
    {"depends_on", "[stage, ...]", "Stages whose outputs this one receives, in order."},
    {"options", "{map_on, allow_partial_failure}", "Flowdapt's stage options."},
    {"resources", "{cpus, gpus, memory}",
     "What one call needs; other keys are labels an executor can match."},
    {"priority", "integer", "Higher runs first among ready stages."},
    {"args", "{param: value}", "Named arguments for the target (its parameters)."},
    {"timeout", "duration", "Cancel a call that runs longer, e.g. `30s`, `5m`."},
    {"retries", "0..1000", "Run a failed call again this many times."},
    {"retry_delay", "duration", "Wait between retries, e.g. `10s`."},
    {"map_on", "input key", "Map over this key of the run input (parameterized)."},
    {"allow_partial_failure", "true | false",
     "Drop failed items from a parameterized stage's output (default true)."},
    {"cpus", "number", "CPUs one call needs."},
    {"gpus", "number", "GPUs one call needs."},
    {"memory", "size", "Memory one call needs, e.g. `512MB`, `2GiB`."},
};

static const struct key_doc *key_doc(const char *key)
{
    for (size_t i = 0; i < sizeof key_docs / sizeof key_docs[0]; i++) {
        if (strcmp(key_docs[i].key, key) == 0)
            return &key_docs[i];
    }
    return NULL;
}

/* Keys the loader takes for Flowdapt files but that nobody writes by
 * hand (the server set them). */
static bool key_hidden(const char *key)
{
    return strcmp(key, "uid") == 0 || strcmp(key, "created_at") == 0 ||
           strcmp(key, "updated_at") == 0;
}

/* Keys offered in a mapping; the strings it points to are static or in
 * the catalog.  `text` for each is "key: ". */
typedef struct keyset {
    const char *names[64];
    const char *details[64];
    const char *docs[64];
    size_t count;
} keyset;

static void keyset_add(keyset *ks, const char *name, const char *detail, const char *doc)
{
    for (size_t i = 0; i < ks->count; i++) {
        if (strcmp(ks->names[i], name) == 0)
            return;
    }
    if (ks->count == sizeof ks->names / sizeof ks->names[0] || key_hidden(name))
        return;
    const struct key_doc *kd = key_doc(name);
    ks->names[ks->count] = name;
    ks->details[ks->count] = detail ? detail : kd ? kd->detail : "";
    ks->docs[ks->count] = doc ? doc : kd ? kd->doc : NULL;
    ks->count++;
}

static void keyset_table(keyset *ks, const char *const *names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        keyset_add(ks, names[i], NULL, NULL);
}

/* The options of a stage (Flowdapt's): the loader takes any stage key
 * there, but these are the ones that belong. */
static const char *const option_keys[] = {"map_on", "allow_partial_failure"};

/* The stage that holds the cursor's place, or NULL. */
static const frame *place_stage(const outline *o, const place *pl)
{
    if (pl->map != NULL && pl->map->role == ROLE_STAGE)
        return pl->map;
    for (size_t i = o->nchain; i-- > 0;) {
        if (o->chain[i]->role == ROLE_STAGE)
            return o->chain[i];
    }
    return NULL;
}

/* The document's top mapping (for the form it is written in). */
static const frame *place_top(const outline *o, const place *pl)
{
    if (o->nchain > 0 && o->chain[0]->role == ROLE_TOP)
        return o->chain[0];
    return pl->map != NULL && pl->map->role == ROLE_TOP ? pl->map : NULL;
}

static void keys_for(keyset *ks, const outline *o, const place *pl, const complete_catalog *cat)
{
    size_t n;
    const char *const *names;
    switch (pl->map->role) {
    case ROLE_TOP: {
        /* the resource form, the flat one, or either while unclear */
        const frame *top = place_top(o, pl);
        bool resource = frame_has(top, "metadata") || frame_has(top, "spec");
        bool flat = frame_has(top, "name") || frame_has(top, "stages");
        if (!flat) {
            names = resource_known("resource", &n);
            keyset_table(ks, names, n);
        }
        if (!resource) {
            names = workflow_known("flat", &n);
            keyset_table(ks, names, n);
        }
        break;
    }
    case ROLE_METADATA:
        names = resource_known("metadata", &n);
        keyset_table(ks, names, n);
        break;
    case ROLE_SPEC: {
        /* a config's or a trigger rule's spec is not a workflow's */
        span kind = frame_value(place_top(o, pl), "kind");
        if (kind.n == 0 || span_is(kind, "workflow")) {
            names = workflow_known("spec", &n);
            keyset_table(ks, names, n);
        } else if (span_is(kind, "trigger_rule")) {
            names = trigger_known("spec", &n);
            keyset_table(ks, names, n);
        }
        break;
    }
    case ROLE_STAGE:
        names = workflow_known("stage", &n);
        keyset_table(ks, names, n);
        break;
    case ROLE_OPTIONS:
        keyset_table(ks, option_keys, sizeof option_keys / sizeof option_keys[0]);
        break;
    case ROLE_RESOURCES:
        names = workflow_known("resources", &n);
        keyset_table(ks, names, n);
        break;
    case ROLE_ARGS: {
        const frame *st = place_stage(o, pl);
        span target = frame_value(st, "target");
        const cat_target *t = target.n ? cat_find(cat, target.s, target.n) : NULL;
        for (size_t i = 0; t != NULL && i < t->nparams; i++)
            keyset_add(ks, t->params[i].name, t->params[i].detail, t->params[i].doc);
        break;
    }
    default:
        break;
    }
}

/* The args frame's stage is its parent: find it in the chain. */
static void offer_keys(ranker *r, const outline *o, const place *pl, const complete_catalog *cat,
                       char **texts)
{
    keyset ks = {0};
    keys_for(&ks, o, pl, cat);
    for (size_t i = 0; i < ks.count; i++) {
        if (frame_has(pl->map, ks.names[i]))
            continue;
        texts[i] = xasprintf("%s: ", ks.names[i]);
        ranker_offer(r, pl->typed, ks.names[i], texts[i], ks.details[i], ks.docs[i], i);
    }
}

static void offer_words(ranker *r, const char *typed, const char *const *words, size_t count,
                        const char *detail)
{
    for (size_t i = 0; i < count; i++)
        ranker_offer(r, typed, words[i], NULL, detail, NULL, i);
}

/* The stage names of the document but the cursor's stage and those the
 * list has: the nearest stage above the cursor's first. */
static void offer_stages(ranker *r, const outline *o, const place *pl, const frame *list,
                         char **texts)
{
    const frame *st = place_stage(o, pl);
    int here = st ? st->stage : o->cursor_stages;
    for (size_t i = 0; i < o->nnames; i++) {
        const stage_name *sn = &o->names[i];
        if (sn->stage == here)
            continue;
        bool listed = sn->dup; /* a name used twice is offered once */
        for (size_t k = 0; list != NULL && k < list->count && !listed; k++)
            listed = span_cmp(list->entries[k].key, sn->name) == 0;
        if (listed)
            continue;
        /* "name\0target": the label, and its target beside it */
        texts[i] = xmalloc(sn->name.n + sn->target.n + 2);
        memcpy(texts[i], sn->name.s, sn->name.n);
        texts[i][sn->name.n] = '\0';
        if (sn->target.n)
            memcpy(texts[i] + sn->name.n + 1, sn->target.s, sn->target.n);
        texts[i][sn->name.n + 1 + sn->target.n] = '\0';
        /* above the cursor's stage, nearest first; then those below */
        size_t order =
            sn->stage < here ? (size_t)(here - sn->stage) : (size_t)o->nstages + (size_t)sn->stage;
        ranker_offer(r, pl->typed, texts[i], NULL, texts[i] + sn->name.n + 1, NULL, order);
    }
}

static const char *const booleans[] = {"true", "false"};

/* The lines of the document that holds `line` (between `---` lines). */
static void doc_bounds(const char *text, size_t len, size_t line, size_t *first_off,
                       size_t *first_line, size_t *end_off)
{
    size_t off = 0, ln = 0;
    *first_off = 0;
    *first_line = 0;
    *end_off = len;
    while (off < len) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t e = nl ? (size_t)(nl - text) : len;
        bool sep = e - off >= 3 && memcmp(text + off, "---", 3) == 0 &&
                   (e - off == 3 || is_space(text[off + 3]));
        if (sep && ln < line) {
            *first_off = nl ? e + 1 : len;
            *first_line = ln + 1;
        } else if (sep && ln > line) {
            *end_off = off;
            return;
        }
        if (nl == NULL)
            break;
        off = e + 1;
        ln++;
    }
}

/* `|`, `>-`, `|2+`...: a block scalar starts, its text on the lines below. */
static bool block_scalar(const yline *l)
{
    if (!l->has_value || (l->value.s[0] != '|' && l->value.s[0] != '>'))
        return false;
    for (size_t i = 1; i < l->value.n; i++) {
        char c = l->value.s[i];
        if (c != '-' && c != '+' && !(c >= '1' && c <= '9'))
            return false;
    }
    return true;
}

/* The column a block scalar's text must pass, of the line that starts it. */
static size_t block_scalar_col(const yline *l)
{
    if (l->has_key)
        return l->content;
    return l->ndash ? l->dash[l->ndash - 1] : l->indent;
}

void complete_at(complete_result *result, const complete_catalog *cat, const char *text, size_t len,
                 size_t line, size_t col, size_t max)
{
    memset(result, 0, sizeof *result);
    if (max == 0)
        max = 50;
    size_t off, ln, end;
    doc_bounds(text, len, line, &off, &ln, &end);

    outline o = {0};
    place pl = {0};
    bool found = false;
    const char *cur = NULL;
    size_t cur_n = 0;
    bool in_scalar = false; /* the lines of a block scalar are text, not keys */
    size_t scalar_col = 0;
    while (off < end || (off == end && ln == line && !found)) {
        const char *nl = memchr(text + off, '\n', end - off);
        size_t e = nl ? (size_t)(nl - text) : end;
        const char *p = text + off;
        size_t n = e - off;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (ln == line) {
            cur = p;
            cur_n = n;
            size_t c = col < n ? col : n;
            yline before;
            yline_parse(&before, p, c);
            if (in_scalar && (before.blank ? c : before.indent) > scalar_col)
                break; /* typing text */
            place_find(&pl, &o, p, n, c);
            pl.typed = xstrndup(p + pl.start, c > pl.start ? c - pl.start : 0);
            ol_mark_chain(&o);
            found = true;
        } else {
            yline l;
            yline_parse(&l, p, n);
            if (in_scalar && (l.blank || l.indent > scalar_col)) {
                /* a line of the scalar's text */
            } else if (!l.blank) {
                ol_line(&o, &l, true);
                in_scalar = block_scalar(&l);
                scalar_col = block_scalar_col(&l);
            }
        }
        if (nl == NULL)
            break;
        off = e + 1;
        ln++;
    }
    if (!found || pl.what == AT_NOTHING || pl.map == NULL) {
        ol_free(&o);
        free(pl.typed);
        free(pl.flow.entries);
        return;
    }

    /* the rest of the document is read: close it, so every stage is
     * noted (the cursor's collections stay, in the chain) */
    while (o.depth > 0)
        ol_pop(&o);
    ol_sort_stages(&o);
    ranker r;
    bool targets = pl.what == AT_VALUE && span_is(pl.key, "target") &&
                   (pl.map->role == ROLE_STAGE || pl.map->role == ROLE_OPTIONS);
    ranker_init(&r, max, targets);
    size_t ntexts = o.nnames > 64 ? o.nnames : 64;
    char **texts = xcalloc(ntexts, sizeof *texts);
    role mr = pl.map->role;
    bool stage_like = mr == ROLE_STAGE || mr == ROLE_OPTIONS;
    size_t n;
    const char *const *words;
    if (targets) {
        result->context = "target";
        rank_targets(&r, cat, pl.typed);
    } else if (pl.what == AT_KEY) {
        result->context = "key";
        offer_keys(&r, &o, &pl, cat, texts);
    } else if (pl.what == AT_ITEM && mr == ROLE_DEPENDS) {
        result->context = "depends_on";
        offer_stages(&r, &o, &pl, pl.map, texts);
    } else if (pl.what == AT_VALUE && stage_like && span_is(pl.key, "depends_on")) {
        result->context = "depends_on";
        offer_stages(&r, &o, &pl, NULL, texts);
    } else if (pl.what == AT_VALUE && stage_like && span_is(pl.key, "type")) {
        result->context = "type";
        words = workflow_known("type", &n);
        offer_words(&r, pl.typed, words, n, "stage type");
    } else if (pl.what == AT_VALUE && mr == ROLE_TOP && span_is(pl.key, "kind")) {
        result->context = "kind";
        words = resource_known("kind", &n);
        offer_words(&r, pl.typed, words, n, "kind");
    } else if (pl.what == AT_VALUE && stage_like && span_is(pl.key, "allow_partial_failure")) {
        result->context = "boolean";
        offer_words(&r, pl.typed, booleans, 2, "boolean");
    }
    result->start = pl.start;
    result->end = pl.end > pl.start ? pl.end : pl.start;
    if (cur != NULL && result->end > cur_n)
        result->end = cur_n;
    ranker_finish(&r, result, pl.typed, pl.need_space ? " " : "");
    if (result->count == 0)
        memset(result, 0, sizeof *result);
    for (size_t i = 0; i < ntexts; i++)
        free(texts[i]);
    free(texts);
    free(pl.typed);
    free(pl.flow.entries);
    ol_free(&o);
}

void complete_result_free(complete_result *result)
{
    for (size_t i = 0; i < result->count; i++) {
        complete_item *it = &result->items[i];
        free(it->text);
        free(it->label);
        free(it->detail);
        free(it->doc);
        free(it->match);
    }
    free(result->items);
    memset(result, 0, sizeof *result);
}
