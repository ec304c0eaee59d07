/*
 * run.c - one run of a workflow: the scheduler.
 *
 * A stage becomes ready when its last dependency finishes (dependency
 * counts, not levels); ready stages wait in a heap ordered by priority
 * (higher first), then definition order, and are dispatched while worker
 * slots are free.  A parameterized stage stays in the heap until every
 * item has been sent out, in batches sized so that each worker gets
 * several (tiny items are cheap, big maps still balance).
 *
 * Pools: one executor per runtime in use.  C stages go to the process
 * or the thread executor, as the settings say; the stages of a runtime
 * that cannot run in the engine's threads (Python) always go to a process
 * pool of that runtime's workers, started only when the run has such a
 * stage and sized by the same `workers` setting.  Each pool has its own
 * slots and its own ready heap: never more tasks out to a pool than it has
 * workers, and a busy pool never holds back the other's stages.
 *
 * Threads: everything that touches libuv happens on the loop's thread.
 * The thread executor reports completions from its own threads, so the
 * scheduling state is guarded by `lock`, and what the loop must do
 * (events for subscribers, timers, and submitting to or stopping a task
 * of a process pool) is queued and handed over through a uv_async.  In
 * process mode all of it runs on the loop thread and the lock is never
 * contended.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <uv.h>

#include "engine.h"

/* ------------------------------------------------------------------ */
/* Data                                                                */
/* ------------------------------------------------------------------ */

enum { ITEM_PENDING, ITEM_RUNNING, ITEM_OK, ITEM_FAILED, ITEM_WAITING /* a retry's delay */ };

typedef struct rstage {
    dapt_stage def;           /* our copy of the fields the run uses */
    dapt_target_info target;  /* our copy: target string, flags, params */
    char *so, *tpath, *plugin, *plugin_dir;
    int slots;
    size_t pool;              /* the pool that runs it (run.pools) */

    dapt_state state;
    size_t deps_left;
    bool queued;              /* in the ready heap */
    int attempt;              /* simple: the current attempt; map: the highest */
    int64_t started_us, finished_us;
    char *error;
    json_t *output;
    json_t *args, *kwargs;    /* the shared arguments of its calls */
    size_t tasks_out;

    /* parameterized */
    json_t *items;            /* the list mapped over (a reference) */
    size_t nitems, cursor;    /* items sent out so far */
    json_t **values;
    unsigned char *item_state;
    int *item_attempt;
    size_t *redo;             /* items to send again (retries, lost batches) */
    size_t nredo, credo;
    dapt_items counts;
    bool items_changed;

    /* its record once terminal (then it never changes), made on the loop
     * while the workers go on */
    json_t *record;

    /* what the store was last given of it (loop thread): the final record
     * writes again only the stages that changed since */
    bool stored;
    dapt_state stored_state;
    int stored_attempt;
    int64_t stored_started, stored_finished;
    dapt_items stored_counts;
    char *stored_error;

    /* timeout (loop thread only) */
    uv_timer_t *timer;
    bool timed_out;
} rstage;

typedef enum qkind {
    Q_EVENT,    /* an event for the bus */
    Q_TIMEOUT,  /* arm the stage's timeout */
    Q_RETRY,    /* send stage (item) again after a delay */
    Q_DISPATCH, /* a worker thread wants a process pool to submit or stop */
} qkind;

/* t->cancel: 0 running on; CANCEL_ASKED the executor was asked to stop it;
 * CANCEL_DEFERRED it should stop, and the loop asks its executor (a
 * process pool, which lives on the loop) at the next drain. */
enum { CANCEL_ASKED = 1, CANCEL_DEFERRED = 2 };

/* One pool of workers: see the top of the file. */
typedef struct pool {
    const runtime_ops *rt;
    const executor_ops *ops;
    struct executor *ex;
    char *interpreter;    /* its workers' interpreter (python), or NULL */
    int slots_total, slots_used;
    size_t *heap;         /* its ready stages (indexes), a heap by ready_before */
    size_t heap_len;
} pool;

typedef struct qentry {
    qkind kind;
    dapt_event ev;       /* Q_EVENT: strings owned below */
    char *error;
    dapt_log_line *lines;
    char *text;          /* the lines' text */
    size_t stage;
    long item;
    int64_t delay_ms;
    struct qentry *next;
} qentry;

typedef struct retry_timer {
    uv_timer_t timer; /* first: the handle is the allocation */
    struct run *run;
    size_t stage;
    long item;
    struct retry_timer *next; /* retries waiting (not timeouts) */
} retry_timer;

struct run {
    uv_loop_t *loop;
    pthread_mutex_t lock;
    uv_async_t async;
    bus *bus;
    run_info info;
    char *file;
    char *source;
    json_t *trigger; /* {rule, depth} when a trigger rule started it */
    dapt_state state;
    char *error;
    json_t *result;
    int64_t created_us, started_us, finished_us;

    dapt_graph *graph;
    size_t n;
    rstage *stages;
    json_t **dep_outputs_scratch;

    /* the executors */
    pool *pools;
    size_t npools;
    size_t pools_open;   /* started and not yet closed */
    bool use_processes;  /* C stages: process pool (else threads) */
    pthread_t loop_thread;
    bool dispatch_posted; /* a Q_DISPATCH waits in the queue */
    char *executor_name;
    int slots_total;     /* workers per pool */
    int64_t grace_ms;
    task *running;       /* tasks out, linked by next */
    uint64_t next_task_id;
    size_t next_ready_seq;

    /* stopping */
    bool stopping;       /* no more dispatching */
    char *stop_reason;   /* what stopped it: what stages stopped by it say */
    bool cancel_requested;
    bool killing;
    dapt_state stop_state; /* FAILED or CANCELLED */
    uv_timer_t *grace_timer;
    retry_timer *timers; /* retry delays running */
    uv_timer_t *run_timer;
    int64_t timeout_ms;
    bool finishing, closed, executor_closing, async_closed;

    /* the queue to the loop */
    qentry *qhead, *qtail;
    /* log lines not yet in the queue */
    dapt_log_line *lines;
    size_t nlines, clines;
    strbuf text;
    bool async_pending;
    bool polling;          /* the loop looks on a timer (thread mode) */
    bool wake_wanted;      /* something asked for a look while polling */
    uv_timer_t *poll_timer; /* thread mode only */

    json_t *annotations; /* the workflow's, for its definition */
    json_t *config_files; /* the files of the configs applied (provenance) */
    json_t *provenance;   /* where the definition came from (git), or NULL */
    objstore *objects;
    store *store;
    char *artifact_root;
};

static void run_finish_if_done(struct run *r);
static void schedule(struct run *r, size_t from, task **next);
static void stage_fail(struct run *r, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void drain(struct run *r);

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

static void queue_push(struct run *r, qentry *q)
{
    q->next = NULL;
    if (r->qtail)
        r->qtail->next = q;
    else
        r->qhead = q;
    r->qtail = q;
}

/* Move pending log lines into the queue as one LOG event (lock held). */
static void flush_lines(struct run *r)
{
    if (r->nlines == 0)
        return;
    qentry *q = xcalloc(1, sizeof *q);
    q->kind = Q_EVENT;
    q->ev.kind = DAPT_EVENT_LOG;
    q->text = strbuf_detach(&r->text);
    q->lines = r->lines;
    /* the lines point into the text by offset until now */
    for (size_t i = 0; i < r->nlines; i++)
        q->lines[i].text = q->text + (size_t)(uintptr_t)q->lines[i].text;
    q->ev.lines = q->lines;
    q->ev.line_count = r->nlines;
    q->ev.ts_us = q->lines[r->nlines - 1].ts_us;
    r->lines = NULL;
    r->nlines = r->clines = 0;
    queue_push(r, q);
}

/* Wake the loop to drain the queue (lock held; any thread). */
static void wake(struct run *r)
{
    if (r->polling) {
        r->wake_wanted = true; /* the next look drains */
        return;
    }
    if (!r->async_pending) {
        r->async_pending = true;
        uv_async_send(&r->async);
    }
}

static void post_event(struct run *r, dapt_event_kind kind, size_t stage, dapt_state state,
                       const char *error)
{
    flush_lines(r);
    qentry *q = xcalloc(1, sizeof *q);
    q->kind = Q_EVENT;
    q->ev.kind = kind;
    q->ev.ts_us = clock_now_us();
    q->ev.state = state;
    q->error = error ? xstrdup(error) : NULL;
    q->ev.error = q->error;
    if (kind != DAPT_EVENT_RUN) {
        rstage *s = &r->stages[stage];
        q->ev.stage = s->def.name;
        q->ev.stage_index = stage;
        q->ev.attempt = s->attempt;
        q->ev.items = s->counts;
    }
    queue_push(r, q);
    wake(r);
}

static void post_action(struct run *r, qkind kind, size_t stage, long item, int64_t delay_ms)
{
    qentry *q = xcalloc(1, sizeof *q);
    q->kind = kind;
    q->stage = stage;
    q->item = item;
    q->delay_ms = delay_ms;
    queue_push(r, q);
    wake(r);
}

/* Append a line (lock held). */
static void add_line_at(struct run *r, int64_t ts, const char *stage, long item,
                        dapt_stream stream, int level, const char *text, size_t len)
{
    if (r->nlines == r->clines) {
        r->clines = r->clines ? r->clines * 2 : 256;
        r->lines = xrealloc(r->lines, r->clines, sizeof *r->lines);
    }
    /* strip a trailing CR of CRLF output */
    if (len > 0 && text[len - 1] == '\r')
        len--;
    dapt_log_line *l = &r->lines[r->nlines++];
    l->ts_us = ts;
    l->stage = stage;
    l->item = item;
    l->stream = stream;
    l->level = (dapt_log_level)level;
    l->text = (const char *)(uintptr_t)r->text.len; /* an offset until flushed */
    l->len = len;
    strbuf_add(&r->text, text, len);
    strbuf_putc(&r->text, '\0');
    /* a burst is handed over in batches of a few thousand lines */
    if (r->nlines >= 4096)
        flush_lines(r);
    wake(r);
}

static void add_line(struct run *r, const char *stage, long item, dapt_stream stream, int level,
                     const char *text, size_t len)
{
    add_line_at(r, clock_now_us(), stage, item, stream, level, text, len);
}

void run_task_text(struct run *r, task *t, long item, dapt_stream stream, int level,
                   const char *data, size_t n, strbuf *partial, size_t max_line)
{
    pthread_mutex_lock(&r->lock);
    /* one lock and one time for all the lines of a read */
    int64_t now = clock_now_us();
    const char *stage = t ? r->stages[t->stage].def.name : NULL;
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        if (nl == NULL) {
            strbuf_add(partial, data, n);
            if (partial->len >= max_line) {
                add_line_at(r, now, stage, item, stream, level, partial->buf, partial->len);
                partial->len = 0;
            }
            break;
        }
        size_t k = (size_t)(nl - data);
        if (partial->len > 0) {
            strbuf_add(partial, data, k);
            add_line_at(r, now, stage, item, stream, level, partial->buf, partial->len);
            partial->len = 0;
        } else {
            add_line_at(r, now, stage, item, stream, level, data, k);
        }
        data += k + 1;
        n -= k + 1;
    }
    pthread_mutex_unlock(&r->lock);
}

