/*
 * registry-check.c - a workflow's stages against the plugin catalog
 * (dapt_registry_check_workflow): what `dapt validate` adds once plugins
 * are known.
 *
 * Three checks per stage, each at the position it is about:
 *   - the target resolves (else the resolver's message, with the nearest
 *     names, at the target), and is a stage, not an executor;
 *   - every `args:` key is a parameter of the target, unless the target
 *     takes any named argument (DAPT_TARGET_KWARGS);
 *   - every required parameter is given.  A target without
 *     DAPT_TARGET_VARARGS binds positional arguments (the dependencies'
 *     outputs; for a parameterized stage the item, then the other
 *     outputs, or all of them with map_on) to its parameters in order,
 *     so those are given too.  A root stage also receives the run's input
 *     (plugin.h), which validation cannot see: a missing parameter there is
 *     a warning saying the input must provide it.  Anywhere else nothing
 *     else can provide it, so it is an error.
 * Then the types (typecheck.c): each `args:` value against its parameter's
 * declared type, and each dependency's declared `returns` against the
 * parameter its output fills.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

typedef struct check {
    const char *file;
    dapt_diags *diags;
    size_t errors;
    const dapt_registry *reg;
    const dapt_workflow *wf;
} check;

static void check_error(check *c, dapt_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void check_error(check *c, dapt_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    dapt_diags_add(c->diags, c->file, pos, DAPT_SEV_ERROR, "%s", msg);
    free(msg);
    c->errors++;
}

static const dapt_param_info *find_param(const dapt_target_info *t, const char *name)
{
    for (size_t i = 0; i < t->param_count; i++)
        if (strcmp(t->params[i].name, name) == 0)
            return &t->params[i];
    return NULL;
}

/* "a, b, c" of the target's parameters. */
static char *param_list(const dapt_target_info *t)
{
    strbuf sb = {0};
    for (size_t i = 0; i < t->param_count; i++)
        strbuf_printf(&sb, "%s`%s`", i ? ", " : "", t->params[i].name);
    return strbuf_detach(&sb);
}

/* One `args:` key the target does not declare. */
static void check_unknown_arg(check *c, const dapt_stage *st, const dapt_target_info *t, size_t i)
{
    const char *key = st->arg_names[i];
    if (t->param_count == 0) {
        check_error(c, st->arg_pos[i],
                    "`%s` takes no named arguments, so `args` cannot give `%s` (stage `%s`)",
                    t->target, key, st->name);
        return;
    }
    const char **names = xcalloc(t->param_count, sizeof *names);
    for (size_t p = 0; p < t->param_count; p++)
        names[p] = t->params[p].name;
    const char *close = suggest_closest(key, names, t->param_count);
    if (close) {
        check_error(c, st->arg_pos[i], "`%s` has no parameter `%s` (did you mean `%s`?)", t->target,
                    key, close);
    } else {
        char *list = param_list(t);
        check_error(c, st->arg_pos[i], "`%s` has no parameter `%s`; its parameters: %s", t->target,
                    key, list);
        free(list);
    }
    free(names);
}

static bool has_arg(const dapt_stage *st, const char *name)
{
    for (size_t i = 0; i < st->arg_count; i++)
        if (strcmp(st->arg_names[i], name) == 0)
            return true;
    return false;
}

/* How many of the target's parameters positional arguments fill: the
 * dependencies' outputs, or a parameterized stage's item and the outputs
 * that come after it (callargs_positionals). */
static size_t positional_params(const dapt_stage *st, const dapt_target_info *t)
{
    size_t room = plugin_positional_params(t);
    size_t n = callargs_positionals(st);
    return n < room ? n : room;
}

static void check_required(check *c, const dapt_stage *st, const dapt_target_info *t)
{
    bool root = st->depends_count == 0;
    for (size_t i = positional_params(st, t); i < t->param_count; i++) {
        const dapt_param_info *p = &t->params[i];
        if (!p->required || has_arg(st, p->name))
            continue;
        if (root)
            dapt_diags_add(c->diags, c->file, st->target_pos, DAPT_SEV_WARNING,
                           "`%s` requires `%s`, which the `args` of stage `%s` do not give: "
                           "the run's input must provide it",
                           t->target, p->name, st->name);
        else
            check_error(c, st->target_pos,
                        "`%s` requires `%s`, which stage `%s` does not give: add it to `args`",
                        t->target, p->name, st->name);
    }
}

static void check_stage(check *c, const dapt_registry *reg, const dapt_stage *st)
{
    if (st->target == NULL || st->target[0] == '\0')
        return; /* the loader said so */
    const dapt_target_info *t;
    char *err = NULL;
    if (dapt_registry_resolve(reg, st->target, &t, &err) < 0) {
        check_error(c, st->target_pos, "%s", err);
        free(err);
        return;
    }
    /* an action is a stage function too: a trigger runs it as a one-stage
     * run, and a workflow may call it as well */
    if (t->kind != DAPT_TARGET_STAGE && t->kind != DAPT_TARGET_ACTION) {
        check_error(c, st->target_pos,
                    "`%s` is %s, not a stage: name it where an executor is chosen "
                    "(services.compute.executor)",
                    t->target, t->kind == DAPT_TARGET_EXECUTOR ? "an executor" : "not a stage");
        return;
    }
    if (!(t->flags & DAPT_TARGET_KWARGS))
        for (size_t i = 0; i < st->arg_count; i++)
            if (find_param(t, st->arg_names[i]) == NULL)
                check_unknown_arg(c, st, t, i);
    check_required(c, st, t);
    c->errors += typecheck_stage(c->reg, c->wf, st, t, c->file, c->diags);
}

size_t dapt_registry_check_workflow(const dapt_registry *reg, const dapt_workflow *wf,
                                    const char *file, dapt_diags *diags)
{
    check c = {.file = file, .diags = diags, .errors = 0, .reg = reg, .wf = wf};
    for (size_t i = 0; i < wf->stage_count; i++)
        check_stage(&c, reg, &wf->stages[i]);
    return c.errors;
}
