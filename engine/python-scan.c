/*
 * python-scan.c - describe Python plugins in scanner processes:
 * `INTERPRETER -I PYTHON_DIR/dapt_worker/scan.py`, one per plugin, a few
 * at a time.
 *
 * A child gets its request (sys.path, site folders, module, plugin, only)
 * on stdin and answers with one JSON object on fd 3; its stdout is
 * /dev/null (a plugin that prints while imported changes nothing), its
 * stderr a pipe whose last bytes explain a crash (faulthandler prints the
 * Python stack there).  Each child has its own deadline, then it and what
 * it started (its process group) are killed.  What can go wrong becomes
 * the plugin's reason for being broken, never a failure of the scan.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

#define DEFAULT_TIMEOUT_MS 10000
/* Children at once: imports wait on the disk as much as on a core. */
#define MAX_CHILDREN 4
/* The answer of a package with thousands of functions is a few MB. */
#define ANSWER_MAX (64 << 20)
/* What is kept of a child's stderr: its end says why it died. */
#define STDERR_KEEP 16384

typedef struct child {
    size_t job;
    pid_t pid; /* 0: the slot is free */
    int ans_fd, err_fd;
    strbuf ans, err;
    int64_t deadline;
    bool timed_out;
} child;

typedef struct scan {
    dapt_plugin_info **infos;
    const char *const *only;
    size_t count, next;
    const python_env *env;
    const python_paths *paths;
    char *script;
    int timeout_ms;
    child kids[MAX_CHILDREN];
} scan;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* Starting a child                                                     */
/* ------------------------------------------------------------------ */

static char *request(const scan *sc, size_t job)
{
    const dapt_plugin_info *info = sc->infos[job];
    json_t *path = json_array(), *site = json_array();
    for (size_t i = 0; i < sc->paths->count; i++)
        json_array_append_new(path, json_string(sc->paths->dirs[i]));
    for (size_t i = 0; i < sc->env->site_count; i++)
        json_array_append_new(site, json_string(sc->env->site[i]));
    const char *only = sc->only ? sc->only[job] : NULL;
    json_t *req = json_pack("{s:o, s:o, s:s, s:s, s:o}", "sys_path", path, "site", site, "module",
                            info->module, "plugin", info->name,
                            "only", only ? json_string(only) : json_null());
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    return text;
}

/* In the child: fds to 0..3, a plain process of its own group. */
static _Noreturn void child_exec(const scan *sc, int in, int err, int ans, pid_t parent)
{
    int null = open("/dev/null", O_RDWR);
    /* above 3 first, so that no dup2 below overwrites one still needed */
    in = fcntl(in, F_DUPFD, 10);
    err = fcntl(err, F_DUPFD, 10);
    ans = fcntl(ans, F_DUPFD, 10);
    null = fcntl(null, F_DUPFD, 10);
    if (in < 0 || err < 0 || ans < 0 || null < 0)
        _exit(126);
    dup2(in, 0);
    dup2(null, 1);
    dup2(err, 2);
    dup2(ans, 3);
    setpgid(0, 0);
    if (!plugin_scan_child_plain(parent))
        _exit(126);
    execl(sc->env->executable, sc->env->executable, "-I", sc->script, (char *)NULL);
    dprintf(2, "cannot run %s: %s\n", sc->env->executable, strerror(errno));
    _exit(127);
}

static void plugin_broken(dapt_plugin_info *info, char *why)
{
    plugin_info_broken(info, "%s", why);
    free(why);
}

