/*
 * bench-engine.c - time runs of three workflow shapes with dapt_execute().
 *
 *   bench-engine [-r RUNS] [-w WORKERS] [-p PLUGIN_DIR] [-s WORKSPACE] [-l WIDTH]
 *                [-b] [-y] SHAPE MODE SIZE
 *
 * SHAPE is one of
 *   chain  SIZE dapt.echo stages, each depending on the one before;
 *   map    dapt.range n=SIZE, then dapt.square parameterized over it;
 *   fan    a dapt.echo root, SIZE dapt.echo stages depending on it, and a
 *          dapt.echo sink depending on all of them;
 *   log    one dapt.log stage writing SIZE lines of WIDTH characters
 *          (default 80): the engine's side of the log path.
 * MODE is `threads` or `processes`: services.compute.executor.use_processes,
 * with WORKERS workers (default: the number of online cores).
 *
 * The workflow is generated in memory and loaded, and the plugin catalog
 * opened (PLUGIN_DIR as the system folder, nothing else, no cache), before
 * the clock starts; a run is one dapt_execute() with no workspace, so no
 * run store and no configs: the engine alone, its pool started and stopped
 * by the run (-s WORKSPACE: in that workspace, with its run store).  In
 * thread mode the log shape captures the process's stdout, as `dapt run`
 * does.  Every run's state and result are checked.  Prints the best and
 * the median wall time as one machine-readable line:
 *
 *   result: shape=chain mode=threads tasks=2000 runs=3 best_ms=12.500 median_ms=13.100
 *
 * `tasks` is what a per-task figure divides by: the stages of a chain or a
 * fan (the root and the sink included), the items of a map, the lines of a
 * log.  -b, for profiling, runs the steps of dapt_execute() one by one with
 * the public API (dapt_run_start, the loop, dapt_run_record, dapt_run_free)
 * and shows on stderr how long each took and when the first stage started
 * and the last one ended (from the run's events).  -y prints the workflow
 * and exits.  Exit 1 when a run fails or its result is wrong.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "dapt/dapt.h"

#define BENCH_DEFAULT_RUNS 3
#define BENCH_MAX_SIZE 10000000L

typedef enum shape { SHAPE_CHAIN, SHAPE_MAP, SHAPE_FAN, SHAPE_LOG, SHAPE_COUNT } shape;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int compare(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

/* The median of n values; sorts them. */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, compare);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------------ */
/* The workflows                                                       */
/* ------------------------------------------------------------------ */

static void yaml_chain(FILE *f, long size, long width)
{
    (void)width;
    fputs("    - name: s0\n      target: dapt.echo\n", f);
    for (long i = 1; i < size; i++)
        fprintf(f, "    - name: s%ld\n      target: dapt.echo\n      depends_on: [s%ld]\n", i,
                i - 1);
}

static void yaml_map(FILE *f, long size, long width)
{
    (void)width;
    fprintf(f,
            "    - name: items\n      target: dapt.range\n      args:\n        n: %ld\n"
            "    - name: square\n      target: dapt.square\n      type: parameterized\n"
            "      depends_on: [items]\n",
            size);
}

static void yaml_fan(FILE *f, long size, long width)
{
    (void)width;
    fputs("    - name: root\n      target: dapt.echo\n", f);
    for (long i = 0; i < size; i++)
        fprintf(f, "    - name: b%ld\n      target: dapt.echo\n      depends_on: [root]\n", i);
    fputs("    - name: sink\n      target: dapt.echo\n      depends_on: [", f);
    for (long i = 0; i < size; i++)
        fprintf(f, "%sb%ld", i ? ", " : "", i);
    fputs("]\n", f);
}

static void yaml_log(FILE *f, long size, long width)
{
    fprintf(f,
            "    - name: log\n      target: dapt.log\n      args:\n        lines: %ld\n"
            "        width: %ld\n",
            size, width);
}

/* The shapes, in the order of enum shape. */
static const struct {
    const char *name;
    void (*stages)(FILE *f, long size, long width); /* writes the stage list */
} shapes[SHAPE_COUNT] = {
    {"chain", yaml_chain},
    {"map", yaml_map},
    {"fan", yaml_fan},
    {"log", yaml_log},
};

/* The workflow's YAML (caller frees). */
static char *workflow_yaml(shape s, long size, long width, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (f == NULL) {
        perror("bench-engine: open_memstream");
        exit(1);
    }
    fprintf(f, "kind: workflow\nmetadata:\n  name: bench-%s\nspec:\n  stages:\n",
            shapes[s].name);
    shapes[s].stages(f, size, width);
    if (fclose(f) != 0) {
        perror("bench-engine: open_memstream");
        exit(1);
    }
    return text;
}

