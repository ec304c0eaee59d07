/* rule.c - the condition rule language of `kind: trigger_rule` (Flowdapt
 * catalog 1.7): a rule is a mapping with one operator; its value is the
 * argument list, a lone value being a list of one.  An argument that is a
 * mapping is itself a rule and is evaluated; anything else (scalars, and
 * lists too: their items are never evaluated) is a literal.
 *
 * Where dapt and Flowdapt part ways, and why:
 * - `and` and `or` short-circuit and return true or false.  Flowdapt
 *   evaluates every argument first, its `and` returns the last value it
 *   looked at (Python's `a and b`), and its `or` reduces with `and` from
 *   False, so it is never true (the regression the catalog mentions).
 *   Since a trigger only tests the rule's truthiness, the one visible
 *   change is that an error in an argument that is never reached is not
 *   reported (the loader has already checked the operator names).
 * - eq/ne follow JSON types: 1 == 1.0 (numbers compare by value, exactly),
 *   but true != 1 and 1 != "1" (Python has True == 1; YAML users writing
 *   `true` mean a boolean, not a number).
 * - gt/lt/ge/le order two numbers, or two strings by bytes (for UTF-8
 *   that is code point order, as in Python).  Any other pair (null, a
 *   mix of types, booleans, lists) is simply false.  Python would raise
 *   TypeError, which Flowdapt logs before skipping the trigger: the
 *   outcome, no fire, is the same, without an error on every event.
 * - `var: path` and `var: [path, default]`: the default (null if absent)
 *   is the value when the path is missing (a missing key, a non-object on
 *   the way, an index out of range); a key present with the value null is
 *   null, not the default.  Flowdapt's `_get_value(data, path, sentinel)`
 *   behaves the same way.  A numeric segment indexes a list
 *   ("data.stages.0.name"); Flowdapt cannot index lists (null there).
 * - A mapping with no operator or with two is an error (Flowdapt fails on
 *   the first and silently uses the first key of the second), as are a
 *   wrong number of arguments and a `var` path that is not a string.
 *   Rules nest at most RULE_MAX_DEPTH mappings deep.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* Rules are written by hand; anything deeper is a generated runaway, and
 * the bound keeps the recursion's stack use small. */
#define RULE_MAX_DEPTH 64

struct rule_op;

/* One evaluation: the event, and where we are in the rule (for errors). */
typedef struct rule_ctx {
    const json_t *event;
    int depth; /* mappings entered so far, the current one excluded */
    struct {
        const char *op; /* the operator's name (from rule_ops) */
        size_t arg;     /* the argument being evaluated */
    } path[RULE_MAX_DEPTH];
} rule_ctx;

typedef int (*rule_op_fn)(rule_ctx *ctx, const struct rule_op *op, const json_t *args, json_t **out,
                          char **error);

/* The ways two values can relate; the comparison operators accept a set. */
enum {
    RULE_LT = 1,
    RULE_EQ = 2,
    RULE_GT = 4,
    RULE_NE = 8, /* different, and not ordered (different types, lists, ...) */
};

typedef struct rule_op {
    const char *name;
    size_t min_args;
    size_t max_args; /* SIZE_MAX: any number */
    rule_op_fn eval;
    int accept;    /* comparisons: the relations that make it true */
    bool ordering; /* comparisons: needs two numbers or two strings */
} rule_op;

static int rule_eval_node(rule_ctx *ctx, const json_t *node, json_t **out, char **error);

/* What a value is, for messages. */
static const char *rule_describe(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "a mapping";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
    default:
        return "null";
    }
}

/* Fail with a message, followed by where in the rule it happened when that
 * is not the top ("(at and[1].or[0])": the operators above, with the index
 * of the argument that was being evaluated). */
