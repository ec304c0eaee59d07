/*
 * trigger-service.c - trigger rules at work on a libuv loop.
 *
 * A timer ticks every TICK_MS.  The process that holds the flock on
 * WORKSPACE/.dapt/triggers.lock leads: on each tick it fires the schedule
 * rules whose latest cron slot it has not fired yet, and reads the run
 * store's new events for the condition rules.  Both are claimed with a
 * compare-and-set in the store before anything runs (store-trigger.c), so
 * a slot or an event fires once even across restarts and processes.
 * Other processes (the studio while a daemon runs) watch and take over
 * when the leader goes away.
 *
 * Slots: the latest slot at or before now fires when it is at most
 * TRIGGER_LATE_S old; an older one was missed (nothing ran then) and fires
 * only with `catchup: true`.  Slots before the latest are never run: a
 * rule that missed a night of hourly slots runs once, not twelve times.
 *
 * Loops: a run a rule started carries {rule, depth} in its record; its
 * events fire rules one deeper, and past TRIGGER_MAX_DEPTH the rule is
 * stopped for that event with a message instead of starting a run.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <uv.h>

#include "engine.h"

#define TICK_MS 250
/* Runs marked interrupted (their process died) make events: look for them
 * every this many ticks. */
#define REAP_TICKS 20
#define EVENTS_BATCH 256

typedef struct trun {
    struct trun *next;
    trigger_service *ts;
    dapt_run *run;
    char *rule;
    char *workflow;
} trun;

struct trigger_service {
    uv_loop_t *loop;
    uv_timer_t timer;
    uv_timer_t grace;
    trigger_service_options o;
    char *workspace;
    char *role;
    store *st;
    store *own_st; /* st when the service opened it */
    dapt_registry *own_reg;
    const dapt_registry *reg;
    triggers *set;
    trigger_clock clock;
    int lock_fd;
    bool leading;
    char holder[128];
    unsigned ticks;
    trun *runs;
    bool draining, cancelled;
    void (*drained)(void *data);
    void *drained_data;
    int handles_open;
    bool freeing;
};