static dapt_bundle *load(const char *text, size_t len)
{
    dapt_diags diags;
    dapt_diags_init(&diags);
    dapt_bundle *b = NULL;
    int rc = dapt_load_buffer(&b, "bench.yaml", text, len, &diags);
    for (size_t i = 0; i < diags.count && i < 10; i++) {
        char *line = dapt_diag_format(&diags.items[i]);
        fprintf(stderr, "%s\n", line);
        free(line);
    }
    dapt_diags_free(&diags);
    if (rc < 0 || dapt_bundle_workflow(b) == NULL) {
        fprintf(stderr, "bench-engine: the generated workflow does not load\n");
        exit(1);
    }
    return b;
}

/* ------------------------------------------------------------------ */
/* Checking a run                                                      */
/* ------------------------------------------------------------------ */

static bool empty_object(const json_t *v)
{
    return json_is_object(v) && json_object_size(v) == 0;
}

/* Whether `result` is what the shape must give. */
static bool result_ok(shape s, long size, const json_t *result)
{
    if (s == SHAPE_CHAIN)
        return empty_object(result);
    if (s == SHAPE_LOG)
        return json_integer_value(result) == (json_int_t)size;
    if (!json_is_array(result) || json_array_size(result) != (size_t)size)
        return false;
    for (size_t i = 0; i < (size_t)size; i++) {
        json_t *v = json_array_get(result, i);
        if (s == SHAPE_MAP ? json_integer_value(v) != (json_int_t)(i * i) : !empty_object(v))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* The breakdown (-b)                                                  */
/* ------------------------------------------------------------------ */

/* Times in ms from the run's start. */
typedef struct breakdown {
    double t0;
    double started;       /* dapt_run_start returned */
    double first_running; /* the first stage's RUNNING event */
    double last_done;     /* the last stage's terminal event */
    double closed;        /* terminal and closed: its pool stopped */
    double recorded;      /* dapt_run_record returned */
    double freed;         /* dapt_run_free and the loop closed */
} breakdown;

static void on_event(const dapt_event *ev, void *data)
{
    breakdown *b = data;
    double t = now_ms() - b->t0;
    if (ev->kind == DAPT_EVENT_STAGE && ev->state == DAPT_STATE_RUNNING && b->first_running == 0)
        b->first_running = t;
    else if (ev->kind == DAPT_EVENT_STAGE && dapt_state_terminal(ev->state))
        b->last_done = t;
}

/* dapt_execute() (engine/execute.c) step by step, each step timed: the
 * same public calls, so the same work. */
static int execute_split(json_t **record, const dapt_workflow *wf, dapt_run_options *opts,
                         breakdown *b, char **error)
{
    opts->on_event = on_event;
    opts->event_data = b;
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) {
        *error = strdup("cannot start an event loop");
        return -1;
    }
    dapt_run *run;
    if (dapt_run_start(&run, &loop, wf, opts, error) < 0) {
        uv_loop_close(&loop);
        return -1;
    }
    b->started = now_ms() - b->t0;
    while (!dapt_state_terminal(dapt_run_state(run)) || !dapt_run_closed(run))
        uv_run(&loop, UV_RUN_ONCE);
    b->closed = now_ms() - b->t0;
    int state = (int)dapt_run_state(run);
    *record = dapt_run_record(run);
    b->recorded = now_ms() - b->t0;
    dapt_run_free(run);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    b->freed = now_ms() - b->t0;
    opts->on_event = NULL;
    return state;
}

static void breakdown_show(const breakdown *b)
{
    fprintf(stderr,
            "  run %8.3f ms: dapt_run_start %.3f | first stage running at %.3f, last done at "
            "%.3f | pool stopped, run closed at %.3f | dapt_run_record %.3f | dapt_run_free "
            "and loop close %.3f\n",
            b->freed, b->started, b->first_running, b->last_done, b->closed,
            b->recorded - b->closed, b->freed - b->recorded);
}

/* ------------------------------------------------------------------ */
/* Main                                                                */
/* ------------------------------------------------------------------ */

typedef struct bench_args {
    long runs, workers, size, width;
    const char *plugin_dir, *workspace;
    bool breakdown, print_yaml;
    shape shape;
    bool processes;
} bench_args;

static void usage(void)
{
    fprintf(stderr, "usage: bench-engine [-r RUNS] [-w WORKERS] [-p PLUGIN_DIR] [-s WORKSPACE] "
                    "[-l WIDTH] [-b] [-y] chain|map|fan|log threads|processes SIZE\n");
    exit(2);
}

static long number(const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        usage();
    return v;
}

static void parse_args(bench_args *a, int argc, char **argv)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    *a = (bench_args){.runs = BENCH_DEFAULT_RUNS, .workers = cores > 0 ? cores : 1, .width = 80};
    int c;
    while ((c = getopt(argc, argv, "r:w:p:s:l:by")) != -1) {
        if (c == 'r')
            a->runs = number(optarg, 1, 1000);
        else if (c == 'w')
            a->workers = number(optarg, 1, 1024);
        else if (c == 'p')
            a->plugin_dir = optarg;
        else if (c == 's')
            a->workspace = optarg;
        else if (c == 'l')
            a->width = number(optarg, 1, 1000000);
        else if (c == 'b')
            a->breakdown = true;
        else if (c == 'y')
            a->print_yaml = true;
        else
            usage();
    }
    if (argc - optind != 3)
        usage();
    size_t s = 0;
    while (s < SHAPE_COUNT && strcmp(argv[optind], shapes[s].name) != 0)
        s++;
    if (s == SHAPE_COUNT)
        usage();
    a->shape = (shape)s;
    if (strcmp(argv[optind + 1], "threads") != 0 && strcmp(argv[optind + 1], "processes") != 0)
        usage();
    a->processes = strcmp(argv[optind + 1], "processes") == 0;
    a->size = number(argv[optind + 2], 1, BENCH_MAX_SIZE);
}

