/*
 * test-corpus.c - the loader against two folders of YAML files.
 *
 * Each file of tests/data/bad/ (*.yaml) is broken on purpose and says, in
 * comments at its top, every diagnostic it must produce, in order:
 *
 *     # expect: LINE:COL: SEVERITY: MESSAGE
 *
 * (the text printed after `FILE:`).  The list is complete: a diagnostic
 * not listed is a mismatch, and so is a file with no `# expect:` line.
 * Every bad file must give at least one error and make dapt_load_file()
 * return -1.
 *
 * Each file of tests/data/good/ (*.yaml) must load with no diagnostic at all.
 *
 * All files of a folder are checked before the test fails, and each
 * mismatch prints the file's name and a diff of expected (-) against got
 * (+), so one run shows everything to fix.  Adding a case is adding a file.
 */
#include "config.h"

#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"

#define EXPECT_PREFIX "# expect:"

/* A list of lines, each malloc'd. */
typedef struct lines {
    char **items;
    size_t count;
} lines;

static void lines_push(lines *l, char *s)
{
    l->items = xrealloc(l->items, l->count + 1, sizeof *l->items);
    l->items[l->count++] = s;
}

static void lines_free(lines *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

/* TAP takes lines starting with '#' as comments: every report line is one. */
static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    print_message("# %s\n", msg);
    free(msg);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The `# expect:` lines of a file, without the prefix and the one space
 * after it.  -1 when the file cannot be read. */
static int read_expectations(lines *out, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (strncmp(line, EXPECT_PREFIX, strlen(EXPECT_PREFIX)) != 0)
            continue;
        const char *p = line + strlen(EXPECT_PREFIX);
        if (*p == ' ')
            p++;
        lines_push(out, xstrdup(p));
    }
    free(line);
    fclose(f);
    return 0;
}

/* The diagnostics, sorted, as "LINE:COL: SEVERITY: MESSAGE". */
static void format_diags(lines *out, dapt_diags *diags)
{
    dapt_diags_sort(diags);
    for (size_t i = 0; i < diags->count; i++) {
        const dapt_diag *d = &diags->items[i];
        lines_push(out, xasprintf("%d:%d: %s: %s", d->pos.line, d->pos.column,
                                  dapt_severity_name(d->severity), d->message));
    }
}

/* A line diff (longest common subsequence; the lists are short). */
static void report_diff(const lines *want, const lines *got)
{
    size_t n = want->count, m = got->count;
    size_t *lcs = xcalloc((n + 1) * (m + 1), sizeof *lcs);
#define LCS(i, j) lcs[(i) * (m + 1) + (j)]
    for (size_t i = n; i-- > 0;) {
        for (size_t j = m; j-- > 0;) {
            if (strcmp(want->items[i], got->items[j]) == 0)
                LCS(i, j) = LCS(i + 1, j + 1) + 1;
            else
                LCS(i, j) = LCS(i + 1, j) > LCS(i, j + 1) ? LCS(i + 1, j) : LCS(i, j + 1);
        }
    }
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && strcmp(want->items[i], got->items[j]) == 0) {
            report("    %s", want->items[i]);
            i++;
            j++;
        } else if (i < n && (j == m || LCS(i + 1, j) >= LCS(i, j + 1))) {
            report("  - %s", want->items[i++]);
        } else {
            report("  + %s", got->items[j++]);
        }
    }
#undef LCS
    free(lcs);
}

static bool lines_equal(const lines *a, const lines *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        if (strcmp(a->items[i], b->items[i]) != 0)
            return false;
    }
    return true;
}

/* Check one bad file; returns whether it passed (and reports why not). */
static bool check_bad_file(const char *path)
{
    const char *name = base_name(path);
    lines want = {0}, got = {0};
    dapt_diags diags;
    dapt_bundle *bundle = NULL;
    bool ok = true;

    if (read_expectations(&want, path) < 0) {
        report("bad/%s: cannot read the file", name);
        return false;
    }
    dapt_diags_init(&diags);
    int rc = dapt_load_file(&bundle, path, &diags);
    format_diags(&got, &diags);

    if (want.count == 0) {
        report("bad/%s: no `" EXPECT_PREFIX "` line; the file must list what it expects. "
               "It gives:",
               name);
        for (size_t i = 0; i < got.count; i++)
            report("  %s %s", EXPECT_PREFIX, got.items[i]);
        ok = false;
    } else if (!lines_equal(&want, &got)) {
        report("bad/%s: diagnostics differ (- expected, + got):", name);
        report_diff(&want, &got);
        ok = false;
    }
    if (dapt_diags_count(&diags, DAPT_SEV_ERROR) == 0) {
        report("bad/%s: loads without an error; a bad file must give at least one", name);
        ok = false;
    }
    if (rc != -1) {
        report("bad/%s: dapt_load_file returned %d, not -1", name, rc);
        ok = false;
    }
    if (bundle == NULL) {
        report("bad/%s: dapt_load_file left *out NULL", name);
        ok = false;
    }
    dapt_bundle_free(bundle);
    dapt_diags_free(&diags);
    lines_free(&want);
    lines_free(&got);
    return ok;
}

static bool check_good_file(const char *path)
{
    const char *name = base_name(path);
    lines got = {0};
    dapt_diags diags;
    dapt_bundle *bundle = NULL;
    bool ok = true;

    dapt_diags_init(&diags);
    int rc = dapt_load_file(&bundle, path, &diags);
    format_diags(&got, &diags);
    if (got.count > 0) {
        report("good/%s: must load without diagnostics, but gives:", name);
        for (size_t i = 0; i < got.count; i++)
            report("  + %s", got.items[i]);
        ok = false;
    }
    if (rc != 0) {
        report("good/%s: dapt_load_file returned %d, not 0", name, rc);
        ok = false;
    }
    if (bundle == NULL || bundle->count == 0) {
        report("good/%s: loads no resource", name);
        ok = false;
    } else {
        for (size_t i = 0; i < bundle->count; i++) {
            if (!bundle->items[i].valid) {
                report("good/%s: resource %zu is marked invalid", name, i + 1);
                ok = false;
            }
        }
    }
    dapt_bundle_free(bundle);
    dapt_diags_free(&diags);
    lines_free(&got);
    return ok;
}

/* Run `check` on every file of a corpus folder; fail once, at the end. */
static void check_corpus(const char *folder, bool (*check)(const char *path))
{
    char *pattern = xasprintf("%s/data/%s/*.yaml", TESTS_SRCDIR, folder);
    glob_t g;
    int grc = glob(pattern, 0, NULL, &g);
    if (grc != 0) {
        report("%s: %s", pattern, grc == GLOB_NOMATCH ? "no file matches" : "cannot list");
        globfree(&g);
        free(pattern);
        fail();
    }
    size_t failed = 0, total = g.gl_pathc;
    for (size_t i = 0; i < total; i++)
        failed += !check(g.gl_pathv[i]);
    globfree(&g);
    free(pattern);
    if (failed > 0) {
        report("%zu of %zu files in %s/ do not load as expected (see above)", failed, total,
               folder);
        fail();
    }
    report("%s/: all %zu files load as expected", folder, total);
}

static void test_bad_corpus(void **state)
{
    (void)state;
    check_corpus("bad", check_bad_file);
}

static void test_good_corpus(void **state)
{
    (void)state;
    check_corpus("good", check_good_file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_corpus),
        cmocka_unit_test(test_good_corpus),
    };
    return cmocka_run_group_tests_name("corpus", tests, NULL, NULL);
}