static int rule_fail(rule_ctx *ctx, char **error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int rule_fail(rule_ctx *ctx, char **error, const char *fmt, ...)
{
    strbuf sb = {0};
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    strbuf_puts(&sb, msg);
    free(msg);
    if (ctx->depth > 0) {
        strbuf_puts(&sb, " (at ");
        for (int i = 0; i < ctx->depth; i++)
            strbuf_printf(&sb, "%s%s[%zu]", i > 0 ? "." : "", ctx->path[i].op, ctx->path[i].arg);
        strbuf_putc(&sb, ')');
    }
    *error = strbuf_detach(&sb);
    return -1;
}

/* The argument list of an operator: a list, or a lone value as a list of
 * one. */
static size_t rule_args_count(const json_t *args)
{
    return json_is_array(args) ? json_array_size(args) : 1;
}

static const json_t *rule_args_get(const json_t *args, size_t i)
{
    return json_is_array(args) ? json_array_get(args, i) : args;
}

/* Evaluate argument `i` of the current operator. */
static int rule_arg(rule_ctx *ctx, const json_t *args, size_t i, json_t **out, char **error)
{
    ctx->path[ctx->depth].arg = i;
    ctx->depth++;
    int rc = rule_eval_node(ctx, rule_args_get(args, i), out, error);
    ctx->depth--;
    return rc;
}

bool rule_truthy(const json_t *v)
{
    if (v == NULL)
        return false;
    switch (json_typeof(v)) {
    case JSON_TRUE:
        return true;
    case JSON_FALSE:
    case JSON_NULL:
        return false;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0; /* -0.0 too, as in Python */
    case JSON_STRING:
        return json_string_length(v) != 0;
    case JSON_ARRAY:
        return json_array_size(v) != 0;
    case JSON_OBJECT:
        return json_object_size(v) != 0;
    }
    return false;
}

static int rule_sign(int c)
{
    return (c > 0) - (c < 0);
}

/* An integer against a real, exactly (as Python does): a double cannot
 * hold every int64, so when they look equal as doubles the real (then a
 * whole number) is brought back to an integer. */
static int rule_int_real_cmp(json_int_t i, double r)
{
    double d = (double)i;
    if (d < r)
        return -1;
    if (d > r)
        return 1;
    if (r >= 9223372036854775808.0) /* 2^63: i rounded up to it */
        return -1;
    json_int_t ri = (json_int_t)r;
    return (i > ri) - (i < ri);
}

static int rule_num_cmp(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return (x > y) - (x < y);
    }
    if (json_is_integer(a))
        return rule_int_real_cmp(json_integer_value(a), json_real_value(b));
    if (json_is_integer(b))
        return -rule_int_real_cmp(json_integer_value(b), json_real_value(a));
    double x = json_real_value(a), y = json_real_value(b);
    return (x > y) - (x < y);
}

/* Byte order, a prefix first: strcmp's order, also for strings with NULs. */
static int rule_str_cmp(const json_t *a, const json_t *b)
{
    size_t la = json_string_length(a), lb = json_string_length(b);
    int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
    if (c != 0)
        return rule_sign(c);
    return (la > lb) - (la < lb);
}

/* How `a` relates to `b`: LT/EQ/GT for two numbers or two strings; EQ or
 * NE for anything else, by JSON equality (deep for lists and mappings,
 * numbers by value inside them too). */
static int rule_relate(const json_t *a, const json_t *b)
{
    static const int by_sign[] = {RULE_LT, RULE_EQ, RULE_GT};
    if (json_is_number(a) && json_is_number(b))
        return by_sign[rule_num_cmp(a, b) + 1];
    if (json_is_string(a) && json_is_string(b))
        return by_sign[rule_str_cmp(a, b) + 1];
    if (json_typeof(a) != json_typeof(b))
        return RULE_NE;
    if (json_is_array(a)) {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return RULE_NE;
        for (size_t i = 0; i < n; i++) {
            if (rule_relate(json_array_get(a, i), json_array_get(b, i)) != RULE_EQ)
                return RULE_NE;
        }
        return RULE_EQ;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return RULE_NE;
        const char *key;
        json_t *va;
        json_object_foreach((json_t *)a, key, va)
        {
            const json_t *vb = json_object_get(b, key);
            if (vb == NULL || rule_relate(va, vb) != RULE_EQ)
                return RULE_NE;
        }
        return RULE_EQ;
    }
    return RULE_EQ; /* null, true, false: the type is the value */
}

/* eq ne gt lt ge le. */
static int rule_op_compare(rule_ctx *ctx, const rule_op *op, const json_t *args, json_t **out,
                           char **error)
{
    json_t *a, *b;
    if (rule_arg(ctx, args, 0, &a, error) != 0)
        return -1;
    if (rule_arg(ctx, args, 1, &b, error) != 0) {
        json_decref(a);
        return -1;
    }
    bool result;
    if (op->ordering && !(json_is_number(a) && json_is_number(b)) &&
        !(json_is_string(a) && json_is_string(b)))
        result = false; /* unordered: false rather than Python's TypeError */
    else
        result = (rule_relate(a, b) & op->accept) != 0;
    json_decref(a);
    json_decref(b);
    *out = json_boolean(result);
    return 0;
}

/* and / or: Python's short circuit, the outcome as a boolean.  `and`
 * stops at the first false argument, `or` at the first true one; the
 * empty `and` is true, the empty `or` false. */
