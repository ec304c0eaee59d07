/*
 * logring.c - the newest log lines of a run, bounded in lines and bytes.
 *
 * Texts live in chunks of CHUNK_BYTES, filled one after the other; a line
 * never spans two chunks.  The entries (log_entry, text pointing into a
 * chunk) are a circular array that grows by doubling up to the line bound.
 * Appending is O(1) and allocates only when a chunk fills (or the entry
 * array doubles): no malloc per line.  When the line bound is reached the
 * oldest entry goes; when the chunks hold more than the byte budget the
 * oldest chunk goes, and with it every line whose text it held.  A chunk
 * that no line uses any more is kept as a spare for the next one.
 *
 * Line numbers (seq) are the run store's: the n-th line of a run's bus is
 * line n in the store, so what left the ring can be read back there.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui.h"

#define CHUNK_BYTES (256 * 1024)
#define FIRST_ENTRIES 1024

typedef struct chunk {
    struct chunk *next; /* newer */
    size_t used;
    int64_t last_seq;   /* the newest line whose text is here */
    char data[CHUNK_BYTES];
} chunk;

struct logring {
    log_entry *entries; /* circular: entries[head] is the oldest */
    size_t cap, head, count;
    size_t max_lines;
    size_t max_bytes;
    int64_t first; /* seq of entries[head] (next seq when empty) */
    chunk *oldest, *newest, *spare;
    size_t nchunks;
};

logring *logring_new_bounded(size_t max_lines, size_t max_bytes)
{
    logring *r = xcalloc(1, sizeof *r);
    r->max_lines = max_lines ? max_lines : LOGRING_DEFAULT_LINES;
    r->max_bytes = max_bytes ? max_bytes : LOGRING_DEFAULT_BYTES;
    if (r->max_bytes < 2 * CHUNK_BYTES)
        r->max_bytes = 2 * CHUNK_BYTES;
    r->first = 1;
    return r;
}

logring *logring_new(size_t max_lines)
{
    return logring_new_bounded(max_lines, 0);
}

void logring_free(logring *r)
{
    if (r == NULL)
        return;
    for (chunk *c = r->oldest, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(r->spare);
    free(r->entries);
    free(r);
}

void logring_restart(logring *r, int64_t next_seq)
{
    for (chunk *c = r->oldest, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    r->oldest = r->newest = NULL;
    r->nchunks = 0;
    r->head = r->count = 0;
    r->first = next_seq > 0 ? next_seq : 1;
}

static log_entry *entry_at(const logring *r, size_t i)
{
    return &r->entries[(r->head + i) % r->cap];
}

/* Drop the oldest line (its chunk goes when it held nothing newer). */
static void drop_oldest(logring *r)
{
    r->head = (r->head + 1) % r->cap;
    r->count--;
    r->first++;
    while (r->oldest && r->oldest->last_seq < r->first) {
        chunk *c = r->oldest;
        r->oldest = c->next;
        if (r->oldest == NULL)
            r->newest = NULL;
        r->nchunks--;
        if (r->spare == NULL)
            r->spare = c;
        else
            free(c);
    }
}

/* Room for one more entry: grow the array up to the bound, then drop. */
static void make_entry_room(logring *r)
{
    if (r->count < r->cap)
        return;
    if (r->cap < r->max_lines) {
        size_t cap = r->cap ? r->cap * 2 : FIRST_ENTRIES;
        if (cap > r->max_lines)
            cap = r->max_lines;
        log_entry *e = xcalloc(cap, sizeof *e);
        for (size_t i = 0; i < r->count; i++)
            e[i] = *entry_at(r, i);
        free(r->entries);
        r->entries = e;
        r->cap = cap;
        r->head = 0;
        return;
    }
    drop_oldest(r);
}

/* A chunk with room for `need` bytes, starting a new one when the newest
 * is full (and dropping the oldest lines when over the byte budget). */
static char *reserve(logring *r, size_t need)
{
    chunk *c = r->newest;
    if (c && CHUNK_BYTES - c->used >= need)
        return c->data + c->used;
    while (r->oldest && (r->nchunks + 1) * CHUNK_BYTES > r->max_bytes) {
        int64_t upto = r->oldest->last_seq;
        while (r->count > 0 && r->first <= upto)
            drop_oldest(r);
    }
    c = r->spare ? r->spare : xmalloc(sizeof *c);
    r->spare = NULL;
    c->next = NULL;
    c->used = 0;
    c->last_seq = 0;
    if (r->newest)
        r->newest->next = c;
    else
        r->oldest = c;
    r->newest = c;
    r->nchunks++;
    return c->data;
}

/* The length of text cut to at most `max` bytes, not inside a UTF-8
 * sequence. */
static size_t clamp_utf8(const char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
        n--;
    return n;
}

void logring_append(logring *r, int64_t ts_us, int stage, long item, int stream, int level,
                    const char *text, size_t len)
{
    size_t n = clamp_utf8(text, len, LOGRING_LINE_MAX);
    make_entry_room(r);
    char *dst = reserve(r, n + 1);
    memcpy(dst, text, n);
    dst[n] = '\0';
    int64_t seq = r->first + (int64_t)r->count;
    r->newest->used += n + 1;
    r->newest->last_seq = seq;
    log_entry *e = &r->entries[(r->head + r->count) % r->cap];
    *e = (log_entry){.seq = seq,
                     .ts_us = ts_us,
                     .stage = stage,
                     .item = item,
                     .stream = (uint8_t)stream,
                     .level = (uint8_t)level,
                     .clamped = n < len,
                     .text = dst,
                     .len = (uint32_t)n};
    r->count++;
}

int64_t logring_first(const logring *r)
{
    return r->first;
}

int64_t logring_last(const logring *r)
{
    return r->first + (int64_t)r->count - 1;
}

const log_entry *logring_get(const logring *r, int64_t seq)
{
    if (seq < r->first || seq > logring_last(r))
        return NULL;
    return entry_at(r, (size_t)(seq - r->first));
}

size_t logring_count(const logring *r)
{
    return r->count;
}

size_t logring_bytes(const logring *r)
{
    return r->nchunks * sizeof(chunk) + (r->spare ? sizeof(chunk) : 0) +
           r->cap * sizeof(log_entry) + sizeof *r;
}
