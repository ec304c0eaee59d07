/*
 * studio-complete.c - how long the studio's completion takes per
 * keystroke with 100,000 targets in the catalog (issue 5, benchmark (b),
 * the part inside the process; bench/studio times it in tmux).
 *
 *   studio-complete [-v] [-p PLUGINS] [-k MAX] [-s SEED] [-r DIR]
 *
 * The catalog: PLUGINS (default 2000) x 50 targets named
 * as bench/studio-names.h makes them ("plugin_0042.stages.fetch_weather_07"),
 * each with a signature, a doc and two parameters, as complete_catalog_new
 * would build them.  The text: a workflow of 31 stages with the stage in the
 * middle whose `target:` is being typed.  Queries (from SEED): five whole
 * target names and five paths ("train_prices_27"), typed one key at a time
 * ("t", "tr", "tra", ...); every keystroke is one complete_at() (MAX items,
 * default 50, as the popup asks), timed alone (-v: each on stderr).
 *
 * -r DIR: the catalog is complete_catalog_new() over the plugins of DIR
 * alone (no cache), as the studio builds it: DIR is a folder made by
 * bench/studio-plugin (2000 plugins of the same 50 targets as above).
 * The time to open the registry is shown apart.
 *
 * The anchor is the naive way: strstr() of the typed text in every name,
 * then qsort() of all the matches (shorter first, then by name) and the
 * first MAX taken: the same keystrokes, timed the same way.
 *
 * Prints the median, p99 and max per keystroke of both, the goal (5 ms per
 * keystroke), and the ratios, with a machine-readable line:
 *
 *   result: targets=100000 keys=262 median_ms=0.812 p99_ms=2.100 ...
 *
 * Exit 1 when completion gives a wrong answer (a whole name typed must
 * come first); a missed goal is reported, not an error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tui.h"
#include "studio-names.h"

#define GOAL_MS 5.0
#define STAGES_AROUND 15 /* stages before and after the one being typed */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

/* The value at fraction q of n sorted values (nearest rank). */
static double quantile(const double *v, size_t n, double q)
{
    size_t i = (size_t)(q * (double)n + 0.999999);
    return v[i == 0 ? 0 : i > n ? n - 1 : i - 1];
}

/* A small deterministic generator (the same queries every run). */
static unsigned long rng_state;
static long rng(long n)
{
    rng_state = rng_state * 6364136223846793005ul + 1442695040888963407ul;
    return (long)((rng_state >> 33) % (unsigned long)n);
}

/* ------------------------------------------------------------------ */

typedef struct bench {
    long ntargets;
    char **names; /* for the anchor */
    size_t *lens;
    complete_catalog *cat;
    char *text; /* the workflow, with the query line */
    size_t text_cap;
    size_t line; /* the line being typed */
    size_t col0; /* where the value starts on it */
    size_t max;
} bench;

static void bench_catalog(bench *b)
{
    char name[96];
    b->cat = complete_catalog_new(NULL);
    b->names = calloc((size_t)b->ntargets, sizeof *b->names);
    b->lens = calloc((size_t)b->ntargets, sizeof *b->lens);
    for (long i = 0; i < b->ntargets; i++) {
        studio_name(name, sizeof name, i);
        complete_catalog_add(b->cat, name, "(city: string, days?: integer = 7) -> object",
                             "Fetch recent observations for one city.\n\nParameters:\n"
                             "  city (string, required): the city\n"
                             "  days (integer, default 7): how many days back\n\n"
                             "Returns: object");
        complete_catalog_add_param(b->cat, "city", "string (required)", "the city");
        complete_catalog_add_param(b->cat, "days", "integer = 7", "how many days back");
        b->names[i] = strdup(name);
        b->lens[i] = strlen(name);
    }
}

/* The catalog of the plugins in dir, as the studio makes it. */
static int bench_registry(bench *b, const char *dir, double *open_ms)
{
    dapt_registry *reg = NULL;
    char *error = NULL;
    dapt_registry_options opts = {.plugin_path = dir, .system_path = "", .cache_file = ""};
    double t0 = now_ms();
    if (dapt_registry_open(&reg, &opts, NULL, &error) < 0) {
        fprintf(stderr, "studio-complete: %s\n", error);
        free(error);
        return -1;
    }
    *open_ms = now_ms() - t0;
    b->cat = complete_catalog_new(reg);
    size_t n = 0;
    const dapt_target_info *const *all = dapt_registry_targets(reg, &n);
    b->ntargets = (long)n;
    b->names = calloc(n ? n : 1, sizeof *b->names);
    b->lens = calloc(n ? n : 1, sizeof *b->lens);
    for (size_t i = 0; i < n; i++) {
        b->names[i] = strdup(all[i]->target);
        b->lens[i] = strlen(all[i]->target);
    }
    dapt_registry_free(reg);
    if (n < STUDIO_PATHS || complete_catalog_count(b->cat) != n) {
        fprintf(stderr, "studio-complete: %s has %zu targets; build it with bench/studio-plugin\n",
                dir, n);
        return -1;
    }
    return 0;
}