static void engine_line(struct run *r, size_t stage, long item, int level, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void engine_line(struct run *r, size_t stage, long item, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    add_line(r, stage == (size_t)-1 ? NULL : r->stages[stage].def.name, item, DAPT_STREAM_ENGINE,
             level, text, strlen(text));
    free(text);
}

void run_task_line(struct run *r, task *t, long item, dapt_stream stream, int level,
                   const char *text, size_t len)
{
    pthread_mutex_lock(&r->lock);
    add_line(r, t ? r->stages[t->stage].def.name : NULL, item, stream, level, text, len);
    pthread_mutex_unlock(&r->lock);
}

/* ------------------------------------------------------------------ */
/* The ready heap                                                      */
/* ------------------------------------------------------------------ */

/* Whether stage a goes before stage b. */
static bool ready_before(const struct run *r, size_t a, size_t b)
{
    int64_t pa = r->stages[a].def.priority, pb = r->stages[b].def.priority;
    if (pa != pb)
        return pa > pb;
    return a < b;
}

/* Stage i joins the ready heap of its pool. */
static void heap_push(struct run *r, size_t i)
{
    if (r->stages[i].queued)
        return;
    pool *p = &r->pools[r->stages[i].pool];
    r->stages[i].queued = true;
    size_t k = p->heap_len++;
    p->heap[k] = i;
    while (k > 0) {
        size_t parent = (k - 1) / 2;
        if (!ready_before(r, p->heap[k], p->heap[parent]))
            break;
        size_t tmp = p->heap[k];
        p->heap[k] = p->heap[parent];
        p->heap[parent] = tmp;
        k = parent;
    }
}

static void heap_pop(struct run *r, pool *p)
{
    r->stages[p->heap[0]].queued = false;
    p->heap[0] = p->heap[--p->heap_len];
    size_t k = 0;
    for (;;) {
        size_t l = 2 * k + 1, best = k;
        if (l < p->heap_len && ready_before(r, p->heap[l], p->heap[best]))
            best = l;
        if (l + 1 < p->heap_len && ready_before(r, p->heap[l + 1], p->heap[best]))
            best = l + 1;
        if (best == k)
            break;
        size_t tmp = p->heap[k];
        p->heap[k] = p->heap[best];
        p->heap[best] = tmp;
        k = best;
    }
}

/* Take stage i out of its pool's heap: rebuild the heap without it. */
static void heap_remove(struct run *r, size_t i)
{
    if (!r->stages[i].queued)
        return;
    pool *p = &r->pools[r->stages[i].pool];
    size_t k = 0;
    for (size_t j = 0; j < p->heap_len; j++)
        if (p->heap[j] != i)
            p->heap[k++] = p->heap[j];
    p->heap_len = 0;
    r->stages[i].queued = false;
    size_t *old = xmalloc(k * sizeof *old + 1);
    memcpy(old, p->heap, k * sizeof *old);
    for (size_t j = 0; j < k; j++) {
        r->stages[old[j]].queued = false;
        heap_push(r, old[j]);
    }
    free(old);
}

/* Nothing is ready in any pool. */
static bool heaps_empty(const struct run *r)
{
    for (size_t k = 0; k < r->npools; k++)
        if (r->pools[k].heap_len > 0)
            return false;
    return true;
}

static pool *pool_of(struct run *r, const task *t)
{
    return &r->pools[r->stages[t->stage].pool];
}

/* Whether the calling thread is the loop's: a process pool is driven
 * from there only. */
static bool on_loop(const struct run *r)
{
    return pthread_equal(pthread_self(), r->loop_thread) != 0;
}

/* A pool whose executor may be called from any thread (the thread
 * executor); process pools live on the loop. */
static bool pool_any_thread(const pool *p)
{
    return p->ops == &exec_thread_ops;
}

/* Ask the loop to do for process pools what a worker thread may not
 * (lock held). */
static void post_dispatch(struct run *r)
{
    if (!r->dispatch_posted) {
        r->dispatch_posted = true;
        post_action(r, Q_DISPATCH, (size_t)-1, -1, 0);
    }
}

/* Ask the executor of task t to stop it (lock held). */
static void task_stop(struct run *r, task *t)
{
    pool *p = pool_of(r, t);
    if (pool_any_thread(p) || on_loop(r)) {
        t->cancel = CANCEL_ASKED;
        p->ops->stop(p->ex, t, false);
    } else {
        t->cancel = CANCEL_DEFERRED;
        post_dispatch(r);
    }
}

/* ------------------------------------------------------------------ */
/* Tasks                                                               */
/* ------------------------------------------------------------------ */

static task *task_new(struct run *r, size_t i, size_t ncalls)
{
    rstage *s = &r->stages[i];
    task *t = xcalloc(1, sizeof *t);
    t->run = r;
    t->id = ++r->next_task_id;
    t->stage = i;
    t->stage_name = s->def.name;
    t->attempt = s->attempt;
    t->slots = s->slots;
    t->so = s->so;
    t->target_path = s->tpath;
    t->plugin = s->plugin;
    t->plugin_dir = s->plugin_dir;
    t->kwargs = s->kwargs;
    t->calls = xcalloc(ncalls, sizeof *t->calls);
    t->ncalls = ncalls;
    return t;
}

void run_task_free(task *t)
{
    for (size_t i = 0; i < t->ncalls; i++) {
        json_decref(t->calls[i].args);
        json_decref(t->calls[i].value);
        free(t->calls[i].error);
    }
    free(t->calls);
    free(t->lost);
    free(t);
}

static void task_link(struct run *r, task *t)
{
    t->next = r->running;
    r->running = t;
    pool_of(r, t)->slots_used += t->slots;
    r->stages[t->stage].tasks_out++;
}

static void task_unlink(struct run *r, task *t)
{
    for (task **p = &r->running; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    pool_of(r, t)->slots_used -= t->slots;
    r->stages[t->stage].tasks_out--;
}

/* Start a stage: state, time, and its timeout (lock held). */
static void stage_start(struct run *r, size_t i)
{
    rstage *s = &r->stages[i];
    if (s->state == DAPT_STATE_RUNNING)
        return;
    s->state = DAPT_STATE_RUNNING;
    if (s->started_us == 0)
        s->started_us = clock_now_us();
    post_event(r, DAPT_EVENT_STAGE, i, DAPT_STATE_RUNNING, NULL);
    if (s->def.timeout_ms > 0)
        post_action(r, Q_TIMEOUT, i, -1, s->def.timeout_ms);
}

/* The next batch size of a map: about four batches per worker slot of
 * its pool, at most 1024 items, so big maps balance and tiny items cost
 * little. */
static size_t batch_size(const struct run *r, const rstage *s)
{
    size_t left = s->nitems - s->cursor;
    size_t per = left / ((size_t)r->pools[s->pool].slots_total * 4);
    if (per < 1)
        per = 1;
    if (per > 1024)
        per = 1024;
    return per;
}

/* A task for the next calls of stage i, or NULL when it has none to send
 * now (lock held). */
static task *next_task_of(struct run *r, size_t i)
{
    rstage *s = &r->stages[i];
    if (s->def.type == DAPT_STAGE_SIMPLE) {
        task *t = task_new(r, i, 1);
        t->calls[0].item = -1;
        t->calls[0].args = json_incref(s->args);
        return t;
    }
    size_t n = 0;
    task *t;
    if (s->nredo > 0) {
        /* items sent again go alone: a crashing item must not take others */
        t = task_new(r, i, 1);
        size_t k = s->redo[--s->nredo];
        t->calls[0].item = (long)k;
        t->attempt = s->item_attempt[k];
        s->item_state[k] = ITEM_RUNNING;
        t->calls[0].args = callargs_item_args(&s->def, &s->target, s->args, json_array_get(s->items, k));
        return t;
    }
    if (s->cursor >= s->nitems)
        return NULL;
    n = batch_size(r, s);
    if (n > s->nitems - s->cursor)
        n = s->nitems - s->cursor;
    t = task_new(r, i, n);
    for (size_t c = 0; c < n; c++) {
        size_t k = s->cursor++;
        t->calls[c].item = (long)k;
        s->item_state[k] = ITEM_RUNNING;
        s->item_attempt[k] = 1;
        t->calls[c].args = callargs_item_args(&s->def, &s->target, s->args, json_array_get(s->items, k));
    }
    return t;
}

/* Queue item k of a map to be sent again, alone. */
static void redo_push(rstage *s, size_t k)
{
    if (s->nredo == s->credo) {
        s->credo = s->credo ? s->credo * 2 : 8;
        s->redo = xrealloc(s->redo, s->credo, sizeof *s->redo);
    }
    s->redo[s->nredo++] = k;
}

/* Whether stage i has more to send once this task is out. */
static bool stage_has_more(const rstage *s)
{
    return s->def.type == DAPT_STAGE_PARAMETERIZED && (s->nredo > 0 || s->cursor < s->nitems);
}

/*
 * Dispatch the ready work of pool p while its slots are free (lock held).
 * With `next` (a thread of p that just finished a task asks), the first
 * task is handed back for that thread to run instead of going through
 * the pool.
 */
static void schedule_pool(struct run *r, pool *p, task **next)
{
    if (!pool_any_thread(p) && !on_loop(r)) {
        if (p->heap_len > 0 && !r->stopping)
            post_dispatch(r); /* the loop submits to a process pool */
        return;
    }
    while (!r->stopping && p->heap_len > 0) {
        size_t i = p->heap[0];
        rstage *s = &r->stages[i];
        int need = s->slots;
        if (p->slots_used + need > p->slots_total && p->slots_used > 0)
            break; /* wait for slots; never starve a big stage */
        task *t = next_task_of(r, i);
        if (t == NULL || !stage_has_more(s))
            heap_pop(r, p);
        if (t == NULL)
            continue;
        stage_start(r, i);
        task_link(r, t);
        if (next != NULL && *next == NULL) {
            *next = t;
            continue;
        }
        p->ops->submit(p->ex, t);
    }
}

/* Dispatch in every pool; `next` is for a thread of pool `from`. */
static void schedule(struct run *r, size_t from, task **next)
{
    for (size_t k = 0; k < r->npools; k++)
        schedule_pool(r, &r->pools[k], k == from ? next : NULL);
}

/* ------------------------------------------------------------------ */
/* Completion                                                          */
/* ------------------------------------------------------------------ */

/* A Python value that is not JSON, passed as a reference to its pickle
 * ({"$dapt_ref": "pickle", "type": ...}): v itself, or an item of v when
 * v is a list; else NULL. */
static const json_t *python_ref(const json_t *v)
{
    const char *kind = json_string_value(json_object_get(v, "$dapt_ref"));
    if (kind != NULL && strcmp(kind, "pickle") == 0)
        return v;
    size_t k;
    const json_t *e;
    json_array_foreach(v, k, e) {
        kind = json_string_value(json_object_get(e, "$dapt_ref"));
        if (kind != NULL && strcmp(kind, "pickle") == 0)
            return e;
    }
    return NULL;
}

/* A stage whose workers take JSON only (C) handed a Python reference:
 * the message that says so, naming the argument and where it came from;
 * NULL when its arguments are all JSON (lock held). */
static char *json_only_check(struct run *r, size_t i)
{
    rstage *s = &r->stages[i];
    if (!r->pools[s->pool].rt->in_process)
        return NULL; /* Python stages unpickle references themselves */
    char *arg = NULL;
    const char *from = NULL;
    const json_t *ref = NULL;
    size_t k;
    json_t *v;
    json_array_foreach(s->args, k, v) {
        if ((ref = python_ref(v)) != NULL) {
            arg = xasprintf("argument %zu", k + 1);
            from = k < s->def.depends_count ? s->def.depends_on[k] : NULL;
            break;
        }
    }
    const char *key;
    if (ref == NULL) {
        json_object_foreach(s->kwargs, key, v) {
            if ((ref = python_ref(v)) != NULL) {
                arg = xasprintf("argument `%s`", key);
                break;
            }
        }
    }
    if (ref == NULL && s->def.map_on != NULL &&
        (ref = python_ref(json_object_get(r->info.input, s->def.map_on))) != NULL)
        arg = xasprintf("input `%s`", s->def.map_on);
    if (ref == NULL)
        return NULL;
    const char *type = json_string_value(json_object_get(ref, "type"));
    char *msg = xasprintf("stage `%s`: %s is a Python value (%s) from a Python stage; a C stage "
                          "takes JSON only: return JSON (e.g. .tolist()) from %s%s%s, or make "
                          "`%s` a Python stage",
                          s->def.name, arg, type ? type : "not JSON", from ? "`" : "",
                          from ? from : "the stage that made it", from ? "`" : "", s->def.name);
    free(arg);
    return msg;
}

/* Stage i got its inputs: build its arguments and queue it (lock held). */
static void stage_ready(struct run *r, size_t i)
{
    rstage *s = &r->stages[i];
    /* by depends_on, not the graph's edges: an entry listed twice is
     * passed twice */
    size_t nd = s->def.depends_count;
    for (size_t k = 0; k < nd; k++) {
        long d = dapt_graph_find(r->graph, s->def.depends_on[k]);
        r->dep_outputs_scratch[k] = d >= 0 ? r->stages[d].output : NULL;
    }
    callargs_build(&s->args, &s->kwargs, &s->def, &s->target, r->info.input,
                   r->dep_outputs_scratch, nd);
    char *not_json = json_only_check(r, i);
    if (not_json != NULL) {
        s->attempt = 1;
        stage_start(r, i);
        stage_fail(r, i, "%s", not_json);
        free(not_json);
        return;
    }
    if (s->def.type == DAPT_STAGE_PARAMETERIZED) {
        char *err;
        json_t *items = callargs_items(&s->def, s->args, r->info.input, &err);
        if (items == NULL) {
            s->attempt = 1;
            stage_start(r, i);
            stage_fail(r, i, "%s", err);
            free(err);
            return;
        }
        s->items = json_incref(items);
        s->nitems = json_array_size(items);
        s->counts.total = s->nitems;
        s->values = xcalloc(s->nitems ? s->nitems : 1, sizeof *s->values);
        s->item_state = xcalloc(s->nitems ? s->nitems : 1, 1);
        s->item_attempt = xcalloc(s->nitems ? s->nitems : 1, sizeof *s->item_attempt);
        if (s->nitems == 0) {
            /* nothing to map: finished with an empty list */
            s->attempt = 1;
            stage_start(r, i);
            s->output = json_array();
            s->state = DAPT_STATE_FINISHED;
            s->finished_us = clock_now_us();
            post_event(r, DAPT_EVENT_STAGE, i, DAPT_STATE_FINISHED, NULL);
            size_t nd2;
            const size_t *after = dapt_graph_dependents(r->graph, i, &nd2);
            for (size_t k = 0; k < nd2; k++)
                if (--r->stages[after[k]].deps_left == 0)
                    stage_ready(r, after[k]);
            return;
        }
    }
    s->attempt = 1;
    heap_push(r, i);
}

static void stage_finished(struct run *r, size_t i)
{
    rstage *s = &r->stages[i];
    s->state = DAPT_STATE_FINISHED;
    s->finished_us = clock_now_us();
    post_event(r, DAPT_EVENT_STAGE, i, DAPT_STATE_FINISHED, NULL);
    size_t n;
    const size_t *after = dapt_graph_dependents(r->graph, i, &n);
    for (size_t k = 0; k < n; k++)
        if (--r->stages[after[k]].deps_left == 0 && !r->stopping)
            stage_ready(r, after[k]);
}

/* Ask every running task to stop; kill them after the grace period
 * (lock held). */
static void stop_running(struct run *r, dapt_state why, const char *reason)
{
    if (!r->stopping) {
        r->stopping = true;
        r->stop_state = why;
    }
    if (r->stop_reason == NULL)
        r->stop_reason = xstrdup(reason);
    for (task *t = r->running; t; t = t->next)
        if (!t->cancel)
            task_stop(r, t);
    if (r->running)
        post_action(r, Q_TIMEOUT, (size_t)-1, -1, r->grace_ms);
}

static void stage_fail(struct run *r, size_t i, const char *fmt, ...)
{
    rstage *s = &r->stages[i];
    va_list ap;
    va_start(ap, fmt);
    free(s->error);
    s->error = xvasprintf(fmt, ap);
    va_end(ap);
    s->state = r->cancel_requested && !s->timed_out ? DAPT_STATE_CANCELLED : DAPT_STATE_FAILED;
    s->finished_us = clock_now_us();
    heap_remove(r, i);
    post_event(r, DAPT_EVENT_STAGE, i, s->state, s->error);
    if (s->state == DAPT_STATE_FAILED && !r->stopping) {
        free(r->error);
        char *named = xasprintf("stage `%s`", s->def.name);
        size_t nl = strlen(named);
        /* messages that already name the stage are not prefixed twice */
        r->error = strncmp(s->error, named, nl) == 0 && (s->error[nl] == ' ' || s->error[nl] == ':')
                       ? xstrdup(s->error)
                       : xasprintf("stage `%s` failed: %s", s->def.name, s->error);
        free(named);
    }
    char *reason = xasprintf("stopped because stage `%s` failed", s->def.name);
    stop_running(r, DAPT_STATE_FAILED, reason);
    free(reason);
}

/* A stage the run itself stopped (cancel, a run timeout, another stage's
 * failure): cancelled, with the run's reason (lock held). */
static void stage_stopped(struct run *r, size_t i)
{
    rstage *s = &r->stages[i];
    free(s->error);
    s->error = xstrdup(r->stop_reason ? r->stop_reason : "cancelled");
    s->state = DAPT_STATE_CANCELLED;
    s->finished_us = clock_now_us();
    post_event(r, DAPT_EVENT_STAGE, i, s->state, s->error);
}

/* A limit as people write it: "30s", "0.3s", "90s". */
static void duration_text(char *buf, size_t size, int64_t ms)
{
    if (ms % 1000 == 0)
        snprintf(buf, size, "%llds", (long long)(ms / 1000));
    else
        snprintf(buf, size, "%.3gs", (double)ms / 1000.0);
}

/* Why a call that did not report ended: a timeout, a cancel, or the
 * executor's reason. */
static const char *lost_reason(struct run *r, task *t, char *buf, size_t size)
{
    rstage *s = &r->stages[t->stage];
    if (s->timed_out) {
        char d[32];
        duration_text(d, sizeof d, s->def.timeout_ms);
        snprintf(buf, size, "timed out after %s", d);
        return buf;
    }
    if (t->cancel && r->stop_reason)
        return r->stop_reason;
    return t->lost ? t->lost : "the executor lost the task";
}

static bool may_retry(const rstage *s, int attempt)
{
    return attempt <= s->def.retries && !s->timed_out;
}

static void retry_later(struct run *r, size_t i, long item)
{
    rstage *s = &r->stages[i];
    if (s->def.retry_delay_ms > 0) {
        post_action(r, Q_RETRY, i, item, s->def.retry_delay_ms);
        return;
    }
    if (item < 0) {
        heap_push(r, i);
    } else {
        redo_push(s, (size_t)item);
        heap_push(r, i);
    }
}

static void simple_done(struct run *r, task *t)
{
    size_t i = t->stage;
    rstage *s = &r->stages[i];
    task_call *c = &t->calls[0];
    if (s->state != DAPT_STATE_RUNNING)
        return; /* failed or cancelled meanwhile */
    /* an abandoned task's thread may still write its calls: not ours */
    bool done = c->done && !t->abandoned;
    if (done && c->error == NULL && !t->cancel) {
        s->output = c->value;
        c->value = NULL;
        stage_finished(r, i);
        return;
    }
    if (t->cancel && r->stopping && !s->timed_out) {
        stage_stopped(r, i);
        return;
    }
    char buf[128];
    const char *why = done && c->error ? c->error : lost_reason(r, t, buf, sizeof buf);
    if (!r->stopping && may_retry(s, s->attempt)) {
        engine_line(r, i, -1, DAPT_LOG_WARNING, "attempt %d failed: %s; retrying%s (attempt %d of %d)",
                    s->attempt, why, s->def.retry_delay_ms ? " after the delay" : "",
                    s->attempt + 1, s->def.retries + 1);
        s->attempt++;
        post_event(r, DAPT_EVENT_STAGE, i, DAPT_STATE_RUNNING, why);
        retry_later(r, i, -1);
        return;
    }
    stage_fail(r, i, "%s", why);
}

static void item_failed(struct run *r, size_t i, size_t k, const char *why)
{
    rstage *s = &r->stages[i];
    if (!r->stopping && may_retry(s, s->item_attempt[k])) {
        engine_line(r, i, (long)k, DAPT_LOG_WARNING, "item #%zu attempt %d failed: %s; retrying",
                    k, s->item_attempt[k], why);
        s->item_attempt[k]++;
        if (s->item_attempt[k] > s->attempt)
            s->attempt = s->item_attempt[k];
        s->item_state[k] = ITEM_WAITING;
        retry_later(r, i, (long)k);
        return;
    }
    s->item_state[k] = ITEM_FAILED;
    s->counts.failed++;
    s->items_changed = true;
    engine_line(r, i, (long)k, DAPT_LOG_ERROR, "item #%zu failed: %s", k, why);
    if (!s->def.allow_partial_failure && s->state == DAPT_STATE_RUNNING)
        stage_fail(r, i, "item #%zu failed: %s", k, why);
}

static void map_finish_if_done(struct run *r, size_t i)
{
    rstage *s = &r->stages[i];
    if (s->state != DAPT_STATE_RUNNING || s->counts.ok + s->counts.failed < s->nitems)
        return;
    json_t *out = json_array();
    for (size_t k = 0; k < s->nitems; k++)
        if (s->item_state[k] == ITEM_OK) {
            json_array_append_new(out, s->values[k]);
            s->values[k] = NULL;
        }
    s->output = out;
    if (s->counts.failed > 0)
        engine_line(r, i, -1, DAPT_LOG_WARNING,
                    "%zu of %zu items failed and were left out of the result "
                    "(allow_partial_failure)",
                    s->counts.failed, s->nitems);
    stage_finished(r, i);
}

static void map_done(struct run *r, task *t)
{
    size_t i = t->stage;
    rstage *s = &r->stages[i];
    size_t unreported = 0;
    for (size_t c = 0; c < t->ncalls; c++)
        unreported += !t->calls[c].done || t->abandoned;
    char buf[128];
    for (size_t c = 0; c < t->ncalls; c++) {
        task_call *call = &t->calls[c];
        size_t k = (size_t)call->item;
        if (s->item_state[k] != ITEM_RUNNING)
            continue;
        if (s->state != DAPT_STATE_RUNNING) {
            /* the stage ended meanwhile: what was still out does not count */
            s->item_state[k] = ITEM_PENDING;
            continue;
        }
        bool done = call->done && !t->abandoned;
        if (done && call->error == NULL) {
            s->item_state[k] = ITEM_OK;
            s->values[k] = call->value;
            call->value = NULL;
            s->counts.ok++;
            s->items_changed = true;
        } else if (done) {
            item_failed(r, i, k, call->error);
        } else if (unreported > 1 && !t->cancel && s->state == DAPT_STATE_RUNNING) {
            /* the worker died somewhere in this batch: send the items it
             * did not answer again, one by one, to find the one to blame */
            s->item_state[k] = ITEM_PENDING;
            redo_push(s, k);
            heap_push(r, i);
        } else {
            item_failed(r, i, k, lost_reason(r, t, buf, sizeof buf));
        }
    }
    if (s->state == DAPT_STATE_RUNNING && t->cancel && r->stopping && !s->timed_out &&
        s->counts.ok + s->counts.failed < s->nitems) {
        stage_stopped(r, i);
        return;
    }
    if (s->items_changed && s->state == DAPT_STATE_RUNNING) {
        s->items_changed = false;
        post_event(r, DAPT_EVENT_ITEMS, i, DAPT_STATE_RUNNING, NULL);
    }
    map_finish_if_done(r, i);
}

task *run_task_done(struct run *r, task *t, bool want_next)
{
    pthread_mutex_lock(&r->lock);
    size_t from = r->stages[t->stage].pool;
    task_unlink(r, t);
    /* a worker lost while the run stopped it is no news */
    if (t->lost && t->ncalls > 0 && !t->cancel)
        engine_line(r, t->stage, t->ncalls == 1 ? t->calls[0].item : -1, DAPT_LOG_ERROR, "%s",
                    t->lost);
    if (r->stages[t->stage].def.type == DAPT_STAGE_SIMPLE)
        simple_done(r, t);
    else
        map_done(r, t);
    if (!t->abandoned)
        run_task_free(t);
    task *next = NULL;
    schedule(r, from, want_next ? &next : NULL);
    if (r->running == NULL && next == NULL)
        wake(r); /* the loop decides whether the run is over */
    pthread_mutex_unlock(&r->lock);
    return next;
}

int run_object_request(struct run *r, json_t *request, json_t **reply, char **error)
{
    return objstore_request(r->objects, request, reply, error);
}

const run_info *run_get_info(struct run *r)
{
    return &r->info;
}

/* ------------------------------------------------------------------ */
/* The loop side: timers and the queue                                 */
/* ------------------------------------------------------------------ */

static void timer_closed(uv_handle_t *h)
{
    free(h);
}

/* Kill every running task (loop thread). */
static void kill_all(struct run *r)
{
    r->killing = true;
    for (task *t = r->running; t; t = t->next) {
        t->cancel = CANCEL_ASKED;
        pool *p = pool_of(r, t);
        p->ops->stop(p->ex, t, true);
    }
}

/* What worker threads asked the loop to do for process pools: stop the
 * tasks they cancelled, submit what is ready (loop thread). */
static void dispatch(struct run *r)
{
    pthread_mutex_lock(&r->lock);
    r->dispatch_posted = false;
    for (task *t = r->running; t; t = t->next) {
        if (t->cancel == CANCEL_DEFERRED) {
            t->cancel = CANCEL_ASKED;
            pool *p = pool_of(r, t);
            p->ops->stop(p->ex, t, false);
        }
    }
    schedule(r, (size_t)-1, NULL);
    pthread_mutex_unlock(&r->lock);
}

static void grace_fired(uv_timer_t *timer)
{
    struct run *r = timer->data;
    pthread_mutex_lock(&r->lock);
    kill_all(r);
    pthread_mutex_unlock(&r->lock);
}

static void stage_timeout_fired(uv_timer_t *timer)
{
    struct run *r = ((retry_timer *)timer)->run;
    size_t i = ((retry_timer *)timer)->stage;
    pthread_mutex_lock(&r->lock);
    rstage *s = &r->stages[i];
    bool mine = s->timer == timer;
    if (mine)
        s->timer = NULL;
    if (s->state == DAPT_STATE_RUNNING && mine) {
        s->timed_out = true;
        char buf[128];
        task fake = {.stage = i};
        const char *why = lost_reason(r, &fake, buf, sizeof buf);
        engine_line(r, i, -1, DAPT_LOG_ERROR, "%s: stopping it", why);
        stage_fail(r, i, "%s", why);
    }
    pthread_mutex_unlock(&r->lock);
    uv_close((uv_handle_t *)timer, timer_closed);
}

static void retry_fired(uv_timer_t *timer)
{
    retry_timer *rt = (retry_timer *)timer;
    struct run *r = rt->run;
    for (retry_timer **p = &r->timers; *p; p = &(*p)->next)
        if (*p == rt) {
            *p = rt->next;
            break;
        }
    pthread_mutex_lock(&r->lock);
    rstage *s = &r->stages[rt->stage];
    if (s->state == DAPT_STATE_RUNNING && !r->stopping) {
        if (rt->item >= 0) {
            redo_push(s, (size_t)rt->item);
        }
        heap_push(r, rt->stage);
        schedule(r, (size_t)-1, NULL);
    }
    pthread_mutex_unlock(&r->lock);
    uv_close((uv_handle_t *)timer, timer_closed);
    drain(r);
}

static void arm(struct run *r, qentry *q)
{
    if (q->kind == Q_TIMEOUT && q->stage == (size_t)-1) {
        if (r->grace_timer == NULL) {
            r->grace_timer = xcalloc(1, sizeof *r->grace_timer);
            uv_timer_init(r->loop, r->grace_timer);
            r->grace_timer->data = r;
            uv_timer_start(r->grace_timer, grace_fired, (uint64_t)q->delay_ms, 0);
        }
        return;
    }
    retry_timer *rt = xcalloc(1, sizeof *rt);
    uv_timer_init(r->loop, &rt->timer);
    rt->run = r;
    rt->stage = q->stage;
    rt->item = q->item;
    if (q->kind == Q_TIMEOUT) {
        pthread_mutex_lock(&r->lock);
        if (r->stages[q->stage].timer == NULL)
            r->stages[q->stage].timer = &rt->timer;
        pthread_mutex_unlock(&r->lock);
        uv_timer_start(&rt->timer, stage_timeout_fired, (uint64_t)q->delay_ms, 0);
    } else {
        rt->next = r->timers;
        r->timers = rt;
        uv_timer_start(&rt->timer, retry_fired, (uint64_t)q->delay_ms, 0);
    }
}

static void qentry_free(qentry *q)
{
    free(q->error);
    free(q->lines);
    free(q->text);
    free(q);
}

static json_t *stage_record(const rstage *s);
static json_t *run_record(struct run *r, bool with_stages);
static void run_store(struct run *r);

/* Keep a terminal stage's record (loop thread; a terminal stage's fields
 * no longer change, so no lock is needed to read them). */
static void cache_record(struct run *r, size_t i)
{
    rstage *s = &r->stages[i];
    if (s->record == NULL && dapt_state_terminal(s->state))
        s->record = stage_record(s);
}

/* Hand queued events to the bus and arm queued timers (loop thread). */
static void drain(struct run *r)
{
    for (;;) {
        pthread_mutex_lock(&r->lock);
        r->async_pending = false;
        r->wake_wanted = false;
        flush_lines(r);
        qentry *q = r->qhead;
        r->qhead = r->qtail = NULL;
        pthread_mutex_unlock(&r->lock);
        if (q == NULL)
            break;
        while (q) {
            qentry *next = q->next;
            if (q->kind == Q_EVENT) {
                q->ev.run = (dapt_run *)r;
                bus_emit(r->bus, &q->ev);
                if (q->ev.kind == DAPT_EVENT_STAGE && dapt_state_terminal(q->ev.state))
                    cache_record(r, q->ev.stage_index);
            } else if (q->kind == Q_DISPATCH) {
                dispatch(r);
            } else {
                arm(r, q);
            }
            qentry_free(q);
            q = next;
        }
    }
    run_finish_if_done(r);
}

/* Thread mode: while events keep coming from the threads, the loop looks
 * every POLL_MS instead of being woken for each one (a wake-up is a
 * syscall on both sides and a fight for the lock: a chain of no-op stages
 * ran at half speed).  The first quiet look stops it; from then on the
 * next event wakes the loop again.  Events wait at most POLL_MS. */
#define POLL_MS 2

static void poll_cb(uv_timer_t *timer)
{
    struct run *r = timer->data;
    pthread_mutex_lock(&r->lock);
    bool quiet = !r->wake_wanted && r->qhead == NULL && r->nlines == 0;
    if (quiet)
        r->polling = false;
    pthread_mutex_unlock(&r->lock);
    if (quiet)
        uv_timer_stop(timer);
    else
        drain(r);
}

static void async_cb(uv_async_t *a)
{
    struct run *r = a->data;
    drain(r);
    if (r->poll_timer == NULL || r->finishing)
        return;
    pthread_mutex_lock(&r->lock);
    bool start = !r->polling;
    r->polling = true;
    pthread_mutex_unlock(&r->lock);
    if (start)
        uv_timer_start(r->poll_timer, poll_cb, POLL_MS, POLL_MS);
}

/* ------------------------------------------------------------------ */
/* The end of a run                                                    */
/* ------------------------------------------------------------------ */

/* The run's result: its single sink's output, or an object keyed by the
 * sinks' names (stages nothing depends on). */
static json_t *run_result(struct run *r)
{
    size_t sinks = 0, last = 0;
    for (size_t i = 0; i < r->n; i++) {
        size_t n;
        dapt_graph_dependents(r->graph, i, &n);
        if (n == 0) {
            sinks++;
            last = i;
        }
    }
    if (sinks == 1)
        return json_incref(r->stages[last].output ? r->stages[last].output : json_null());
    json_t *obj = json_object();
    for (size_t i = 0; i < r->n; i++) {
        size_t n;
        dapt_graph_dependents(r->graph, i, &n);
        if (n == 0)
            json_object_set(obj, r->stages[i].def.name,
                            r->stages[i].output ? r->stages[i].output : json_null());
    }
    return obj;
}

static void async_closed(uv_handle_t *h)
{
    ((struct run *)h->data)->async_closed = true;
}

static void executor_closed(void *data)
{
    struct run *r = data;
    r->closed = true;
    r->finished_us = clock_now_us();
    if (r->store)
        run_store(r);
    dapt_event ev = {.kind = DAPT_EVENT_RUN, .run = (dapt_run *)r, .ts_us = r->finished_us,
                     .state = r->state, .error = r->error};
    bus_emit(r->bus, &ev);
    uv_close((uv_handle_t *)&r->async, async_closed);
}

/* One pool closed: the run is closed when the last one is. */
static void pool_closed(void *data)
{
    struct run *r = data;
    if (--r->pools_open == 0)
        executor_closed(r);
}

/* A pool closed while the run failed to start: nothing to tell. */
static void pool_closed_quietly(void *data)
{
    (void)data;
}

/* Close every pool that started; `done` (data: the run) once for each. */
static void pools_close(struct run *r, void (*done)(void *data))
{
    /* one count more than the pools, given back below: done runs once
     * every pool is closed, also when none had started */
    r->pools_open = 1;
    for (size_t k = 0; k < r->npools; k++) {
        pool *p = &r->pools[k];
        if (p->ex == NULL)
            continue;
        struct executor *ex = p->ex;
        p->ex = NULL;
        r->pools_open++;
        p->ops->close(ex, done, r);
    }
    done(r);
}

static void close_timer(uv_timer_t **t)
{
    if (*t) {
        uv_timer_stop(*t);
        uv_close((uv_handle_t *)*t, timer_closed);
        *t = NULL;
    }
}

/* When nothing runs and nothing more will: settle the states, close the
 * executor, then tell the subscribers (loop thread). */
static void run_finish_if_done(struct run *r)
{
    pthread_mutex_lock(&r->lock);
    bool done = !r->finishing && r->running == NULL && (r->stopping || heaps_empty(r));
    if (!done) {
        pthread_mutex_unlock(&r->lock);
        return;
    }
    /* Not stopping, nothing running, nothing ready: a stage still running
     * (or pending behind one) waits for a retry's delay, whose timer will
     * send it again. */
    for (size_t i = 0; i < r->n && !r->stopping; i++)
        if (r->stages[i].state == DAPT_STATE_RUNNING || r->stages[i].state == DAPT_STATE_PENDING) {
            pthread_mutex_unlock(&r->lock);
            return; /* a retry's delay is running */
        }
    r->finishing = true;
    for (size_t i = 0; i < r->n; i++) {
        rstage *s = &r->stages[i];
        if (s->state == DAPT_STATE_PENDING)
            s->state = DAPT_STATE_SKIPPED;
        else if (s->state == DAPT_STATE_RUNNING) {
            /* stopped between attempts (a retry's delay) */
            s->state = DAPT_STATE_CANCELLED;
            free(s->error);
            s->error = xstrdup(r->stop_reason ? r->stop_reason : "cancelled");
            s->finished_us = clock_now_us();
        } else
            continue;
        post_event(r, DAPT_EVENT_STAGE, i, s->state, s->error);
    }
    if (r->cancel_requested) {
        r->state = DAPT_STATE_CANCELLED;
        if (r->error == NULL)
            r->error = xstrdup("cancelled");
    } else if (r->stopping) {
        r->state = DAPT_STATE_FAILED;
    } else {
        r->state = DAPT_STATE_FINISHED;
        r->result = run_result(r);
    }
    pthread_mutex_unlock(&r->lock);
    close_timer(&r->grace_timer);
    close_timer(&r->run_timer);
    pthread_mutex_lock(&r->lock);
    r->polling = false;
    pthread_mutex_unlock(&r->lock);
    close_timer(&r->poll_timer);
    for (size_t i = 0; i < r->n; i++)
        if (r->stages[i].timer) {
            uv_timer_stop(r->stages[i].timer);
            uv_close((uv_handle_t *)r->stages[i].timer, timer_closed);
            r->stages[i].timer = NULL;
        }
    while (r->timers) {
        retry_timer *rt = r->timers;
        r->timers = rt->next;
        uv_timer_stop(&rt->timer);
        uv_close((uv_handle_t *)&rt->timer, timer_closed);
    }
    /* hand over the last stage events before the run's own */
    {
        pthread_mutex_lock(&r->lock);
        flush_lines(r);
        qentry *q = r->qhead;
        r->qhead = r->qtail = NULL;
        pthread_mutex_unlock(&r->lock);
        for (; q;) {
            qentry *next = q->next;
            if (q->kind == Q_EVENT) {
                q->ev.run = (dapt_run *)r;
                bus_emit(r->bus, &q->ev);
                if (q->ev.kind == DAPT_EVENT_STAGE && dapt_state_terminal(q->ev.state))
                    cache_record(r, q->ev.stage_index);
            }
            qentry_free(q);
            q = next;
        }
    }
    r->executor_closing = true;
    pools_close(r, pool_closed);
}

/* ------------------------------------------------------------------ */
/* The record                                                          */
/* ------------------------------------------------------------------ */

/* A timestamp as ISO 8601 text; the date and time of day are formatted
 * once per second (a record of thousands of stages is mostly the same few
 * seconds). */
static json_t *iso_or_null(int64_t us)
{
    static __thread int64_t cached_sec = -1;
    static __thread char cached[32];
    if (us == 0)
        return json_null();
    int64_t sec = us / 1000000;
    if (sec != cached_sec) {
        clock_iso(cached, sizeof cached, sec * 1000000);
        cached_sec = sec;
    }
    char buf[40];
    size_t n = strlen(cached);
    memcpy(buf, cached, n);
    /* replace ".000Z" with this moment's milliseconds */
    snprintf(buf + n - 4, sizeof buf - (n - 4), "%03dZ", (int)(us / 1000 % 1000));
    return json_string(buf);
}

static json_t *items_json(const dapt_items *it)
{
    json_t *j = json_object();
    json_object_set_new(j, "total", json_integer((json_int_t)it->total));
    json_object_set_new(j, "ok", json_integer((json_int_t)it->ok));
    json_object_set_new(j, "failed", json_integer((json_int_t)it->failed));
    return j;
}

static json_t *stage_record(const rstage *s)
{
    json_t *st = json_object();
    json_object_set_new(st, "name", json_string(s->def.name));
    json_object_set_new(st, "target", json_string(s->def.target));
    json_object_set_new(st, "state", json_string(dapt_state_name(s->state)));
    json_object_set_new(st, "started_at", iso_or_null(s->started_us));
    json_object_set_new(st, "finished_at", iso_or_null(s->finished_us));
    json_object_set_new(st, "attempts", json_integer(s->attempt));
    /* every stage has items (ARCHITECTURE.md 7): a simple stage is one
     * call, counted once it ended */
    dapt_items one = {.total = 1, .ok = s->state == DAPT_STATE_FINISHED,
                      .failed = s->state == DAPT_STATE_FAILED};
    json_object_set_new(st, "type", json_string(dapt_stage_type_name(s->def.type)));
    json_object_set_new(st, "items",
                        items_json(s->def.type == DAPT_STAGE_PARAMETERIZED ? &s->counts : &one));
    json_object_set_new(st, "error", s->error ? json_string(s->error) : json_null());
    return st;
}

/* The record; without `stages` when with_stages is false. */
static json_t *run_record(struct run *r, bool with_stages)
{
    pthread_mutex_lock(&r->lock);
    json_t *stages = json_array();
    for (size_t i = 0; with_stages && i < r->n; i++)
        json_array_append_new(stages, r->stages[i].record ? json_incref(r->stages[i].record)
                                                          : stage_record(&r->stages[i]));
    json_t *rec = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:O?, s:o, s:O?, s:s?, s:s, s:s, s:O, s:o}", "id",
        r->info.run_id, "workflow", r->info.workflow, "state", dapt_state_name(r->state), "source",
        r->source, "started_at", iso_or_null(r->started_us), "finished_at",
        iso_or_null(r->finished_us), "result", r->result, "error",
        r->error ? json_string(r->error) : json_null(), "commit",
        json_object_get(r->provenance, "commit"), "file", r->file, "namespace", r->info.ns,
        "executor", r->executor_name, "input", r->info.input, "stages", stages);
    if (!with_stages)
        json_object_del(rec, "stages");
    if (json_object_get(rec, "result") == NULL)
        json_object_set_new(rec, "result", json_null());
    if (json_object_get(rec, "commit") == NULL)
        json_object_set_new(rec, "commit", json_null());
    /* which version ran (the workflow's and the configs' blobs, the text
     * when it had changes not committed) */
    json_object_set(rec, "provenance", r->provenance ? r->provenance : json_null());
    json_object_set(rec, "trigger", r->trigger ? r->trigger : json_null());
    pthread_mutex_unlock(&r->lock);
    return rec;
}