/* Start the next job in slot `k`; a job that cannot start is broken. */
static void child_start(scan *sc, child *k)
{
    size_t job = sc->next++;
    int in[2], err[2], ans[2];
    if (pipe2(in, O_CLOEXEC) < 0) {
        plugin_broken(sc->infos[job], xasprintf("cannot start the scanner: pipe: %s",
                                                strerror(errno)));
        return;
    }
    if (pipe2(err, O_CLOEXEC) < 0 || pipe2(ans, O_CLOEXEC) < 0) {
        plugin_broken(sc->infos[job], xasprintf("cannot start the scanner: pipe: %s",
                                                strerror(errno)));
        close(in[0]);
        close(in[1]);
        return;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        child_exec(sc, in[0], err[1], ans[1], parent);
    close(in[0]);
    close(err[1]);
    close(ans[1]);
    if (pid < 0) {
        plugin_broken(sc->infos[job], xasprintf("cannot start the scanner: fork: %s",
                                                strerror(errno)));
        close(in[1]);
        close(err[0]);
        close(ans[0]);
        return;
    }
    setpgid(pid, pid); /* also here: no race with the kill below */
    /* the request is a few KB: it fits in the pipe, and a child that died
     * at once makes this EPIPE, which its status then explains */
    char *req = request(sc, job);
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGPIPE, &ign, &old);
    fs_write_all(in[1], req, strlen(req));
    sigaction(SIGPIPE, &old, NULL);
    free(req);
    close(in[1]);
    memset(k, 0, sizeof *k);
    k->job = job;
    k->pid = pid;
    k->ans_fd = ans[0];
    k->err_fd = err[0];
    fcntl(k->err_fd, F_SETFL, O_NONBLOCK);
    k->deadline = now_ms() + sc->timeout_ms;
}

/* ------------------------------------------------------------------ */
/* Reading the answer                                                   */
/* ------------------------------------------------------------------ */

static char *str_or(const json_t *v, const char *fallback)
{
    const char *s = json_string_value(v);
    return xstrdup(s ? s : fallback);
}

static void fill_param(dapt_param_info *p, const json_t *j)
{
    p->name = str_or(json_object_get(j, "name"), "");
    p->type = str_or(json_object_get(j, "type"), "any");
    p->required = json_is_true(json_object_get(j, "required"));
    p->keyword_only = json_is_true(json_object_get(j, "keyword_only"));
    /* the scanner's own text of the default: 0.1, not jansson's
     * 0.10000000000000001 */
    const char *text = json_string_value(json_object_get(j, "default_json"));
    const json_t *def = json_object_get(j, "default");
    p->default_json = text ? xstrdup(text)
                      : def ? json_dumps(def, JSON_ENCODE_ANY | JSON_COMPACT)
                            : NULL;
    p->doc = str_or(json_object_get(j, "doc"), "");
}

static void fill_target(dapt_target_info *t, const json_t *j)
{
    t->path = str_or(json_object_get(j, "path"), "");
    t->kind = DAPT_TARGET_STAGE;
    t->doc = str_or(json_object_get(j, "doc"), "");
    t->returns = str_or(json_object_get(j, "returns"), "");
    t->flags = (json_is_true(json_object_get(j, "varargs")) ? DAPT_TARGET_VARARGS : 0) |
               (json_is_true(json_object_get(j, "kwargs")) ? DAPT_TARGET_KWARGS : 0) |
               (json_is_true(json_object_get(j, "async")) ? TARGET_ASYNC : 0) |
               TARGET_POSITIONAL_FIRST;
    const char *source = json_string_value(json_object_get(j, "source"));
    t->source = source ? xstrdup(source) : NULL;
    const json_t *params = json_object_get(j, "params");
    size_t n = json_is_array(params) ? json_array_size(params) : 0;
    t->params = n ? xcalloc(n, sizeof *t->params) : NULL;
    t->param_count = n;
    for (size_t i = 0; i < n; i++)
        fill_param(&t->params[i], json_array_get(params, i));
}

/* The targets of an ok answer, or the reason of a failed one. */
static void take_answer(dapt_plugin_info *info, const json_t *a)
{
    if (!json_is_true(json_object_get(a, "ok"))) {
        const char *error = json_string_value(json_object_get(a, "error"));
        plugin_broken(info, xstrdup(error ? error : "the scanner failed without a reason"));
        return;
    }
    const json_t *targets = json_object_get(a, "targets");
    size_t n = json_is_array(targets) ? json_array_size(targets) : 0;
    info->targets = n ? xcalloc(n, sizeof *info->targets) : NULL;
    info->target_count = n;
    for (size_t i = 0; i < n; i++)
        fill_target(&info->targets[i], json_array_get(targets, i));
    info->status = DAPT_PLUGIN_OK;
    free(info->error);
    info->error = NULL;
    plugin_info_link(info);
}

