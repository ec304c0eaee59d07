/*
 * exec-process.c - the process executor: a pool of worker processes kept
 * warm for a run's life, driven from the run's libuv loop.  The workers
 * run the command of a runtime row (runtime.c): dapt-worker for C stages,
 * INTERPRETER -m dapt_worker for Python ones; all speak the frames of
 * worker.c.  A task is stopped with SIGTERM carrying its id, or, for a
 * worker that cannot read that (Python), with a `cancel` frame; either
 * way SIGKILL follows when run.c's grace period is over.
 *
 * Each worker has three channels to the engine: a socketpair carrying
 * frames (wire.c; the worker's end is its fd 3), and pipes for its stdout
 * and stderr, read live and split into log lines of the task it runs.  A
 * task goes to the idle worker that became idle last, so a chain of
 * stages keeps running on the process that is awake and warm.
 *
 * Every worker leads its own process group (and session): what its stages
 * start is in it, and is killed with it (SIGKILL to the group) when the
 * worker is killed, when it exits, and when close()'s grace is over.
 *
 * A worker that dies is named precisely in the task it held ("worker
 * process 123 was killed by SIGSEGV (segmentation fault)") and replaced.
 * Calls into run.c are never made from submit or stop (run.c holds its
 * lock there): what must be reported from those goes through a timer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "engine.h"

/* One read of a pipe or the socket. */
#define READ_CHUNK (64u * 1024u)
/* What a worker's stdout and stderr pipes hold (the default is 64 KiB):
 * a stage writing fast then blocks, and wakes the engine, 16 times less
 * often.  Memory is only used while the engine is behind. */
#define PIPE_BYTES (1024 * 1024)
/* A line longer than this is cut into pieces of this size. */
#define LINE_MAX_BYTES (1024u * 1024u)
/* close(): how long workers get to exit after their socket closed. */
#define CLOSE_GRACE_MS 2000
/* After sending a task, the loop polls without sleeping this long when
 * tasks have been coming back quickly: waking a sleeping process on
 * another CPU costs tens of microseconds on some machines (VMs most), more
 * than a no-op stage itself.  The worker does the same on its side. */
#define SPIN_US 100
/* A stage's stdout and stderr are read this much at a time: then they wait
 * for the next turn of the loop.  libuv would otherwise read a burst (a
 * stage printing 400 KB at once) in one go, and the loop's other handles
 * (the studio's keys) would wait until all of it was handled.  What is
 * left when the task ends is read then (finishing_fire). */
#define YIELD_BYTES (64u * 1024u)
/* Workers dying before they ran anything, in a row: then the pool stops
 * starting new ones (a broken install must not fork forever). */
#define START_DEATHS_MAX 3

typedef struct executor executor;
typedef struct worker worker;

typedef struct outpipe {
    uv_pipe_t pipe;
    worker *w;
    dapt_stream stream;
    strbuf partial; /* a line not ended yet */
    size_t turn;    /* bytes read since it last let the loop turn */
    bool paused;    /* reading stopped until the next turn (resume_fire) */
} outpipe;

struct worker {
    executor *ex;
    size_t slot;
    long pid;
    uv_process_t proc;
    uv_pipe_t sock;
    outpipe out, err;
    wire_reader rd;
    int handles;        /* open handles: freed at 0 */
    bool exited;
    bool sock_done;     /* EOF or error on the socket */
    bool ran;           /* finished a task at least once */
    task *task;         /* the task it runs, or NULL when idle */
    size_t next_result; /* the call the next result is for */
    int64_t sent_at;    /* when the task went out (clock_mono_us) */
    char *broken;       /* why we killed it (a protocol error), for the task */
    bool finishing;     /* said `done`: the task ends in the check phase */
    worker *next_idle;
    worker *next_finishing;
};

struct executor {
    uv_loop_t *loop;
    struct run *run;
    char **argv;        /* the worker command (argv[0] the program) */
    char **env;         /* its environment, or NULL: ours */
    bool cancel_frame;  /* stop a task with a cancel frame, not SIGTERM */
    strbuf hello;       /* the hello frame every worker gets first */
    strbuf send;        /* scratch for frames to send */
    worker **slots;
    size_t nslots;
    worker *idle;       /* a stack: the last idle first */
    task **waiting;     /* submitted while no worker was idle */
    size_t nwaiting, capwaiting;
    task **failed;      /* ended without a worker: reported from the timer */
    size_t nfailed, capfailed;
    int start_deaths;
    char *broken;       /* why no worker can be started any more */
    uv_timer_t timer;   /* reports `failed`; then close()'s grace period */
    uv_idle_t spin;     /* active: the loop polls instead of sleeping */
    uv_idle_t resume;   /* active: an output pipe waits for the next turn */
    uv_check_t check;   /* active: tasks are finishing */
    worker *finishing, **finishing_tail;
    int64_t spin_until;
    bool fast;          /* the last task came back within SPIN_US */
    bool closing;
    size_t live;        /* workers not yet freed */
    void (*done)(void *data);
    void *done_data;
    char readbuf[READ_CHUNK];
};