json_t *dapt_run_record(const dapt_run *run)
{
    return run_record((struct run *)run, true);
}

dapt_state dapt_run_state(const dapt_run *run)
{
    return ((const struct run *)run)->state;
}

bool dapt_run_closed(const dapt_run *run)
{
    return ((const struct run *)run)->closed;
}

const char *dapt_run_id(const dapt_run *run)
{
    return ((const struct run *)run)->info.run_id;
}

json_t *dapt_run_result(const dapt_run *run)
{
    return ((const struct run *)run)->result;
}

/* ------------------------------------------------------------------ */
/* Cancel                                                              */
/* ------------------------------------------------------------------ */

void dapt_run_cancel(dapt_run *run, bool force)
{
    struct run *r = (struct run *)run;
    if (r->finishing)
        return;
    pthread_mutex_lock(&r->lock);
    if (!r->cancel_requested) {
        r->cancel_requested = true;
        free(r->error);
        r->error = xstrdup("cancelled");
        engine_line(r, (size_t)-1, -1, DAPT_LOG_WARNING,
                    "cancel: no more stages start; running ones are asked to stop");
        r->stopping = true;
        r->stop_state = DAPT_STATE_CANCELLED;
        stop_running(r, DAPT_STATE_CANCELLED, "cancelled");
    }
    if (force && !r->killing) {
        engine_line(r, (size_t)-1, -1, DAPT_LOG_WARNING, "cancel: killing running stages now");
        kill_all(r);
    }
    pthread_mutex_unlock(&r->lock);
    drain(r);
}