/* ------------------------------------------------------------------ */
/* Why it failed                                                        */
/* ------------------------------------------------------------------ */

/* The innermost frame faulthandler printed, preferring the plugin's own
 * files ("  File "/x/pkg/m.py", line 3 in <module>"): "FILE:LINE", or
 * NULL. */
static char *crash_frame(const char *err, const char *root)
{
    char *first = NULL;
    for (const char *p = err; (p = strstr(p, "File \"")) != NULL; p++) {
        const char *file = p + 6, *q = strchr(file, '"');
        if (q == NULL)
            break;
        int line = 0;
        if (sscanf(q, "\", line %d", &line) != 1)
            continue;
        char *at = xasprintf("%.*s:%d", (int)(q - file), file, line);
        bool mine = root && strncmp(file, root, strlen(root)) == 0;
        if (mine) {
            free(first);
            return at;
        }
        if (first == NULL && file[0] != '<')
            first = at;
        else
            free(at);
    }
    return first;
}

/* The last non-empty line of what the child wrote to stderr, or NULL. */
static char *last_line(const strbuf *err)
{
    if (err->len == 0)
        return NULL;
    size_t end = err->len;
    while (end > 0 && (err->buf[end - 1] == '\n' || err->buf[end - 1] == '\r' ||
                       err->buf[end - 1] == ' '))
        end--;
    size_t start = end;
    while (start > 0 && err->buf[start - 1] != '\n')
        start--;
    return end > start ? xstrndup(err->buf + start, end - start) : NULL;
}

static char *failure(const scan *sc, const child *k, int status)
{
    const dapt_plugin_info *info = sc->infos[k->job];
    const char *mod = info->module;
    if (k->timed_out) {
        int ms = sc->timeout_ms;
        return ms % 1000 == 0
                   ? xasprintf("importing %s took longer than %d s (killed): does it wait for "
                               "something while it is imported? (DAPT_PLUGIN_SCAN_TIMEOUT sets "
                               "the limit in ms)",
                               mod, ms / 1000)
                   : xasprintf("importing %s took longer than %d ms (killed): does it wait for "
                               "something while it is imported?",
                               mod, ms);
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *abbrev = sigabbrev_np(sig);
        char *at = crash_frame(k->err.buf ? k->err.buf : "", info->path);
        char *why = xasprintf("the scanner crashed importing %s: killed by SIG%s (%s)%s%s", mod,
                              abbrev ? abbrev : "?", strsignal(sig), at ? " at " : "",
                              at ? at : "");
        free(at);
        return why;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    char *last = last_line(&k->err);
    char *why;
    if (code == 127 || code == 126)
        why = xasprintf("cannot run the scanner with %s%s%s", sc->env->executable,
                        last ? ": " : "", last ? last : "");
    else
        why = xasprintf("%s ended the scanner with exit status %d while it was imported "
                        "(os._exit?)%s%s",
                        mod, code, last ? ": " : "", last ? last : "");
    free(last);
    return why;
}

/* ------------------------------------------------------------------ */
/* The loop                                                             */
/* ------------------------------------------------------------------ */

/* Read what is there: 1 read, 0 nothing yet, -1 at EOF. */
static int drain(int fd, strbuf *sb, size_t max, bool keep_tail)
{
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0)
        return -1;
    /* (1: more may follow) */
    if (sb->len + (size_t)n > max && keep_tail && sb->len > 0) {
        size_t drop = sb->len / 2;
        memmove(sb->buf, sb->buf + drop, sb->len - drop);
        sb->len -= drop;
        sb->buf[sb->len] = '\0';
    }
    if (sb->len + (size_t)n <= max || keep_tail)
        strbuf_add(sb, buf, (size_t)n);
    return 1;
}

