/*
 * typecheck.c - values against the JSON types targets declare for their
 * parameters, before anything runs.
 *
 * A declared type is a JSON type name, or several joined with '|':
 * "string", "integer", "number", "boolean", "array", "object", "null",
 * "any" ("integer|string").  "array of T" is an array whose items are all T,
 * T being the rest of the text ("array of integer|null": an array of
 * integers or nulls; "array of array of number" nests).  Python's names
 * (int, float, str, bool, list, tuple, dict, None) mean the same.  An empty
 * type, "any" and a name this does not know take every value.
 *
 * The rules: an integer is a number; a real is not an integer, not even
 * 2.0 (C targets read it with json_integer_value, which gives 0; Python's
 * range(2.0) raises), so it is an error that says to write 2.  null fits a
 * type that includes "null", and an optional parameter (one with a
 * default: passing null means "no value" to C and Python targets alike).
 *
 * Checked: every `args:` value of a stage (an error at the value), the run
 * input a root stage receives (an error before the run starts), the value
 * of a config key named like a parameter of a stage's target (a warning:
 * the stage reads the config through its context, so whether it uses that
 * key as the parameter is its own business), and a dependency's declared
 * `returns` against the parameter its output fills (a warning: `returns`
 * is free text, of which only a leading type is read).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

enum {
    K_NULL = 1u << 0,
    K_BOOLEAN = 1u << 1,
    K_INTEGER = 1u << 2,
    K_REAL = 1u << 3,
    K_STRING = 1u << 4,
    K_ARRAY = 1u << 5,
    K_OBJECT = 1u << 6,
    K_ANY = (1u << 7) - 1,
};

/* One name of the type language: its kinds, how a message says it. */
static const struct type_name {
    const char *name;
    unsigned mask;
    const char *one;  /* "an integer" */
    const char *many; /* "integers" */
} type_names[] = {
    {"string", K_STRING, "a string", "strings"},
    {"integer", K_INTEGER, "an integer", "integers"},
    {"number", K_INTEGER | K_REAL, "a number", "numbers"},
    {"boolean", K_BOOLEAN, "a boolean", "booleans"},
    {"array", K_ARRAY, "an array", "arrays"},
    {"object", K_OBJECT, "an object", "objects"},
    {"null", K_NULL, "null", "nulls"},
    {"any", K_ANY, "anything", "anything"},
    /* Python's spelling */
    {"str", K_STRING, "a string", "strings"},
    {"int", K_INTEGER, "an integer", "integers"},
    {"float", K_INTEGER | K_REAL, "a number", "numbers"},
    {"bool", K_BOOLEAN, "a boolean", "booleans"},
    {"list", K_ARRAY, "an array", "arrays"},
    {"tuple", K_ARRAY, "an array", "arrays"},
    {"dict", K_OBJECT, "an object", "objects"},
    {"None", K_NULL, "null", "nulls"},
};

/* A parsed type: its kinds, and for "array of T" the text of T. */
typedef struct ttype {
    unsigned mask;
    const char *items; /* NULL: items of any type */
    size_t items_len;
} ttype;

static const struct type_name *name_find(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (strlen(type_names[i].name) == n && strncmp(type_names[i].name, s, n) == 0)
            return &type_names[i];
    return NULL;
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)**s))
        (*s)++, (*n)--;
    while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* "array of REST": REST into *rest. */
static bool array_of(const char *s, size_t n, const char **rest, size_t *rest_n)
{
    if (n < 9 || strncmp(s, "array", 5) != 0 || !isspace((unsigned char)s[5]))
        return false;
    size_t i = 5;
    while (i < n && isspace((unsigned char)s[i]))
        i++;
    if (i + 2 >= n || strncmp(s + i, "of", 2) != 0 || !isspace((unsigned char)s[i + 2]))
        return false;
    *rest = s + i + 3;
    *rest_n = n - i - 3;
    trim(rest, rest_n);
    return *rest_n > 0;
}

static ttype type_parse(const char *s, size_t n)
{
    ttype t = {0, NULL, 0};
    trim(&s, &n);
    while (n > 0) {
        if (array_of(s, n, &t.items, &t.items_len)) {
            t.mask |= K_ARRAY;
            break;
        }
        const char *bar = memchr(s, '|', n);
        size_t len = bar ? (size_t)(bar - s) : n;
        const char *w = s;
        size_t wn = len;
        trim(&w, &wn);
        const struct type_name *tn = name_find(w, wn);
        t.mask |= tn ? tn->mask : K_ANY; /* a name not known: not checked */
        if (bar == NULL)
            break;
        s = bar + 1;
        n -= len + 1;
        trim(&s, &n);
    }
    if (t.mask == 0 || t.mask == K_ANY) {
        t.mask = K_ANY;
        t.items = NULL;
    }
    return t;
}