static void run_timeout_fired(uv_timer_t *timer)
{
    struct run *r = timer->data;
    pthread_mutex_lock(&r->lock);
    if (!r->stopping) {
        free(r->error);
        char d[32];
        duration_text(d, sizeof d, r->timeout_ms);
        r->error = xasprintf("the run timed out after %s", d);
        engine_line(r, (size_t)-1, -1, DAPT_LOG_ERROR, "%s: stopping it", r->error);
        stop_running(r, DAPT_STATE_FAILED, r->error);
    }
    pthread_mutex_unlock(&r->lock);
    drain(r);
}

/* ------------------------------------------------------------------ */
/* Start                                                               */
/* ------------------------------------------------------------------ */

/* Six characters of [a-z0-9]: short enough to type, 2 billion values. */
static char *new_run_id(void)
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789"; /* no l, o, 0, 1 */
    unsigned char rnd[6];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        uint64_t x = (uint64_t)clock_now_us() ^ ((uint64_t)getpid() << 20);
        for (size_t i = 0; i < sizeof rnd; i++, x >>= 5)
            rnd[i] = (unsigned char)x;
    }
    char *id = xmalloc(sizeof rnd + 1);
    for (size_t i = 0; i < sizeof rnd; i++)
        id[i] = alphabet[rnd[i] % 32];
    id[sizeof rnd] = '\0';
    return id;
}