static int worker_spawn(executor *ex, size_t slot, char **error);
static void spin_start(executor *ex);
static void task_finish(worker *w);
static void worker_frames(worker *w);
static void worker_dispatch(worker *w, task *t);

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

/* SIGKILL to a worker's process group: the worker and what its stages
 * left.  Safe after the worker was reaped: a group's id is not reused
 * while any member lives. */
static void worker_kill_group(worker *w)
{
    if (w->pid > 0)
        kill(-(pid_t)w->pid, SIGKILL);
}

static void push_task(task ***v, size_t *n, size_t *cap, task *t)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *v = xrealloc(*v, *cap, sizeof **v);
    }
    (*v)[(*n)++] = t;
}

/* "was killed by SIGSEGV (segmentation fault)", "exited with status 3" */
static char *death_reason(int64_t status, int sig)
{
    if (sig == 0 && status == WORKER_EXIT_FD_CLOSED)
        return xstrdup("lost its connection to the engine: its file descriptor 3 was closed "
                       "under it (does the stage close file descriptors it did not open?)");
    if (sig == 0)
        return xasprintf("exited with status %lld", (long long)status);
    const char *abbrev = sigabbrev_np(sig);
    char *desc = xstrdup(strsignal(sig));
    for (char *p = desc; *p; p++)
        *p = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
    char *s = abbrev ? xasprintf("was killed by SIG%s (%s)", abbrev, desc)
                     : xasprintf("was killed by signal %d (%s)", sig, desc);
    free(desc);
    return s;
}

/* Tasks that ended without running: run_task_done from the loop, never
 * from inside submit (run.c holds its lock there). */
static void failed_fire(uv_timer_t *timer)
{
    executor *ex = timer->data;
    while (ex->nfailed > 0 && !ex->closing) {
        task *t = ex->failed[0];
        memmove(ex->failed, ex->failed + 1, --ex->nfailed * sizeof *ex->failed);
        run_task_done(ex->run, t, false);
    }
}

static void task_fail_later(executor *ex, task *t, char *lost)
{
    t->exec_data = NULL;
    free(t->lost);
    t->lost = lost;
    push_task(&ex->failed, &ex->nfailed, &ex->capfailed, t);
    uv_timer_start(&ex->timer, failed_fire, 0, 0);
}

static void idle_remove(executor *ex, worker *w)
{
    for (worker **p = &ex->idle; *p; p = &(*p)->next_idle) {
        if (*p == w) {
            *p = w->next_idle;
            w->next_idle = NULL;
            return;
        }
    }
}

/* A worker is free: a task that waited gets it, else it joins the idle
 * stack. */
static void worker_idle(worker *w)
{
    executor *ex = w->ex;
    if (ex->nwaiting > 0) {
        task *t = ex->waiting[0];
        memmove(ex->waiting, ex->waiting + 1, --ex->nwaiting * sizeof *ex->waiting);
        worker_dispatch(w, t);
        return;
    }
    w->next_idle = ex->idle;
    ex->idle = w;
}

/* ------------------------------------------------------------------ */
/* Writing frames                                                      */
/* ------------------------------------------------------------------ */

typedef struct write_req {
    uv_write_t req;
    char data[];
} write_req;

static void write_done(uv_write_t *req, int status)
{
    (void)status; /* a dead worker is reported by its exit */
    free(req);
}

/* Send bytes on the worker's socket: straight away when the socket takes
 * them (the common case: one syscall, no copy), else queued. */
static void worker_send(worker *w, const char *buf, size_t len)
{
    if (w->exited || w->sock_done || uv_is_closing((uv_handle_t *)&w->sock))
        return;
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
    int n = uv_try_write((uv_stream_t *)&w->sock, &b, 1);
    if (n == (int)len)
        return;
    if (n < 0 && n != UV_EAGAIN)
        return; /* the worker is gone: its exit tells the task */
    size_t sent = n > 0 ? (size_t)n : 0;
    write_req *req = xmalloc(sizeof *req + len - sent);
    memcpy(req->data, buf + sent, len - sent);
    b = uv_buf_init(req->data, (unsigned)(len - sent));
    if (uv_write(&req->req, (uv_stream_t *)&w->sock, &b, 1, write_done) < 0)
        free(req);
}

/* ------------------------------------------------------------------ */
/* stdout and stderr: lines                                            */
/* ------------------------------------------------------------------ */

