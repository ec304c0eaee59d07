/*
 * bus.c - a run's event bus: subscribers in the order they subscribed,
 * all called on the loop's thread (run.c moves events made on executor
 * threads there first), so a subscriber needs no locking of its own.
 */
#include "config.h"

#include <stdlib.h>

#include "engine.h"

typedef struct subscriber {
    dapt_event_fn fn;
    void *data;
} subscriber;

struct bus {
    subscriber *subs;
    size_t count;
};

bus *bus_new(void)
{
    return xcalloc(1, sizeof(bus));
}

void bus_free(bus *b)
{
    if (b == NULL)
        return;
    free(b->subs);
    free(b);
}

void bus_subscribe(bus *b, dapt_event_fn fn, void *data)
{
    b->subs = xrealloc(b->subs, b->count + 1, sizeof *b->subs);
    b->subs[b->count++] = (subscriber){fn, data};
}

void bus_emit(bus *b, const dapt_event *ev)
{
    for (size_t i = 0; i < b->count; i++)
        b->subs[i].fn(ev, b->subs[i].data);
}