static void stage_copy(dapt_stage *dst, const dapt_stage *src)
{
    memset(dst, 0, sizeof *dst);
    dst->name = xstrdup(src->name);
    dst->target = xstrdup(src->target);
    dst->type = src->type;
    dst->depends_count = src->depends_count;
    dst->depends_on = xcalloc(src->depends_count + 1, sizeof *dst->depends_on);
    for (size_t i = 0; i < src->depends_count; i++)
        dst->depends_on[i] = xstrdup(src->depends_on[i]);
    dst->map_on = src->map_on ? xstrdup(src->map_on) : NULL;
    dst->allow_partial_failure = src->allow_partial_failure;
    dst->resources.cpus = src->resources.cpus;
    dst->has_priority = src->has_priority;
    dst->priority = src->priority;
    /* the workflow's values are never changed: share them */
    dst->args = src->args ? json_incref(src->args) : json_object();
    dst->options = src->options ? json_incref(src->options) : json_object();
    dst->timeout_ms = src->timeout_ms;
    dst->retries = src->retries;
    dst->retry_delay_ms = src->retry_delay_ms;
}

static void stage_clear(dapt_stage *st)
{
    free(st->name);
    free(st->target);
    for (size_t i = 0; i < st->depends_count; i++)
        free(st->depends_on[i]);
    free(st->depends_on);
    free(st->map_on);
    json_decref(st->args);
    json_decref(st->options);
}

