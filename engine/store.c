/*
 * store.c - the run store: runs, stage runs and every log line, in SQLite
 * at WORKSPACE/.dapt/dapt.db (WAL).
 *
 * Writing never waits for the disk: store_put_* copy what they are given
 * into a queue that one writer thread drains, everything queued at once
 * going into one transaction.  Log lines are stored as chunks: consecutive
 * lines of a run with the same stage, item, stream and level share one
 * row (up to CHUNK_MAX_BYTES of text), so a million lines are about a
 * thousand rows.  A line's number is its chunk's seq_first plus its place
 * in the chunk; the lines' lengths and timestamps are packed as varints in
 * the chunk's `meta` blob, their texts joined by newlines in `text`.
 *
 * Search: an FTS5 trigram index over the chunks' text (external content),
 * filled lazily: a grep first indexes the chunks above a high-water mark,
 * then reads only the chunks that match and filters their lines.
 *
 * Liveness: while a run is not terminal, the process writing it holds an
 * flock on WORKSPACE/.dapt/runs/ID.lock, and lets go of it only after its
 * terminal state is committed.  So whoever can take the lock of a run the
 * database calls running knows the process running it is gone, and marks
 * the run interrupted.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "engine.h"

/* A chunk is written when its text would pass this many bytes (a longer
 * line gets a chunk of its own) or it holds this many lines. */
#define CHUNK_MAX_BYTES (64 * 1024)
#define CHUNK_MAX_LINES 4096
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
/* How long a connection waits for another one's write lock (ms). */
#define BUSY_TIMEOUT_MS 30000
/* Once something is queued, the writer waits this long for more before
 * writing (unless a flush or close asks), so that output trickling in
 * line by line still makes few transactions and few chunks. */
#define WRITE_WINDOW_US 20000
/* Log text queued and not yet taken by the writer, at most: a stage that
 * writes faster than SQLite keeps up then waits for the writer (the bytes
 * are in memory twice at most, queued and being written) instead of
 * growing the queue without bound. */
#define QUEUE_MAX_BYTES (4u << 20)
/* The WAL is copied back into the database (a checkpoint) once it holds
 * this many pages, by a thread of its own: done by the writer, as SQLite
 * does by default, checkpoints would double the time a burst of output
 * takes to write. */
#define WAL_CHECKPOINT_PAGES 1000
/* Candidates named when a run id prefix is ambiguous. */
#define AMBIGUOUS_SHOWN 8

#define SCHEMA_VERSION 3

/* Version 2: a chunk's text is in the run's log file
 * (.dapt/logs/ID.log at text_off, text_len bytes); `text` stays NULL. */
static const char schema_1_to_2[] =
    "ALTER TABLE log_chunks ADD COLUMN text_off INTEGER;"
    "ALTER TABLE log_chunks ADD COLUMN text_len INTEGER;";

/* Version 3: the events trigger rules see (every state change of a run or
 * a stage, written by SQLite triggers so that every process's runs, and
 * runs marked interrupted, make them), and the trigger rules' own state.
 * A stage row is now updated in place (upsert) so that its old state is
 * there to compare. */
#define NOW_US "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"
static const char schema_2_to_3[] =
    /* run_state: the run's state when the event happened (a stage's event
     * is read later, when its run may be over) */
    "CREATE TABLE IF NOT EXISTS events("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, run_id TEXT NOT NULL,"
    "  stage INTEGER, state TEXT NOT NULL, run_state TEXT);"
    "CREATE TRIGGER IF NOT EXISTS runs_event_new AFTER INSERT ON runs BEGIN"
    "  INSERT INTO events(ts, run_id, stage, state, run_state)"
    "  VALUES(" NOW_US ", new.id, NULL, new.state, new.state);"
    " END;"
    "CREATE TRIGGER IF NOT EXISTS runs_event_state AFTER UPDATE OF state ON runs"
    "  WHEN old.state IS NOT new.state BEGIN"
    "  INSERT INTO events(ts, run_id, stage, state, run_state)"
    "  VALUES(" NOW_US ", new.id, NULL, new.state, new.state);"
    " END;"
    "CREATE TRIGGER IF NOT EXISTS stages_event_new AFTER INSERT ON stages BEGIN"
    "  INSERT INTO events(ts, run_id, stage, state, run_state)"
    "  VALUES(" NOW_US ", new.run_id, new.idx, new.state,"
    "         (SELECT state FROM runs WHERE id = new.run_id));"
    " END;"
    "CREATE TRIGGER IF NOT EXISTS stages_event_state AFTER UPDATE OF state ON stages"
    "  WHEN old.state IS NOT new.state BEGIN"
    "  INSERT INTO events(ts, run_id, stage, state, run_state)"
    "  VALUES(" NOW_US ", new.run_id, new.idx, new.state,"
    "         (SELECT state FROM runs WHERE id = new.run_id));"
    " END;"
    /* last_slot: the cron slot (Unix seconds) last fired or passed over */
    "CREATE TABLE IF NOT EXISTS trigger_state("
    "  name TEXT PRIMARY KEY, enabled INTEGER NOT NULL DEFAULT 1, last_slot INTEGER,"
    "  last_fired INTEGER, last_run TEXT, last_error TEXT, fires INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS trigger_fires("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, ts INTEGER NOT NULL,"
    "  slot INTEGER, event_seq INTEGER, run_id TEXT, depth INTEGER, error TEXT);"
    "CREATE INDEX IF NOT EXISTS trigger_fires_name ON trigger_fires(name, id);";

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value);"
    "CREATE TABLE IF NOT EXISTS runs("
    "  id TEXT PRIMARY KEY, workflow TEXT, file TEXT, state TEXT NOT NULL,"
    "  source TEXT, started_at INTEGER, finished_at INTEGER, result TEXT,"
    "  error TEXT, git_commit TEXT, record TEXT NOT NULL, pid INTEGER,"
    "  created_at INTEGER);"
    "CREATE INDEX IF NOT EXISTS runs_workflow ON runs(workflow);"
    "CREATE TABLE IF NOT EXISTS stages("
    "  run_id TEXT NOT NULL, idx INTEGER NOT NULL, name TEXT, state TEXT,"
    "  started_at INTEGER, finished_at INTEGER, attempts INTEGER,"
    "  items_total INTEGER, items_ok INTEGER, items_failed INTEGER,"
    "  error TEXT, record TEXT NOT NULL, PRIMARY KEY(run_id, idx)) WITHOUT ROWID;"
    /* AUTOINCREMENT: ids never go back, so the index's high-water mark
     * stays right whatever is deleted one day.  text is last: scans that
     * do not need it never read its overflow pages. */
    "CREATE TABLE IF NOT EXISTS log_chunks("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL,"
    "  seq_first INTEGER NOT NULL, nlines INTEGER NOT NULL, stage TEXT,"
    "  item INTEGER, stream INTEGER, level INTEGER, ts_first INTEGER,"
    "  ts_last INTEGER, meta BLOB, text TEXT, text_off INTEGER, text_len INTEGER);"
    "CREATE INDEX IF NOT EXISTS log_chunks_run ON log_chunks(run_id, seq_first);"
    "CREATE VIRTUAL TABLE IF NOT EXISTS log_fts USING fts5("
    "  text, content='log_chunks', content_rowid='id', tokenize='trigram');";

/* A chunk's text in a query: the log file's, or (schema 1) the column. */
#define CHUNK_TEXT "COALESCE(text, log_text(run_id, text_off, text_len))"

/* ------------------------------------------------------------------ */
/* The queue                                                           */
/* ------------------------------------------------------------------ */

/* A value bound to a statement parameter. */
typedef struct qval {
    enum { QV_NULL, QV_INT, QV_TEXT } type;
    int64_t i;
    char *s;
} qval;

enum {
    RUN_ID,
    RUN_WORKFLOW,
    RUN_FILE,
    RUN_STATE,
    RUN_SOURCE,
    RUN_STARTED,
    RUN_FINISHED,
    RUN_RESULT,
    RUN_ERROR,
    RUN_COMMIT,
    RUN_RECORD,
    RUN_PID,
    RUN_CREATED,
    RUN_NCOLS
};
enum {
    STG_RUN,
    STG_IDX,
    STG_NAME,
    STG_STATE,
    STG_STARTED,
    STG_FINISHED,
    STG_ATTEMPTS,
    STG_TOTAL,
    STG_OK,
    STG_FAILED,
    STG_ERROR,
    STG_RECORD,
    STG_NCOLS
};

typedef struct qline {
    int64_t ts;
    size_t stage; /* offset in the item's buf, or SIZE_MAX: no stage */
    long item;
    int stream, level;
    size_t text; /* offset in buf */
    size_t len;
} qline;

typedef enum qkind { Q_RUN, Q_STAGE, Q_LINES } qkind;

