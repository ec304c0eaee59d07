/*
 * plugin-scan.c - the scanner: learn what plugin files declare without ever
 * running their code in the calling process.
 *
 * The caller (dapt, the studio, an embedder) forks a child; the child loads
 * the files one after the other and reports over a pipe: a "begin" record
 * before it touches file i, then a result record with the descriptor it
 * read (or why it could not).  The parent only reads (so a dead child
 * cannot SIGPIPE it), and the child only ever leaves through _exit() (it
 * never returns into the caller, nor flushes the caller's stdio buffers it
 * holds copies of, nor runs its atexit handlers).  When the child dies,
 * exits or runs out of time between a "begin" and its result, the file it
 * was loading is broken for that reason, and a new child goes on with the
 * next file.  GStreamer's plugin scanner works the same way; dapt forks
 * without exec because libdapt is also embedded, where there is no helper
 * binary to find.
 *
 * One child serves the whole batch (a cold scan of hundreds of plugins must
 * not pay a fork per file), and big batches are split between two children
 * to use both cores.  Cheap checks that need no plugin code (can the file be
 * read, is it ELF) happen in the parent before any fork.
 *
 * The wire format is private to this file and to one build of dapt (both
 * ends are the same binary): records of native-endian integers and
 * length-prefixed strings, read with bounds checks since the child ran
 * foreign code before writing them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "engine.h"

#define DEFAULT_TIMEOUT_MS 10000
/* Two children when the batch is big enough to repay the second fork. */
#define MAX_LANES 2
#define PARALLEL_MIN 32

enum {
    REC_BEGIN = 'B',  /* u32 index: loading starts */
    REC_RESULT = 'R', /* u32 index, u32 length, payload: what it declared */
};

#define NO_STRING UINT32_MAX

/* ------------------------------------------------------------------ */
/* Writing records (the child)                                          */
/* ------------------------------------------------------------------ */

static void put_u32(strbuf *sb, uint32_t v)
{
    strbuf_add(sb, (const char *)&v, sizeof v);
}

static void put_str(strbuf *sb, const char *s)
{
    if (s == NULL) {
        put_u32(sb, NO_STRING);
        return;
    }
    size_t n = strlen(s);
    put_u32(sb, (uint32_t)n);
    strbuf_add(sb, s, n);
}

static void put_target(strbuf *sb, const dapt_target_info *t)
{
    put_str(sb, t->path);
    put_u32(sb, (uint32_t)t->kind);
    put_u32(sb, t->flags);
    put_str(sb, t->doc);
    put_str(sb, t->returns);
    put_u32(sb, (uint32_t)t->param_count);
    for (size_t i = 0; i < t->param_count; i++) {
        const dapt_param_info *p = &t->params[i];
        put_str(sb, p->name);
        put_str(sb, p->type);
        put_u32(sb, p->required);
        put_str(sb, p->default_json);
        put_str(sb, p->doc);
    }
}

static void put_result(strbuf *sb, uint32_t index, const dapt_plugin_info *info)
{
    strbuf_putc(sb, REC_RESULT);
    put_u32(sb, index);
    size_t at = sb->len;
    put_u32(sb, 0); /* the length, patched below */
    put_u32(sb, (uint32_t)info->status);
    put_str(sb, info->error);
    put_u32(sb, info->abi_major);
    put_u32(sb, info->abi_minor);
    put_str(sb, info->name);
    put_str(sb, info->version);
    put_str(sb, info->description);
    put_str(sb, info->author);
    put_str(sb, info->license);
    put_str(sb, info->url);
    put_u32(sb, (uint32_t)info->requirement_count);
    for (size_t i = 0; i < info->requirement_count; i++)
        put_str(sb, info->requirements[i]);
    put_u32(sb, (uint32_t)info->target_count);
    for (size_t i = 0; i < info->target_count; i++)
        put_target(sb, &info->targets[i]);
    uint32_t len = (uint32_t)(sb->len - at - sizeof len);
    memcpy(sb->buf + at, &len, sizeof len);
}

/* ------------------------------------------------------------------ */
/* Reading records (the parent)                                         */
/* ------------------------------------------------------------------ */