static void line_emit(outpipe *op, const char *text, size_t len)
{
    worker *w = op->w;
    task *t = w->task;
    long item = t != NULL && t->ncalls == 1 ? t->calls[0].item : -1;
    int level = op->stream == DAPT_STREAM_STDERR ? DAPT_LOG_WARNING : DAPT_LOG_INFO;
    run_task_line(w->ex->run, t, item, op->stream, level, text, len);
}

/* Split what a pipe gave into lines; the end of a line that has not come
 * yet waits in `partial`. */
static void out_data(outpipe *op, const char *data, size_t n)
{
    if (op->w->ex->closing)
        return; /* the run is over: nobody listens */
    worker *w = op->w;
    task *t = w->task;
    long item = t != NULL && t->ncalls == 1 ? t->calls[0].item : -1;
    int level = op->stream == DAPT_STREAM_STDERR ? DAPT_LOG_WARNING : DAPT_LOG_INFO;
    run_task_text(w->ex->run, t, item, op->stream, level, data, n, &op->partial, LINE_MAX_BYTES);
}

/* A line without its newline ends with its task (or its pipe). */
static void out_flush_partial(outpipe *op)
{
    if (op->partial.len > 0 && !op->w->ex->closing)
        line_emit(op, op->partial.buf, op->partial.len);
    op->partial.len = 0;
}

static void out_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    outpipe *op = (outpipe *)h; /* the pipe is its first member */
    *buf = uv_buf_init(op->w->ex->readbuf, sizeof op->w->ex->readbuf);
}

static void out_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void resume_out(outpipe *op)
{
    if (op->paused && !uv_is_closing((uv_handle_t *)&op->pipe))
        uv_read_start((uv_stream_t *)&op->pipe, out_alloc, out_read);
    op->paused = false;
}

/* The next turn: the paused pipes read again. */
static void resume_fire(uv_idle_t *idle)
{
    executor *ex = idle->data;
    uv_idle_stop(idle);
    for (size_t i = 0; i < ex->nslots; i++) {
        worker *w = ex->slots[i];
        if (w != NULL) {
            resume_out(&w->out);
            resume_out(&w->err);
        }
    }
}

static void out_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    outpipe *op = (outpipe *)s;
    if (n > 0) {
        out_data(op, buf->base, (size_t)n);
        op->turn += (size_t)n;
        if (op->turn >= YIELD_BYTES && !op->w->ex->closing) {
            op->turn = 0;
            op->paused = true;
            uv_read_stop(s);
            uv_idle_start(&op->w->ex->resume, resume_fire);
        }
    } else if (n < 0) {
        uv_read_stop(s);
        out_flush_partial(op);
    }
}

/* Read what the pipe holds now, past libuv (which would deliver it only
 * on a later turn of the loop): the worker flushed its output before it
 * said `done`, so this output belongs to the task that is ending. */
