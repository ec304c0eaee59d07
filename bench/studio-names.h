/*
 * studio-names.h - the target names of the completion benchmark, shared by
 * bench/studio-complete.c (the catalog in memory) and
 * bench/studio-plugin.c (the same names in a plugin, for the studio in
 * tmux), so both time the same catalog.
 *
 * Target i is path i % 50 of plugin i / 50: "plugin_0042.stages.fetch_weather_07",
 * from 10 verbs, 5 nouns and a number, as a real catalog reads.
 */
#ifndef DAPT_BENCH_STUDIO_NAMES_H
#define DAPT_BENCH_STUDIO_NAMES_H

#include <stdio.h>

#define STUDIO_PATHS 50 /* per plugin */

static const char *const studio_verbs[] = {"fetch", "load",  "clean", "train",  "predict",
                                           "score", "merge", "split", "export", "plot"};
static const char *const studio_nouns[] = {"weather", "prices", "events", "users", "orders"};

/* The path of target i inside its plugin: "stages.fetch_weather_07". */
static inline void studio_path(char *buf, size_t size, long i)
{
    int p = (int)(i % STUDIO_PATHS);
    snprintf(buf, size, "stages.%s_%s_%02d", studio_verbs[p % 10], studio_nouns[p / 10], p);
}

/* The whole name of target i: "plugin_0042.stages.fetch_weather_07". */
static inline void studio_name(char *buf, size_t size, long i)
{
    char path[64];
    studio_path(path, sizeof path, i);
    snprintf(buf, size, "plugin_%04ld.%s", i / STUDIO_PATHS, path);
}

#endif