typedef struct reader {
    const char *p;
    size_t left;
    bool bad; /* ran past the end or met nonsense: the record is garbled */
} reader;

static uint32_t get_u32(reader *r)
{
    uint32_t v = 0;
    if (r->left < sizeof v) {
        r->bad = true;
        r->left = 0;
        return 0;
    }
    memcpy(&v, r->p, sizeof v);
    r->p += sizeof v;
    r->left -= sizeof v;
    return v;
}

/* A string, or NULL when the writer sent none (or on garbage). */
static char *get_str_or_null(reader *r)
{
    uint32_t n = get_u32(r);
    if (n == NO_STRING || r->bad)
        return NULL;
    if (n > r->left) {
        r->bad = true;
        r->left = 0;
        return NULL;
    }
    char *s = xstrndup(r->p, n);
    r->p += n;
    r->left -= n;
    return s;
}

static char *get_str(reader *r)
{
    char *s = get_str_or_null(r);
    return s ? s : xstrdup("");
}

/* A count of items that take at least `min_size` bytes each: a garbled
 * count must not become a huge allocation. */
static size_t get_count(reader *r, size_t min_size)
{
    uint32_t n = get_u32(r);
    if (n > r->left / min_size) {
        r->bad = true;
        return 0;
    }
    return n;
}

static void get_param(reader *r, dapt_param_info *p)
{
    p->name = get_str(r);
    p->type = get_str(r);
    p->required = get_u32(r) != 0;
    p->default_json = get_str_or_null(r);
    p->doc = get_str(r);
}

static void get_target(reader *r, dapt_target_info *t)
{
    t->path = get_str(r);
    t->kind = (dapt_target_kind)get_u32(r);
    t->flags = get_u32(r);
    t->doc = get_str(r);
    t->returns = get_str(r);
    t->param_count = get_count(r, 5 * sizeof(uint32_t));
    t->params = t->param_count ? xcalloc(t->param_count, sizeof *t->params) : NULL;
    for (size_t i = 0; i < t->param_count; i++)
        get_param(r, &t->params[i]);
}

/* Decode a result payload into `info` (path, data_dir and id untouched).
 * -1 when garbled. */
static int get_result(reader *r, dapt_plugin_info *info)
{
    info->status = (dapt_plugin_status)get_u32(r);
    info->error = get_str_or_null(r);
    info->abi_major = get_u32(r);
    info->abi_minor = get_u32(r);
    info->name = get_str(r);
    info->version = get_str(r);
    info->description = get_str(r);
    info->author = get_str(r);
    info->license = get_str(r);
    info->url = get_str(r);
    info->requirement_count = get_count(r, sizeof(uint32_t));
    info->requirements =
        info->requirement_count ? xcalloc(info->requirement_count, sizeof(char *)) : NULL;
    for (size_t i = 0; i < info->requirement_count; i++)
        info->requirements[i] = get_str(r);
    info->target_count = get_count(r, 6 * sizeof(uint32_t));
    info->targets = info->target_count ? xcalloc(info->target_count, sizeof *info->targets) : NULL;
    for (size_t i = 0; i < info->target_count; i++)
        get_target(r, &info->targets[i]);
    if (info->status != DAPT_PLUGIN_OK && info->status != DAPT_PLUGIN_BROKEN)
        r->bad = true;
    if (info->status == DAPT_PLUGIN_BROKEN && info->error == NULL)
        r->bad = true;
    return r->bad || r->left != 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* The child                                                            */
/* ------------------------------------------------------------------ */

/* A plugin that calls exit() would otherwise run the caller's atexit
 * handlers and flush copies of its stdio buffers in the child: end at once
 * with the plugin's status instead.  Registered last, it runs first. */
static void child_on_exit(int status, void *arg)
{
    (void)arg;
    _exit(status);
}

/* Make the child a plain process: no terminal, default signal actions (a
 * crash must end it by its signal, not in a handler the caller installed),
 * nothing blocked, no core file from a crashing plugin, and gone with its
 * parent. */
static void child_setup(pid_t parent)
{
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    if (!plugin_scan_child_plain(parent))
        _exit(EXIT_FAILURE);
#ifdef __GLIBC__
    on_exit(child_on_exit, NULL);
#endif
}

bool plugin_scan_child_plain(pid_t parent)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &sa, NULL); /* fails harmlessly for KILL, STOP, reserved */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* it died before we asked */
        return false;
