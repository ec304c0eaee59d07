/*
 * view-editor.c - the workflow editor: modeless, as nano or micro.
 *
 * Typing inserts (":" is a character here); Esc leaves for the navigation
 * keys (NAV), where the global keys work (`:` commands, q, 1-4, ?) and any
 * other text key, Enter or `i` comes back to typing (INSERT).  Keys reach
 * key() first: the text keys, the cursor keys and the popups are handled
 * there; the rest goes through the keymap ("editor" scope, ACTION_ED_*).
 *
 * The text lives in a textbuf (undo, search, cut buffer); syntax.c colours
 * it one line at a time from a state carried down the lines.  Validation
 * runs on a debounced timer (the engine's loader and the registry's
 * checks), giving gutter marks, the message of the cursor's line, the
 * problems list and the DAG pane.  While edits are unsaved a copy is kept
 * in WORKSPACE/.dapt/recover/ (at most once a second), offered back when
 * the file is opened again after a crash.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tui.h"

#define CHECK_DELAY_MS 150
#define RECOVER_DELAY_MS 1000
#define POPUP_ROWS 10
#define RECOVER_HEADER "# dapt recover: "

typedef struct dag_node {
    char *name;
    char *deps;   /* "a, b" */
    size_t level; /* SIZE_MAX: on or behind a cycle */
    bool error;
} dag_node;

typedef struct editor {
    tui_view base;
    char *path; /* absolute */
    char *rel;  /* for display */
    textbuf *tb;
    bool nav;           /* Esc: keys go to the keymap */
    bool is_new;        /* the file does not exist yet */
    size_t top;         /* first line shown */
    int left;           /* first display column shown */
    int page;           /* text rows at the last draw */
    unsigned long seen; /* textbuf_version handled */

    /* syntax: the state before each line */
    syntax_state *states;
    size_t nstates;
    unsigned long syn_version;
    unsigned char *slots;
    size_t slots_cap;

    /* validation */
    uv_timer_t *check_timer;
    unsigned long checked; /* version validated (+1; 0: never) */
    dapt_diags diags;
    dag_node *dag;
    size_t ndag;
    bool show_dag;

    /* problems list */
    bool show_problems;
    size_t prob_sel, prob_top;

    /* completion popup */
    bool popup;
    complete_result comp;
    size_t comp_sel, comp_top;

    /* search */
    char *search;
    bool searching; /* the `/` filter is live */
    tb_pos search_origin;

    /* recovery */
    char *recover_path;
    uv_timer_t *recover_timer;
    unsigned long recovered; /* version written (+1) */
    bool recover_asked;      /* a "Recover?" question is open */
    bool discarded;

    tui_key last_key;
    bool cut_chain, prev_cut; /* C-k after C-k appends */

    bool vi;           /* settings editor.vi: NAV is vi's normal mode */
    tui_key vi_prefix; /* the first key of gg, dd, yy */
} editor;

static const tui_view_class editor_class;
static void changed(editor *ed);

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    strbuf sb = {0};
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_add(&sb, buf, n);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        strbuf_free(&sb);
        return NULL;
    }
    if (!sb.buf)
        strbuf_puts(&sb, "");
    *len = sb.len;
    return strbuf_detach(&sb);
}

static size_t utf8_encode(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Byte offset of the 1-based character column `col` in a line. */
static size_t char_offset(const char *s, size_t len, int col)
{
    size_t i = 0;
    for (int c = 1; c < col && i < len; c++) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
    }
    return i;
}

static size_t char_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n;
}

static editor *as_editor(tui_view *v)
{
    return v && v->cls == &editor_class ? (editor *)v : NULL;
}

static void close_cb(uv_handle_t *h)
{
    free(h);
}

static uv_timer_t *timer_new(editor *ed)
{
    uv_timer_t *t = xmalloc(sizeof *t);
    uv_timer_init(ed->base.app->loop, t);
    t->data = ed;
    return t;
}

static void timer_free(uv_timer_t *t)
{
    if (!t)
        return;
    uv_timer_stop(t);
    t->data = NULL;
    uv_close((uv_handle_t *)t, close_cb);
}

/* ------------------------------------------------------------------ */
/* Validation and the DAG                                              */
/* ------------------------------------------------------------------ */

static void dag_clear(editor *ed)
{
    for (size_t i = 0; i < ed->ndag; i++) {
        free(ed->dag[i].name);
        free(ed->dag[i].deps);
    }
    free(ed->dag);
    ed->dag = NULL;
    ed->ndag = 0;
}

/* Whether an error sits between a stage's start and the next stage's. */
static bool stage_has_error(const editor *ed, const dapt_workflow *wf, size_t i)
{
    int from = wf->stages[i].pos.line;
    int to = i + 1 < wf->stage_count ? wf->stages[i + 1].pos.line : 1 << 30;
    for (size_t k = 0; k < ed->diags.count; k++) {
        const dapt_diag *d = &ed->diags.items[k];
        if (d->severity == DAPT_SEV_ERROR && d->pos.line >= from && d->pos.line < to)
            return true;
    }
    return false;
}

static void dag_build(editor *ed, const dapt_workflow *wf)
{
    dag_clear(ed);
    dapt_graph *g = dapt_graph_new(wf);
    size_t n = dapt_graph_count(g);
    size_t *level = xcalloc(n ? n : 1, sizeof *level);
    dapt_graph_levels(g, level);
    ed->dag = xcalloc(n ? n : 1, sizeof *ed->dag);
    ed->ndag = n;
    for (size_t i = 0; i < n; i++) {
        dag_node *d = &ed->dag[i];
        d->name = xstrdup(dapt_graph_name(g, i));
        d->level = level[i];
        size_t nd;
        const size_t *deps = dapt_graph_deps(g, i, &nd);
        strbuf sb = {0};
        for (size_t k = 0; k < nd; k++)
            strbuf_printf(&sb, "%s%s", k ? ", " : "", dapt_graph_name(g, deps[k]));
        d->deps = sb.buf ? strbuf_detach(&sb) : xstrdup("");
        /* Node i is wf->stages[i] (the later of two same names wins, but
         * the node keeps its index). */
        d->error = i < wf->stage_count && stage_has_error(ed, wf, i);
    }
    free(level);
    dapt_graph_free(g);
}

static void validate(editor *ed)
{
    size_t len;
    char *text = textbuf_text(ed->tb, &len);
    dapt_diags_free(&ed->diags);
    dapt_diags_init(&ed->diags);
    dapt_bundle *bundle = NULL;
    dapt_load_buffer(&bundle, ed->path, text, len, &ed->diags);
    const dapt_workflow *wf = bundle ? dapt_bundle_workflow(bundle) : NULL;
    if (wf && ed->base.app->registry)
        dapt_registry_check_workflow(ed->base.app->registry, wf, ed->path, &ed->diags);
    dapt_diags_sort(&ed->diags);
    /* The DAG of the last load that gave a workflow. */
    if (wf)
        dag_build(ed, wf);
    dapt_bundle_free(bundle);
    free(text);
    ed->checked = textbuf_version(ed->tb) + 1;
}

static void check_due(uv_timer_t *t)
{
    editor *ed = t->data;
    if (!ed)
        return;
    validate(ed);
    app_invalidate(ed->base.app);
}

static size_t count_sev(const editor *ed, dapt_severity sev)
{
    return dapt_diags_count(&ed->diags, sev);
}

/* The most severe diagnostic of a line (from 0), or NULL; notes are not
 * marked. */