static void say(trigger_service *ts, trigger_msg level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(trigger_service *ts, trigger_msg level, const char *fmt, ...)
{
    if (ts->o.on_message == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    ts->o.on_message(level, text, ts->o.data);
    free(text);
}

static void changed(trigger_service *ts)
{
    if (ts->o.on_change)
        ts->o.on_change(ts->o.data);
}

static int64_t now_s(const trigger_service *ts)
{
    return (int64_t)floor(trigger_clock_now(&ts->clock));
}

/* ------------------------------------------------------------------ */
/* Leading: the lock                                                   */
/* ------------------------------------------------------------------ */

static char *lock_path(const trigger_service *ts)
{
    return xasprintf("%s/.dapt/triggers.lock", ts->workspace);
}

static void lead_try(trigger_service *ts)
{
    if (ts->leading || ts->o.passive)
        return;
    if (ts->lock_fd < 0) {
        char *path = lock_path(ts);
        ts->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        free(path);
        if (ts->lock_fd < 0)
            return;
    }
    if (flock(ts->lock_fd, LOCK_EX | LOCK_NB) == 0) {
        char line[128];
        int n = snprintf(line, sizeof line, "pid %ld (%s)\n", (long)getpid(), ts->role);
        if (ftruncate(ts->lock_fd, 0) == 0 && pwrite(ts->lock_fd, line, (size_t)n, 0) == n)
            fsync(ts->lock_fd);
        ts->leading = true;
        ts->holder[0] = '\0';
        say(ts, TRIGGER_MSG_INFO, "rules fire here (pid %ld)", (long)getpid());
        changed(ts);
        return;
    }
    /* someone else leads: say who */
    char buf[sizeof ts->holder];
    ssize_t n = pread(ts->lock_fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (strcmp(buf, ts->holder) != 0) {
        snprintf(ts->holder, sizeof ts->holder, "%s", buf[0] ? buf : "another process");
        say(ts, TRIGGER_MSG_INFO, "rules fire in %s; this process takes over if it stops",
            ts->holder);
        changed(ts);
    }
}

bool trigger_service_leading(const trigger_service *ts, const char **holder)
{
    if (holder != NULL)
        *holder = ts->leading ? NULL : ts->holder[0] ? ts->holder : NULL;
    return ts->leading;
}

/* ------------------------------------------------------------------ */
/* Runs a rule started                                                 */
/* ------------------------------------------------------------------ */

static void run_event(const dapt_event *ev, void *data)
{
    trun *tr = data;
    if (ev->kind != DAPT_EVENT_RUN || !dapt_state_terminal(ev->state))
        return;
    trigger_service *ts = tr->ts;
    if (ev->error != NULL && *ev->error != '\0')
        say(ts, ev->state == DAPT_STATE_FINISHED ? TRIGGER_MSG_INFO : TRIGGER_MSG_WARN,
            "trigger %s: run %s of %s %s: %s", tr->rule, dapt_run_id(tr->run), tr->workflow,
            dapt_state_name(ev->state), ev->error);
    else
        say(ts, ev->state == DAPT_STATE_FINISHED ? TRIGGER_MSG_INFO : TRIGGER_MSG_WARN,
            "trigger %s: run %s of %s %s", tr->rule, dapt_run_id(tr->run), tr->workflow,
            dapt_state_name(ev->state));
    changed(ts);
}

static void trun_free(trun *tr)
{
    dapt_run_free(tr->run);
    free(tr->rule);
    free(tr->workflow);
    free(tr);
}

static void runs_reap(trigger_service *ts)
{
    for (trun **p = &ts->runs; *p != NULL;) {
        trun *tr = *p;
        if (dapt_run_closed(tr->run)) {
            *p = tr->next;
            trun_free(tr);
        } else {
            p = &tr->next;
        }
    }
}

size_t trigger_service_running(const trigger_service *ts)
{
    size_t n = 0;
    for (const trun *tr = ts->runs; tr != NULL; tr = tr->next)
        n += !dapt_run_closed(tr->run);
    return n;
}

/* Start a run of `wf` for rule `r`; its id in *run_id (borrowed from the
 * run, valid while it is tracked). */
static int start_run(trigger_service *ts, const trigger_rule *r, const dapt_workflow *wf,
                     const char *file, json_t *input, int depth, const char **run_id,
                     char **error)
{
    trun *tr = xcalloc(1, sizeof *tr);
    tr->ts = ts;
    tr->rule = xstrdup(r->name);
    /* what the log calls it: the workflow, or the action a run was made for */
    tr->workflow = xstrdup(*file != '\0' ? (wf->name ? wf->name : "") : r->tr->action_target);
    dapt_run_options opts = {
        .workspace = ts->workspace,
        .file = file,
        .input = input,
        .source = "trigger",
        .trigger = r->name,
        .trigger_depth = depth,
        .store = true,
        .registry = ts->reg,
        .on_event = run_event,
        .event_data = tr,
    };
    if (dapt_run_start(&tr->run, ts->loop, wf, &opts, error) < 0) {
        free(tr->rule);
        free(tr->workflow);
        free(tr);
        return -1;
    }
    tr->next = ts->runs;
    ts->runs = tr;
    *run_id = dapt_run_id(tr->run);
    if (ts->o.on_run)
        ts->o.on_run(tr->run, r->name, ts->o.data);
    return 0;
}

/* The first error of diags as FILE:LINE:COL: MESSAGE (caller frees). */
static char *first_error_text(const dapt_diags *diags, const char *fallback)
{
    for (size_t i = 0; i < diags->count; i++) {
        const dapt_diag *d = &diags->items[i];
        if (d->severity == DAPT_SEV_ERROR)
            return xasprintf("%s:%d:%d: %s", d->file, d->pos.line, d->pos.column, d->message);
    }
    return xstrdup(fallback);
}

/* Load, check and start: the workflow as it is now, checked as `dapt run`
 * checks it, so that a broken file is named with its position. */
static int start_file(trigger_service *ts, const trigger_rule *r, const char *file,
                      json_t *input, int depth, const char **run_id, char **error)
{
    dapt_diags diags = {0};
    dapt_bundle *b = NULL;
    int rc = dapt_load_file(&b, file, &diags);
    const dapt_workflow *wf = dapt_bundle_workflow(b);
    if (rc == 0 && wf == NULL) {
        *error = xasprintf("%s holds no workflow", file);
        rc = -1;
    } else if (rc < 0 ||
               (ts->reg != NULL && dapt_registry_check_workflow(ts->reg, wf, file, &diags) > 0)) {
        *error = first_error_text(&diags, "the workflow does not load");
        rc = -1;
    } else {
        rc = start_run(ts, r, wf, file, input, depth, run_id, error);
    }
    dapt_bundle_free(b);
    dapt_diags_free(&diags);
    return rc;
}

static int act_run_workflow(trigger_service *ts, const trigger_rule *r, int depth,
                            const char **run_id, char **error)
{
    const json_t *params = r->tr->action_params;
    const char *name = json_string_value(json_object_get(params, "workflow"));
    char *file = triggers_find_workflow(ts->workspace, name);
    if (file == NULL) {
        *error = xasprintf("workflow `%s` does not exist in the workspace (any more)",
                           name ? name : "");
        return -1;
    }
    json_t *input = json_object_get(params, "input");
    json_t *in = json_is_object(input) ? json_incref(input) : json_object();
    int rc = start_file(ts, r, file, in, depth, run_id, error);
    json_decref(in);
    free(file);
    return rc;
}

/* A plugin target of kind action, run as a one-stage run: its
 * parameters as arguments, the event as `event` when it takes one. */
static int act_target(trigger_service *ts, const trigger_rule *r, const json_t *event, int depth,
                      const char **run_id, char **error)
{
    const dapt_target_info *t;
    if (ts->reg == NULL) {
        *error = xasprintf("no plugin catalog to find `%s` in", r->tr->action_target);
        return -1;
    }
    if (dapt_registry_resolve(ts->reg, r->tr->action_target, &t, error) < 0)
        return -1;
    json_t *args = json_deep_copy(r->tr->action_params);
    for (size_t i = 0; i < t->param_count; i++)
        if (strcmp(t->params[i].name, "event") == 0)
            json_object_set_new(args, "event", json_deep_copy(event));
    json_t *doc = json_pack("{s:s, s:{s:s}, s:{s:[{s:s, s:s, s:o}]}}", "kind", "workflow",
                            "metadata", "name", r->name, "spec", "stages", "name", "action",
                            "target", r->tr->action_target, "args", args);
    /* JSON is YAML: the loader checks it as any workflow */
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    dapt_diags diags = {0};
    dapt_bundle *b = NULL;
    char *name = xasprintf("<trigger %s>", r->name);
    int rc = dapt_load_buffer(&b, name, text, strlen(text), &diags);
    const dapt_workflow *wf = dapt_bundle_workflow(b);
    if (rc < 0 || wf == NULL) {
        *error = xasprintf("cannot make a run of action `%s`: %s", r->tr->action_target,
                           diags.count ? diags.items[0].message : "no workflow");
        rc = -1;
    } else {
        json_t *input = json_object();
        rc = start_run(ts, r, wf, "", input, depth, run_id, error);
        json_decref(input);
    }
    dapt_bundle_free(b);
    dapt_diags_free(&diags);
    free(name);
    free(text);
    return rc;
}

/* Fire rule r for `event` (borrowed) at chain depth `depth`: run its
 * action and record the fire. */
static void fire(trigger_service *ts, const trigger_rule *r, const json_t *event, int depth,
                 int64_t slot, int64_t event_seq)
{
    const char *action = r->tr->action_target;
    const char *run_id = NULL;
    char *error = NULL;
    int rc = 0;
    if (depth > TRIGGER_MAX_DEPTH) {
        error = xasprintf("stopped: the event comes from a chain of %d runs started by "
                          "triggers (the limit is %d); a rule that fires on the runs it starts "
                          "loops: narrow its condition",
                          depth - 1, TRIGGER_MAX_DEPTH);
        rc = -1;
    } else if (strcmp(action, "run_workflow") == 0) {
        rc = act_run_workflow(ts, r, depth, &run_id, &error);
    } else if (strcmp(action, "print_event") == 0) {
        char *text = json_dumps(event, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(9));
        say(ts, TRIGGER_MSG_INFO, "trigger %s: event %s", r->name, text ? text : "{}");
        free(text);
    } else {
        rc = act_target(ts, r, event, depth, &run_id, &error);
    }
    char *serr = NULL;
    if (store_trigger_fired(ts->st, r->name, now_s(ts), slot, event_seq, run_id, depth, error,
                            &serr) < 0) {
        say(ts, TRIGGER_MSG_ERROR, "trigger %s: %s", r->name, serr);
        free(serr);
    }
    if (rc < 0)
        say(ts, TRIGGER_MSG_ERROR, "trigger %s: %s", r->name, error);
    else if (run_id != NULL)
    {
        const char *what = json_string_value(json_object_get(r->tr->action_params, "workflow"));
        say(ts, TRIGGER_MSG_INFO, "trigger %s fired: run %s of %s started", r->name, run_id,
            what != NULL ? what : action);
    }
    free(error);
    changed(ts);
}

/* ------------------------------------------------------------------ */
/* Schedules                                                           */
/* ------------------------------------------------------------------ */

static json_t *slot_event(const trigger_rule *r, int64_t slot, const char *type)
{
    char when[40];
    trigger_iso(when, sizeof when, slot);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "id", when, "time", when,
                     "channel", "triggers", "source", "trigger", "type", type, "data", "rule",
                     r->name, "slot", when);
}

static void schedule_rule(trigger_service *ts, const trigger_rule *r, const json_t *state,
                          int64_t now)
{
    json_t *last = json_object_get(state, "last_slot");
    char *err = NULL;
    if (!json_is_integer(last)) {
        /* a new rule starts now: the slots before are not its to run */
        if (store_trigger_init(ts->st, r->name, now, &err) < 0) {
            say(ts, TRIGGER_MSG_ERROR, "trigger %s: %s", r->name, err);
            free(err);
        }
        return;
    }
    int64_t prev = trigger_rule_prev(r, now);
    if (prev == INT64_MIN || prev <= json_integer_value(last))
        return;
    int claimed = store_trigger_claim_slot(ts->st, r->name, prev, &err);
    if (claimed < 0) {
        say(ts, TRIGGER_MSG_ERROR, "trigger %s: %s", r->name, err);
        free(err);
    }
    if (claimed != 1)
        return;
    json_t *en = json_object_get(state, "enabled");
    if (en != NULL && !json_is_true(en))
        return; /* passed over while disabled */
    char when[40];
    trigger_iso(when, sizeof when, prev);
    if (now - prev > TRIGGER_LATE_S && !r->tr->catchup) {
        say(ts, TRIGGER_MSG_WARN,
            "trigger %s: slot %s was missed (nothing ran then) and is skipped; "
            "`catchup: true` runs the latest missed slot",
            r->name, when);
        changed(ts);
        return;
    }
    if (now - prev > TRIGGER_LATE_S)
        say(ts, TRIGGER_MSG_INFO, "trigger %s: catching up on slot %s", r->name, when);
    json_t *ev = slot_event(r, prev, "com.event.trigger.schedule");
    fire(ts, r, ev, 1, prev, 0);
    json_decref(ev);
}

static void schedules(trigger_service *ts, const json_t *states, int64_t now)
{
    for (size_t i = 0; i < ts->set->count; i++) {
        const trigger_rule *r = &ts->set->rules[i];
        if (r->tr->type == DAPT_TRIGGER_SCHEDULE && r->error == NULL && r->ncrons > 0)
            schedule_rule(ts, r, json_object_get(states, r->name), now);
    }
}

/* ------------------------------------------------------------------ */
/* Conditions                                                          */
/* ------------------------------------------------------------------ */

static void condition_event(trigger_service *ts, const json_t *states, json_t *ev)
{
    int64_t seq = json_integer_value(json_object_get(ev, "seq"));
    int depth = (int)json_integer_value(json_object_get(ev, "depth"));
    /* what the rule sees is the envelope alone */
    json_object_del(ev, "seq");
    json_object_del(ev, "depth");
    for (size_t i = 0; i < ts->set->count; i++) {
        const trigger_rule *r = &ts->set->rules[i];
        if (r->tr->type != DAPT_TRIGGER_CONDITION || r->error != NULL)
            continue;
        json_t *en = json_object_get(json_object_get(states, r->name), "enabled");
        if (en != NULL && !json_is_true(en))
            continue;
        char *err = NULL;
        int m = rule_match(r->tr->rule, ev, &err);
        if (m < 0) {
            say(ts, TRIGGER_MSG_ERROR, "trigger %s: %s", r->name, err);
            free(err);
        } else if (m == 1) {
            fire(ts, r, ev, depth + 1, 0, seq);
        }
    }
}

static void conditions(trigger_service *ts, const json_t *states)
{
    char *err = NULL;
    int64_t seen;
    if (store_events_seen(ts->st, &seen, &err) < 0)
        goto fail;
    if (seen < 0) {
        /* the first process ever: events before now are history */
        int64_t last;
        if (store_events_last(ts->st, &last, &err) < 0 ||
            store_events_claim(ts->st, -1, last, &err) < 0)
            goto fail;
        return;
    }
    json_t *events;
    if (store_events_after(ts->st, seen, EVENTS_BATCH, TRIGGER_RESULT_CAP, &events, &err) < 0)
        goto fail;
    size_t n = json_array_size(events);
    int claimed = 0;
    if (n > 0) {
        int64_t last = json_integer_value(json_object_get(json_array_get(events, n - 1), "seq"));
        claimed = store_events_claim(ts->st, seen, last, &err);
    }
    for (size_t i = 0; claimed == 1 && i < n; i++) {
        json_t *ev = json_array_get(events, i);
        if (!json_is_true(json_object_get(ev, "skip")))
            condition_event(ts, states, ev);
    }
    json_decref(events);
    if (claimed >= 0)
        return;
fail:
    say(ts, TRIGGER_MSG_ERROR, "trigger rules: %s", err);
    free(err);
}

/* ------------------------------------------------------------------ */
/* The tick                                                            */
/* ------------------------------------------------------------------ */

static void drain_check(trigger_service *ts)
{
    if (!ts->draining || ts->drained == NULL || ts->runs != NULL)
        return;
    void (*done)(void *) = ts->drained;
    ts->drained = NULL;
    done(ts->drained_data);
}

static void tick(uv_timer_t *t)
{
    trigger_service *ts = t->data;
    runs_reap(ts);
    drain_check(ts);
    if (ts->draining || ts->o.passive)
        return;
    lead_try(ts);
    if (!ts->leading)
        return;
    char *err = NULL;
    if (++ts->ticks % REAP_TICKS == 0 && store_reap(ts->st, &err) < 0) {
        say(ts, TRIGGER_MSG_ERROR, "trigger rules: %s", err);
        free(err);
        err = NULL;
    }
    json_t *states;
    if (store_trigger_states(ts->st, &states, &err) < 0) {
        say(ts, TRIGGER_MSG_ERROR, "trigger rules: %s", err);
        free(err);
        return;
    }
    schedules(ts, states, now_s(ts));
    conditions(ts, states);
    json_decref(states);
}

/* ------------------------------------------------------------------ */
/* Life                                                                */
/* ------------------------------------------------------------------ */

static void load_rules(trigger_service *ts)
{
    dapt_diags diags = {0};
    triggers *set = triggers_load(ts->workspace, ts->reg, &diags);
    for (size_t i = 0; i < diags.count; i++) {
        const dapt_diag *d = &diags.items[i];
        if (d->severity == DAPT_SEV_ERROR)
            say(ts, TRIGGER_MSG_ERROR, "%s:%d:%d: %s (the rule does not fire until fixed)",
                d->file, d->pos.line, d->pos.column, d->message);
    }
    dapt_diags_free(&diags);
    /* running runs keep their rule's name: nothing points into the old set */
    triggers_free(ts->set);
    ts->set = set;
    changed(ts);
}

int trigger_service_start(trigger_service **out, struct uv_loop_s *loop,
                          const trigger_service_options *opts, char **error)
{
    *out = NULL;
    trigger_service *ts = xcalloc(1, sizeof *ts);
    ts->loop = loop;
    ts->o = *opts;
    ts->workspace = xstrdup(opts->workspace ? opts->workspace : ".");
    ts->role = xstrdup(opts->role ? opts->role : "dapt");
    ts->o.workspace = ts->workspace;
    ts->o.role = ts->role;
    ts->lock_fd = -1;
    ts->st = opts->store;
    if (trigger_clock_init(&ts->clock, error) < 0 ||
        (ts->st == NULL && store_open(&ts->own_st, ts->workspace, error) < 0)) {
        free(ts->workspace);
        free(ts->role);
        free(ts);
        return -1;
    }
    if (ts->st == NULL)
        ts->st = ts->own_st;
    ts->reg = opts->registry;
    if (ts->reg == NULL) {
        dapt_registry_options ro = {.workspace = ts->workspace};
        char *rerr = NULL, *warnings = NULL;
        if (dapt_registry_open(&ts->own_reg, &ro, &rerr, &warnings) < 0) {
            say(ts, TRIGGER_MSG_WARN, "plugins: %s", rerr);
            free(rerr);
        }
        free(warnings);
        ts->reg = ts->own_reg;
    }
    load_rules(ts);
    uv_timer_init(loop, &ts->timer);
    uv_timer_init(loop, &ts->grace);
    ts->timer.data = ts->grace.data = ts;
    ts->handles_open = 2;
    uv_timer_start(&ts->timer, tick, 0, TICK_MS);
    *out = ts;
    return 0;
}

void trigger_service_reload(trigger_service *ts)
{
    load_rules(ts);
    say(ts, TRIGGER_MSG_INFO, "rules loaded: %zu", ts->set->count);
}

json_t *trigger_service_list(trigger_service *ts)
{
    json_t *states = NULL;
    char *err = NULL;
    if (store_trigger_states(ts->st, &states, &err) < 0) {
        free(err);
        states = json_object();
    }
    json_t *list = triggers_list_json(ts->set, states, now_s(ts));
    json_decref(states);
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        json_t *fires = NULL;
        if (store_trigger_fires(ts->st, json_string_value(json_object_get(o, "name")), 20, &fires,
                                &err) < 0) {
            free(err);
            err = NULL;
            fires = json_array();
        }
        json_object_set_new(o, "runs", fires);
    }
    return list;
}

int trigger_service_fire(trigger_service *ts, const char *name, char **error)
{
    trigger_rule *r = triggers_find(ts->set, name);
    if (r == NULL) {
        *error = xasprintf("no trigger rule `%s` in %s/triggers", name, ts->workspace);
        return -1;
    }
    if (r->error != NULL) {
        *error = xasprintf("trigger %s cannot fire: %s", name, r->error);
        return -1;
    }
    json_t *ev = slot_event(r, now_s(ts), "com.event.trigger.manual");
    fire(ts, r, ev, 1, 0, 0);
    json_decref(ev);
    return 0;
}

int trigger_service_enable(trigger_service *ts, const char *name, bool enabled, char **error)
{
    if (triggers_find(ts->set, name) == NULL) {
        *error = xasprintf("no trigger rule `%s` in %s/triggers", name, ts->workspace);
        return -1;
    }
    if (store_trigger_set_enabled(ts->st, name, enabled, error) < 0)
        return -1;
    say(ts, TRIGGER_MSG_INFO, "trigger %s %s", name, enabled ? "enabled" : "disabled");
    changed(ts);
    return 0;
}

static void grace_over(uv_timer_t *t)
{
    trigger_service *ts = t->data;
    size_t n = trigger_service_running(ts);
    if (n > 0)
        say(ts, TRIGGER_MSG_WARN, "grace period over: cancelling %zu run%s", n,
            n == 1 ? "" : "s");
    for (trun *tr = ts->runs; tr != NULL; tr = tr->next)
        dapt_run_cancel(tr->run, false);
}

void trigger_service_drain(trigger_service *ts, int64_t grace_ms, void (*done)(void *data),
                           void *data)
{
    ts->draining = true;
    ts->drained = done;
    ts->drained_data = data;
    size_t n = trigger_service_running(ts);
    if (n > 0) {
        say(ts, TRIGGER_MSG_INFO, "draining: no more fires; waiting up to %lld ms for %zu run%s",
            (long long)grace_ms, n, n == 1 ? "" : "s");
        uv_timer_start(&ts->grace, grace_over, (uint64_t)(grace_ms > 0 ? grace_ms : 0), 0);
    }
    changed(ts);
}

static void handle_closed(uv_handle_t *h)
{
    trigger_service *ts = h->data;
    if (--ts->handles_open == 0)
        free(ts);
}

void trigger_service_free(trigger_service *ts)
{
    if (ts == NULL)
        return;
    while (ts->runs != NULL) {
        trun *tr = ts->runs;
        ts->runs = tr->next;
        trun_free(tr); /* cancels what still runs */
    }
    triggers_free(ts->set);
    dapt_registry_free(ts->own_reg);
    store_close(ts->own_st);
    if (ts->lock_fd >= 0)
        close(ts->lock_fd); /* lets go of the lead */
    free(ts->workspace);
    free(ts->role);
    uv_close((uv_handle_t *)&ts->timer, handle_closed);
    uv_close((uv_handle_t *)&ts->grace, handle_closed);
}