typedef struct qitem {
    struct qitem *next;
    qkind kind;
    uint64_t ticket;
    /* Q_RUN, Q_STAGE: the row */
    qval vals[(int)RUN_NCOLS > (int)STG_NCOLS ? (int)RUN_NCOLS : (int)STG_NCOLS];
    bool terminal; /* Q_RUN: let go of the run's lock once committed */
    /* Q_LINES */
    char *run_id;
    qline *lines;
    size_t count;
    char *buf;
} qitem;

/* A chunk being filled by the writer. */
typedef struct chunk {
    size_t nlines;
    char *stage;
    long item;
    int stream, level;
    int64_t seq_first, ts_first, ts_prev;
    strbuf text;
    strbuf meta;
} chunk;

/* The writer's view of one run it writes lines of. */
typedef struct wrun {
    char *id;
    int64_t next_seq;
    chunk c;
    int log_fd;      /* the run's log file, appended to; -1 until opened */
    int64_t log_off; /* its size */
} wrun;

/* A liveness lock this process holds. */
typedef struct held_lock {
    char *run_id;
    int fd;
} held_lock;

struct store {
    char *workspace;
    char *db_path; /* as shown in messages */
    char *lock_dir;
    char *log_dir;  /* .dapt/logs: one append-only file of text per run */
    /* the reader's open log file (log_text), under rmutex */
    char *rlog_run;
    int rlog_fd;
    sqlite3 *wdb; /* the writer thread's */
    sqlite3 *rdb; /* queries (and the marking of dead runs) */
    pthread_mutex_t rmutex;

    pthread_t thread;
    pthread_mutex_t mutex; /* the queue, the tickets, the locks */
    pthread_cond_t more;
    pthread_cond_t written;
    pthread_cond_t room; /* the writer took the queue */
    size_t qbytes;       /* log text queued */
    qitem *head, *tail;
    uint64_t queued, done;
    bool closing;
    bool idle;  /* the writer waits for a first item */
    bool hurry; /* a flush waits: no window */
    held_lock *locks;
    size_t nlocks;

    /* writer thread only */
    sqlite3_stmt *put_run, *put_stage, *put_chunk, *max_seq;
    wrun *wruns;
    size_t nwruns;

    /* the checkpointer thread (its flags under mutex) */
    sqlite3 *cdb;
    pthread_t cthread;
    bool cthread_started;
    pthread_cond_t ckpt;
    bool ckpt_wanted;
    bool ckpt_closing;
    char *werror; /* the first write that failed (under mutex) */
};

static void qval_free(qval *v)
{
    free(v->s);
    v->s = NULL;
    v->type = QV_NULL;
}

static void qitem_free(qitem *q)
{
    for (size_t i = 0; i < sizeof q->vals / sizeof q->vals[0]; i++)
        qval_free(&q->vals[i]);
    free(q->run_id);
    free(q->lines);
    free(q->buf);
    free(q);
}

static void enqueue(store *st, qitem *q, size_t bytes)
{
    pthread_mutex_lock(&st->mutex);
    q->ticket = ++st->queued;
    if (st->tail)
        st->tail->next = q;
    else
        st->head = q;
    st->tail = q;
    st->qbytes += bytes;
    if (st->qbytes > QUEUE_MAX_BYTES) {
        /* Too much waiting: no window, and wait until the writer takes it. */
        st->hurry = true;
        pthread_cond_signal(&st->more);
        while (st->qbytes > QUEUE_MAX_BYTES && !st->closing)
            pthread_cond_wait(&st->room, &st->mutex);
    } else if (st->idle) {
        /* During its window the writer is not woken by every item. */
        pthread_cond_signal(&st->more);
    }
    pthread_mutex_unlock(&st->mutex);
}

/* ------------------------------------------------------------------ */
/* Times                                                               */
/* ------------------------------------------------------------------ */

int store_parse_time(const json_t *v, int64_t *us)
{
    if (json_is_integer(v)) {
        /* Microseconds, or seconds when that is what the size says. */
        json_int_t n = json_integer_value(v);
        *us = n > 100000000000LL || n < -100000000000LL ? n : n * 1000000;
        return 0;
    }
    if (json_is_real(v)) {
        *us = (int64_t)(json_real_value(v) * 1e6);
        return 0;
    }
    const char *s = json_string_value(v);
    if (s == NULL)
        return -1;
    struct tm tm = {0};
    int used = 0;
    if (sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 ||
        used == 0)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const char *p = s + used;
    int64_t frac = 0, scale = 1000000;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (scale > 1) {
                scale /= 10;
                frac += (*p - '0') * scale;
            }
        }
    }
    int64_t offset = 0;
    if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) < 1)
            return -1;
        offset = (hh * 3600 + mm * 60) * (*p == '-' ? -1 : 1);
    } else if (*p != 'Z' && *p != '\0') {
        return -1;
    }
    time_t t = timegm(&tm);
    *us = ((int64_t)t - offset) * 1000000 + frac;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Rows from records (in the caller's thread: jansson values are not    */
/* for sharing between threads)                                        */
/* ------------------------------------------------------------------ */

static void val_text(qval *v, const char *s)
{
    if (s != NULL) {
        v->type = QV_TEXT;
        v->s = xstrdup(s);
    }
}

static void val_int(qval *v, int64_t i)
{
    v->type = QV_INT;
    v->i = i;
}

static void val_json_text(qval *v, const json_t *j)
{
    if (j == NULL || json_is_null(j))
        return;
    if (json_is_string(j)) {
        val_text(v, json_string_value(j));
        return;
    }
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s != NULL) {
        v->type = QV_TEXT;
        v->s = s;
    }
}

static void val_time(qval *v, const json_t *j)
{
    int64_t us;
    if (store_parse_time(j, &us) == 0)
        val_int(v, us);
}

static void val_count(qval *v, const json_t *j)
{
    if (json_is_integer(j))
        val_int(v, json_integer_value(j));
}

/* The record as stored: compact JSON, without `key` (stages live in
 * their own table). */
static char *record_text(const json_t *record, const char *without)
{
    json_t *copy = json_copy((json_t *)record);
    json_object_del(copy, without);
    char *s = json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    return s ? s : xstrdup("{}");
}

static void stage_row(qval *v, const char *run_id, size_t index, const json_t *stage)
{
    val_text(&v[STG_RUN], run_id);
    val_int(&v[STG_IDX], (int64_t)index);
    val_text(&v[STG_NAME], json_string_value(json_object_get(stage, "name")));
    val_text(&v[STG_STATE], json_string_value(json_object_get(stage, "state")));
    val_time(&v[STG_STARTED], json_object_get(stage, "started_at"));
    val_time(&v[STG_FINISHED], json_object_get(stage, "finished_at"));
    val_count(&v[STG_ATTEMPTS], json_object_get(stage, "attempts"));
    json_t *items = json_object_get(stage, "items");
    val_count(&v[STG_TOTAL], json_object_get(items, "total"));
    val_count(&v[STG_OK], json_object_get(items, "ok"));
    val_count(&v[STG_FAILED], json_object_get(items, "failed"));
    val_json_text(&v[STG_ERROR], json_object_get(stage, "error"));
    v[STG_RECORD].type = QV_TEXT;
    v[STG_RECORD].s = json_dumps(stage, JSON_COMPACT);
    if (v[STG_RECORD].s == NULL)
        v[STG_RECORD].s = xstrdup("{}");
}

/* ------------------------------------------------------------------ */
/* Liveness locks                                                      */
/* ------------------------------------------------------------------ */

static char *lock_path(const store *st, const char *run_id)
{
    return xasprintf("%s/%s.lock", st->lock_dir, run_id);
}

/* Run ids name files: only plain words may. */
static bool run_id_safe(const char *id)
{
    if (id == NULL || *id == '\0' || strlen(id) > 64)
        return false;
    for (const char *p = id; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '-' || *p == '_';
        if (!ok)
            return false;
    }
    return true;
}

/* Open and lock the run's lock file without waiting: the fd, or -1 when
 * another open file holds it (or it cannot be had at all: *busy false). */
static int lock_try(const store *st, const char *run_id, bool *busy)
{
    *busy = false;
    if (!run_id_safe(run_id))
        return -1;
    char *path = lock_path(st, run_id);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    free(path);
    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        *busy = errno == EWOULDBLOCK;
        close(fd);
        return -1;
    }
    return fd;
}

/* Caller holds st->mutex. */
static ssize_t lock_find(const store *st, const char *run_id)
{
    for (size_t i = 0; i < st->nlocks; i++)
        if (strcmp(st->locks[i].run_id, run_id) == 0)
            return (ssize_t)i;
    return -1;
}

