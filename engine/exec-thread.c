/*
 * exec-thread.c - the thread executor: a pool of threads in the engine's
 * own process (services.compute.executor.use_processes: false).  Fast (no
 * copies, no round trip through the loop: a thread that finishes a stage
 * runs the next ready one itself) but unprotected: a stage that crashes
 * takes the process with it, and a stuck stage cannot be killed, only
 * abandoned (its thread is left to finish on its own and its result is
 * dropped).
 *
 * Locks: a thread calls into run.c (which takes the run's lock and may
 * submit, taking `mu`), so `mu` is never held while calling run.c.  The
 * sink's log calls reach the run only while it exists: `gone` and the
 * `in_sink` count let close() wait for calls already inside.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "engine.h"

typedef struct slot {
    struct executor *ex;
    pthread_t thread;
    task *cur;
    /* The task and item whose call is running, as the capture sees it:
     * set and cleared under cap_mu, so that no call starts or ends while
     * the pipes are being read for someone (a reader holding a stale
     * owner gave a call's lines to no stage). */
    task *owner;
    long owner_item;
    bool abandoned; /* under mu */
    bool exited;
} slot;

/* A line longer than this is handed over in pieces. */
#define CAPTURE_LINE_MAX (1024u * 1024u)

/* stdout and stderr of the process, captured while the executor lives:
 * the read end of a pipe, drained by the loop when it is readable and by
 * a thread right after each call (so what a stage printed is its own when
 * it runs alone), both under the executor's cap_mu, which also guards
 * each slot's owner. */
typedef struct capture {
    uv_poll_t poll;
    int fd;
    struct executor *ex;
    dapt_stream stream;
    strbuf partial;
} capture;

struct executor {
    executor_config cfg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    task *head, *tail;
    slot **slots;
    size_t nslots;
    bool closing;
    int refs; /* the owner + each thread alive; the last one frees */
    atomic_int gone;
    atomic_int in_sink;

    bool capturing;
    pthread_mutex_t cap_mu;
    int saved_fd[2];
    capture cap[2];
    int caps_open;
    void (*done)(void *data);
    void *done_data;
    /* our own copy: an abandoned thread may outlive the run */
    run_info info;
    /* tasks stopped on the loop, reported from a timer (the run's lock is
     * held while it stops them) */
    uv_timer_t report;
    task **lost;
    size_t nlost;
    bool report_open;
};

/* Drop one owner of an abandoned task; the last frees it. */
static void task_unref(task *t)
{
    if (__atomic_sub_fetch(&t->refs, 1, __ATOMIC_SEQ_CST) == 0)
        run_task_free(t);
}

static void ex_unref(struct executor *ex)
{
    pthread_mutex_lock(&ex->mu);
    bool last = --ex->refs == 0;
    pthread_mutex_unlock(&ex->mu);
    if (!last)
        return;
    for (size_t i = 0; i < ex->nslots; i++)
        free(ex->slots[i]);
    free(ex->slots);
    free(ex->lost);
    run_info_clear(&ex->info);
    pthread_mutex_destroy(&ex->mu);
    pthread_mutex_destroy(&ex->cap_mu);
    pthread_cond_destroy(&ex->cv);
    free(ex);
}

/* ------------------------------------------------------------------ */
/* Running a task on a thread                                          */
/* ------------------------------------------------------------------ */

typedef struct sink_data {
    slot *slot;
    task *task;
} sink_data;

static void sink_log(void *data, long item, int level, const char *text)
{
    sink_data *sd = data;
    struct executor *ex = sd->slot->ex;
    atomic_fetch_add(&ex->in_sink, 1);
    if (!atomic_load(&ex->gone) && !sd->task->abandoned)
        run_task_line(ex->cfg.run, sd->task, item, DAPT_STREAM_LOG, level, text, strlen(text));
    atomic_fetch_sub(&ex->in_sink, 1);
}