static const dapt_diag *line_diag(const editor *ed, size_t ln)
{
    const dapt_diag *best = NULL;
    for (size_t i = 0; i < ed->diags.count; i++) {
        const dapt_diag *d = &ed->diags.items[i];
        if (d->severity == DAPT_SEV_NOTE || d->pos.line != (int)ln + 1)
            continue;
        if (!best || d->severity < best->severity)
            best = d;
    }
    return best;
}

/* ------------------------------------------------------------------ */
/* Recovery                                                            */
/* ------------------------------------------------------------------ */

/* WORKSPACE/.dapt/recover/NAME: the path relative to the workspace with
 * '/' written %2F (and '%' %25), so every file has its own. */
static char *recover_path_of(tui_app *app, const char *path)
{
    char buf[4096];
    const char *rel = app_relpath(app, path, buf, sizeof buf);
    strbuf sb = {0};
    strbuf_printf(&sb, "%s/.dapt/recover/", app->workspace);
    for (const char *p = rel; *p; p++) {
        if (*p == '/')
            strbuf_puts(&sb, "%2F");
        else if (*p == '%')
            strbuf_puts(&sb, "%25");
        else
            strbuf_putc(&sb, *p);
    }
    return strbuf_detach(&sb);
}

static void recover_write(editor *ed)
{
    if (ed->discarded || !textbuf_modified(ed->tb) || ed->recovered == textbuf_version(ed->tb) + 1)
        return;
    char *dir = xasprintf("%s/.dapt/recover", ed->base.app->workspace);
    int r = fs_mkdir_p(dir, 0700);
    free(dir);
    size_t len;
    char *text = textbuf_text(ed->tb, &len);
    strbuf sb = {0};
    strbuf_printf(&sb, RECOVER_HEADER "%s\n", ed->path);
    strbuf_add(&sb, text, len);
    free(text);
    if (r == 0 && fs_write_atomic(ed->recover_path, sb.buf, sb.len, 0600, true) == 0)
        ed->recovered = textbuf_version(ed->tb) + 1;
    else
        app_debug(ed->base.app, "recover %s: %s", ed->recover_path, strerror(errno));
    strbuf_free(&sb);
}

static void recover_remove(editor *ed)
{
    if (unlink(ed->recover_path) != 0 && errno != ENOENT)
        app_debug(ed->base.app, "recover %s: %s", ed->recover_path, strerror(errno));
    ed->recovered = 0;
}

static void recover_due(uv_timer_t *t)
{
    editor *ed = t->data;
    if (ed)
        recover_write(ed);
}

/* The text of a recovery copy of our file (after its header), or NULL. */
static char *recover_read(editor *ed, size_t *len)
{
    size_t n;
    char *all = read_all(ed->recover_path, &n);
    if (!all)
        return NULL;
    char *want = xasprintf(RECOVER_HEADER "%s\n", ed->path);
    size_t wl = strlen(want);
    char *text = NULL;
    if (n >= wl && memcmp(all, want, wl) == 0) {
        *len = n - wl;
        text = xstrndup(all + wl, *len);
    }
    free(want);
    free(all);
    return text;
}

static void recover_yes(tui_app *app, void *data)
{
    (void)app;
    editor *ed = data;
    ed->recover_asked = false;
    size_t len;
    char *text = recover_read(ed, &len);
    if (!text)
        return;
    /* One undo step back to the file as it is on disk. */
    textbuf_set_text(ed->tb, text, len);
    free(text);
    changed(ed);
    app_invalidate(app);
    app_message(app, SLOT_OK, "recovered unsaved changes to %s", ed->rel);
}

/* Declined: the file stays as it is and the copy goes. */
static void recover_no(tui_app *app, void *data)
{
    editor *ed = data;
    ed->recover_asked = false;
    recover_remove(ed);
    app_message(app, SLOT_MESSAGE, "kept %s as saved; the recovery copy is deleted", ed->rel);
}

/* A copy differing from the file: ask.  The same text: it is stale. */
static void recover_offer(editor *ed, const char *file_text, size_t file_len)
{
    size_t len;
    char *text = recover_read(ed, &len);
    if (!text)
        return;
    bool same = len == file_len && memcmp(text, file_text, len) == 0;
    free(text);
    if (same) {
        recover_remove(ed);
        return;
    }
    struct stat st;
    char when[64] = "?";
    if (stat(ed->recover_path, &st) == 0)
        draw_when((int64_t)st.st_mtime * 1000000, when, sizeof when);
    char *q = xasprintf("Recover unsaved changes to %s from %s?", ed->rel, when);
    ed->recover_asked = true;
    app_confirm_ex(ed->base.app, q, recover_yes, recover_no, ed);
    free(q);
}

/* ------------------------------------------------------------------ */
/* Changes                                                             */
/* ------------------------------------------------------------------ */

static void popup_close(editor *ed)
{
    if (!ed->popup)
        return;
    complete_result_free(&ed->comp);
    memset(&ed->comp, 0, sizeof ed->comp);
    ed->popup = false;
}

/* The completions at the cursor (the popup's content). */
static void popup_compute(editor *ed)
{
    tui_app *app = ed->base.app;
    if (!app->catalog)
        app->catalog = complete_catalog_new(app->registry);
    complete_result_free(&ed->comp);
    memset(&ed->comp, 0, sizeof ed->comp);
    size_t len;
    char *text = textbuf_text(ed->tb, &len);
    tb_pos c = textbuf_cursor(ed->tb);
    complete_at(&ed->comp, app->catalog, text, len, c.line, c.col, 50);
    free(text);
    ed->comp_sel = ed->comp_top = 0;
}

/* After a key or action: what follows a change of the text. */
static void changed(editor *ed)
{
    unsigned long v = textbuf_version(ed->tb);
    if (v == ed->seen)
        return;
    ed->seen = v;
    uv_timer_start(ed->check_timer, check_due, CHECK_DELAY_MS, 0);
    if (textbuf_modified(ed->tb)) {
        if (!uv_is_active((uv_handle_t *)ed->recover_timer))
            uv_timer_start(ed->recover_timer, recover_due, RECOVER_DELAY_MS, 0);
    } else if (ed->recovered) {
        /* Undone back to the saved text: nothing to recover. */
        recover_remove(ed);
    }
    if (ed->popup) {
        popup_compute(ed);
        if (ed->comp.count == 0)
            popup_close(ed);
    }
}

/* ------------------------------------------------------------------ */
/* Save and run                                                        */
/* ------------------------------------------------------------------ */

static int save(editor *ed)
{
    tui_app *app = ed->base.app;
    size_t len;
    char *text = textbuf_text(ed->tb, &len);
    struct stat st;
    mode_t mode = 0644;
    if (stat(ed->path, &st) == 0)
        mode = st.st_mode & 07777;
    char *dir = xstrdup(ed->path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        fs_mkdir_p(dir, 0755);
    }
    free(dir);
    int r = fs_write_atomic(ed->path, text, len, mode, true);
    int err = errno;
    free(text);
    if (r != 0) {
        app_message(app, SLOT_ERROR, "cannot save %s: %s", ed->rel, strerror(err));
        return -1;
    }
    textbuf_mark_saved(ed->tb);
    ed->is_new = false;
    uv_timer_stop(ed->recover_timer);
    recover_remove(ed);
    if (ed->checked != textbuf_version(ed->tb) + 1)
        validate(ed);
    size_t lines = textbuf_count(ed->tb);
    size_t errors = count_sev(ed, DAPT_SEV_ERROR);
    if (errors)
        app_message(app, SLOT_WARNING, "saved %s (%zu line%s), %zu error%s", ed->rel, lines,
                    lines == 1 ? "" : "s", errors, errors == 1 ? "" : "s");
    else
        app_message(app, SLOT_OK, "saved %s (%zu line%s)", ed->rel, lines, lines == 1 ? "" : "s");
    app_notify(app, TUI_NOTIFY_FILES);
    app_refresh_git(app);
    return 0;
}