static void lock_hold(store *st, const char *run_id)
{
    pthread_mutex_lock(&st->mutex);
    if (lock_find(st, run_id) < 0) {
        bool busy;
        int fd = lock_try(st, run_id, &busy);
        if (fd >= 0) {
            st->locks = xrealloc(st->locks, st->nlocks + 1, sizeof *st->locks);
            st->locks[st->nlocks++] = (held_lock){xstrdup(run_id), fd};
        }
    }
    pthread_mutex_unlock(&st->mutex);
}

/* Let go of a run's lock (its terminal state is committed). */
static void lock_release(store *st, const char *run_id)
{
    pthread_mutex_lock(&st->mutex);
    ssize_t i = lock_find(st, run_id);
    if (i >= 0) {
        char *path = lock_path(st, run_id);
        unlink(path); /* before letting go: nobody can lock a stale file */
        free(path);
        close(st->locks[i].fd);
        free(st->locks[i].run_id);
        st->locks[i] = st->locks[--st->nlocks];
    }
    pthread_mutex_unlock(&st->mutex);
}

/* ------------------------------------------------------------------ */
/* Queueing (any thread)                                               */
/* ------------------------------------------------------------------ */

void store_put_run(store *st, const json_t *record)
{
    const char *id = json_string_value(json_object_get(record, "id"));
    const char *state = json_string_value(json_object_get(record, "state"));
    if (id == NULL || state == NULL)
        return;
    int s = dapt_state_parse(state);
    bool terminal = s >= 0 && dapt_state_terminal((dapt_state)s);
    /* The lock is taken before the row can exist, so a running row
     * without a held lock always means a dead process. */
    if (!terminal)
        lock_hold(st, id);

    qitem *q = xcalloc(1, sizeof *q);
    q->kind = Q_RUN;
    q->terminal = terminal;
    qval *v = q->vals;
    val_text(&v[RUN_ID], id);
    val_text(&v[RUN_WORKFLOW], json_string_value(json_object_get(record, "workflow")));
    val_text(&v[RUN_FILE], json_string_value(json_object_get(record, "file")));
    val_text(&v[RUN_STATE], state);
    val_text(&v[RUN_SOURCE], json_string_value(json_object_get(record, "source")));
    val_time(&v[RUN_STARTED], json_object_get(record, "started_at"));
    val_time(&v[RUN_FINISHED], json_object_get(record, "finished_at"));
    json_t *result = json_object_get(record, "result");
    if (result != NULL) {
        char *text = json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY);
        if (text != NULL) {
            v[RUN_RESULT].type = QV_TEXT;
            v[RUN_RESULT].s = text;
        }
    }
    val_json_text(&v[RUN_ERROR], json_object_get(record, "error"));
    val_text(&v[RUN_COMMIT], json_string_value(json_object_get(record, "commit")));
    v[RUN_RECORD].type = QV_TEXT;
    v[RUN_RECORD].s = record_text(record, "stages");
    val_int(&v[RUN_PID], (int64_t)getpid());
    val_int(&v[RUN_CREATED], clock_now_us());

    /* Stages first: a reader that sees the terminal run sees its stages. */
    json_t *stages = json_object_get(record, "stages");
    for (size_t i = 0; i < json_array_size(stages); i++)
        store_put_stage(st, id, i, json_array_get(stages, i));
    enqueue(st, q, 0);
}

void store_put_stage(store *st, const char *run_id, size_t index, const json_t *stage)
{
    if (run_id == NULL || !json_is_object(stage))
        return;
    qitem *q = xcalloc(1, sizeof *q);
    q->kind = Q_STAGE;
    stage_row(q->vals, run_id, index, stage);
    enqueue(st, q, 0);
}

/* A string of the record (null when it is not UTF-8, which jansson
 * could not have held either). */
static void json_text(strbuf *sb, const char *s)
{
    if (wire_put_string(sb, s) < 0)
        strbuf_add(sb, "null", 4);
}

/* A time as the record has it (clock_iso text: milliseconds), or null;
 * the day and time of day are formatted once a second. */
static void json_time(strbuf *sb, int64_t us)
{
    static __thread int64_t cached_sec = -1;
    static __thread char cached[32];
    if (us <= 0) {
        strbuf_puts(sb, "null");
        return;
    }
    int64_t sec = us / 1000000;
    if (sec != cached_sec) {
        clock_iso(cached, sizeof cached, sec * 1000000);
        cached_sec = sec;
    }
    size_t n = strlen(cached);
    if (n < 5) {
        strbuf_puts(sb, "null");
        return;
    }
    int ms = (int)(us / 1000 % 1000);
    char tail[6] = {(char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10),
                    'Z', '"', 0};
    strbuf_putc(sb, '"');
    strbuf_add(sb, cached, n - 4);
    strbuf_add(sb, tail, 5);
}

static void json_int(strbuf *sb, int64_t i)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)i);
    strbuf_add(sb, buf, (size_t)n);
}

void store_put_stage_fields(store *st, const char *run_id, size_t index, const store_stage *s)
{
    if (run_id == NULL || s->name == NULL || s->state == NULL)
        return;
    qitem *q = xcalloc(1, sizeof *q);
    q->kind = Q_STAGE;
    qval *v = q->vals;
    val_text(&v[STG_RUN], run_id);
    val_int(&v[STG_IDX], (int64_t)index);
    val_text(&v[STG_NAME], s->name);
    val_text(&v[STG_STATE], s->state);
    /* the columns hold what the record's text says: milliseconds */
    if (s->started_us > 0)
        val_int(&v[STG_STARTED], s->started_us - s->started_us % 1000);
    if (s->finished_us > 0)
        val_int(&v[STG_FINISHED], s->finished_us - s->finished_us % 1000);
    val_int(&v[STG_ATTEMPTS], s->attempts);
    val_int(&v[STG_TOTAL], s->total);
    val_int(&v[STG_OK], s->ok);
    val_int(&v[STG_FAILED], s->failed);
    val_text(&v[STG_ERROR], s->error);
    /* the record, key for key as stage records are (run.c) */
    strbuf sb = {0};
    strbuf_puts(&sb, "{\"name\":");
    json_text(&sb, s->name);
    if (s->target) {
        strbuf_puts(&sb, ",\"target\":");
        json_text(&sb, s->target);
    }
    strbuf_puts(&sb, ",\"state\":");
    json_text(&sb, s->state);
    strbuf_puts(&sb, ",\"started_at\":");
    json_time(&sb, s->started_us);
    strbuf_puts(&sb, ",\"finished_at\":");
    json_time(&sb, s->finished_us);
    strbuf_puts(&sb, ",\"attempts\":");
    json_int(&sb, s->attempts);
    if (s->type) {
        strbuf_puts(&sb, ",\"type\":");
        json_text(&sb, s->type);
    }
    strbuf_puts(&sb, ",\"items\":{\"total\":");
    json_int(&sb, s->total);
    strbuf_puts(&sb, ",\"ok\":");
    json_int(&sb, s->ok);
    strbuf_puts(&sb, ",\"failed\":");
    json_int(&sb, s->failed);
    strbuf_puts(&sb, "},\"error\":");
    if (s->error)
        json_text(&sb, s->error);
    else
        strbuf_puts(&sb, "null");
    strbuf_putc(&sb, '}');
    v[STG_RECORD].type = QV_TEXT;
    v[STG_RECORD].s = strbuf_detach(&sb);
    enqueue(st, q, 0);
}

void store_put_lines(store *st, const char *run_id, const dapt_log_line *lines, size_t count)
{
    if (run_id == NULL || count == 0)
        return;
    /* One buffer for every text and stage name; a stage name repeated by
     * consecutive lines is copied once. */
    size_t size = 0;
    for (size_t i = 0; i < count; i++) {
        size += lines[i].len + 1;
        if (lines[i].stage && (i == 0 || lines[i - 1].stage != lines[i].stage))
            size += strlen(lines[i].stage) + 1;
    }
    qitem *q = xcalloc(1, sizeof *q);
    q->kind = Q_LINES;
    q->run_id = xstrdup(run_id);
    q->lines = xcalloc(count, sizeof *q->lines);
    q->count = count;
    q->buf = xmalloc(size ? size : 1);
    size_t at = 0, stage_at = SIZE_MAX;
    for (size_t i = 0; i < count; i++) {
        const dapt_log_line *l = &lines[i];
        qline *ql = &q->lines[i];
        if (l->stage == NULL) {
            stage_at = SIZE_MAX;
        } else if (i == 0 || lines[i - 1].stage != l->stage) {
            size_t n = strlen(l->stage) + 1;
            memcpy(q->buf + at, l->stage, n);
            stage_at = at;
            at += n;
        }
        ql->stage = stage_at;
        ql->ts = l->ts_us;
        ql->item = l->item;
        ql->stream = (int)l->stream;
        ql->level = (int)l->level;
        ql->text = at;
        ql->len = l->len;
        if (l->len)
            memcpy(q->buf + at, l->text, l->len);
        at += l->len;
        q->buf[at++] = '\0';
    }
    enqueue(st, q, size + count * sizeof *q->lines);
}

