/*
 * probe.c - the fixture plugin `probe` for the engine's tests: stages that
 * report what the engine gave them, fail on their first attempt, log
 * across a sleep, or print to stdout.  Built as a third party would.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dapt/plugin.h>

/* {args, kwargs, config, input, run, attempt, item}: what the call saw. */
static json_t *context(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    const char *item = dapt_ctx_info(ctx, "item_index");
    return json_pack("{s:O, s:O, s:O?, s:O?, s:O?, s:s?, s:s?, s:s?, s:s?}", "args", args,
                     "kwargs", kwargs, "config", dapt_ctx_config(ctx), "input",
                     dapt_ctx_context(ctx, "input"), "run", dapt_ctx_context(ctx, "run"),
                     "attempt", dapt_ctx_info(ctx, "attempt"), "item", item, "stage",
                     dapt_ctx_info(ctx, "stage"), "run_id", dapt_ctx_info(ctx, "run_id"));
}

/* Fails while attempt < `succeed_on` (default 2); returns the attempt. */
static json_t *flaky(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    (void)args;
    int attempt = atoi(dapt_ctx_info(ctx, "attempt") ? dapt_ctx_info(ctx, "attempt") : "1");
    json_t *on = json_object_get(kwargs, "succeed_on");
    int want = on ? (int)json_integer_value(on) : 2;
    if (attempt < want)
        return dapt_ctx_fail(ctx, "probe.flaky: attempt %d fails", attempt);
    return json_integer(attempt);
}

/* Logs "first", sleeps `seconds` (default 1), logs "second". */
static json_t *nap(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    (void)args;
    json_t *s = json_object_get(kwargs, "seconds");
    double secs = s ? json_number_value(s) : 1.0;
    dapt_ctx_log(ctx, DAPT_LOG_INFO, "first");
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    nanosleep(&ts, NULL);
    dapt_ctx_log(ctx, DAPT_LOG_INFO, "second");
    return json_true();
}

/* Prints "out N" on stdout and "err N" on stderr for its item N. */
static json_t *print(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    (void)ctx;
    (void)kwargs;
    json_t *v = json_array_get(args, 0);
    long long n = v ? (long long)json_integer_value(v) : 0;
    printf("out %lld\n", n);
    fprintf(stderr, "err %lld\n", n);
    return json_integer(n);
}

/* Sleeps without ever looking at dapt_ctx_cancelled (a stage that only a
 * kill stops). */
static json_t *stubborn(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    (void)ctx;
    (void)args;
    json_t *s = json_object_get(kwargs, "seconds");
    sleep(s ? (unsigned)json_integer_value(s) : 5);
    return json_true();
}

/* Starts `sleep SECONDS` and returns without waiting: as a child of the
 * stage, or (`daemon`) as a daemon in its own session, whose parent exits
 * at once. */
static json_t *spawn(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    (void)ctx;
    (void)args;
    const char *seconds = json_string_value(json_object_get(kwargs, "seconds"));
    int daemon = json_is_true(json_object_get(kwargs, "daemon"));
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 1);
        dup2(null, 2);
        if (daemon) {
            setsid();
            if (fork() != 0)
                _exit(0);
        }
        execlp("sleep", "sleep", seconds ? seconds : "300", (char *)NULL);
        _exit(127);
    }
    if (daemon && pid > 0)
        waitpid(pid, NULL, 0);
    return json_integer(pid);
}

/* Closes every file descriptor above stderr, as a careless daemonizing
 * library does: in a worker process that is its socket to the engine. */
static json_t *close_fds(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    (void)ctx;
    (void)args;
    (void)kwargs;
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    return json_true();
}

/* Ends its process with exit(status) (default 3): a worker that exits. */
static json_t *quit(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    (void)ctx;
    (void)args;
    json_t *s = json_object_get(kwargs, "status");
    fflush(NULL);
    exit(s ? (int)json_integer_value(s) : 3);
}

static const dapt_param quit_params[] = {
    DAPT_PARAM("status", "integer", DAPT_OPTIONAL, "3", "The exit status."),
    DAPT_PARAM_END,
};

static const dapt_param flaky_params[] = {
    DAPT_PARAM("succeed_on", "integer", DAPT_OPTIONAL, "2", "The first attempt that succeeds."),
    DAPT_PARAM_END,
};
static const dapt_param nap_params[] = {
    DAPT_PARAM("seconds", "number", DAPT_OPTIONAL, "1", "How long to sleep."),
    DAPT_PARAM_END,
};
static const dapt_param print_params[] = {
    DAPT_PARAM("n", "integer", DAPT_OPTIONAL, "0", "The number to print."),
    DAPT_PARAM_END,
};
static const dapt_param spawn_params[] = {
    DAPT_PARAM("seconds", "string", DAPT_OPTIONAL, "\"300\"", "What sleep is given."),
    DAPT_PARAM("daemon", "boolean", DAPT_OPTIONAL, "false", "A daemon, not a child."),
    DAPT_PARAM_END,
};
static const dapt_param stubborn_params[] = {
    DAPT_PARAM("seconds", "integer", DAPT_OPTIONAL, "5", "How long to sleep."),
    DAPT_PARAM_END,
};

static const dapt_target targets[] = {
    {.path = "context", .fn = context, .flags = DAPT_TARGET_VARARGS | DAPT_TARGET_KWARGS,
     .doc = "What the call saw."},
    {.path = "flaky", .fn = flaky, .params = flaky_params, .doc = "Fails at first."},
    {.path = "nap", .fn = nap, .params = nap_params, .doc = "Logs around a sleep."},
    {.path = "print", .fn = print, .params = print_params, .doc = "Prints its item."},
    {.path = "exit", .fn = quit, .params = quit_params, .doc = "Exits its process."},
    {.path = "close_fds", .fn = close_fds, .doc = "Closes every descriptor above stderr."},
    {.path = "spawn", .fn = spawn, .params = spawn_params, .doc = "Leaves a sleep running."},
    {.path = "stubborn", .fn = stubborn, .params = stubborn_params, .doc = "Ignores cancel."},
    DAPT_TARGET_END,
};

DAPT_PLUGIN(.name = "probe", .version = "1.0.0", .description = "engine test probes",
            .targets = targets);
