/*
 * cmd-targets.c - `dapt targets [PATTERN] [--json]`: every target of the
 * usable plugins, sorted by target string.
 *
 * This is the command whose warm start is benchmarked (bench/discovery:
 * 500 plugins of 20 targets), so --json does not build 10000 jansson
 * objects to print them: it writes the JSON itself, in exactly the shape
 * of dapt_target_to_json() (key order, null for a missing string, '?' for
 * the bytes of a string that is not UTF-8, a default that is not JSON as
 * null) and jansson's JSON_INDENT(2) layout.  tests/cli/targets.sh
 * compares the two.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine.h"

/* ------------------------------------------------------------------ */
/* A buffered writer                                                   */
/* ------------------------------------------------------------------ */

#define JOUT_SIZE (1 << 18)

typedef struct jout {
    FILE *f;
    size_t len;
    char buf[JOUT_SIZE];
} jout;

static void jout_flush(jout *o)
{
    if (o->len)
        fwrite(o->buf, 1, o->len, o->f);
    o->len = 0;
}

static inline void jout_add(jout *o, const void *s, size_t n)
{
    if (n > JOUT_SIZE - o->len) {
        jout_flush(o);
        if (n > JOUT_SIZE) {
            fwrite(s, 1, n, o->f);
            return;
        }
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

/* A string literal: its length is known at compile time. */
#define jout_lit(o, s) jout_add((o), (s), sizeof(s) - 1)

/* A newline and `level` steps of two spaces. */
static void jout_indent(jout *o, int level)
{
    static const char spaces[] = "\n                                ";
    size_t n = 1 + 2 * (size_t)level;
    jout_add(o, spaces, n < sizeof spaces - 1 ? n : sizeof spaces - 1);
}

/* ------------------------------------------------------------------ */
/* JSON values                                                         */
/* ------------------------------------------------------------------ */

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = wire_utf8_len(p, 4); /* stops at the NUL: not a continuation */
        if (n == 0)
            return false;
        p += n;
    }
    return true;
}

/* What a byte needs in a JSON string: nothing (0), an escape or the end
 * (1: NUL, controls, '"', '\\'), or a look at the string's UTF-8 (2). */
static unsigned char byte_class[256];

static void byte_class_init(void)
{
    for (int c = 0; c < 256; c++)
        byte_class[c] = c < 0x20 || c == '"' || c == '\\' ? 1 : c >= 0x80 ? 2 : 0;
}

/* The bytes of a word that need a look, as the high bit of each (exact
 * up to the first such byte: a borrow only marks bytes after it). */
static inline uint64_t word_hits(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    uint64_t hits = ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b);
    return (w | hits) & high;
}

#if defined(__SSE2__)
#include <emmintrin.h>
/* The bytes of s[0..16) that need a look, one bit each. */
static inline unsigned block_hits(const char *s)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    /* signed: a byte >= 0x80 is below 0x20 too */
    __m128i m = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                          _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/*
 * Where the first byte at or after `i` that needs a look is, or n.  Whole
 * blocks (16 bytes with SSE2, else 8), then the last block of the string
 * read overlapping the one before, its bytes before `i` masked off.
 */
static inline size_t plain_until(const char *s, size_t i, size_t n)
{
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
        unsigned m = block_hits(s + i);
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
    if (i < n && n >= 16) {
        unsigned m = block_hits(s + n - 16) & (0xffffu << (i - (n - 16)));
        return m ? n - 16 + (size_t)__builtin_ctz(m) : n;
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t h = word_hits(w);
        if (h)
            return i + (size_t)__builtin_ctzll(h) / 8;
    }
    if (i < n && n >= 8) {
        uint64_t w;
        memcpy(&w, s + n - 8, 8);
        uint64_t h = word_hits(w) & (~0ull << (8 * (i - (n - 8))));
        return h ? n - 8 + (size_t)__builtin_ctzll(h) / 8 : n;
    }
#endif
    while (i < n && byte_class[(unsigned char)s[i]] == 0)
        i++;
    return i;
}

static void jout_escape(jout *o, unsigned c)
{
    switch (c) {
    case '"':
        jout_lit(o, "\\\"");
        break;
    case '\\':
        jout_lit(o, "\\\\");
        break;
    case '\b':
        jout_lit(o, "\\b");
        break;
    case '\f':
        jout_lit(o, "\\f");
        break;
    case '\n':
        jout_lit(o, "\\n");
        break;
    case '\r':
        jout_lit(o, "\\r");
        break;
    case '\t':
        jout_lit(o, "\\t");
        break;
    default:
        if (c >= 0x80) {
            jout_lit(o, "?");
        } else {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04X", c);
            jout_add(o, esc, 6);
        }
    }
}

/* A string, escaped as jansson escapes it; NULL is null; a string that
 * is not UTF-8 has '?' for each byte >= 0x80 (as dapt_plugin_to_json).
 * Most strings are short and need nothing: looked at and copied as two
 * words; a longer one is looked at by blocks and copied whole. */