void store_flush(store *st)
{
    pthread_mutex_lock(&st->mutex);
    uint64_t ticket = st->queued;
    if (st->done < ticket) {
        st->hurry = true;
        pthread_cond_signal(&st->more);
    }
    while (st->done < ticket)
        pthread_cond_wait(&st->written, &st->mutex);
    pthread_mutex_unlock(&st->mutex);
}

/* ------------------------------------------------------------------ */
/* The writer thread                                                   */
/* ------------------------------------------------------------------ */

/* What went wrong in words: a full disk is named as one (SQLite says
 * "disk I/O error" or "database or disk is full"). */
static char *store_why(sqlite3 *db, int sys_errno)
{
    int code = db ? sqlite3_errcode(db) : SQLITE_OK;
    int sys = db && sys_errno == 0 ? sqlite3_system_errno(db) : sys_errno;
    if (sys == ENOSPC || sys == EDQUOT || (code & 0xff) == SQLITE_FULL)
        return xstrdup("no space left on the device (free some, then run again)");
    if (sys_errno != 0 || db == NULL)
        return xstrdup(strerror(sys_errno));
    return xstrdup(sqlite3_errmsg(db));
}

/* The first write error; with `sys_errno` 0 it is SQLite's. */
static void werror_set_errno(store *st, const char *what, int sys_errno)
{
    char *why = store_why(sys_errno ? NULL : st->wdb, sys_errno);
    pthread_mutex_lock(&st->mutex);
    if (st->werror == NULL)
        st->werror = xasprintf("%s %s: %s", st->db_path, what, why);
    pthread_mutex_unlock(&st->mutex);
    free(why);
}

static void werror_set(store *st, const char *what)
{
    werror_set_errno(st, what, 0);
}

char *store_write_error(store *st)
{
    pthread_mutex_lock(&st->mutex);
    char *e = st->werror ? xstrdup(st->werror) : NULL;
    pthread_mutex_unlock(&st->mutex);
    return e;
}

static void bind_vals(sqlite3_stmt *stmt, const qval *v, int n)
{
    for (int i = 0; i < n; i++) {
        switch (v[i].type) {
        case QV_NULL:
            sqlite3_bind_null(stmt, i + 1);
            break;
        case QV_INT:
            sqlite3_bind_int64(stmt, i + 1, v[i].i);
            break;
        case QV_TEXT:
            sqlite3_bind_text(stmt, i + 1, v[i].s, -1, SQLITE_STATIC);
            break;
        }
    }
}

static int step_done(store *st, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        werror_set(st, what);
        return -1;
    }
    return 0;
}

static void put_varint(strbuf *sb, uint64_t v)
{
    char b[10];
    size_t n = 0;
    do {
        b[n] = (char)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= (char)0x80;
        n++;
    } while (v);
    strbuf_add(sb, b, n);
}

static uint64_t get_varint(const unsigned char **p, const unsigned char *end)
{
    uint64_t v = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        unsigned char b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    return v;
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void chunk_reset(chunk *c)
{
    free(c->stage);
    c->stage = NULL;
    c->nlines = 0;
    c->text.len = 0;
    c->meta.len = 0;
}

static char *log_path(const store *st, const char *run_id)
{
    return xasprintf("%s/%s.log", st->log_dir, run_id);
}

/* Append a chunk's text to the run's log file: the bulk of a log goes
 * there, written once, instead of through SQLite's WAL and again into the
 * database.  0 with the offset, or -1. */
static int log_append(store *st, wrun *wr, const char *text, size_t len, int64_t *off)
{
    if (wr->log_fd < 0) {
        if (!run_id_safe(wr->id)) {
            werror_set(st, "a run id that is not a file name");
            return -1;
        }
        char *path = log_path(st, wr->id);
        wr->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
        free(path);
        struct stat sb;
        if (wr->log_fd < 0 || fstat(wr->log_fd, &sb) < 0) {
            werror_set_errno(st, "cannot open a run's log file", errno);
            return -1;
        }
        wr->log_off = sb.st_size;
    }
    *off = wr->log_off;
    if (fs_write_all(wr->log_fd, text, len) < 0) {
        werror_set_errno(st, "cannot write a run's log file", errno);
        /* what went in before the error is not referenced: skip past it */
        struct stat sb;
        if (fstat(wr->log_fd, &sb) == 0)
            wr->log_off = sb.st_size;
        return -1;
    }
    wr->log_off += (int64_t)len;
    return 0;
}

static int chunk_write(store *st, wrun *wr)
{
    chunk *c = &wr->c;
    if (c->nlines == 0)
        return 0;
    int64_t off;
    if (log_append(st, wr, c->text.buf ? c->text.buf : "", c->text.len, &off) < 0) {
        chunk_reset(c);
        return -1;
    }
    sqlite3_stmt *s = st->put_chunk;
    sqlite3_bind_text(s, 1, wr->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, c->seq_first);
    sqlite3_bind_int64(s, 3, (int64_t)c->nlines);
    if (c->stage)
        sqlite3_bind_text(s, 4, c->stage, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 4);
    sqlite3_bind_int64(s, 5, c->item);
    sqlite3_bind_int(s, 6, c->stream);
    sqlite3_bind_int(s, 7, c->level);
    sqlite3_bind_int64(s, 8, c->ts_first);
    sqlite3_bind_int64(s, 9, c->ts_prev);
    sqlite3_bind_blob(s, 10, c->meta.buf, (int)c->meta.len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 11, off);
    sqlite3_bind_int64(s, 12, (int64_t)c->text.len);
    int rc = step_done(st, s, "cannot store log lines");
    chunk_reset(c);
    return rc;
}

static wrun *wrun_get(store *st, const char *run_id)
{
    for (size_t i = 0; i < st->nwruns; i++)
        if (strcmp(st->wruns[i].id, run_id) == 0)
            return &st->wruns[i];
    /* A run seen for the first time: go on after the lines it has. */
    int64_t next = 1;
    sqlite3_bind_text(st->max_seq, 1, run_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st->max_seq) == SQLITE_ROW)
        next = sqlite3_column_int64(st->max_seq, 0);
    sqlite3_reset(st->max_seq);
    st->wruns = xrealloc(st->wruns, st->nwruns + 1, sizeof *st->wruns);
    wrun *wr = &st->wruns[st->nwruns++];
    memset(wr, 0, sizeof *wr);
    wr->id = xstrdup(run_id);
    wr->next_seq = next;
    wr->log_fd = -1;
    return wr;
}

/* A run that ended gets no more lines (and if it does, wrun_get finds
 * where they go on): forget it after writing what it had. */
static int wrun_drop(store *st, const char *run_id)
{
    for (size_t i = 0; i < st->nwruns; i++) {
        if (strcmp(st->wruns[i].id, run_id) != 0)
            continue;
        int rc = chunk_write(st, &st->wruns[i]);
        if (st->wruns[i].log_fd >= 0)
            close(st->wruns[i].log_fd);
        free(st->wruns[i].id);
        strbuf_free(&st->wruns[i].c.text);
        strbuf_free(&st->wruns[i].c.meta);
        st->wruns[i] = st->wruns[--st->nwruns];
        return rc;
    }
    return 0;
}

static bool same_key(const chunk *c, const char *stage, const qline *l)
{
    if (c->item != l->item || c->stream != l->stream || c->level != l->level)
        return false;
    if (stage == NULL || c->stage == NULL)
        return stage == c->stage;
    return strcmp(stage, c->stage) == 0;
}

static int write_lines(store *st, qitem *q)
{
    wrun *wr = wrun_get(st, q->run_id);
    chunk *c = &wr->c;
    for (size_t i = 0; i < q->count; i++) {
        const qline *l = &q->lines[i];
        const char *stage = l->stage == SIZE_MAX ? NULL : q->buf + l->stage;
        if (c->nlines > 0 &&
            (!same_key(c, stage, l) || c->nlines >= CHUNK_MAX_LINES ||
             c->text.len + 1 + l->len > CHUNK_MAX_BYTES) &&
            chunk_write(st, wr) < 0)
            return -1;
        if (c->nlines == 0) {
            c->stage = stage ? xstrdup(stage) : NULL;
            c->item = l->item;
            c->stream = l->stream;
            c->level = l->level;
            c->seq_first = wr->next_seq;
            c->ts_first = c->ts_prev = l->ts;
        } else {
            strbuf_putc(&c->text, '\n');
        }
        strbuf_add(&c->text, q->buf + l->text, l->len);
        put_varint(&c->meta, zigzag(l->ts - c->ts_prev));
        put_varint(&c->meta, l->len);
        c->ts_prev = l->ts;
        c->nlines++;
        wr->next_seq++;
    }
    return 0;
}