static void out_drain(outpipe *op)
{
    uv_os_fd_t fd;
    if (uv_is_closing((uv_handle_t *)&op->pipe) || uv_fileno((uv_handle_t *)&op->pipe, &fd) < 0)
        return;
    char *buf = op->w->ex->readbuf;
    for (;;) {
        ssize_t n = read(fd, buf, READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        out_data(op, buf, (size_t)n);
        if ((size_t)n < READ_CHUNK)
            break;
    }
}

/* ------------------------------------------------------------------ */
/* Frames from the worker                                              */
/* ------------------------------------------------------------------ */

/* The worker broke the protocol: it is killed, and the task it held says
 * why. */
static void worker_broken(worker *w, char *why)
{
    if (w->broken == NULL)
        w->broken = xasprintf("worker process %ld broke the protocol: %s", w->pid, why);
    free(why);
    w->sock_done = true;
    if (!uv_is_closing((uv_handle_t *)&w->sock))
        uv_read_stop((uv_stream_t *)&w->sock);
    if (!w->exited)
        worker_kill_group(w);
}

static int frame_results(worker *w, task *t, const json_t *r)
{
    size_t i;
    json_t *e;
    json_array_foreach(r, i, e) {
        if (w->next_result >= t->ncalls)
            return -1;
        task_call *c = &t->calls[w->next_result];
        json_t *item = json_array_get(e, 0), *value = json_array_get(e, 2);
        if (!json_is_integer(item) || json_integer_value(item) != c->item || value == NULL ||
            c->done)
            return -1;
        w->next_result++;
        c->done = true;
        if (json_integer_value(json_array_get(e, 1)) == 1) {
            c->value = json_incref(value);
        } else {
            const char *msg = json_string_value(value);
            c->error = xstrdup(msg ? msg : "failed (no message given)");
        }
    }
    return 0;
}

static void frame_object(worker *w, const json_t *msg)
{
    json_t *reply = NULL, *answer;
    char *error = NULL;
    if (run_object_request(w->ex->run, json_object_get(msg, "req"), &reply, &error) == 0)
        answer = json_pack("{s:s, s:b, s:o}", "op", "reply", "ok", 1, "value",
                           reply ? reply : json_null());
    else
        answer = json_pack("{s:s, s:b, s:s}", "op", "reply", "ok", 0, "error",
                           error ? error : "the object store request failed");
    free(error);
    strbuf *sb = &w->ex->send;
    sb->len = 0;
    if (wire_append(sb, answer) < 0) {
        json_decref(answer);
        answer = json_pack("{s:s, s:b, s:s}", "op", "reply", "ok", 0, "error",
                           "the value is too large to send to the worker (over 256 MiB)");
        wire_append(sb, answer);
    }
    json_decref(answer);
    worker_send(w, sb->buf, sb->len);
}

/* The task's every call was answered and its output read to the end.
 * The worker is free before run.c hears of it, so the successor run.c
 * submits at once lands on this same, awake worker. */
static void task_complete(worker *w)
{
    task *t = w->task;
    out_flush_partial(&w->out);
    out_flush_partial(&w->err);
    w->task = NULL;
    t->exec_data = NULL;
    w->ran = true;
    w->ex->fast = clock_mono_us() - w->sent_at < 2 * SPIN_US;
    w->ex->start_deaths = 0;
    if (!w->exited && !w->sock_done)
        worker_idle(w);
    run_task_done(w->ex->run, t, false);
}

/* A log frame's stream: "s" says the line was written to stdout or
 * stderr (a Python worker's print); absent, it is a log record. */
static dapt_stream log_stream(const char *s)
{
    if (s != NULL && strcmp(s, "stdout") == 0)
        return DAPT_STREAM_STDOUT;
    if (s != NULL && strcmp(s, "stderr") == 0)
        return DAPT_STREAM_STDERR;
    return DAPT_STREAM_LOG;
}

/* One frame; -1 after a protocol error (the worker is then killed). */
static int worker_frame(worker *w, json_t *msg)
{
    const char *op = json_string_value(json_object_get(msg, "op"));
    task *t = w->task;
    bool mine = t != NULL && json_integer_value(json_object_get(msg, "id")) == (json_int_t)t->id;
    if (op != NULL && strcmp(op, "log") == 0) {
        /* a line written outside a call (a thread of the stage's that
         * prints after it returned) is the worker's, as its stdout is */
        json_t *text = json_object_get(msg, "text");
        if (!w->ex->closing)
            run_task_line(w->ex->run, mine ? t : NULL,
                          mine ? (long)json_integer_value(json_object_get(msg, "i")) : -1,
                          log_stream(json_string_value(json_object_get(msg, "s"))),
                          (int)json_integer_value(json_object_get(msg, "level")),
                          json_string_value(text) ? json_string_value(text) : "",
                          json_string_length(text));
        return 0;
    }
    if (op == NULL || !mine) {
        worker_broken(w, xasprintf("a frame `%s` for no task it runs", op ? op : "?"));
        return -1;
    }
    if (strcmp(op, "result") == 0) {
        if (frame_results(w, t, json_object_get(msg, "r")) < 0) {
            worker_broken(w, xstrdup("results that do not match the calls"));
            return -1;
        }
    } else if (strcmp(op, "done") == 0) {
        task_finish(w);
    } else if (strcmp(op, "object") == 0) {
        frame_object(w, msg);
    } else {
        worker_broken(w, xasprintf("an unknown frame `%s`", op));
        return -1;
    }
    return 0;
}

static void finishing_remove(executor *ex, worker *w)
{
    for (worker **p = &ex->finishing; *p; p = &(*p)->next_finishing) {
        if (*p == w) {
            *p = w->next_finishing;
            if (*p == NULL)
                ex->finishing_tail = p;
            break;
        }
    }
    w->next_finishing = NULL;
    w->finishing = false;
}

/* The check phase comes after every read of this turn of the loop: the
 * worker flushed its stdout and stderr before it said `done`, so when
 * epoll saw `done` it saw that output too, and libuv has read it by now.
 * The task's lines are all its own without a read(2) more per task. */
static void finishing_fire(uv_check_t *check)
{
    executor *ex = check->data;
    uv_check_stop(check);
    while (ex->finishing != NULL && !ex->closing) {
        worker *w = ex->finishing;
        finishing_remove(ex, w);
        /* the worker flushed its output before it said done: what a
         * paused pipe (or a burst bigger than one turn) still holds is
         * this task's */
        out_drain(&w->out);
        out_drain(&w->err);
        if (w->task != NULL)
            task_complete(w);
    }
}

static void task_finish(worker *w)
{
    executor *ex = w->ex;
    w->finishing = true;
    *ex->finishing_tail = w;
    ex->finishing_tail = &w->next_finishing;
    uv_check_start(&ex->check, finishing_fire);
}

static void worker_frames(worker *w)
{
    while (!w->sock_done && !w->ex->closing) {
        json_t *msg;
        char *error = NULL;
        int rc = wire_reader_next(&w->rd, &msg, &error);
        if (rc == 0)
            break;
        if (rc < 0) {
            worker_broken(w, error);
            break;
        }
        rc = worker_frame(w, msg);
        json_decref(msg);
        if (rc < 0)
            break;
    }
}

static void sock_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    worker *w = h->data;
    size_t room;
    char *p = wire_reader_space(&w->rd, READ_CHUNK, &room);
    *buf = uv_buf_init(p, (unsigned)(room > UINT32_MAX ? UINT32_MAX : room));
}

