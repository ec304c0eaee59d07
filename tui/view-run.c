/*
 * view-run.c - the Run view: a run's stages above, its log below.
 *
 * The stage table shows each stage's state (glyph, text and colour),
 * duration (ticking while it runs), attempts, and for a parameterized
 * stage its item counts with a bar; Right/Enter expands its items.
 *
 * The log pane is anchored at its bottom line: following, that is the
 * newest line; paused, a line number (seq) that stays put while lines
 * arrive.  Drawing walks up from there for one screenful only, so a frame
 * costs O(screen) however long the log is.  With a filter (one stage, a
 * level, a text) the view keeps an index of the matching line numbers,
 * built once when the filter changes and extended by the new lines of
 * each frame (O(new lines)).  Lines that left the model's ring are read
 * back from the run store a window at a time when scrolled to.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui.h"

/* The virtual line after the last one: the end-of-run marker. */
#define SEQ_END INT64_MAX
/* Lines read from the store around the one wanted (more than a screen). */
#define OLDER_BEFORE 450
#define OLDER_WINDOW 600
/* The widest stage/item prefix of a log line. */
#define PREFIX_MAX 24
#define BAR_WIDTH 12

enum { FOCUS_STAGES, FOCUS_LOG };
enum { LEVEL_ALL, LEVEL_WARNING, LEVEL_ERROR, LEVEL_COUNT };
static const char *const level_label[LEVEL_COUNT] = {"all", "warning+", "error"};

/* What the log tells of an item of a parameterized stage. */
enum { ITEM_PENDING, ITEM_STARTED, ITEM_FAILED };

typedef struct item_track {
    uint8_t *state;
    uint32_t *lines;
    size_t n;
} item_track;

typedef struct run_view {
    tui_view base;
    run_model *m;
    int focus;
    /* the stage table: rows are stages and the items of expanded ones */
    size_t sel, top;
    bool *expanded;
    item_track *items;
    /* the log pane */
    bool follow;
    int64_t anchor; /* bottom line when paused */
    int one_stage;  /* -1: all */
    long one_item;  /* -1: all */
    int level;
    char *filter;
    char *search;
    int64_t match;  /* the line of the current search hit (0: none) */
    bool wrap;
    int log_h;      /* rows of the log pane at the last frame */
    /* the index of matching lines while filtering: idx[lo..n) */
    int64_t *idx;
    size_t idx_lo, idx_n, idx_cap;
    int64_t scanned; /* lines up to here are indexed and tracked */
    /* lines read back from the store: [older_first, +older_n) */
    json_t *older_json;
    log_entry *older;
    size_t older_n;
    int64_t older_first;
    uv_timer_t *tick;
    char status[160];
} run_view;

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

/* Case-insensitive search of needle (nlen bytes) in text from `from`:
 * the offset, or -1. */
