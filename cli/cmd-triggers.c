/*
 * cmd-triggers.c - `dapt triggers list|fire|enable|disable` and `dapt
 * daemon`: the workspace's trigger rules (engine/triggers.c) from the
 * command line, and the headless process that fires them
 * (engine/trigger-service.c).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "cli.h"
#include "engine.h"

/* ------------------------------------------------------------------ */
/* list                                                                */
/* ------------------------------------------------------------------ */

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

static void print_list(const json_t *list, int64_t now)
{
    printf("%-22s %-9s %-7s %-32s %-20s %s\n", "NAME", "TYPE", "ENABLED", "NEXT FIRE (UTC)",
           "LAST FIRED (UTC)", "ACTION");
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        char next[64] = "-";
        const char *nf = json_string_value(json_object_get(o, "next_fire"));
        if (nf != NULL) {
            int64_t us;
            char rel[24] = "";
            if (store_parse_time(json_object_get(o, "next_fire"), &us) == 0)
                trigger_countdown(rel, sizeof rel, us / 1000000 - now);
            snprintf(next, sizeof next, "%s (%s)", nf, rel);
        } else if (strcmp(str_or(o, "type", ""), "condition") == 0) {
            snprintf(next, sizeof next, "on an event");
        }
        const char *wf = str_or(o, "workflow", NULL);
        bool broken = json_object_get(o, "error") != NULL && !json_is_null(json_object_get(o, "error"));
        printf("%-22s %-9s %-7s %-32s %-20s %s%s%s\n", str_or(o, "name", ""),
               str_or(o, "type", ""),
               broken ? "broken" : json_is_true(json_object_get(o, "enabled")) ? "yes" : "no", next,
               str_or(o, "last_fired", "-"), str_or(o, "action", ""), wf ? " " : "",
               wf ? wf : "");
        if (broken)
            printf("  ! %s\n", str_or(o, "error", ""));
        else if (json_is_string(json_object_get(o, "last_error")))
            printf("  last fire: %s\n", str_or(o, "last_error", ""));
    }
}

