/*
 * builtin.h - the internal header of the builtin plugin `dapt`
 * (plugins/builtin/): the argument helpers every target shares and one
 * block per file.  Nothing here is exported: the module's only public
 * symbol is the descriptor (builtin.c).
 */
#ifndef DAPT_BUILTIN_H
#define DAPT_BUILTIN_H

#include <limits.h>
#include <stdbool.h>

#include <dapt/plugin.h>

/* The largest json_int_t (jansson names no such constant). */
#if JSON_INTEGER_IS_LONG_LONG
#define ARGS_INT_MAX ((json_int_t)LLONG_MAX)
#else
#define ARGS_INT_MAX ((json_int_t)LONG_MAX)
#endif

/* args.c: reading and checking a target's arguments.  Every message
 * starts with the target string ("dapt.range: ...") so it reads well in
 * a run's log without further context. */

/* The argument a target takes from positional `index` or, when there are
 * not that many positional arguments, from the named `name`.  Borrowed;
 * NULL when neither is given.  (A named value of JSON null counts as
 * given.) */
json_t *args_get(json_t *args, json_t *kwargs, size_t index, const char *name);
/* The first positional argument, else the named `name`, else NULL. */
json_t *args_first(json_t *args, json_t *kwargs, const char *name);
/* A short JSON rendering of a value for messages ("\"x\"", "[1, 2]"),
 * cut at 60 characters.  Caller frees. */
char *args_show(const json_t *value);
/* Fail with "TARGET: `NAME` must be WHAT, not VALUE".  Returns NULL. */
json_t *args_wrong(dapt_ctx *ctx, const char *target, const char *name, const char *what,
                   const json_t *value);
/* Fail with "TARGET: `NAME` is required (WHAT)".  Returns NULL. */
json_t *args_missing(dapt_ctx *ctx, const char *target, const char *name, const char *what);
/*
 * An integer argument in [min, max]: `value` when not NULL, else `def`.
 * 0 with *out set, or -1 after failing the stage.
 */
int args_int(dapt_ctx *ctx, const char *target, const char *name, const json_t *value,
             json_int_t def, json_int_t min, json_int_t max, json_int_t *out);
/* A boolean argument: `value` when not NULL, else `def`.  0 or -1. */
int args_bool(dapt_ctx *ctx, const char *target, const char *name, const json_t *value, bool def,
              bool *out);
/* Whether two values are the same, numbers compared by value (so an
 * `on: [2]` list matches 2.0 too). */
bool args_same(const json_t *a, const json_t *b);
/*
 * The `on` rule of dapt.fail and dapt.crash: with no `on`, *hit is true;
 * with `on: [values]`, *hit says whether the first positional argument
 * (null when there is none) is one of them.  0, or -1 after failing the
 * stage when `on` is not a list.
 */
int args_on(dapt_ctx *ctx, const char *target, json_t *args, json_t *kwargs, bool *hit);
/* Fail with "TARGET: out of memory".  Returns NULL. */
json_t *args_oom(dapt_ctx *ctx, const char *target);

/* numbers.c */
json_t *numbers_range(dapt_ctx *ctx, json_t *args, json_t *kwargs);
json_t *numbers_square(dapt_ctx *ctx, json_t *args, json_t *kwargs);
json_t *numbers_add(dapt_ctx *ctx, json_t *args, json_t *kwargs);
json_t *numbers_sum(dapt_ctx *ctx, json_t *args, json_t *kwargs);
/* The largest `n` dapt.range accepts (a list of that many integers is
 * already some hundreds of megabytes). */
#define NUMBERS_RANGE_MAX 10000000

/* control.c: stages for tests and benchmarks of the engine. */
json_t *control_echo(dapt_ctx *ctx, json_t *args, json_t *kwargs);
json_t *control_sleep(dapt_ctx *ctx, json_t *args, json_t *kwargs);
json_t *control_fail(dapt_ctx *ctx, json_t *args, json_t *kwargs);
json_t *control_crash(dapt_ctx *ctx, json_t *args, json_t *kwargs);
json_t *control_log(dapt_ctx *ctx, json_t *args, json_t *kwargs);
#define CONTROL_FAIL_MESSAGE "dapt.fail was asked to fail"

/* actions.c: trigger actions (kind action). */
json_t *actions_append_event(dapt_ctx *ctx, json_t *args, json_t *kwargs);

/* shell.c */
json_t *shell_run(dapt_ctx *ctx, json_t *args, json_t *kwargs);

/* objects.c: the run's object store (the host's object_* functions). */
json_t *objects_put(dapt_ctx *ctx, json_t *args, json_t *kwargs);
json_t *objects_get(dapt_ctx *ctx, json_t *args, json_t *kwargs);
json_t *objects_delete(dapt_ctx *ctx, json_t *args, json_t *kwargs);
json_t *objects_exists(dapt_ctx *ctx, json_t *args, json_t *kwargs);

#endif /* DAPT_BUILTIN_H */