static int write_item(store *st, qitem *q)
{
    switch (q->kind) {
    case Q_RUN:
        bind_vals(st->put_run, q->vals, RUN_NCOLS);
        if (step_done(st, st->put_run, "cannot store a run") < 0)
            return -1;
        return q->terminal ? wrun_drop(st, q->vals[RUN_ID].s) : 0;
    case Q_STAGE:
        bind_vals(st->put_stage, q->vals, STG_NCOLS);
        return step_done(st, st->put_stage, "cannot store a stage");
    case Q_LINES:
        return write_lines(st, q);
    }
    return 0;
}

static void wruns_free(store *st)
{
    for (size_t i = 0; i < st->nwruns; i++) {
        if (st->wruns[i].log_fd >= 0)
            close(st->wruns[i].log_fd);
        free(st->wruns[i].id);
        free(st->wruns[i].c.stage);
        strbuf_free(&st->wruns[i].c.text);
        strbuf_free(&st->wruns[i].c.meta);
    }
    free(st->wruns);
    st->wruns = NULL;
    st->nwruns = 0;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* Write a batch in one transaction; a batch that fails is dropped (the
 * engine goes on; the error is kept in st->werror for store_write_error,
 * and what was committed before stays as it was). */
static void write_batch(store *st, qitem *batch)
{
    int rc = exec_sql(st->wdb, "BEGIN IMMEDIATE");
    if (rc < 0)
        werror_set(st, "cannot begin a transaction");
    for (qitem *q = batch; q && rc == 0; q = q->next)
        rc = write_item(st, q);
    for (size_t i = 0; i < st->nwruns && rc == 0; i++)
        rc = chunk_write(st, &st->wruns[i]);
    if (rc == 0 && exec_sql(st->wdb, "COMMIT") < 0) {
        werror_set(st, "cannot commit");
        rc = -1;
    }
    if (rc < 0) {
        exec_sql(st->wdb, "ROLLBACK");
        /* Their line numbers went on with what is now lost: start again
         * from what the database has. */
        wruns_free(st);
    }
    /* Committed (or given up on): terminal runs let go of their locks. */
    for (qitem *q = batch; q; q = q->next)
        if (q->kind == Q_RUN && q->terminal)
            lock_release(st, q->vals[RUN_ID].s);
}

/* After each commit of the writer: the WAL holds `pages`. */
static int wal_hook(void *data, sqlite3 *db, const char *name, int pages)
{
    store *st = data;
    if (pages >= WAL_CHECKPOINT_PAGES) {
        pthread_mutex_lock(&st->mutex);
        st->ckpt_wanted = true;
        pthread_cond_signal(&st->ckpt);
        pthread_mutex_unlock(&st->mutex);
    }
    return SQLITE_OK;
}

/* PASSIVE: the writer goes on appending while the pages are copied. */
static void *checkpointer_main(void *arg)
{
    store *st = arg;
    pthread_mutex_lock(&st->mutex);
    for (;;) {
        while (!st->ckpt_wanted && !st->ckpt_closing)
            pthread_cond_wait(&st->ckpt, &st->mutex);
        if (st->ckpt_closing)
            break;
        st->ckpt_wanted = false;
        pthread_mutex_unlock(&st->mutex);
        sqlite3_wal_checkpoint_v2(st->cdb, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&st->mutex);
    }
    pthread_mutex_unlock(&st->mutex);
    return NULL;
}

static void *writer_main(void *arg)
{
    store *st = arg;
    pthread_mutex_lock(&st->mutex);
    for (;;) {
        st->idle = true;
        while (st->head == NULL && !st->closing)
            pthread_cond_wait(&st->more, &st->mutex);
        st->idle = false;
        if (st->head == NULL)
            break;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += WRITE_WINDOW_US * 1000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!st->closing && !st->hurry &&
               pthread_cond_timedwait(&st->more, &st->mutex, &until) != ETIMEDOUT)
            ;
        /* This batch holds everything queued so far: every flush waiting
         * now is answered by it. */
        st->hurry = false;
        qitem *batch = st->head;
        uint64_t last = st->tail->ticket;
        st->head = st->tail = NULL;
        st->qbytes = 0;
        pthread_cond_broadcast(&st->room);
        pthread_mutex_unlock(&st->mutex);

        write_batch(st, batch);
        while (batch) {
            qitem *next = batch->next;
            qitem_free(batch);
            batch = next;
        }

        pthread_mutex_lock(&st->mutex);
        st->done = last;
        pthread_cond_broadcast(&st->written);
    }
    pthread_mutex_unlock(&st->mutex);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Open and close                                                      */
/* ------------------------------------------------------------------ */

static int db_open(sqlite3 **db, const char *path, char **error)
{
    int rc = sqlite3_open_v2(
        path, db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
        NULL);
    if (rc != SQLITE_OK) {
        *error =
            xasprintf("cannot open %s: %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(*db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(*db, 1);
    return 0;
}

static int db_exec(sqlite3 *db, const char *sql, const char *path, char **error)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    /* a full disk is said as such, not as "disk I/O error" */
    char *why = store_why(db, 0);
    *error = xasprintf("%s: %s", path, why);
    free(why);
    sqlite3_free(msg);
    return -1;
}

static int prepare(sqlite3 *db, sqlite3_stmt **stmt, const char *sql, const char *path,
                   char **error)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) == SQLITE_OK)
        return 0;
    *error = xasprintf("%s: %s", path, sqlite3_errmsg(db));
    return -1;
}

static int schema_init(store *st, char **error)
{
    sqlite3 *db = st->wdb;
    /* The WAL is cut back to 64 MB after a burst made it bigger. */
    if (db_exec(db,
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                " PRAGMA journal_size_limit=67108864;",
                st->db_path, error) < 0)
        return -1;
    sqlite3_wal_hook(db, wal_hook, st);
    sqlite3_stmt *s = NULL;
    int version = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (version > SCHEMA_VERSION) {
        *error = xasprintf("%s was written by a newer dapt (schema %d; this one knows %d)",
                           st->db_path, version, SCHEMA_VERSION);
        return -1;
    }
    if (version == SCHEMA_VERSION)
        return 0;
    /* A new file gets the whole schema; an older one its missing steps. */
    char *sql = xasprintf("BEGIN IMMEDIATE; %s %s %s PRAGMA user_version=%d; COMMIT;",
                          version == 0 ? schema_sql : "", version == 1 ? schema_1_to_2 : "",
                          schema_2_to_3, SCHEMA_VERSION);
    int rc = db_exec(db, sql, st->db_path, error);
    free(sql);
    if (rc < 0)
        exec_sql(db, "ROLLBACK");
    return rc;
}

static int writer_prepare(store *st, char **error)
{
    static const char put_run[] =
        "INSERT INTO runs(id, workflow, file, state, source, started_at, finished_at,"
        " result, error, git_commit, record, pid, created_at)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)"
        " ON CONFLICT(id) DO UPDATE SET workflow=?2, file=?3, state=?4, source=?5,"
        " started_at=?6, finished_at=?7, result=?8, error=?9, git_commit=?10, record=?11,"
        " pid=?12";
    static const char put_stage[] =
        "INSERT INTO stages(run_id, idx, name, state, started_at, finished_at,"
        " attempts, items_total, items_ok, items_failed, error, record)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)"
        " ON CONFLICT(run_id, idx) DO UPDATE SET name=?3, state=?4, started_at=?5,"
        " finished_at=?6, attempts=?7, items_total=?8, items_ok=?9, items_failed=?10,"
        " error=?11, record=?12";
    static const char put_chunk[] =
        "INSERT INTO log_chunks(run_id, seq_first, nlines, stage, item, stream, level,"
        " ts_first, ts_last, meta, text_off, text_len)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)";
    static const char max_seq[] =
        "SELECT COALESCE(MAX(seq_first + nlines), 1) FROM log_chunks WHERE run_id = ?1";
    if (prepare(st->wdb, &st->put_run, put_run, st->db_path, error) < 0 ||
        prepare(st->wdb, &st->put_stage, put_stage, st->db_path, error) < 0 ||
        prepare(st->wdb, &st->put_chunk, put_chunk, st->db_path, error) < 0 ||
        prepare(st->wdb, &st->max_seq, max_seq, st->db_path, error) < 0)
        return -1;
    return 0;
}

static int reap_dead(store *st, char **error);
static void sql_log_text(sqlite3_context *ctx, int argc, sqlite3_value **argv);

