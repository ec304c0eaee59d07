/*
 * builtin.c - the descriptor of the plugin `dapt`: the stages every dapt
 * installation has.  Their names and behaviour are a contract that tests
 * and benchmarks outside the project rely on (see dapt-plugin(7) and
 * examples/README.md): change a doc string freely, a behaviour never.
 *
 * Like any third-party plugin this module includes only <dapt/plugin.h>,
 * links only jansson, and exports only dapt_plugin_describe.
 *
 * Positional arguments: a target without DAPT_TARGET_VARARGS binds them to
 * its parameters in order (dapt.add's two positionals are `a` and `b`); a
 * target with it takes them all, and its parameters are named-only.
 */
#include "builtin.h"

static const dapt_param range_params[] = {
    DAPT_PARAM("n", "integer", DAPT_REQUIRED, NULL,
               "How many numbers: the list is 0, 1, ..., n-1 (0 to 10000000)."),
    DAPT_PARAM_END,
};

static const dapt_param square_params[] = {
    DAPT_PARAM("x", "number", DAPT_REQUIRED, NULL, "The number to square."),
    DAPT_PARAM_END,
};

static const dapt_param add_params[] = {
    DAPT_PARAM("a", "number", DAPT_REQUIRED, NULL, "The first term."),
    DAPT_PARAM("b", "number", DAPT_REQUIRED, NULL, "The second term."),
    DAPT_PARAM_END,
};

static const dapt_param sum_params[] = {
    DAPT_PARAM("values", "array", DAPT_REQUIRED, NULL, "The numbers to add up."),
    DAPT_PARAM_END,
};

static const dapt_param sleep_params[] = {
    DAPT_PARAM("seconds", "number", DAPT_OPTIONAL, "1",
               "How long to sleep, in seconds (fractions allowed)."),
    DAPT_PARAM("value", "any", DAPT_OPTIONAL, "null",
               "What to return when there is no positional argument."),
    DAPT_PARAM_END,
};

static const dapt_param fail_params[] = {
    DAPT_PARAM("message", "string", DAPT_OPTIONAL, "\"" CONTROL_FAIL_MESSAGE "\"",
               "The error message of the failure."),
    DAPT_PARAM("on", "array", DAPT_OPTIONAL, NULL,
               "Fail only when the first positional argument is one of these values "
               "(numbers compare by value); otherwise return it."),
    DAPT_PARAM_END,
};

static const dapt_param crash_params[] = {
    DAPT_PARAM("signal", "string|integer", DAPT_OPTIONAL, "\"SEGV\"",
               "The signal to die of: a name (\"SEGV\", \"SIGKILL\", \"abrt\") or a number; "
               "only signals that end a process."),
    DAPT_PARAM("on", "array", DAPT_OPTIONAL, NULL,
               "Crash only when the first positional argument is one of these values; "
               "otherwise return it."),
    DAPT_PARAM_END,
};

static const dapt_param log_params[] = {
    DAPT_PARAM("lines", "integer", DAPT_OPTIONAL, "10", "How many lines to write (0 to 10000000)."),
    DAPT_PARAM("width", "integer", DAPT_OPTIONAL, "80",
               "The length of each line without its newline (1 to 1000000)."),
    DAPT_PARAM_END,
};

static const dapt_param shell_params[] = {
    DAPT_PARAM("argv", "array|string", DAPT_REQUIRED, NULL,
               "The program and its arguments, e.g. [\"wc\", \"-l\"]; looked up in PATH.  "
               "With `shell: true`, one string for /bin/sh -c."),
    DAPT_PARAM("stdin", "string", DAPT_OPTIONAL, NULL,
               "The program's standard input (default: empty, from /dev/null)."),
    DAPT_PARAM("check", "boolean", DAPT_OPTIONAL, "true",
               "Fail the stage when the program exits with a non-zero status or is killed."),
    DAPT_PARAM("shell", "boolean", DAPT_OPTIONAL, "false",
               "Run `argv`, a string, with /bin/sh -c (quoting and injection are yours to "
               "handle)."),
    DAPT_PARAM_END,
};

/* The object store's parameters, shared by its four targets. */
#define OBJECT_KEY_PARAM                                                                           \
    DAPT_PARAM("key", "string", DAPT_REQUIRED, NULL,                                               \
               "The object's name: letters, digits, _ and - (an artifact's folder name).")
#define OBJECT_WHERE_PARAMS                                                                        \
    DAPT_PARAM("namespace", "string", DAPT_OPTIONAL, NULL,                                         \
               "The namespace of the key (default: the run's namespace, `default` "                \
               "unless the run names another)."),                                                  \
        DAPT_PARAM("strategy", "string", DAPT_OPTIONAL, NULL,                                      \
                   "Where the object lives: fallback (cluster memory, then an artifact), "         \
                   "cluster_memory (the run's engine, gone when the run ends) or artifact "        \
                   "(.dapt/artifacts/NAMESPACE/KEY/ in the workspace).  Default: "                 \
                   "services.compute.default_os_strategy, itself fallback.")