static void jout_string(jout *o, const char *s)
{
    if (s == NULL) {
        jout_lit(o, "null");
        return;
    }
    size_t n = strlen(s);
    if (n + 2 > JOUT_SIZE - o->len)
        jout_flush(o);
    char *d = o->buf + o->len;
    size_t i;
    if (n >= 4 && n <= 16 && n + 2 <= JOUT_SIZE) {
        /* two words, overlapping, looked at and copied whole (as memcpy
         * does small sizes): no loop over the bytes */
        uint64_t a, b;
        if (n >= 8) {
            memcpy(&a, s, 8);
            memcpy(&b, s + n - 8, 8);
        } else {
            uint32_t a4, b4;
            memcpy(&a4, s, 4);
            memcpy(&b4, s + n - 4, 4);
            a = a4 | 0x2020202000000000ull;
            b = b4 | 0x2020202000000000ull;
        }
        if (word_hits(a) == 0 && word_hits(b) == 0) {
            d[0] = '"';
            if (n >= 8) {
                memcpy(d + 1, &a, 8);
                memcpy(d + 1 + n - 8, &b, 8);
            } else {
                uint32_t a4 = (uint32_t)a, b4 = (uint32_t)b;
                memcpy(d + 1, &a4, 4);
                memcpy(d + 1 + n - 4, &b4, 4);
            }
            d[n + 1] = '"';
            o->len += n + 2;
            return;
        }
        i = plain_until(s, 0, n);
    } else {
        i = plain_until(s, 0, n);
        if (i == n && n + 2 <= JOUT_SIZE) { /* plain: one copy */
            d[0] = '"';
            memcpy(d + 1, s, n);
            d[n + 1] = '"';
            o->len += n + 2;
            return;
        }
    }
    int utf8 = -1; /* unknown until a byte >= 0x80 asks */
    size_t run = 0;
    jout_lit(o, "\"");
    while (i < n) {
        unsigned c = (unsigned char)s[i];
        if (c >= 0x80) {
            if (utf8 < 0)
                utf8 = utf8_valid(s);
            if (utf8) {
                i = plain_until(s, i + 1, n);
                continue;
            }
        }
        jout_add(o, s + run, i - run);
        jout_escape(o, c);
        run = i + 1;
        i = plain_until(s, run, n);
    }
    jout_add(o, s + run, n - run);
    jout_lit(o, "\"");
}

/* JSON text that is certainly one scalar and can be copied as it is: a
 * literal, a number by JSON's grammar, or a string without escapes. */