/* The rules of the workspace, with their states when it has a store. */
static int list_rules(bool json)
{
    const char *ws = cli_workspace();
    dapt_diags diags = {0};
    /* with the catalog, so that an action target is checked as the daemon
     * will check it */
    dapt_registry *reg = cmd_plugins_open();
    triggers *set = triggers_load(ws, reg, &diags);
    cli_print_diags(stderr, &diags);
    dapt_diags_free(&diags);
    trigger_clock clock;
    char *err = NULL;
    if (trigger_clock_init(&clock, &err) < 0) {
        fprintf(stderr, "dapt: %s\n", err);
        free(err);
        triggers_free(set);
        dapt_registry_free(reg);
        return CLI_FAILED;
    }
    json_t *states = NULL;
    store *st = NULL;
    if (set->count > 0) {
        if (store_open(&st, ws, &err) < 0 || store_trigger_states(st, &states, &err) < 0) {
            fprintf(stderr, "dapt: %s\n", err);
            free(err);
        }
    }
    if (states == NULL)
        states = json_object();
    int64_t now = (int64_t)trigger_clock_now(&clock);
    json_t *list = triggers_list_json(set, states, now);
    if (json)
        cmd_plugins_print_json(list);
    else if (set->count == 0)
        fprintf(stderr, "dapt: no trigger rules in %s/triggers\n", ws);
    else
        print_list(list, now);
    json_decref(list);
    json_decref(states);
    store_close(st);
    triggers_free(set);
    dapt_registry_free(reg);
    return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* enable, disable                                                     */
/* ------------------------------------------------------------------ */

static int set_enabled(const char *name, bool on)
{
    const char *ws = cli_workspace();
    dapt_diags diags = {0};
    triggers *set = triggers_load(ws, NULL, &diags);
    dapt_diags_free(&diags);
    int rc = CLI_OK;
    char *err = NULL;
    store *st = NULL;
    if (triggers_find(set, name) == NULL) {
        size_t n = set->count;
        const char **names = xcalloc(n ? n : 1, sizeof *names);
        for (size_t i = 0; i < n; i++)
            names[i] = set->rules[i].name;
        const char *near = suggest_closest(name, names, n);
        if (near)
            fprintf(stderr, "dapt: no trigger rule `%s` (did you mean `%s`?)\n", name, near);
        else
            fprintf(stderr, "dapt: no trigger rule `%s` in %s/triggers\n", name, ws);
        free(names);
        rc = CLI_FAILED;
    } else if (store_open(&st, ws, &err) < 0 || store_trigger_set_enabled(st, name, on, &err) < 0) {
        fprintf(stderr, "dapt: %s\n", err);
        free(err);
        rc = CLI_FAILED;
    } else {
        fprintf(stderr, "dapt: trigger %s %s\n", name, on ? "enabled" : "disabled");
    }
    store_close(st);
    triggers_free(set);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The service's voice on stderr                                       */
/* ------------------------------------------------------------------ */

typedef struct svc {
    uv_loop_t *loop;
    trigger_service *ts;
    uv_signal_t sigint, sigterm, sighup;
    int64_t grace_ms;
    int signals;
    bool done;
    dapt_state worst; /* `fire`: how its run ended */
    dapt_run *run;
} svc;

static void on_message(trigger_msg level, const char *text, void *data)
{
    (void)data;
    char stamp[40];
    clock_iso(stamp, sizeof stamp, clock_now_us());
    static const char *const tags[] = {"", "warning: ", "error: "};
    fprintf(stderr, "%s dapt: %s%s\n", stamp, tags[level], text);
}

static void on_run(dapt_run *run, const char *rule, void *data)
{
    (void)rule;
    svc *s = data;
    s->run = run;
}

static void drained(void *data)
{
    svc *s = data;
    s->done = true;
}

static void on_signal(uv_signal_t *sig, int signum)
{
    svc *s = sig->data;
    if (signum == SIGHUP) {
        trigger_service_reload(s->ts);
        return;
    }
    /* the first asks to drain; the second cancels what runs at once */
    trigger_service_drain(s->ts, ++s->signals == 1 ? s->grace_ms : 0, drained, s);
}

static int svc_start(svc *s, const char *role, bool passive)
{
    s->loop = uv_default_loop();
    trigger_service_options o = {
        .workspace = cli_workspace(),
        .role = role,
        .passive = passive,
        .on_message = on_message,
        .on_run = on_run,
        .data = s,
    };
    char *err = NULL;
    if (trigger_service_start(&s->ts, s->loop, &o, &err) < 0) {
        fprintf(stderr, "dapt: %s\n", err);
        free(err);
        return -1;
    }
    uv_signal_t *sigs[] = {&s->sigint, &s->sigterm, &s->sighup};
    int nums[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < 3; i++) {
        uv_signal_init(s->loop, sigs[i]);
        sigs[i]->data = s;
        uv_signal_start(sigs[i], on_signal, nums[i]);
    }
    return 0;
}

static void svc_stop(svc *s)
{
    uv_close((uv_handle_t *)&s->sigint, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    uv_close((uv_handle_t *)&s->sighup, NULL);
    trigger_service_free(s->ts);
    uv_run(s->loop, UV_RUN_DEFAULT);
    uv_loop_close(s->loop);
}

/* ------------------------------------------------------------------ */
/* fire                                                                */
/* ------------------------------------------------------------------ */

static int fire_now(const char *name)
{
    svc s = {.grace_ms = 0};
    if (svc_start(&s, "triggers fire", true) < 0)
        return CLI_FAILED;
    char *err = NULL;
    int rc = CLI_OK;
    if (trigger_service_fire(s.ts, name, &err) < 0) {
        fprintf(stderr, "dapt: %s\n", err);
        free(err);
        rc = CLI_FAILED;
    } else if (s.run != NULL) {
        /* wait for the run it started, as `dapt run` would */
        while (!dapt_run_closed(s.run))
            uv_run(s.loop, UV_RUN_ONCE);
        dapt_state state = dapt_run_state(s.run);
        rc = state == DAPT_STATE_FINISHED ? CLI_OK : state == DAPT_STATE_CANCELLED ? 130
                                                                                     : CLI_FAILED;
    } else {
        json_t *list = trigger_service_list(s.ts);
        for (size_t i = 0; i < json_array_size(list); i++) {
            json_t *o = json_array_get(list, i);
            if (strcmp(str_or(o, "name", ""), name) == 0 &&
                json_is_string(json_object_get(o, "last_error")))
                rc = CLI_FAILED;
        }
        json_decref(list);
    }
    svc_stop(&s);
    return rc;
}

int cmd_triggers(int argc, char **argv)
{
    const cli_command *cmd = cli_find("triggers");
    if (argc < 2)
        return cli_usage(cmd, "say what to do: list, fire NAME, enable NAME or disable NAME");
    const char *sub = argv[1];
    if (strcmp(sub, "list") == 0) {
        bool json = false;
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--json") == 0)
                json = true;
            else
                return cli_usage(cmd, "`triggers list` takes only --json, not `%s`", argv[i]);
        }
        return list_rules(json);
    }
    bool fire = strcmp(sub, "fire") == 0, en = strcmp(sub, "enable") == 0,
         dis = strcmp(sub, "disable") == 0;
    if (!fire && !en && !dis)
        return cli_usage(cmd, "unknown subcommand `%s`: use list, fire, enable or disable", sub);
    if (argc != 3 || argv[2][0] == '-')
        return cli_usage(cmd, "`triggers %s` takes the name of one rule", sub);
    if (fire)
        return fire_now(argv[2]);
    return set_enabled(argv[2], en);
}

/* ------------------------------------------------------------------ */
/* daemon                                                              */
/* ------------------------------------------------------------------ */

int cmd_daemon(int argc, char **argv)
{
    const cli_command *cmd = cli_find("daemon");
    svc s = {.grace_ms = 30000};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--grace") == 0 && i + 1 < argc) {
            int64_t ms;
            if (dapt_parse_duration(&ms, argv[++i]) < 0)
                return cli_usage(cmd, "--grace takes a duration like 30s or 2m, not `%s`",
                                 argv[i]);
            s.grace_ms = ms;
        } else {
            return cli_usage(cmd, "unknown argument `%s`", argv[i]);
        }
    }
    if (svc_start(&s, "daemon", false) < 0)
        return CLI_FAILED;
    on_message(TRIGGER_MSG_INFO, "daemon started; SIGTERM drains, SIGHUP reloads the rules", NULL);
    while (!s.done)
        uv_run(s.loop, UV_RUN_ONCE);
    on_message(TRIGGER_MSG_INFO, "daemon stopped", NULL);
    svc_stop(&s);
    return CLI_OK;
}