static const dapt_param put_params[] = {
    DAPT_PARAM("value", "any", DAPT_OPTIONAL, NULL,
               "The value to store when the stage has no positional argument (with one, "
               "the output of the stage it depends on is stored)."),
    OBJECT_KEY_PARAM,
    OBJECT_WHERE_PARAMS,
    DAPT_PARAM_END,
};

static const dapt_param get_params[] = {
    OBJECT_KEY_PARAM,
    OBJECT_WHERE_PARAMS,
    DAPT_PARAM("default", "any", DAPT_OPTIONAL, NULL,
               "What to return when there is no such object; without it a missing object "
               "fails the stage."),
    DAPT_PARAM_END,
};

static const dapt_param object_params[] = {
    OBJECT_KEY_PARAM,
    OBJECT_WHERE_PARAMS,
    DAPT_PARAM_END,
};

/* dapt.executor.local: the engine's own executor.  Its parameters are the
 * keys of services.compute.executor in the settings. */
static const dapt_executor_desc local_executor = {DAPT_EXECUTOR_ABI, "local"};

static const dapt_param local_params[] = {
    DAPT_PARAM("use_processes", "boolean", DAPT_OPTIONAL, "true",
               "Run stages in a pool of dapt-worker processes (a crashing stage cannot take "
               "dapt down); false: in threads of the engine's process (faster, no isolation)."),
    DAPT_PARAM("workers", "integer", DAPT_OPTIONAL, NULL,
               "How many processes or threads run stages at once (default: the number of "
               "cores); a stage with `resources: {cpus: 2}` takes two."),
    DAPT_PARAM("grace_period", "string", DAPT_OPTIONAL, "\"5s\"",
               "How long a cancelled or timed-out stage has to stop before it is killed."),
    DAPT_PARAM_END,
};

static const dapt_param append_event_params[] = {
    DAPT_PARAM("path", "string", DAPT_REQUIRED, NULL,
               "The file to append to (created when missing)."),
    DAPT_PARAM("event", "object|null", DAPT_OPTIONAL, "null",
               "The event that fired the rule; dapt passes it."),
    DAPT_PARAM_END,
};