/* What the run needs of a target: its string, flags and params. */
static void target_copy_min(dapt_target_info *dst, const dapt_target_info *src)
{
    memset(dst, 0, sizeof *dst);
    dst->target = xstrdup(src->target);
    dst->path = xstrdup(src->path);
    dst->kind = src->kind;
    dst->flags = src->flags;
    dst->param_count = src->param_count;
    dst->params = xcalloc(src->param_count + 1, sizeof *dst->params);
    for (size_t i = 0; i < src->param_count; i++) {
        dst->params[i].name = xstrdup(src->params[i].name);
        dst->params[i].type = xstrdup(src->params[i].type);
        dst->params[i].required = src->params[i].required;
        dst->params[i].keyword_only = src->params[i].keyword_only;
    }
}

static void target_clear_min(dapt_target_info *t)
{
    for (size_t i = 0; i < t->param_count; i++) {
        free(t->params[i].name);
        free(t->params[i].type);
    }
    free(t->params);
    free(t->target);
    free(t->path);
}

/* The workflow as Flowdapt's resource JSON, for context.definition,
 * from the run's copies of the stages.  Lock held. */
static json_t *definition_json(const struct run *r)
{
    json_t *stages = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const dapt_stage *st = &r->stages[i].def;
        json_t *deps = json_array();
        for (size_t k = 0; k < st->depends_count; k++)
            json_array_append_new(deps, json_string(st->depends_on[k]));
        json_t *j = json_object();
        json_object_set_new(j, "name", json_string(st->name));
        json_object_set_new(j, "target", json_string(st->target));
        json_object_set_new(j, "type", json_string(dapt_stage_type_name(st->type)));
        json_object_set_new(j, "depends_on", deps);
        json_object_set(j, "options", st->options);
        json_object_set(j, "args", st->args);
        if (st->has_priority)
            json_object_set_new(j, "priority", json_integer(st->priority));
        json_array_append_new(stages, j);
    }
    return json_pack("{s:s, s:{s:s, s:O}, s:{s:o}}", "kind", "workflow", "metadata", "name",
                     r->info.workflow, "annotations", r->annotations, "spec", "stages", stages);
}

json_t *run_definition(struct run *r)
{
    pthread_mutex_lock(&r->lock);
    if (r->info.definition == NULL)
        r->info.definition = definition_json(r);
    pthread_mutex_unlock(&r->lock);
    return r->info.definition;
}

/* The pool for the stages of `plugin`: one per runtime (and, for a
 * runtime with an interpreter, per interpreter), made on first use.
 * 0, or -1 with *error. */
static int pool_for(struct run *r, const dapt_plugin_info *plugin, size_t *index, char **error)
{
    const runtime_ops *rt = runtime_get(plugin->runtime);
    if (rt == NULL) {
        *error = xasprintf("plugin `%s` is of a runtime this dapt cannot run", plugin->name);
        return -1;
    }
    const char *interp = rt->in_process ? NULL : plugin->interpreter;
    for (size_t k = 0; k < r->npools; k++) {
        pool *p = &r->pools[k];
        if (p->rt == rt && (p->interpreter == interp ||
                            (p->interpreter && interp && strcmp(p->interpreter, interp) == 0))) {
            *index = k;
            return 0;
        }
    }
    if (!rt->in_process && (interp == NULL || interp[0] == '\0')) {
        *error = xasprintf("plugin `%s` is a %s plugin with no interpreter to run it", plugin->name,
                           rt->name);
        return -1;
    }
    r->pools = xrealloc(r->pools, r->npools + 1, sizeof *r->pools);
    pool *p = &r->pools[r->npools];
    memset(p, 0, sizeof *p);
    p->rt = rt;
    p->ops = rt->in_process && !r->use_processes ? &exec_thread_ops : &exec_process_ops;
    p->interpreter = interp ? xstrdup(interp) : NULL;
    p->slots_total = r->slots_total;
    p->heap = xcalloc(r->n ? r->n : 1, sizeof *p->heap);
    *index = r->npools++;
    return 0;
}

/* Start every pool the stages need.  0, or -1 with *error (what started
 * is closed; the loop finishes that). */
static int pools_start(struct run *r, bool capture_stdio, char **error)
{
    /* every command first: a missing interpreter starts nothing */
    char ***argv = xcalloc(r->npools, sizeof *argv), ***env = xcalloc(r->npools, sizeof *env);
    int rc = 0;
    for (size_t k = 0; k < r->npools && rc == 0; k++) {
        pool *p = &r->pools[k];
        if (p->ops == &exec_process_ops)
            rc = p->rt->worker_command(&argv[k], &env[k], p->interpreter, error);
    }
    for (size_t k = 0; k < r->npools && rc == 0; k++) {
        pool *p = &r->pools[k];
        executor_config ec = {.loop = r->loop, .run = r, .workers = p->slots_total,
                              .worker_argv = argv[k], .worker_env = env[k],
                              .cancel_frame = p->rt->cancel_frame,
                              .capture_stdio = capture_stdio};
        rc = p->ops->start(&p->ex, &ec, error);
        if (rc < 0)
            p->ex = NULL;
    }
    for (size_t k = 0; k < r->npools; k++) {
        runtime_strv_free(argv[k]);
        runtime_strv_free(env[k]);
    }
    free(argv);
    free(env);
    if (rc < 0)
        pools_close(r, pool_closed_quietly);
    return rc;
}

/* The record's `executor`: "dapt.executor.local (processes, 4 workers)",
 * and the pools of other runtimes: "...; python: 4 processes of
 * /usr/bin/python3". */
static char *executor_text(const struct run *r)
{
    strbuf sb = {0};
    strbuf_printf(&sb, "dapt.executor.local (%s, %d workers",
                  r->use_processes ? "processes" : "threads", r->slots_total);
    for (size_t k = 0; k < r->npools; k++) {
        const pool *p = &r->pools[k];
        if (!p->rt->in_process)
            strbuf_printf(&sb, "; %s: %d process%s of %s", p->rt->name, p->slots_total,
                          p->slots_total == 1 ? "" : "es", p->interpreter);
    }
    strbuf_putc(&sb, ')');
    return strbuf_detach(&sb);
}

/* Resolve and check every stage before anything runs. */
static int resolve_stages(struct run *r, const dapt_workflow *wf, const dapt_registry *reg,
                          char **error)
{
    for (size_t i = 0; i < wf->stage_count; i++) {
        const dapt_stage *st = &wf->stages[i];
        rstage *s = &r->stages[i];
        stage_copy(&s->def, st);
        for (size_t k = 0; k < st->depends_count; k++)
            if (dapt_graph_find(r->graph, st->depends_on[k]) < 0 &&
                strcmp(st->depends_on[k], st->name) != 0) {
                *error = xasprintf("stage `%s` depends on `%s`, which is not a stage of `%s`",
                                   st->name, st->depends_on[k], wf->name);
                return -1;
            }
        const dapt_target_info *t;
        char *why = NULL;
        if (dapt_registry_resolve(reg, st->target, &t, &why) < 0) {
            *error = xasprintf("stage `%s`: %s", st->name, why);
            free(why);
            return -1;
        }
        if (t->kind != DAPT_TARGET_STAGE && t->kind != DAPT_TARGET_ACTION) {
            *error = xasprintf("stage `%s`: %s is an executor, not a stage", st->name,
                               st->target);
            return -1;
        }
        target_copy_min(&s->target, t);
        if (callargs_check(&s->def, &s->target, r->info.input, error) < 0 ||
            typecheck_input(&s->def, &s->target, r->info.input, error) < 0)
            return -1;
        s->so = xstrdup(t->object ? t->object : t->plugin->path);
        s->tpath = xstrdup(t->object_path ? t->object_path : t->path);
        s->plugin = xstrdup(t->plugin->name);
        s->plugin_dir = t->plugin->data_dir ? xstrdup(t->plugin->data_dir) : NULL;
        s->state = DAPT_STATE_PENDING;
        int slots = st->resources.cpus > 1 ? (int)(st->resources.cpus + 0.999) : 1;
        s->slots = slots > r->slots_total ? r->slots_total : slots;
        if (pool_for(r, t->plugin, &s->pool, error) < 0) {
            char *reason = *error;
            *error = xasprintf("stage `%s`: %s", st->name, reason);
            free(reason);
            return -1;
        }
    }
    return 0;
}

static int check_graph(struct run *r, const dapt_workflow *wf, char **error)
{
    if (wf->stage_count == 0) {
        *error = xasprintf("workflow `%s` has no stages", wf->name);
        return -1;
    }
    size_t *order = xcalloc(r->n, sizeof *order);
    size_t done = dapt_graph_topo(r->graph, order);
    free(order);
    if (done == r->n)
        return 0;
    size_t **cycles, *lengths;
    size_t nc = dapt_graph_cycles(r->graph, &cycles, &lengths);
    strbuf sb = {0};
    strbuf_printf(&sb, "workflow `%s` has a cycle: ", wf->name);
    for (size_t k = 0; nc > 0 && k <= lengths[0]; k++)
        strbuf_printf(&sb, "%s%s", k ? " -> " : "",
                      dapt_graph_name(r->graph, cycles[0][k % lengths[0]]));
    dapt_graph_cycles_free(cycles, lengths, nc);
    *error = strbuf_detach(&sb);
    return -1;
}

