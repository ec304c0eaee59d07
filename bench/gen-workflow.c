/*
 * gen-workflow.c - write a large, realistic workflow for the loader benchmark.
 *
 *   gen-workflow [-n STAGES] [-s SEED] [-o FILE]
 *
 * Stage i depends on 0 to 3 distinct earlier stages (so the graph is a DAG),
 * and carries what real stages carry: a target of the builtin or the example
 * weather plugin, sometimes `type: parameterized` with options, resources,
 * args, a timeout, retries and a priority.  The output depends only on the
 * seed: the generator has its own random numbers (splitmix64), not libc's.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t gen_state;

/* splitmix64: small, fast, and the same sequence on every platform. */
static uint64_t gen_next(void)
{
    uint64_t z = (gen_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* A number in [0, n). */
static size_t gen_below(size_t n)
{
    return (size_t)(gen_next() % n);
}

/* True with probability percent/100. */
static int gen_chance(unsigned percent)
{
    return gen_below(100) < percent;
}

/* What a stage can call, with the static arguments that suit it. */
typedef struct gen_target {
    const char *prefix; /* of the stage name */
    const char *target;
    const char *args; /* flow mapping, or NULL */
} gen_target;

static const gen_target gen_targets[] = {
    {.prefix = "fetch", .target = "weather.stages.fetch", .args = "{days: 7}"},
    {.prefix = "features", .target = "weather.stages.features", .args = "{lags: 6}"},
    {.prefix = "train", .target = "weather.stages.train", .args = "{model: linear, alpha: 0.1}"},
    {.prefix = "predict", .target = "weather.stages.predict", .args = "{horizon: 6}"},
    {.prefix = "evaluate", .target = "weather.stages.evaluate", .args = "{metric: rmse}"},
    {.prefix = "scale", .target = "dapt.stages.multiply", .args = "{by: 3}"},
    {.prefix = "wait", .target = "dapt.stages.sleep", .args = "{seconds: 0.01}"},
    {.prefix = "join", .target = "dapt.stages.concat", .args = NULL},
    {.prefix = "total", .target = "dapt.stages.sum", .args = NULL},
    {.prefix = "pass", .target = "dapt.stages.echo", .args = NULL},
};
#define GEN_NTARGETS (sizeof gen_targets / sizeof gen_targets[0])

static const char *const gen_cpus[] = {"0.5", "1", "2", "4"};
static const char *const gen_memory[] = {"256MB", "512MB", "1GB", "2GB", "4GiB"};
static const char *const gen_timeouts[] = {"30s", "2m", "10m", "1h30m"};

static void gen_usage(void)
{
    fprintf(stderr, "usage: gen-workflow [-n STAGES] [-s SEED] [-o FILE]\n");
    exit(2);
}

static unsigned long gen_number(const char *arg)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(arg, &end, 10);
    if (errno != 0 || *arg == '\0' || *end != '\0')
        gen_usage();
    return v;
}

/* Pick up to `want` distinct stages below `i` into deps; returns how many. */
static size_t gen_deps(size_t i, size_t want, size_t *deps)
{
    size_t n = 0;
    if (want > i)
        want = i;
    while (n < want) {
        /* Mostly recent stages (pipelines are local), sometimes any. */
        size_t window = i < 64 ? i : 64;
        size_t d = gen_chance(70) ? i - 1 - gen_below(window) : gen_below(i);
        size_t k;
        for (k = 0; k < n && deps[k] != d; k++)
            ;
        if (k == n)
            deps[n++] = d;
    }
    return n;
}

static void gen_stage(FILE *f, size_t i, char names[][32])
{
    const gen_target *t = &gen_targets[gen_below(GEN_NTARGETS)];
    size_t deps[3];
    size_t ndeps = i == 0 ? 0 : gen_deps(i, gen_below(4), deps);

    snprintf(names[i], sizeof names[i], "%s_%05zu", t->prefix, i);
    fprintf(f, "    - name: %s\n", names[i]);
    if (gen_chance(30))
        fprintf(f, "      description: Stage %zu of the generated benchmark workflow.\n", i);
    fprintf(f, "      target: %s\n", t->target);
    if (ndeps > 0) {
        fprintf(f, "      depends_on: [");
        for (size_t k = 0; k < ndeps; k++)
            fprintf(f, "%s%s", k ? ", " : "", names[deps[k]]);
        fprintf(f, "]\n");
    }
    if (gen_chance(20)) {
        /* A root maps over the run input; a dependent over its first
         * dependency's list. */
        fprintf(f, "      type: parameterized\n      options:\n");
        if (ndeps == 0)
            fprintf(f, "        map_on: items\n");
        fprintf(f, "        allow_partial_failure: %s\n", gen_chance(50) ? "true" : "false");
    }
    if (t->args != NULL && gen_chance(60))
        fprintf(f, "      args: %s\n", t->args);
    if (gen_chance(40)) {
        fprintf(f, "      resources:\n");
        fprintf(f, "        cpus: %s\n", gen_cpus[gen_below(4)]);
        if (gen_chance(70))
            fprintf(f, "        memory: %s\n", gen_memory[gen_below(5)]);
        if (gen_chance(10))
            fprintf(f, "        gpus: 1\n");
    }
    if (gen_chance(20))
        fprintf(f, "      timeout: %s\n", gen_timeouts[gen_below(4)]);
    if (gen_chance(10))
        fprintf(f, "      retries: %zu\n      retry_delay: 5s\n", 1 + gen_below(3));
    if (gen_chance(5))
        fprintf(f, "      priority: %zu\n", gen_below(10));
}

int main(int argc, char **argv)
{
    unsigned long stages = 10000, seed = 1;
    const char *path = NULL;
    int c;

    while ((c = getopt(argc, argv, "n:s:o:")) != -1) {
        switch (c) {
        case 'n':
            stages = gen_number(optarg);
            break;
        case 's':
            seed = gen_number(optarg);
            break;
        case 'o':
            path = optarg;
            break;
        default:
            gen_usage();
        }
    }
    if (optind != argc || stages == 0)
        gen_usage();

    FILE *f = stdout;
    if (path != NULL && (f = fopen(path, "w")) == NULL) {
        fprintf(stderr, "gen-workflow: %s: %s\n", path, strerror(errno));
        return 1;
    }
    gen_state = seed;
    char(*names)[32] = calloc(stages, sizeof *names);
    if (names == NULL) {
        fprintf(stderr, "gen-workflow: out of memory\n");
        return 1;
    }
    fprintf(f, "# Generated by bench/gen-workflow -n %lu -s %lu; do not edit.\n", stages, seed);
    fprintf(f,
            "kind: workflow\n"
            "metadata:\n"
            "  name: bench_%lu\n"
            "  annotations:\n"
            "    group: bench\n"
            "    generator: gen-workflow\n"
            "spec:\n"
            "  stages:\n",
            stages);
    for (size_t i = 0; i < stages; i++)
        gen_stage(f, i, names);
    free(names);
    if (fflush(f) != 0 || ferror(f) || (f != stdout && fclose(f) != 0)) {
        fprintf(stderr, "gen-workflow: write error: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
