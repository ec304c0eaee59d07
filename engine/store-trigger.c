/*
 * store-trigger.c - what trigger rules keep in the run store.
 *
 * Events: SQLite triggers on the runs and stages tables (store.c's
 * schema) append a row to `events` whenever a run or a stage is stored in
 * a new state, whichever process stores it: so a rule sees the runs of
 * `dapt run`, of the studio and of the daemon alike, and the runs a
 * process that died left behind once they are marked interrupted.  Here
 * the rows become Flowdapt's event envelopes (catalog 1.7).
 *
 * Rules: one row per rule (enabled, the last cron slot fired or passed
 * over, the last fire) and one per fire.  Whoever moves last_slot (or the
 * events-seen mark) with a compare-and-set in SQLite is the one that
 * fires: two processes on one workspace can never both fire a slot or an
 * event, even when both think they hold the trigger lock.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "engine.h"

/* Events older than this many are deleted when the mark moves on. */
#define EVENTS_KEPT 100000
#define META_EVENTS_SEEN "trigger_events_seen"

static int db_fail(store *st, sqlite3 *db, char **error, const char *what)
{
    *error = xasprintf("%s: %s: %s", store_path(st), what, sqlite3_errmsg(db));
    return -1;
}

/* Run `sql` with integer/text parameters bound by the caller's `bind`;
 * the number of rows changed, or -1. */
static int exec_changes(sqlite3 *db, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? sqlite3_changes(db) : -1;
}

int store_events_last(store *st, int64_t *seq, char **error)
{
    sqlite3 *db = store_query_begin(st);
    sqlite3_stmt *s = NULL;
    int ret = 0;
    *seq = 0;
    if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(seq), 0) FROM events", -1, &s, NULL) !=
            SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW)
        ret = db_fail(st, db, error, "cannot read events");
    else
        *seq = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    store_query_end(st);
    return ret;
}

static json_t *text_json(sqlite3_stmt *s, int col)
{
    const char *text = (const char *)sqlite3_column_text(s, col);
    return text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
}

static void iso_field(json_t *obj, const char *key, int64_t us)
{
    char buf[40];
    clock_iso(buf, sizeof buf, us);
    json_object_set_new(obj, key, us > 0 ? json_string(buf) : json_null());
}

/* Seconds between two record times, or null. */
static json_t *duration(const json_t *rec)
{
    int64_t a, b;
    if (store_parse_time(json_object_get(rec, "started_at"), &a) < 0 ||
        store_parse_time(json_object_get(rec, "finished_at"), &b) < 0 || a <= 0 || b < a)
        return json_null();
    return json_real((double)((b - a + 500) / 1000) / 1e3); /* to the ms */
}

/* The run's fields as an event carries them: its record without the
 * stages, input or provenance, as they were when the event happened (in
 * `state`: the run's state then): no end, result or error before it
 * ended. */
static json_t *event_run_data(json_t *rec, const char *state, size_t result_cap)
{
    json_t *data = json_object();
    static const char *const keys[] = {"id",     "workflow", "source", "started_at",
                                       "file",   "commit",   "error",  "namespace",
                                       "trigger"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(rec, keys[i]);
        json_object_set(data, keys[i], v ? v : json_null());
    }
    int s = dapt_state_parse(state);
    bool over = s >= 0 && dapt_state_terminal((dapt_state)s);
    json_object_set_new(data, "state", json_string(state));
    json_t *result = over ? json_object_get(rec, "result") : NULL;
    json_object_set(data, "finished_at", over && json_object_get(rec, "finished_at")
                                             ? json_object_get(rec, "finished_at")
                                             : json_null());
    json_object_set_new(data, "duration_s", over ? duration(rec) : json_null());
    if (!over)
        json_object_set_new(data, "error", json_null());
    char *text = result ? json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (text != NULL && strlen(text) > result_cap) {
        json_object_set_new(data, "result", json_null());
        json_object_set_new(data, "result_omitted", json_true());
    } else {
        json_object_set(data, "result", result ? result : json_null());
    }
    free(text);
    return data;
}