static int rule_op_logic(rule_ctx *ctx, const rule_op *op, const json_t *args, json_t **out,
                         char **error)
{
    bool is_or = op->name[0] == 'o';
    size_t n = rule_args_count(args);
    for (size_t i = 0; i < n; i++) {
        json_t *v;
        if (rule_arg(ctx, args, i, &v, error) != 0)
            return -1;
        bool t = rule_truthy(v);
        json_decref(v);
        if (t == is_or) {
            *out = json_boolean(is_or);
            return 0;
        }
    }
    *out = json_boolean(!is_or);
    return 0;
}

/* not / bool: the argument's truthiness, negated or not. */
static int rule_op_truth(rule_ctx *ctx, const rule_op *op, const json_t *args, json_t **out,
                         char **error)
{
    json_t *v;
    if (rule_arg(ctx, args, 0, &v, error) != 0)
        return -1;
    bool t = rule_truthy(v);
    json_decref(v);
    *out = json_boolean(op->name[0] == 'n' ? !t : t);
    return 0;
}

/* All digits (no sign, no blank): a list index.  The value, or -1 when it
 * is not one or too large to be in any list. */
static long long rule_index(const char *seg)
{
    if (*seg == '\0')
        return -1;
    long long v = 0;
    for (const char *p = seg; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > 100000000000LL)
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v;
}

/* Follow a dotted path from `root`: each segment a key of a mapping, or an
 * index into a list.  NULL when missing. */
static const json_t *rule_lookup(const json_t *root, const char *path)
{
    const json_t *cur = root;
    const char *p = path;
    for (;;) {
        if (cur == NULL)
            return NULL;
        const char *dot = strchr(p, '.');
        size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
        char *seg = xstrndup(p, len);
        if (json_is_object(cur)) {
            cur = json_object_get(cur, seg);
        } else if (json_is_array(cur)) {
            long long i = rule_index(seg);
            cur = i >= 0 ? json_array_get(cur, (size_t)i) : NULL;
        } else {
            cur = NULL; /* a scalar on the way */
        }
        free(seg);
        if (dot == NULL)
            return cur;
        p = dot + 1;
    }
}

/* var: path, or [path, default]. */
static int rule_op_var(rule_ctx *ctx, const rule_op *op, const json_t *args, json_t **out,
                       char **error)
{
    json_t *path, *fallback = NULL;
    if (rule_arg(ctx, args, 0, &path, error) != 0)
        return -1;
    if (rule_args_count(args) > 1 && rule_arg(ctx, args, 1, &fallback, error) != 0) {
        json_decref(path);
        return -1;
    }
    if (!json_is_string(path)) {
        rule_fail(ctx, error, "`var` takes a path string such as data.workflow, not %s",
                  rule_describe(path));
        json_decref(path);
        json_decref(fallback);
        return -1;
    }
    const json_t *v = rule_lookup(ctx->event, json_string_value(path));
    json_decref(path);
    if (v != NULL) {
        json_decref(fallback);
        /* shared with the event, which the caller must not change under it */
        *out = json_incref((json_t *)v);
    } else {
        *out = fallback != NULL ? fallback : json_null();
    }
    return 0;
}

/* The operators; adding one is adding a row (the loader checks rules
 * with this table too: rule_operator). */
static const rule_op rule_ops[] = {
    {.name = "eq", .min_args = 2, .max_args = 2, .eval = rule_op_compare, .accept = RULE_EQ},
    {.name = "ne",
     .min_args = 2,
     .max_args = 2,
     .eval = rule_op_compare,
     .accept = RULE_LT | RULE_GT | RULE_NE},
    {.name = "gt",
     .min_args = 2,
     .max_args = 2,
     .eval = rule_op_compare,
     .accept = RULE_GT,
     .ordering = true},
    {.name = "lt",
     .min_args = 2,
     .max_args = 2,
     .eval = rule_op_compare,
     .accept = RULE_LT,
     .ordering = true},
    {.name = "ge",
     .min_args = 2,
     .max_args = 2,
     .eval = rule_op_compare,
     .accept = RULE_GT | RULE_EQ,
     .ordering = true},
    {.name = "le",
     .min_args = 2,
     .max_args = 2,
     .eval = rule_op_compare,
     .accept = RULE_LT | RULE_EQ,
     .ordering = true},
    {.name = "and", .min_args = 0, .max_args = SIZE_MAX, .eval = rule_op_logic},
    {.name = "or", .min_args = 0, .max_args = SIZE_MAX, .eval = rule_op_logic},
    {.name = "not", .min_args = 1, .max_args = 1, .eval = rule_op_truth},
    {.name = "bool", .min_args = 1, .max_args = 1, .eval = rule_op_truth},
    {.name = "var", .min_args = 1, .max_args = 2, .eval = rule_op_var},
};
#define RULE_OP_COUNT (sizeof rule_ops / sizeof rule_ops[0])

