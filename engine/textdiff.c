/*
 * textdiff.c - a unified diff of two texts, for showing what changed
 * between the definitions of two runs (the texts are workflow files: a
 * few hundred lines, so a plain longest-common-subsequence table is fast
 * enough and gives the diff people expect).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* Beyond this many cells the table is not built: the texts are only said
 * to differ. */
#define TEXTDIFF_MAX_CELLS (16u * 1024u * 1024u)

typedef struct lines {
    const char **at;
    size_t *len;
    size_t n;
} lines;

static void split_lines(lines *l, const char *text)
{
    l->n = 0;
    size_t cap = 16;
    l->at = xmalloc(cap * sizeof *l->at);
    l->len = xmalloc(cap * sizeof *l->len);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (l->n == cap) {
            cap *= 2;
            l->at = xrealloc(l->at, cap, sizeof *l->at);
            l->len = xrealloc(l->len, cap, sizeof *l->len);
        }
        l->at[l->n] = p;
        l->len[l->n++] = len;
        p += len + (nl != NULL);
    }
}

static bool same_line(const lines *a, size_t i, const lines *b, size_t j)
{
    return a->len[i] == b->len[j] && memcmp(a->at[i], b->at[j], a->len[i]) == 0;
}

/* One edit script entry: ' ' kept, '-' from a, '+' from b. */
typedef struct edit {
    char op;
    size_t i, j;
} edit;

/* The edit script from the LCS table (suffix lengths). */
static edit *script(const lines *a, const lines *b, size_t *count)
{
    size_t w = b->n + 1;
    unsigned *t = xcalloc((a->n + 1) * w, sizeof *t);
    for (size_t i = a->n; i-- > 0;)
        for (size_t j = b->n; j-- > 0;)
            t[i * w + j] = same_line(a, i, b, j) ? t[(i + 1) * w + j + 1] + 1
                           : t[(i + 1) * w + j] >= t[i * w + j + 1] ? t[(i + 1) * w + j]
                                                                     : t[i * w + j + 1];
    edit *e = xmalloc((a->n + b->n + 1) * sizeof *e);
    size_t n = 0, i = 0, j = 0;
    while (i < a->n || j < b->n) {
        if (i < a->n && j < b->n && same_line(a, i, b, j))
            e[n++] = (edit){' ', i++, j++};
        else if (i < a->n && (j == b->n || t[(i + 1) * w + j] >= t[i * w + j + 1]))
            e[n++] = (edit){'-', i++, j}; /* removals before additions */
        else
            e[n++] = (edit){'+', i, j++};
    }
    free(t);
    *count = n;
    return e;
}

/* Print the hunks: changes with `ctx` lines of context around them. */
static void hunks(strbuf *out, const edit *e, size_t n, const lines *a, const lines *b, size_t ctx)
{
    size_t k = 0;
    while (k < n) {
        while (k < n && e[k].op == ' ')
            k++;
        if (k == n)
            break;
        size_t start = k > ctx ? k - ctx : 0, end = k;
        /* extend while the next change is within 2*ctx kept lines */
        for (size_t kept = 0; end < n && (e[end].op != ' ' || kept < 2 * ctx); end++)
            kept = e[end].op == ' ' ? kept + 1 : 0;
        while (end > k && e[end - 1].op == ' ' && end - k > 0) {
            size_t tail = 0;
            for (size_t q = end; q > k && e[q - 1].op == ' '; q--)
                tail++;
            if (tail <= ctx)
                break;
            end--;
        }
        size_t a0 = e[start].i, b0 = e[start].j, na = 0, nb = 0;
        for (size_t q = start; q < end; q++) {
            na += e[q].op != '+';
            nb += e[q].op != '-';
        }
        strbuf_printf(out, "@@ -%zu,%zu +%zu,%zu @@\n", na ? a0 + 1 : a0, na, nb ? b0 + 1 : b0, nb);
        for (size_t q = start; q < end; q++) {
            const lines *src = e[q].op == '+' ? b : a;
            size_t idx = e[q].op == '+' ? e[q].j : e[q].i;
            strbuf_putc(out, e[q].op);
            strbuf_add(out, src->at[idx], src->len[idx]);
            strbuf_putc(out, '\n');
        }
        k = end;
    }
}

char *textdiff_unified(const char *a, const char *b, const char *label_a, const char *label_b)
{
    lines la, lb;
    split_lines(&la, a ? a : "");
    split_lines(&lb, b ? b : "");
    strbuf out = {0};
    strbuf_puts(&out, "");
    if ((la.n + 1) * (lb.n + 1) > TEXTDIFF_MAX_CELLS) {
        strbuf_printf(&out, "%s and %s differ (too long to compare line by line)\n", label_a,
                      label_b);
    } else {
        size_t n;
        edit *e = script(&la, &lb, &n);
        bool changed = false;
        for (size_t k = 0; k < n && !changed; k++)
            changed = e[k].op != ' ';
        if (changed) {
            strbuf_printf(&out, "--- %s\n+++ %s\n", label_a, label_b);
            hunks(&out, e, n, &la, &lb, 3);
        }
        free(e);
    }
    free(la.at);
    free(la.len);
    free(lb.at);
    free(lb.len);
    return strbuf_detach(&out);
}