static int sink_object(void *data, json_t *request, json_t **reply, char **error)
{
    sink_data *sd = data;
    struct executor *ex = sd->slot->ex;
    atomic_fetch_add(&ex->in_sink, 1);
    int rc = -1;
    if (!atomic_load(&ex->gone) && !sd->task->abandoned)
        rc = run_object_request(ex->cfg.run, request, reply, error);
    else
        *error = xstrdup("the run is over");
    atomic_fetch_sub(&ex->in_sink, 1);
    return rc;
}

static void capture_before_call(slot *sl, task *t, long item);
static void capture_after_call(slot *sl, task *t, long item);

static json_t *sink_context(void *data, const char *key)
{
    sink_data *sd = data;
    struct executor *ex = sd->slot->ex;
    atomic_fetch_add(&ex->in_sink, 1);
    json_t *v = NULL;
    if (!atomic_load(&ex->gone) && !sd->task->abandoned && strcmp(key, "definition") == 0)
        v = run_definition(ex->cfg.run);
    atomic_fetch_sub(&ex->in_sink, 1);
    return v;
}

static void run_calls(slot *sl, task *t, const run_info *info)
{
    dapt_stage_fn fn;
    char *err = NULL;
    if (loader_get(&fn, t->so, t->target_path, &err) < 0) {
        for (size_t c = 0; c < t->ncalls; c++) {
            t->calls[c].error = xstrdup(err);
            t->calls[c].done = true;
        }
        free(err);
        return;
    }
    sink_data sd = {sl, t};
    host_sink sink = {sink_log, sink_object, sink_context, &sd};
    host_ctx hc;
    host_ctx_init(&hc, info, &sink, &t->cancel);
    hc.stage = t->stage_name;
    hc.plugin = t->plugin;
    hc.plugin_dir = t->plugin_dir;
    for (size_t c = 0; c < t->ncalls && !t->cancel; c++) {
        task_call *call = &t->calls[c];
        if (sl->ex->capturing)
            capture_before_call(sl, t, call->item);
        call->value = host_call(&hc, fn, call->args, t->kwargs, call->item, t->attempt,
                                &call->error);
        if (sl->ex->capturing)
            capture_after_call(sl, t, call->item);
        call->done = true;
    }
    host_ctx_clear(&hc);
}

static void *thread_main(void *arg)
{
    slot *sl = arg;
    struct executor *ex = sl->ex;
    const run_info *info = &ex->info;
    for (;;) {
        pthread_mutex_lock(&ex->mu);
        while (ex->head == NULL && !ex->closing && !sl->abandoned)
            pthread_cond_wait(&ex->cv, &ex->mu);
        if (ex->head == NULL || sl->abandoned) {
            pthread_mutex_unlock(&ex->mu);
            break;
        }
        task *t = ex->head;
        ex->head = t->qnext;
        if (ex->head == NULL)
            ex->tail = NULL;
        sl->cur = t;
        pthread_mutex_unlock(&ex->mu);

        while (t != NULL) {
            run_calls(sl, t, info);
            pthread_mutex_lock(&ex->mu);
            bool abandoned = sl->abandoned;
            sl->cur = NULL;
            pthread_mutex_unlock(&ex->mu);
            if (abandoned) {
                task_unref(t); /* the run let go of it */
                goto out;
            }
            /* run the next ready stage here, with no hand-over */
            t = run_task_done(ex->cfg.run, t, true);
            if (t != NULL) {
                pthread_mutex_lock(&ex->mu);
                sl->cur = t;
                pthread_mutex_unlock(&ex->mu);
            }
        }
    }
out:
    pthread_mutex_lock(&ex->mu);
    sl->exited = true;
    pthread_mutex_unlock(&ex->mu);
    ex_unref(ex);
    return NULL;
}