static void store_free(store *st)
{
    if (st->cthread_started) {
        pthread_mutex_lock(&st->mutex);
        st->ckpt_closing = true;
        pthread_cond_signal(&st->ckpt);
        pthread_mutex_unlock(&st->mutex);
        pthread_join(st->cthread, NULL);
    }
    sqlite3_finalize(st->put_run);
    sqlite3_finalize(st->put_stage);
    sqlite3_finalize(st->put_chunk);
    sqlite3_finalize(st->max_seq);
    sqlite3_close(st->wdb);
    sqlite3_close(st->rdb);
    sqlite3_close(st->cdb);
    wruns_free(st);
    /* Runs still held were abandoned: letting go of their locks lets the
     * next opener mark them interrupted. */
    for (size_t i = 0; i < st->nlocks; i++) {
        close(st->locks[i].fd);
        free(st->locks[i].run_id);
    }
    free(st->locks);
    pthread_mutex_destroy(&st->mutex);
    pthread_mutex_destroy(&st->rmutex);
    pthread_cond_destroy(&st->more);
    pthread_cond_destroy(&st->written);
    pthread_cond_destroy(&st->room);
    pthread_cond_destroy(&st->ckpt);
    free(st->werror);
    free(st->workspace);
    free(st->db_path);
    free(st->lock_dir);
    free(st->log_dir);
    free(st->rlog_run);
    if (st->rlog_fd >= 0)
        close(st->rlog_fd);
    free(st);
}

/* .dapt/ and what the store keeps there are not followed when they are
 * symbolic links: a link could make the store write, or show in its
 * errors, any file the user can reach. */
static int store_no_symlinks(const store *st, const char *dir, char **error)
{
    char *wal = xasprintf("%s-wal", st->db_path), *shm = xasprintf("%s-shm", st->db_path);
    const char *paths[] = {dir, st->lock_dir, st->log_dir, st->db_path, wal, shm};
    int rc = 0;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0] && rc == 0; i++)
        rc = fs_refuse_symlink(paths[i], error);
    free(wal);
    free(shm);
    return rc;
}

int store_open(store **out, const char *workspace, char **error)
{
    *out = NULL;
    store *st = xcalloc(1, sizeof *st);
    pthread_mutex_init(&st->mutex, NULL);
    pthread_mutex_init(&st->rmutex, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&st->more, &attr);
    pthread_condattr_destroy(&attr);
    pthread_cond_init(&st->written, NULL);
    pthread_cond_init(&st->room, NULL);
    pthread_cond_init(&st->ckpt, NULL);
    st->workspace = xstrdup(workspace);
    /* "." is shown as the folder it is: .dapt/dapt.db */
    bool here = strcmp(workspace, ".") == 0;
    char *dir = here ? xstrdup(".dapt") : xasprintf("%s/.dapt", workspace);
    st->db_path = xasprintf("%s/dapt.db", dir);
    st->lock_dir = xasprintf("%s/runs", dir);
    st->log_dir = xasprintf("%s/logs", dir);
    st->rlog_fd = -1;
    int rc = store_no_symlinks(st, dir, error);
    if (rc == 0 && (rc = fs_mkdir_p(st->lock_dir, 0755)) == 0)
        rc = fs_mkdir_p(st->log_dir, 0755);
    if (rc < 0 && *error == NULL)
        *error = xasprintf("cannot create %s: %s", st->log_dir, strerror(errno));
    free(dir);
    if (rc < 0 || db_open(&st->wdb, st->db_path, error) < 0 || schema_init(st, error) < 0 ||
        writer_prepare(st, error) < 0 || db_open(&st->rdb, st->db_path, error) < 0 ||
        sqlite3_create_function(st->rdb, "log_text", 3, SQLITE_UTF8, st, sql_log_text, NULL,
                                NULL) != SQLITE_OK ||
        reap_dead(st, error) < 0) {
        store_free(st);
        return -1;
    }
    if (db_open(&st->cdb, st->db_path, error) < 0) {
        store_free(st);
        return -1;
    }
    int err = pthread_create(&st->cthread, NULL, checkpointer_main, st);
    st->cthread_started = err == 0;
    if (err == 0)
        err = pthread_create(&st->thread, NULL, writer_main, st);
    if (err != 0) {
        *error = xasprintf("cannot start the run store's threads: %s", strerror(err));
        store_free(st);
        return -1;
    }
    *out = st;
    return 0;
}

void store_close(store *st)
{
    if (st == NULL)
        return;
    pthread_mutex_lock(&st->mutex);
    st->closing = true;
    pthread_cond_signal(&st->more);
    pthread_cond_broadcast(&st->room);
    pthread_mutex_unlock(&st->mutex);
    pthread_join(st->thread, NULL); /* it drains the queue first */
    store_free(st);
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */
/* ------------------------------------------------------------------ */

struct sqlite3 *store_query_begin(store *st)
{
    pthread_mutex_lock(&st->rmutex);
    return st->rdb;
}

void store_query_end(store *st)
{
    pthread_mutex_unlock(&st->rmutex);
}

const char *store_path(const store *st)
{
    return st->db_path;
}

int store_reap(store *st, char **error)
{
    pthread_mutex_lock(&st->rmutex);
    int rc = reap_dead(st, error);
    pthread_mutex_unlock(&st->rmutex);
    return rc;
}

static int query_error(store *st, char **error, const char *what)
{
    *error = xasprintf("%s: %s: %s", st->db_path, what, sqlite3_errmsg(st->rdb));
    return -1;
}

static json_t *column_json(sqlite3_stmt *s, int col)
{
    const char *text = (const char *)sqlite3_column_text(s, col);
    if (text == NULL)
        return NULL;
    return json_loads(text, JSON_DECODE_ANY, NULL);
}

/* Run one statement with ?1 = id (and ?2 = msg): the rows it changed, or
 * -1. */
static int run_update(store *st, const char *sql, const char *id, const char *msg)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->rdb, sql, -1, &s, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (msg != NULL)
        sqlite3_bind_text(s, 2, msg, -1, SQLITE_STATIC);
    int changed = sqlite3_step(s) == SQLITE_DONE ? sqlite3_changes(st->rdb) : -1;
    sqlite3_finalize(s);
    return changed;
}

/* Mark a run whose process is gone, and its unfinished stages: running
 * ones interrupted with it, ones not started skipped.  The WHERE makes it
 * a no-op when the run ended after all. */
static int mark_interrupted(store *st, const char *id, int64_t pid)
{
    static const char run_sql[] =
        "UPDATE runs SET state = 'interrupted', error = ?2,"
        " record = CASE WHEN json_valid(record) THEN"
        "  json_set(record, '$.state', 'interrupted', '$.error', ?2) ELSE record END"
        " WHERE id = ?1 AND state IN ('pending', 'running')";
    static const char stages_sql[] =
        "UPDATE stages SET state = CASE state WHEN 'running' THEN 'interrupted'"
        "  ELSE 'skipped' END,"
        " record = CASE WHEN json_valid(record) THEN json_set(record, '$.state',"
        "  CASE state WHEN 'running' THEN 'interrupted' ELSE 'skipped' END) ELSE record END"
        " WHERE run_id = ?1 AND state IN ('pending', 'running')";
    char *msg = pid > 0 ? xasprintf("the process running it (pid %lld) died", (long long)pid)
                        : xstrdup("the process running it died");
    int rc = exec_sql(st->rdb, "BEGIN IMMEDIATE");
    int changed = rc == 0 ? run_update(st, run_sql, id, msg) : -1;
    if (changed > 0) /* the stages only change with their run */
        changed = run_update(st, stages_sql, id, NULL);
    rc = changed >= 0 ? exec_sql(st->rdb, "COMMIT") : -1;
    if (rc < 0)
        exec_sql(st->rdb, "ROLLBACK");
    free(msg);
    return rc;
}

/* Mark interrupted every unfinished run whose lock nobody holds.  Caller
 * holds rmutex (or is store_open). */
static int reap_dead(store *st, char **error)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->rdb,
                           "SELECT id, pid FROM runs WHERE state IN ('pending', 'running')", -1, &s,
                           NULL) != SQLITE_OK)
        return query_error(st, error, "cannot read runs");
    char **ids = NULL;
    int64_t *pids = NULL;
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ids = xrealloc(ids, n + 1, sizeof *ids);
        pids = xrealloc(pids, n + 1, sizeof *pids);
        ids[n] = xstrdup((const char *)sqlite3_column_text(s, 0));
        pids[n] = sqlite3_column_int64(s, 1);
        n++;
    }
    sqlite3_finalize(s);
    int ret = rc == SQLITE_DONE ? 0 : query_error(st, error, "cannot read runs");
    for (size_t i = 0; i < n; i++) {
        bool busy;
        int fd = ret == 0 ? lock_try(st, ids[i], &busy) : -1;
        if (fd >= 0) {
            if (mark_interrupted(st, ids[i], pids[i]) < 0)
                ret = query_error(st, error, "cannot mark an interrupted run");
            char *path = lock_path(st, ids[i]);
            unlink(path);
            free(path);
            close(fd);
        }
        free(ids[i]);
    }
    free(ids);
    free(pids);
    return ret;
}