/* "an integer or a string", "an array of integers" (plural: "integers or
 * strings", "arrays of integers"). */
static void type_describe(strbuf *sb, const char *s, size_t n, bool plural)
{
    trim(&s, &n);
    bool first = true;
    while (n > 0) {
        const char *rest;
        size_t rest_n;
        bool arr = array_of(s, n, &rest, &rest_n);
        const char *bar = arr ? NULL : memchr(s, '|', n);
        size_t len = bar ? (size_t)(bar - s) : n;
        if (!first)
            strbuf_puts(sb, bar ? ", " : " or ");
        first = false;
        if (arr) {
            strbuf_puts(sb, plural ? "arrays of " : "an array of ");
            type_describe(sb, rest, rest_n, true);
            break;
        }
        const char *w = s;
        size_t wn = len;
        trim(&w, &wn);
        const struct type_name *tn = name_find(w, wn);
        if (tn)
            strbuf_puts(sb, plural ? tn->many : tn->one);
        else
            strbuf_printf(sb, "`%.*s`", (int)wn, w);
        if (bar == NULL)
            break;
        s = bar + 1;
        n -= len + 1;
        trim(&s, &n);
    }
    if (first)
        strbuf_puts(sb, "anything");
}

char *typecheck_describe(const char *type)
{
    strbuf sb = {0};
    type_describe(&sb, type ? type : "", type ? strlen(type) : 0, false);
    return strbuf_detach(&sb);
}

static unsigned value_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        return K_NULL;
    case JSON_TRUE:
    case JSON_FALSE:
        return K_BOOLEAN;
    case JSON_INTEGER:
        return K_INTEGER;
    case JSON_REAL:
        return K_REAL;
    case JSON_STRING:
        return K_STRING;
    case JSON_ARRAY:
        return K_ARRAY;
    default:
        return K_OBJECT;
    }
}

static const char *value_what(const json_t *v)
{
    switch (value_kind(v)) {
    case K_NULL:
        return "null";
    case K_BOOLEAN:
        return "a boolean";
    case K_INTEGER:
        return "an integer";
    case K_REAL:
        return "a real number";
    case K_STRING:
        return "a string";
    case K_ARRAY:
        return "an array";
    default:
        return "an object";
    }
}

/* The value as compact JSON, shortened to fit a message. */
static char *value_shown(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (s == NULL)
        return xstrdup("?");
    if (strlen(s) > 40)
        strcpy(s + 37, "...");
    return s;
}

/* Where `v` does not fit the type s[0..n): NULL when it fits, else the
 * part of the message after the expected type, e.g. "`\"abc\"` is a
 * string" or "item [2], `\"x\"`, is a string".  `null_ok`: an optional
 * parameter's own value (not its items). */
static char *mismatch(const char *s, size_t n, const json_t *v, bool null_ok, strbuf *path)
{
    ttype t = type_parse(s, n);
    unsigned k = value_kind(v);
    if ((k == K_NULL && null_ok) || t.mask == K_ANY)
        return NULL;
    if (t.mask & k) {
        if (k != K_ARRAY || t.items == NULL)
            return NULL;
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            size_t mark = path->len;
            strbuf_printf(path, "[%zu]", i);
            char *why = mismatch(t.items, t.items_len, item, false, path);
            if (why)
                return why;
            path->len = mark;
            if (path->buf)
                path->buf[mark] = '\0';
        }
        return NULL;
    }
    strbuf sb = {0};
    char *shown = value_shown(v);
    if (k == K_NULL)
        strbuf_printf(&sb, "%s%s is null", path->len ? "item " : "the value",
                      path->len ? path->buf : "");
    else if (path->len > 0)
        strbuf_printf(&sb, "item %s, `%s`, is %s", path->buf, shown, value_what(v));
    else
        strbuf_printf(&sb, "`%s` is %s", shown, value_what(v));
    if (k == K_REAL && (t.mask & K_INTEGER)) {
        double d = json_real_value(v);
        if (d == (double)(long long)d)
            strbuf_printf(&sb, " (write `%lld` for an integer)", (long long)d);
    }
    free(shown);
    return strbuf_detach(&sb);
}

