/*
 * control.c - dapt.echo, dapt.sleep, dapt.fail, dapt.crash and dapt.log:
 * stages that do what a test of the engine needs (pass data on, take
 * time, fail, crash, write output) and nothing else.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"

/* ------------------------------------------------------------------ */
/* dapt.echo                                                          */
/* ------------------------------------------------------------------ */

/*
 * No positional argument (a root stage): the named arguments, i.e. the run
 * input and the stage's args.  One: that value.  Several: their list.
 * Containers are copied (one level), so the result never aliases what the
 * host may reuse.
 */
json_t *control_echo(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    size_t n = json_array_size(args);
    json_t *out;
    if (n == 0)
        out = json_is_object(kwargs) ? json_copy(kwargs) : json_object();
    else if (n == 1)
        out = json_incref(json_array_get(args, 0));
    else
        out = json_copy(args);
    return out ? out : args_oom(ctx, "dapt.echo");
}

/* ------------------------------------------------------------------ */
/* dapt.sleep                                                         */
/* ------------------------------------------------------------------ */

/* How often a sleeping stage looks whether it was cancelled. */
#define SLEEP_STEP_NS 10000000L /* 10 ms */
/* An upper bound that keeps the clock arithmetic far from overflow. */
#define SLEEP_MAX_SECONDS 1e7

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

json_t *control_sleep(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "dapt.sleep";
    json_t *s = json_object_get(kwargs, "seconds");
    double seconds = 1;
    if (s != NULL) {
        seconds = json_number_value(s);
        if (!json_is_number(s) || seconds < 0 || seconds > SLEEP_MAX_SECONDS)
            return args_wrong(ctx, target, "seconds", "a number of seconds from 0 to 10000000", s);
    }
    json_t *value = args_first(args, kwargs, "value");

    double start = now_seconds(), end = start + seconds;
    for (double now = start; now < end; now = now_seconds()) {
        if (dapt_ctx_cancelled(ctx))
            return dapt_ctx_fail(ctx, "%s: cancelled after %.3f of %g seconds", target, now - start,
                                 seconds);
        double left = end - now;
        struct timespec step = {0, SLEEP_STEP_NS};
        if (left < (double)SLEEP_STEP_NS / 1e9)
            step.tv_nsec = (long)(left * 1e9) + 1;
        nanosleep(&step, NULL); /* EINTR: the loop measures what is left */
    }
    return value ? json_incref(value) : json_null();
}

/* ------------------------------------------------------------------ */
/* dapt.fail                                                          */
/* ------------------------------------------------------------------ */

json_t *control_fail(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "dapt.fail";
    json_t *message = json_object_get(kwargs, "message");
    if (message != NULL && !json_is_string(message))
        return args_wrong(ctx, target, "message", "a string", message);
    bool hit;
    if (args_on(ctx, target, args, kwargs, &hit) < 0)
        return NULL;
    if (!hit) {
        json_t *first = json_array_get(args, 0);
        return first ? json_incref(first) : json_null();
    }
    return dapt_ctx_fail(ctx, "%s", message ? json_string_value(message) : CONTROL_FAIL_MESSAGE);
}

/* ------------------------------------------------------------------ */
/* dapt.crash                                                         */
/* ------------------------------------------------------------------ */

/* The signals whose default action ends a process: the only ones a crash
 * can be made of. */
static const struct {
    const char *name;
    int number;
} crash_signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT}, {"BUS", SIGBUS},       {"FPE", SIGFPE},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"PROF", SIGPROF}, {"VTALRM", SIGVTALRM}, {"SYS", SIGSYS},
};
#define CRASH_SIGNAL_COUNT (sizeof crash_signals / sizeof crash_signals[0])

/* The signal `value` names ("SEGV", "sigkill", 9), or -1. */
static int crash_signal(const json_t *value, const char **name)
{
    const char *s = json_string_value(value);
    if (s != NULL && strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < CRASH_SIGNAL_COUNT; i++) {
        if ((s != NULL && strcasecmp(s, crash_signals[i].name) == 0) ||
            (json_is_integer(value) && json_integer_value(value) == crash_signals[i].number)) {
            *name = crash_signals[i].name;
            return crash_signals[i].number;
        }
    }
    return -1;
}

/* Die of `sig` for real: no core file, and no handler (a sanitizer's SEGV
 * handler would turn the signal into an exit) or mask in the way. */
static void die_of(int sig)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    kill(getpid(), sig);
    kill(getpid(), SIGKILL);
}

json_t *control_crash(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "dapt.crash";
    json_t *value = json_object_get(kwargs, "signal");
    const char *name = "SEGV";
    int sig = SIGSEGV;
    if (value != NULL && (sig = crash_signal(value, &name)) < 0)
        return args_wrong(ctx, target, "signal",
                          "a signal that ends a process (a name like \"SEGV\" or \"SIGKILL\", "
                          "or its number)",
                          value);
    bool hit;
    if (args_on(ctx, target, args, kwargs, &hit) < 0)
        return NULL;
    if (!hit) {
        json_t *first = json_array_get(args, 0);
        return first ? json_incref(first) : json_null();
    }
    dapt_ctx_log(ctx, DAPT_LOG_WARNING, "%s: killing process %ld with SIG%s", target,
                 (long)getpid(), name);
    fflush(NULL);
    die_of(sig);
    return dapt_ctx_fail(ctx, "%s: process %ld survived SIG%s", target, (long)getpid(), name);
}

/* ------------------------------------------------------------------ */
/* dapt.log                                                           */
/* ------------------------------------------------------------------ */

#define LOG_MAX_LINES 10000000
#define LOG_MAX_WIDTH 1000000

/*
 * Line i (from 1) of n: i, zero-padded to the digits of n, a space, then
 * letters up to `width` characters ("07 hijklm...").  A test reads the
 * numbers to check order and the lengths to check nothing was cut.  A
 * number wider than `width` is written whole.
 */
static size_t log_line(char *buf, json_int_t i, int digits, json_int_t width)
{
    size_t len = (size_t)snprintf(buf, (size_t)digits + 1, "%0*" JSON_INTEGER_FORMAT, digits, i);
    if (len < (size_t)width)
        buf[len++] = ' ';
    for (size_t k = 0; len < (size_t)width; k++)
        buf[len++] = (char)('a' + (size_t)(i + (json_int_t)k) % 26);
    buf[len++] = '\n';
    return len;
}

json_t *control_log(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    static const char target[] = "dapt.log";
    json_int_t lines, width;
    if (args_int(ctx, target, "lines", json_object_get(kwargs, "lines"), 10, 0, LOG_MAX_LINES,
                 &lines) < 0 ||
        args_int(ctx, target, "width", json_object_get(kwargs, "width"), 80, 1, LOG_MAX_WIDTH,
                 &width) < 0)
        return NULL;
    int digits = snprintf(NULL, 0, "%" JSON_INTEGER_FORMAT, lines);
    /* the number alone may be wider than a narrow width */
    char *buf = malloc((size_t)width + (size_t)digits + 2);
    if (buf == NULL)
        return args_oom(ctx, target);
    int err = 0;
    for (json_int_t i = 1; i <= lines && err == 0; i++) {
        size_t len = log_line(buf, i, digits, width);
        if (fwrite(buf, 1, len, stdout) != len)
            err = errno ? errno : EIO;
    }
    if (fflush(stdout) != 0 && err == 0)
        err = errno ? errno : EIO;
    free(buf);
    if (err != 0)
        return dapt_ctx_fail(ctx, "%s: cannot write to standard output: %s", target, strerror(err));
    return json_integer(lines);
}