/* The stages of a run, in order (new reference). */
static int run_stages(store *st, json_t **out, const char *id, char **error)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->rdb, "SELECT record FROM stages WHERE run_id = ?1 ORDER BY idx", -1,
                           &s, NULL) != SQLITE_OK)
        return query_error(st, error, "cannot read stages");
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    json_t *stages = json_array();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        json_t *stage = column_json(s, 0);
        json_array_append_new(stages, stage ? stage : json_object());
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        json_decref(stages);
        return query_error(st, error, "cannot read stages");
    }
    *out = stages;
    return 0;
}

/* The full record of a row (id in column 0, record in column 1). */
static int row_record(store *st, json_t **out, sqlite3_stmt *s, char **error)
{
    const char *id = (const char *)sqlite3_column_text(s, 0);
    json_t *record = column_json(s, 1);
    if (!json_is_object(record)) {
        json_decref(record);
        record = json_pack("{ss}", "id", id);
    }
    json_t *stages = NULL;
    if (run_stages(st, &stages, id, error) < 0) {
        json_decref(record);
        return -1;
    }
    json_object_set_new(record, "stages", stages);
    *out = record;
    return 0;
}

int store_count_runs_by_blob(store *st, json_t **out, const char *blob, char **error)
{
    pthread_mutex_lock(&st->rmutex);
    int ret = reap_dead(st, error);
    sqlite3_stmt *s = NULL;
    if (ret == 0 &&
        sqlite3_prepare_v2(st->rdb,
                           "SELECT state, COUNT(*) FROM runs"
                           " WHERE json_extract(record, '$.provenance.workflow.blob') = ?1"
                           " GROUP BY state ORDER BY state",
                           -1, &s, NULL) != SQLITE_OK)
        ret = query_error(st, error, "cannot count runs");
    json_t *counts = json_object();
    if (ret == 0) {
        sqlite3_bind_text(s, 1, blob, -1, SQLITE_STATIC);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
            json_object_set_new(counts, (const char *)sqlite3_column_text(s, 0),
                                json_integer(sqlite3_column_int64(s, 1)));
        if (rc != SQLITE_DONE)
            ret = query_error(st, error, "cannot count runs");
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->rmutex);
    if (ret < 0) {
        json_decref(counts);
        return -1;
    }
    *out = counts;
    return 0;
}

int store_list_runs(store *st, json_t **out, const char *workflow, const char *state, int limit,
                    char **error)
{
    pthread_mutex_lock(&st->rmutex);
    int ret = reap_dead(st, error);
    sqlite3_stmt *s = NULL;
    if (ret == 0 &&
        sqlite3_prepare_v2(st->rdb,
                           "SELECT id, record FROM runs WHERE (?1 IS NULL OR workflow = ?1)"
                           " AND (?2 IS NULL OR state = ?2) ORDER BY rowid DESC LIMIT ?3",
                           -1, &s, NULL) != SQLITE_OK)
        ret = query_error(st, error, "cannot list runs");
    json_t *runs = json_array();
    if (ret == 0) {
        sqlite3_bind_text(s, 1, workflow, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 3, limit > 0 ? limit : -1);
        int rc;
        while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
            json_t *record;
            ret = row_record(st, &record, s, error);
            if (ret == 0)
                json_array_append_new(runs, record);
        }
        if (ret == 0 && rc != SQLITE_DONE)
            ret = query_error(st, error, "cannot list runs");
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->rmutex);
    if (ret < 0) {
        json_decref(runs);
        return -1;
    }
    *out = runs;
    return 0;
}

/* The candidates of an ambiguous prefix, for the message. */
static char *ambiguous(sqlite3_stmt *s)
{
    strbuf sb = {0};
    size_t n = 0;
    int rc = SQLITE_ROW;
    for (; rc == SQLITE_ROW; rc = sqlite3_step(s), n++) {
        if (n == AMBIGUOUS_SHOWN)
            continue;
        const char *wf = (const char *)sqlite3_column_text(s, 2);
        strbuf_printf(&sb, "%s%s", n ? ", " : "", sqlite3_column_text(s, 0));
        if (wf)
            strbuf_printf(&sb, " (%s)", wf);
    }
    if (n > AMBIGUOUS_SHOWN)
        strbuf_printf(&sb, " and %zu more", n - AMBIGUOUS_SHOWN);
    return strbuf_detach(&sb);
}

int store_get_run(store *st, json_t **out, const char *id, char **error)
{
    pthread_mutex_lock(&st->rmutex);
    int ret = reap_dead(st, error);
    sqlite3_stmt *s = NULL;
    /* The exact id first, then every id starting with it. */
    if (ret == 0 &&
        sqlite3_prepare_v2(st->rdb,
                           "SELECT id, record, workflow FROM runs WHERE id = ?1"
                           " UNION ALL SELECT * FROM (SELECT id, record, workflow FROM runs"
                           "  WHERE substr(id, 1, length(?1)) = ?1 AND id <> ?1 AND ?1 <> ''"
                           "  ORDER BY id)",
                           -1, &s, NULL) != SQLITE_OK)
        ret = query_error(st, error, "cannot read runs");
    if (ret == 0) {
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            bool exact = strcmp((const char *)sqlite3_column_text(s, 0), id) == 0;
            json_t *record;
            ret = row_record(st, &record, s, error);
            if (ret == 0 && !exact && (rc = sqlite3_step(s)) == SQLITE_ROW) {
                json_decref(record);
                sqlite3_reset(s);
                sqlite3_step(s);
                char *list = ambiguous(s);
                *error = xasprintf("run id `%s` is ambiguous: %s", id, list);
                free(list);
                ret = -1;
            } else if (ret == 0) {
                *out = record;
            }
        } else if (rc == SQLITE_DONE) {
            *error = xasprintf("no run `%s` in %s", id, st->db_path);
            ret = -1;
        } else {
            ret = query_error(st, error, "cannot read runs");
        }
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->rmutex);
    return ret;
}

/* Index the chunks written since the last search (one transaction, so
 * two searchers never index a chunk twice). */
/* log_text(run_id, off, len): a chunk's text from the run's log file, for
 * the queries of the reading connection (rmutex held while they run). */
static void sql_log_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    store *st = sqlite3_user_data(ctx);
    const char *run = (const char *)sqlite3_value_text(argv[0]);
    sqlite3_int64 off = sqlite3_value_int64(argv[1]), len = sqlite3_value_int64(argv[2]);
    if (run == NULL || !run_id_safe(run) || off < 0 || len < 0 || len > (1 << 30)) {
        sqlite3_result_null(ctx);
        return;
    }
    if (st->rlog_run == NULL || strcmp(st->rlog_run, run) != 0) {
        if (st->rlog_fd >= 0)
            close(st->rlog_fd);
        free(st->rlog_run);
        char *path = log_path(st, run);
        st->rlog_fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        free(path);
        st->rlog_run = xstrdup(run);
    }
    char *buf = xmalloc((size_t)len + 1);
    ssize_t got = st->rlog_fd < 0 ? -1 : pread(st->rlog_fd, buf, (size_t)len, (off_t)off);
    if (got < 0)
        got = 0; /* a log file that is gone: the lines read as empty */
    sqlite3_result_text(ctx, buf, (int)got, free);
}

static int fts_catch_up(store *st, char **error)
{
    static const char sql[] =
        "BEGIN IMMEDIATE;"
        "INSERT OR IGNORE INTO meta(key, value) VALUES('fts_indexed', 0);"
        "INSERT INTO log_fts(rowid, text) SELECT id, " CHUNK_TEXT " FROM log_chunks"
        " WHERE id > (SELECT value FROM meta WHERE key = 'fts_indexed') ORDER BY id;"
        "UPDATE meta SET value = (SELECT COALESCE(MAX(id), 0) FROM log_chunks)"
        " WHERE key = 'fts_indexed' AND value < (SELECT COALESCE(MAX(id), 0) FROM log_chunks);"
        "COMMIT;";
    if (exec_sql(st->rdb, sql) == 0)
        return 0;
    query_error(st, error, "cannot index the log");
    exec_sql(st->rdb, "ROLLBACK");
    return -1;
}

/* Case-insensitive (ASCII) search of needle in text[0..len). */
static bool contains_nocase(const char *text, size_t len, const char *needle, size_t nlen)
{
    if (nlen == 0)
        return true;
    for (size_t i = 0; i + nlen <= len; i++) {
        size_t k = 0;
        while (k < nlen) {
            unsigned char a = (unsigned char)text[i + k], b = (unsigned char)needle[k];
            if (a >= 'A' && a <= 'Z')
                a += 'a' - 'A';
            if (b >= 'A' && b <= 'Z')
                b += 'a' - 'A';
            if (a != b)
                break;
            k++;
        }
        if (k == nlen)
            return true;
    }
    return false;
}

