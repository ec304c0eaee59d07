/*
 * worker.c - the loop of a dapt-worker process: frames in from the engine
 * over a socketpair (wire.c), stage calls run here, frames back.
 *
 *   engine -> worker   hello {run}, call {id, so, target, ..., calls},
 *                      reply {ok, value|error} (to our one object request)
 *   worker -> engine   log, result {id, r: [[ITEM, 1, VALUE] | [ITEM, 0,
 *                      ERROR], ...]}, done {id}, object {id, req}
 *
 * Speed comes from doing little per call: results of a batch are sent
 * every FLUSH_CALLS calls or FLUSH_US of work, the last results and
 * `done` leave in one write, and frames are read 64 KiB at a time.
 * SIGTERM only sets the flag stages see as dapt_ctx_cancelled(); the
 * engine kills (SIGKILL) what does not stop.  EOF on the socket is the
 * order to exit.
 *
 * The worker leads its process group and is a subreaper (dapt-worker.c):
 * when a call ends, and before the worker exits, every process its stages
 * left (its children, what they left to us, its group) is killed.  SIGHUP
 * (dapt-worker asks for it when the engine dies) cancels the running call
 * and, DEATH_GRACE_S later, kills the whole group, worker included.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

/* Send a batch's results at least this often. */
#define FLUSH_CALLS 256
#define FLUSH_US 50000
/* After answering a task, the worker polls its socket this long before
 * it sleeps in read(2): the engine's next call (a chain's next stage, a
 * map's next batch) usually comes sooner, and waking a sleeping process
 * on another CPU costs tens of microseconds on some machines (VMs most). */
#define SPIN_US 100
/* stdout is fully buffered (flushed after each call): a stage writing
 * many lines costs a write per 64 KiB, not per line.  A thread flushes it
 * every FLUSH_STDOUT_MS while a call runs, so the lines of a long stage
 * still show as it goes. */
#define STDOUT_BUFFER (64 * 1024)
#define FLUSH_STDOUT_MS 100
/* After the engine died (SIGHUP): how long the call has to stop (dapt.shell
 * stops its program) before the group is killed. */
#define DEATH_GRACE_S 2
/* Rounds of killing what a call left: each may free grandchildren to us. */
#define REAP_ROUNDS 64

/* Set by SIGTERM: the running call should stop.  host_ctx reads it. */
static volatile sig_atomic_t worker_cancel;
/* The engine stops a task with sigqueue(SIGTERM, task id): the id says
 * which task it means, so a stop that overtakes its call frame (sent just
 * before) still applies when the frame is read, and a late one never hits
 * the next task.  A plain SIGTERM (kill(1)) stops whatever runs. */
static volatile sig_atomic_t worker_task_id = -1;
static volatile sig_atomic_t worker_stop_id = -1;
/* Set while a stage function runs (the flusher thread reads it). */
static volatile int worker_in_call;

typedef struct worker {
    int fd;
    wire_reader in;
    strbuf out;       /* frames not yet written */
    bool dead;        /* the engine is gone (write or read failed) */
    bool fd_closed;   /* ...because the socket was closed under us (a stage) */
    run_info run;
    json_int_t id;    /* the call frame being served */
    int64_t spin_until; /* poll the socket until then before sleeping */
    json_t *results;  /* [[ITEM, ok, VALUE|ERROR], ...] not yet in `out` */
    host_sink sink;
} worker;

static void on_term(int sig, siginfo_t *info, void *uctx)
{
    (void)sig;
    (void)uctx;
    if (info != NULL && info->si_code == SI_QUEUE) {
        int id = info->si_value.sival_int;
        worker_stop_id = id;
        if (id == worker_task_id)
            worker_cancel = 1;
        return;
    }
    worker_cancel = 1;
}

/* The engine is gone: stop the call now, the whole group soon. */
static void on_hup(int sig)
{
    (void)sig;
    worker_cancel = 1;
    alarm(DEATH_GRACE_S);
}

static void on_alarm(int sig)
{
    (void)sig;
    kill(-getpgrp(), SIGKILL);
    _exit(1);
}

/* SIGINT is caught, not ignored: an ignored signal stays ignored in the
 * programs stages start, a caught one goes back to its default there. */
static void on_int(int sig)
{
    (void)sig;
}

/* Cancelled only while it sleeps: never inside fflush, where it holds
 * the stream's lock. */