/* The workflow with `typed` as the middle stage's target. */
static size_t bench_text(bench *b, const char *typed)
{
    char name[96];
    size_t len = 0;
    int line = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int n_ = snprintf(b->text + len, b->text_cap - len, __VA_ARGS__);                          \
        len += (size_t)n_;                                                                         \
    } while (0)
    PUT("kind: workflow\nmetadata:\n  name: bench\nspec:\n  stages:\n");
    line = 5;
    for (int s = 0; s < 2 * STAGES_AROUND + 1; s++) {
        PUT("    - name: s%02d\n", s);
        line++;
        if (s > 0) {
            PUT("      depends_on: [s%02d]\n", s - 1);
            line++;
        }
        if (s == STAGES_AROUND) {
            b->line = (size_t)line;
            b->col0 = strlen("      target: ");
            PUT("      target: %s\n", typed);
        } else {
            studio_name(name, sizeof name, (long)s * 997 % b->ntargets);
            PUT("      target: %s\n", name);
        }
        line++;
        PUT("      args:\n        city: Boston\n");
        line += 2;
    }
#undef PUT
    return len;
}

/* The naive way: substring filter, sort everything that matched. */
static const char **anchor_names;
static const size_t *anchor_lens;
static int cmp_anchor(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    if (anchor_lens[a] != anchor_lens[b])
        return anchor_lens[a] < anchor_lens[b] ? -1 : 1;
    return strcmp(anchor_names[a], anchor_names[b]);
}

static size_t anchor(const bench *b, const char *typed, size_t *hits, const char **top)
{
    size_t n = 0;
    for (long i = 0; i < b->ntargets; i++) {
        if (strstr(b->names[i], typed) != NULL)
            hits[n++] = (size_t)i;
    }
    anchor_names = (const char **)b->names;
    anchor_lens = b->lens;
    qsort(hits, n, sizeof *hits, cmp_anchor);
    size_t k = n < b->max ? n : b->max;
    for (size_t i = 0; i < k; i++)
        top[i] = b->names[hits[i]];
    return k;
}

typedef struct stats {
    double median, p99, max, total;
} stats;

static stats stats_of(double *v, size_t n)
{
    stats s = {0};
    qsort(v, n, sizeof *v, cmp_double);
    for (size_t i = 0; i < n; i++)
        s.total += v[i];
    s.median = quantile(v, n, 0.5);
    s.p99 = quantile(v, n, 0.99);
    s.max = v[n - 1];
    return s;
}