int view_editor_save(tui_view *v)
{
    editor *ed = as_editor(v);
    if (!ed)
        return -1;
    return save(ed);
}

int view_editor_run(tui_view *v, json_t *input)
{
    editor *ed = as_editor(v);
    if (!ed || save(ed) != 0)
        return -1;
    return app_run_file(ed->base.app, ed->path, input);
}

/* ------------------------------------------------------------------ */
/* Editing                                                             */
/* ------------------------------------------------------------------ */

static size_t indent_len(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && s[i] == ' ')
        i++;
    return i;
}

/* Enter: keep the indentation; one level more after "key:", and items
 * of "- key: x" continue under the key. */
static void newline(editor *ed)
{
    tb_pos c = textbuf_cursor(ed->tb);
    size_t len;
    const char *s = textbuf_line(ed->tb, c.line, &len);
    size_t ind = indent_len(s, len);
    if (ind > c.col)
        ind = c.col;
    size_t extra = 0;
    if (ind + 1 < c.col && s[ind] == '-' && s[ind + 1] == ' ')
        extra += 2;
    size_t end = c.col;
    while (end > 0 && s[end - 1] == ' ')
        end--;
    if (end > 0 && s[end - 1] == ':')
        extra += 2;
    char *buf = xmalloc(ind + extra + 2);
    buf[0] = '\n';
    memset(buf + 1, ' ', ind + extra);
    textbuf_group_begin(ed->tb);
    textbuf_insert(ed->tb, buf, ind + extra + 1);
    textbuf_group_end(ed->tb);
    free(buf);
}

/* Backspace in the indentation goes back to the previous level (two). */
static void backspace(editor *ed)
{
    tb_pos c = textbuf_cursor(ed->tb);
    size_t len;
    const char *s = textbuf_line(ed->tb, c.line, &len);
    size_t n = 1;
    if (c.col > 0 && indent_len(s, len) >= c.col)
        n = c.col % 2 ? 1 : 2;
    while (n-- > 0)
        textbuf_backspace(ed->tb);
}

static void insert_key(editor *ed, tui_key key)
{
    char buf[4];
    size_t n = utf8_encode((unsigned)key, buf);
    textbuf_insert(ed->tb, buf, n);
}

static bool only_blank_before_cursor(editor *ed)
{
    tb_pos c = textbuf_cursor(ed->tb);
    size_t len;
    const char *s = textbuf_line(ed->tb, c.line, &len);
    return indent_len(s, len) >= c.col;
}

/* Tab or C-Space: the popup when there is something to complete; Tab at
 * the indentation or with nothing to offer indents. */
static void complete(editor *ed)
{
    bool tab = ed->last_key == TUI_KEY_TAB;
    ed->nav = false;
    if (tab && only_blank_before_cursor(ed)) {
        textbuf_insert(ed->tb, "  ", 2);
        return;
    }
    popup_compute(ed);
    if (ed->comp.count > 0) {
        ed->popup = true;
        return;
    }
    complete_result_free(&ed->comp);
    memset(&ed->comp, 0, sizeof ed->comp);
    if (tab)
        textbuf_insert(ed->tb, "  ", 2);
    else
        app_message(ed->base.app, SLOT_DIM, "nothing to complete here");
}

static void popup_accept(editor *ed)
{
    const complete_item *it = &ed->comp.items[ed->comp_sel];
    tb_pos c = textbuf_cursor(ed->tb);
    textbuf_replace(ed->tb, c.line, ed->comp.start, ed->comp.end, it->text, strlen(it->text));
    popup_close(ed);
}

static void popup_move(editor *ed, long delta)
{
    long n = (long)ed->comp.count, s = (long)ed->comp_sel + delta;
    if (s < 0)
        s = delta < -1 ? 0 : n - 1;
    if (s >= n)
        s = delta > 1 ? n - 1 : 0;
    ed->comp_sel = (size_t)s;
}

/* Keys while the popup is open: true when it took the key. */
static bool popup_key(editor *ed, tui_key key)
{
    switch (key) {
    case TUI_KEY_FN | KEY_UP:
    case TUI_CTRL('p'):
        popup_move(ed, -1);
        return true;
    case TUI_KEY_FN | KEY_DOWN:
    case TUI_CTRL('n'):
        popup_move(ed, 1);
        return true;
    case TUI_KEY_FN | KEY_PPAGE:
        popup_move(ed, -POPUP_ROWS);
        return true;
    case TUI_KEY_FN | KEY_NPAGE:
        popup_move(ed, POPUP_ROWS);
        return true;
    case TUI_KEY_ENTER:
    case TUI_KEY_TAB:
        popup_accept(ed);
        return true;
    case TUI_KEY_ESC:
        /* Nothing was inserted: closing restores what was typed. */
        popup_close(ed);
        return true;
    case TUI_KEY_BACKSPACE:
    case TUI_KEY_FN | KEY_BACKSPACE:
        textbuf_backspace(ed->tb);
        return true;
    case TUI_KEY_CTRL_SPACE:
        return true;
    default:
        if (key_is_text(key)) {
            insert_key(ed, key);
            return true;
        }
        popup_close(ed);
        return false;
    }
}

/* ------------------------------------------------------------------ */
/* Search, go to line, problems                                        */
/* ------------------------------------------------------------------ */

static void find(editor *ed, bool backward, tb_pos from)
{
    if (!ed->search || !*ed->search) {
        app_message(ed->base.app, SLOT_DIM, "no search yet (%s)", "C-f");
        return;
    }
    tb_pos at;
    bool wrapped;
    if (!textbuf_find(ed->tb, ed->search, backward, from, &at, &wrapped)) {
        app_message(ed->base.app, SLOT_WARNING, "not found: %s", ed->search);
        return;
    }
    textbuf_set_cursor(ed->tb, at.line, at.col);
    if (wrapped)
        app_message(ed->base.app, SLOT_MESSAGE, "search wrapped");
}

static void find_next(editor *ed, bool backward)
{
    tb_pos c = textbuf_cursor(ed->tb);
    if (!backward)
        c.col++;
    find(ed, backward, c);
}

static void search_done(tui_app *app, const char *text, void *data)
{
    (void)app;
    editor *ed = data;
    if (!text || !*text)
        return;
    free(ed->search);
    ed->search = xstrdup(text);
    find(ed, false, textbuf_cursor(ed->tb));
    app_invalidate(app);
}

static void goto_done(tui_app *app, const char *text, void *data)
{
    editor *ed = data;
    if (!text || !*text)
        return;
    char *end;
    long ln = strtol(text, &end, 10);
    long col = 1;
    if (*end == ':')
        col = strtol(end + 1, &end, 10);
    if (ln <= 0 || col <= 0 || *end) {
        app_message(app, SLOT_ERROR, "not a line number: %s", text);
        return;
    }
    size_t n = (size_t)ln - 1;
    if (n >= textbuf_count(ed->tb))
        n = textbuf_count(ed->tb) - 1;
    size_t len;
    const char *s = textbuf_line(ed->tb, n, &len);
    textbuf_set_cursor(ed->tb, n, char_offset(s, len, (int)col));
    app_invalidate(app);
}