static void sock_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    worker *w = s->data;
    if (n > 0) {
        wire_reader_commit(&w->rd, (size_t)n);
        worker_frames(w);
    } else if (n < 0) {
        /* EOF: the worker is exiting; its exit status says why */
        w->sock_done = true;
        uv_read_stop(s);
    }
}

/* Frames the worker sent before it died (its last results may be there). */
static void sock_drain(worker *w)
{
    uv_os_fd_t fd;
    if (w->sock_done || uv_fileno((uv_handle_t *)&w->sock, &fd) < 0)
        return;
    for (;;) {
        size_t room;
        char *p = wire_reader_space(&w->rd, READ_CHUNK, &room);
        ssize_t n = read(fd, p, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        wire_reader_commit(&w->rd, (size_t)n);
    }
    worker_frames(w);
}

/* ------------------------------------------------------------------ */
/* Worker life                                                         */
/* ------------------------------------------------------------------ */

static void executor_free(uv_handle_t *h);

static void handle_closed(uv_handle_t *h)
{
    worker *w = h->data;
    if (--w->handles > 0)
        return;
    executor *ex = w->ex;
    strbuf_free(&w->out.partial);
    strbuf_free(&w->err.partial);
    wire_reader_free(&w->rd);
    free(w->broken);
    free(w);
    if (--ex->live == 0 && ex->closing)
        uv_close((uv_handle_t *)&ex->timer, executor_free);
}

static void close_handle(worker *w, uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, handle_closed);
    (void)w;
}

/* Close what is left of a worker whose process is gone. */
static void worker_close(worker *w)
{
    executor *ex = w->ex;
    if (ex->slots[w->slot] == w)
        ex->slots[w->slot] = NULL;
    idle_remove(ex, w);
    close_handle(w, (uv_handle_t *)&w->sock);
    close_handle(w, (uv_handle_t *)&w->out.pipe);
    close_handle(w, (uv_handle_t *)&w->err.pipe);
    close_handle(w, (uv_handle_t *)&w->proc);
}

/* A slot lost its worker: start another (not when closing, not when they
 * keep dying at start). */
static void slot_refill(executor *ex, size_t slot, const char *last_death)
{
    if (ex->closing || ex->broken != NULL)
        return;
    if (ex->start_deaths >= START_DEATHS_MAX) {
        ex->broken = xasprintf("worker processes keep dying before they run anything (the "
                               "last one %s)",
                               last_death);
    } else {
        char *error = NULL;
        if (worker_spawn(ex, slot, &error) == 0)
            return;
        ex->broken = error;
    }
    /* nothing can run what waits */
    if (ex->slots != NULL) {
        for (size_t i = 0; i < ex->nslots; i++)
            if (ex->slots[i] != NULL)
                return; /* others still work */
    }
    while (ex->nwaiting > 0)
        task_fail_later(ex, ex->waiting[--ex->nwaiting], xstrdup(ex->broken));
}

static void worker_exited(uv_process_t *proc, int64_t status, int sig)
{
    worker *w = proc->data;
    executor *ex = w->ex;
    w->exited = true;
    worker_kill_group(w); /* what its stages left running */
    if (ex->closing) {
        worker_close(w);
        return;
    }
    /* what it sent and wrote before it died comes first */
    sock_drain(w);
    out_drain(&w->out);
    out_drain(&w->err);
    if (w->finishing) {
        /* it said done before it died: the task is complete */
        finishing_remove(ex, w);
        task_complete(w);
    }
    out_flush_partial(&w->out);
    out_flush_partial(&w->err);

    char *reason = death_reason(status, sig);
    char *what = xasprintf("worker process %ld %s", w->pid, reason);
    free(reason);
    task *t = w->task;
    if (t != NULL) {
        free(t->lost);
        t->lost = w->broken ? xstrdup(w->broken) : xstrdup(what);
        t->exec_data = NULL;
        w->task = NULL;
    } else {
        if (!w->ran)
            ex->start_deaths++;
        run_task_line(ex->run, NULL, -1, DAPT_STREAM_ENGINE, DAPT_LOG_WARNING, what,
                      strlen(what));
    }
    size_t slot = w->slot;
    worker_close(w);
    slot_refill(ex, slot, what);
    free(what);
    if (t != NULL)
        run_task_done(ex->run, t, false);
}

