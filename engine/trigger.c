/* trigger.c - `kind: trigger_rule`: a schedule (cron list) or a condition
 * over events, and the action it takes.  Here the shape is checked; the
 * cron and rule languages themselves belong to the trigger service. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static const struct trigger_type_def {
    const char *name;
    dapt_trigger_type type;
} trigger_type_defs[] = {
    {"condition", DAPT_TRIGGER_CONDITION},
    {"schedule", DAPT_TRIGGER_SCHEDULE},
};
#define TRIGGER_TYPE_COUNT (sizeof trigger_type_defs / sizeof trigger_type_defs[0])

static const char *const trigger_spec_keys[] = {"type", "rule", "action"};
static const char *const action_keys[] = {"target", "parameters", "params"};

static int trigger_load_type(load_ctx *lc, const ynode *t, dapt_trigger_type *out)
{
    char *text = NULL;
    *out = DAPT_TRIGGER_CONDITION; /* Flowdapt's default */
    if (t == NULL || ynode_is_null(t))
        return 0;
    if (load_string(lc, t, "type", &text) < 0)
        return -1;
    for (size_t i = 0; i < TRIGGER_TYPE_COUNT; i++) {
        if (strcmp(text, trigger_type_defs[i].name) == 0) {
            *out = trigger_type_defs[i].type;
            free(text);
            return 0;
        }
    }
    const char *names[TRIGGER_TYPE_COUNT];
    for (size_t i = 0; i < TRIGGER_TYPE_COUNT; i++)
        names[i] = trigger_type_defs[i].name;
    const char *near = suggest_closest(text, names, TRIGGER_TYPE_COUNT);
    load_error(lc, t->pos, "unknown trigger type `%s`; expected `condition` or `schedule`%s%s%s",
               text, near ? " (did you mean `" : "", near ? near : "", near ? "`?)" : "");
    free(text);
    return -1;
}

/* A cron expression has five fields: minute hour day-of-month month
 * day-of-week.  Their contents are checked by the trigger service. */
static size_t trigger_cron_fields(const char *s)
{
    size_t n = 0;
    while (*s != '\0') {
        while (isspace((unsigned char)*s))
            s++;
        if (*s == '\0')
            break;
        n++;
        while (*s != '\0' && !isspace((unsigned char)*s))
            s++;
    }
    return n;
}

static void trigger_load_rule(load_ctx *lc, dapt_trigger *tr, const ynode *spec)
{
    const ynode *rule = ynode_get(spec, "rule");
    if (rule == NULL || ynode_is_null(rule)) {
        load_error(lc, spec->pos, "missing `rule`: %s",
                   tr->type == DAPT_TRIGGER_SCHEDULE
                       ? "a schedule trigger needs a list of cron expressions, e.g. "
                         "[\"*/5 * * * *\"]"
                       : "a condition trigger needs a rule, e.g. {eq: [{var: type}, ...]}");
        return;
    }
    if (tr->type == DAPT_TRIGGER_SCHEDULE) {
        if (rule->type == YNODE_SCALAR) {
            load_error(lc, rule->pos,
                       "a schedule `rule` is a list of cron expressions; write [\"%s\"]",
                       rule->str);
            return;
        }
        if (rule->type != YNODE_SEQ || rule->count == 0) {
            load_error(lc, rule->pos, "a schedule `rule` must be a non-empty list of cron "
                                      "expressions");
            return;
        }
        for (size_t i = 0; i < rule->count; i++) {
            const ynode *c = rule->items[i];
            char *text = NULL;
            if (load_string(lc, c, "rule", &text) < 0)
                continue;
            size_t n = trigger_cron_fields(text);
            if (n != 5)
                load_error(lc, c->pos,
                           "cron expression `%s` has %zu field%s; it needs 5: minute hour "
                           "day-of-month month day-of-week",
                           text, n, n == 1 ? "" : "s");
            free(text);
        }
    } else if (rule->type != YNODE_MAP) {
        load_error(lc, rule->pos,
                   "a condition `rule` must be a mapping with one operator, e.g. "
                   "{eq: [{var: data.state}, failed]}, not %s",
                   ynode_describe(rule));
        return;
    }
    tr->rule = ynode_to_json(rule, lc->file, lc->diags);
}

static void trigger_load_action(load_ctx *lc, dapt_trigger *tr, const ynode *spec)
{
    const ynode *action = ynode_get(spec, "action");
    if (action == NULL || ynode_is_null(action)) {
        load_error(lc, spec->pos, "missing `action`: say what to do, e.g. "
                                  "{target: run_workflow, parameters: {workflow: NAME}}");
        return;
    }
    if (action->type != YNODE_MAP) {
        load_error(lc, action->pos, "`action` must be a mapping with `target`, not %s",
                   ynode_describe(action));
        return;
    }
    load_unknown_keys(lc, action, "`action`", action_keys,
                      sizeof action_keys / sizeof action_keys[0]);
    const ynode *t = ynode_get(action, "target");
    if (t == NULL || ynode_is_null(t))
        load_error(lc, action->pos, "`action` has no `target`: e.g. `target: run_workflow`");
    else
        load_string(lc, t, "action.target", &tr->action_target);
    const ynode *p = ynode_get(action, "parameters");
    if (p == NULL)
        p = ynode_get(action, "params"); /* Flowdapt's alias */
    if (p != NULL && !ynode_is_null(p)) {
        if (p->type != YNODE_MAP)
            load_error(lc, p->pos, "action `parameters` must be a mapping, not %s",
                       ynode_describe(p));
        else
            tr->action_params = ynode_to_json(p, lc->file, lc->diags);
    }
}

dapt_trigger *trigger_load(load_ctx *lc, const ynode *doc)
{
    dapt_trigger *tr = xcalloc(1, sizeof *tr);
    load_metadata(lc, doc, &tr->name, &tr->annotations);
    const ynode *spec = ynode_get(doc, "spec");
    if (spec == NULL || ynode_is_null(spec)) {
        load_error(lc, doc->pos, "missing `spec` with `rule` and `action`");
    } else if (spec->type != YNODE_MAP) {
        load_error(lc, spec->pos, "`spec` must be a mapping with `rule` and `action`, not %s",
                   ynode_describe(spec));
    } else {
        load_unknown_keys(lc, spec, "`spec`", trigger_spec_keys,
                          sizeof trigger_spec_keys / sizeof trigger_spec_keys[0]);
        trigger_load_type(lc, ynode_get(spec, "type"), &tr->type);
        trigger_load_rule(lc, tr, spec);
        trigger_load_action(lc, tr, spec);
    }
    if (tr->action_target == NULL)
        tr->action_target = xstrdup("");
    if (tr->action_params == NULL)
        tr->action_params = json_object();
    if (tr->rule == NULL)
        tr->rule = tr->type == DAPT_TRIGGER_SCHEDULE ? json_array() : json_object();
    return tr;
}

void trigger_free(dapt_trigger *tr)
{
    if (tr == NULL)
        return;
    free(tr->name);
    json_decref(tr->annotations);
    json_decref(tr->rule);
    free(tr->action_target);
    json_decref(tr->action_params);
    free(tr);
}