/* The diagnostics shown in the list and the gutter (no notes). */
static bool shown_diag(const dapt_diag *d)
{
    return d->severity != DAPT_SEV_NOTE;
}

static void jump_to(editor *ed, const dapt_diag *d)
{
    size_t n = d->pos.line > 0 ? (size_t)d->pos.line - 1 : 0;
    if (n >= textbuf_count(ed->tb))
        n = textbuf_count(ed->tb) - 1;
    size_t len;
    const char *s = textbuf_line(ed->tb, n, &len);
    textbuf_set_cursor(ed->tb, n, char_offset(s, len, d->pos.column > 0 ? d->pos.column : 1));
}

static void next_problem(editor *ed)
{
    tb_pos c = textbuf_cursor(ed->tb);
    const dapt_diag *first = NULL;
    for (size_t i = 0; i < ed->diags.count; i++) {
        const dapt_diag *d = &ed->diags.items[i];
        if (!shown_diag(d))
            continue;
        if (!first)
            first = d;
        if ((size_t)d->pos.line > c.line + 1) {
            jump_to(ed, d);
            return;
        }
    }
    if (first) {
        jump_to(ed, first);
        if ((size_t)first->pos.line <= c.line + 1)
            app_message(ed->base.app, SLOT_MESSAGE, "back to the first problem");
    } else {
        app_message(ed->base.app, SLOT_OK, "no problems");
    }
}

static size_t problems_count(const editor *ed)
{
    size_t n = 0;
    for (size_t i = 0; i < ed->diags.count; i++)
        n += shown_diag(&ed->diags.items[i]);
    return n;
}

static const dapt_diag *problem_at(const editor *ed, size_t k)
{
    for (size_t i = 0; i < ed->diags.count; i++)
        if (shown_diag(&ed->diags.items[i]) && k-- == 0)
            return &ed->diags.items[i];
    return NULL;
}

static bool problems_key(editor *ed, tui_key key)
{
    size_t n = problems_count(ed);
    switch (key) {
    case TUI_KEY_FN | KEY_UP:
    case 'k':
        if (ed->prob_sel > 0)
            ed->prob_sel--;
        return true;
    case TUI_KEY_FN | KEY_DOWN:
    case 'j':
        if (ed->prob_sel + 1 < n)
            ed->prob_sel++;
        return true;
    case TUI_KEY_ENTER: {
        const dapt_diag *d = problem_at(ed, ed->prob_sel);
        if (d)
            jump_to(ed, d);
        ed->show_problems = false;
        return true;
    }
    case TUI_KEY_ESC:
    case 'q':
        ed->show_problems = false;
        return true;
    default:
        return false;
    }
}

/* ------------------------------------------------------------------ */
/* vi's normal mode (settings `editor: {vi: true}`), a small one        */
/* ------------------------------------------------------------------ */

/* vi's p: the cut lines below the cursor's line. */
static void vi_paste_below(editor *ed)
{
    size_t len;
    const char *clip = textbuf_clip(ed->tb, &len);
    if (len == 0)
        return;
    tb_pos c = textbuf_cursor(ed->tb);
    if (c.line + 1 < textbuf_count(ed->tb)) {
        textbuf_set_cursor(ed->tb, c.line + 1, 0);
        textbuf_paste(ed->tb);
        textbuf_set_cursor(ed->tb, c.line + 1, 0);
        return;
    }
    /* Below the last line: a newline first, the lines without theirs. */
    char *text = xmalloc(len + 1);
    text[0] = '\n';
    memcpy(text + 1, clip, len - 1);
    textbuf_move(ed->tb, TB_END, 0);
    textbuf_insert(ed->tb, text, len);
    free(text);
    textbuf_set_cursor(ed->tb, c.line + 1, 0);
}

/* o and O: a new line below or above, indented as the cursor's. */
static void vi_open_line(editor *ed, bool above)
{
    tb_pos c = textbuf_cursor(ed->tb);
    size_t len;
    const char *s = textbuf_line(ed->tb, c.line, &len);
    size_t ind = indent_len(s, len);
    char *buf = xmalloc(ind + 2);
    memset(buf, ' ', ind);
    buf[ind] = '\n';
    if (above) {
        textbuf_set_cursor(ed->tb, c.line, 0);
        textbuf_insert(ed->tb, buf, ind + 1);
        textbuf_set_cursor(ed->tb, c.line, ind);
    } else {
        memmove(buf + 1, buf, ind);
        buf[0] = '\n';
        textbuf_move(ed->tb, TB_END, 0);
        textbuf_insert(ed->tb, buf, ind + 1);
    }
    free(buf);
    ed->nav = false;
}

