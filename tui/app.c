/*
 * app.c - the studio's loop and screen manager.
 *
 * One libuv loop carries everything: the terminal (a uv_poll on stdin),
 * SIGWINCH, SIGTERM/SIGHUP, the engine's runs and the frame timer.  Views
 * sit on a stack; the top one gets the body of the screen, keys go to it
 * first, then through the keymap (action.c), and what it ignores the app
 * handles (quit, back, help, `:`, `/`, the view keys 1-4).
 *
 * Frames: a key is answered by a frame at once, so typing never waits on
 * a timer; everything else (engine events, timers) only marks the screen
 * dirty, and a timer draws at most ~30 frames a second.  A frame erases
 * and redraws the whole screen; curses sends the terminal only the cells
 * that changed.
 *
 * The terminal is written through a dup() of fd 1 made at start, so the
 * engine may capture fds 1 and 2 while a thread-mode run is active (stage
 * output then lands in the run's log, not on the screen).  fd 2 is sent to
 * the debug log (-v) or /dev/null while the screen is up, for the same
 * reason: nothing may scribble over the frame.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tui.h"

#define FRAME_MS 33        /* at most ~30 frames a second for events */
#define MIN_ROWS 24
#define MIN_COLS 80
#define HISTORY_MAX 100

typedef enum prompt_kind {
    PROMPT_NONE,
    PROMPT_LINE,    /* app_prompt */
    PROMPT_CONFIRM, /* app_confirm */
    PROMPT_COMMAND, /* `:` */
    PROMPT_FILTER,  /* `/`, live */
} prompt_kind;

typedef struct prompt {
    prompt_kind kind;
    char *label;
    strbuf text;
    size_t cursor; /* byte offset in text */
    app_prompt_fn done;
    app_complete_fn complete;
    app_yes_fn yes, no;
    void *data;
    char **choices; /* Tab completions on screen, NULL-terminated */
    size_t choice;  /* the one Tab put in (cycling) */
    int history_at; /* -1: not browsing history */
    tui_view *filtered; /* PROMPT_FILTER: the view being filtered */
} prompt;

struct app_private {
    tui_view **stack;
    size_t depth, cap;
    uv_poll_t tty_poll;
    uv_signal_t sig_winch, sig_term, sig_hup;
    uv_timer_t frame_timer, message_timer;
    bool dirty, frame_pending, quitting;
    uint64_t last_frame_ms;
    int cursor_y, cursor_x; /* -1: hidden this frame */
    char *message;
    tui_slot message_slot;
    bool message_quiet;    /* the message is a trigger's info: the next may replace it */
    bool triggers_closed;  /* the trigger service is being freed: its callbacks are late */
    bool triggers_hushed;  /* reloading after a save: its words go to the debug log */
    prompt prompt;
    char *history[HISTORY_MAX];
    int nhistory;
    SCREEN *screen;
    FILE *term_out;
    int saved_stderr;
    FILE *debug;
    bool esc_pending; /* Esc read, waiting to see if Alt-x follows */
    int exit_status;
};

/* ------------------------------------------------------------------ */
/* Small services                                                      */
/* ------------------------------------------------------------------ */

void app_debug(tui_app *app, const char *fmt, ...)
{
    if (app->priv->debug == NULL)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(app->priv->debug, "%ld.%03ld ", (long)ts.tv_sec, ts.tv_nsec / 1000000);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(app->priv->debug, fmt, ap);
    va_end(ap);
    fputc('\n', app->priv->debug);
    fflush(app->priv->debug);
}

static void frame_due(uv_timer_t *t);

void app_invalidate(tui_app *app)
{
    struct app_private *p = app->priv;
    p->dirty = true;
    if (p->frame_pending || p->screen == NULL)
        return;
    uint64_t now = uv_now(app->loop);
    uint64_t wait = now - p->last_frame_ms >= FRAME_MS ? 0 : FRAME_MS - (now - p->last_frame_ms);
    p->frame_pending = true;
    uv_timer_start(&p->frame_timer, frame_due, wait, 0);
}

void app_cursor(tui_app *app, int y, int x)
{
    app->priv->cursor_y = y;
    app->priv->cursor_x = x;
}