char *typecheck_param(const dapt_param_info *p, const char *target, const json_t *v)
{
    strbuf path = {0};
    char *why = mismatch(p->type ? p->type : "", p->type ? strlen(p->type) : 0, v,
                         !p->required, &path);
    free(path.buf);
    if (why == NULL)
        return NULL;
    char *want = typecheck_describe(p->type);
    char *msg = xasprintf("`%s` of `%s` is %s; %s", p->name, target, want, why);
    free(want);
    free(why);
    return msg;
}

bool typecheck_fits(const char *type, bool optional, const json_t *v)
{
    strbuf path = {0};
    char *why = mismatch(type, strlen(type), v, optional, &path);
    free(path.buf);
    bool ok = why == NULL;
    free(why);
    return ok;
}

/* ------------------------------------------------------------------ */
/* What a target's `returns` declares                                  */
/* ------------------------------------------------------------------ */

static size_t word_len(const char *s)
{
    size_t n = 0;
    while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '.')
        n++;
    return n;
}

static void skip_spaces(const char **s)
{
    while (isspace((unsigned char)**s))
        (*s)++;
}

static bool word_is(const char *s, size_t n, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        if (strlen(words[i]) == n && strncmp(words[i], s, n) == 0)
            return true;
    return false;
}

static bool returns_union(const char **s, strbuf *out);

/* One type at *s into out (canonical names); false when *s names none. */
static bool returns_one(const char **s, strbuf *out)
{
    static const char *const seqs[] = {"list", "List", "Sequence", "tuple", "Tuple", "set",
                                       "Set", "Iterable", "array", NULL};
    static const char *const maps[] = {"dict", "Dict", "Mapping", NULL};
    skip_spaces(s);
    if (**s == '{') {
        strbuf_puts(out, "object");
        return true;
    }
    size_t n = word_len(*s);
    const char *w = *s;
    if (n > 7 && strncmp(w, "typing.", 7) == 0)
        w += 7, n -= 7;
    const char *after = w + n;
    if (n == 8 && strncmp(w, "Optional", 8) == 0 && *after == '[') {
        *s = after + 1;
        if (!returns_union(s, out))
            return false;
        strbuf_puts(out, "|null");
        return **s == ']' ? ((*s)++, true) : false;
    }
    if (word_is(w, n, seqs)) {
        const char *p = after;
        skip_spaces(&p);
        if (*p == '[' || strncmp(p, "of ", 3) == 0) {
            bool bracket = *p == '[';
            p += bracket ? 1 : 3;
            strbuf item = {0};
            bool ok = returns_union(&p, &item) && (!bracket || *p == ']' || *p == ',');
            strbuf_puts(out, "array");
            if (ok && (!bracket || *p == ']'))
                strbuf_printf(out, " of %s", item.buf);
            free(item.buf);
            if (bracket) {
                while (*p && *p != ']')
                    p++;
                if (*p)
                    p++;
            }
            *s = p;
            return true;
        }
        strbuf_puts(out, "array");
        *s = after;
        return true;
    }
    if (word_is(w, n, maps)) {
        strbuf_puts(out, "object");
        *s = after;
        if (**s == '[')
            while (**s && *(*s)++ != ']')
                ;
        return true;
    }
    const struct type_name *tn = name_find(w, n);
    if (tn == NULL) {
        /* plurals, as in "list of integers" */
        for (size_t i = 0; i < sizeof type_names / sizeof type_names[0] && !tn; i++)
            if (strlen(type_names[i].many) == n && strncmp(type_names[i].many, w, n) == 0 &&
                type_names[i].mask != K_ANY)
                tn = &type_names[i];
    }
    if (tn == NULL || tn->mask == K_ANY)
        return false;
    /* the canonical name of the row's kinds */
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (type_names[i].mask == tn->mask) {
            strbuf_puts(out, type_names[i].name);
            break;
        }
    *s = after;
    return true;
}

static bool returns_union(const char **s, strbuf *out)
{
    for (;;) {
        if (!returns_one(s, out))
            return false;
        skip_spaces(s);
        if (**s != '|')
            return true;
        (*s)++;
        strbuf_putc(out, '|');
    }
}

char *typecheck_returns(const char *returns)
{
    if (returns == NULL)
        return NULL;
    const char *s = returns;
    strbuf out = {0};
    if (!returns_union(&s, &out) || (*s && isalnum((unsigned char)*s))) {
        free(out.buf);
        return NULL;
    }
    return strbuf_detach(&out);
}