static bool simple_json(const char *s)
{
    if (*s == 't' || *s == 'f' || *s == 'n')
        return strcmp(s, "true") == 0 || strcmp(s, "false") == 0 || strcmp(s, "null") == 0;
    const char *p = s;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if ((unsigned char)*p < 0x20 || *p == '\\')
                return false;
        return *p == '"' && p[1] == '\0' && utf8_valid(s);
    }
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return false;
    if (*p == '.') {
        if (!(*++p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    /* short enough for any integer to fit in jansson's 64 bits */
    return *p == '\0' && (p - s) < 16;
}

/* A parameter's default at indentation `level`: the JSON text, or null
 * when there is none or it does not parse (as dapt_target_to_json). */
static void jout_default(jout *o, const char *def, int level)
{
    if (def == NULL) {
        jout_lit(o, "null");
        return;
    }
    if (simple_json(def)) {
        jout_add(o, def, strlen(def));
        return;
    }
    json_t *v = json_loads(def, JSON_DECODE_ANY, NULL);
    char *text = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_INDENT(2)) : NULL;
    if (text == NULL) {
        jout_lit(o, "null");
    } else {
        /* nested values get the indentation of where they stand */
        for (const char *p = text; *p; p++) {
            if (*p == '\n')
                jout_indent(o, level);
            else
                jout_add(o, p, 1);
        }
    }
    free(text);
    json_decref(v);
}

/*
 * One element of the array: a target at level 1 (its keys at 2), its
 * parameters at level 3 (their keys at 4).  The keys and the layout
 * between them are literals: that is most of the output.
 */
static void jout_param(jout *o, const dapt_param_info *p)
{
    jout_lit(o, "{\n        \"name\": ");
    jout_string(o, p->name);
    jout_lit(o, ",\n        \"type\": ");
    jout_string(o, p->type);
    if (p->required)
        jout_lit(o, ",\n        \"required\": true,\n        \"default\": ");
    else
        jout_lit(o, ",\n        \"required\": false,\n        \"default\": ");
    jout_default(o, p->default_json, 4);
    jout_lit(o, ",\n        \"doc\": ");
    jout_string(o, p->doc);
    jout_lit(o, "\n      }");
}

static void jout_target(jout *o, const dapt_target_info *t)
{
    jout_lit(o, "{\n    \"target\": ");
    jout_string(o, t->target ? t->target : t->path);
    jout_lit(o, ",\n    \"plugin\": ");
    jout_string(o, t->plugin ? t->plugin->name : NULL);
    jout_lit(o, ",\n    \"kind\": ");
    jout_string(o, dapt_target_kind_name(t->kind));
    jout_lit(o, ",\n    \"doc\": ");
    jout_string(o, t->doc);
    if (t->param_count == 0) {
        jout_lit(o, ",\n    \"params\": []");
    } else {
        jout_lit(o, ",\n    \"params\": [\n      ");
        for (size_t i = 0; i < t->param_count; i++) {
            if (i)
                jout_lit(o, ",\n      ");
            jout_param(o, &t->params[i]);
        }
        jout_lit(o, "\n    ]");
    }
    jout_lit(o, ",\n    \"returns\": ");
    jout_string(o, t->returns);
    jout_lit(o, ",\n    \"varargs\": ");
    if (t->flags & DAPT_TARGET_VARARGS)
        jout_lit(o, "true");
    else
        jout_lit(o, "false");
    jout_lit(o, ",\n    \"kwargs\": ");
    if (t->flags & DAPT_TARGET_KWARGS)
        jout_lit(o, "true");
    else
        jout_lit(o, "false");
    jout_lit(o, ",\n    \"async\": ");
    if (t->flags & TARGET_ASYNC)
        jout_lit(o, "true");
    else
        jout_lit(o, "false");
    if (t->plugin && t->plugin->runtime == DAPT_RUNTIME_PYTHON)
        jout_lit(o, ",\n    \"runtime\": \"python\",\n    \"source\": ");
    else
        jout_lit(o, ",\n    \"runtime\": \"c\",\n    \"source\": ");
    jout_string(o, t->source);
    jout_lit(o, "\n  }");
}

/* ------------------------------------------------------------------ */
/* The command                                                         */
/* ------------------------------------------------------------------ */

/* A glob when it has glob characters, else a substring. */
static bool target_matches(const char *target, const char *pattern)
{
    if (pattern == NULL)
        return true;
    if (strpbrk(pattern, "*?[") != NULL)
        return fnmatch(pattern, target, 0) == 0;
    return strstr(target, pattern) != NULL;
}

static void print_json(const dapt_target_info *const *v, size_t n)
{
    jout *o = xmalloc(sizeof *o);
    o->f = stdout;
    o->len = 0;
    byte_class_init();
    if (n == 0) {
        jout_lit(o, "[]");
    } else {
        jout_lit(o, "[\n  ");
        for (size_t i = 0; i < n; i++) {
            if (i)
                jout_lit(o, ",\n  ");
            jout_target(o, v[i]);
        }
        jout_lit(o, "\n]");
    }
    jout_lit(o, "\n");
    jout_flush(o);
    fflush(stdout);
    free(o);
}

static void print_text(const dapt_target_info *const *v, size_t n)
{
    int wt = (int)strlen("TARGET"), wk = (int)strlen("KIND");
    for (size_t i = 0; i < n; i++) {
        int lt = (int)strlen(v[i]->target), lk = (int)strlen(dapt_target_kind_name(v[i]->kind));
        wt = lt > wt ? lt : wt;
        wk = lk > wk ? lk : wk;
    }
    printf("%-*s  %-*s  %s\n", wt, "TARGET", wk, "KIND", "SUMMARY");
    for (size_t i = 0; i < n; i++) {
        const char *doc = v[i]->doc ? v[i]->doc : "";
        const char *eol = strchr(doc, '\n');
        int len = eol ? (int)(eol - doc) : (int)strlen(doc);
        printf("%-*s  %-*s  %.*s\n", wt, v[i]->target, wk, dapt_target_kind_name(v[i]->kind), len,
               doc);
    }
}

int cmd_targets(int argc, char **argv)
{
    const cli_command *self = cli_find("targets");
    bool json;
    const char *pattern;
    int usage = cli_json_and_one(argc, argv, self, &json, &pattern, "PATTERN");
    if (usage != CLI_OK)
        return usage;

    dapt_registry *reg = cmd_plugins_open();
    if (reg == NULL)
        return CLI_FAILED;
    size_t total;
    const dapt_target_info *const *all = dapt_registry_targets(reg, &total);
    const dapt_target_info **v = xcalloc(total ? total : 1, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < total; i++)
        if (target_matches(all[i]->target, pattern))
            v[n++] = all[i];
    /* a whole Python target that no entry point lists: described on
     * demand, as a workflow naming it would be */
    const dapt_target_info *one = NULL;
    char *why = NULL;
    if (n == 0 && pattern != NULL && strpbrk(pattern, "*?[") == NULL &&
        dapt_registry_resolve(reg, pattern, &one, &why) == 0) {
        v[n++] = one;
    }
    free(why);

    int rc = CLI_OK;
    if (json)
        print_json(v, n);
    else if (n > 0)
        print_text(v, n);
    if (n == 0 && pattern != NULL) {
        fprintf(stderr, "dapt: no target matches `%s`\n", pattern);
        rc = CLI_FAILED;
    } else if (n == 0 && !json) {
        fprintf(stderr, "dapt: no usable plugin has targets; run 'dapt plugins list' to see "
                        "what was found\n");
    }
    free(v);
    dapt_registry_free(reg);
    return rc;
}