static int worker_spawn(executor *ex, size_t slot, char **error)
{
    int sv[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1};
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(outp, O_CLOEXEC) < 0 ||
        pipe2(errp, O_CLOEXEC) < 0) {
        *error = xasprintf("cannot start a worker process: %s", strerror(errno));
        int fds[] = {sv[0], sv[1], outp[0], outp[1], errp[0], errp[1]};
        for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        return -1;
    }
    /* best effort: a user over the kernel's pipe budget keeps 64 KiB */
    fcntl(outp[0], F_SETPIPE_SZ, PIPE_BYTES);
    fcntl(errp[0], F_SETPIPE_SZ, PIPE_BYTES);
    worker *w = xcalloc(1, sizeof *w);
    w->ex = ex;
    w->slot = slot;
    w->out.w = w->err.w = w;
    w->out.stream = DAPT_STREAM_STDOUT;
    w->err.stream = DAPT_STREAM_STDERR;
    uv_pipe_init(ex->loop, &w->sock, 0);
    uv_pipe_init(ex->loop, &w->out.pipe, 0);
    uv_pipe_init(ex->loop, &w->err.pipe, 0);
    w->sock.data = w;
    w->proc.data = w;
    w->out.pipe.data = w;
    w->err.pipe.data = w;
    w->handles = 4;
    uv_pipe_open(&w->sock, sv[0]);
    uv_pipe_open(&w->out.pipe, outp[0]);
    uv_pipe_open(&w->err.pipe, errp[0]);

    uv_stdio_container_t stdio[4];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_INHERIT_FD;
    stdio[1].data.fd = outp[1];
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = errp[1];
    stdio[3].flags = UV_INHERIT_FD;
    stdio[3].data.fd = sv[1];
    uv_process_options_t opts;
    memset(&opts, 0, sizeof opts);
    opts.file = ex->argv[0];
    opts.args = ex->argv;
    opts.env = ex->env;
    opts.exit_cb = worker_exited;
    opts.stdio = stdio;
    opts.stdio_count = 4;
    opts.flags = UV_PROCESS_DETACHED; /* setsid: its own process group */
    int rc = uv_spawn(ex->loop, &w->proc, &opts);
    close(sv[1]);
    close(outp[1]);
    close(errp[1]);
    ex->live++;
    if (rc < 0) {
        *error = xasprintf("cannot start the worker process %s: %s", ex->argv[0],
                           uv_strerror(rc));
        w->exited = true;
        close_handle(w, (uv_handle_t *)&w->sock);
        close_handle(w, (uv_handle_t *)&w->out.pipe);
        close_handle(w, (uv_handle_t *)&w->err.pipe);
        close_handle(w, (uv_handle_t *)&w->proc);
        return -1;
    }
    w->pid = (long)w->proc.pid;
    ex->slots[slot] = w;
    uv_read_start((uv_stream_t *)&w->sock, sock_alloc, sock_read);
    uv_read_start((uv_stream_t *)&w->out.pipe, out_alloc, out_read);
    uv_read_start((uv_stream_t *)&w->err.pipe, out_alloc, out_read);
    worker_send(w, ex->hello.buf, ex->hello.len);
    worker_idle(w);
    return 0;
}

/* ------------------------------------------------------------------ */
/* executor_ops                                                        */
/* ------------------------------------------------------------------ */

/* The call frame of a task (see worker.c).  -1 when it cannot be encoded:
 * an argument that is not JSON, or more than WIRE_MAX. */
static int frame_key(strbuf *sb, const char *key, const char *value)
{
    strbuf_puts(sb, key);
    if (value)
        return wire_put_string(sb, value);
    strbuf_add(sb, "null", 4);
    return 0;
}

/* {op: call, id, so, target, stage, plugin, plugin_dir, attempt, kwargs,
 * calls: [[ITEM, ARGS], ...]}, written straight into the buffer. */