bool typecheck_compatible(const char *produced, const char *accepted)
{
    ttype p = type_parse(produced, strlen(produced));
    ttype a = type_parse(accepted, strlen(accepted));
    if (p.mask == K_ANY || a.mask == K_ANY)
        return true;
    unsigned common = p.mask & a.mask;
    if (common == 0)
        return false;
    if (common != K_ARRAY || p.items == NULL || a.items == NULL)
        return true;
    char *pi = xstrndup(p.items, p.items_len);
    char *ai = xstrndup(a.items, a.items_len);
    bool ok = typecheck_compatible(pi, ai);
    free(pi);
    free(ai);
    return ok;
}

/* ------------------------------------------------------------------ */
/* A workflow's stages                                                 */
/* ------------------------------------------------------------------ */

static const dapt_param_info *param_find(const dapt_target_info *t, const char *name)
{
    for (size_t i = 0; i < t->param_count; i++)
        if (strcmp(t->params[i].name, name) == 0)
            return &t->params[i];
    return NULL;
}

static void check_args(const dapt_stage *st, const dapt_target_info *t, const char *file,
                       dapt_diags *diags, size_t *errors)
{
    for (size_t i = 0; i < st->arg_count; i++) {
        const dapt_param_info *p = param_find(t, st->arg_names[i]);
        const json_t *v = json_object_get(st->args, st->arg_names[i]);
        if (p == NULL || v == NULL)
            continue;
        char *msg = typecheck_param(p, t->target, v);
        if (msg == NULL)
            continue;
        dapt_diags_add(diags, file, st->arg_value_pos ? st->arg_value_pos[i] : st->arg_pos[i],
                       DAPT_SEV_ERROR, "%s", msg);
        free(msg);
        (*errors)++;
    }
}

/* The type a dependency's output is declared to have, malloc'd, or NULL;
 * *target: the target that declares it. */
static char *dep_returns(const dapt_registry *reg, const dapt_workflow *wf, const char *name,
                         const char **target, bool *list)
{
    *list = false;
    for (size_t i = 0; i < wf->stage_count; i++) {
        if (strcmp(wf->stages[i].name, name) != 0)
            continue;
        const dapt_target_info *t;
        char *err = NULL;
        if (dapt_registry_resolve(reg, wf->stages[i].target, &t, &err) < 0) {
            free(err);
            return NULL;
        }
        *target = t->target;
        char *r = typecheck_returns(t->returns);
        if (wf->stages[i].type != DAPT_STAGE_PARAMETERIZED)
            return r;
        /* a parameterized stage's output: the list of its calls' results */
        char *l = r ? xasprintf("array of %s", r) : xstrdup("array");
        free(r);
        *list = true;
        return l;
    }
    return NULL;
}

/* Dependency k of the stage against the parameter its output fills. */
static void check_dep(const dapt_registry *reg, const dapt_workflow *wf, const dapt_stage *st,
                      const dapt_target_info *t, size_t k, const char *file, dapt_diags *diags)
{
    const char *from = NULL;
    bool list;
    char *produced = dep_returns(reg, wf, st->depends_on[k], &from, &list);
    if (produced == NULL)
        return;
    bool mapped = st->type == DAPT_STAGE_PARAMETERIZED && st->map_on == NULL && k == 0;
    /* the positional the output is: with map_on the item comes first */
    size_t slot = st->type == DAPT_STAGE_PARAMETERIZED && st->map_on ? k + 1 : k;
    dapt_pos pos = st->depends_pos ? st->depends_pos[k] : st->pos;
    char *what = typecheck_describe(produced);
    if (mapped) {
        ttype pt = type_parse(produced, strlen(produced));
        if (!(pt.mask & K_ARRAY)) {
            dapt_diags_add(diags, file, pos, DAPT_SEV_WARNING,
                           "stage `%s` maps over the output of `%s`, which `%s` declares as "
                           "%s, not an array",
                           st->name, st->depends_on[k], from, what);
            goto done;
        }
        if (pt.mask != K_ARRAY || pt.items == NULL)
            goto done;
        char *item = xstrndup(pt.items, pt.items_len);
        free(produced);
        produced = item;
    }
    if (slot < plugin_positional_params(t)) {
        const dapt_param_info *p = &t->params[slot];
        if (!typecheck_compatible(produced, p->type)) {
            char *want = typecheck_describe(p->type);
            char *origin = list ? xasprintf("is %s (the results of `%s`, one per item)",
                                            what, from)
                                : xasprintf("`%s` declares as %s", from, what);
            dapt_diags_add(diags, file, pos, DAPT_SEV_WARNING,
                           "`%s` of `%s` is %s; stage `%s` gives it %sthe output of `%s`, "
                           "which %s",
                           p->name, t->target, want, st->name, mapped ? "each item of " : "",
                           st->depends_on[k], origin);
            free(origin);
            free(want);
        }
    }
done:
    free(what);
    free(produced);
}