static dapt_registry *open_registry(const char *plugin_dir)
{
    dapt_registry_options ro = {.plugin_path = "", .system_path = plugin_dir, .cache_file = ""};
    dapt_registry *reg;
    char *err = NULL;
    if (dapt_registry_open(&reg, &ro, NULL, &err) < 0) {
        fprintf(stderr, "bench-engine: %s\n", err);
        exit(1);
    }
    const dapt_target_info *t;
    if (dapt_registry_resolve(reg, "dapt.echo", &t, &err) < 0) {
        fprintf(stderr, "bench-engine: %s\n", err);
        exit(1);
    }
    return reg;
}

/* One timed run; its wall time in ms, or exit(1) when it went wrong.
 * *kept receives the record: freeing it between runs would leave the
 * allocator's deferred work (consolidating the freed chunks) to the next
 * timed run. */
static double run_once(const bench_args *a, const dapt_workflow *wf, dapt_run_options *opts,
                       json_t **kept)
{
    breakdown b = {0};
    json_t *record = NULL;
    char *err = NULL;
    b.t0 = now_ms();
    int state = a->breakdown ? execute_split(&record, wf, opts, &b, &err)
                             : dapt_execute(&record, wf, opts, &err);
    double ms = now_ms() - b.t0;
    if (state != DAPT_STATE_FINISHED) {
        if (state < 0) {
            fprintf(stderr, "bench-engine: the run did not start: %s\n", err);
        } else {
            char *dump = json_dumps(record, JSON_INDENT(2));
            fprintf(stderr, "bench-engine: the run ended %s\n%.4000s\n",
                    dapt_state_name((dapt_state)state), dump ? dump : "");
            free(dump);
        }
        exit(1);
    }
    if (!result_ok(a->shape, a->size, json_object_get(record, "result"))) {
        fprintf(stderr, "bench-engine: %s gave a wrong result\n", shapes[a->shape].name);
        exit(1);
    }
    *kept = record;
    if (a->breakdown)
        breakdown_show(&b);
    return ms;
}

int main(int argc, char **argv)
{
    bench_args a;
    parse_args(&a, argc, argv);
    size_t len;
    char *text = workflow_yaml(a.shape, a.size, a.width, &len);
    if (a.print_yaml) {
        fwrite(text, 1, len, stdout);
        free(text);
        return 0;
    }
    dapt_registry *reg = open_registry(a.plugin_dir);
    dapt_bundle *bundle = load(text, len);
    json_t *settings = json_pack("{s:{s:{s:{s:b, s:i}}}}", "services", "compute", "executor",
                                 "use_processes", a.processes, "workers", (int)a.workers);
    /* dapt.log in thread mode writes to this process's stdout: captured
     * into the run's log, as `dapt run` does; the result goes out
     * through a copy of stdout made before. */
    FILE *out = stdout;
    bool capture = a.shape == SHAPE_LOG && !a.processes;
    if (capture) {
        int fd = dup(STDOUT_FILENO);
        out = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (out == NULL) {
            perror("bench-engine: dup");
            return 1;
        }
    }
    dapt_run_options opts = {.settings = settings, .registry = reg, .source = "manual",
                             .workspace = a.workspace, .store = a.workspace != NULL,
                             .capture_stdio = capture};

    double *times = calloc((size_t)a.runs, sizeof *times);
    json_t **records = calloc((size_t)a.runs, sizeof *records);
    if (times == NULL || records == NULL)
        return 1;
    for (long i = 0; i < a.runs; i++)
        times[i] = run_once(&a, dapt_bundle_workflow(bundle), &opts, &records[i]);
    double best = times[0];
    for (long i = 1; i < a.runs; i++)
        best = times[i] < best ? times[i] : best;
    long tasks = a.shape == SHAPE_FAN ? a.size + 2 : a.size;
    fprintf(out, "result: shape=%s mode=%s tasks=%ld runs=%ld best_ms=%.3f median_ms=%.3f\n",
            shapes[a.shape].name, a.processes ? "processes" : "threads", tasks, a.runs, best,
            median(times, (size_t)a.runs));
    if (out != stdout)
        fclose(out);

    for (long i = 0; i < a.runs; i++)
        json_decref(records[i]);
    free(records);
    free(times);
    json_decref(settings);
    dapt_bundle_free(bundle);
    dapt_registry_free(reg);
    free(text);
    return 0;
}
