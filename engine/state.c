/* state.c - the names of run and stage states and log streams, and the
 * clock the engine stamps events with. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine.h"

/* Indexed by dapt_state: the strings of the run record (ARCHITECTURE.md 7). */
static const char *const state_names[] = {
    [DAPT_STATE_PENDING] = "pending",     [DAPT_STATE_RUNNING] = "running",
    [DAPT_STATE_FINISHED] = "finished",   [DAPT_STATE_FAILED] = "failed",
    [DAPT_STATE_CANCELLED] = "cancelled", [DAPT_STATE_INTERRUPTED] = "interrupted",
    [DAPT_STATE_SKIPPED] = "skipped",
};
#define STATE_COUNT (sizeof state_names / sizeof state_names[0])

static const char *const stream_names[] = {
    [DAPT_STREAM_LOG] = "log",
    [DAPT_STREAM_STDOUT] = "stdout",
    [DAPT_STREAM_STDERR] = "stderr",
    [DAPT_STREAM_ENGINE] = "engine",
};

const char *dapt_state_name(dapt_state state)
{
    return (size_t)state < STATE_COUNT ? state_names[state] : "unknown";
}

int dapt_state_parse(const char *name)
{
    for (size_t i = 0; i < STATE_COUNT; i++)
        if (name != NULL && strcmp(name, state_names[i]) == 0)
            return (int)i;
    return -1;
}

bool dapt_state_terminal(dapt_state state)
{
    return state != DAPT_STATE_PENDING && state != DAPT_STATE_RUNNING;
}

const char *dapt_stream_name(dapt_stream stream)
{
    return (size_t)stream < sizeof stream_names / sizeof stream_names[0] ? stream_names[stream]
                                                                        : "unknown";
}

static int64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_now_us(void)
{
    return clock_us(CLOCK_REALTIME);
}

int64_t clock_mono_us(void)
{
    return clock_us(CLOCK_MONOTONIC);
}

void clock_iso(char *buf, size_t size, int64_t ts_us)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    if (ts_us == 0)
        return;
    time_t secs = (time_t)(ts_us / 1000000);
    struct tm tm;
    if (gmtime_r(&secs, &tm) == NULL)
        return;
    char day[24];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03dZ", day, (int)(ts_us / 1000 % 1000));
}
