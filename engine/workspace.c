/*
 * workspace.c - the workspace's git repository, through the helper
 * dapt-git (cli/dapt-git.c): dapt itself does not link libgit2, whose
 * loading would cost every command 1.5 ms.  Each call spawns the helper
 * once (no shell), collects its standard output and error together (so
 * that neither pipe can fill and stall it), and reaps it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"

extern char **environ;

#define HELPER "dapt-git"

typedef struct helper_run {
    strbuf out;
    strbuf err;
    int status; /* from waitpid */
} helper_run;

/* Read both pipes to their ends. */
static int drain(int out_fd, int err_fd, helper_run *hr)
{
    struct pollfd fds[2] = {{.fd = out_fd, .events = POLLIN}, {.fd = err_fd, .events = POLLIN}};
    strbuf *bufs[2] = {&hr->out, &hr->err};
    int open_count = 2;
    char chunk[16384];
    while (open_count > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || fds[i].revents == 0)
                continue;
            ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0) {
                fds[i].fd = -1; /* poll ignores it from now on */
                open_count--;
            } else {
                strbuf_add(bufs[i], chunk, (size_t)n);
            }
        }
    }
    return 0;
}

/* Start the helper with its stdin on /dev/null and its stdout and stderr
 * on the pipes; the signal mask is cleared (the caller's event loop may
 * block signals the helper should not inherit). */
static int spawn(pid_t *pid, const char *path, char *const *argv, int out_fd, int err_fd)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    int rc = posix_spawn(pid, path, &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* The helper's message: its stderr without the "dapt: " prefix and the
 * final newline, or what became of it. */
static char *helper_error(const helper_run *hr, const char *path)
{
    if (hr->err.len > 0) {
        const char *msg = hr->err.buf;
        size_t n = hr->err.len;
        if (strncmp(msg, "dapt: ", 6) == 0) {
            msg += 6;
            n -= 6;
        }
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
            n--;
        if (n > 0)
            return xstrndup(msg, n);
    }
    if (WIFSIGNALED(hr->status))
        return xasprintf("%s was killed by signal %d", path, WTERMSIG(hr->status));
    return xasprintf("%s failed with exit status %d and said nothing", path,
                     WIFEXITED(hr->status) ? WEXITSTATUS(hr->status) : -1);
}

/* Run the helper to its end: 0 with hr->out, or -1 with *error. */
static int run_helper(helper_run *hr, const char *const *args, char **error)
{
    memset(hr, 0, sizeof *hr);
    char *path = libexec_path(HELPER);
    if (access(path, X_OK) != 0) {
        *error = xasprintf("cannot run %s: %s (set DAPT_LIBEXECDIR to the folder of %s)", path,
                           strerror(errno), HELPER);
        free(path);
        return -1;
    }
    size_t n = 0;
    while (args[n] != NULL)
        n++;
    char **argv = xcalloc(n + 2, sizeof *argv);
    argv[0] = path;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];

    int out[2] = {-1, -1}, err[2] = {-1, -1};
    pid_t pid = -1;
    int rc = -1, spawn_errno = 0;
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
        spawn_errno = errno;
    else
        spawn_errno = spawn(&pid, path, argv, out[1], err[1]);
    /* the helper holds the write ends now: without closing ours, the
     * pipes would never reach their end */
    if (out[1] >= 0)
        close(out[1]);
    if (err[1] >= 0)
        close(err[1]);
    if (spawn_errno != 0) {
        *error = xasprintf("cannot run %s: %s", path, strerror(spawn_errno));
        goto out;
    }
    int drained = drain(out[0], err[0], hr);
    int drain_errno = errno;
    /* always reap it, whatever happened to the pipes */
    while (waitpid(pid, &hr->status, 0) < 0) {
        if (errno != EINTR) {
            *error = xasprintf("cannot wait for %s: %s", path, strerror(errno));
            goto out;
        }
    }
    if (drained < 0)
        *error = xasprintf("cannot read the answer of %s: %s", path, strerror(drain_errno));
    else if (!WIFEXITED(hr->status) || WEXITSTATUS(hr->status) != 0)
        *error = helper_error(hr, path);
    else
        rc = 0;
out:
    if (out[0] >= 0)
        close(out[0]);
    if (err[0] >= 0)
        close(err[0]);
    strbuf_free(&hr->err);
    if (rc < 0)
        strbuf_free(&hr->out);
    free(argv);
    free(path);
    return rc;
}

int workspace_git(json_t **out, const char *const *args, char **error)
{
    helper_run hr;
    *out = NULL;
    if (run_helper(&hr, args, error) < 0)
        return -1;
    json_error_t jerr;
    *out = json_loadb(hr.out.buf ? hr.out.buf : "", hr.out.len, 0, &jerr);
    if (*out == NULL)
        *error = xasprintf("%s %s answered what is not JSON: %s", HELPER, args[0] ? args[0] : "",
                           jerr.text);
    strbuf_free(&hr.out);
    return *out ? 0 : -1;
}

int workspace_git_text(char **text, size_t *len, const char *const *args, char **error)
{
    helper_run hr;
    *text = NULL;
    *len = 0;
    if (run_helper(&hr, args, error) < 0)
        return -1;
    *len = hr.out.len;
    *text = hr.out.buf ? strbuf_detach(&hr.out) : xstrdup("");
    return 0;
}

char *workspace_run_definition(const char *workspace, const json_t *record, char **error)
{
    json_t *wf = json_object_get(json_object_get(record, "provenance"), "workflow");
    const char *text = json_string_value(json_object_get(wf, "text"));
    if (text)
        return xstrdup(text);
    const char *blob = json_string_value(json_object_get(wf, "blob"));
    if (blob == NULL) {
        *error = xstrdup("no definition was recorded (the workspace was not under git when it "
                         "ran: see `dapt init`)");
        return NULL;
    }
    const char *args[] = {"cat", "-C", workspace, blob, NULL};
    char *out = NULL;
    size_t len;
    if (workspace_git_text(&out, &len, args, error) < 0)
        return NULL;
    return out;
}

char *workspace_change_summary(const char *root, const char *rel, const dapt_bundle *bundle,
                               bool is_new)
{
    const dapt_workflow *wf = bundle ? dapt_bundle_workflow(bundle) : NULL;
    if (wf == NULL)
        return xasprintf("%s %s", is_new ? "add" : "update", rel);
    if (is_new)
        return xasprintf("add workflow %s (%zu stage%s)", wf->name, wf->stage_count,
                         wf->stage_count == 1 ? "" : "s");
    const char *args[] = {"show", "-C", root, "HEAD", rel, NULL};
    char *text = NULL, *error = NULL;
    size_t len = 0;
    dapt_bundle *old = NULL;
    if (workspace_git_text(&text, &len, args, &error) == 0) {
        dapt_diags diags = {0};
        char *name = xasprintf("%s@HEAD", rel);
        dapt_load_buffer(&old, name, text, len, &diags);
        dapt_diags_free(&diags);
        free(name);
    }
    free(error); /* not at HEAD: every stage is new */
    free(text);
    stagediff d;
    stagediff_compute(&d, old ? dapt_bundle_workflow(old) : NULL, wf);
    char *summary = stagediff_summary(&d, wf->name);
    stagediff_free(&d);
    if (old)
        dapt_bundle_free(old);
    return summary;
}