/* Characters, not bytes: the trigram tokenizer counts code points. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* The FTS5 query for a literal substring: one quoted phrase. */
static char *fts_phrase(const char *text)
{
    strbuf sb = {0};
    strbuf_putc(&sb, '"');
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            strbuf_putc(&sb, '"');
        strbuf_putc(&sb, *p);
    }
    strbuf_putc(&sb, '"');
    return strbuf_detach(&sb);
}

/* A JSON string of text that may not be UTF-8 (a stage can print
 * anything): invalid bytes become U+FFFD. */
static json_t *text_json(const char *text, size_t len)
{
    json_t *j = json_stringn(text, len);
    if (j != NULL)
        return j;
    strbuf sb = {0};
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        size_t n = c < 0x80             ? 1
                   : (c & 0xe0) == 0xc0 ? 2
                   : (c & 0xf0) == 0xe0 ? 3
                   : (c & 0xf8) == 0xf0 ? 4
                                        : 0;
        json_t *one = n && i + n <= len ? json_stringn(text + i, n) : NULL;
        if (one != NULL) {
            strbuf_add(&sb, text + i, n);
            json_decref(one);
            i += n;
        } else {
            strbuf_puts(&sb, "\xef\xbf\xbd");
            i++;
        }
    }
    j = json_stringn(sb.buf ? sb.buf : "", sb.len);
    strbuf_free(&sb);
    return j ? j : json_string("");
}

static const char *const level_names[] = {"debug", "info", "warning", "error"};

/* What the lines of one chunk share, made once (a million lines are a
 * million objects: each allocation saved counts). */
typedef struct chunk_json {
    json_t *stage, *item, *stream, *level;
    time_t second; /* of `day`, the cached text of a timestamp's second */
    char day[24];
} chunk_json;

static void chunk_json_clear(chunk_json *cj)
{
    json_decref(cj->stage);
    json_decref(cj->item);
    json_decref(cj->stream);
    json_decref(cj->level);
    cj->stage = cj->item = cj->stream = cj->level = NULL;
}

/* clock_iso's format, with the date and time of day cached by second. */
static json_t *ts_json(chunk_json *cj, int64_t ts)
{
    time_t secs = (time_t)(ts / 1000000);
    if (ts < 0 || ts % 1000000 < 0) {
        char iso[40];
        clock_iso(iso, sizeof iso, ts);
        return json_string(iso);
    }
    if (cj->day[0] == '\0' || secs != cj->second) {
        struct tm tm;
        if (gmtime_r(&secs, &tm) == NULL)
            return json_string("");
        strftime(cj->day, sizeof cj->day, "%Y-%m-%dT%H:%M:%S", &tm);
        cj->second = secs;
    }
    char iso[40];
    snprintf(iso, sizeof iso, "%s.%03dZ", cj->day, (int)(ts / 1000 % 1000));
    return json_string(iso);
}

static json_t *line_json(chunk_json *cj, int64_t seq, int64_t ts, const char *text, size_t len)
{
    json_t *l = json_object();
    json_object_set_new(l, "seq", json_integer(seq));
    json_object_set_new(l, "ts", ts == 0 ? json_null() : ts_json(cj, ts));
    json_object_set(l, "stage", cj->stage);
    json_object_set(l, "item", cj->item);
    json_object_set(l, "stream", cj->stream);
    json_object_set(l, "level", cj->level);
    json_object_set_new(l, "text", text_json(text, len));
    return l;
}

typedef struct lines_query {
    const char *grep;
    size_t grep_len;
    int64_t after;
    int limit;
    json_t *out;
    int64_t last;
    chunk_json cj;
} lines_query;

/* Add the wanted lines of the chunk in the current row.  false when the
 * limit is reached. */
static bool chunk_lines(lines_query *lq, sqlite3_stmt *s)
{
    int64_t seq = sqlite3_column_int64(s, 0);
    int64_t nlines = sqlite3_column_int64(s, 1);
    const char *stage = (const char *)sqlite3_column_text(s, 2);
    long item = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 : (long)sqlite3_column_int64(s, 3);
    int stream = sqlite3_column_int(s, 4), level = sqlite3_column_int(s, 5);
    int64_t ts = sqlite3_column_int64(s, 6);
    const unsigned char *meta = sqlite3_column_blob(s, 7);
    const unsigned char *mend = meta + sqlite3_column_bytes(s, 7);
    const char *text = (const char *)sqlite3_column_text(s, 8);
    size_t tlen = (size_t)sqlite3_column_bytes(s, 8), at = 0;
    chunk_json *cj = &lq->cj;
    chunk_json_clear(cj);
    cj->stage = stage ? json_string(stage) : json_null();
    cj->item = item >= 0 ? json_integer(item) : json_null();
    cj->stream = json_string(dapt_stream_name((dapt_stream)stream));
    cj->level = json_string(level >= 0 && level < 4 ? level_names[level] : "info");
    for (int64_t k = 0; k < nlines; k++, seq++) {
        ts += unzigzag(get_varint(&meta, mend));
        size_t len = (size_t)get_varint(&meta, mend);
        if (at + len > tlen)
            break; /* damaged: stop at what is there */
        const char *line = text + at;
        at += len + 1;
        if (seq <= lq->after)
            continue;
        if (lq->limit > 0 && json_array_size(lq->out) >= (size_t)lq->limit)
            return false;
        lq->last = seq;
        if (lq->grep && !contains_nocase(line, len, lq->grep, lq->grep_len))
            continue;
        json_array_append_new(lq->out, line_json(cj, seq, ts, line, len));
    }
    return true;
}

int store_get_lines(store *st, json_t **out, const char *run_id, const char *stage,
                    const char *grep, int64_t after, int limit, int64_t *last, char **error)
{
    if (grep != NULL && *grep == '\0')
        grep = NULL;
    /* The index can only help with three characters or more. */
    bool use_fts = grep != NULL && utf8_chars(grep) >= 3;
    pthread_mutex_lock(&st->rmutex);
    int ret = use_fts ? fts_catch_up(st, error) : 0;
    strbuf sql = {0};
    strbuf_puts(&sql, "SELECT seq_first, nlines, stage, item, stream, level, ts_first, meta,"
                      " " CHUNK_TEXT " FROM log_chunks WHERE run_id = ?1 AND seq_first + nlines > ?2 + 1"
                      " AND seq_first > ?2 - " STRINGIFY(CHUNK_MAX_LINES));
    if (stage != NULL)
        strbuf_puts(&sql, " AND stage = ?3");
    if (use_fts)
        strbuf_puts(&sql, " AND id IN (SELECT rowid FROM log_fts WHERE log_fts MATCH ?4)");
    strbuf_puts(&sql, " ORDER BY seq_first");
    sqlite3_stmt *s = NULL;
    if (ret == 0 && sqlite3_prepare_v2(st->rdb, sql.buf, -1, &s, NULL) != SQLITE_OK)
        ret = query_error(st, error, "cannot read the log");
    strbuf_free(&sql);
    lines_query lq = {
        .grep = grep,
        .grep_len = grep ? strlen(grep) : 0,
        .after = after,
        .limit = limit,
        .out = json_array(),
        .last = after,
    };
    char *phrase = use_fts ? fts_phrase(grep) : NULL;
    if (ret == 0) {
        sqlite3_bind_text(s, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, after);
        if (stage != NULL)
            sqlite3_bind_text(s, 3, stage, -1, SQLITE_STATIC);
        if (phrase != NULL)
            sqlite3_bind_text(s, 4, phrase, -1, SQLITE_STATIC);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW && chunk_lines(&lq, s))
            ;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            ret = query_error(st, error, "cannot read the log");
    }
    free(phrase);
    chunk_json_clear(&lq.cj);
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->rmutex);
    if (ret < 0) {
        json_decref(lq.out);
        return -1;
    }
    *out = lq.out;
    if (last)
        *last = lq.last;
    return 0;
}

/* The states in the order people read them; others follow as stored. */
static const char *const counts_states[] = {"finished",  "failed",      "cancelled",
                                            "interrupted", "running", "pending"};

char *store_counts_text(const json_t *counts)
{
    strbuf sb = {0};
    size_t nstates = sizeof counts_states / sizeof counts_states[0];
    for (size_t i = 0; i < nstates; i++) {
        json_int_t n = json_integer_value(json_object_get(counts, counts_states[i]));
        if (n > 0)
            strbuf_printf(&sb, "%s%lld %s", sb.len ? ", " : "", (long long)n, counts_states[i]);
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)counts, key, v) {
        bool known = false;
        for (size_t i = 0; i < nstates; i++)
            known = known || strcmp(key, counts_states[i]) == 0;
        if (!known && json_integer_value(v) > 0)
            strbuf_printf(&sb, "%s%lld %s", sb.len ? ", " : "", (long long)json_integer_value(v),
                          key);
    }
    if (sb.len == 0)
        strbuf_puts(&sb, "0");
    return strbuf_detach(&sb);
}