static long find_nocase(const char *text, size_t len, size_t from, const char *needle,
                        size_t nlen)
{
    if (nlen == 0 || len < nlen)
        return -1;
    for (size_t i = from; i + nlen <= len; i++) {
        size_t k = 0;
        while (k < nlen && tolower((unsigned char)text[i + k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == nlen)
            return (long)i;
    }
    return -1;
}

static bool run_over(const run_model *m)
{
    return dapt_state_terminal(m->state) && m->state != DAPT_STATE_PENDING;
}

static int64_t now_or_end(const run_model *m, int64_t started, int64_t finished)
{
    if (started <= 0)
        return -1;
    if (finished > 0)
        return finished - started;
    return run_over(m) ? -1 : clock_now_us() - started;
}

static tui_glyph state_glyph(dapt_state s)
{
    switch (s) {
    case DAPT_STATE_PENDING:
        return GLYPH_PENDING;
    case DAPT_STATE_RUNNING:
        return GLYPH_RUNNING;
    case DAPT_STATE_FINISHED:
        return GLYPH_OK;
    case DAPT_STATE_SKIPPED:
        return GLYPH_SKIPPED;
    default:
        return GLYPH_FAIL;
    }
}

static const char *run_state_text(const run_model *m)
{
    if (m->cancelling && !run_over(m))
        return "cancelling";
    return dapt_state_name(m->state);
}

/* ------------------------------------------------------------------ */
/* Items of parameterized stages, from the log                         */
/* ------------------------------------------------------------------ */

static void item_grow(item_track *t, size_t n)
{
    if (n <= t->n)
        return;
    size_t cap = t->n ? t->n : 16;
    while (cap < n)
        cap *= 2;
    t->state = xrealloc(t->state, cap, sizeof *t->state);
    t->lines = xrealloc(t->lines, cap, sizeof *t->lines);
    memset(t->state + t->n, 0, (cap - t->n) * sizeof *t->state);
    memset(t->lines + t->n, 0, (cap - t->n) * sizeof *t->lines);
    t->n = cap;
}

static void track_item(run_view *v, const log_entry *e)
{
    if (e->stage < 0 || (size_t)e->stage >= v->m->nstages || e->item < 0 ||
        !v->m->stages[e->stage].parameterized || e->item > 10000000)
        return;
    item_track *t = &v->items[e->stage];
    item_grow(t, (size_t)e->item + 1);
    t->lines[e->item]++;
    if (e->stream == DAPT_STREAM_ENGINE && e->level == DAPT_LOG_ERROR)
        t->state[e->item] = ITEM_FAILED;
    else if (t->state[e->item] == ITEM_PENDING)
        t->state[e->item] = ITEM_STARTED;
}

/* The number of item rows of stage i (when expanded). */
static size_t item_count(const run_view *v, size_t i)
{
    const run_stage *s = &v->m->stages[i];
    if (!s->parameterized)
        return 0;
    size_t n = s->items.total;
    /* the tracked array is rounded up: count only items seen */
    const item_track *t = &v->items[i];
    for (size_t k = t->n; k > n; k--)
        if (t->lines[k - 1] > 0) {
            n = k;
            break;
        }
    return n;
}

static const char *item_state(const run_view *v, size_t i, size_t k, tui_slot *slot)
{
    const run_stage *s = &v->m->stages[i];
    const item_track *t = &v->items[i];
    int st = k < t->n ? t->state[k] : ITEM_PENDING;
    if (st == ITEM_FAILED) {
        *slot = SLOT_STATE_FAILED;
        return "failed";
    }
    if (dapt_state_terminal(s->state)) {
        if (s->items.failed == 0 || s->items.ok + s->items.failed >= s->items.total) {
            if (s->items.ok + s->items.failed >= s->items.total) {
                *slot = SLOT_STATE_FINISHED;
                return "ok";
            }
        }
        *slot = SLOT_STATE_SKIPPED;
        return st == ITEM_STARTED ? "stopped" : "not run";
    }
    if (st == ITEM_STARTED) {
        *slot = SLOT_STATE_RUNNING;
        return "started";
    }
    *slot = SLOT_STATE_PENDING;
    return "pending";
}

/* ------------------------------------------------------------------ */
/* Lines: the ring, the store, the filter                              */
/* ------------------------------------------------------------------ */

static bool filtering(const run_view *v)
{
    return v->one_stage >= 0 || v->level != LEVEL_ALL || (v->filter && *v->filter);
}

static bool line_matches(const run_view *v, const log_entry *e)
{
    if (v->one_stage >= 0 && e->stage != v->one_stage)
        return false;
    if (v->one_item >= 0 && e->item != v->one_item)
        return false;
    if (v->level == LEVEL_WARNING && e->level < DAPT_LOG_WARNING)
        return false;
    if (v->level == LEVEL_ERROR && e->level < DAPT_LOG_ERROR)
        return false;
    if (v->filter && *v->filter &&
        find_nocase(e->text, e->len, 0, v->filter, strlen(v->filter)) < 0)
        return false;
    return true;
}

static void idx_push(run_view *v, int64_t seq)
{
    if (v->idx_n == v->idx_cap) {
        if (v->idx_lo > v->idx_n / 2) {
            memmove(v->idx, v->idx + v->idx_lo, (v->idx_n - v->idx_lo) * sizeof *v->idx);
            v->idx_n -= v->idx_lo;
            v->idx_lo = 0;
        } else {
            v->idx_cap = v->idx_cap ? v->idx_cap * 2 : 1024;
            v->idx = xrealloc(v->idx, v->idx_cap, sizeof *v->idx);
        }
    }
    v->idx[v->idx_n++] = seq;
}

/* Forget indexed lines that left the ring. */
static void idx_prune(run_view *v)
{
    int64_t first = logring_first(v->m->log);
    while (v->idx_lo < v->idx_n && v->idx[v->idx_lo] < first)
        v->idx_lo++;
}

/* Look at the lines that arrived since the last call: O(new lines). */
static void catch_up(run_view *v)
{
    logring *r = v->m->log;
    int64_t from = v->scanned + 1, last = logring_last(r);
    if (from < logring_first(r))
        from = logring_first(r);
    bool filt = filtering(v);
    for (int64_t s = from; s <= last; s++) {
        const log_entry *e = logring_get(r, s);
        track_item(v, e);
        if (filt && line_matches(v, e))
            idx_push(v, s);
    }
    if (last > v->scanned)
        v->scanned = last;
    idx_prune(v);
}

/* The filter changed: index the ring again (O(ring), once). */
static void reindex(run_view *v)
{
    v->idx_lo = v->idx_n = 0;
    logring *r = v->m->log;
    if (filtering(v))
        for (int64_t s = logring_first(r); s <= v->scanned; s++) {
            const log_entry *e = logring_get(r, s);
            if (e && line_matches(v, e))
                idx_push(v, s);
        }
}

static bool has_store(const run_view *v)
{
    return v->m->app->store != NULL && v->m->id != NULL;
}

/* The first line that can be shown: 1 when the store has the older
 * ones (not while filtering: the index covers the ring only). */
static int64_t first_line(const run_view *v)
{
    if (filtering(v))
        return v->idx_lo < v->idx_n ? v->idx[v->idx_lo] : 0;
    int64_t first = logring_first(v->m->log);
    if (first > 1 && has_store(v))
        return 1;
    return first <= logring_last(v->m->log) ? first : 0;
}

static int64_t last_line(const run_view *v)
{
    if (filtering(v))
        return v->idx_lo < v->idx_n ? v->idx[v->idx_n - 1] : 0;
    return logring_last(v->m->log);
}

/* Position in the index of the largest line <= seq (idx_lo - 1: none). */
static size_t idx_floor(const run_view *v, int64_t seq)
{
    size_t lo = v->idx_lo, hi = v->idx_n; /* answer in [lo-1, hi) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->idx[mid] <= seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1; /* wraps below idx_lo when none: callers compare */
}

/* The shown line before `seq` (0: none). */
static int64_t prev_line(const run_view *v, int64_t seq)
{
    if (seq == SEQ_END)
        return last_line(v);
    if (filtering(v)) {
        if (seq <= 0 || v->idx_lo >= v->idx_n)
            return 0;
        size_t p = idx_floor(v, seq - 1);
        return p + 1 > v->idx_lo && p < v->idx_n ? v->idx[p] : 0;
    }
    int64_t first = first_line(v);
    return seq - 1 >= first && first > 0 ? seq - 1 : 0;
}

static bool show_end(const run_view *v)
{
    return run_over(v->m);
}

/* The shown line after `seq` (0: none; SEQ_END: the end marker). */
static int64_t next_line(const run_view *v, int64_t seq)
{
    int64_t last = last_line(v);
    if (seq == SEQ_END)
        return 0;
    if (seq >= last)
        return show_end(v) ? SEQ_END : 0;
    if (filtering(v)) {
        size_t p = idx_floor(v, seq);
        if (p + 1 < v->idx_lo || p + 1 >= v->idx_n) /* below the index: its first */
            return p + 1 < v->idx_lo ? v->idx[v->idx_lo] : 0;
        return v->idx[p + 1];
    }
    int64_t first = first_line(v);
    return seq + 1 < first ? first : seq + 1;
}

/* The lowest bottom line that keeps the pane full (SEQ_END: everything
 * fits). */
static int64_t min_anchor(const run_view *v)
{
    int64_t s = first_line(v);
    if (s == 0)
        return show_end(v) ? SEQ_END : 0;
    for (int i = 1; i < v->log_h; i++) {
        int64_t n = next_line(v, s);
        if (n == 0)
            break;
        s = n;
        if (s == SEQ_END)
            break;
    }
    return s;
}

/* The bottom line of the pane, as anchored (before the pane-full rule). */
static int64_t anchored_line(const run_view *v)
{
    if (v->anchor == SEQ_END)
        return show_end(v) ? SEQ_END : last_line(v);
    if (filtering(v)) {
        if (v->idx_lo >= v->idx_n)
            return show_end(v) ? SEQ_END : 0;
        size_t p = idx_floor(v, v->anchor);
        return p + 1 > v->idx_lo && p < v->idx_n ? v->idx[p] : v->idx[v->idx_lo];
    }
    int64_t first = first_line(v);
    return v->anchor < first ? first : v->anchor;
}

/* The bottom line of the pane. */
static int64_t bottom_line(const run_view *v)
{
    if (v->follow)
        return show_end(v) ? SEQ_END : last_line(v);
    int64_t b = anchored_line(v), floor = min_anchor(v);
    /* paused above the first screenful: the pane still shows a full one */
    return b < floor ? floor : b;
}

static void free_older(run_view *v)
{
    json_decref(v->older_json);
    free(v->older);
    v->older_json = NULL;
    v->older = NULL;
    v->older_n = 0;
    v->older_first = 0;
}

/* Read the window of older lines around seq from the store. */
static void fetch_older(run_view *v, int64_t seq)
{
    free_older(v);
    int64_t from = seq > OLDER_BEFORE ? seq - OLDER_BEFORE : 1;
    json_t *lines;
    if (run_model_older(v->m, from, OLDER_WINDOW, &lines) < 0)
        return;
    size_t n = json_array_size(lines);
    v->older = xcalloc(n ? n : 1, sizeof *v->older);
    v->older_json = lines;
    /* contiguous from the first line returned */
    for (size_t i = 0; i < n; i++) {
        run_model_entry(v->m, json_array_get(lines, i), &v->older[v->older_n]);
        if (i > 0 && v->older[v->older_n].seq != v->older[v->older_n - 1].seq + 1)
            break;
        v->older_n++;
    }
    v->older_first = v->older_n ? v->older[0].seq : 0;
}

/* Line `seq` from the ring or the store (NULL when neither has it). */
static const log_entry *line_at(run_view *v, int64_t seq)
{
    const log_entry *e = logring_get(v->m->log, seq);
    if (e || seq < 1 || !has_store(v))
        return e;
    if (v->older_n == 0 || seq < v->older_first || seq >= v->older_first + (int64_t)v->older_n)
        fetch_older(v, seq);
    if (v->older_n && seq >= v->older_first && seq < v->older_first + (int64_t)v->older_n)
        return &v->older[seq - v->older_first];
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Drawing the log                                                     */
/* ------------------------------------------------------------------ */

static int prefix_width(const run_view *v)
{
    size_t w = 4; /* "dapt" */
    for (size_t i = 0; i < v->m->nstages; i++) {
        size_t n = strlen(v->m->stages[i].name) + (v->m->stages[i].parameterized ? 4 : 0);
        if (n > w)
            w = n;
    }
    return w > PREFIX_MAX ? PREFIX_MAX : (int)w;
}

static tui_slot text_slot(const log_entry *e)
{
    if (e->level >= DAPT_LOG_ERROR)
        return SLOT_LOG_ERROR;
    if (e->level == DAPT_LOG_WARNING)
        return SLOT_LOG_WARNING;
    if (e->stream == DAPT_STREAM_ENGINE)
        return SLOT_LOG_ENGINE;
    if (e->stream == DAPT_STREAM_STDERR)
        return SLOT_LOG_STDERR;
    return SLOT_NORMAL;
}

/* Columns of text left of the line's text. */
static int text_x(const run_view *v)
{
    return v->one_stage >= 0 ? 0 : prefix_width(v) + 3;
}

/* Rows a line takes in a pane `w` wide. */
static int line_rows(const run_view *v, const log_entry *e, int w)
{
    if (!v->wrap || e == NULL)
        return 1;
    int avail = w - text_x(v);
    if (avail < 8)
        return 1;
    int cols = draw_width(e->text, e->len) + (e->clamped ? 1 : 0);
    return cols <= avail ? 1 : (cols + avail - 1) / avail;
}

static void draw_prefix(const run_view *v, const log_entry *e, int y, int x)
{
    int pw = prefix_width(v);
    char buf[64];
    tui_slot slot;
    if (e->stage < 0 || (size_t)e->stage >= v->m->nstages) {
        snprintf(buf, sizeof buf, "dapt");
        slot = SLOT_LOG_ENGINE;
    } else {
        const char *name = v->m->stages[e->stage].name;
        if (e->item >= 0)
            snprintf(buf, sizeof buf, "%s#%ld", name, e->item);
        else
            snprintf(buf, sizeof buf, "%s", name);
        slot = (tui_slot)(SLOT_PREFIX_0 + e->stage % SLOT_PREFIX_COUNT);
    }
    draw_clamped(y, x, pw, slot, buf, strlen(buf));
    draw_str(y, x + pw + 1, 1, SLOT_BORDER, draw_glyph(GLYPH_VLINE));
}

/* The search hits of a line, as marked byte offsets (caller frees). */
static size_t *search_marks(const run_view *v, const log_entry *e, size_t *n)
{
    *n = 0;
    if (v->search == NULL || *v->search == '\0')
        return NULL;
    size_t nlen = strlen(v->search), cap = 0;
    size_t *marks = NULL;
    long at = 0;
    while ((at = find_nocase(e->text, e->len, (size_t)at, v->search, nlen)) >= 0) {
        if (*n + nlen > cap) {
            cap = (*n + nlen) * 2;
            marks = xrealloc(marks, cap, sizeof *marks);
        }
        for (size_t k = 0; k < nlen; k++)
            marks[(*n)++] = (size_t)at + k;
        at += (long)nlen;
    }
    return marks;
}

/* Text [off, off+len) of the line with the hits that fall in it. */
static int draw_segment(int y, int x, int w, tui_slot slot, const log_entry *e, size_t off,
                        size_t len, const size_t *marks, size_t nmarks)
{
    size_t first = 0;
    while (first < nmarks && marks[first] < off)
        first++;
    size_t n = 0;
    while (first + n < nmarks && marks[first + n] < off + len)
        n++;
    size_t local[64] = {0};
    size_t *rel = n <= 64 ? local : xcalloc(n, sizeof *rel);
    for (size_t i = 0; i < n; i++)
        rel[i] = marks[first + i] - off;
    int used = draw_marked(y, x, w, slot, e->text + off, len, rel, n);
    if (rel != local)
        free(rel);
    return used;
}

/* Draw a line's rows from row `skip` of it, at most `rows` rows from y. */
static void draw_line(run_view *v, const log_entry *e, int y, int x, int w, int skip, int rows)
{
    int tx = text_x(v), avail = w - tx;
    if (avail < 1)
        return;
    tui_slot slot = text_slot(e);
    size_t nmarks;
    size_t *marks = search_marks(v, e, &nmarks);
    if (!v->wrap || avail < 8) {
        if (v->one_stage < 0)
            draw_prefix(v, e, y, x);
        int textw = draw_width(e->text, e->len);
        bool cut = textw > avail || e->clamped;
        int used = draw_segment(y, x + tx, cut ? avail - 1 : avail, slot, e, 0, e->len, marks,
                                nmarks);
        if (cut)
            draw_str(y, x + tx + used, 1, SLOT_LOG_MARKER, draw_glyph(GLYPH_ELLIPSIS));
        free(marks);
        return;
    }
    size_t off = 0;
    for (int row = 0; row < skip + rows; row++) {
        size_t n = draw_fit(e->text + off, e->len - off, avail);
        if (n == 0 && off < e->len)
            n = 1;
        if (row >= skip) {
            int yy = y + row - skip;
            if (row == 0 && v->one_stage < 0)
                draw_prefix(v, e, yy, x);
            int used = draw_segment(yy, x + tx, avail, slot, e, off, n, marks, nmarks);
            if (off + n >= e->len && e->clamped && used < avail)
                draw_str(yy, x + tx + used, 1, SLOT_LOG_MARKER, draw_glyph(GLYPH_ELLIPSIS));
        }
        off += n;
        if (off >= e->len)
            break;
    }
    free(marks);
}

/* "── run finished in 1.2s ──" */
static void draw_end(run_view *v, int y, int x, int w)
{
    run_model *m = v->m;
    char took[32], text[512];
    draw_duration(m->finished_us > 0 && m->started_us > 0 ? m->finished_us - m->started_us : -1,
                  took, sizeof took);
    switch (m->state) {
    case DAPT_STATE_FINISHED:
        snprintf(text, sizeof text, " run finished in %s ", took);
        break;
    case DAPT_STATE_CANCELLED:
        snprintf(text, sizeof text, " run cancelled after %s ", took);
        break;
    default:
        snprintf(text, sizeof text, " run %s after %s%s%.*s ", dapt_state_name(m->state), took,
                 m->error ? ": " : "", m->error ? (int)strcspn(m->error, "\n") : 0,
                 m->error ? m->error : "");
        break;
    }
    tui_slot slot = m->state == DAPT_STATE_FINISHED ? SLOT_LOG_MARKER : theme_state_slot(m->state);
    const char *h = draw_glyph(GLYPH_HLINE);
    int used = 0;
    used += draw_str(y, x, w, SLOT_LOG_MARKER, h);
    used += draw_str(y, x + used, w - used, SLOT_LOG_MARKER, h);
    used += draw_clamped(y, x + used, w - used, slot, text, strlen(text));
    for (int i = 0; i < 2 && used < w; i++)
        used += draw_str(y, x + used, w - used, SLOT_LOG_MARKER, h);
}

typedef struct shown {
    int64_t seq;
    int rows;
} shown;

static void draw_log(run_view *v, tui_rect r)
{
    v->log_h = r.h;
    if (r.h <= 0)
        return;
    shown local[128];
    shown *lines = r.h <= 128 ? local : xcalloc((size_t)r.h, sizeof *lines);
    int n = 0, total = 0;
    for (int64_t s = bottom_line(v); s > 0 && total < r.h; s = prev_line(v, s)) {
        int rows = s == SEQ_END ? 1 : line_rows(v, line_at(v, s), r.w);
        lines[n++] = (shown){s, rows};
        total += rows;
    }
    if (n == 0) {
        const char *empty = filtering(v) ? "no line matches" : "no log lines yet";
        if (v->m->live || logring_last(v->m->log) == 0 || filtering(v))
            draw_str(r.y, r.x, r.w, SLOT_DIM, empty);
    }
    int y = r.y, skip = total > r.h ? total - r.h : 0;
    for (int i = n - 1; i >= 0; i--) {
        int rows = lines[i].rows - skip;
        if (lines[i].seq == SEQ_END) {
            draw_end(v, y, r.x, r.w);
        } else {
            const log_entry *e = line_at(v, lines[i].seq);
            if (e)
                draw_line(v, e, y, r.x, r.w, skip, rows);
            else
                draw_str(y, r.x, r.w, SLOT_DIM, draw_glyph(GLYPH_ELLIPSIS));
        }
        y += rows;
        skip = 0;
    }
    if (lines != local)
        free(lines);
}

/* ------------------------------------------------------------------ */
/* Drawing the stages                                                  */
/* ------------------------------------------------------------------ */

static size_t row_count(const run_view *v)
{
    size_t n = v->m->nstages;
    for (size_t i = 0; i < v->m->nstages; i++)
        if (v->expanded[i])
            n += item_count(v, i);
    return n;
}

/* The stage of a row and the item (-1: the stage's own row). */
static size_t row_at(const run_view *v, size_t row, long *item)
{
    for (size_t i = 0; i < v->m->nstages; i++) {
        if (row == 0) {
            *item = -1;
            return i;
        }
        row--;
        size_t k = v->expanded[i] ? item_count(v, i) : 0;
        if (row < k) {
            *item = (long)row;
            return i;
        }
        row -= k;
    }
    *item = -1;
    return v->m->nstages;
}

static int name_width(const run_view *v)
{
    size_t w = 5;
    for (size_t i = 0; i < v->m->nstages; i++) {
        size_t n = strlen(v->m->stages[i].name) + 2;
        if (n > w)
            w = n;
    }
    return w > 28 ? 28 : (int)w;
}

/* "12/40 ok, 1 failed" and a bar. */
static void draw_items(const run_stage *s, int y, int x, int w)
{
    if (s->items.total == 0) {
        draw_str(y, x, w, SLOT_DIM, "-");
        return;
    }
    char text[96];
    int n = snprintf(text, sizeof text, "%zu/%zu ok", s->items.ok, s->items.total);
    if (s->items.failed)
        n += snprintf(text + n, sizeof text - (size_t)n, ", %zu failed", s->items.failed);
    if (s->items.running && !dapt_state_terminal(s->state))
        snprintf(text + n, sizeof text - (size_t)n, ", %zu running", s->items.running);
    int used = draw_str(y, x, w, s->items.failed ? SLOT_WARNING : SLOT_NORMAL, text);
    used += 1;
    if (w - used < BAR_WIDTH)
        return;
    int ok = (int)(s->items.ok * BAR_WIDTH / s->items.total);
    int failed = (int)((s->items.ok + s->items.failed) * BAR_WIDTH / s->items.total) - ok;
    int cx = x + used;
    for (int i = 0; i < BAR_WIDTH; i++) {
        tui_slot slot = i < ok ? SLOT_OK : i < ok + failed ? SLOT_ERROR : SLOT_DIM;
        cx += draw_str(y, cx, 1, slot, draw_glyph(i < ok + failed ? GLYPH_BAR_FULL : GLYPH_BAR_EMPTY));
    }
}

static void draw_stage_row(run_view *v, size_t i, int y, int x, int w, bool selected)
{
    const run_stage *s = &v->m->stages[i];
    int nw = name_width(v);
    if (selected)
        draw_fill(y, x, w, v->focus == FOCUS_STAGES ? SLOT_SELECTED : SLOT_SELECTED_DIM);
    tui_slot st = theme_state_slot(s->state);
    draw_str(y, x + 1, 1, st, draw_glyph(state_glyph(s->state)));
    int cx = x + 3;
    char name[160];
    snprintf(name, sizeof name, "%s%s", s->name,
             s->parameterized ? (v->expanded[i] ? " -" : " +") : "");
    draw_clamped(y, cx, nw, selected ? (v->focus == FOCUS_STAGES ? SLOT_SELECTED : SLOT_SELECTED_DIM)
                                     : SLOT_NORMAL,
                 name, strlen(name));
    cx += nw + 1;
    draw_str(y, cx, 10, st, dapt_state_name(s->state));
    cx += 11;
    char took[32];
    draw_duration(now_or_end(v->m, s->started_us, s->finished_us), took, sizeof took);
    draw_str(y, cx, 8, SLOT_NORMAL, took);
    cx += 9;
    if (s->attempts > 0)
        draw_printf(y, cx, 3, s->attempts > 1 ? SLOT_WARNING : SLOT_NORMAL, "%d", s->attempts);
    else
        draw_str(y, cx, 3, SLOT_DIM, "-");
    cx += 4;
    int rest = x + w - cx;
    if (rest <= 0)
        return;
    if (s->parameterized) {
        draw_items(s, y, cx, rest > 40 ? 40 : rest);
        cx += 41;
    }
    if (s->error && x + w - cx > 4)
        draw_clamped(y, cx, x + w - cx, SLOT_ERROR, s->error, strcspn(s->error, "\n"));
}

static void draw_item_row(run_view *v, size_t i, size_t k, int y, int x, int w, bool selected)
{
    if (selected)
        draw_fill(y, x, w, v->focus == FOCUS_STAGES ? SLOT_SELECTED : SLOT_SELECTED_DIM);
    tui_slot slot;
    const char *state = item_state(v, i, k, &slot);
    const item_track *t = &v->items[i];
    uint32_t lines = k < t->n ? t->lines[k] : 0;
    int cx = x + 5;
    cx += draw_printf(y, cx, 12, SLOT_DIM, "#%zu", k);
    cx = x + 5 + name_width(v) - 2;
    draw_str(y, cx, 10, slot, state);
    cx += 20;
    if (lines)
        draw_printf(y, cx, x + w - cx, SLOT_DIM, "%u line%s", lines, lines == 1 ? "" : "s");
}

static void draw_info(run_view *v, int y, int x, int w)
{
    run_model *m = v->m;
    char buf[512], when[48], path[256];
    const char *file = m->file ? app_relpath(m->app, m->file, path, sizeof path) : "-";
    int used = draw_str(y, x, w, SLOT_TITLE, m->workflow);
    used += draw_printf(y, x + used, w - used, SLOT_DIM, "  %s", file);
    if (m->commit) {
        used += draw_printf(y, x + used, w - used, SLOT_DIM, "  @%s", m->commit);
        if (m->dirty)
            used += draw_str(y, x + used, w - used, SLOT_WARNING, draw_glyph(GLYPH_DIRTY));
    }
    snprintf(buf, sizeof buf, "  started %s", draw_when(m->started_us, when, sizeof when));
    draw_str(y, x + used, w - used, SLOT_DIM, buf);
}

static void draw_stages(run_view *v, tui_rect r)
{
    if (r.h <= 0)
        return;
    draw_info(v, r.y, r.x + 1, r.w - 1);
    if (r.h < 2)
        return;
    int nw = name_width(v);
    draw_printf(r.y + 1, r.x, r.w, SLOT_DIM, "   %-*s %-10s %-8s %-3s %s", nw, "STAGE", "STATE",
                "TIME", "TRY", "ITEMS");
    int h = r.h - 2;
    size_t rows = row_count(v);
    if (v->sel >= rows)
        v->sel = rows ? rows - 1 : 0;
    if (v->sel < v->top)
        v->top = v->sel;
    if (h > 0 && v->sel >= v->top + (size_t)h)
        v->top = v->sel - (size_t)h + 1;
    if (v->top + (size_t)h > rows)
        v->top = rows > (size_t)h ? rows - (size_t)h : 0;
    for (int i = 0; i < h && v->top + (size_t)i < rows; i++) {
        long item;
        size_t st = row_at(v, v->top + (size_t)i, &item);
        bool sel = v->top + (size_t)i == v->sel;
        if (item < 0)
            draw_stage_row(v, st, r.y + 2 + i, r.x, r.w, sel);
        else
            draw_item_row(v, st, (size_t)item, r.y + 2 + i, r.x, r.w, sel);
    }
}

/* The rule between the panes, saying what the log shows. */
static void draw_log_title(run_view *v, int y, int x, int w)
{
    for (int i = 0; i < w; i++)
        draw_str(y, x + i, 1, SLOT_BORDER, draw_glyph(GLYPH_HLINE));
    char buf[320];
    int n = snprintf(buf, sizeof buf, " log");
    if (v->one_stage >= 0 && (size_t)v->one_stage < v->m->nstages) {
        n += snprintf(buf + n, sizeof buf - (size_t)n, ": %s", v->m->stages[v->one_stage].name);
        if (v->one_item >= 0)
            n += snprintf(buf + n, sizeof buf - (size_t)n, "#%ld", v->one_item);
    } else {
        n += snprintf(buf + n, sizeof buf - (size_t)n, ": all stages");
    }
    if (v->level != LEVEL_ALL)
        n += snprintf(buf + n, sizeof buf - (size_t)n, " | level %s", level_label[v->level]);
    if (v->filter && *v->filter)
        n += snprintf(buf + n, sizeof buf - (size_t)n, " | /%s", v->filter);
    if (v->search && *v->search)
        n += snprintf(buf + n, sizeof buf - (size_t)n, " | ?%s", v->search);
    if (v->wrap)
        n += snprintf(buf + n, sizeof buf - (size_t)n, " | wrap");
    snprintf(buf + n, sizeof buf - (size_t)n, " ");
    draw_clamped(y, x + 2, w - 2, v->focus == FOCUS_LOG ? SLOT_TITLE : SLOT_DIM, buf, strlen(buf));
}

static void draw(tui_view *view, tui_rect r)
{
    run_view *v = (run_view *)view;
    catch_up(v);
    size_t rows = row_count(v);
    int want = (int)(rows > 1000 ? 1000 : rows) + 2;
    int cap = r.h * 2 / 5;
    if (cap < 4)
        cap = 4;
    int sh = want < cap ? want : cap;
    if (sh > r.h - 2)
        sh = r.h - 2 > 0 ? r.h - 2 : 0;
    draw_stages(v, (tui_rect){r.y, r.x, sh, r.w});
    if (r.h - sh < 1)
        return;
    draw_log_title(v, r.y + sh, r.x, r.w);
    draw_log(v, (tui_rect){r.y + sh + 1, r.x, r.h - sh - 1, r.w});
}

/* ------------------------------------------------------------------ */
/* Scrolling and search                                                */
/* ------------------------------------------------------------------ */

static void pause_here(run_view *v)
{
    if (v->follow) {
        v->anchor = bottom_line(v);
        v->follow = false;
    }
}

static void scroll_up(run_view *v, int lines)
{
    pause_here(v);
    int64_t s = bottom_line(v), floor = min_anchor(v);
    for (int i = 0; i < lines && s > floor; i++) {
        int64_t p = prev_line(v, s);
        if (p <= 0)
            break;
        s = p;
    }
    v->anchor = s;
}

static void scroll_down(run_view *v, int lines)
{
    if (v->follow)
        return;
    int64_t s = bottom_line(v);
    for (int i = 0; i < lines; i++) {
        int64_t n = next_line(v, s);
        if (n == 0)
            break;
        s = n;
    }
    v->anchor = s;
    /* at the newest line again: follow */
    if (s == SEQ_END || (s >= last_line(v) && !show_end(v)))
        v->follow = true;
}

static void go_top(run_view *v)
{
    v->follow = false;
    v->anchor = min_anchor(v);
}

/* Show line seq near the middle of the pane. */
static void show_line(run_view *v, int64_t seq)
{
    v->follow = false;
    v->anchor = seq;
    for (int i = 0; i < v->log_h / 2; i++) {
        int64_t n = next_line(v, v->anchor);
        if (n == 0 || n == SEQ_END)
            break;
        v->anchor = n;
    }
}

/* The next (dir 1) or previous (-1) line of the ring with a hit. */
static int64_t search_from(run_view *v, int64_t from, int dir)
{
    size_t nlen = strlen(v->search);
    int64_t first = logring_first(v->m->log), last = logring_last(v->m->log);
    if (from < first)
        from = dir > 0 ? first : 0;
    if (from > last)
        from = dir > 0 ? 0 : last;
    for (int64_t s = from; s >= first && s <= last && s > 0; s += dir) {
        const log_entry *e = logring_get(v->m->log, s);
        if ((!filtering(v) || line_matches(v, e)) &&
            find_nocase(e->text, e->len, 0, v->search, nlen) >= 0)
            return s;
    }
    return 0;
}

static void search_step(run_view *v, int dir)
{
    if (v->search == NULL || *v->search == '\0') {
        app_message(v->base.app, SLOT_MESSAGE, "no search: press ? to search the log");
        return;
    }
    int64_t from;
    if (v->match > 0)
        from = v->match + dir;
    else {
        int64_t b = bottom_line(v);
        from = b == SEQ_END ? logring_last(v->m->log) : b;
    }
    int64_t hit = search_from(v, from, dir);
    if (hit == 0) {
        app_message(v->base.app, SLOT_WARNING, "no %s match for \"%s\"%s",
                    dir > 0 ? "newer" : "older", v->search,
                    dir < 0 && logring_first(v->m->log) > 1
                        ? " in the lines kept in memory (dapt runs logs --grep for all)"
                        : "");
        return;
    }
    v->match = hit;
    show_line(v, hit);
}

static void search_done(tui_app *app, const char *text, void *data)
{
    (void)app;
    run_view *v = data;
    if (text == NULL)
        return;
    free(v->search);
    v->search = *text ? xstrdup(text) : NULL;
    v->match = 0;
    if (v->search)
        search_step(v, -1);
    app_invalidate(v->base.app);
}

/* ------------------------------------------------------------------ */
/* Actions                                                             */
/* ------------------------------------------------------------------ */

static void cancel_yes(tui_app *app, void *data)
{
    run_view *v = data;
    run_model_cancel(v->m);
    app_message(app, SLOT_MESSAGE, "run %s: asked to stop", v->m->id);
}

static void ask_cancel(run_view *v)
{
    run_model *m = v->m;
    if (!m->live || m->run == NULL || run_over(m)) {
        app_message(v->base.app, SLOT_MESSAGE, "run %s is %s: nothing to cancel", m->id,
                    dapt_state_name(m->state));
        return;
    }
    char q[256];
    snprintf(q, sizeof q, "Cancel run %s of %s?", m->id, m->workflow);
    app_confirm(v->base.app, q, cancel_yes, v);
}

/* The workflow file, resolved against the workspace when relative (a
 * stored run's file is as the run was given it). */
static char *workflow_path(run_view *v)
{
    const char *f = v->m->file;
    if (f == NULL || *f == '\0')
        return NULL;
    if (f[0] == '/' || access(f, F_OK) == 0)
        return xstrdup(f);
    return xasprintf("%s/%s", v->m->app->workspace, f);
}

static void rerun(run_view *v)
{
    char *path = workflow_path(v);
    if (path == NULL) {
        app_message(v->base.app, SLOT_ERROR, "run %s has no workflow file to run again",
                    v->m->id);
        return;
    }
    app_run_file(v->base.app, path, v->m->input);
    free(path);
}

static void edit(run_view *v)
{
    char *path = workflow_path(v);
    if (path == NULL) {
        app_message(v->base.app, SLOT_ERROR, "run %s has no workflow file", v->m->id);
        return;
    }
    app_edit(v->base.app, path);
    free(path);
}

static void set_filter(run_view *v)
{
    reindex(v);
    free_older(v);
    v->match = 0;
}

static void toggle_one_stage(run_view *v)
{
    long item;
    size_t st = row_at(v, v->sel, &item);
    if (v->one_stage >= 0 && (v->one_stage == (int)st || st >= v->m->nstages) &&
        v->one_item == item) {
        v->one_stage = -1;
        v->one_item = -1;
    } else if (st < v->m->nstages) {
        v->one_stage = (int)st;
        v->one_item = item;
    }
    set_filter(v);
}

static int stage_action(run_view *v, tui_action a)
{
    size_t rows = row_count(v);
    long item;
    size_t st = row_at(v, v->sel, &item);
    switch (a) {
    case ACTION_UP:
        if (v->sel > 0)
            v->sel--;
        return TUI_HANDLED;
    case ACTION_DOWN:
        if (v->sel + 1 < rows)
            v->sel++;
        return TUI_HANDLED;
    case ACTION_TOP:
        v->sel = 0;
        return TUI_HANDLED;
    case ACTION_BOTTOM:
        v->sel = rows ? rows - 1 : 0;
        return TUI_HANDLED;
    case ACTION_RIGHT:
    case ACTION_OPEN:
        if (st < v->m->nstages && item < 0 && v->m->stages[st].parameterized &&
            !v->expanded[st]) {
            v->expanded[st] = true;
            return TUI_HANDLED;
        }
        if (a == ACTION_OPEN && st < v->m->nstages) {
            /* the log of this stage (or item) */
            v->one_stage = (int)st;
            v->one_item = item;
            set_filter(v);
            v->focus = FOCUS_LOG;
        }
        return TUI_HANDLED;
    case ACTION_LEFT:
        if (st < v->m->nstages && v->expanded[st]) {
            v->expanded[st] = false;
            /* back on the stage's own row */
            size_t row = 0;
            for (size_t i = 0; i < st; i++)
                row += 1 + (v->expanded[i] ? item_count(v, i) : 0);
            v->sel = row;
        }
        return TUI_HANDLED;
    default:
        return TUI_IGNORED;
    }
}

static int log_action(run_view *v, tui_action a)
{
    switch (a) {
    case ACTION_UP:
        scroll_up(v, 1);
        return TUI_HANDLED;
    case ACTION_DOWN:
        scroll_down(v, 1);
        return TUI_HANDLED;
    case ACTION_TOP:
        go_top(v);
        return TUI_HANDLED;
    case ACTION_BOTTOM:
        v->follow = true;
        return TUI_HANDLED;
    default:
        return TUI_IGNORED;
    }
}

static int action(tui_view *view, tui_action a)
{
    run_view *v = (run_view *)view;
    catch_up(v);
    int page = v->log_h > 2 ? v->log_h - 1 : 1;
    switch (a) {
    case ACTION_RUN_FOCUS:
        v->focus = v->focus == FOCUS_STAGES ? FOCUS_LOG : FOCUS_STAGES;
        return TUI_HANDLED;
    case ACTION_PAGE_UP:
        scroll_up(v, page);
        return TUI_HANDLED;
    case ACTION_PAGE_DOWN:
        scroll_down(v, page);
        return TUI_HANDLED;
    case ACTION_RUN_FOLLOW:
        if (v->follow)
            pause_here(v);
        else
            v->follow = true;
        return TUI_HANDLED;
    case ACTION_RUN_ONE_STAGE:
        toggle_one_stage(v);
        return TUI_HANDLED;
    case ACTION_RUN_LEVEL:
        v->level = (v->level + 1) % LEVEL_COUNT;
        set_filter(v);
        return TUI_HANDLED;
    case ACTION_RUN_WRAP:
        v->wrap = !v->wrap;
        return TUI_HANDLED;
    case ACTION_RUN_SEARCH:
        app_prompt(v->base.app, "search log: ", v->search ? v->search : "", search_done, NULL, v);
        return TUI_HANDLED;
    case ACTION_RUN_SEARCH_NEXT:
        search_step(v, 1);
        return TUI_HANDLED;
    case ACTION_RUN_SEARCH_PREV:
        search_step(v, -1);
        return TUI_HANDLED;
    case ACTION_RUN_CANCEL:
        ask_cancel(v);
        return TUI_HANDLED;
    case ACTION_RUN_RERUN:
        rerun(v);
        return TUI_HANDLED;
    case ACTION_RUN_EDIT:
        edit(v);
        return TUI_HANDLED;
    case ACTION_RUN_DEFINITION:
    case ACTION_RUN_DIFF:
        if (v->m->id)
            vcs_show_definition(v->base.app, v->m->id, a == ACTION_RUN_DIFF);
        return TUI_HANDLED;
    default:
        break;
    }
    return v->focus == FOCUS_STAGES ? stage_action(v, a) : log_action(v, a);
}

static void text_filter(tui_view *view, const char *text)
{
    run_view *v = (run_view *)view;
    free(v->filter);
    v->filter = text && *text ? xstrdup(text) : NULL;
    catch_up(v);
    set_filter(v);
}

static const char *status(tui_view *view)
{
    run_view *v = (run_view *)view;
    run_model *m = v->m;
    char took[32];
    draw_duration(now_or_end(m, m->started_us, m->finished_us), took, sizeof took);
    int n = snprintf(v->status, sizeof v->status, "run %s  %s  %s  ", m->id ? m->id : "?",
                     run_state_text(m), took);
    if (v->follow) {
        snprintf(v->status + n, sizeof v->status - (size_t)n, "FOLLOW");
    } else {
        int64_t b = bottom_line(v), last = last_line(v);
        int64_t fresh = 0;
        if (b != SEQ_END && b < last) {
            if (filtering(v)) {
                size_t p = idx_floor(v, b);
                fresh = (int64_t)(v->idx_n - (p + 1 < v->idx_lo ? v->idx_lo : p + 1));
            } else {
                fresh = last - b;
            }
        }
        snprintf(v->status + n, sizeof v->status - (size_t)n, "PAUSED +%lld new",
                 (long long)fresh);
    }
    return v->status;
}

static const tui_action *hints(tui_view *view)
{
    (void)view;
    static const tui_action h[] = {ACTION_RUN_FOCUS,  ACTION_RUN_CANCEL, ACTION_RUN_RERUN,
                                   ACTION_RUN_FOLLOW, ACTION_RUN_ONE_STAGE, ACTION_RUN_SEARCH,
                                   ACTION_FILTER,     ACTION_RUN_LEVEL,  ACTION_RUN_WRAP,
                                   ACTION_RUN_EDIT,   ACTION_BACK,       ACTION_NONE};
    return h;
}

/* ------------------------------------------------------------------ */
/* The view                                                            */
/* ------------------------------------------------------------------ */

static void tick_closed(uv_handle_t *h)
{
    free(h);
}

/* Durations tick once a second while the run is on. */
static void tick_fired(uv_timer_t *t)
{
    run_view *v = t->data;
    if (run_over(v->m) || !v->m->live) {
        uv_timer_stop(t);
        return;
    }
    app_invalidate(v->base.app);
}

static void view_free(tui_view *view)
{
    run_view *v = (run_view *)view;
    if (v->tick) {
        uv_timer_stop(v->tick);
        uv_close((uv_handle_t *)v->tick, tick_closed);
    }
    for (size_t i = 0; i < v->m->nstages; i++) {
        free(v->items[i].state);
        free(v->items[i].lines);
    }
    free(v->items);
    free(v->expanded);
    free(v->idx);
    free_older(v);
    free(v->filter);
    free(v->search);
    run_model_unref(v->m);
    free(v->base.title);
    free(v);
}

static const tui_view_class view_class = {
    .name = "run",
    .draw = draw,
    .action = action,
    .filter = text_filter,
    .status = status,
    .hints = hints,
    .free = view_free,
};

tui_view *view_run_new(tui_app *app, run_model *model)
{
    run_view *v = xcalloc(1, sizeof *v);
    v->base.cls = &view_class;
    v->base.app = app;
    v->base.title = xasprintf("run %s", model->id ? model->id : "?");
    run_model_ref(model);
    v->m = model;
    v->follow = true;
    v->one_stage = -1;
    v->one_item = -1;
    v->focus = FOCUS_LOG;
    size_t n = model->nstages ? model->nstages : 1;
    v->expanded = xcalloc(n, sizeof *v->expanded);
    v->items = xcalloc(n, sizeof *v->items);
    v->scanned = logring_first(model->log) - 1;
    v->log_h = 10;
    if (model->live && !run_over(model)) {
        v->tick = xcalloc(1, sizeof *v->tick);
        uv_timer_init(app->loop, v->tick);
        v->tick->data = v;
        uv_timer_start(v->tick, tick_fired, 1000, 1000);
    }
    return &v->base;
}