void app_message(tui_app *app, tui_slot slot, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = xvasprintf(fmt, ap);
    va_end(ap);
    /* One line: the footer has no room for more. */
    for (char *c = m; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    free(app->priv->message);
    app->priv->message = m;
    app->priv->message_slot = slot;
    app->priv->message_quiet = false;
    app_debug(app, "message: %s", m);
    app_invalidate(app);
}

const char *app_relpath(tui_app *app, const char *path, char *buf, size_t size)
{
    size_t n = strlen(app->workspace);
    if (strncmp(path, app->workspace, n) == 0 && path[n] == '/')
        snprintf(buf, size, "%s", path + n + 1);
    else
        snprintf(buf, size, "%s", path);
    return buf;
}

tui_view *app_top(tui_app *app)
{
    struct app_private *p = app->priv;
    return p->depth ? p->stack[p->depth - 1] : NULL;
}

void app_notify(tui_app *app, int what)
{
    struct app_private *p = app->priv;
    /* A saved file may be a rule, or the workflow a broken rule named.
     * What loading says again (a rule still broken) is in the editor's
     * diagnostics and the Triggers view; the footer keeps what the save
     * said. */
    if ((what & TUI_NOTIFY_FILES) && app->triggers) {
        p->triggers_hushed = true;
        trigger_service_reload(app->triggers);
        p->triggers_hushed = false;
    }
    for (size_t i = 0; i < p->depth; i++)
        if (p->stack[i]->cls->notify)
            p->stack[i]->cls->notify(p->stack[i], what);
    app_invalidate(app);
}

/* ------------------------------------------------------------------ */
/* The view stack                                                      */
/* ------------------------------------------------------------------ */

static void view_destroy(tui_view *v)
{
    v->cls->free(v);
}

void app_push(tui_app *app, tui_view *view)
{
    struct app_private *p = app->priv;
    if (view == NULL)
        return;
    if (p->depth == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->stack = xrealloc(p->stack, p->cap, sizeof *p->stack);
    }
    p->stack[p->depth++] = view;
    app_debug(app, "push %s (depth %zu)", view->cls->name, p->depth);
    app_invalidate(app);
}

void app_pop(tui_app *app)
{
    struct app_private *p = app->priv;
    if (p->depth == 0)
        return;
    tui_view *v = p->stack[--p->depth];
    if (p->prompt.kind == PROMPT_FILTER && p->prompt.filtered == v)
        p->prompt.filtered = NULL;
    app_debug(app, "pop %s (depth %zu)", v->cls->name, p->depth);
    view_destroy(v);
    if (p->depth == 0)
        p->quitting = true;
    app_invalidate(app);
}

/* Close the top view if it agrees (an editor with unsaved edits asks and
 * pops itself later).  True when it is gone. */
static bool close_top(tui_app *app)
{
    tui_view *v = app_top(app);
    if (v == NULL)
        return true;
    if (v->cls->can_close && !v->cls->can_close(v))
        return false;
    app_pop(app);
    return true;
}

/* Bring a view of class `name` to the top: pop down to an open one when
 * the views above it close without asking, else push a new one. */
static void go_view(tui_app *app, const char *name, tui_view *(*make)(tui_app *))
{
    struct app_private *p = app->priv;
    for (size_t i = p->depth; i-- > 0;) {
        if (strcmp(p->stack[i]->cls->name, name) != 0)
            continue;
        size_t keep = i + 1;
        while (p->depth > keep) {
            tui_view *top = app_top(app);
            if (top->cls->can_close && !top->cls->can_close(top))
                return; /* it asked; the user decides */
            app_pop(app);
        }
        app_invalidate(app);
        return;
    }
    app_push(app, make(app));
}

static tui_view *make_targets(tui_app *app)
{
    return view_targets_new(app, NULL);
}

tui_view *app_find_editor(tui_app *app, const char *path)
{
    struct app_private *p = app->priv;
    char real[PATH_MAX];
    const char *want = realpath(path, real) ? real : path;
    for (size_t i = 0; i < p->depth; i++) {
        tui_view *v = p->stack[i];
        if (strcmp(v->cls->name, "editor") == 0 && strcmp(view_editor_path(v), want) == 0)
            return v;
    }
    return NULL;
}

void app_edit(tui_app *app, const char *path)
{
    struct app_private *p = app->priv;
    char real[PATH_MAX];
    const char *want = realpath(path, real) ? real : path;
    for (size_t i = 0; i < p->depth; i++) {
        tui_view *v = p->stack[i];
        if (strcmp(v->cls->name, "editor") != 0 || strcmp(view_editor_path(v), want) != 0)
            continue;
        /* Move it to the top, keeping the rest of the stack. */
        memmove(&p->stack[i], &p->stack[i + 1], (p->depth - i - 1) * sizeof *p->stack);
        p->stack[p->depth - 1] = v;
        app_invalidate(app);
        return;
    }
    app_push(app, view_editor_new(app, want, NULL));
}

int app_run_file(tui_app *app, const char *path, json_t *input)
{
    char *error = NULL;
    run_model *m = run_model_start(app, path, input, &error);
    if (m == NULL) {
        /* The first line names FILE:LINE:COL; the editor shows them all. */
        char *nl = error ? strchr(error, '\n') : NULL;
        if (nl)
            *nl = '\0';
        app_message(app, SLOT_ERROR, "cannot run: %s", error ? error : "unknown error");
        free(error);
        return -1;
    }
    app_push(app, view_run_new(app, m));
    run_model_unref(m);
    app_notify(app, TUI_NOTIFY_RUNS);
    return 0;
}

int app_open_run(tui_app *app, const char *id)
{
    char *error = NULL;
    run_model *m = NULL;
    for (run_model *r = app->runs; r; r = r->next)
        if (r->id && strcmp(r->id, id) == 0)
            m = r;
    if (m)
        run_model_ref(m);
    else
        m = run_model_load(app, id, &error);
    if (m == NULL) {
        app_message(app, SLOT_ERROR, "cannot open run %s: %s", id, error ? error : "?");
        free(error);
        return -1;
    }
    app_push(app, view_run_new(app, m));
    run_model_unref(m);
    return 0;
}

void app_refresh_git(tui_app *app)
{
    const char *args[] = {"status", "-C", app->workspace, NULL};
    json_t *out = NULL;
    char *error = NULL;
    free(app->branch);
    app->branch = NULL;
    app->git_dirty = false;
    if (workspace_git(&out, args, &error) == 0) {
        const char *b = json_string_value(json_object_get(out, "branch"));
        const char *head = json_string_value(json_object_get(out, "head"));
        app->branch = b ? xstrdup(b) : head ? xstrndup(head, 7) : xstrdup("(no commits)");
        app->git_dirty = json_is_true(json_object_get(out, "dirty"));
    } else {
        app_debug(app, "git status: %s", error ? error : "?");
    }
    json_decref(out);
    free(error);
    app_invalidate(app);
}

/* ------------------------------------------------------------------ */
/* Prompts in the footer                                               */
/* ------------------------------------------------------------------ */

static void prompt_clear(tui_app *app)
{
    prompt *pr = &app->priv->prompt;
    free(pr->label);
    strbuf_free(&pr->text);
    cmdline_free_list(pr->choices);
    memset(pr, 0, sizeof *pr);
    pr->kind = PROMPT_NONE;
    app_invalidate(app);
}

static void prompt_open(tui_app *app, prompt_kind kind, const char *label, const char *initial)
{
    prompt_clear(app);
    prompt *pr = &app->priv->prompt;
    pr->kind = kind;
    pr->label = xstrdup(label);
    strbuf_puts(&pr->text, initial ? initial : "");
    pr->cursor = pr->text.len;
    pr->history_at = -1;
}

void app_confirm(tui_app *app, const char *question, app_yes_fn yes, void *data)
{
    prompt_open(app, PROMPT_CONFIRM, question, NULL);
    app->priv->prompt.yes = yes;
    app->priv->prompt.data = data;
}

void app_confirm_ex(tui_app *app, const char *question, app_yes_fn yes, app_yes_fn no,
                    void *data)
{
    app_confirm(app, question, yes, data);
    app->priv->prompt.no = no;
}

void app_prompt(tui_app *app, const char *label, const char *initial, app_prompt_fn done,
                app_complete_fn complete, void *data)
{
    prompt_open(app, PROMPT_LINE, label, initial);
    app->priv->prompt.done = done;
    app->priv->prompt.complete = complete;
    app->priv->prompt.data = data;
}

static const char *prompt_text(prompt *pr)
{
    return pr->text.buf ? pr->text.buf : "";
}

static void prompt_set(prompt *pr, const char *text)
{
    pr->text.len = 0;
    if (pr->text.buf)
        pr->text.buf[0] = '\0';
    strbuf_puts(&pr->text, text);
    pr->cursor = pr->text.len;
}

static void history_add(tui_app *app, const char *line)
{
    struct app_private *p = app->priv;
    if (*line == '\0' || (p->nhistory && strcmp(p->history[p->nhistory - 1], line) == 0))
        return;
    if (p->nhistory == HISTORY_MAX) {
        free(p->history[0]);
        memmove(p->history, p->history + 1, (HISTORY_MAX - 1) * sizeof *p->history);
        p->nhistory--;
    }
    p->history[p->nhistory++] = xstrdup(line);
}

static char **complete_command(tui_app *app, const char *text, void *data)
{
    (void)data;
    return cmdline_complete(app, text);
}

static void filter_changed(tui_app *app)
{
    prompt *pr = &app->priv->prompt;
    if (pr->filtered && pr->filtered->cls->filter)
        pr->filtered->cls->filter(pr->filtered, prompt_text(pr));
}

/* Tab: the longest common prefix of the completions, then cycle. */
static void prompt_tab(tui_app *app)
{
    prompt *pr = &app->priv->prompt;
    app_complete_fn fn = pr->kind == PROMPT_COMMAND ? complete_command : pr->complete;
    if (fn == NULL)
        return;
    if (pr->choices && pr->choices[0]) {
        size_t n = 0;
        while (pr->choices[n])
            n++;
        pr->choice = (pr->choice + 1) % n;
        prompt_set(pr, pr->choices[pr->choice]);
        return;
    }
    char **list = fn(app, prompt_text(pr), pr->data);
    if (list == NULL || list[0] == NULL) {
        cmdline_free_list(list);
        app_message(app, SLOT_DIM, "no completions");
        return;
    }
    size_t common = strlen(list[0]);
    for (size_t i = 1; list[i]; i++) {
        size_t k = 0;
        while (k < common && list[i][k] == list[0][k])
            k++;
        common = k;
    }
    if (list[1] == NULL) {
        prompt_set(pr, list[0]);
        cmdline_free_list(list);
    } else if (common > pr->text.len) {
        char *c = xstrndup(list[0], common);
        prompt_set(pr, c);
        free(c);
        pr->choices = list; /* shown above the footer; Tab again cycles */
        pr->choice = (size_t)-1;
    } else {
        pr->choices = list;
        pr->choice = 0;
        prompt_set(pr, list[0]);
    }
}

static void prompt_finish(tui_app *app, bool accepted)
{
    prompt p = app->priv->prompt; /* the callback may open another prompt */
    char *text = xstrdup(prompt_text(&p));
    memset(&app->priv->prompt, 0, sizeof app->priv->prompt);
    switch (p.kind) {
    case PROMPT_LINE:
        if (p.done)
            p.done(app, accepted ? text : NULL, p.data);
        break;
    case PROMPT_COMMAND:
        if (accepted && *text) {
            history_add(app, text);
            cmdline_run(app, text);
        }
        break;
    case PROMPT_FILTER:
        if (!accepted && p.filtered && p.filtered->cls->filter)
            p.filtered->cls->filter(p.filtered, NULL);
        break;
    default:
        break;
    }
    free(p.label);
    strbuf_free(&p.text);
    cmdline_free_list(p.choices);
    free(text);
    app_invalidate(app);
}

static size_t utf8_prev(const char *s, size_t at)
{
    if (at == 0)
        return 0;
    at--;
    while (at > 0 && ((unsigned char)s[at] & 0xc0) == 0x80)
        at--;
    return at;
}

static size_t utf8_next(const char *s, size_t len, size_t at)
{
    if (at >= len)
        return len;
    at++;
    while (at < len && ((unsigned char)s[at] & 0xc0) == 0x80)
        at++;
    return at;
}

static void prompt_insert(prompt *pr, tui_key key)
{
    char u[5] = {0};
    int n;
    if (key < 0x80)
        u[0] = (char)key, n = 1;
    else if (key < 0x800)
        u[0] = (char)(0xc0 | (key >> 6)), u[1] = (char)(0x80 | (key & 0x3f)), n = 2;
    else if (key < 0x10000)
        u[0] = (char)(0xe0 | (key >> 12)), u[1] = (char)(0x80 | ((key >> 6) & 0x3f)),
        u[2] = (char)(0x80 | (key & 0x3f)), n = 3;
    else
        u[0] = (char)(0xf0 | (key >> 18)), u[1] = (char)(0x80 | ((key >> 12) & 0x3f)),
        u[2] = (char)(0x80 | ((key >> 6) & 0x3f)), u[3] = (char)(0x80 | (key & 0x3f)), n = 4;
    char *rest = xstrdup(prompt_text(pr) + pr->cursor);
    pr->text.len = pr->cursor;
    if (pr->text.buf)
        pr->text.buf[pr->cursor] = '\0';
    strbuf_add(&pr->text, u, (size_t)n);
    strbuf_puts(&pr->text, rest);
    pr->cursor += (size_t)n;
    free(rest);
}

static void prompt_delete(prompt *pr, size_t from, size_t to)
{
    if (to <= from || pr->text.buf == NULL)
        return;
    memmove(pr->text.buf + from, pr->text.buf + to, pr->text.len - to + 1);
    pr->text.len -= to - from;
    pr->cursor = from;
}

static void prompt_history(tui_app *app, int dir)
{
    struct app_private *p = app->priv;
    prompt *pr = &p->prompt;
    if (pr->kind != PROMPT_COMMAND || p->nhistory == 0)
        return;
    int at = pr->history_at < 0 ? p->nhistory : pr->history_at;
    at += dir;
    if (at < 0)
        at = 0;
    if (at >= p->nhistory) {
        pr->history_at = -1;
        prompt_set(pr, "");
        return;
    }
    pr->history_at = at;
    prompt_set(pr, p->history[at]);
}

static void prompt_key(tui_app *app, tui_key key)
{
    prompt *pr = &app->priv->prompt;
    if (pr->kind == PROMPT_CONFIRM) {
        app_yes_fn yes = pr->yes, no = pr->no;
        void *data = pr->data;
        prompt_clear(app);
        if (key == 'y' || key == 'Y')
            yes(app, data);
        else if (no)
            no(app, data);
        else
            app_message(app, SLOT_DIM, "not done");
        return;
    }
    const char *s = prompt_text(pr);
    bool changed = false;
    if (key != TUI_KEY_TAB && key != (TUI_KEY_FN | KEY_BTAB) && pr->choices) {
        cmdline_free_list(pr->choices);
        pr->choices = NULL;
    }
    switch (key) {
    case TUI_KEY_ESC:
        prompt_finish(app, false);
        return;
    case TUI_KEY_ENTER:
    case TUI_KEY_FN | KEY_ENTER:
        prompt_finish(app, true);
        return;
    case TUI_KEY_TAB:
        prompt_tab(app);
        changed = true;
        break;
    case TUI_KEY_BACKSPACE:
    case TUI_KEY_FN | KEY_BACKSPACE:
    case TUI_CTRL('h'):
        if (pr->cursor == 0 && pr->text.len == 0 && pr->kind != PROMPT_LINE) {
            prompt_finish(app, false); /* backspace on an empty : or / leaves it */
            return;
        }
        prompt_delete(pr, utf8_prev(s, pr->cursor), pr->cursor);
        changed = true;
        break;
    case TUI_KEY_FN | KEY_DC:
        prompt_delete(pr, pr->cursor, utf8_next(s, pr->text.len, pr->cursor));
        changed = true;
        break;
    case TUI_KEY_FN | KEY_LEFT:
        pr->cursor = utf8_prev(s, pr->cursor);
        break;
    case TUI_KEY_FN | KEY_RIGHT:
        pr->cursor = utf8_next(s, pr->text.len, pr->cursor);
        break;
    case TUI_KEY_FN | KEY_HOME:
    case TUI_CTRL('a'):
        pr->cursor = 0;
        break;
    case TUI_KEY_FN | KEY_END:
    case TUI_CTRL('e'):
        pr->cursor = pr->text.len;
        break;
    case TUI_CTRL('u'):
        prompt_delete(pr, 0, pr->cursor);
        changed = true;
        break;
    case TUI_CTRL('w'): {
        size_t at = pr->cursor;
        while (at > 0 && s[at - 1] == ' ')
            at--;
        while (at > 0 && s[at - 1] != ' ')
            at--;
        prompt_delete(pr, at, pr->cursor);
        changed = true;
        break;
    }
    case TUI_KEY_FN | KEY_UP:
        prompt_history(app, -1);
        break;
    case TUI_KEY_FN | KEY_DOWN:
        prompt_history(app, +1);
        break;
    default:
        if (key_is_text(key)) {
            prompt_insert(pr, key);
            changed = true;
        }
        break;
    }
    if (changed && pr->kind == PROMPT_FILTER)
        filter_changed(app);
    app_invalidate(app);
}

static void draw_prompt(tui_app *app, int y)
{
    prompt *pr = &app->priv->prompt;
    int cols = app->cols;
    draw_fill(y, 0, cols, SLOT_PROMPT);
    int x = draw_str(y, 0, cols, SLOT_PROMPT, pr->label);
    if (pr->kind == PROMPT_CONFIRM) {
        x += draw_str(y, x, cols - x, SLOT_PROMPT, " [y/N] ");
        app_cursor(app, y, x);
        return;
    }
    const char *s = prompt_text(pr);
    /* Keep the cursor on screen for long input: show the tail. */
    int before = draw_width(s, pr->cursor);
    size_t from = 0;
    while (before > cols - x - 2 && from < pr->cursor) {
        size_t next = utf8_next(s, pr->text.len, from);
        before -= draw_width(s + from, next - from);
        from = next;
    }
    draw_text(y, x, cols - x, SLOT_PROMPT, s + from, pr->text.len - from);
    app_cursor(app, y, x + before);
    /* Tab choices: one line above the footer. */
    if (pr->choices && pr->choices[0]) {
        int cx = 0;
        draw_fill(y - 1, 0, cols, SLOT_POPUP);
        for (size_t i = 0; pr->choices[i] && cx < cols; i++) {
            tui_slot sl = i == pr->choice ? SLOT_POPUP_SELECTED : SLOT_POPUP;
            /* The word being completed is what differs: show only it. */
            const char *word = strrchr(pr->choices[i], ' ');
            word = word ? word + 1 : pr->choices[i];
            cx += draw_str(y - 1, cx, cols - cx, SLOT_POPUP, " ");
            cx += draw_str(y - 1, cx, cols - cx, sl, word);
            cx += draw_str(y - 1, cx, cols - cx, SLOT_POPUP, "  ");
        }
    }
}

/* ------------------------------------------------------------------ */
/* Frames                                                              */
/* ------------------------------------------------------------------ */

/* The runs this process has going: the studio's, and those its trigger
 * rules started while it leads (quitting cancels both). */
static int running_runs(tui_app *app)
{
    int n = 0;
    for (run_model *m = app->runs; m; m = m->next)
        if (m->live && !dapt_state_terminal(m->state))
            n++;
    if (app->triggers)
        n += (int)trigger_service_running(app->triggers);
    return n;
}

static void draw_header(tui_app *app)
{
    int cols = app->cols;
    draw_fill(0, 0, cols, SLOT_HEADER);
    int x = draw_str(0, 0, cols, SLOT_HEADER_ACCENT, " dapt ");
    x += draw_str(0, x, cols - x, SLOT_HEADER, " ");
    x += draw_clamped(0, x, 24, SLOT_HEADER, app->workspace_name, strlen(app->workspace_name));
    if (app->branch) {
        x += draw_str(0, x, cols - x, SLOT_HEADER, "  git:");
        x += draw_clamped(0, x, 20, SLOT_HEADER, app->branch, strlen(app->branch));
        if (app->git_dirty)
            x += draw_str(0, x, cols - x, SLOT_HEADER, draw_glyph(GLYPH_DIRTY));
    }
    x += draw_str(0, x, cols - x, SLOT_HEADER, "  exec:");
    x += draw_str(0, x, cols - x, SLOT_HEADER, app->executor);
    int n = running_runs(app);
    char right[64];
    if (n)
        snprintf(right, sizeof right, "%s %d running ", draw_glyph(GLYPH_RUNNING), n);
    else
        snprintf(right, sizeof right, "no runs in progress ");
    int w = draw_width(right, strlen(right));
    if (x + 2 + w <= cols)
        draw_str(0, cols - w, w, n ? SLOT_HEADER_ACCENT : SLOT_HEADER, right);
}

static void draw_crumbs(tui_app *app)
{
    struct app_private *p = app->priv;
    int cols = app->cols;
    draw_fill(1, 0, cols, SLOT_CRUMBS);
    tui_view *top = app_top(app);
    const char *status = top && top->cls->status ? top->cls->status(top) : NULL;
    int sw = status ? draw_width(status, strlen(status)) : 0;
    int room = cols - sw - 2;
    /* The newest crumbs matter most: drop the oldest when they do not fit. */
    size_t first = 0;
    for (;;) {
        int need = 1;
        for (size_t i = first; i < p->depth; i++) {
            const char *t = p->stack[i]->title ? p->stack[i]->title : p->stack[i]->cls->name;
            need += draw_width(t, strlen(t)) + 3;
        }
        if (need <= room || first + 1 >= p->depth)
            break;
        first++;
    }
    int x = draw_str(1, 0, cols, SLOT_CRUMBS, " ");
    if (first > 0)
        x += draw_printf(1, x, room - x, SLOT_CRUMBS, "%s %s ", draw_glyph(GLYPH_ELLIPSIS),
                         draw_glyph(GLYPH_CRUMB));
    for (size_t i = first; i < p->depth; i++) {
        const char *t = p->stack[i]->title ? p->stack[i]->title : p->stack[i]->cls->name;
        if (i > first)
            x += draw_printf(1, x, room - x, SLOT_CRUMBS, " %s ", draw_glyph(GLYPH_CRUMB));
        x += draw_clamped(1, x, room - x, i + 1 == p->depth ? SLOT_CRUMBS_CURRENT : SLOT_CRUMBS, t,
                          strlen(t));
    }
    if (status)
        draw_str(1, cols - sw - 1, sw, SLOT_CRUMBS, status);
}

static const tui_action generic_hints[] = {
    ACTION_HELP, ACTION_COMMAND, ACTION_FILTER, ACTION_OPEN, ACTION_BACK, ACTION_QUIT, ACTION_NONE,
};

static void draw_footer(tui_app *app)
{
    struct app_private *p = app->priv;
    int y = app->rows - 1, cols = app->cols;
    if (p->prompt.kind != PROMPT_NONE) {
        draw_prompt(app, y);
        return;
    }
    draw_fill(y, 0, cols, SLOT_FOOTER);
    if (p->message) {
        draw_clamped(y, 1, cols - 2, p->message_slot, p->message, strlen(p->message));
        return;
    }
    tui_view *top = app_top(app);
    const tui_action *hints = top && top->cls->hints ? top->cls->hints(top) : generic_hints;
    int x = 1;
    for (size_t i = 0; hints[i] != ACTION_NONE; i++) {
        char key[32];
        action_key(hints[i], key, sizeof key);
        if (*key == '\0')
            continue;
        const char *name = action_name(hints[i]);
        int need = draw_width(key, strlen(key)) + 1 + (int)strlen(name) + 2;
        if (x + need > cols)
            break;
        x += draw_str(y, x, cols - x, SLOT_HINT_KEY, key);
        x += draw_str(y, x, cols - x, SLOT_FOOTER, " ");
        x += draw_str(y, x, cols - x, SLOT_FOOTER, name);
        x += draw_str(y, x, cols - x, SLOT_FOOTER, "  ");
    }
}

static void draw_too_small(tui_app *app)
{
    char line[128];
    snprintf(line, sizeof line, "terminal too small: %dx%d, dapt needs %dx%d", app->cols,
             app->rows, MIN_COLS, MIN_ROWS);
    int w = (int)strlen(line);
    int y = app->rows / 2, x = app->cols > w ? (app->cols - w) / 2 : 0;
    draw_str(y, x, app->cols, SLOT_ERROR, line);
    if (y + 1 < app->rows)
        draw_str(y + 1, x, app->cols, SLOT_DIM, "enlarge the window, or press q to quit");
}

static void frame(tui_app *app)
{
    struct app_private *p = app->priv;
    if (p->screen == NULL || p->quitting)
        return;
    p->dirty = false;
    p->last_frame_ms = uv_now(app->loop);
    p->cursor_y = p->cursor_x = -1;
    getmaxyx(stdscr, app->rows, app->cols);
    attrset(theme_attr(SLOT_NORMAL));
    bkgdset(theme_attr(SLOT_NORMAL) | ' ');
    erase();
    if (app->rows < MIN_ROWS || app->cols < MIN_COLS) {
        draw_too_small(app);
    } else {
        draw_header(app);
        draw_crumbs(app);
        tui_view *top = app_top(app);
        tui_rect body = {2, 0, app->rows - 3, app->cols};
        if (top)
            top->cls->draw(top, body);
        if (p->prompt.kind != PROMPT_NONE)
            p->cursor_y = p->cursor_x = -1; /* the prompt owns the cursor */
        draw_footer(app);
    }
    if (p->cursor_y >= 0) {
        curs_set(1);
        move(p->cursor_y, p->cursor_x);
    } else {
        curs_set(0);
    }
    wnoutrefresh(stdscr);
    doupdate();
}

static void frame_due(uv_timer_t *t)
{
    tui_app *app = t->data;
    app->priv->frame_pending = false;
    if (app->priv->dirty)
        frame(app);
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */
/* ------------------------------------------------------------------ */

static bool any_unsaved(tui_app *app)
{
    struct app_private *p = app->priv;
    for (size_t i = 0; i < p->depth; i++)
        if (strcmp(p->stack[i]->cls->name, "editor") == 0 && view_editor_modified(p->stack[i]))
            return true;
    return false;
}

static void quit_now(tui_app *app, void *data)
{
    (void)data;
    app->priv->quitting = true;
    uv_stop(app->loop);
}

void app_quit(tui_app *app)
{
    int n = running_runs(app);
    if (any_unsaved(app))
        app_confirm(app, "Unsaved edits will be lost (kept for recovery). Quit?", quit_now, NULL);
    else if (n)
        app_confirm(app, n == 1 ? "A run is in progress: cancel it and quit?"
                                : "Runs are in progress: cancel them and quit?",
                    quit_now, NULL);
    else
        quit_now(app, NULL);
}

static void toggle_mouse(tui_app *app)
{
    app->mouse = !app->mouse;
    mousemask(app->mouse ? (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED)
                         : 0,
              NULL);
    app_message(app, SLOT_MESSAGE, "mouse %s", app->mouse ? "on" : "off");
}

void app_do(tui_app *app, tui_action a)
{
    struct app_private *p = app->priv;
    tui_view *top = app_top(app);
    switch (a) {
    case ACTION_QUIT:
        if (p->depth > 1)
            close_top(app);
        else
            app_quit(app);
        break;
    case ACTION_BACK:
        if (p->depth > 1)
            close_top(app);
        else if (top && top->cls->filter)
            top->cls->filter(top, NULL);
        break;
    case ACTION_HELP:
        if (top && strcmp(top->cls->name, "help") != 0)
            app_push(app, view_help_new(app, top));
        break;
    case ACTION_COMMAND:
        prompt_open(app, PROMPT_COMMAND, ":", NULL);
        break;
    case ACTION_FILTER:
        if (top && top->cls->filter) {
            prompt_open(app, PROMPT_FILTER, "/", NULL);
            p->prompt.filtered = top;
        } else {
            app_message(app, SLOT_DIM, "nothing to filter here");
        }
        break;
    case ACTION_REDRAW:
        clearok(curscr, TRUE);
        break;
    case ACTION_VIEW_WORKFLOWS:
        go_view(app, "workflows", view_workflows_new);
        break;
    case ACTION_VIEW_PLUGINS:
        go_view(app, "plugins", view_plugins_new);
        break;
    case ACTION_VIEW_TARGETS:
        go_view(app, "targets", make_targets);
        break;
    case ACTION_VIEW_RUNS:
        go_view(app, "runs", view_runs_new);
        break;
    case ACTION_VIEW_TRIGGERS:
        go_view(app, "triggers", view_triggers_new);
        break;
    case ACTION_MOUSE:
        toggle_mouse(app);
        break;
    default:
        break;
    }
}

static void dispatch_mouse(tui_app *app)
{
    MEVENT ev;
    if (getmouse(&ev) != OK)
        return;
    tui_view *top = app_top(app);
    if (top == NULL || top->cls->action == NULL)
        return;
    if (ev.bstate & BUTTON4_PRESSED) {
        for (int i = 0; i < 3; i++)
            top->cls->action(top, ACTION_UP);
    } else if (ev.bstate & BUTTON5_PRESSED) {
        for (int i = 0; i < 3; i++)
            top->cls->action(top, ACTION_DOWN);
    } else if ((ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)) && top->cls->click &&
               ev.y >= 2 && ev.y < app->rows - 1) {
        top->cls->click(top, ev.y, ev.x);
    }
}

static void dispatch(tui_app *app, tui_key key)
{
    struct app_private *p = app->priv;
    char name[32];
    app_debug(app, "key %s", key_label(key, name, sizeof name));
    if (key == (TUI_KEY_FN | KEY_RESIZE)) {
        app_notify(app, TUI_NOTIFY_RESIZE);
        return;
    }
    if (p->prompt.kind != PROMPT_NONE) {
        prompt_key(app, key);
        return;
    }
    if (p->message) {
        free(p->message);
        p->message = NULL;
    }
    if (app->rows < MIN_ROWS || app->cols < MIN_COLS) {
        if (key == 'q' || key == TUI_CTRL('c'))
            app_quit(app);
        return;
    }
    if (key == (TUI_KEY_FN | KEY_MOUSE)) {
        dispatch_mouse(app);
        return;
    }
    tui_view *top = app_top(app);
    if (top && top->cls->key && top->cls->key(top, key) == TUI_HANDLED)
        return;
    tui_action a = action_find(top ? top->cls->name : NULL, key);
    if (a == ACTION_NONE) {
        if (key == TUI_CTRL('c'))
            app_message(app, SLOT_MESSAGE, "press q to quit (or :quit)");
        return;
    }
    if (top && top->cls->action && top->cls->action(top, a) == TUI_HANDLED)
        return;
    app_do(app, a);
}

/* Read every key waiting.  Esc followed at once by another key is Alt-key
 * (terminals send Alt-x that way); a lone Esc is Esc. */
static void read_keys(tui_app *app)
{
    struct app_private *p = app->priv;
    wint_t wc;
    int r;
    bool any = false;
    while ((r = get_wch(&wc)) != ERR) {
        tui_key key = r == KEY_CODE_YES ? (TUI_KEY_FN | (int)wc) : (int)wc;
        if (key == TUI_KEY_ESC && !p->esc_pending) {
            p->esc_pending = true;
            continue;
        }
        if (p->esc_pending) {
            p->esc_pending = false;
            if (key != TUI_KEY_ESC && (key & TUI_KEY_FN) == 0 && key >= 0x20)
                key |= TUI_KEY_ALT;
            else
                dispatch(app, TUI_KEY_ESC);
        }
        dispatch(app, key);
        any = true;
        if (p->quitting)
            return;
    }
    if (p->esc_pending) {
        p->esc_pending = false;
        dispatch(app, TUI_KEY_ESC);
        any = true;
    }
    if (any && !p->quitting)
        frame(app); /* answer keys at once: no frame timer in the way */
}

static void on_tty(uv_poll_t *h, int status, int events)
{
    tui_app *app = h->data;
    (void)events;
    if (status < 0) {
        /* The terminal went away (ssh dropped): leave, keeping recovery files. */
        quit_now(app, NULL);
        return;
    }
    read_keys(app);
}

static void on_winch(uv_signal_t *h, int sig)
{
    tui_app *app = h->data;
    (void)sig;
    struct winsize ws;
    if (ioctl(fileno(app->priv->term_out), TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
        resizeterm(ws.ws_row, ws.ws_col);
    getmaxyx(stdscr, app->rows, app->cols);
    app_debug(app, "resize %dx%d", app->cols, app->rows);
    app_notify(app, TUI_NOTIFY_RESIZE);
    clearok(curscr, TRUE);
    frame(app);
}

static void on_term(uv_signal_t *h, int sig)
{
    tui_app *app = h->data;
    app_debug(app, "signal %d: leaving", sig);
    app->priv->exit_status = 128 + sig;
    quit_now(app, NULL);
}

/* ------------------------------------------------------------------ */
/* Trigger rules at work                                               */
/* ------------------------------------------------------------------ */

/* The service's words about itself ("rules fire here (pid N)", "rules
 * fire in pid N (daemon)...", "rules loaded: 3") are what the Triggers
 * view's title shows; in the footer they would hide the keys at every
 * start, so they go to the debug log only. */
static bool trigger_about_itself(const char *text)
{
    return strncmp(text, "rules ", 6) == 0;
}

static void on_trigger_message(trigger_msg level, const char *text, void *data)
{
    tui_app *app = data;
    struct app_private *p = app->priv;
    static const char *const tags[] = {"info", "warning", "error"};
    /* info is quiet: it never hides a message the user has not read */
    bool show = !p->triggers_closed && !p->triggers_hushed &&
                (level != TRIGGER_MSG_INFO ||
                 (!trigger_about_itself(text) && (p->message == NULL || p->message_quiet)));
    if (!show) {
        app_debug(app, "trigger %s: %s", tags[level], text);
        return;
    }
    /* file names in the workspace read shorter relative */
    size_t n = strlen(app->workspace);
    const char *shown = strncmp(text, app->workspace, n) == 0 && text[n] == '/' ? text + n + 1
                                                                                 : text;
    tui_slot slot = level == TRIGGER_MSG_ERROR ? SLOT_ERROR
                    : level == TRIGGER_MSG_WARN ? SLOT_WARNING
                                                : SLOT_DIM;
    app_message(app, slot, "%s", shown);
    p->message_quiet = level == TRIGGER_MSG_INFO;
}

static void on_trigger_run(dapt_run *run, const char *rule, void *data)
{
    tui_app *app = data;
    app_debug(app, "trigger %s started run %s", rule, dapt_run_id(run));
    if (!app->priv->triggers_closed)
        app_notify(app, TUI_NOTIFY_RUNS);
}

static void on_trigger_change(void *data)
{
    tui_app *app = data;
    /* a fire, a run's end, leadership, a reload: the lists and the
     * header's count of runs */
    if (!app->priv->triggers_closed)
        app_notify(app, TUI_NOTIFY_TRIGGERS | TUI_NOTIFY_RUNS);
}

/* Put the workspace's rules to work on the app's loop.  When that fails
 * the studio goes on without them, and *say (when empty) tells why. */
static void triggers_start(tui_app *app, char **say)
{
    char *error = NULL;
    /* an unreadable DAPT_CLOCK leaves the real clock; the service says why */
    if (trigger_clock_init(&app->trigger_clock, &error) < 0)
        free(error), error = NULL;
    trigger_service_options o = {
        .workspace = app->workspace,
        .role = "studio",
        .registry = app->registry,
        .store = app->store,
        .on_message = on_trigger_message,
        .on_run = on_trigger_run,
        .on_change = on_trigger_change,
        .data = app,
    };
    if (trigger_service_start(&app->triggers, app->loop, &o, &error) < 0) {
        app->triggers = NULL;
        app->triggers_error = error ? error : xstrdup("unknown error");
        app_debug(app, "trigger rules not started: %s", app->triggers_error);
        char *why = xasprintf("trigger rules are not at work: %s", app->triggers_error);
        if (*say == NULL) {
            *say = why;
        } else {
            char *both = xasprintf("%s; %s", *say, why);
            free(*say);
            free(why);
            *say = both;
        }
    }
}

/* Free the service: the runs it started are cancelled; its handles close
 * at the loop's next run. */
static void triggers_stop(tui_app *app)
{
    app->priv->triggers_closed = true;
    trigger_service_free(app->triggers);
    app->triggers = NULL;
    free(app->triggers_error);
    app->triggers_error = NULL;
}

/* ------------------------------------------------------------------ */
/* Start and stop                                                      */
/* ------------------------------------------------------------------ */

static const char *json_path_string(json_t *root, const char *a, const char *b)
{
    json_t *v = json_object_get(root, a);
    return json_string_value(b ? json_object_get(v, b) : v);
}

static char *executor_text(json_t *settings)
{
    json_t *ex = json_object_get(json_object_get(json_object_get(settings, "services"), "compute"),
                                 "executor");
    const char *target = json_string_value(json_object_get(ex, "target"));
    json_t *procs = json_object_get(ex, "use_processes");
    json_int_t workers = json_integer_value(json_object_get(ex, "workers"));
    const char *name = target && strncmp(target, "dapt.executor.", 14) == 0 ? target + 14
                       : target                                          ? target
                                                                         : "local";
    char w[32] = "";
    if (workers > 0)
        snprintf(w, sizeof w, "/%lld", (long long)workers);
    return xasprintf("%s/%s%s", name, json_is_false(procs) ? "threads" : "processes", w);
}

/* Settings, keys, registry, store, git: everything before the screen. */
static int app_open(tui_app *app, const tui_options *opts, char **startup_message)
{
    const char *ws = opts->workspace ? opts->workspace : getenv("DAPT_WORKSPACE");
    if (ws == NULL || *ws == '\0')
        ws = ".";
    char real[PATH_MAX];
    struct stat st;
    if (realpath(ws, real) == NULL || stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "dapt: %s: not a folder (%s); give a workspace with -C DIR\n", ws,
                strerror(errno ? errno : ENOTDIR));
        return -1;
    }
    app->workspace = xstrdup(real);
    const char *base = strrchr(real, '/');
    app->workspace_name = xstrdup(base && base[1] ? base + 1 : real);

    dapt_diags diags;
    dapt_diags_init(&diags);
    dapt_settings_load(&app->settings, app->workspace, &diags);
    if (dapt_diags_count(&diags, DAPT_SEV_ERROR) > 0) {
        char *first = dapt_diag_format(&diags.items[0]);
        *startup_message = xasprintf("settings: %s", first);
        free(first);
    }
    dapt_diags_free(&diags);

    char *error = NULL;
    if (action_remap(json_object_get(app->settings, "keys"), &error) < 0 && !*startup_message)
        *startup_message = error, error = NULL;
    free(error), error = NULL;

    dapt_registry_options ro = {.workspace = app->workspace};
    char *warnings = NULL;
    if (dapt_registry_open(&app->registry, &ro, &warnings, &error) < 0) {
        if (!*startup_message)
            *startup_message = xasprintf("plugins: %s", error);
        app->registry = NULL;
    }
    free(warnings);
    free(error), error = NULL;

    if (store_open(&app->store, app->workspace, &error) < 0) {
        if (!*startup_message)
            *startup_message = xasprintf("run store: %s (runs will not be kept)", error);
        app->store = NULL;
    }
    free(error);
    app->executor = executor_text(app->settings);
    json_t *ui = json_object_get(app->settings, "ui");
    app->mouse = opts->mouse || json_is_true(json_object_get(ui, "mouse"));
    return 0;
}

static const char *theme_wanted(tui_app *app, const tui_options *opts)
{
    const char *env = getenv("DAPT_THEME");
    if (opts->theme && *opts->theme)
        return opts->theme;
    if (env && *env)
        return env;
    const char *conf = json_path_string(app->settings, "ui", "theme");
    if (conf == NULL)
        conf = json_path_string(app->settings, "theme", NULL);
    return conf ? conf : "default";
}

static int screen_start(tui_app *app, const tui_options *opts, char **startup_message)
{
    struct app_private *p = app->priv;
    int fd = dup(STDOUT_FILENO);
    if (fd < 0 || (p->term_out = fdopen(fd, "w")) == NULL) {
        fprintf(stderr, "dapt: cannot use the terminal: %s\n", strerror(errno));
        return -1;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    p->screen = newterm(NULL, p->term_out, stdin);
    if (p->screen == NULL) {
        fprintf(stderr, "dapt: cannot use the terminal `%s` (set TERM, e.g. TERM=xterm-256color)\n",
                getenv("TERM") ? getenv("TERM") : "");
        return -1;
    }
    set_term(p->screen);
    /* ncurses (6.4) treats a screen that has never been through endwin()
     * as not yet started and writes every cursor move to the terminal
     * with a write() of its own: some thirty per frame of a streaming log.
     * One endwin() and doupdate() round first, before the modes are set
     * (the round would undo keypad()) and anything is drawn, makes it
     * buffer a frame and write it once. */
    endwin();
    doupdate();
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    if (has_colors()) {
        start_color();
        use_default_colors();
    }
    if (app->mouse) {
        app->mouse = false;
        toggle_mouse(app);
        free(p->message), p->message = NULL;
    }
    char *error = NULL;
    const char *name = getenv("NO_COLOR") && *getenv("NO_COLOR") ? "mono" : theme_wanted(app, opts);
    if (theme_use(name, &error) < 0) {
        if (!*startup_message)
            *startup_message = xasprintf("theme: %s (using default)", error);
        free(error), error = NULL;
        if (theme_use("default", &error) < 0)
            free(error);
    }
    /* Nothing else may write to the terminal while the screen is up. */
    fflush(stderr);
    p->saved_stderr = dup(STDERR_FILENO);
    int sink = p->debug ? dup(fileno(p->debug)) : open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (sink >= 0) {
        dup2(sink, STDERR_FILENO);
        close(sink);
    }
    getmaxyx(stdscr, app->rows, app->cols);
    return 0;
}

static void screen_stop(tui_app *app)
{
    struct app_private *p = app->priv;
    if (p->screen) {
        endwin();
        delscreen(p->screen);
        p->screen = NULL;
    }
    if (p->term_out) {
        fclose(p->term_out);
        p->term_out = NULL;
    }
    if (p->saved_stderr >= 0) {
        dup2(p->saved_stderr, STDERR_FILENO);
        close(p->saved_stderr);
        p->saved_stderr = -1;
    }
}

static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void walk_close(uv_handle_t *h, void *data)
{
    (void)data;
    close_handle(h);
}

static void app_free(tui_app *app)
{
    struct app_private *p = app->priv;
    while (p->depth)
        view_destroy(p->stack[--p->depth]);
    free(p->stack);
    /* first: its timers must not fire while the studio's runs close */
    triggers_stop(app);
    run_model_close_all(app);
    if (app->catalog)
        complete_catalog_free(app->catalog);
    prompt_clear(app);
    for (int i = 0; i < p->nhistory; i++)
        free(p->history[i]);
    free(p->message);
    if (app->store)
        store_close(app->store);
    if (app->registry)
        dapt_registry_free(app->registry);
    json_decref(app->settings);
    free(app->workspace);
    free(app->workspace_name);
    free(app->executor);
    free(app->branch);
    if (p->debug)
        fclose(p->debug);
}

int app_main(const tui_options *opts)
{
    setlocale(LC_ALL, "");
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "dapt: the studio needs a terminal; for scripts use the commands "
                        "(dapt --help), e.g. dapt run FILE\n");
        return 2;
    }
    draw_init();
    action_init();
    struct app_private priv;
    memset(&priv, 0, sizeof priv);
    priv.saved_stderr = -1;
    priv.cursor_y = -1;
    tui_app app;
    memset(&app, 0, sizeof app);
    app.priv = &priv;
    if (opts->debug_log && (priv.debug = fopen(opts->debug_log, "a")) == NULL) {
        fprintf(stderr, "dapt: cannot write the debug log %s: %s\n", opts->debug_log,
                strerror(errno));
        return 1;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    app.loop = &loop;
    char *startup_message = NULL;
    int status = 1;
    if (app_open(&app, opts, &startup_message) < 0)
        goto out;
    app_refresh_git(&app);
    if (screen_start(&app, opts, &startup_message) < 0)
        goto out;
    app_debug(&app, "studio on %s, %dx%d, theme %s", app.workspace, app.cols, app.rows,
              theme_current());

    uv_timer_init(&loop, &priv.frame_timer);
    priv.frame_timer.data = &app;
    uv_timer_init(&loop, &priv.message_timer);
    uv_poll_init(&loop, &priv.tty_poll, STDIN_FILENO);
    priv.tty_poll.data = &app;
    uv_poll_start(&priv.tty_poll, UV_READABLE, on_tty);
    uv_signal_init(&loop, &priv.sig_winch);
    priv.sig_winch.data = &app;
    uv_signal_start(&priv.sig_winch, on_winch, SIGWINCH);
    uv_signal_init(&loop, &priv.sig_term);
    priv.sig_term.data = &app;
    uv_signal_start(&priv.sig_term, on_term, SIGTERM);
    uv_signal_init(&loop, &priv.sig_hup);
    priv.sig_hup.data = &app;
    uv_signal_start(&priv.sig_hup, on_term, SIGHUP);

    app_push(&app, view_workflows_new(&app));
    if (opts->edit)
        app_edit(&app, opts->edit);
    triggers_start(&app, &startup_message);
    if (startup_message)
        app_message(&app, SLOT_WARNING, "%s", startup_message);
    frame(&app);
    priv.exit_status = 0;
    uv_run(&loop, UV_RUN_DEFAULT);
    status = priv.exit_status;

    priv.quitting = true;
    close_handle((uv_handle_t *)&priv.tty_poll);
    close_handle((uv_handle_t *)&priv.sig_winch);
    close_handle((uv_handle_t *)&priv.sig_term);
    close_handle((uv_handle_t *)&priv.sig_hup);
    close_handle((uv_handle_t *)&priv.frame_timer);
    close_handle((uv_handle_t *)&priv.message_timer);
    screen_stop(&app);
out:
    screen_stop(&app);
    free(startup_message);
    app_free(&app);
    uv_walk(&loop, walk_close, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return status;
}