static void *stdout_flusher(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec ts = {0, FLUSH_STDOUT_MS * 1000000L};
        pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
        nanosleep(&ts, NULL); /* a cancellation point */
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
        if (__atomic_load_n(&worker_in_call, __ATOMIC_RELAXED))
            fflush(stdout); /* stdio locks the stream against the stage */
    }
    return NULL;
}

/* The flusher blocks every signal: SIGTERM is for the thread running the
 * stage (its sleeps end early, as the stage expects).  0 when it runs. */
static int flusher_start(pthread_t *thread)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(thread, NULL, stdout_flusher, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static void flusher_stop(pthread_t thread)
{
    pthread_cancel(thread);
    pthread_join(thread, NULL);
}

static void signals_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_SIGINFO;
    sa.sa_sigaction = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_int;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
}

/* SIGKILL to every process that is our child or in our process group
 * (but us).  /proc/PID/stat: "PID (COMM) STATE PPID PGRP ...". */
static void kill_left(pid_t self, pid_t group)
{
    DIR *d = opendir("/proc");
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0 || pid == self)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        FILE *f = fopen(path, "re");
        if (f == NULL)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *p = strrchr(buf, ')'); /* COMM may hold anything */
        long ppid, pgrp;
        char state;
        if (p != NULL && sscanf(p + 1, " %c %ld %ld", &state, &ppid, &pgrp) == 3 &&
            (ppid == self || pgrp == group))
            kill((pid_t)pid, SIGKILL);
    }
    closedir(d);
}

/* What the stages left running ends with their call: one waitpid tells
 * whether there is anything (the common case: nothing, ECHILD). */
static void reap_left(void)
{
    /* neither changes while the worker lives: asked once, not per call */
    static pid_t self, group;
    if (self == 0) {
        self = getpid();
        group = getpgrp();
    }
    bool leader = group == self;
    for (int round = 0; round < REAP_ROUNDS; round++) {
        pid_t r = waitpid(-1, NULL, WNOHANG);
        if (r > 0)
            continue;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return; /* no children: what we left in our group went with them */
        kill_left(self, leader ? group : -1);
        while (waitpid(-1, NULL, 0) < 0 && errno == EINTR)
            ;
    }
}

static void out_flush(worker *w)
{
    if (w->out.len > 0 && !w->dead && wire_send(w->fd, w->out.buf, w->out.len) < 0) {
        fprintf(stderr, "dapt-worker: cannot write to the engine: %s\n", strerror(errno));
        w->fd_closed = errno == EBADF || errno == ENOTSOCK;
        w->dead = true;
    }
    w->out.len = 0;
}

/* A frame we build ourselves: only strings we checked and integers, so
 * encoding cannot fail. */
static void out_frame(worker *w, json_t *msg)
{
    if (msg != NULL && wire_append(&w->out, msg) < 0)
        fprintf(stderr, "dapt-worker: cannot encode a frame\n");
    json_decref(msg);
}