static int call_frame(strbuf *sb, const task *t)
{
    char num[48];
    sb->len = 0;
    size_t start = wire_begin(sb);
    snprintf(num, sizeof num, "{\"op\":\"call\",\"id\":%" PRIu64, (uint64_t)t->id);
    strbuf_puts(sb, num);
    int rc = 0;
    rc |= frame_key(sb, ",\"so\":", t->so);
    rc |= frame_key(sb, ",\"target\":", t->target_path);
    rc |= frame_key(sb, ",\"stage\":", t->stage_name);
    rc |= frame_key(sb, ",\"plugin\":", t->plugin);
    rc |= frame_key(sb, ",\"plugin_dir\":", t->plugin_dir);
    snprintf(num, sizeof num, ",\"attempt\":%d,\"kwargs\":", t->attempt);
    strbuf_puts(sb, num);
    if (rc == 0 && t->kwargs)
        rc = wire_put_value(sb, t->kwargs);
    else if (rc == 0)
        strbuf_add(sb, "{}", 2);
    strbuf_puts(sb, ",\"calls\":[");
    for (size_t i = 0; i < t->ncalls && rc == 0; i++) {
        snprintf(num, sizeof num, "%s[%lld,", i ? "," : "", (long long)t->calls[i].item);
        strbuf_puts(sb, num);
        if (t->calls[i].args)
            rc = wire_put_value(sb, t->calls[i].args);
        else
            strbuf_add(sb, "[]", 2);
        strbuf_putc(sb, ']');
    }
    strbuf_add(sb, "]}", 2);
    return wire_end(sb, start, rc);
}

static void worker_dispatch(worker *w, task *t)
{
    executor *ex = w->ex;
    if (call_frame(&ex->send, t) < 0) {
        task_fail_later(ex, t,
                        xstrdup("the stage's arguments cannot be sent to a worker process (not "
                                "JSON, or over 256 MiB)"));
        worker_idle(w);
        return;
    }
    w->task = t;
    w->next_result = 0;
    t->exec_data = w;
    w->sent_at = clock_mono_us();
    worker_send(w, ex->send.buf, ex->send.len);
    if (ex->fast)
        spin_start(ex);
}

/* While the idle handle is active, libuv polls with a zero timeout: the
 * answer is read as soon as it is there, with no wakeup to wait for.  It
 * stops by itself once SPIN_US passed without one. */
static void spin_fire(uv_idle_t *idle)
{
    executor *ex = idle->data;
    if (ex->closing || clock_mono_us() >= ex->spin_until)
        uv_idle_stop(idle);
    else
        sched_yield(); /* the worker may be waiting for this very CPU */
}

static void spin_start(executor *ex)
{
    ex->spin_until = clock_mono_us() + SPIN_US;
    uv_idle_start(&ex->spin, spin_fire);
}

static void process_submit(struct executor *ex, task *t)
{
    worker *w = ex->idle;
    if (w != NULL) {
        ex->idle = w->next_idle;
        w->next_idle = NULL;
        worker_dispatch(w, t);
    } else if (ex->broken != NULL) {
        task_fail_later(ex, t, xstrdup(ex->broken));
    } else {
        /* a worker is being replaced: the task waits for it */
        push_task(&ex->waiting, &ex->nwaiting, &ex->capwaiting, t);
    }
}

static void process_stop(struct executor *ex, task *t, bool kill)
{
    worker *w = t->exec_data;
    if (w == NULL) {
        /* not sent yet: it will not be */
        for (size_t i = 0; i < ex->nwaiting; i++) {
            if (ex->waiting[i] == t) {
                memmove(ex->waiting + i, ex->waiting + i + 1,
                        (--ex->nwaiting - i) * sizeof *ex->waiting);
                task_fail_later(ex, t, xstrdup("cancelled before a worker process took it"));
                break;
            }
        }
        return;
    }
    if (w->exited)
        return;
    if (kill) {
        worker_kill_group(w);
        return;
    }
    if (ex->cancel_frame) {
        /* after the call frame on the same socket: it always finds its task */
        json_t *msg = json_pack("{s:s, s:I}", "op", "cancel", "id", (json_int_t)t->id);
        strbuf *sb = &ex->send;
        sb->len = 0;
        if (msg != NULL && wire_append(sb, msg) == 0)
            worker_send(w, sb->buf, sb->len);
        json_decref(msg);
        return;
    }
    /* SIGTERM with the task's id: the worker stops this task only */
    union sigval v = {.sival_int = (int)t->id};
    if (sigqueue(w->proc.pid, SIGTERM, v) < 0)
        uv_process_kill(&w->proc, SIGTERM);
}

static char **strv_copy(char *const *v)
{
    size_t n = 0;
    while (v[n] != NULL)
        n++;
    char **c = xcalloc(n + 1, sizeof *c);
    for (size_t i = 0; i < n; i++)
        c[i] = xstrdup(v[i]);
    return c;
}

