/*
 * shell.c - dapt.shell: run a program and capture its standard output.
 *
 * The program runs with fork and execvp, never through a shell unless the
 * stage says `shell: true` (then the one string in `argv` goes to
 * /bin/sh -c), so arguments need no quoting and cannot be injected.  Its
 * standard input is `stdin` (from an unlinked temporary file, so a program
 * that does not read it cannot block us, and one that exits early cannot
 * SIGPIPE us) or /dev/null; its standard error passes through to the
 * stage's log.  The program runs in its own process group, killed when
 * the program ends or is stopped (cancel, timeout): what it put in the
 * background does not outlive the stage.  A small guard process leads
 * that group and waits for the program: when dapt (or its worker) dies,
 * the guard kills the group.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"

static const char target[] = "dapt.shell";

/* How often the read loop looks whether the stage was cancelled. */
#define POLL_MS 100
/* How long a cancelled program gets between SIGTERM and SIGKILL. */
#define TERM_GRACE_MS 1000
/* How much of the command line a message shows. */
#define COMMAND_SHOWN 80

typedef struct command {
    char **argv; /* NULL-terminated; strings borrowed from the arguments */
    size_t argc;
    char *shown; /* for messages: "ls -l /tmp" */
} command;

static void command_free(command *cmd)
{
    free(cmd->argv);
    free(cmd->shown);
}