/* Why a value cannot travel: for the item's error. */
static char *unsendable(const json_t *value)
{
    size_t n = json_dumpb(value, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
    if (n == 0)
        return xstrdup("the stage returned a value that cannot be written as JSON (a cycle, or a "
                       "string that is not UTF-8)");
    return xasprintf("the stage returned a value too large to send to the engine (%zu bytes, "
                     "the limit is %u)",
                     n, WIRE_MAX);
}

/* Move the pending results into `out` as result frames.  A value that
 * cannot be encoded (or a batch over WIRE_MAX) is found by sending the
 * results one by one; the bad ones become errors of their item. */
static void results_flush(worker *w)
{
    if (json_array_size(w->results) == 0)
        return;
    json_t *msg = json_pack("{s:s, s:I, s:O}", "op", "result", "id", w->id, "r", w->results);
    if (wire_append(&w->out, msg) < 0) {
        size_t i;
        json_t *entry;
        json_array_foreach(w->results, i, entry) {
            json_t *one = json_pack("{s:s, s:I, s:[O]}", "op", "result", "id", w->id, "r", entry);
            if (wire_append(&w->out, one) < 0) {
                char *why = unsendable(json_array_get(entry, 2));
                json_decref(one);
                one = json_pack("{s:s, s:I, s:[[O, i, s]]}", "op", "result", "id", w->id, "r",
                                json_array_get(entry, 0), 0, why);
                free(why);
                out_frame(w, json_incref(one));
            }
            json_decref(one);
        }
    }
    json_decref(msg);
    json_array_clear(w->results);
}

/* Read from the socket: polled without sleeping while spin_until is
 * ahead, then a blocking read.  As wire_reader_read. */
static long spin_read(worker *w)
{
    while (w->spin_until != 0 && clock_mono_us() < w->spin_until) {
        size_t room;
        char *p = wire_reader_space(&w->in, 64 * 1024, &room);
        ssize_t n = recv(w->fd, p, room, MSG_DONTWAIT);
        if (n > 0) {
            wire_reader_commit(&w->in, (size_t)n);
            return (long)n;
        }
        if (n == 0)
            return 0;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            break; /* not a socket (a test's pipe): just read */
        sched_yield(); /* the engine may be waiting for this very CPU */
    }
    w->spin_until = 0;
    return wire_reader_read(&w->in, w->fd);
}

/* The next frame: 1, 0 at EOF, -1 (said on stderr). */
static int next_frame(worker *w, json_t **msg)
{
    for (;;) {
        char *err = NULL;
        int rc = wire_reader_next(&w->in, msg, &err);
        if (rc == 1)
            return 1;
        if (rc < 0) {
            fprintf(stderr, "dapt-worker: %s\n", err);
            free(err);
            return -1;
        }
        long n = spin_read(w);
        if (n == 0 && w->in.len == w->in.pos)
            return 0;
        if (n == 0) {
            fprintf(stderr, "dapt-worker: the engine closed the connection inside a frame\n");
            return -1;
        }
        if (n < 0) {
            fprintf(stderr, "dapt-worker: cannot read from the engine: %s\n", strerror(errno));
            w->fd_closed = errno == EBADF || errno == ENOTSOCK;
            return -1;
        }
    }
}

/* A JSON string of text; bytes that are not UTF-8 become '?'. */
static json_t *text_string(const char *text)
{
    json_t *s = json_string(text);
    if (s != NULL)
        return s;
    char *copy = xstrdup(text);
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    s = json_string(copy);
    free(copy);
    return s;
}

static void sink_log(void *data, long item, int level, const char *text)
{
    worker *w = data;
    /* results first: the engine sees everything in the order it happened */
    results_flush(w);
    out_frame(w, json_pack("{s:s, s:I, s:I, s:i, s:o}", "op", "log", "id", w->id, "i",
                           (json_int_t)item, "level", level, "text", text_string(text)));
    out_flush(w);
}

static int sink_object(void *data, json_t *request, json_t **reply, char **error)
{
    worker *w = data;
    *reply = NULL;
    results_flush(w);
    json_t *msg = json_pack("{s:s, s:I, s:O}", "op", "object", "id", w->id, "req", request);
    int rc = wire_append(&w->out, msg);
    json_decref(msg);
    if (rc < 0) {
        *error = xstrdup("the value cannot be sent to the engine (it is not valid JSON, or "
                         "larger than 256 MiB)");
        return -1;
    }
    out_flush(w);
    json_t *answer = NULL;
    if (w->dead || next_frame(w, &answer) <= 0) {
        w->dead = true;
        *error = xstrdup("the engine closed the connection");
        return -1;
    }
    const char *op = json_string_value(json_object_get(answer, "op"));
    if (op == NULL || strcmp(op, "reply") != 0) {
        fprintf(stderr, "dapt-worker: expected a reply frame, got `%s`\n", op ? op : "?");
        w->dead = true;
        *error = xstrdup("the engine did not answer the object store request");
        rc = -1;
    } else if (json_is_true(json_object_get(answer, "ok"))) {
        json_t *value = json_object_get(answer, "value");
        *reply = json_incref(value ? value : json_null());
        rc = 0;
    } else {
        const char *msg_text = json_string_value(json_object_get(answer, "error"));
        *error = xstrdup(msg_text ? msg_text : "the object store request failed");
        rc = -1;
    }
    json_decref(answer);
    return rc;
}

static const char *field_string(const json_t *msg, const char *key)
{
    return json_string_value(json_object_get(msg, key));
}

static void add_result(worker *w, json_t *item, json_t *value, char *error)
{
    if (value != NULL)
        json_array_append_new(w->results, json_pack("[O, i, o]", item, 1, value));
    else
        json_array_append_new(w->results, json_pack("[O, i, s]", item, 0, error));
    free(error);
}

/* One call frame: every call of a task, answered in order, then done. */
static void worker_call(worker *w, const json_t *msg)
{
    w->id = json_integer_value(json_object_get(msg, "id"));
    /* a stop for the task before is spent; one for this task that came
     * before its frame counts */
    worker_task_id = (sig_atomic_t)w->id;
    worker_cancel = worker_stop_id == worker_task_id;
    const char *so = field_string(msg, "so"), *target = field_string(msg, "target");
    json_t *kwargs = json_object_get(msg, "kwargs"), *calls = json_object_get(msg, "calls");
    json_int_t attempt = json_integer_value(json_object_get(msg, "attempt"));
    json_t *no_kwargs = json_is_object(kwargs) ? NULL : json_object();
    if (no_kwargs != NULL)
        kwargs = no_kwargs;

    dapt_stage_fn fn = NULL;
    char *load_error = NULL;
    if (so == NULL || target == NULL)
        load_error = xstrdup("dapt-worker: a call without `so` or `target`");
    else
        loader_get(&fn, so, target, &load_error);

    host_ctx hc;
    host_ctx_init(&hc, &w->run, &w->sink, &worker_cancel);
    hc.stage = field_string(msg, "stage");
    hc.plugin = field_string(msg, "plugin");
    hc.plugin_dir = field_string(msg, "plugin_dir");

    int64_t last = clock_mono_us();
    size_t since = 0, i;
    json_t *call;
    json_array_foreach(calls, i, call) {
        if (w->dead)
            break;
        json_t *item = json_array_get(call, 0), *args = json_array_get(call, 1);
        json_t *no_item = json_is_integer(item) ? NULL : json_integer(-1);
        if (no_item != NULL)
            item = no_item;
        if (load_error != NULL) {
            add_result(w, item, NULL, xstrdup(load_error));
        } else if (worker_cancel) {
            add_result(w, item, NULL, xstrdup("cancelled"));
        } else {
            char *error = NULL;
            json_t *empty = json_is_array(args) ? NULL : json_array();
            __atomic_store_n(&worker_in_call, 1, __ATOMIC_RELAXED);
            json_t *value = host_call(&hc, fn, empty ? empty : args, kwargs,
                                      (long)json_integer_value(item), attempt > 0 ? (int)attempt : 1,
                                      &error);
            __atomic_store_n(&worker_in_call, 0, __ATOMIC_RELAXED);
            json_decref(empty);
            fflush(stdout);
            fflush(stderr);
            add_result(w, item, value, error);
        }
        json_decref(no_item);
        int64_t now = clock_mono_us();
        if (++since >= FLUSH_CALLS || now - last >= FLUSH_US) {
            results_flush(w);
            out_flush(w);
            since = 0;
            last = now;
        }
    }
    reap_left();
    results_flush(w);
    out_frame(w, json_pack("{s:s, s:I}", "op", "done", "id", w->id));
    out_flush(w);
    w->spin_until = clock_mono_us() + SPIN_US;
    host_ctx_clear(&hc);
    free(load_error);
    json_decref(no_kwargs);
}

static int worker_hello(worker *w, const json_t *msg)
{
    run_info_clear(&w->run);
    if (run_info_from_json(&w->run, json_object_get(msg, "run")) < 0) {
        fprintf(stderr, "dapt-worker: the hello frame has no run\n");
        return -1;
    }
    return 0;
}

int worker_main(int fd)
{
    signals_init();
    static char stdout_buffer[STDOUT_BUFFER];
    setvbuf(stdout, stdout_buffer, _IOFBF, sizeof stdout_buffer);
    pthread_t flusher;
    bool flushing = flusher_start(&flusher) == 0;

    worker w;
    memset(&w, 0, sizeof w);
    w.fd = fd;
    w.results = json_array();
    w.sink.log = sink_log;
    w.sink.object = sink_object;
    w.sink.data = &w;

    int status = 0;
    json_t *msg;
    int rc;
    while (!w.dead && (rc = next_frame(&w, &msg)) != 0) {
        if (rc < 0) {
            status = 1;
            break;
        }
        const char *op = field_string(msg, "op");
        if (op != NULL && strcmp(op, "call") == 0) {
            worker_call(&w, msg);
        } else if (op != NULL && strcmp(op, "hello") == 0) {
            if (worker_hello(&w, msg) < 0)
                status = 1;
        } else {
            fprintf(stderr, "dapt-worker: unexpected frame `%s`\n", op ? op : "(no op)");
            status = 1;
        }
        json_decref(msg);
        if (status != 0)
            break;
    }
    if (w.dead)
        status = 1;
    if (w.fd_closed)
        status = WORKER_EXIT_FD_CLOSED;
    if (flushing)
        flusher_stop(flusher);
    reap_left();
    fflush(stdout);
    json_decref(w.results);
    wire_reader_free(&w.in);
    strbuf_free(&w.out);
    run_info_clear(&w.run);
    return status;
}