#endif
    (void)parent;
    return true;
}

/* Write all of `sb` and empty it; a broken pipe means the parent is gone. */
static void child_send(int fd, strbuf *sb)
{
    size_t done = 0;
    while (done < sb->len) {
        ssize_t n = write(fd, sb->buf + done, sb->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(EXIT_FAILURE);
        done += (size_t)n;
    }
    sb->len = 0;
}

static void child_load(dapt_plugin_info *info, const char *path)
{
    void *handle;
    const dapt_plugin_desc *desc;
    char *error = NULL;
    if (plugin_open(&handle, &desc, path, &error) == 0) {
        /* The library stays loaded: unloading would run more plugin code
         * (destructors) for nothing, and the child exits soon. */
        plugin_info_from_desc(info, desc);
        return;
    }
    plugin_info_from_desc(info, NULL);
    plugin_info_broken(info, "%s", error);
    free(error);
}

/* Load infos[pending[from..to)] and report; never returns. */
static _Noreturn void child_main(pid_t parent, int fd, const dapt_plugin_info *infos,
                                 const size_t *pending, size_t from, size_t to)
{
    child_setup(parent);
    strbuf out = {0};
    for (size_t k = from; k < to; k++) {
        uint32_t index = (uint32_t)pending[k];
        /* The previous result goes out with this "begin", in one write. */
        strbuf_putc(&out, REC_BEGIN);
        put_u32(&out, index);
        child_send(fd, &out);
        dapt_plugin_info info;
        memset(&info, 0, sizeof info);
        child_load(&info, infos[index].path);
        put_result(&out, index, &info);
        plugin_info_clear(&info);
    }
    child_send(fd, &out);
    _exit(EXIT_SUCCESS);
}

/* ------------------------------------------------------------------ */
/* Why a plugin is broken                                               */
/* ------------------------------------------------------------------ */

static const struct {
    int sig;
    const char *name;
    const char *verb; /* NULL: "was killed by" */
    const char *hint;
} signals[] = {
    {SIGSEGV, "SIGSEGV", "crashed", "a constructor or the descriptor function faulted"},
    {SIGBUS, "SIGBUS", "crashed", "a constructor or the descriptor function faulted"},
    {SIGILL, "SIGILL", "crashed", "a constructor or the descriptor function faulted"},
    {SIGFPE, "SIGFPE", "crashed", "a constructor or the descriptor function faulted"},
    {SIGSYS, "SIGSYS", "crashed", "a constructor or the descriptor function faulted"},
    {SIGTRAP, "SIGTRAP", "crashed", "a constructor or the descriptor function faulted"},
    {SIGABRT, "SIGABRT", "aborted", NULL},
    {SIGKILL, "SIGKILL", NULL, NULL},
    {SIGTERM, "SIGTERM", NULL, NULL},
    {SIGINT, "SIGINT", NULL, NULL},
    {SIGHUP, "SIGHUP", NULL, NULL},
    {SIGPIPE, "SIGPIPE", NULL, NULL},
    {SIGXCPU, "SIGXCPU", NULL, NULL},
    {SIGXFSZ, "SIGXFSZ", NULL, NULL},
};

static char *signal_reason(int sig)
{
    for (size_t i = 0; i < sizeof signals / sizeof *signals; i++) {
        if (signals[i].sig != sig)
            continue;
        if (signals[i].verb == NULL)
            return xasprintf("was killed by %s (%s) while loading", signals[i].name,
                             strsignal(sig));
        if (signals[i].hint == NULL)
            return xasprintf("%s while loading (%s)", signals[i].verb, signals[i].name);
        return xasprintf("%s while loading (%s, %s): %s", signals[i].verb, signals[i].name,
                         strsignal(sig), signals[i].hint);
    }
    return xasprintf("was killed by signal %d (%s) while loading", sig, strsignal(sig));
}

/* `status` from waitpid, or -1 when it could not be had. */
static char *status_reason(int status)
{
    if (status == -1)
        return xstrdup("the scanner process ended while loading it (exit status unknown)");
    if (WIFSIGNALED(status))
        return signal_reason(WTERMSIG(status));
    if (WIFEXITED(status))
        return xasprintf("called exit(%d) while loading: plugins must not exit the process",
                         WEXITSTATUS(status));
    return xstrdup("the scanner process ended while loading it");
}

static char *timeout_reason(int timeout_ms)
{
    if (timeout_ms % 100 == 0)
        return xasprintf("did not finish loading within %.1f s and was killed: a constructor "
                         "may hang",
                         timeout_ms / 1000.0);
    return xasprintf("did not finish loading within %d ms and was killed: a constructor may "
                     "hang",
                     timeout_ms);
}

/* ------------------------------------------------------------------ */
/* The parent                                                           */
/* ------------------------------------------------------------------ */

/* A child and the part of the batch it serves: pending[next..end). */
typedef struct lane {
    pid_t pid; /* 0: none running */
    int fd;
    size_t next, end;
    bool loading;     /* "begin pending[next]" arrived, its result not yet */
    int64_t deadline; /* ms: the child is killed when it has said nothing new by then */
    char *buf;        /* bytes read, not yet parsed */
    size_t len, cap;
} lane;

typedef struct scan {
    dapt_plugin_info *infos;
    size_t *pending;
    int timeout_ms;
    lane lanes[MAX_LANES];
    size_t lane_count;
} scan;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Empty everything but what the caller set (path, data_dir, id). */
static void info_reset(dapt_plugin_info *info)
{
    char *path = info->path, *data_dir = info->data_dir;
    dapt_file_id id = info->id;
    info->path = info->data_dir = NULL;
    plugin_info_clear(info);
    info->path = path;
    info->data_dir = data_dir;
    info->id = id;
}

static void info_broken(dapt_plugin_info *info, char *why)
{
    plugin_info_broken(info, "%s", why);
    free(why);
}

/* What the parent can tell without running plugin code; false when the
 * file is broken already. */
static bool precheck(dapt_plugin_info *info)
{
    int fd = open(info->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        info_broken(info, xasprintf("cannot read: %s", strerror(errno)));
        return false;
    }
    unsigned char magic[4];
    ssize_t n;
    do
        n = read(fd, magic, sizeof magic);
    while (n < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    if (n < 0) {
        info_broken(info, xasprintf("cannot read: %s", strerror(saved)));
        return false;
    }
    if (n < 4 || memcmp(magic, "\177ELF", 4) != 0) {
        info_broken(info, xstrdup("not a shared library (no ELF header)"));
        return false;
    }
    return true;
}

/* Start a child for the rest of the lane.  -1 with *error when it cannot
 * be started. */
static int lane_start(scan *sc, lane *ln, char **error)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        *error = xasprintf("cannot start the plugin scanner: pipe: %s", strerror(errno));
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        *error = xasprintf("cannot start the plugin scanner: fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(parent, fds[1], sc->infos, sc->pending, ln->next, ln->end);
    }
    close(fds[1]);
    ln->pid = pid;
    ln->fd = fds[0];
    ln->loading = false;
    ln->len = 0;
    ln->deadline = now_ms() + sc->timeout_ms;
    return 0;
}

/* Reap the child: on a timeout (or when it closed the pipe but lives on)
 * it is killed first.  Returns its status, or -1 when unknown (e.g. the
 * caller ignores SIGCHLD, so children are reaped by the system). */
static int lane_reap(lane *ln, bool kill_it)
{
    int status;
    pid_t got;
    if (!kill_it) {
        do
            got = waitpid(ln->pid, &status, WNOHANG);
        while (got < 0 && errno == EINTR);
        if (got == ln->pid)
            return status;
        if (got < 0)
            return -1;
    }
    kill(ln->pid, SIGKILL);
    do
        got = waitpid(ln->pid, &status, 0);
    while (got < 0 && errno == EINTR);
    return got == ln->pid ? status : -1;
}

/* Mark the rest of the lane broken and retire it. */
static void lane_abandon(scan *sc, lane *ln, const char *why)
{
    for (; ln->next < ln->end; ln->next++)
        plugin_info_broken(&sc->infos[sc->pending[ln->next]], "not scanned: %s", why);
}

/* How a child came to an end. */
typedef enum lane_end {
    END_CLOSED,  /* the pipe closed: it exited or died */
    END_TIMEOUT, /* it said nothing new in time */
    END_GARBLED, /* what it sent makes no sense */
} lane_end;

static char *end_reason(const scan *sc, lane_end how, int status)
{
    switch (how) {
    case END_TIMEOUT:
        return timeout_reason(sc->timeout_ms);
    case END_GARBLED:
        return xstrdup("garbled the scanner's report while loading: a constructor may have "
                       "written into file descriptors it does not own");
    case END_CLOSED:
        break;
    }
    return status_reason(status);
}

/* The child is gone (or must go): blame the file it was on, and let a new
 * child take the rest. */
static void lane_ended(scan *sc, lane *ln, lane_end how)
{
    int status = lane_reap(ln, how != END_CLOSED);
    close(ln->fd);
    ln->fd = -1;
    ln->pid = 0;
    if (ln->next >= ln->end)
        return;
    /* Between a result and the next "begin" only dapt's code runs, so a
     * child that ends there still ends because of what a plugin left
     * behind (a thread, a handler): the next file takes the blame, which
     * also guarantees progress. */
    dapt_plugin_info *info = &sc->infos[sc->pending[ln->next]];
    info_reset(info);
    info_broken(info, end_reason(sc, how, status));
    ln->next++;
    if (ln->next >= ln->end)
        return;
    char *error = NULL;
    if (lane_start(sc, ln, &error) < 0) {
        lane_abandon(sc, ln, error);
        free(error);
    }
}

/* Take in a result record: fill the info it is about. */
static int take_result(scan *sc, lane *ln, const char *payload, size_t len)
{
    dapt_plugin_info *info = &sc->infos[sc->pending[ln->next]];
    info_reset(info);
    reader r = {payload, len, false};
    if (get_result(&r, info) < 0)
        return -1;
    plugin_info_link(info);
    ln->next++;
    ln->loading = false;
    ln->deadline = now_ms() + sc->timeout_ms;
    return 0;
}

/* Parse the complete records in the lane's buffer.  -1 when the stream
 * makes no sense (a plugin wrote into the pipe?). */
static int lane_parse(scan *sc, lane *ln)
{
    size_t at = 0;
    const size_t head = 1 + sizeof(uint32_t);
    while (ln->len - at >= head) {
        char type = ln->buf[at];
        uint32_t index;
        memcpy(&index, ln->buf + at + 1, sizeof index);
        if (ln->next >= ln->end || index != sc->pending[ln->next])
            return -1;
        if (type == REC_BEGIN && !ln->loading) {
            ln->loading = true;
            ln->deadline = now_ms() + sc->timeout_ms;
            at += head;
            continue;
        }
        if (type != REC_RESULT || !ln->loading)
            return -1;
        uint32_t len;
        if (ln->len - at < head + sizeof len)
            break;
        memcpy(&len, ln->buf + at + head, sizeof len);
        if (ln->len - at - head - sizeof len < len)
            break;
        if (take_result(sc, ln, ln->buf + at + head + sizeof len, len) < 0)
            return -1;
        at += head + sizeof len + len;
    }
    memmove(ln->buf, ln->buf + at, ln->len - at);
    ln->len -= at;
    return 0;
}

static void lane_read(scan *sc, lane *ln)
{
    if (ln->cap - ln->len < 65536) {
        ln->cap = ln->cap ? ln->cap * 2 : 131072;
        ln->buf = xrealloc(ln->buf, ln->cap, 1);
    }
    ssize_t n = read(ln->fd, ln->buf + ln->len, ln->cap - ln->len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        lane_ended(sc, ln, END_CLOSED);
        return;
    }
    ln->len += (size_t)n;
    /* Whatever wrote nonsense, the child can no longer be trusted. */
    if (lane_parse(sc, ln) < 0)
        lane_ended(sc, ln, END_GARBLED);
}

/* Wait for the children, handling what they send, until all are done. */
static void scan_loop(scan *sc)
{
    for (;;) {
        struct pollfd pfd[MAX_LANES];
        lane *which[MAX_LANES];
        size_t n = 0;
        int64_t first = INT64_MAX;
        for (size_t i = 0; i < sc->lane_count; i++) {
            lane *ln = &sc->lanes[i];
            if (ln->pid == 0)
                continue;
            pfd[n] = (struct pollfd){.fd = ln->fd, .events = POLLIN};
            which[n++] = ln;
            if (ln->deadline < first)
                first = ln->deadline;
        }
        if (n == 0)
            return;
        int64_t wait = first - now_ms();
        int ready = poll(pfd, n, wait < 0 ? 0 : wait > INT32_MAX ? INT32_MAX : (int)wait);
        if (ready < 0 && errno != EINTR) {
            char *why = xasprintf("poll: %s", strerror(errno));
            for (size_t i = 0; i < n; i++) {
                lane_reap(which[i], true);
                close(which[i]->fd);
                which[i]->pid = 0;
                lane_abandon(sc, which[i], why);
            }
            free(why);
            return;
        }
        for (size_t i = 0; i < n && ready > 0; i++)
            if (pfd[i].revents)
                lane_read(sc, which[i]);
        /* (a lane restarted above has a fresh deadline) */
        int64_t now = now_ms();
        for (size_t i = 0; i < n; i++)
            if (which[i]->pid != 0 && which[i]->deadline <= now)
                lane_ended(sc, which[i], END_TIMEOUT);
    }
}

/* The file's base name without ".so": what a broken plugin is listed as. */
static char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".so") == 0)
        n -= 3;
    return xstrndup(base, n);
}