/* A stage's fields, in the state of the event. */
static json_t *event_stage_data(json_t *stage, const char *state)
{
    json_t *data = json_object();
    static const char *const keys[] = {"name", "type", "started_at", "attempts", "items",
                                       "error"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(stage, keys[i]);
        json_object_set(data, keys[i], v ? v : json_null());
    }
    int s = dapt_state_parse(state);
    bool over = s >= 0 && dapt_state_terminal((dapt_state)s);
    json_object_set_new(data, "state", json_string(state));
    json_t *fin = json_object_get(stage, "finished_at");
    json_object_set(data, "finished_at", over && fin ? fin : json_null());
    json_object_set_new(data, "duration_s", over ? duration(stage) : json_null());
    if (!over)
        json_object_set_new(data, "error", json_null());
    return data;
}

/* The event's type, or NULL for a state no event is made of (pending). */
static const char *event_type(bool stage, const char *state)
{
    int s = dapt_state_parse(state);
    if (s < 0 || s == DAPT_STATE_PENDING)
        return NULL;
    if (s == DAPT_STATE_RUNNING)
        return stage ? "com.event.workflow.stage_started" : "com.event.workflow.workflow_started";
    return stage ? "com.event.workflow.stage_finished" : "com.event.workflow.workflow_finished";
}

static json_t *event_from_row(sqlite3_stmt *s, size_t result_cap)
{
    int64_t seq = sqlite3_column_int64(s, 0);
    int64_t ts = sqlite3_column_int64(s, 1);
    bool is_stage = sqlite3_column_type(s, 3) != SQLITE_NULL;
    const char *state = (const char *)sqlite3_column_text(s, 4);
    const char *run_state = (const char *)sqlite3_column_text(s, 7);
    const char *type = event_type(is_stage, state);
    json_t *rec = text_json(s, 5);
    if (type == NULL || !json_is_object(rec)) {
        json_decref(rec);
        return NULL;
    }
    json_t *data = event_run_data(rec, run_state ? run_state : "running", result_cap);
    if (is_stage) {
        json_t *stage = text_json(s, 6);
        json_object_set_new(data, "stage",
                            event_stage_data(json_is_object(stage) ? stage : NULL, state));
        json_decref(stage);
    }
    json_t *trig = json_object_get(rec, "trigger");
    json_int_t depth = json_integer_value(json_object_get(trig, "depth"));
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)seq);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:o, s:I, s:I}", "id", id, "channel", "workflows",
                           "source", "compute", "data", data, "seq", (json_int_t)seq, "depth",
                           depth);
    iso_field(ev, "time", ts);
    json_object_set_new(ev, "type", json_string(type));
    json_decref(rec);
    return ev;
}

int store_events_after(store *st, int64_t after, int limit, size_t result_cap, json_t **out,
                       char **error)
{
    static const char sql[] =
        "SELECT e.seq, e.ts, e.run_id, e.stage, e.state, r.record, s.record, e.run_state"
        " FROM events e LEFT JOIN runs r ON r.id = e.run_id"
        " LEFT JOIN stages s ON s.run_id = e.run_id AND s.idx = e.stage"
        " WHERE e.seq > ?1 ORDER BY e.seq LIMIT ?2";
    sqlite3 *db = store_query_begin(st);
    sqlite3_stmt *s = NULL;
    json_t *events = json_array();
    int ret = 0, rc;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        ret = db_fail(st, db, error, "cannot read events");
    } else {
        sqlite3_bind_int64(s, 1, after);
        sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            json_t *ev = event_from_row(s, result_cap);
            /* a state no rule sees still moves the reader on */
            if (ev == NULL)
                ev = json_pack("{s:I, s:b}", "seq", (json_int_t)sqlite3_column_int64(s, 0),
                               "skip", 1);
            json_array_append_new(events, ev);
        }
        if (rc != SQLITE_DONE)
            ret = db_fail(st, db, error, "cannot read events");
    }
    sqlite3_finalize(s);
    store_query_end(st);
    if (ret < 0) {
        json_decref(events);
        return -1;
    }
    *out = events;
    return 0;
}

