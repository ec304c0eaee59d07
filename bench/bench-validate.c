/*
 * bench-validate.c - time what `dapt validate` does to one file, in process.
 *
 *   bench-validate [-r RUNS] FILE
 *
 * Each run loads and validates FILE with dapt_load_file(), builds the graph
 * of its workflow and orders it (dapt_graph_new + dapt_graph_topo), then
 * frees everything.  Prints the best and the median wall time (monotonic
 * clock) and, last, one machine-readable line for bench/validate:
 *
 *   result: runs=10 stages=10000 best_ms=41.200 median_ms=43.012
 *
 * Fails (exit 1) when the file has any error diagnostic, has no workflow, or
 * its graph cannot be ordered completely: a benchmark of a load that failed
 * measures nothing.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dapt/dapt.h"

/* Diagnostics shown when the file is not clean. */
#define BENCH_MAX_SHOWN 10

typedef struct bench_run {
    double load_ms;  /* dapt_load_file */
    double graph_ms; /* dapt_graph_new + dapt_graph_topo */
    double total_ms; /* both, and the frees */
} bench_run;

static double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int bench_compare(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

/* The median of n values; sorts them. */
static double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_compare);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void bench_show_diags(const dapt_diags *diags)
{
    size_t shown = 0;
    for (size_t i = 0; i < diags->count && shown < BENCH_MAX_SHOWN; i++) {
        char *line = dapt_diag_format(&diags->items[i]);
        fprintf(stderr, "%s\n", line);
        free(line);
        shown++;
    }
    if (diags->count > shown)
        fprintf(stderr, "... and %zu more\n", diags->count - shown);
}

/* One load + validate + graph.  Returns 0, or -1 (said on stderr) when the
 * file is not a clean, acyclic workflow.  *stages receives its size and
 * *warnings its warning count (shown when `show_warnings`). */
static int bench_once(const char *path, bench_run *run, size_t *stages, size_t *warnings,
                      bool show_warnings)
{
    dapt_diags diags;
    dapt_bundle *bundle;
    int rc = -1;

    dapt_diags_init(&diags);
    double t0 = bench_now_ms();
    int lrc = dapt_load_file(&bundle, path, &diags);
    double t1 = bench_now_ms();
    const dapt_workflow *wf = dapt_bundle_workflow(bundle);
    size_t ordered = 0, count = 0, wf_stages = wf != NULL ? wf->stage_count : 0;
    if (wf != NULL) {
        dapt_graph *g = dapt_graph_new(wf);
        count = dapt_graph_count(g);
        size_t *order = malloc((count ? count : 1) * sizeof *order);
        if (order == NULL) {
            fprintf(stderr, "bench-validate: out of memory\n");
            exit(1);
        }
        ordered = dapt_graph_topo(g, order);
        free(order);
        dapt_graph_free(g);
    }
    double t2 = bench_now_ms();
    dapt_bundle_free(bundle);
    double t3 = bench_now_ms();

    size_t errors = dapt_diags_count(&diags, DAPT_SEV_ERROR);
    *warnings = dapt_diags_count(&diags, DAPT_SEV_WARNING);
    if (lrc != 0 || errors > 0) {
        fprintf(stderr, "bench-validate: %s: %zu error(s); the benchmark needs a valid file:\n",
                path, errors);
        bench_show_diags(&diags);
    } else if (wf == NULL) {
        fprintf(stderr, "bench-validate: %s: no workflow in the file\n", path);
    } else if (count != wf_stages || ordered != count) {
        fprintf(stderr, "bench-validate: %s: %zu stages, %zu in the graph, %zu ordered\n", path,
                wf_stages, count, ordered);
    } else {
        run->load_ms = t1 - t0;
        run->graph_ms = t2 - t1;
        run->total_ms = t3 - t0;
        *stages = count;
        rc = 0;
    }
    if (rc == 0 && *warnings > 0 && show_warnings) {
        fprintf(stderr, "bench-validate: %s: %zu warning(s):\n", path, *warnings);
        bench_show_diags(&diags);
    }
    dapt_diags_free(&diags);
    return rc;
}

static void bench_usage(void)
{
    fprintf(stderr, "usage: bench-validate [-r RUNS] FILE\n");
    exit(2);
}

int main(int argc, char **argv)
{
    long runs = 10;
    int c;

    while ((c = getopt(argc, argv, "r:")) != -1) {
        switch (c) {
        case 'r': {
            char *end;
            errno = 0;
            runs = strtol(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || runs < 1 || runs > 100000)
                bench_usage();
            break;
        }
        default:
            bench_usage();
        }
    }
    if (optind + 1 != argc)
        bench_usage();
    const char *path = argv[optind];
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "bench-validate: %s: %s\n", path, strerror(errno));
        return 1;
    }

    double *total = calloc((size_t)runs, sizeof *total);
    double *load = calloc((size_t)runs, sizeof *load);
    double *graph = calloc((size_t)runs, sizeof *graph);
    if (total == NULL || load == NULL || graph == NULL) {
        fprintf(stderr, "bench-validate: out of memory\n");
        return 1;
    }
    size_t stages = 0, warnings = 0;
    bench_run run;
    /* A first run warms the page cache and the allocator, and checks the
     * file once.  It is left out of best and median but shown: it is what
     * one `dapt validate` process pays (fresh heap, page faults). */
    if (bench_once(path, &run, &stages, &warnings, true) != 0)
        return 1;
    double first = run.total_ms;
    for (long i = 0; i < runs; i++) {
        size_t w;
        if (bench_once(path, &run, &stages, &w, false) != 0)
            return 1;
        total[i] = run.total_ms;
        load[i] = run.load_ms;
        graph[i] = run.graph_ms;
    }

    double best = total[0], best_load = load[0], best_graph = graph[0];
    for (long i = 1; i < runs; i++) {
        best = total[i] < best ? total[i] : best;
        best_load = load[i] < best_load ? load[i] : best_load;
        best_graph = graph[i] < best_graph ? graph[i] : best_graph;
    }
    double median = bench_median(total, (size_t)runs);
    double median_load = bench_median(load, (size_t)runs);
    double median_graph = bench_median(graph, (size_t)runs);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);

    printf("file: %s (%.1f KiB, %zu stages, %zu warning(s))\n", path, (double)st.st_size / 1024,
           stages, warnings);
    printf("  load+validate (dapt_load_file):    best %8.3f ms  median %8.3f ms\n", best_load,
           median_load);
    printf("  graph (dapt_graph_new + topo):     best %8.3f ms  median %8.3f ms\n", best_graph,
           median_graph);
    printf("  total, with the frees:             best %8.3f ms  median %8.3f ms  (%ld runs)\n",
           best, median, runs);
    printf("  first run (fresh heap, not counted): %.3f ms; peak RSS: %ld KiB\n", first,
           ru.ru_maxrss);
    printf("result: runs=%ld stages=%zu best_ms=%.3f median_ms=%.3f\n", runs, stages, best, median);
    free(total);
    free(load);
    free(graph);
    return 0;
}