size_t typecheck_stage(const dapt_registry *reg, const dapt_workflow *wf, const dapt_stage *st,
                       const dapt_target_info *t, const char *file, dapt_diags *diags)
{
    size_t errors = 0;
    check_args(st, t, file, diags, &errors);
    for (size_t k = 0; k < st->depends_count; k++)
        check_dep(reg, wf, st, t, k, file, diags);
    return errors;
}

/* ------------------------------------------------------------------ */
/* The run input and the config                                        */
/* ------------------------------------------------------------------ */

int typecheck_input(const dapt_stage *st, const dapt_target_info *t, const json_t *input,
                    char **error)
{
    *error = NULL;
    if (st->depends_count > 0 || !json_is_object(input))
        return 0;
    bool parameterized = st->type == DAPT_STAGE_PARAMETERIZED;
    /* a parameterized root stage's item fills the first positional */
    size_t first = parameterized && plugin_positional_params(t) > 0 ? 1 : 0;
    for (size_t i = first; i < t->param_count; i++) {
        const dapt_param_info *p = &t->params[i];
        const json_t *v = json_object_get(input, p->name);
        if (v == NULL || json_object_get(st->args, p->name) != NULL ||
            (st->map_on && strcmp(st->map_on, p->name) == 0))
            continue; /* not given, or `args:` win, or it is the list mapped over */
        char *msg = typecheck_param(p, t->target, v);
        if (msg) {
            *error = xasprintf("stage `%s`: --input %s: %s", st->name, p->name, msg);
            free(msg);
            return -1;
        }
    }
    const json_t *items = st->map_on ? json_object_get(input, st->map_on) : NULL;
    if (parameterized && first && json_is_array(items)) {
        size_t i;
        json_t *item;
        json_array_foreach(items, i, item) {
            char *msg = typecheck_param(&t->params[0], t->target, item);
            if (msg) {
                *error = xasprintf("stage `%s`: --input %s[%zu]: %s", st->name, st->map_on, i,
                                   msg);
                free(msg);
                return -1;
            }
        }
    }
    return 0;
}

/* Where a config file gives `key` (its last document that does), or the
 * start of the file. */
static dapt_pos config_value_pos(const char *file, const char *key)
{
    dapt_pos pos = {1, 1};
    FILE *f = fopen(file, "rb");
    if (f == NULL)
        return pos;
    strbuf sb = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_add(&sb, chunk, n);
    fclose(f);
    ydocs docs = {0};
    dapt_diags quiet = {0};
    if (ynode_parse(&docs, file, sb.buf ? sb.buf : "", sb.len, &quiet) == 0)
        for (size_t i = 0; i < docs.count; i++) {
            const ynode *root = docs.docs[i].root;
            const ynode *data = ynode_get(ynode_get(root, "spec"), "data");
            if (data == NULL)
                data = ynode_get(root, "data");
            const ynode *v = ynode_get(data, key);
            if (v)
                pos = v->pos;
        }
    ynode_docs_free(&docs);
    dapt_diags_free(&quiet);
    free(sb.buf);
    return pos;
}

void typecheck_config(const dapt_registry *reg, const dapt_workflow *wf, const json_t *config,
                      const json_t *files, dapt_diags *diags)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)config, key, v) {
        for (size_t i = 0; i < wf->stage_count; i++) {
            const dapt_target_info *t;
            char *err = NULL;
            if (dapt_registry_resolve(reg, wf->stages[i].target, &t, &err) < 0) {
                free(err);
                continue;
            }
            const dapt_param_info *p = param_find(t, key);
            char *msg = p ? typecheck_param(p, t->target, v) : NULL;
            if (msg == NULL)
                continue;
            /* the last config file that gives the key is the one that won */
            const char *file = NULL;
            dapt_pos pos = {1, 1};
            for (size_t f = json_array_size(files); f-- > 0 && file == NULL;) {
                const char *name = json_string_value(json_array_get(files, f));
                dapt_pos at = config_value_pos(name, key);
                if (at.line != 1 || at.column != 1)
                    file = name, pos = at;
            }
            dapt_diags_add(diags, file ? file : "configs", pos, DAPT_SEV_WARNING,
                           "config `%s` is named like a parameter of stage `%s`: %s", key,
                           wf->stages[i].name, msg);
            free(msg);
        }
    }
}