/* Start one more thread (mu held or not yet shared). */
static int add_thread(struct executor *ex, char **error)
{
    slot *sl = xcalloc(1, sizeof *sl);
    sl->ex = ex;
    ex->slots = xrealloc(ex->slots, ex->nslots + 1, sizeof *ex->slots);
    ex->slots[ex->nslots++] = sl;
    ex->refs++;
    int rc = pthread_create(&sl->thread, NULL, thread_main, sl);
    if (rc != 0) {
        ex->refs--;
        sl->exited = true;
        *error = xasprintf("cannot start a worker thread: %s", strerror(rc));
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Capturing stdout and stderr                                         */
/* ------------------------------------------------------------------ */

/* The slot whose call a line of raw output belongs to: the only one
 * with a call running, else none (threads share one stdout; their lines
 * cannot be told apart).  cap_mu held. */
static slot *only_owner(struct executor *ex)
{
    slot *found = NULL;
    pthread_mutex_lock(&ex->mu);
    for (size_t i = 0; i < ex->nslots; i++) {
        if (ex->slots[i]->owner == NULL || ex->slots[i]->abandoned)
            continue;
        if (found != NULL) {
            found = NULL;
            break;
        }
        found = ex->slots[i];
    }
    pthread_mutex_unlock(&ex->mu);
    return found;
}

/* Hand complete lines over as lines of task t (NULL: of no stage);
 * keep a partial last line for later.  cap_mu held. */
static void capture_lines(capture *c, const char *data, size_t n, task *t, long item)
{
    int level = c->stream == DAPT_STREAM_STDERR ? DAPT_LOG_WARNING : DAPT_LOG_INFO;
    run_task_text(c->ex->cfg.run, t, item, c->stream, level, data, n, &c->partial,
                  CAPTURE_LINE_MAX);
}

/* The most the loop reads of a pipe in one turn: a stage that writes
 * without pause must not hold the loop (and the calls waiting on cap_mu)
 * for long; the poll fires again for the rest. */
#define CAPTURE_TURN_MAX (256u * 1024u)

/* Read what the pipe holds now, up to `max` bytes.  `last`: a line
 * without its newline is handed over too (the stage is done).  cap_mu
 * held. */
static void capture_drain(capture *c, task *t, long item, bool last, size_t max)
{
    char buf[65536];
    size_t got = 0;
    while (got < max) {
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n > 0) {
            capture_lines(c, buf, (size_t)n, t, item);
            got += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    if (last && c->partial.len > 0) {
        run_task_line(c->ex->cfg.run, t, item, c->stream,
                      c->stream == DAPT_STREAM_STDERR ? DAPT_LOG_WARNING : DAPT_LOG_INFO,
                      c->partial.buf, c->partial.len);
        c->partial.len = 0;
    }
}

/* Before a call on a thread: from now on, output read while this call
 * runs alone is its own. */
static void capture_before_call(slot *sl, task *t, long item)
{
    pthread_mutex_lock(&sl->ex->cap_mu);
    sl->owner = t;
    sl->owner_item = item;
    pthread_mutex_unlock(&sl->ex->cap_mu);
}

/* After a call on a thread: what it printed is its own when it is the
 * only call running. */
static void capture_after_call(slot *sl, task *t, long item)
{
    struct executor *ex = sl->ex;
    fflush(stdout);
    fflush(stderr);
    if (atomic_load(&ex->gone) || t->abandoned)
        return; /* its slot is abandoned too: no reader looks at it */
    pthread_mutex_lock(&ex->cap_mu);
    task *owner = only_owner(ex) == sl ? t : NULL;
    for (int k = 0; k < 2; k++)
        capture_drain(&ex->cap[k], owner, owner ? item : -1, owner != NULL, SIZE_MAX);
    sl->owner = NULL;
    pthread_mutex_unlock(&ex->cap_mu);
}

static void maybe_done(struct executor *ex);

static void capture_closed(uv_handle_t *h)
{
    capture *c = h->data;
    strbuf_free(&c->partial);
    close(c->fd);
    c->ex->caps_open--;
    maybe_done(c->ex);
}

static void capture_readable(uv_poll_t *poll, int status, int events)
{
    (void)events;
    capture *c = poll->data;
    struct executor *ex = c->ex;
    if (status < 0)
        return;
    pthread_mutex_lock(&ex->cap_mu);
    slot *sl = only_owner(ex);
    capture_drain(c, sl ? sl->owner : NULL, sl ? sl->owner_item : -1, false, CAPTURE_TURN_MAX);
    pthread_mutex_unlock(&ex->cap_mu);
}

static int capture_start(struct executor *ex, char **error)
{
    fflush(stdout);
    fflush(stderr);
    for (int k = 0; k < 2; k++) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0) {
            *error = xasprintf("cannot capture the output of stages: %s", strerror(errno));
            return -1;
        }
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        ex->saved_fd[k] = dup(k + 1);
        dup2(fds[1], k + 1);
        close(fds[1]);
        capture *c = &ex->cap[k];
        c->ex = ex;
        c->fd = fds[0];
        c->stream = k == 0 ? DAPT_STREAM_STDOUT : DAPT_STREAM_STDERR;
        uv_poll_init(ex->cfg.loop, &c->poll, c->fd);
        c->poll.data = c;
        uv_poll_start(&c->poll, UV_READABLE, capture_readable);
        ex->caps_open++;
    }
    ex->capturing = true;
    return 0;
}

/* Give the process its stdout and stderr back, after a last read of what
 * the stages left in the pipes. */
static void capture_stop(struct executor *ex)
{
    if (!ex->capturing)
        return;
    fflush(stdout);
    fflush(stderr);
    pthread_mutex_lock(&ex->cap_mu);
    for (int k = 0; k < 2; k++) {
        dup2(ex->saved_fd[k], k + 1);
        close(ex->saved_fd[k]);
        capture_drain(&ex->cap[k], NULL, -1, true, SIZE_MAX);
    }
    pthread_mutex_unlock(&ex->cap_mu);
    for (int k = 0; k < 2; k++) {
        uv_poll_stop(&ex->cap[k].poll);
        uv_close((uv_handle_t *)&ex->cap[k].poll, capture_closed);
    }
    ex->capturing = false;
}

/* ------------------------------------------------------------------ */
/* The executor operations                                             */
/* ------------------------------------------------------------------ */

static int thread_start(struct executor **out, const executor_config *cfg, char **error)
{
    struct executor *ex = xcalloc(1, sizeof *ex);
    ex->cfg = *cfg;
    ex->refs = 1;
    json_t *info = run_info_to_json(run_get_info(cfg->run));
    run_info_from_json(&ex->info, info);
    json_decref(info);
    uv_timer_init(cfg->loop, &ex->report);
    ex->report.data = ex;
    ex->report_open = true;
    pthread_mutex_init(&ex->mu, NULL);
    pthread_mutex_init(&ex->cap_mu, NULL);
    pthread_cond_init(&ex->cv, NULL);
    if (cfg->capture_stdio && capture_start(ex, error) < 0) {
        ex_unref(ex);
        return -1;
    }
    pthread_mutex_lock(&ex->mu);
    for (int i = 0; i < cfg->workers; i++)
        if (add_thread(ex, error) < 0)
            break;
    pthread_mutex_unlock(&ex->mu);
    if (ex->nslots == 0 || *error) {
        free(*error);
        *error = NULL;
        if (ex->refs <= 1) {
            *error = xstrdup("cannot start any worker thread");
            capture_stop(ex);
            ex_unref(ex);
            return -1;
        }
    }
    *out = ex;
    return 0;
}

static void thread_submit(struct executor *ex, task *t)
{
    pthread_mutex_lock(&ex->mu);
    t->qnext = NULL;
    if (ex->tail)
        ex->tail->qnext = t;
    else
        ex->head = t;
    ex->tail = t;
    pthread_cond_signal(&ex->cv);
    pthread_mutex_unlock(&ex->mu);
}

/* Take a task out of the queue when it has not started.  mu held. */
static bool unqueue(struct executor *ex, task *t)
{
    task *prev = NULL;
    for (task *q = ex->head; q; prev = q, q = q->qnext) {
        if (q != t)
            continue;
        if (prev)
            prev->qnext = q->qnext;
        else
            ex->head = q->qnext;
        if (ex->tail == q)
            ex->tail = prev;
        return true;
    }
    return false;
}

static void report_lost(uv_timer_t *timer)
{
    struct executor *ex = timer->data;
    while (ex->nlost > 0) {
        task *t = ex->lost[0];
        memmove(ex->lost, ex->lost + 1, --ex->nlost * sizeof *ex->lost);
        bool abandoned = t->abandoned;
        run_task_done(ex->cfg.run, t, false);
        if (abandoned)
            task_unref(t);
    }
}

static void thread_stop(struct executor *ex, task *t, bool kill)
{
    /* t->cancel is set: a running stage sees it through dapt_ctx_cancelled */
    if (!kill)
        return;
    char *err = NULL;
    pthread_mutex_lock(&ex->mu);
    bool queued = unqueue(ex, t);
    slot *owner = NULL;
    for (size_t i = 0; !queued && i < ex->nslots; i++)
        if (ex->slots[i]->cur == t && !ex->slots[i]->abandoned)
            owner = ex->slots[i];
    if (owner) {
        /* leave the thread to its stage; a new one takes its place */
        owner->abandoned = true;
        t->abandoned = 1;
        t->refs = 2;
        pthread_detach(owner->thread);
        add_thread(ex, &err);
    }
    pthread_mutex_unlock(&ex->mu);
    free(err);
    if (!queued && !owner)
        return; /* it is finishing right now */
    free(t->lost);
    t->lost = xstrdup(owner ? "the stage did not stop; its thread was abandoned (thread mode "
                              "cannot kill a stage: use processes)"
                            : "cancelled before it started");
    ex->lost = xrealloc(ex->lost, ex->nlost + 1, sizeof *ex->lost);
    ex->lost[ex->nlost++] = t;
    uv_timer_start(&ex->report, report_lost, 0, 0);
}

static void report_closed(uv_handle_t *h)
{
    struct executor *ex = h->data;
    ex->report_open = false;
    maybe_done(ex);
}

static void maybe_done(struct executor *ex)
{
    if (ex->caps_open > 0 || ex->report_open || ex->done == NULL)
        return;
    void (*done)(void *) = ex->done;
    void *data = ex->done_data;
    ex->done = NULL;
    ex_unref(ex);
    done(data);
}

static void thread_close(struct executor *ex, void (*done)(void *data), void *data)
{
    atomic_store(&ex->gone, 1);
    pthread_mutex_lock(&ex->mu);
    ex->closing = true;
    pthread_cond_broadcast(&ex->cv);
    pthread_mutex_unlock(&ex->mu);
    for (size_t i = 0; i < ex->nslots; i++) {
        slot *sl = ex->slots[i];
        pthread_mutex_lock(&ex->mu);
        bool join = !sl->abandoned && sl->thread != 0;
        pthread_mutex_unlock(&ex->mu);
        if (join)
            pthread_join(sl->thread, NULL);
    }
    /* calls already inside a sink finish before the run may go */
    while (atomic_load(&ex->in_sink) > 0)
        sched_yield();
    capture_stop(ex);
    ex->done = done;
    ex->done_data = data;
    uv_close((uv_handle_t *)&ex->report, report_closed);
}

const executor_ops exec_thread_ops = {
    .name = "thread",
    .start = thread_start,
    .submit = thread_submit,
    .stop = thread_stop,
    .close = thread_close,
};