/* Every info complete: strings never NULL, broken ones named after their
 * file. */
static void finish(dapt_plugin_info *info)
{
    char **fields[] = {&info->version, &info->description, &info->author, &info->license,
                       &info->url};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (*fields[i] == NULL)
            *fields[i] = xstrdup("");
    if (info->status != DAPT_PLUGIN_OK || info->name == NULL) {
        free(info->name);
        info->name = base_name(info->path);
        plugin_info_link(info);
    }
}

static int scan_start(scan *sc, size_t count, char **error)
{
    sc->lane_count = count >= PARALLEL_MIN ? MAX_LANES : 1;
    for (size_t i = 0; i < sc->lane_count; i++) {
        lane *ln = &sc->lanes[i];
        ln->fd = -1;
        ln->next = count * i / sc->lane_count;
        ln->end = count * (i + 1) / sc->lane_count;
        if (lane_start(sc, ln, error) < 0) {
            for (size_t k = 0; k < i; k++) {
                lane_reap(&sc->lanes[k], true);
                close(sc->lanes[k].fd);
                sc->lanes[k].pid = 0;
            }
            return -1;
        }
    }
    return 0;
}

int plugin_scan(dapt_plugin_info *infos, size_t count, int timeout_ms, char **error)
{
    scan sc;
    memset(&sc, 0, sizeof sc);
    sc.infos = infos;
    sc.timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
    sc.pending = xcalloc(count ? count : 1, sizeof *sc.pending);
    size_t npending = 0;
    for (size_t i = 0; i < count; i++) {
        info_reset(&infos[i]);
        if (precheck(&infos[i]))
            sc.pending[npending++] = i;
    }
    int rc = 0;
    if (npending > 0) {
        rc = scan_start(&sc, npending, error);
        if (rc == 0)
            scan_loop(&sc);
        for (size_t k = 0; rc < 0 && k < npending; k++)
            plugin_info_broken(&infos[sc.pending[k]], "not scanned: %s", *error);
    }
    for (size_t i = 0; i < sc.lane_count; i++)
        free(sc.lanes[i].buf);
    free(sc.pending);
    for (size_t i = 0; i < count; i++)
        finish(&infos[i]);
    return rc;
}
