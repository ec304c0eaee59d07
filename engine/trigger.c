/* trigger.c - `kind: trigger_rule`: a schedule (cron list) or a condition
 * over events, and the action it takes.  Here the shape is checked, cron
 * expressions with cron.c's parser; rules are evaluated by rule.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* Trigger types, indexed by dapt_trigger_type. */
static const char *const trigger_type_names[] = {
    [DAPT_TRIGGER_CONDITION] = "condition",
    [DAPT_TRIGGER_SCHEDULE] = "schedule",
};
#define TRIGGER_TYPE_COUNT (sizeof trigger_type_names / sizeof trigger_type_names[0])

/* timezone and catchup are dapt's (schedules only) */
static const char *const trigger_spec_keys[] = {"type", "rule", "action", "timezone", "catchup"};
static const char *const action_keys[] = {"target", "parameters", "params"};

static int trigger_load_type(load_ctx *lc, const ynode *t, dapt_trigger_type *out)
{
    *out = DAPT_TRIGGER_CONDITION; /* Flowdapt's default */
    if (t == NULL || ynode_is_null(t))
        return 0;
    int i = load_choice(lc, t, "trigger type", trigger_type_names, TRIGGER_TYPE_COUNT);
    if (i < 0)
        return -1;
    *out = (dapt_trigger_type)i;
    return 0;
}

/* One parser for cron expressions (cron.c): what validate accepts is what
 * the trigger service runs, and its messages are whole. */
static void trigger_check_cron(load_ctx *lc, const ynode *c, const char *text)
{
    cron_expr expr;
    char *error = NULL;
    if (cron_parse(&expr, text, &error) < 0) {
        load_error(lc, c->pos, "%s", error);
        free(error);
    }
}

/* The rule language (rule.c): one operator per mapping, with as many
 * arguments as it takes (a lone value is a list of one), and `var` with a
 * path.  Checked here, with positions, so that a rule that could never
 * work is an error at load and not at every event. */
static void trigger_check_rule(load_ctx *lc, const ynode *n, int depth);

static void trigger_check_args(load_ctx *lc, const ynode *k, const ynode *args, int depth)
{
    size_t min, max;
    if (!rule_operator(k->str, &min, &max)) {
        char *msg = rule_unknown_message(k->str);
        load_error(lc, k->pos, "%s", msg);
        free(msg);
        return;
    }
    size_t n = args->type == YNODE_SEQ ? args->count : 1;
    if (n < min || n > max) {
        if (min == max)
            load_error(lc, k->pos, "`%s` takes %zu argument%s, not %zu", k->str, min,
                       min == 1 ? "" : "s", n);
        else
            load_error(lc, k->pos, "`%s` takes %zu to %zu arguments, not %zu", k->str, min, max,
                       n);
        return;
    }
    if (n == 0)
        return; /* `and: []` */
    const ynode *first = args->type == YNODE_SEQ ? args->items[0] : args;
    if (strcmp(k->str, "var") == 0) {
        /* a path, or a rule that makes one */
        if (first->type == YNODE_MAP)
            trigger_check_rule(lc, first, depth + 1);
        else if (first->type != YNODE_SCALAR || ynode_is_null(first) ||
                 (first->plain && strcmp(ynode_describe(first), "a string") != 0))
            load_error(lc, first->pos, "`var` takes a path like data.workflow, not %s",
                       ynode_describe(first));
        /* the fallback, when a rule, is evaluated too (rule.c) */
        if (n > 1 && args->items[1]->type == YNODE_MAP)
            trigger_check_rule(lc, args->items[1], depth + 1);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const ynode *a = args->type == YNODE_SEQ ? args->items[i] : args;
        if (a->type == YNODE_MAP)
            trigger_check_rule(lc, a, depth + 1);
    }
}

static void trigger_check_rule(load_ctx *lc, const ynode *n, int depth)
{
    if (n == NULL || n->type != YNODE_MAP)
        return;
    if (depth > 64) {
        load_error(lc, n->pos, "the rule is nested more than 64 levels deep");
        return;
    }
    if (n->count != 1) {
        load_error(lc, n->pos,
                   n->count == 0 ? "an empty mapping in a rule: write one operator, e.g. "
                                   "{eq: [{var: data.state}, failed]}"
                                 : "a mapping in a rule holds one operator; this one has %zu: "
                                   "put several conditions in `and: [...]`",
                   n->count);
        if (n->count == 0)
            return;
    }
    for (size_t i = 0; i < n->count; i++) {
        const ynode *k = n->keys[i];
        if (k->type == YNODE_SCALAR)
            trigger_check_args(lc, k, n->items[i], depth);
    }
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
            if (c->type != YNODE_SCALAR || ynode_is_null(c) ||
                (c->plain && strcmp(ynode_describe(c), "a string") != 0)) {
                load_error(lc, c->pos,
                           "each entry of a schedule `rule` must be a cron expression string, "
                           "e.g. \"*/5 * * * *\", not %s",
                           ynode_describe(c));
                continue;
            }
            char *text = xstrndup(c->str, c->len);
            trigger_check_cron(lc, c, text);
            free(text);
        }
    } else if (rule->type != YNODE_MAP) {
        load_error(lc, rule->pos,
                   "a condition `rule` must be a mapping with one operator, e.g. "
                   "{eq: [{var: data.state}, failed]}, not %s",
                   ynode_describe(rule));
        return;
    } else {
        trigger_check_rule(lc, rule, 0);
    }
    tr->rule = ynode_to_json(rule, "rule", lc->file, lc->diags);
}

