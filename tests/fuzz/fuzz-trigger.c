/*
 * fuzz-trigger.c - libFuzzer entry for trigger rules (`make fuzz`).
 *
 * Loads the input as a YAML file with dapt_load_buffer() (trigger.c's
 * checks of `kind: trigger_rule` documents), runs the workspace checks of
 * triggers.c on it (triggers_check_bundle, against a workspace that does
 * not exist and no catalog), and then evaluates every rule that came out
 * the way the daemon does: a condition rule against fixed events
 * (rule.c), a schedule's cron expressions for their next and previous
 * slots around fixed times, in the rule's zone (cron.c, tzone.c).
 * Everything is freed, so LeakSanitizer reports a leak as a crash.
 *
 * tests/fuzz/replay.c turns this file into a plain program for
 * `make check`, which replays the seeds and tests/data/fuzz-crashes/.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dapt/dapt.h"
#include "engine.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz-trigger: %s:%d: check failed: %s\n", __FILE__, __LINE__,         \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the bus carries: a run that finished, as cmd-triggers and the
 * daemon see it, and two degenerate events. */
static const char *const event_texts[] = {
    "{\"type\": \"com.event.workflow.workflow_finished\", \"source\": \"engine\","
    " \"id\": \"e1\", \"time\": \"2026-01-01T00:00:00Z\","
    " \"data\": {\"workflow\": \"train_model\", \"state\": \"finished\", \"count\": 3,"
    " \"ratio\": 0.5, \"ok\": true, \"none\": null, \"tags\": [\"a\", \"b\", {\"c\": [1, 2]}],"
    " \"result\": {\"rows\": 9007199254740993, \"name\": \"\\u00e9t\\u00e9\"}}}",
    "{}",
    "{\"type\": 7, \"data\": [1, \"x\", null]}",
};
#define EVENT_COUNT (sizeof event_texts / sizeof event_texts[0])

/* Times to look around: an ordinary one, the start of the epoch, around
 * a DST change in Europe and the US, a leap day, far in the future. */
static const int64_t times[] = {
    1767225600, 0, 1774746000, 1762045200, 1709208000, 4102444800, -86400,
};
#define TIME_COUNT (sizeof times / sizeof times[0])

static json_t *events[EVENT_COUNT];

static void fuzz_condition(const dapt_trigger *tr, bool valid)
{
    for (size_t e = 0; e < EVENT_COUNT; e++) {
        char *error = NULL;
        json_t *out = NULL;
        int rc = rule_eval(tr->rule, events[e], &out, &error);
        FUZZ_CHECK(rc == 0 || rc == -1);
        if (rc == 0) {
            FUZZ_CHECK(out != NULL && error == NULL);
            json_decref(out);
        } else {
            FUZZ_CHECK(out == NULL && error != NULL && *error != '\0');
            /* a rule the loader accepted names only known operators */
            FUZZ_CHECK(!valid || strstr(error, "unknown rule operator") == NULL);
            free(error);
        }
        error = NULL;
        int m = rule_match(tr->rule, events[e], &error);
        FUZZ_CHECK(m == 1 || m == 0 || m == -1);
        FUZZ_CHECK((m == -1) == (error != NULL));
        FUZZ_CHECK((m == -1) == (rc == -1));
        free(error);
    }
}