static char *command_show(char *const *argv)
{
    size_t len = 0;
    for (size_t i = 0; argv[i] != NULL; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len + 1);
    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (size_t i = 0; argv[i] != NULL; i++) {
        if (i > 0)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    if (strlen(s) > COMMAND_SHOWN)
        memcpy(s + COMMAND_SHOWN - 3, "...", 4);
    return s;
}

/* The program to run from `argv` and `shell`.  0, or -1 after failing. */
static int command_parse(dapt_ctx *ctx, command *cmd, json_t *kwargs)
{
    memset(cmd, 0, sizeof *cmd);
    bool shell;
    if (args_bool(ctx, target, "shell", json_object_get(kwargs, "shell"), false, &shell) < 0)
        return -1;
    json_t *argv = json_object_get(kwargs, "argv");
    if (argv == NULL) {
        args_missing(ctx, target, "argv",
                     shell ? "a command line for /bin/sh"
                           : "the program and its arguments, a list of strings");
        return -1;
    }
    if (shell) {
        if (!json_is_string(argv)) {
            args_wrong(ctx, target, "argv", "a string (a command line for /bin/sh -c)", argv);
            return -1;
        }
        cmd->argc = 3;
    } else {
        if (!json_is_array(argv) || json_array_size(argv) == 0) {
            args_wrong(ctx, target, "argv",
                       json_is_string(argv)
                           ? "a list of strings (set `shell: true` to run a string with /bin/sh)"
                           : "a non-empty list of strings",
                       argv);
            return -1;
        }
        size_t i;
        json_t *v;
        json_array_foreach(argv, i, v)
        {
            if (!json_is_string(v)) {
                args_wrong(ctx, target, "argv", "a list of strings", argv);
                return -1;
            }
        }
        cmd->argc = json_array_size(argv);
    }
    cmd->argv = calloc(cmd->argc + 1, sizeof *cmd->argv);
    if (cmd->argv == NULL) {
        args_oom(ctx, target);
        return -1;
    }
    if (shell) {
        cmd->argv[0] = (char *)"/bin/sh";
        cmd->argv[1] = (char *)"-c";
        cmd->argv[2] = (char *)json_string_value(argv);
    } else {
        for (size_t i = 0; i < cmd->argc; i++)
            cmd->argv[i] = (char *)json_string_value(json_array_get(argv, i));
    }
    cmd->shown = command_show(shell ? cmd->argv + 2 : cmd->argv);
    if (cmd->shown == NULL) {
        command_free(cmd);
        args_oom(ctx, target);
        return -1;
    }
    return 0;
}

/* A descriptor to read `text` from: an unlinked temporary file, or
 * /dev/null when text is NULL.  -1 with errno on failure. */
static int stdin_fd(const char *text, size_t len)
{
    if (text == NULL)
        return open("/dev/null", O_RDONLY | O_CLOEXEC);
    FILE *f = tmpfile();
    if (f == NULL)
        return -1;
    int fd = -1;
    if (fwrite(text, 1, len, f) == len && fflush(f) == 0) {
        fd = fcntl(fileno(f), F_DUPFD_CLOEXEC, 0);
        if (fd >= 0 && lseek(fd, 0, SEEK_SET) < 0) {
            close(fd);
            fd = -1;
        }
    }
    int err = errno;
    fclose(f);
    errno = err;
    return fd;
}

/* The guard's answer to its parent's death (SIGHUP): the whole group. */
static void guard_orphaned(int sig)
{
    (void)sig;
    kill(-getpgrp(), SIGKILL);
    _exit(1);
}

/* The guard: leads the program's process group and waits for it, ending
 * as the program ended (its status, or its signal).  Its parent's death
 * (a `kill -9` of dapt in thread mode, of the worker in process mode)
 * kills the group: nothing outlives dapt. */
static void guard(pid_t program)
{
    int ws = 0;
    while (waitpid(program, &ws, 0) < 0) {
        if (errno != EINTR)
            _exit(127);
    }
    if (WIFEXITED(ws))
        _exit(WEXITSTATUS(ws));
    int sig = WTERMSIG(ws);
    signal(SIGHUP, SIG_IGN); /* what follows is not the parent's death */
    signal(sig, SIG_DFL);
    raise(sig);
    _exit(128 + sig);
}

/* In the child, between fork and exec: only async-signal-safe calls.  The
 * child is the guard (above); the program is its child. */
static void child_exec(const command *cmd, pid_t parent, int in, int out, int status)
{
    if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0) {
        int err = errno;
        (void)!write(status, &err, sizeof err);
        _exit(127);
    }
    /* its own process group: what the program starts is stopped with it */
    setpgid(0, 0);
    /* a worker may ignore, catch or block signals; the guard and the
     * program start clean (a handler of dapt's must not run in the guard,
     * which does not exec: libuv's would tell dapt it got the signal) */
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = guard_orphaned;
    sigaction(SIGHUP, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    prctl(PR_SET_PDEATHSIG, SIGHUP);
    if (getppid() != parent)
        guard_orphaned(SIGHUP); /* it died before we asked */
    pid_t program = fork();
    if (program == 0) {
        signal(SIGHUP, SIG_DFL);
        execvp(cmd->argv[0], cmd->argv);
    }
    int err = errno;
    if (program < 0 || program == 0) {
        (void)!write(status, &err, sizeof err);
        _exit(127);
    }
    /* the guard holds neither the program's output nor its exec status */
    close(status);
    close(STDIN_FILENO);
    close(STDOUT_FILENO);
    guard(program);
}

typedef struct buffer {
    char *data;
    size_t len, cap;
} buffer;

static int buffer_read(buffer *b, int fd)
{
    if (b->cap - b->len < 4096) {
        size_t cap = b->cap ? b->cap * 2 : 16384;
        char *data = realloc(b->data, cap);
        if (data == NULL)
            return -1;
        b->data = data;
        b->cap = cap;
    }
    ssize_t n = read(fd, b->data + b->len, b->cap - b->len);
    if (n > 0)
        b->len += (size_t)n;
    return n < 0 ? (errno == EINTR ? 1 : -1) : (int)n;
}

static int wait_child(pid_t pid)
{
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    return ws;
}

/* What the program left running in its process group (a command put in
 * the background) ends with it.  The group's id cannot be reused while a
 * member lives, even after the program itself was reaped. */
static void kill_group(pid_t pid)
{
    kill(-pid, SIGKILL);
}

/* Stop a program the stage no longer waits for, with its process group:
 * TERM, then KILL. */
static void stop_child(pid_t pid)
{
    kill(-pid, SIGTERM);
    for (int waited = 0; waited < TERM_GRACE_MS; waited += 10) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            kill_group(pid);
            return;
        }
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    kill_group(pid);
    wait_child(pid);
}

/*
 * Read the program's output until it closes it; then reap it.  0 with
 * *wait_status, or -1 after failing the stage (cancelled, read error).
 */