/* The executor settings: services.compute.executor of the settings. */
typedef struct exec_settings {
    bool use_processes;
    int workers;
    int64_t grace_ms;
} exec_settings;

/* Executors this dapt implements, by target string. */
static const struct {
    const char *target;
    const char *kind;
} executor_kinds[] = {
    {"dapt.executor.local", "local"},
};

static int nproc(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static int read_exec_settings(exec_settings *es, const json_t *settings,
                              const dapt_registry *reg, char **error)
{
    es->use_processes = true;
    es->workers = nproc();
    es->grace_ms = 5000;
    json_t *ex = settings_get(settings, "services.compute.executor");
    const char *target = json_string_value(json_object_get(ex, "target"));
    if (target == NULL)
        target = "dapt.executor.local";
    bool known = false;
    for (size_t i = 0; i < sizeof executor_kinds / sizeof executor_kinds[0]; i++)
        known |= strcmp(target, executor_kinds[i].target) == 0;
    const dapt_target_info *t = NULL;
    char *why = NULL;
    if (dapt_registry_resolve(reg, target, &t, &why) < 0 || t->kind != DAPT_TARGET_EXECUTOR ||
        !known) {
        *error = xasprintf("services.compute.executor.target: %s%s", why ? why : target,
                           why ? "" : " is not an executor this dapt can drive (it drives "
                                      "dapt.executor.local)");
        free(why);
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach(ex, key, v) {
        if (strcmp(key, "target") == 0)
            continue;
        bool declared = false;
        for (size_t i = 0; i < t->param_count; i++)
            declared |= strcmp(t->params[i].name, key) == 0;
        if (!declared) {
            const char **names = xcalloc(t->param_count + 1, sizeof *names);
            for (size_t i = 0; i < t->param_count; i++)
                names[i] = t->params[i].name;
            const char *near = suggest_closest(key, names, t->param_count);
            *error = xasprintf("services.compute.executor.%s: %s has no setting `%s`%s%s%s", key,
                               target, key, near ? "; did you mean `" : "", near ? near : "",
                               near ? "`?" : "");
            free(names);
            return -1;
        }
        if (strcmp(key, "use_processes") == 0) {
            /* 0 and 1 too: DAPT__...__USE_PROCESSES=0 is how people write it */
            if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1))
                es->use_processes = json_integer_value(v) == 1;
            else if (!json_is_boolean(v))
                goto wrong;
            else
                es->use_processes = json_is_true(v);
        } else if (strcmp(key, "workers") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1024)
                goto wrong;
            es->workers = (int)json_integer_value(v);
        } else if (strcmp(key, "grace_period") == 0) {
            if (json_is_number(v))
                es->grace_ms = (int64_t)(json_number_value(v) * 1000);
            else if (!json_is_string(v) ||
                     dapt_parse_duration(&es->grace_ms, json_string_value(v)) < 0)
                goto wrong;
        }
        continue;
    wrong:;
        char *shown = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        *error = xasprintf("services.compute.executor.%s: `%s` is not valid (%s)", key,
                           shown ? shown : "?",
                           strcmp(key, "use_processes") == 0 ? "true or false"
                           : strcmp(key, "workers") == 0     ? "an integer from 1 to 1024"
                                                             : "a duration like 5s");
        free(shown);
        return -1;
    }
    return 0;
}

/* The object store strategy a run uses by default; 0 or -1 with *error. */
static int check_strategy(const char *strategy, char **error)
{
    static const char *const strategies[] = {DAPT_OBJECT_FALLBACK, DAPT_OBJECT_CLUSTER_MEMORY,
                                             DAPT_OBJECT_ARTIFACT};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(strategy, strategies[i]) == 0)
            return 0;
    const char *near = suggest_closest(strategy, strategies, 3);
    *error = xasprintf("services.compute.default_os_strategy: `%s` is not a strategy (fallback, "
                       "cluster_memory or artifact)%s%s%s",
                       strategy, near ? "; did you mean `" : "", near ? near : "",
                       near ? "`?" : "");
    return -1;
}

int run_check_settings(const json_t *settings, const dapt_registry *reg, char **error)
{
    exec_settings es;
    if (read_exec_settings(&es, settings, reg, error) < 0)
        return -1;
    json_t *strategy = settings_get(settings, "services.compute.default_os_strategy");
    if (strategy != NULL && !json_is_string(strategy)) {
        *error = xstrdup("services.compute.default_os_strategy must be a string (fallback, "
                         "cluster_memory or artifact)");
        return -1;
    }
    return strategy ? check_strategy(json_string_value(strategy), error) : 0;
}

/* Queue stage i's row to the store, unless it is what the store has
 * (`always` false).  Loop thread; the caller holds r->lock. */
static void stage_store(struct run *r, size_t i, bool always)
{
    rstage *s = &r->stages[i];
    dapt_items one = {.total = 1, .ok = s->state == DAPT_STATE_FINISHED,
                      .failed = s->state == DAPT_STATE_FAILED};
    const dapt_items *it = s->def.type == DAPT_STAGE_PARAMETERIZED ? &s->counts : &one;
    if (!always && s->stored && s->stored_state == s->state && s->stored_attempt == s->attempt &&
        s->stored_started == s->started_us && s->stored_finished == s->finished_us &&
        s->stored_counts.total == it->total && s->stored_counts.ok == it->ok &&
        s->stored_counts.failed == it->failed &&
        (s->error == NULL) == (s->stored_error == NULL) &&
        (s->error == NULL || strcmp(s->error, s->stored_error) == 0))
        return;
    store_stage row = {.name = s->def.name,
                       .target = s->def.target,
                       .state = dapt_state_name(s->state),
                       .type = dapt_stage_type_name(s->def.type),
                       .error = s->error,
                       .started_us = s->started_us,
                       .finished_us = s->finished_us,
                       .attempts = s->attempt,
                       .total = (int64_t)it->total,
                       .ok = (int64_t)it->ok,
                       .failed = (int64_t)it->failed};
    store_put_stage_fields(r->store, r->info.run_id, i, &row);
    s->stored = true;
    s->stored_state = s->state;
    s->stored_attempt = s->attempt;
    s->stored_started = s->started_us;
    s->stored_finished = s->finished_us;
    s->stored_counts = *it;
    if (s->stored_error == NULL || s->error == NULL || strcmp(s->error, s->stored_error) != 0) {
        free(s->stored_error);
        s->stored_error = s->error ? xstrdup(s->error) : NULL;
    }
}

/* The run's row with its stages: first the stages the store does not
 * have as they are (a reader that sees the run sees them), then the run. */
static void run_store(struct run *r)
{
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n; i++)
        stage_store(r, i, false);
    pthread_mutex_unlock(&r->lock);
    json_t *rec = run_record(r, false);
    store_put_run(r->store, rec);
    json_decref(rec);
}

static void store_subscriber(const dapt_event *ev, void *data)
{
    struct run *r = data;
    switch (ev->kind) {
    case DAPT_EVENT_LOG:
        store_put_lines(r->store, r->info.run_id, ev->lines, ev->line_count);
        break;
    case DAPT_EVENT_STAGE:
    case DAPT_EVENT_ITEMS: {
        pthread_mutex_lock(&r->lock);
        stage_store(r, ev->stage_index, true);
        pthread_mutex_unlock(&r->lock);
        break;
    }
    case DAPT_EVENT_RUN:
        break; /* executor_closed writes the final record */
    }
}

static int setup_context(struct run *r, const dapt_workflow *wf, const dapt_run_options *opts,
                         json_t *settings, char **error)
{
    r->info.run_id = new_run_id();
    r->info.run_name = xasprintf("%s-%s", wf->name, r->info.run_id);
    r->info.workflow = xstrdup(wf->name);
    r->info.ns = xstrdup(opts->ns ? opts->ns : "default");
    r->info.input = opts->input ? json_deep_copy(opts->input) : json_object();
    if (!json_is_object(r->info.input)) {
        *error = xstrdup("the run input must be an object (named values)");
        return -1;
    }
    r->annotations = json_incref(wf->annotations);
    const char *strategy =
        json_string_value(settings_get(settings, "services.compute.default_os_strategy"));
    r->info.default_strategy = xstrdup(strategy ? strategy : "fallback");
    if (check_strategy(r->info.default_strategy, error) < 0)
        return -1;
    if (opts->workspace) {
        char *abs = realpath(opts->workspace, NULL);
        r->info.workspace = abs ? abs : xstrdup(opts->workspace);
        r->artifact_root = xasprintf("%s/.dapt/artifacts", r->info.workspace);
    }
    if (opts->config) {
        r->info.config = json_deep_copy(opts->config);
    } else if (opts->workspace) {
        dapt_diags diags = {0};
        int rc = configs_for_workflow(&r->info.config, NULL, &r->config_files, opts->workspace,
                                      wf, &diags);
        if (rc < 0) {
            strbuf sb = {0};
            strbuf_puts(&sb, "the workspace's configs have errors:");
            dapt_diags_sort(&diags);
            for (size_t i = 0; i < diags.count; i++) {
                if (diags.items[i].severity != DAPT_SEV_ERROR)
                    continue;
                char *line = dapt_diag_format(&diags.items[i]);
                strbuf_printf(&sb, "\n%s", line);
                free(line);
            }
            *error = strbuf_detach(&sb);
            dapt_diags_free(&diags);
            return -1;
        }
        dapt_diags_free(&diags);
    }
    if (r->info.config == NULL)
        r->info.config = json_object();
    return 0;
}

static struct run *run_alloc(uv_loop_t *loop, const dapt_workflow *wf)
{
    struct run *r = xcalloc(1, sizeof *r);
    r->loop = loop;
    pthread_mutex_init(&r->lock, NULL);
    r->bus = bus_new();
    r->graph = dapt_graph_new(wf);
    r->n = wf->stage_count;
    r->stages = xcalloc(r->n ? r->n : 1, sizeof *r->stages);
    size_t most = 1;
    for (size_t i = 0; i < r->n; i++)
        if (wf->stages[i].depends_count > most)
            most = wf->stages[i].depends_count;
    r->dep_outputs_scratch = xcalloc(most, sizeof *r->dep_outputs_scratch);
    r->state = DAPT_STATE_PENDING;
    r->created_us = clock_now_us();
    return r;
}