int store_events_seen(store *st, int64_t *seen, char **error)
{
    sqlite3 *db = store_query_begin(st);
    sqlite3_stmt *s = NULL;
    int ret = 0;
    *seen = -1;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &s, NULL) !=
        SQLITE_OK) {
        ret = db_fail(st, db, error, "cannot read the events mark");
    } else {
        sqlite3_bind_text(s, 1, META_EVENTS_SEEN, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            *seen = sqlite3_column_int64(s, 0);
        else if (rc != SQLITE_DONE)
            ret = db_fail(st, db, error, "cannot read the events mark");
    }
    sqlite3_finalize(s);
    store_query_end(st);
    return ret;
}

int store_events_claim(store *st, int64_t from, int64_t to, char **error)
{
    /* from < 0: the mark was never set; only one process may set it */
    const char *sql = from < 0 ? "INSERT OR IGNORE INTO meta(key, value) VALUES(?1, ?3)"
                               : "UPDATE meta SET value = ?3 WHERE key = ?1 AND value = ?2";
    sqlite3 *db = store_query_begin(st);
    sqlite3_stmt *s = NULL;
    int ret;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        ret = db_fail(st, db, error, "cannot move the events mark");
    } else {
        sqlite3_bind_text(s, 1, META_EVENTS_SEEN, -1, SQLITE_STATIC);
        if (from >= 0)
            sqlite3_bind_int64(s, 2, from);
        sqlite3_bind_int64(s, 3, to);
        ret = exec_changes(db, s);
        if (ret < 0)
            ret = db_fail(st, db, error, "cannot move the events mark");
        else
            ret = ret > 0;
    }
    if (ret == 1 && to > EVENTS_KEPT) {
        char sql_del[80];
        snprintf(sql_del, sizeof sql_del, "DELETE FROM events WHERE seq < %lld",
                 (long long)(to - EVENTS_KEPT));
        sqlite3_exec(db, sql_del, NULL, NULL, NULL); /* only housekeeping */
    }
    store_query_end(st);
    return ret;
}

static json_t *int_or_null(sqlite3_stmt *s, int col)
{
    return sqlite3_column_type(s, col) == SQLITE_NULL ? json_null()
                                                      : json_integer(sqlite3_column_int64(s, col));
}

static json_t *text_or_null(sqlite3_stmt *s, int col)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    return t ? json_string(t) : json_null();
}

int store_trigger_states(store *st, json_t **out, char **error)
{
    sqlite3 *db = store_query_begin(st);
    sqlite3_stmt *s = NULL;
    json_t *states = json_object();
    int ret = 0, rc;
    if (sqlite3_prepare_v2(db,
                           "SELECT name, enabled, last_slot, last_fired, last_run, last_error,"
                           " fires FROM trigger_state",
                           -1, &s, NULL) != SQLITE_OK) {
        ret = db_fail(st, db, error, "cannot read trigger states");
    } else {
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
            json_object_set_new(
                states, (const char *)sqlite3_column_text(s, 0),
                json_pack("{s:b, s:o, s:o, s:o, s:o, s:I}", "enabled", sqlite3_column_int(s, 1),
                          "last_slot", int_or_null(s, 2), "last_fired", int_or_null(s, 3),
                          "last_run", text_or_null(s, 4), "last_error", text_or_null(s, 5),
                          "fires", (json_int_t)sqlite3_column_int64(s, 6)));
        if (rc != SQLITE_DONE)
            ret = db_fail(st, db, error, "cannot read trigger states");
    }
    sqlite3_finalize(s);
    store_query_end(st);
    if (ret < 0) {
        json_decref(states);
        return -1;
    }
    *out = states;
    return 0;
}

/* One statement of ?1 = name and integer ?2 (and ?3 text, ?4 int...):
 * rows changed, or -1 with *error. */
static int name_update(store *st, const char *sql, const char *name, int64_t a, char **error,
                       const char *what)
{
    sqlite3 *db = store_query_begin(st);
    sqlite3_stmt *s = NULL;
    int ret;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        ret = db_fail(st, db, error, what);
    } else {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, a);
        ret = exec_changes(db, s);
        if (ret < 0)
            ret = db_fail(st, db, error, what);
    }
    store_query_end(st);
    return ret;
}