/* The child is done (answered, exited or out of time): reap it. */
static void child_finish(scan *sc, child *k, int status, bool reaped)
{
    /* after its answer the child only exits; what it started goes too */
    kill(-k->pid, SIGKILL);
    while (!reaped && waitpid(k->pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (k->err_fd >= 0) /* the last words of a crash */
        while (drain(k->err_fd, &k->err, STDERR_KEEP, true) > 0)
            ;
    if (k->ans_fd >= 0)
        close(k->ans_fd);
    if (k->err_fd >= 0)
        close(k->err_fd);
    dapt_plugin_info *info = sc->infos[k->job];
    json_t *a = !k->timed_out && k->ans.len ? json_loadb(k->ans.buf, k->ans.len, 0, NULL) : NULL;
    if (a != NULL && json_is_object(a))
        take_answer(info, a);
    else
        plugin_broken(info, failure(sc, k, status));
    json_decref(a);
    strbuf_free(&k->ans);
    strbuf_free(&k->err);
    k->pid = 0;
}

static void scan_loop(scan *sc)
{
    for (;;) {
        for (size_t i = 0; i < MAX_CHILDREN && sc->next < sc->count; i++)
            if (sc->kids[i].pid == 0)
                child_start(sc, &sc->kids[i]);
        struct pollfd pfd[2 * MAX_CHILDREN];
        child *owner[2 * MAX_CHILDREN];
        size_t n = 0, running = 0;
        int64_t first = INT64_MAX;
        for (size_t i = 0; i < MAX_CHILDREN; i++) {
            child *k = &sc->kids[i];
            if (k->pid == 0)
                continue;
            running++;
            if (k->ans_fd >= 0) {
                pfd[n] = (struct pollfd){.fd = k->ans_fd, .events = POLLIN};
                owner[n++] = k;
            }
            if (k->err_fd >= 0) {
                pfd[n] = (struct pollfd){.fd = k->err_fd, .events = POLLIN};
                owner[n++] = k;
            }
            if (k->deadline < first)
                first = k->deadline;
            if (k->ans_fd < 0 && now_ms() + 10 < first)
                first = now_ms() + 10; /* waiting for its exit status */
        }
        if (running == 0) {
            if (sc->next >= sc->count)
                return;
            continue;
        }
        int64_t wait = first - now_ms();
        int ready = poll(pfd, n, wait < 0 ? 0 : wait > INT32_MAX ? INT32_MAX : (int)wait);
        if (ready < 0 && errno != EINTR)
            ready = 0;
        for (size_t i = 0; i < n && ready > 0; i++) {
            if (pfd[i].revents == 0)
                continue;
            child *k = owner[i];
            bool ans = pfd[i].fd == k->ans_fd;
            if (drain(pfd[i].fd, ans ? &k->ans : &k->err, ans ? ANSWER_MAX : STDERR_KEEP,
                      !ans) < 0) {
                close(pfd[i].fd);
                if (ans)
                    k->ans_fd = -1;
                else
                    k->err_fd = -1;
            }
        }
        int64_t now = now_ms();
        for (size_t i = 0; i < MAX_CHILDREN; i++) {
            child *k = &sc->kids[i];
            int status = 0;
            if (k->pid == 0)
                continue;
            if (k->ans_fd < 0 && k->ans.len > 0) {
                child_finish(sc, k, 0, false); /* answered */
            } else if (k->ans_fd < 0 && waitpid(k->pid, &status, WNOHANG) == k->pid) {
                child_finish(sc, k, status, true); /* gone without an answer */
            } else if (k->deadline <= now) {
                k->timed_out = true;
                child_finish(sc, k, 0, false);
            }
        }
    }
}

int python_scan(dapt_plugin_info **infos, const char *const *only, size_t count,
                const python_env *env, const python_paths *paths, int timeout_ms)
{
    if (count == 0)
        return 0;
    char *dir = libexec_python_dir();
    scan sc = {.infos = infos, .only = only, .count = count, .env = env, .paths = paths,
               .script = xasprintf("%s/dapt_worker/scan.py", dir),
               .timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS};
    free(dir);
    if (access(sc.script, R_OK) < 0) {
        for (size_t i = 0; i < count; i++)
            plugin_broken(infos[i], xasprintf("dapt's Python scanner %s is missing: set "
                                              "DAPT_PYTHON_DIR to the folder of dapt's Python "
                                              "code",
                                              sc.script));
        free(sc.script);
        return -1;
    }
    scan_loop(&sc);
    free(sc.script);
    return 0;
}