static int collect(dapt_ctx *ctx, pid_t pid, int fd, buffer *out, int *wait_status,
                   const command *cmd)
{
    for (;;) {
        if (dapt_ctx_cancelled(ctx)) {
            stop_child(pid);
            dapt_ctx_fail(ctx, "%s: cancelled; stopped `%s`", target, cmd->shown);
            return -1;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, POLL_MS);
        if (r < 0 && errno != EINTR) {
            dapt_ctx_fail(ctx, "%s: poll: %s", target, strerror(errno));
            stop_child(pid);
            return -1;
        }
        if (r <= 0)
            continue;
        int n = buffer_read(out, fd);
        if (n == 0)
            break;
        if (n < 0) {
            dapt_ctx_fail(ctx, "%s: reading the output of `%s`: %s", target, cmd->shown,
                          errno ? strerror(errno) : "out of memory");
            stop_child(pid);
            return -1;
        }
    }
    *wait_status = wait_child(pid);
    kill_group(pid);
    return 0;
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* The output as a JSON string; bytes that are not UTF-8 become U+FFFD. */
static json_t *output_string(const char *data, size_t len)
{
    json_t *s = json_stringn(data ? data : "", len);
    if (s != NULL || len == 0)
        return s;
    char *clean = malloc(len * 3 + 1);
    if (clean == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq((const unsigned char *)data + i, len - i);
        if (k == 0) {
            memcpy(clean + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(clean + o, data + i, k);
            o += k;
            i += k;
        }
    }
    s = json_stringn(clean, o);
    free(clean);
    return s;
}

/* Run the command; 0 with its wait status and output, or -1 after
 * failing the stage. */
static int run(dapt_ctx *ctx, const command *cmd, json_t *input, int *wait_status, buffer *out)
{
    int in = stdin_fd(json_string_value(input), json_string_length(input));
    if (in < 0) {
        dapt_ctx_fail(ctx, "%s: cannot prepare standard input: %s", target, strerror(errno));
        return -1;
    }
    int pipe_out[2], pipe_status[2];
    if (pipe2(pipe_out, O_CLOEXEC) < 0) {
        close(in);
        dapt_ctx_fail(ctx, "%s: pipe: %s", target, strerror(errno));
        return -1;
    }
    if (pipe2(pipe_status, O_CLOEXEC) < 0) {
        close(in);
        close(pipe_out[0]);
        close(pipe_out[1]);
        dapt_ctx_fail(ctx, "%s: pipe: %s", target, strerror(errno));
        return -1;
    }
    fflush(NULL); /* buffered output must not be written twice */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        child_exec(cmd, parent, in, pipe_out[1], pipe_status[1]);
    int fork_err = errno;
    if (pid > 0)
        setpgid(pid, pid); /* also here: no race with a kill of the group */
    close(in);
    close(pipe_out[1]);
    close(pipe_status[1]);
    if (pid < 0) {
        close(pipe_out[0]);
        close(pipe_status[0]);
        dapt_ctx_fail(ctx, "%s: fork: %s", target, strerror(fork_err));
        return -1;
    }
    /* The status pipe closes on exec, or carries the errno of a failure. */
    int exec_err = 0;
    ssize_t n;
    while ((n = read(pipe_status[0], &exec_err, sizeof exec_err)) < 0 && errno == EINTR)
        ;
    close(pipe_status[0]);
    if (n == (ssize_t)sizeof exec_err) {
        close(pipe_out[0]);
        wait_child(pid);
        dapt_ctx_fail(ctx, "%s: cannot run `%s`: %s", target, cmd->argv[0], strerror(exec_err));
        return -1;
    }
    int rc = collect(ctx, pid, pipe_out[0], out, wait_status, cmd);
    close(pipe_out[0]);
    return rc;
}

json_t *shell_run(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    json_t *input = json_object_get(kwargs, "stdin");
    if (input != NULL && !json_is_string(input) && !json_is_null(input))
        return args_wrong(ctx, target, "stdin", "a string", input);
    bool check;
    if (args_bool(ctx, target, "check", json_object_get(kwargs, "check"), true, &check) < 0)
        return NULL;
    command cmd;
    if (command_parse(ctx, &cmd, kwargs) < 0)
        return NULL;

    buffer out = {0};
    int ws = 0;
    json_t *result = NULL;
    if (run(ctx, &cmd, input, &ws, &out) == 0) {
        int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        if (check && WIFSIGNALED(ws))
            dapt_ctx_fail(ctx, "%s: `%s` was killed by signal %d (%s)", target, cmd.shown,
                          WTERMSIG(ws), strsignal(WTERMSIG(ws)));
        else if (check && code != 0)
            dapt_ctx_fail(ctx, "%s: `%s` exited with status %d", target, cmd.shown, code);
        else if ((result = json_object()) == NULL ||
                 json_object_set_new(result, "exit", json_integer(code)) < 0 ||
                 json_object_set_new(result, "stdout", output_string(out.data, out.len)) < 0) {
            json_decref(result);
            result = args_oom(ctx, target);
        }
    }
    free(out.data);
    command_free(&cmd);
    return result;
}