static bool vi_key(editor *ed, tui_key key)
{
    tui_key prefix = ed->vi_prefix;
    ed->vi_prefix = 0;
    tb_pos c = textbuf_cursor(ed->tb);
    switch (key) {
    case 'h':
        textbuf_move(ed->tb, TB_LEFT, 1);
        break;
    case 'j':
        textbuf_move(ed->tb, TB_DOWN, 1);
        break;
    case 'k':
        textbuf_move(ed->tb, TB_UP, 1);
        break;
    case 'l':
        textbuf_move(ed->tb, TB_RIGHT, 1);
        break;
    case 'w':
        textbuf_move(ed->tb, TB_WORD_RIGHT, 0);
        break;
    case 'b':
        textbuf_move(ed->tb, TB_WORD_LEFT, 0);
        break;
    case '0':
        textbuf_set_cursor(ed->tb, c.line, 0);
        break;
    case '$':
        textbuf_move(ed->tb, TB_END, 0);
        break;
    case 'G':
        textbuf_move(ed->tb, TB_BOTTOM, 0);
        break;
    case 'g':
        if (prefix == 'g')
            textbuf_move(ed->tb, TB_TOP, 0);
        else
            ed->vi_prefix = 'g';
        break;
    case 'i':
        ed->nav = false;
        break;
    case 'a': {
        size_t len;
        textbuf_line(ed->tb, c.line, &len);
        if (c.col < len)
            textbuf_move(ed->tb, TB_RIGHT, 1);
        ed->nav = false;
        break;
    }
    case 'o':
        vi_open_line(ed, false);
        break;
    case 'O':
        vi_open_line(ed, true);
        break;
    case 'x':
        textbuf_delete(ed->tb);
        break;
    case 'd':
        if (prefix == 'd')
            textbuf_cut_line(ed->tb, false);
        else
            ed->vi_prefix = 'd';
        break;
    case 'y':
        if (prefix == 'y')
            textbuf_copy_line(ed->tb, false);
        else
            ed->vi_prefix = 'y';
        break;
    case 'p':
        vi_paste_below(ed);
        break;
    case 'P':
        textbuf_paste(ed->tb);
        break;
    case 'u':
        if (!textbuf_undo(ed->tb))
            app_message(ed->base.app, SLOT_DIM, "nothing to undo");
        break;
    case TUI_CTRL('r'):
        if (!textbuf_redo(ed->tb))
            app_message(ed->base.app, SLOT_DIM, "nothing to redo");
        break;
    case '/':
        app_prompt(ed->base.app, "/", NULL, search_done, NULL, ed);
        break;
    case 'n':
    case 'N':
        find_next(ed, key == 'N');
        break;
    default:
        /* The rest (: q ? 1-4 C-s ...) goes to the keymap. */
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* Keys and actions                                                    */
/* ------------------------------------------------------------------ */

/* The cursor keys, in both modes. */
static bool move_key(editor *ed, tui_key key)
{
    size_t page = ed->page > 1 ? (size_t)ed->page - 1 : 1;
    switch (key) {
    case TUI_KEY_FN | KEY_LEFT:
        textbuf_move(ed->tb, TB_LEFT, 1);
        return true;
    case TUI_KEY_FN | KEY_RIGHT:
        textbuf_move(ed->tb, TB_RIGHT, 1);
        return true;
    case TUI_KEY_FN | KEY_UP:
        textbuf_move(ed->tb, TB_UP, 1);
        return true;
    case TUI_KEY_FN | KEY_DOWN:
        textbuf_move(ed->tb, TB_DOWN, 1);
        return true;
    case TUI_KEY_FN | KEY_HOME:
        textbuf_move(ed->tb, TB_HOME, 0);
        return true;
    case TUI_KEY_FN | KEY_END:
        textbuf_move(ed->tb, TB_END, 0);
        return true;
    case TUI_KEY_FN | KEY_PPAGE:
        textbuf_move(ed->tb, TB_PAGE_UP, page);
        return true;
    case TUI_KEY_FN | KEY_NPAGE:
        textbuf_move(ed->tb, TB_PAGE_DOWN, page);
        return true;
    case TUI_KEY_ALT | 'b':
        textbuf_move(ed->tb, TB_WORD_LEFT, 0);
        return true;
    case TUI_KEY_ALT | 'f':
        textbuf_move(ed->tb, TB_WORD_RIGHT, 0);
        return true;
    default:
        break;
    }
    /* C-Left and C-Right, where the terminal names them. */
    static int cleft, cright;
    if (!cleft) {
        cleft = key_defined("kLFT5");
        cright = key_defined("kRIT5");
    }
    if (cleft > 0 && key == (TUI_KEY_FN | cleft)) {
        textbuf_move(ed->tb, TB_WORD_LEFT, 0);
        return true;
    }
    if (cright > 0 && key == (TUI_KEY_FN | cright)) {
        textbuf_move(ed->tb, TB_WORD_RIGHT, 0);
        return true;
    }
    return false;
}

/* Editing keys in INSERT mode. */
static bool insert_mode_key(editor *ed, tui_key key)
{
    switch (key) {
    case TUI_KEY_ESC:
        ed->nav = true;
        return true;
    case TUI_KEY_ENTER:
        newline(ed);
        return true;
    case TUI_KEY_BACKSPACE:
    case 0x08:
    case TUI_KEY_FN | KEY_BACKSPACE:
        backspace(ed);
        return true;
    case TUI_KEY_FN | KEY_DC:
        textbuf_delete(ed->tb);
        return true;
    default:
        if (key_is_text(key)) {
            insert_key(ed, key);
            return true;
        }
        return false;
    }
}

/* NAV mode: Enter or i types again, n N repeat a search, any other text
 * key not bound to an action types it. */
static bool nav_mode_key(editor *ed, tui_key key)
{
    if (key == TUI_KEY_ENTER || key == 'i') {
        ed->nav = false;
        return true;
    }
    if ((key == 'n' || key == 'N') && ed->search) {
        find_next(ed, key == 'N');
        return true;
    }
    if (key_is_text(key) && action_find("editor", key) == ACTION_NONE) {
        ed->nav = false;
        insert_key(ed, key);
        return true;
    }
    return false;
}

static int editor_key(tui_view *v, tui_key key)
{
    editor *ed = (editor *)v;
    bool handled;
    ed->last_key = key;
    ed->prev_cut = ed->cut_chain;
    ed->cut_chain = false;
    if (ed->show_problems && problems_key(ed, key))
        handled = true;
    else if (ed->popup && popup_key(ed, key))
        handled = true;
    else if (move_key(ed, key))
        handled = true;
    else if (!ed->nav)
        handled = insert_mode_key(ed, key);
    else if (ed->vi)
        handled = vi_key(ed, key);
    else
        handled = nav_mode_key(ed, key);
    changed(ed);
    app_invalidate(v->app);
    return handled ? TUI_HANDLED : TUI_IGNORED;
}

static void toggle_problems(editor *ed)
{
    if (ed->checked != textbuf_version(ed->tb) + 1)
        validate(ed);
    ed->show_problems = !ed->show_problems;
    ed->prob_sel = ed->prob_top = 0;
    if (ed->show_problems && problems_count(ed) == 0) {
        ed->show_problems = false;
        app_message(ed->base.app, SLOT_OK, "no problems in %s", ed->rel);
    }
}

static int editor_action(tui_view *v, tui_action a)
{
    editor *ed = (editor *)v;
    tui_app *app = v->app;
    size_t page = ed->page > 1 ? (size_t)ed->page - 1 : 1;
    int r = TUI_HANDLED;
    switch (a) {
    case ACTION_ED_SAVE:
        save(ed);
        break;
    case ACTION_ED_RUN:
        view_editor_run(v, NULL);
        break;
    case ACTION_ED_COMPLETE:
        complete(ed);
        break;
    case ACTION_ED_UNDO:
        if (!textbuf_undo(ed->tb))
            app_message(app, SLOT_DIM, "nothing to undo");
        break;
    case ACTION_ED_REDO:
        if (!textbuf_redo(ed->tb))
            app_message(app, SLOT_DIM, "nothing to redo");
        break;
    case ACTION_ED_SEARCH:
        app_prompt(app, "Search: ", ed->search, search_done, NULL, ed);
        break;
    case ACTION_ED_SEARCH_NEXT:
        find_next(ed, false);
        break;
    case ACTION_ED_SEARCH_PREV:
        find_next(ed, true);
        break;
    case ACTION_ED_GOTO:
        app_prompt(app, "Go to line: ", NULL, goto_done, NULL, ed);
        break;
    case ACTION_ED_CUT:
        textbuf_cut_line(ed->tb, ed->prev_cut);
        ed->cut_chain = true;
        break;
    case ACTION_ED_COPY: {
        textbuf_copy_line(ed->tb, ed->prev_cut);
        ed->cut_chain = true;
        size_t len;
        textbuf_clip(ed->tb, &len);
        app_message(app, SLOT_MESSAGE, "copied (%zu bytes in the cut buffer)", len);
        break;
    }
    case ACTION_ED_PASTE:
        if (!textbuf_paste(ed->tb))
            app_message(app, SLOT_DIM, "the cut buffer is empty");
        break;
    case ACTION_ED_PROBLEMS:
        toggle_problems(ed);
        break;
    case ACTION_ED_NEXT_PROBLEM:
        if (ed->checked != textbuf_version(ed->tb) + 1)
            validate(ed);
        next_problem(ed);
        break;
    case ACTION_ED_DAG:
        ed->show_dag = !ed->show_dag;
        break;
    case ACTION_ED_HISTORY:
        app_push(app, view_history_new(app, ed->path));
        break;
    case ACTION_ED_APPLY:
        /* What gets committed is the file: save first. */
        if (save(ed) == 0)
            vcs_apply(app, ed->path);
        break;
    case ACTION_UP:
        textbuf_move(ed->tb, TB_UP, 1);
        break;
    case ACTION_DOWN:
        textbuf_move(ed->tb, TB_DOWN, 1);
        break;
    case ACTION_LEFT:
        textbuf_move(ed->tb, TB_LEFT, 1);
        break;
    case ACTION_RIGHT:
        textbuf_move(ed->tb, TB_RIGHT, 1);
        break;
    case ACTION_PAGE_UP:
        textbuf_move(ed->tb, TB_PAGE_UP, page);
        break;
    case ACTION_PAGE_DOWN:
        textbuf_move(ed->tb, TB_PAGE_DOWN, page);
        break;
    case ACTION_TOP:
        textbuf_move(ed->tb, TB_TOP, 0);
        break;
    case ACTION_BOTTOM:
        textbuf_move(ed->tb, TB_BOTTOM, 0);
        break;
    case ACTION_OPEN:
        ed->nav = false;
        break;
    default:
        r = TUI_IGNORED;
        break;
    }
    changed(ed);
    app_invalidate(app);
    return r;
}

/* `/` in NAV mode: incremental search from where it started. */
static void editor_filter(tui_view *v, const char *text)
{
    editor *ed = (editor *)v;
    if (!text || !*text) {
        if (!text) {
            free(ed->search);
            ed->search = NULL;
        }
        ed->searching = false;
        app_invalidate(v->app);
        return;
    }
    if (!ed->searching) {
        ed->searching = true;
        ed->search_origin = textbuf_cursor(ed->tb);
    }
    free(ed->search);
    ed->search = xstrdup(text);
    find(ed, false, ed->search_origin);
    app_invalidate(v->app);
}

static void discard_yes(tui_app *app, void *data)
{
    editor *ed = data;
    ed->discarded = true;
    uv_timer_stop(ed->recover_timer);
    recover_remove(ed);
    /* The editor asked from the top of the stack; it is still there. */
    if (app_top(app) == &ed->base)
        app_pop(app);
}

static bool editor_can_close(tui_view *v)
{
    editor *ed = (editor *)v;
    if (ed->discarded || !textbuf_modified(ed->tb))
        return true;
    char *q = xasprintf("Discard unsaved changes to %s?", ed->rel);
    app_confirm(v->app, q, discard_yes, ed);
    free(q);
    return false;
}

static void editor_notify(tui_view *v, int what)
{
    editor *ed = (editor *)v;
    if (what & TUI_NOTIFY_REGISTRY)
        uv_timer_start(ed->check_timer, check_due, 0, 0);
}

static const char *mode_name(const editor *ed)
{
    return !ed->nav ? "INSERT" : ed->vi ? "NORMAL" : "NAV";
}

static const char *editor_status(tui_view *v)
{
    return mode_name((editor *)v);
}

static const tui_action insert_hints[] = {
    ACTION_ED_SAVE,   ACTION_ED_RUN,      ACTION_ED_COMPLETE, ACTION_ED_UNDO,
    ACTION_ED_SEARCH, ACTION_ED_PROBLEMS, ACTION_ED_DAG,      ACTION_NONE,
};
static const tui_action nav_hints[] = {
    ACTION_COMMAND, ACTION_ED_SAVE, ACTION_ED_RUN, ACTION_HELP,
    ACTION_BACK,    ACTION_QUIT,    ACTION_NONE,
};

static const tui_action *editor_hints(tui_view *v)
{
    return ((editor *)v)->nav ? nav_hints : insert_hints;
}

/* ------------------------------------------------------------------ */
/* Drawing                                                             */
/* ------------------------------------------------------------------ */

/* The syntax state before every line, recomputed after a change. */
static void syntax_update(editor *ed)
{
    unsigned long v = textbuf_version(ed->tb);
    size_t n = textbuf_count(ed->tb);
    if (ed->states && ed->syn_version == v && ed->nstates == n + 1)
        return;
    ed->states = xrealloc(ed->states, n + 1, sizeof *ed->states);
    ed->nstates = n + 1;
    syntax_state st = {0};
    for (size_t i = 0; i < n; i++) {
        ed->states[i] = st;
        size_t len;
        const char *s = textbuf_line(ed->tb, i, &len);
        if (len > ed->slots_cap) {
            ed->slots_cap = len * 2;
            ed->slots = xrealloc(ed->slots, ed->slots_cap, 1);
        }
        syntax_line(&st, s, len, ed->slots);
    }
    ed->states[n] = st;
    ed->syn_version = v;
}

/* One line of text from display column ed->left, `w` columns. */
static void draw_line(editor *ed, size_t ln, int y, int x, int w, bool cursor_line)
{
    size_t len;
    const char *s = textbuf_line(ed->tb, ln, &len);
    if (len + 1 > ed->slots_cap) {
        ed->slots_cap = len * 2 + 1;
        ed->slots = xrealloc(ed->slots, ed->slots_cap, 1);
    }
    syntax_state st = ed->states[ln];
    syntax_line(&st, s, len, ed->slots);
    tui_slot base = cursor_line ? SLOT_CURSOR_LINE : SLOT_NORMAL;
    if (ed->search && *ed->search) {
        size_t plen = strlen(ed->search);
        long at = 0;
        while ((at = textbuf_match(s, len, ed->search, (size_t)at, SIZE_MAX, false)) >= 0) {
            memset(ed->slots + at, SLOT_MATCH, plen);
            at += (long)plen;
        }
    }
    if (cursor_line)
        draw_fill(y, x, w, SLOT_CURSOR_LINE);
    size_t i = textbuf_offset(s, len, ed->left);
    int used = 0;
    while (i < len && used < w) {
        size_t j = i + 1;
        if (s[i] == '\t') {
            used += draw_str(y, x + used, w - used, base, " ");
            i = j;
            continue;
        }
        while (j < len && ed->slots[j] == ed->slots[i] && s[j] != '\t')
            j++;
        tui_slot slot = ed->slots[i] == SLOT_NORMAL ? base : (tui_slot)ed->slots[i];
        int n = draw_text(y, x + used, w - used, slot, s + i, j - i);
        if (n == 0)
            break;
        used += n;
        i = j;
    }
}

static int digits(size_t n)
{
    int d = 1;
    while (n >= 10)
        n /= 10, d++;
    return d;
}

/* Keep the cursor on screen. */
static void scroll_to_cursor(editor *ed, int rows, int cols)
{
    tb_pos c = textbuf_cursor(ed->tb);
    if (c.line < ed->top)
        ed->top = c.line;
    if (rows > 0 && c.line >= ed->top + (size_t)rows)
        ed->top = c.line - (size_t)rows + 1;
    int cx = textbuf_cursor_x(ed->tb);
    if (cx < ed->left)
        ed->left = cx > cols / 4 ? cx - cols / 4 : 0;
    if (cols > 1 && cx >= ed->left + cols)
        ed->left = cx - cols + cols / 4 + 1;
}

static void draw_popup(editor *ed, int cy, int cx, tui_rect area)
{
    size_t n = ed->comp.count;
    size_t rows = n < POPUP_ROWS ? n : POPUP_ROWS;
    if (ed->comp_sel < ed->comp_top)
        ed->comp_top = ed->comp_sel;
    if (ed->comp_sel >= ed->comp_top + rows)
        ed->comp_top = ed->comp_sel - rows + 1;
    int lw = 0, dw = 0;
    for (size_t i = 0; i < n; i++) {
        int a = draw_width(ed->comp.items[i].label, strlen(ed->comp.items[i].label));
        int b = draw_width(ed->comp.items[i].detail, strlen(ed->comp.items[i].detail));
        lw = a > lw ? a : lw;
        dw = b > dw ? b : dw;
    }
    if (lw > 40)
        lw = 40;
    if (dw > 40)
        dw = 40;
    int pw = 1 + lw + (dw ? 2 + dw : 0) + 1;
    if (pw > area.w)
        pw = area.w;
    int y = cy + 1;
    if (y + (int)rows > area.y + area.h)
        y = cy - (int)rows;
    if (y < area.y)
        y = area.y;
    int x = cx;
    if (x + pw > area.x + area.w)
        x = area.x + area.w - pw;
    if (x < area.x)
        x = area.x;
    for (size_t r = 0; r < rows; r++) {
        size_t k = ed->comp_top + r;
        const complete_item *it = &ed->comp.items[k];
        tui_slot slot = k == ed->comp_sel ? SLOT_POPUP_SELECTED : SLOT_POPUP;
        draw_fill(y + (int)r, x, pw, slot);
        draw_marked(y + (int)r, x + 1, lw, slot, it->label, strlen(it->label), it->match,
                    it->nmatch);
        if (dw && pw > lw + 3)
            draw_clamped(y + (int)r, x + 1 + lw + 2, pw - lw - 4, slot, it->detail,
                         strlen(it->detail));
    }
    /* The side preview of the selected item's doc. */
    const char *doc = ed->comp.items[ed->comp_sel].doc;
    if (!doc || !*doc)
        return;
    /* Beside the popup, on the side with more room. */
    int right = area.x + area.w - (x + pw), left = x - area.x;
    int boxw = right >= left ? right : left;
    if (boxw > 50)
        boxw = 50;
    if (boxw < 16)
        return;
    int boxh = (int)rows + 2 < 10 ? 10 : (int)rows + 2;
    if (boxh > area.h)
        boxh = area.h;
    int bx = right >= left ? x + pw : x - boxw;
    int by = y;
    if (by + boxh > area.y + area.h)
        by = area.y + area.h - boxh;
    if (by < area.y)
        return;
    tui_rect box = {by, bx, boxh, boxw};
    draw_clear(box, SLOT_POPUP);
    draw_box(box, SLOT_POPUP, NULL);
    /* Wrap the doc at spaces into the box. */
    int row = 0, inner = boxw - 2;
    const char *p = doc;
    while (*p && row < boxh - 2) {
        size_t rest = strcspn(p, "\n");
        size_t take = draw_fit(p, rest, inner);
        if (take < rest) {
            size_t sp = take;
            while (sp > 0 && p[sp] != ' ')
                sp--;
            if (sp > 0)
                take = sp;
        }
        draw_text(by + 1 + row, bx + 1, inner, SLOT_POPUP, p, take);
        p += take;
        while (*p == ' ')
            p++;
        if (*p == '\n')
            p++;
        row++;
    }
}

static void draw_problems(editor *ed, tui_rect r)
{
    size_t n = problems_count(ed);
    char title[64];
    snprintf(title, sizeof title, "Problems (%zu)  Enter: go  Esc: close", n);
    draw_clear(r, SLOT_POPUP);
    draw_box(r, SLOT_BORDER, title);
    size_t rows = r.h > 2 ? (size_t)r.h - 2 : 0;
    if (ed->prob_sel >= n)
        ed->prob_sel = n ? n - 1 : 0;
    if (ed->prob_sel < ed->prob_top)
        ed->prob_top = ed->prob_sel;
    if (rows && ed->prob_sel >= ed->prob_top + rows)
        ed->prob_top = ed->prob_sel - rows + 1;
    for (size_t k = 0; k < rows && ed->prob_top + k < n; k++) {
        const dapt_diag *d = problem_at(ed, ed->prob_top + k);
        bool sel = ed->prob_top + k == ed->prob_sel;
        int y = r.y + 1 + (int)k, x = r.x + 1, w = r.w - 2;
        tui_slot slot = sel ? SLOT_POPUP_SELECTED : SLOT_POPUP;
        draw_fill(y, x, w, slot);
        bool err = d->severity == DAPT_SEV_ERROR;
        int used = draw_str(y, x + 1, w - 1,
                            sel   ? slot
                            : err ? SLOT_GUTTER_ERROR
                                  : SLOT_GUTTER_WARNING,
                            draw_glyph(err ? GLYPH_ERROR : GLYPH_WARNING));
        used += 1;
        used += draw_printf(y, x + 1 + used, w - 1 - used, slot, " %d:%d %s: ", d->pos.line,
                            d->pos.column, dapt_severity_name(d->severity));
        draw_clamped(y, x + 1 + used, w - 1 - used, slot, d->message, strlen(d->message));
    }
}

static void draw_dag(editor *ed, tui_rect r)
{
    draw_clear(r, SLOT_NORMAL);
    for (int i = 0; i < r.h; i++)
        draw_str(r.y + i, r.x, 1, SLOT_BORDER, draw_glyph(GLYPH_VLINE));
    int x = r.x + 2, w = r.w - 3, y = r.y;
    draw_str(y++, x, w, SLOT_TITLE, "DAG");
    if (ed->ndag == 0) {
        draw_str(y, x, w, SLOT_DIM, "no stages");
        return;
    }
    size_t maxl = 0;
    bool cycle = false;
    for (size_t i = 0; i < ed->ndag; i++) {
        if (ed->dag[i].level == SIZE_MAX)
            cycle = true;
        else if (ed->dag[i].level + 1 > maxl)
            maxl = ed->dag[i].level + 1;
    }
    for (size_t l = 0; l <= maxl && y < r.y + r.h; l++) {
        size_t want = l < maxl ? l : SIZE_MAX;
        if (l == maxl && !cycle)
            break;
        if (want == SIZE_MAX)
            draw_str(y++, x, w, SLOT_ERROR, "in a cycle");
        else
            draw_printf(y++, x, w, SLOT_DIM, "level %zu", l);
        for (size_t i = 0; i < ed->ndag && y < r.y + r.h; i++) {
            const dag_node *d = &ed->dag[i];
            if (d->level != want)
                continue;
            int used = draw_str(y, x + 1, w - 1, d->error ? SLOT_GUTTER_ERROR : SLOT_OK,
                                draw_glyph(d->error ? GLYPH_ERROR : GLYPH_PENDING));
            used += draw_str(y, x + 2 + used, w - 2 - used, d->error ? SLOT_ERROR : SLOT_NORMAL,
                             d->name);
            if (*d->deps) {
                /* name <- what it depends on */
                used +=
                    draw_str(y, x + 2 + used, w - 2 - used, SLOT_DIM, draw_utf8 ? " ← " : " <- ");
                draw_clamped(y, x + 2 + used, w - 2 - used, SLOT_DIM, d->deps, strlen(d->deps));
            }
            y++;
        }
    }
}

static void draw_status(editor *ed, int y, int x, int w)
{
    draw_fill(y, x, w, SLOT_CRUMBS);
    int used = draw_printf(y, x, w, SLOT_HEADER_ACCENT, " %s ", mode_name(ed));
    used += draw_printf(y, x + used, w - used, SLOT_CRUMBS, " %s", ed->rel);
    if (textbuf_modified(ed->tb))
        used += draw_printf(y, x + used, w - used, SLOT_WARNING, " %s", draw_glyph(GLYPH_DIRTY));
    if (ed->is_new)
        used += draw_str(y, x + used, w - used, SLOT_DIM, " [new]");

    /* The right end: position and the count of problems. */
    tb_pos c = textbuf_cursor(ed->tb);
    size_t len;
    const char *s = textbuf_line(ed->tb, c.line, &len);
    char right[128];
    size_t e = count_sev(ed, DAPT_SEV_ERROR), wn = count_sev(ed, DAPT_SEV_WARNING);
    char probs[64];
    if (e && wn)
        snprintf(probs, sizeof probs, "%zu error%s, %zu warning%s", e, e == 1 ? "" : "s", wn,
                 wn == 1 ? "" : "s");
    else if (e || wn)
        snprintf(probs, sizeof probs, "%zu %s%s", e ? e : wn, e ? "error" : "warning",
                 (e ? e : wn) == 1 ? "" : "s");
    else
        snprintf(probs, sizeof probs, "%s valid", draw_glyph(GLYPH_OK));
    snprintf(right, sizeof right, "%zu:%zu  %s ", c.line + 1, char_count(s, c.col) + 1, probs);
    int rw = draw_width(right, strlen(right));
    if (rw < w - used)
        draw_str(y, x + w - rw, rw, e ? SLOT_ERROR : wn ? SLOT_WARNING : SLOT_CRUMBS, right);

    /* The message of the cursor's line, between. */
    const dapt_diag *d = line_diag(ed, c.line);
    int room = w - used - rw - 4;
    if (d && room > 8) {
        char *msg = xasprintf("%s: %s", dapt_severity_name(d->severity), d->message);
        draw_clamped(y, x + used + 2, room,
                     d->severity == DAPT_SEV_ERROR ? SLOT_ERROR : SLOT_WARNING, msg, strlen(msg));
        free(msg);
    }
}

static void editor_draw(tui_view *v, tui_rect r)
{
    editor *ed = (editor *)v;
    if (r.h < 2 || r.w < 10)
        return;
    syntax_update(ed);
    int dagw = 0;
    if (ed->show_dag) {
        dagw = r.w / 3;
        if (dagw < 24)
            dagw = 24;
        if (dagw > 50)
            dagw = 50;
        if (dagw > r.w - 20)
            dagw = 0;
    }
    int rows = r.h - 1;
    size_t count = textbuf_count(ed->tb);
    int nd = digits(count) < 3 ? 3 : digits(count);
    int gw = 1 + nd + 1;
    int tx = r.x + gw, tw = r.w - gw - dagw;
    ed->page = rows;
    scroll_to_cursor(ed, rows, tw);
    tb_pos c = textbuf_cursor(ed->tb);
    for (int i = 0; i < rows; i++) {
        size_t ln = ed->top + (size_t)i;
        int y = r.y + i;
        if (ln >= count)
            break;
        bool cur = ln == c.line;
        const dapt_diag *d = line_diag(ed, ln);
        if (d) {
            bool err = d->severity == DAPT_SEV_ERROR;
            draw_str(y, r.x, 1, err ? SLOT_GUTTER_ERROR : SLOT_GUTTER_WARNING,
                     draw_glyph(err ? GLYPH_ERROR : GLYPH_WARNING));
        }
        draw_printf(y, r.x + 1, nd, cur ? SLOT_CURSOR_LINE : SLOT_LINE_NUMBER, "%*zu", nd, ln + 1);
        if (cur)
            draw_fill(y, r.x + 1 + nd, 1, SLOT_CURSOR_LINE);
        draw_line(ed, ln, y, tx, tw, cur);
    }
    int cy = r.y + (int)(c.line - ed->top);
    int cx = tx + textbuf_cursor_x(ed->tb) - ed->left;
    if (dagw)
        draw_dag(ed, (tui_rect){r.y, r.x + r.w - dagw, rows, dagw});
    draw_status(ed, r.y + rows, r.x, r.w);
    if (ed->show_problems) {
        int h = (int)problems_count(ed) + 2;
        if (h > rows / 2)
            h = rows / 2 > 3 ? rows / 2 : 3;
        draw_problems(ed, (tui_rect){r.y + rows - h, r.x, h, r.w});
    } else if (ed->popup && ed->comp.count) {
        int px = tx + textbuf_width(textbuf_line(ed->tb, c.line, &(size_t){0}), ed->comp.start) -
                 ed->left - 1;
        draw_popup(ed, cy, px, (tui_rect){r.y, r.x, rows, r.w});
    }
    if (!ed->show_problems && cx >= tx && cx < tx + tw)
        app_cursor(v->app, cy, cx);
}

/* ------------------------------------------------------------------ */
/* Life                                                                */
/* ------------------------------------------------------------------ */

static void editor_free(tui_view *v)
{
    editor *ed = (editor *)v;
    /* Quitting with unsaved edits keeps them for recovery. */
    if (!ed->discarded && textbuf_modified(ed->tb))
        recover_write(ed);
    timer_free(ed->check_timer);
    timer_free(ed->recover_timer);
    popup_close(ed);
    dapt_diags_free(&ed->diags);
    dag_clear(ed);
    textbuf_free(ed->tb);
    free(ed->states);
    free(ed->slots);
    free(ed->search);
    free(ed->recover_path);
    free(ed->path);
    free(ed->rel);
    free(v->title);
    free(ed);
}

static const tui_view_class editor_class = {
    .name = "editor",
    .draw = editor_draw,
    .key = editor_key,
    .action = editor_action,
    .filter = editor_filter,
    .can_close = editor_can_close,
    .notify = editor_notify,
    .status = editor_status,
    .hints = editor_hints,
    .free = editor_free,
};

static char *absolute(tui_app *app, const char *path)
{
    if (path[0] == '/')
        return xstrdup(path);
    return xasprintf("%s/%s", app->workspace, path);
}

tui_view *view_editor_new(tui_app *app, const char *path, const char *text)
{
    editor *ed = xcalloc(1, sizeof *ed);
    ed->base.cls = &editor_class;
    ed->base.app = app;
    ed->path = absolute(app, path);
    char buf[4096];
    ed->rel = xstrdup(app_relpath(app, ed->path, buf, sizeof buf));
    ed->base.title = xstrdup(ed->rel);
    ed->recover_path = recover_path_of(app, ed->path);
    ed->check_timer = timer_new(ed);
    ed->recover_timer = timer_new(ed);
    dapt_diags_init(&ed->diags);
    /* vi users start in normal mode, as in vi. */
    ed->vi = json_is_true(json_object_get(json_object_get(app->settings, "editor"), "vi"));
    ed->nav = ed->vi;
    if (text) {
        /* A copy to start from: unsaved until saved. */
        ed->tb = textbuf_new(text, strlen(text));
        textbuf_mark_unsaved(ed->tb);
        ed->is_new = access(ed->path, F_OK) != 0;
    } else {
        size_t len = 0;
        char *file = read_all(ed->path, &len);
        if (!file && errno != ENOENT)
            app_message(app, SLOT_ERROR, "cannot read %s: %s", ed->rel, strerror(errno));
        ed->is_new = !file;
        ed->tb = textbuf_new(file, len);
        recover_offer(ed, file ? file : "", len);
        free(file);
    }
    ed->seen = textbuf_version(ed->tb);
    validate(ed);
    return &ed->base;
}

char *view_editor_text(const tui_view *view)
{
    size_t len;
    return textbuf_text(((const editor *)view)->tb, &len);
}

void view_editor_replace(tui_view *view, const char *text)
{
    editor *ed = as_editor(view);
    if (!ed)
        return;
    size_t len = strlen(text), cur_len;
    char *cur = textbuf_text(ed->tb, &cur_len);
    bool same = cur_len == len && memcmp(cur, text, len) == 0;
    free(cur);
    if (same)
        return;
    textbuf_set_text(ed->tb, text, len);
    /* Back to the text on disk (the saved one): unmodified. */
    size_t flen;
    char *file = read_all(ed->path, &flen);
    if (file && flen == len && memcmp(file, text, len) == 0)
        textbuf_mark_saved(ed->tb);
    free(file);
    changed(ed);
    app_invalidate(view->app);
}

const char *view_editor_path(const tui_view *view)
{
    return ((const editor *)view)->path;
}

bool view_editor_modified(const tui_view *view)
{
    const editor *ed = (const editor *)view;
    return !ed->discarded && textbuf_modified(ed->tb);
}