static const rule_op *rule_op_find(const char *name)
{
    for (size_t i = 0; i < RULE_OP_COUNT; i++) {
        if (strcmp(rule_ops[i].name, name) == 0)
            return &rule_ops[i];
    }
    return NULL;
}

bool rule_operator(const char *name, size_t *min_args, size_t *max_args)
{
    const rule_op *op = rule_op_find(name);
    if (op == NULL)
        return false;
    *min_args = op->min_args;
    *max_args = op->max_args;
    return true;
}

char *rule_unknown_message(const char *name)
{
    const char *names[RULE_OP_COUNT];
    for (size_t i = 0; i < RULE_OP_COUNT; i++)
        names[i] = rule_ops[i].name;
    const char *near = suggest_closest(name, names, RULE_OP_COUNT);
    if (near != NULL)
        return xasprintf("unknown rule operator `%s` (did you mean `%s`?)", name, near);
    return xasprintf("unknown rule operator `%s`; expected eq, ne, gt, lt, ge, le, and, or, "
                     "not, bool or var",
                     name);
}

static int rule_unknown(rule_ctx *ctx, const char *name, char **error)
{
    char *msg = rule_unknown_message(name);
    int rc = rule_fail(ctx, error, "%s", msg);
    free(msg);
    return rc;
}

/* A mapping must hold exactly one operator: say which ones it holds. */
static int rule_not_one(rule_ctx *ctx, const json_t *node, char **error)
{
    if (json_object_size(node) == 0)
        return rule_fail(ctx, error,
                         "an empty mapping is not a rule; write one operator, "
                         "e.g. {eq: [{var: data.state}, failed]}");
    strbuf sb = {0};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)node, key, v)
        strbuf_printf(&sb, "%s`%s`", sb.len > 0 ? ", " : "", key);
    rule_fail(ctx, error,
              "a rule mapping holds one operator, found %zu: %s; nest them, e.g. "
              "{and: [{...}, {...}]}",
              json_object_size(node), sb.buf);
    strbuf_free(&sb);
    return -1;
}

static int rule_bad_arity(rule_ctx *ctx, const rule_op *op, size_t n, char **error)
{
    if (op->min_args == op->max_args)
        return rule_fail(ctx, error, "`%s` takes %zu argument%s, got %zu", op->name, op->min_args,
                         op->min_args == 1 ? "" : "s", n);
    /* only var has a range */
    return rule_fail(ctx, error, "`%s` takes a path and an optional default, got %zu argument%s",
                     op->name, n, n == 1 ? "" : "s");
}

static int rule_eval_node(rule_ctx *ctx, const json_t *node, json_t **out, char **error)
{
    if (node == NULL) {
        *out = json_null();
        return 0;
    }
    if (!json_is_object(node)) {
        *out = json_incref((json_t *)node); /* a literal */
        return 0;
    }
    if (json_object_size(node) != 1)
        return rule_not_one(ctx, node, error);
    if (ctx->depth >= RULE_MAX_DEPTH)
        return rule_fail(ctx, error, "rule nested deeper than %d levels", RULE_MAX_DEPTH);
    void *it = json_object_iter((json_t *)node);
    const char *name = json_object_iter_key(it);
    const json_t *args = json_object_iter_value(it);
    const rule_op *op = rule_op_find(name);
    if (op == NULL)
        return rule_unknown(ctx, name, error);
    size_t n = rule_args_count(args);
    if (n < op->min_args || n > op->max_args)
        return rule_bad_arity(ctx, op, n, error);
    ctx->path[ctx->depth].op = op->name;
    ctx->path[ctx->depth].arg = 0;
    return op->eval(ctx, op, args, out, error);
}

int rule_eval(const json_t *rule, const json_t *event, json_t **out, char **error)
{
    rule_ctx ctx = {.event = event, .depth = 0};
    *out = NULL;
    return rule_eval_node(&ctx, rule, out, error);
}

int rule_match(const json_t *rule, const json_t *event, char **error)
{
    json_t *v;
    if (rule_eval(rule, event, &v, error) != 0)
        return -1;
    bool t = rule_truthy(v);
    json_decref(v);
    return t ? 1 : 0;
}
