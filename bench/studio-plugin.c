/*
 * studio-plugin.c - one of the plugins plugin_0000 .. plugin_1999 of the
 * completion benchmark (issue 5, benchmark (b)): 50 targets each, 100,000
 * in all, named as bench/studio-names.h names them
 * (plugin_0042.stages.fetch_weather_07), each with a doc, two parameters
 * and a return type, as a real plugin declares them.
 *
 * One library serves every plugin: bench/studio-plugin compiles it once
 * and copies it to DIR/plugin_NNNN.so, and the copy takes its name and its
 * targets from its own file name when it is loaded (a constructor fills
 * the table; the descriptor is the ordinary DAPT_PLUGIN one).  A single
 * plugin of 100,000 targets is not possible: the host refuses more than
 * 65,536 in one plugin.  Every target runs one function, which returns its
 * named arguments.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dapt/plugin.h>

#include "studio-names.h"

static json_t *echo(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    (void)ctx;
    (void)args;
    return json_incref(kwargs);
}

static const dapt_param params[] = {
    DAPT_PARAM("city", "string", DAPT_REQUIRED, NULL, "The city."),
    DAPT_PARAM("days", "integer", DAPT_OPTIONAL, "7", "How many days back."),
    DAPT_PARAM_END,
};

static char name[32] = "plugin_unnamed";
static char paths[STUDIO_PATHS][48];
static dapt_target targets[STUDIO_PATHS + 1];

/* plugin_0042.so: plugin_0042, its targets those of index 42. */
__attribute__((constructor)) static void fill(void)
{
    Dl_info info;
    long index = 0;
    if (dladdr((void *)fill, &info) != 0 && info.dli_fname != NULL) {
        const char *base = strrchr(info.dli_fname, '/');
        base = base ? base + 1 : info.dli_fname;
        if (sscanf(base, "plugin_%ld.so", &index) == 1 && index >= 0)
            snprintf(name, sizeof name, "plugin_%04ld", index);
    }
    for (long p = 0; p < STUDIO_PATHS; p++) {
        studio_path(paths[p], sizeof paths[p], index * STUDIO_PATHS + p);
        targets[p] = (dapt_target){
            .path = paths[p],
            .kind = DAPT_TARGET_STAGE,
            .doc = "Fetch recent observations for one city.",
            .params = params,
            .returns = "object",
            .fn = echo,
        };
    }
    targets[STUDIO_PATHS] = (dapt_target)DAPT_TARGET_END;
}

DAPT_PLUGIN(.name = name, .version = "1.0.0",
            .description = "Generated targets for the completion benchmark", .targets = targets);