int main(int argc, char **argv)
{
    long plugins = 2000;
    unsigned long seed = 5;
    bench b = {.max = 50};
    bool verbose = false;
    const char *dir = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "vp:k:s:r:")) != -1) {
        switch (opt) {
        case 'v':
            verbose = true;
            break;
        case 'r':
            dir = optarg;
            break;
        case 'p':
            plugins = atol(optarg);
            break;
        case 'k':
            b.max = (size_t)atol(optarg);
            break;
        case 's':
            seed = strtoul(optarg, NULL, 10);
            break;
        default:
            fprintf(stderr,
                    "usage: studio-complete [-v] [-p PLUGINS] [-k MAX] [-s SEED] [-r DIR]\n");
            return 2;
        }
    }
    if (plugins < 1 || b.max < 1) {
        fprintf(stderr, "studio-complete: PLUGINS and MAX must be at least 1\n");
        return 2;
    }
    b.ntargets = plugins * STUDIO_PATHS;
    rng_state = seed;

    double t0 = now_ms(), open_ms = 0;
    if (dir != NULL) {
        if (bench_registry(&b, dir, &open_ms) < 0)
            return 1;
        plugins = b.ntargets / STUDIO_PATHS;
    } else {
        bench_catalog(&b);
    }
    double build_ms = now_ms() - t0 - open_ms;

    /* the queries: whole names, then paths */
    enum { NQUERIES = 10 };
    char queries[NQUERIES][128];
    for (int q = 0; q < NQUERIES; q++) {
        long i = rng(b.ntargets);
        if (q < NQUERIES / 2) {
            studio_name(queries[q], sizeof queries[q], i);
        } else {
            char path[64];
            studio_path(path, sizeof path, i);
            snprintf(queries[q], sizeof queries[q], "%s", path + strlen("stages."));
        }
    }
    size_t nkeys = 0;
    for (int q = 0; q < NQUERIES; q++)
        nkeys += strlen(queries[q]);

    b.text_cap = 64 * 1024;
    b.text = malloc(b.text_cap);
    double *ours = calloc(nkeys, sizeof *ours), *naive = calloc(nkeys, sizeof *naive);
    size_t *hits = calloc((size_t)b.ntargets, sizeof *hits);
    const char **top = calloc(b.max, sizeof *top);
    size_t k = 0, offered = 0, anchor_offered = 0;
    int wrong = 0;
    for (int q = 0; q < NQUERIES; q++) {
        size_t qlen = strlen(queries[q]);
        for (size_t l = 1; l <= qlen; l++, k++) {
            char typed[128];
            memcpy(typed, queries[q], l);
            typed[l] = '\0';
            size_t len = bench_text(&b, typed);

            complete_result r;
            double s = now_ms();
            complete_at(&r, b.cat, b.text, len, b.line, b.col0 + l, b.max);
            ours[k] = now_ms() - s;
            offered += r.count;
            if (r.count == 0 || r.context == NULL || strcmp(r.context, "target") != 0 ||
                r.start != b.col0) {
                fprintf(stderr, "studio-complete: nothing offered for `%s`\n", typed);
                wrong = 1;
            } else if (l == qlen && q < NQUERIES / 2 && strcmp(r.items[0].text, typed) != 0) {
                fprintf(stderr, "studio-complete: `%s` typed whole, but `%s` comes first\n", typed,
                        r.items[0].text);
                wrong = 1;
            }
            complete_result_free(&r);

            s = now_ms();
            anchor_offered += anchor(&b, typed, hits, top);
            naive[k] = now_ms() - s;
            if (verbose)
                fprintf(stderr, "%-40s %8.3f ms %8.3f ms\n", typed, ours[k], naive[k]);
        }
    }

    stats so = stats_of(ours, nkeys), sn = stats_of(naive, nkeys);
    printf("completion with %ld targets (%ld x %d paths%s%s), %zu keystrokes of %d "
           "queries, %zu items asked\n",
           b.ntargets, plugins, STUDIO_PATHS, dir ? ", from the plugins in " : "", dir ? dir : "",
           nkeys, NQUERIES, b.max);
    printf("  queries:");
    for (int q = 0; q < NQUERIES; q++)
        printf(" %s", queries[q]);
    printf("\n");
    if (dir != NULL)
        printf("  registry opened in %.1f ms (no cache)\n", open_ms);
    printf("  catalog built in %.1f ms\n", build_ms);
    printf("  complete_at:  median %.3f ms  p99 %.3f ms  max %.3f ms  (%.1f items on average)\n",
           so.median, so.p99, so.max, (double)offered / (double)nkeys);
    printf("  anchor (strstr + qsort): median %.3f ms  p99 %.3f ms  max %.3f ms  "
           "(%.1f items on average)\n",
           sn.median, sn.p99, sn.max, (double)anchor_offered / (double)nkeys);
    printf("  goal: under %.1f ms per keystroke: p99 is %.2fx the goal (%s)\n", GOAL_MS,
           so.p99 / GOAL_MS, so.p99 < GOAL_MS ? "met" : "MISSED");
    printf("  complete_at / anchor: median %.2fx, p99 %.2fx\n", so.median / sn.median,
           so.p99 / sn.p99);
    printf("result: targets=%ld keys=%zu median_ms=%.3f p99_ms=%.3f max_ms=%.3f "
           "anchor_median_ms=%.3f anchor_p99_ms=%.3f goal_ms=%.1f goal_ratio=%.3f "
           "anchor_ratio=%.3f\n",
           b.ntargets, nkeys, so.median, so.p99, so.max, sn.median, sn.p99, GOAL_MS,
           so.p99 / GOAL_MS, so.median / sn.median);

    for (long i = 0; i < b.ntargets; i++)
        free(b.names[i]);
    free(b.names);
    free(b.lens);
    free(hits);
    free(top);
    free(ours);
    free(naive);
    free(b.text);
    complete_catalog_free(b.cat);
    return wrong;
}