static const dapt_target targets[] = {
    {
        .path = "echo",
        .kind = DAPT_TARGET_STAGE,
        .flags = DAPT_TARGET_VARARGS | DAPT_TARGET_KWARGS,
        .fn = control_echo,
        .doc = "Return what the stage was given.\n"
               "With no positional argument (a root stage), the named arguments: the run "
               "input and the stage's args.  With one (one dependency, or the item of a "
               "parameterized stage), that value.  With several, their list in depends_on "
               "order.",
        .returns = "the named arguments, the only positional argument, or the list of "
                   "positional arguments",
    },
    {
        .path = "range",
        .kind = DAPT_TARGET_STAGE,
        .fn = numbers_range,
        .params = range_params,
        .doc = "The integers from 0 to n-1.\n"
               "`n` is named or the first positional argument.",
        .returns = "list of integers [0, 1, ..., n-1]",
    },
    {
        .path = "square",
        .kind = DAPT_TARGET_STAGE,
        .fn = numbers_square,
        .params = square_params,
        .doc = "The square of a number.\n"
               "The number is the first positional argument (the item of a parameterized "
               "stage) or `x`.  An integer's square is an integer; one that does not fit in "
               "64 bits is an error.",
        .returns = "number: x * x",
    },
    {
        .path = "add",
        .kind = DAPT_TARGET_STAGE,
        .fn = numbers_add,
        .params = add_params,
        .doc = "The sum of two numbers.\n"
               "The terms are the first two positional arguments or `a` and `b` (one "
               "positional is `a`).  Integers give an integer; overflow is an error.",
        .returns = "number: a + b",
    },
    {
        .path = "sum",
        .kind = DAPT_TARGET_STAGE,
        .fn = numbers_sum,
        .params = sum_params,
        .doc = "The sum of a list of numbers.\n"
               "The list is the first positional argument or `values`.  The sum of integers is "
               "an integer (overflow is an error); a real anywhere makes it a real.  An empty "
               "list sums to 0.",
        .returns = "number: the sum",
    },
    {
        .path = "sleep",
        .kind = DAPT_TARGET_STAGE,
        .flags = DAPT_TARGET_VARARGS,
        .fn = control_sleep,
        .params = sleep_params,
        .doc = "Wait, then pass a value on.\n"
               "Sleeps `seconds` in steps of 10 ms, stopping early (and failing) when the run "
               "is cancelled or the stage times out.  Returns its first positional argument, "
               "else `value`, else null.",
        .returns = "the first positional argument, `value`, or null",
    },
    {
        .path = "fail",
        .kind = DAPT_TARGET_STAGE,
        .flags = DAPT_TARGET_VARARGS,
        .fn = control_fail,
        .params = fail_params,
        .doc = "Fail with a message, always or for chosen inputs.\n"
               "Without `on`, the stage fails with `message`.  With `on: [values]` (given in "
               "the stage's args), it fails only when its first positional argument is one of "
               "them and otherwise returns that argument: in a parameterized stage, the items "
               "listed fail and the others pass.",
        .returns = "the first positional argument when it is not in `on`",
    },
    {
        .path = "crash",
        .kind = DAPT_TARGET_STAGE,
        .flags = DAPT_TARGET_VARARGS,
        .fn = control_crash,
        .params = crash_params,
        .doc = "Kill the process running the stage with a signal.\n"
               "For tests of crash handling: the worker dies of `signal` (default SEGV, no core "
               "file).  With `on`, only for the listed first positional arguments, as "
               "dapt.fail.  Do not use it with the thread executor: the process it kills is "
               "then dapt itself.",
        .returns = "the first positional argument when it is not in `on`",
    },
    {
        .path = "log",
        .kind = DAPT_TARGET_STAGE,
        .flags = DAPT_TARGET_VARARGS,
        .fn = control_log,
        .params = log_params,
        .doc = "Write numbered lines to standard output.\n"
               "Line i of n is i (zero-padded to the width of n), a space, and letters up to "
               "`width` characters, so a test can check order and completeness of a stage's "
               "output.  Flushes before returning.",
        .returns = "integer: the number of lines written",
    },
    {
        .path = "shell",
        .kind = DAPT_TARGET_STAGE,
        .flags = DAPT_TARGET_VARARGS,
        .fn = shell_run,
        .params = shell_params,
        .doc = "Run a program and capture its standard output.\n"
               "The program runs directly (fork and exec, no shell) unless `shell: true`.  Its "
               "standard error goes to the stage's log.  The stage fails when the program "
               "cannot be started, or, unless `check: false`, when it exits with a non-zero "
               "status or is killed (exit is then 128 + the signal number).  Positional "
               "arguments are ignored, so the stage can depend on others just for order.",
        .returns = "object {exit: integer, stdout: string} (bytes that are not UTF-8 become "
                   "U+FFFD)",
    },
    {
        .path = "put",
        .kind = DAPT_TARGET_STAGE,
        .flags = DAPT_TARGET_VARARGS,
        .fn = objects_put,
        .params = put_params,
        .doc = "Store a value in the object store under a key.\n"
               "Stores the first positional argument (the output of the stage it depends "
               "on), else `value`, in cluster memory or as an artifact as `strategy` says, and "
               "passes it on, so it can sit in the middle of a chain.",
        .returns = "the value stored",
    },
    {
        .path = "get",
        .kind = DAPT_TARGET_STAGE,
        .flags = DAPT_TARGET_VARARGS,
        .fn = objects_get,
        .params = get_params,
        .doc = "Read a value from the object store.\n"
               "With the fallback strategy, cluster memory is looked at first, then the "
               "artifacts.  A missing object fails the stage unless `default` is given.  "
               "Positional arguments are ignored, so the stage can depend on the one that "
               "stored the value.",
        .returns = "the value stored under `key`, or `default`",
    },
    {
        .path = "delete",
        .kind = DAPT_TARGET_STAGE,
        .flags = DAPT_TARGET_VARARGS,
        .fn = objects_delete,
        .params = object_params,
        .doc = "Remove a value from the object store.\n"
               "With the fallback strategy: from cluster memory, and only when it is not "
               "there, the artifact (as Flowdapt).  A missing object fails the stage.",
        .returns = "true",
    },
    {
        .path = "exists",
        .kind = DAPT_TARGET_STAGE,
        .flags = DAPT_TARGET_VARARGS,
        .fn = objects_exists,
        .params = object_params,
        .doc = "Whether the object store holds a value under a key.\n"
               "With the fallback strategy: in cluster memory or as an artifact.",
        .returns = "boolean",
    },
    {
        .path = "append_event",
        .kind = DAPT_TARGET_ACTION,
        .flags = DAPT_TARGET_VARARGS,
        .fn = actions_append_event,
        .params = append_event_params,
        .doc = "A trigger action: append the event that fired the rule to a file, as one "
               "line of JSON.\n"
               "For an audit trail of what happened on a workspace, or for another program "
               "to follow (tail -f).  Lines from several processes never interleave.",
        .returns = "{path, bytes}: the file and the bytes written",
    },
    {
        .path = "executor.local",
        .kind = DAPT_TARGET_EXECUTOR,
        .executor = &local_executor,
        .params = local_params,
        .doc = "Run stages on this machine: worker processes, or threads.\n"
               "Chosen with `services.compute.executor.target: dapt.executor.local` in "
               "dapt.yaml (the default); the other keys of services.compute.executor are "
               "its parameters.",
    },
    DAPT_TARGET_END,
};

static const char *const requirements[] = {"jansson", NULL};

/* PLUGIN_VERSION: dapt's own version, from the build (plugins/local.mk). */
DAPT_PLUGIN(.name = "dapt", .version = PLUGIN_VERSION,
            .description = "dapt's builtin stages (data, arithmetic, waiting, failing, "
                           "crashing, output, programs, the object store) and its local "
                           "executor",
            .author = "The dapt authors", .requirements = requirements, .targets = targets);