static int process_start(struct executor **out, const executor_config *cfg, char **error)
{
    char **argv;
    if (cfg->worker_argv != NULL && cfg->worker_argv[0] != NULL) {
        argv = strv_copy(cfg->worker_argv);
    } else {
        argv = xcalloc(4, sizeof *argv);
        argv[0] = cfg->worker_path ? xstrdup(cfg->worker_path) : libexec_path("dapt-worker");
        argv[1] = xstrdup("--fd");
        argv[2] = xstrdup("3");
    }
    /* the usual failure, found before any handle exists (the caller's
     * loop need not run to undo anything) */
    if (access(argv[0], X_OK) < 0) {
        *error = xasprintf("cannot start the worker process %s: %s", argv[0],
                           uv_strerror(uv_translate_sys_error(errno)));
        runtime_strv_free(argv);
        *out = NULL;
        return -1;
    }
    /* A worker that dies while a frame is on its way must cost a write an
     * EPIPE, not the engine its life (libuv writes with write(2), which
     * raises SIGPIPE).  Programs stages start get the default back (exec
     * keeps only ignored signals ignored: dapt.shell resets it). */
    struct sigaction pipe_action;
    if (sigaction(SIGPIPE, NULL, &pipe_action) == 0 && pipe_action.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);
    executor *ex = xcalloc(1, sizeof *ex);
    ex->loop = cfg->loop;
    ex->run = cfg->run;
    ex->argv = argv;
    ex->env = cfg->worker_env ? strv_copy(cfg->worker_env) : NULL;
    ex->cancel_frame = cfg->cancel_frame;
    ex->nslots = cfg->workers > 0 ? (size_t)cfg->workers : 1;
    ex->slots = xcalloc(ex->nslots, sizeof *ex->slots);
    uv_timer_init(ex->loop, &ex->timer);
    ex->timer.data = ex;
    uv_idle_init(ex->loop, &ex->spin);
    ex->spin.data = ex;
    uv_idle_init(ex->loop, &ex->resume);
    ex->resume.data = ex;
    uv_check_init(ex->loop, &ex->check);
    ex->check.data = ex;
    ex->finishing_tail = &ex->finishing;
    ex->fast = true;

    json_t *info = ex->run ? run_info_to_json(run_get_info(ex->run)) : NULL;
    json_t *hello = json_pack("{s:s, s:o}", "op", "hello", "run", info ? info : json_object());
    int rc = hello ? wire_append(&ex->hello, hello) : -1;
    json_decref(hello);
    if (rc < 0) {
        *error = xstrdup("the run's context cannot be sent to worker processes (over 256 MiB?)");
    } else {
        for (size_t i = 0; i < ex->nslots && rc == 0; i++)
            rc = worker_spawn(ex, i, error);
    }
    *out = (struct executor *)ex;
    if (rc == 0)
        return 0;
    /* stop what started; the loop finishes closing it */
    exec_process_ops.close((struct executor *)ex, NULL, NULL);
    *out = NULL;
    return -1;
}

static void executor_free(uv_handle_t *h)
{
    executor *ex = h->data;
    void (*done)(void *) = ex->done;
    void *data = ex->done_data;
    runtime_strv_free(ex->argv);
    runtime_strv_free(ex->env);
    strbuf_free(&ex->hello);
    strbuf_free(&ex->send);
    free(ex->slots);
    free(ex->waiting);
    free(ex->failed);
    free(ex->broken);
    free(ex);
    if (done != NULL)
        done(data);
}

static void grace_over(uv_timer_t *timer)
{
    executor *ex = timer->data;
    for (size_t i = 0; i < ex->nslots; i++) {
        worker *w = ex->slots[i];
        if (w != NULL && !w->exited)
            worker_kill_group(w);
    }
}

static void process_close(struct executor *exp, void (*done)(void *data), void *data)
{
    executor *ex = (executor *)exp;
    ex->closing = true;
    uv_close((uv_handle_t *)&ex->spin, NULL);
    uv_close((uv_handle_t *)&ex->resume, NULL);
    uv_close((uv_handle_t *)&ex->check, NULL);
    ex->done = done;
    ex->done_data = data;
    ex->idle = NULL;
    ex->nwaiting = ex->nfailed = 0;
    uv_timer_stop(&ex->timer);
    for (size_t i = 0; i < ex->nslots; i++) {
        worker *w = ex->slots[i];
        if (w == NULL)
            continue;
        /* EOF on its socket is a worker's order to exit */
        close_handle(w, (uv_handle_t *)&w->sock);
    }
    /* the handle closing last frees the executor */
    if (ex->live == 0)
        uv_close((uv_handle_t *)&ex->timer, executor_free);
    else
        uv_timer_start(&ex->timer, grace_over, CLOSE_GRACE_MS, 0);
}

const executor_ops exec_process_ops = {
    .name = "process",
    .start = process_start,
    .submit = process_submit,
    .stop = process_stop,
    .close = process_close,
};