/* A name without a dot is a built-in action; a dotted one names a plugin
 * target, checked against the catalog once plugins are known. */
static const char *const builtin_actions[] = {"run_workflow", "print_event"};

static void trigger_check_action(load_ctx *lc, const ynode *t, const char *target)
{
    size_t n = sizeof builtin_actions / sizeof builtin_actions[0];
    if (*target == '\0') {
        load_error(lc, t->pos,
                   "`action.target` is empty: name the action, e.g. `target: run_workflow`");
        return;
    }
    if (strchr(target, '.') != NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(target, builtin_actions[i]) == 0)
            return;
    }
    const char *near = suggest_closest(target, builtin_actions, n);
    if (near != NULL)
        load_error(lc, t->pos, "unknown action `%s` (did you mean `%s`?)", target, near);
    else
        load_error(lc, t->pos,
                   "unknown action `%s`; built-in actions are run_workflow and print_event, "
                   "or name a plugin target as plugin.path",
                   target);
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
        if (action->type == YNODE_SCALAR)
            load_error(lc, action->pos,
                       "`action` must be a mapping with `target`, not %s; write `action: "
                       "{target: %s}`",
                       ynode_describe(action), action->str);
        else
            load_error(lc, action->pos, "`action` must be a mapping with `target`, not %s",
                       ynode_describe(action));
        return;
    }
    load_unknown_keys(lc, action, "`action`", action_keys,
                      sizeof action_keys / sizeof action_keys[0]);
    const ynode *t = ynode_get(action, "target");
    tr->target_pos = t != NULL ? t->pos : action->pos;
    if (t == NULL || ynode_is_null(t))
        load_error(lc, action->pos, "`action` has no `target`: e.g. `target: run_workflow`");
    else if (load_string(lc, t, "action.target", &tr->action_target) == 0)
        trigger_check_action(lc, t, tr->action_target);
    const char *pkey = "parameters";
    const ynode *p = ynode_get(action, pkey);
    if (p == NULL) {
        pkey = "params"; /* Flowdapt's alias */
        p = ynode_get(action, pkey);
    }
    if (p != NULL && ynode_get(p, "workflow") != NULL)
        tr->workflow_pos = ynode_get(p, "workflow")->pos;
    if (p != NULL && !ynode_is_null(p)) {
        if (p->type != YNODE_MAP)
            load_error(lc, p->pos, "action `%s` must be a mapping, not %s", pkey,
                       ynode_describe(p));
        else
            tr->action_params = ynode_to_json(p, pkey, lc->file, lc->diags);
    }
    if (tr->action_target != NULL && strcmp(tr->action_target, "run_workflow") == 0 &&
        (p == NULL || p->type == YNODE_MAP) && ynode_get(p, "workflow") == NULL)
        load_error(lc, p ? p->pos : action->pos,
                   "action `run_workflow` needs `parameters.workflow`: the name of the workflow "
                   "to run");
}

/* spec.timezone and spec.catchup: what a schedule's slots mean.  The
 * zone itself is checked by triggers_check_bundle (it reads the tz
 * database, which the loader does not need for anything else). */
static void trigger_load_schedule_keys(load_ctx *lc, dapt_trigger *tr, const ynode *spec)
{
    const ynode *tz = ynode_get(spec, "timezone");
    if (tz != NULL && !ynode_is_null(tz)) {
        tr->timezone_pos = tz->pos;
        if (load_string(lc, tz, "timezone", &tr->timezone) == 0 && tr->timezone != NULL &&
            *tr->timezone == '\0') {
            load_error(lc, tz->pos, "`timezone` is empty: name a zone like Europe/Berlin, or "
                                    "leave it out for UTC");
            free(tr->timezone);
            tr->timezone = NULL;
        }
    }
    const ynode *cu = ynode_get(spec, "catchup");
    if (cu != NULL && !ynode_is_null(cu)) {
        json_t *j = cu->type == YNODE_SCALAR ? ynode_to_json(cu, NULL, NULL, NULL) : NULL;
        if (!json_is_boolean(j))
            load_error(lc, cu->pos, "`catchup` must be true or false, not %s",
                       ynode_describe(cu));
        tr->catchup = json_is_true(j);
        json_decref(j);
    }
    if (tr->type == DAPT_TRIGGER_CONDITION && ((tz != NULL && !ynode_is_null(tz)) ||
                                               (cu != NULL && !ynode_is_null(cu))))
        load_warning(lc, (tz != NULL ? tz : cu)->pos,
                     "`%s` only matters to a schedule rule; this rule is a condition",
                     tz != NULL ? "timezone" : "catchup");
}

const char *const *trigger_known(const char *what, size_t *count)
{
    static const struct {
        const char *what;
        const char *const *names;
        size_t n;
    } tables[] = {
        {"spec", trigger_spec_keys, sizeof trigger_spec_keys / sizeof trigger_spec_keys[0]},
        {"type", trigger_type_names, TRIGGER_TYPE_COUNT},
        {"action", action_keys, sizeof action_keys / sizeof action_keys[0]},
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (strcmp(tables[i].what, what) == 0) {
            *count = tables[i].n;
            return tables[i].names;
        }
    *count = 0;
    return NULL;
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
        /* with an unknown type the rule cannot be judged: say only the one thing */
        if (trigger_load_type(lc, ynode_get(spec, "type"), &tr->type) == 0)
            trigger_load_rule(lc, tr, spec);
        trigger_load_schedule_keys(lc, tr, spec);
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
    free(tr->timezone);
    free(tr);
}
