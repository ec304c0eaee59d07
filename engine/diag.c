/* diag.c - diagnostics: FILE:LINE:COL: SEVERITY: MESSAGE, sortable, JSON. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine.h"

void dapt_diags_init(dapt_diags *diags)
{
    memset(diags, 0, sizeof *diags);
}

void dapt_diags_free(dapt_diags *diags)
{
    for (size_t i = 0; i < diags->count; i++) {
        free(diags->items[i].file);
        free(diags->items[i].message);
    }
    free(diags->items);
    dapt_diags_init(diags);
}

/* A diagnostic is one line: control characters a message quotes from the
 * user's text are escaped, and a message quoting a huge value is cut. */
#define DIAG_MAX_MESSAGE 400

static char *diag_clean(char *msg)
{
    strbuf sb = {0};
    size_t n = 0;
    for (const char *p = msg; *p != '\0'; p++, n++) {
        unsigned char c = (unsigned char)*p;
        if (n >= DIAG_MAX_MESSAGE && (c & 0xC0) != 0x80) { /* never inside a UTF-8 char */
            strbuf_puts(&sb, "...");
            break;
        }
        if (c == '\n')
            strbuf_puts(&sb, "\\n");
        else if (c == '\t')
            strbuf_puts(&sb, "\\t");
        else if (c < 0x20 || c == 0x7f)
            strbuf_printf(&sb, "\\x%02x", c);
        else
            strbuf_putc(&sb, (char)c);
    }
    free(msg);
    return strbuf_detach(&sb);
}

void dapt_diags_add(dapt_diags *diags, const char *file, dapt_pos pos, dapt_severity sev,
                    const char *fmt, ...)
{
    if (diags->count == diags->cap) {
        diags->cap = diags->cap ? diags->cap * 2 : 8;
        diags->items = xrealloc(diags->items, diags->cap, sizeof *diags->items);
    }
    va_list ap;
    va_start(ap, fmt);
    dapt_diag *d = &diags->items[diags->count++];
    d->file = xstrdup(file ? file : "<input>");
    d->pos = pos;
    d->severity = sev;
    d->message = diag_clean(xvasprintf(fmt, ap));
    va_end(ap);
}

/* Sorting keeps files in the order they were first reported (the order the
 * user named them), so the key is the first index of each file's name. */
typedef struct diag_key {
    size_t file_rank;
    size_t index;
} diag_key;

static const dapt_diag *diag_sort_base;
static const diag_key *diag_sort_keys;

static int diag_compare(const void *pa, const void *pb)
{
    size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
    const dapt_diag *a = &diag_sort_base[ia], *b = &diag_sort_base[ib];
    const diag_key *ka = &diag_sort_keys[ia], *kb = &diag_sort_keys[ib];
    if (ka->file_rank != kb->file_rank)
        return ka->file_rank < kb->file_rank ? -1 : 1;
    if (a->pos.line != b->pos.line)
        return a->pos.line < b->pos.line ? -1 : 1;
    if (a->pos.column != b->pos.column)
        return a->pos.column < b->pos.column ? -1 : 1;
    return ia < ib ? -1 : ia > ib; /* stable */
}

void dapt_diags_sort(dapt_diags *diags)
{
    size_t n = diags->count;
    if (n < 2)
        return;
    diag_key *keys = xcalloc(n, sizeof *keys);
    size_t *perm = xcalloc(n, sizeof *perm);
    for (size_t i = 0; i < n; i++) {
        perm[i] = i;
        keys[i].index = i;
        keys[i].file_rank = i;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(diags->items[j].file, diags->items[i].file) == 0) {
                keys[i].file_rank = keys[j].file_rank;
                break;
            }
        }
    }
    diag_sort_base = diags->items;
    diag_sort_keys = keys;
    qsort(perm, n, sizeof *perm, diag_compare);
    dapt_diag *sorted = xcalloc(n, sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        sorted[i] = diags->items[perm[i]];
    memcpy(diags->items, sorted, n * sizeof *sorted);
    free(sorted);
    free(perm);
    free(keys);
}

size_t dapt_diags_count(const dapt_diags *diags, dapt_severity sev)
{
    size_t n = 0;
    for (size_t i = 0; i < diags->count; i++)
        n += diags->items[i].severity == sev;
    return n;
}

const char *dapt_severity_name(dapt_severity sev)
{
    static const char *const names[] = {
        [DAPT_SEV_ERROR] = "error",
        [DAPT_SEV_WARNING] = "warning",
        [DAPT_SEV_NOTE] = "note",
    };
    return (unsigned)sev < sizeof names / sizeof names[0] ? names[sev] : "error";
}

char *dapt_diag_format(const dapt_diag *d)
{
    /* A problem with the file as a whole (unreadable) has no position. */
    if (d->pos.line <= 0)
        return xasprintf("%s: %s: %s", d->file, dapt_severity_name(d->severity), d->message);
    return xasprintf("%s:%d:%d: %s: %s", d->file, d->pos.line, d->pos.column,
                     dapt_severity_name(d->severity), d->message);
}

json_t *dapt_diags_to_json(const dapt_diags *diags)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < diags->count; i++) {
        const dapt_diag *d = &diags->items[i];
        json_array_append_new(arr, json_pack("{s:s, s:i, s:i, s:s, s:s}", "file", d->file,
                                             "line", d->pos.line, "column", d->pos.column,
                                             "severity", dapt_severity_name(d->severity),
                                             "message", d->message));
    }
    return arr;
}