static void run_free_data(struct run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        rstage *s = &r->stages[i];
        stage_clear(&s->def);
        target_clear_min(&s->target);
        free(s->so);
        free(s->tpath);
        free(s->plugin);
        free(s->plugin_dir);
        free(s->error);
        free(s->stored_error);
        json_decref(s->output);
        json_decref(s->record);
        json_decref(s->args);
        json_decref(s->kwargs);
        json_decref(s->items);
        for (size_t k = 0; s->values && k < s->nitems; k++)
            json_decref(s->values[k]);
        free(s->values);
        free(s->item_state);
        free(s->item_attempt);
        free(s->redo);
    }
    free(r->stages);
    for (size_t k = 0; k < r->npools; k++) {
        free(r->pools[k].heap);
        free(r->pools[k].interpreter);
    }
    free(r->pools);
    free(r->dep_outputs_scratch);
    dapt_graph_free(r->graph);
    run_info_clear(&r->info);
    json_decref(r->annotations);
    json_decref(r->config_files);
    json_decref(r->provenance);
    free(r->file);
    free(r->source);
    json_decref(r->trigger);
    free(r->error);
    free(r->stop_reason);
    free(r->executor_name);
    free(r->artifact_root);
    json_decref(r->result);
    free(r->lines);
    strbuf_free(&r->text);
    while (r->qhead) {
        qentry *q = r->qhead;
        r->qhead = q->next;
        qentry_free(q);
    }
    if (r->objects)
        objstore_free(r->objects);
    if (r->store)
        store_close(r->store);
    bus_free(r->bus);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* ------------------------------------------------------------------ */
/* Provenance: which version of the workflow and configs a run ran     */
/* ------------------------------------------------------------------ */

/* `path` relative to the folder `base` when it lies inside it, else NULL.
 * Caller frees. */
static char *relative_to(const char *base, const char *path)
{
    char *b = realpath(base, NULL), *p = realpath(path, NULL);
    char *rel = NULL;
    size_t n = b ? strlen(b) : 0;
    if (b && p && strncmp(p, b, n) == 0 && p[n] == '/')
        rel = xstrdup(p + n + 1);
    free(b);
    free(p);
    return rel;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    strbuf sb = {0};
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(f);
    strbuf_puts(&sb, "");
    return strbuf_detach(&sb);
}

/* Whether `dir` or a folder above it holds a .git: when none does, no
 * helper is started (a run outside git pays nothing for provenance). */
static bool under_git(const char *dir)
{
    if (getenv("GIT_DIR") != NULL)
        return true;
    char *path = realpath(dir, NULL);
    bool found = false;
    while (path != NULL && !found) {
        char *git = xasprintf("%s/.git", path);
        found = access(git, F_OK) == 0;
        free(git);
        char *slash = strrchr(path, '/');
        if (slash == NULL || slash == path)
            break;
        *slash = '\0';
    }
    if (!found && path != NULL) {
        found = access("/.git", F_OK) == 0;
    }
    free(path);
    return found;
}

/* One file's entry from `dapt-git status`: {path, blob, dirty}. */
static json_t *file_entry(const json_t *status, const char *rel)
{
    json_t *files = json_object_get(status, "files");
    for (size_t i = 0; i < json_array_size(files); i++) {
        json_t *f = json_array_get(files, i);
        if (strcmp(json_string_value(json_object_get(f, "path")) ?: "", rel) != 0)
            continue;
        const char *state = json_string_value(json_object_get(f, "state"));
        return json_pack("{s:s, s:O?, s:b}", "path", rel, "blob", json_object_get(f, "blob"),
                         "dirty", state == NULL || strcmp(state, "clean") != 0);
    }
    return json_pack("{s:s, s:n, s:b}", "path", rel, "blob", "dirty", 1);
}

/*
 * Where the definition came from, when the workspace is under git: the
 * commit, and for the workflow file and each config applied its blob and
 * whether it had changes not committed; a workflow that had is kept as
 * the exact text the run ran.  NULL when there is no repository (or no
 * dapt-git): the run then simply has no commit.
 */
static json_t *provenance(const char *workspace, const char *file, const json_t *config_files)
{
    char *wf_rel = file && *file && under_git(workspace) ? relative_to(workspace, file) : NULL;
    if (wf_rel == NULL)
        return NULL;
    size_t nc = json_array_size(config_files);
    const char **args = xcalloc(nc + 6, sizeof *args);
    char **rels = xcalloc(nc + 1, sizeof *rels);
    size_t k = 0;
    args[k++] = "status";
    args[k++] = "-C";
    args[k++] = workspace;
    args[k++] = wf_rel;
    for (size_t i = 0; i < nc; i++)
        if ((rels[i] = relative_to(workspace, json_string_value(json_array_get(config_files, i)))))
            args[k++] = rels[i];
    json_t *status = NULL, *prov = NULL;
    char *error = NULL;
    if (workspace_git(&status, args, &error) == 0 && json_is_object(status)) {
        json_t *wf = file_entry(status, wf_rel);
        if (json_is_true(json_object_get(wf, "dirty"))) {
            char *text = read_text(file);
            if (text)
                json_object_set_new(wf, "text", json_string(text));
            free(text);
        }
        json_t *configs = json_array();
        for (size_t i = 0; i < nc; i++)
            if (rels[i])
                json_array_append_new(configs, file_entry(status, rels[i]));
        prov = json_pack("{s:O?, s:O?, s:o, s:o}", "commit", json_object_get(status, "head"),
                         "branch", json_object_get(status, "branch"), "workflow", wf, "configs",
                         configs);
    }
    free(error); /* not a repository: no provenance, not an error */
    json_decref(status);
    for (size_t i = 0; i < nc; i++)
        free(rels[i]);
    free(rels);
    free(args);
    free(wf_rel);
    return prov;
}

/* Settings: the workspace's files and environment, then the caller's. */
static int load_settings(json_t **out, const dapt_run_options *opts, char **error)
{
    dapt_diags diags = {0};
    int rc = dapt_settings_load(out, opts->workspace, &diags);
    if (rc < 0) {
        strbuf sb = {0};
        strbuf_puts(&sb, "the settings have errors:");
        for (size_t i = 0; i < diags.count; i++) {
            char *line = dapt_diag_format(&diags.items[i]);
            strbuf_printf(&sb, "\n%s", line);
            free(line);
        }
        *error = strbuf_detach(&sb);
    }
    dapt_diags_free(&diags);
    if (rc == 0 && opts->settings)
        settings_merge(*out, opts->settings);
    return rc;
}

int dapt_run_start(dapt_run **out, struct uv_loop_s *loop, const dapt_workflow *wf,
                   const dapt_run_options *opts, char **error)
{
    static const dapt_run_options defaults = {0};
    *out = NULL;
    *error = NULL;
    if (opts == NULL)
        opts = &defaults;
    struct run *r = run_alloc(loop, wf);
    r->file = xstrdup(opts->file ? opts->file : "");
    r->source = xstrdup(opts->source ? opts->source : "manual");
    if (opts->trigger != NULL)
        r->trigger = json_pack("{s:s, s:i}", "rule", opts->trigger, "depth",
                               opts->trigger_depth > 0 ? opts->trigger_depth : 1);
    r->timeout_ms = opts->timeout_ms;

    json_t *settings = NULL;
    dapt_registry *own_reg = NULL;
    const dapt_registry *reg = opts->registry;
    exec_settings es;
    if (load_settings(&settings, opts, error) < 0 || check_graph(r, wf, error) < 0 ||
        setup_context(r, wf, opts, settings, error) < 0)
        goto fail;
    if (reg == NULL) {
        dapt_registry_options ro = {.workspace = opts->workspace};
        if (dapt_registry_open(&own_reg, &ro, NULL, error) < 0)
            goto fail;
        reg = own_reg;
    }
    if (read_exec_settings(&es, settings, reg, error) < 0) {
        /* the settings are at fault, not the workflow: say where they are */
        char *located = settings_locate_error(opts->workspace, *error);
        free(*error);
        *error = located;
        goto fail;
    }
    r->slots_total = es.workers;
    r->grace_ms = es.grace_ms;
    r->use_processes = es.use_processes;
    r->loop_thread = pthread_self();
    if (resolve_stages(r, wf, reg, error) < 0)
        goto fail;
    for (size_t k = 0; k < r->npools; k++)
        if (r->pools[k].ops == &exec_process_ops)
            run_definition(r); /* the workers get it with the run's context */
    r->executor_name = executor_text(r);
    if (opts->workspace)
        r->provenance = provenance(opts->workspace, opts->file, r->config_files);
    if (opts->store && opts->workspace && store_open(&r->store, opts->workspace, error) < 0)
        goto fail;
    r->objects = objstore_new(r->artifact_root);

    if (pools_start(r, opts->capture_stdio, error) < 0)
        goto fail;
    json_decref(settings);
    dapt_registry_free(own_reg);

    uv_async_init(loop, &r->async, async_cb);
    r->async.data = r;
    if (!es.use_processes) {
        r->poll_timer = xcalloc(1, sizeof *r->poll_timer);
        uv_timer_init(loop, r->poll_timer);
        r->poll_timer->data = r;
    }
    if (r->store)
        bus_subscribe(r->bus, store_subscriber, r);
    if (opts->on_event)
        bus_subscribe(r->bus, opts->on_event, opts->event_data);

    r->state = DAPT_STATE_RUNNING;
    r->started_us = clock_now_us();
    if (r->store) {
        run_store(r);
        /* on disk before any stage runs: a crash of the whole process (a
         * thread-mode stage) then still leaves a run to mark interrupted */
        store_flush(r->store);
    }
    if (r->timeout_ms > 0) {
        r->run_timer = xcalloc(1, sizeof *r->run_timer);
        uv_timer_init(loop, r->run_timer);
        r->run_timer->data = r;
        uv_timer_start(r->run_timer, run_timeout_fired, (uint64_t)r->timeout_ms, 0);
    }
    pthread_mutex_lock(&r->lock);
    post_event(r, DAPT_EVENT_RUN, 0, DAPT_STATE_RUNNING, NULL);
    for (size_t i = 0; i < r->n; i++) {
        size_t nd;
        dapt_graph_deps(r->graph, i, &nd);
        r->stages[i].deps_left = nd;
    }
    for (size_t i = 0; i < r->n; i++)
        if (r->stages[i].deps_left == 0)
            stage_ready(r, i);
    schedule(r, (size_t)-1, NULL);
    pthread_mutex_unlock(&r->lock);
    *out = (dapt_run *)r;
    return 0;

fail:
    json_decref(settings);
    dapt_registry_free(own_reg);
    run_free_data(r);
    return -1;
}

char *dapt_run_store_error(dapt_run *run, bool wait)
{
    struct run *r = (struct run *)run;
    if (r == NULL || r->store == NULL)
        return NULL;
    if (wait)
        store_flush(r->store);
    return store_write_error(r->store);
}

void dapt_run_free(dapt_run *run)
{
    struct run *r = (struct run *)run;
    if (r == NULL)
        return;
    if (!r->closed) {
        /* abandoned while running: stop everything and let the loop close
         * what it must before the memory goes */
        dapt_run_cancel(run, true);
        while (!r->closed && uv_run(r->loop, UV_RUN_ONCE))
            ;
    }
    /* the async handle's close callback must have run */
    while (!r->async_closed)
        uv_run(r->loop, UV_RUN_ONCE);
    run_free_data(r);
}