int store_trigger_init(store *st, const char *name, int64_t slot, char **error)
{
    int rc = name_update(st, "INSERT OR IGNORE INTO trigger_state(name, last_slot) VALUES(?1, ?2)",
                         name, slot, error, "cannot store a trigger's state");
    if (rc < 0)
        return -1;
    /* a row made by enable/disable before any schedule knew the rule */
    rc = name_update(st, "UPDATE trigger_state SET last_slot = ?2 WHERE name = ?1 AND"
                         " last_slot IS NULL",
                     name, slot, error, "cannot store a trigger's state");
    return rc < 0 ? -1 : 0;
}

int store_trigger_claim_slot(store *st, const char *name, int64_t slot, char **error)
{
    int rc = name_update(st,
                         "UPDATE trigger_state SET last_slot = ?2 WHERE name = ?1 AND"
                         " (last_slot IS NULL OR last_slot < ?2)",
                         name, slot, error, "cannot claim a trigger's slot");
    return rc < 0 ? -1 : rc > 0;
}

int store_trigger_set_enabled(store *st, const char *name, bool enabled, char **error)
{
    int rc = name_update(st,
                         "INSERT INTO trigger_state(name, enabled) VALUES(?1, ?2)"
                         " ON CONFLICT(name) DO UPDATE SET enabled = ?2",
                         name, enabled ? 1 : 0, error, "cannot store a trigger's state");
    return rc < 0 ? -1 : 0;
}

int store_trigger_fired(store *st, const char *name, int64_t now, int64_t slot,
                        int64_t event_seq, const char *run_id, int depth, const char *error_text,
                        char **error)
{
    sqlite3 *db = store_query_begin(st);
    sqlite3_stmt *s = NULL, *u = NULL;
    int ret = 0;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO trigger_fires(name, ts, slot, event_seq, run_id, depth,"
                           " error) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &s, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO trigger_state(name, last_fired, last_run, last_error,"
                           " fires) VALUES(?1, ?2, ?3, ?4, 1) ON CONFLICT(name) DO UPDATE SET"
                           " last_fired = ?2, last_run = COALESCE(?3, last_run),"
                           " last_error = ?4, fires = fires + 1",
                           -1, &u, NULL) != SQLITE_OK) {
        ret = db_fail(st, db, error, "cannot record a fire");
    } else {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, now);
        if (slot > 0)
            sqlite3_bind_int64(s, 3, slot);
        if (event_seq > 0)
            sqlite3_bind_int64(s, 4, event_seq);
        sqlite3_bind_text(s, 5, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 6, depth);
        sqlite3_bind_text(s, 7, error_text, -1, SQLITE_STATIC);
        sqlite3_bind_text(u, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(u, 2, now);
        sqlite3_bind_text(u, 3, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(u, 4, error_text, -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE || sqlite3_step(u) != SQLITE_DONE ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            ret = db_fail(st, db, error, "cannot record a fire");
    }
    if (ret < 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(s);
    sqlite3_finalize(u);
    store_query_end(st);
    return ret;
}

int store_trigger_fires(store *st, const char *name, int limit, json_t **out, char **error)
{
    static const char sql[] =
        "SELECT f.ts, f.slot, f.run_id, f.depth, f.error, r.state, r.workflow"
        " FROM trigger_fires f LEFT JOIN runs r ON r.id = f.run_id"
        " WHERE f.name = ?1 ORDER BY f.id DESC LIMIT ?2";
    sqlite3 *db = store_query_begin(st);
    sqlite3_stmt *s = NULL;
    json_t *fires = json_array();
    int ret = 0, rc;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        ret = db_fail(st, db, error, "cannot read a trigger's fires");
    } else {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
            json_array_append_new(
                fires, json_pack("{s:I, s:o, s:o, s:I, s:o, s:o, s:o}", "time",
                                 (json_int_t)sqlite3_column_int64(s, 0), "slot", int_or_null(s, 1),
                                 "run_id", text_or_null(s, 2), "depth",
                                 (json_int_t)sqlite3_column_int64(s, 3), "error",
                                 text_or_null(s, 4), "state", text_or_null(s, 5), "workflow",
                                 text_or_null(s, 6)));
        if (rc != SQLITE_DONE)
            ret = db_fail(st, db, error, "cannot read a trigger's fires");
    }
    sqlite3_finalize(s);
    store_query_end(st);
    if (ret < 0) {
        json_decref(fires);
        return -1;
    }
    *out = fires;
    return 0;
}