static void fuzz_schedule(const dapt_trigger *tr, bool valid)
{
    trigger_rule r;
    memset(&r, 0, sizeof r);
    r.tr = tr;
    size_t n = json_array_size(tr->rule);
    r.crons = calloc(n ? n : 1, sizeof *r.crons);
    FUZZ_CHECK(r.crons != NULL);
    for (size_t i = 0; i < n; i++) {
        char *err = NULL;
        const char *text = json_string_value(json_array_get(tr->rule, i));
        FUZZ_CHECK(!valid || text != NULL);
        if (text == NULL)
            continue;
        int rc = cron_parse(&r.crons[r.ncrons], text, &err);
        /* the loader checked every expression with the same parser */
        FUZZ_CHECK(!valid || rc == 0);
        FUZZ_CHECK((rc == 0) == (err == NULL));
        if (rc == 0)
            r.ncrons++;
        free(err);
    }
    if (tr->timezone != NULL) {
        char *err = NULL;
        if (tzone_load(&r.tz, tr->timezone, &err) < 0) {
            FUZZ_CHECK(r.tz == NULL && err != NULL);
            free(err);
        } else {
            FUZZ_CHECK(r.tz != NULL && err == NULL);
        }
    }
    for (size_t t = 0; t < TIME_COUNT; t++) {
        int64_t now = times[t];
        int64_t next = trigger_rule_next(&r, now);
        int64_t prev = trigger_rule_prev(&r, now);
        FUZZ_CHECK(next == INT64_MAX || next > now);
        FUZZ_CHECK(prev == INT64_MIN || prev <= now);
        /* slots are whole minutes */
        FUZZ_CHECK(next == INT64_MAX || next % 60 == 0);
        FUZZ_CHECK(prev == INT64_MIN || prev % 60 == 0);
        /* no slot lies strictly between the previous one and the next
         * (when both are well inside the 8 years cron.c looks ahead) */
        if (prev != INT64_MIN && next != INT64_MAX && next - prev < 7 * 365 * 86400LL)
            FUZZ_CHECK(trigger_rule_next(&r, prev) == next);
        char buf[64];
        if (next != INT64_MAX)
            trigger_iso(buf, sizeof buf, next);
        if (next != INT64_MAX)
            trigger_countdown(buf, sizeof buf, next - now);
    }
    tzone_free(r.tz);
    free(r.crons);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (events[0] == NULL) {
        for (size_t e = 0; e < EVENT_COUNT; e++) {
            events[e] = json_loads(event_texts[e], 0, NULL);
            FUZZ_CHECK(events[e] != NULL);
        }
    }

    dapt_diags diags;
    dapt_bundle *bundle = NULL;
    dapt_diags_init(&diags);
    int rc = dapt_load_buffer(&bundle, "triggers/fuzz.yaml", (const char *)data, size, &diags);
    FUZZ_CHECK(bundle != NULL);
    FUZZ_CHECK((rc == 0) == (dapt_diags_count(&diags, DAPT_SEV_ERROR) == 0));

    size_t before = dapt_diags_count(&diags, DAPT_SEV_ERROR);
    size_t errors = triggers_check_bundle(bundle, "/nonexistent/dapt-fuzz-workspace", NULL, &diags);
    FUZZ_CHECK(dapt_diags_count(&diags, DAPT_SEV_ERROR) == before + errors);
    for (size_t i = 0; i < diags.count; i++) {
        char *line = dapt_diag_format(&diags.items[i]);
        FUZZ_CHECK(line != NULL);
        free(line);
    }

    for (size_t i = 0; i < bundle->count; i++) {
        const dapt_resource *res = &bundle->items[i];
        if (res->kind != DAPT_KIND_TRIGGER_RULE || res->u.trigger == NULL)
            continue;
        const dapt_trigger *tr = res->u.trigger;
        FUZZ_CHECK(tr->annotations != NULL && tr->action_target != NULL &&
                   json_is_object(tr->action_params));
        if (tr->rule == NULL) {
            FUZZ_CHECK(!res->valid);
            continue;
        }
        if (tr->type == DAPT_TRIGGER_SCHEDULE) {
            FUZZ_CHECK(!res->valid || json_is_array(tr->rule));
            fuzz_schedule(tr, res->valid);
        } else {
            FUZZ_CHECK(!res->valid || json_is_object(tr->rule));
            fuzz_condition(tr, res->valid);
        }
    }
    dapt_bundle_free(bundle);
    dapt_diags_free(&diags);
    return 0;
}
