/*
 * tui.h - the internal header of the studio (tui/): one block per file.
 *
 * The studio is one libuv loop (keys, engine events, timers, SIGWINCH)
 * driving ncursesw.  A screen manager (app.c) keeps a stack of views; a
 * view is a small "class" (tui_view_class, a vtable) drawn into the body
 * rectangle between the header and the footer.  Keys become actions
 * through one table (action.c) that also gives every action its name and
 * help text; colours are named slots (theme.c), never raw colours.
 *
 * Everything draws on stdscr; app.c erases and redraws the whole screen
 * for a frame and lets ncurses send only what changed.  Frames are
 * coalesced: a key is drawn at once, engine events at most ~30 times a
 * second.
 */
#ifndef DAPT_TUI_H
#define DAPT_TUI_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "engine.h"

typedef struct tui_app tui_app;
typedef struct tui_view tui_view;

/* A rectangle of the screen, in cells. */
typedef struct tui_rect {
    int y, x, h, w;
} tui_rect;

/* ================================================================== */
/* key.c: key codes and their names                                    */
/* ================================================================== */

/* A key: a Unicode code point (Ctrl-S is 0x13, Enter 0x0d, Esc 0x1b,
 * Tab 0x09, Backspace 0x7f), or TUI_KEY_FN | KEY_xxx for an ncurses
 * function key (KEY_UP, KEY_NPAGE, KEY_F(5), KEY_RESIZE, KEY_MOUSE...).
 * Alt-x (Esc then x) is TUI_KEY_ALT | 'x'. */
typedef int tui_key;
#define TUI_KEY_FN 0x40000000
#define TUI_KEY_ALT 0x20000000
#define TUI_CTRL(c) ((c) & 0x1f)
#define TUI_KEY_ESC 0x1b
#define TUI_KEY_ENTER 0x0d
#define TUI_KEY_TAB 0x09
#define TUI_KEY_BACKSPACE 0x7f
/* Ctrl-Space arrives as NUL. */
#define TUI_KEY_CTRL_SPACE 0x00

/* "q", "C-s", "M-x", "Enter", "Esc", "Tab", "S-Tab", "Space", "Up",
 * "Down", "Left", "Right", "PgUp", "PgDn", "Home", "End", "Ins", "Del",
 * "Backspace", "F1".."F12": the key, or -1 when the text names none. */
tui_key key_parse(const char *text);
/* The name of a key as key_parse reads it ("C-s", "Enter", "x"), in buf. */
const char *key_label(tui_key key, char *buf, size_t size);
/* Whether a key inserts text (printable, not a function key). */
bool key_is_text(tui_key key);

/* ================================================================== */
/* action.c: every action named once, with its keys and help           */
/* ================================================================== */

/* X(ID, "name", "scope", "default keys (space separated)", "help")
 * scope: "global", or the name of the view class that handles it; a key
 * is looked up in the current view's scope first, then in "global".
 * A view may handle a global action itself (e.g. UP in a list).  Add a
 * row to add an action; `keys:` in the config remaps by "scope.name"
 * (or "name" for global ones). */
#define TUI_ACTIONS(X)                                                                        \
    X(QUIT, "quit", "global", "q", "Quit dapt (asks first when edits are unsaved)")           \
    X(BACK, "back", "global", "Esc", "Go back to the previous view")                          \
    X(HELP, "help", "global", "? F1", "Show the keys of this view")                           \
    X(COMMAND, "command", "global", ":", "Command line (:workflows, :run, :theme ...)")       \
    X(FILTER, "filter", "global", "/", "Filter the list (fuzzy)")                              \
    X(REDRAW, "redraw", "global", "C-l", "Redraw the screen")                                 \
    X(UP, "up", "global", "k Up", "Move up")                                                  \
    X(DOWN, "down", "global", "j Down", "Move down")                                          \
    X(LEFT, "left", "global", "h Left", "Move left / collapse")                               \
    X(RIGHT, "right", "global", "l Right", "Move right / expand")                             \
    X(PAGE_UP, "page-up", "global", "PgUp C-b", "Page up")                                    \
    X(PAGE_DOWN, "page-down", "global", "PgDn C-f Space", "Page down")                        \
    X(TOP, "top", "global", "g Home", "Go to the top")                                        \
    X(BOTTOM, "bottom", "global", "G End", "Go to the bottom")                                \
    X(OPEN, "open", "global", "Enter", "Open the selected item")                              \
    X(VIEW_WORKFLOWS, "workflows", "global", "1", "Workflows")                                \
    X(VIEW_PLUGINS, "plugins", "global", "2", "Plugins")                                      \
    X(VIEW_TARGETS, "targets", "global", "3", "Targets")                                      \
    X(VIEW_RUNS, "runs", "global", "4", "Runs")                                               \
    X(VIEW_TRIGGERS, "triggers", "global", "5", "Trigger rules")                              \
    X(MOUSE, "mouse", "global", "M-m", "Toggle the mouse")                                    \
    /* workflows */                                                                           \
    X(WF_RUN, "run", "workflows", "r", "Run the selected workflow")                           \
    X(WF_NEW, "new", "workflows", "n", "New workflow file")                                   \
    /* targets and plugins */                                                                 \
    X(KIND, "kind", "targets", "K", "Filter by kind (stage, executor, all)")                  \
    X(COPY_WORKFLOW, "copy", "target", "e", "Open a bundled workflow as a copy to edit")      \
    X(TARGET_FOCUS, "focus", "target", "Tab", "Switch between the text and the bundled workflows") \
    /* editor (navigation keys; typing goes to the text) */                                   \
    X(ED_SAVE, "save", "editor", "C-s", "Save (atomic)")                                      \
    X(ED_RUN, "run", "editor", "C-r", "Save and run this file")                               \
    X(ED_COMPLETE, "complete", "editor", "Tab C-Space", "Complete at the cursor")             \
    X(ED_UNDO, "undo", "editor", "C-z", "Undo")                                               \
    X(ED_REDO, "redo", "editor", "C-y", "Redo")                                               \
    X(ED_SEARCH, "search", "editor", "C-f", "Search")                                         \
    X(ED_SEARCH_NEXT, "search-next", "editor", "C-n F3", "Next match")                        \
    X(ED_SEARCH_PREV, "search-prev", "editor", "C-p", "Previous match")                       \
    X(ED_GOTO, "goto", "editor", "C-g", "Go to line")                                         \
    X(ED_CUT, "cut", "editor", "C-k", "Cut the line (repeat to cut more)")                    \
    X(ED_COPY, "copy", "editor", "M-c", "Copy the line")                                      \
    X(ED_PASTE, "paste", "editor", "C-u", "Paste the cut lines")                              \
    X(ED_PROBLEMS, "problems", "editor", "C-e", "List every diagnostic")                      \
    X(ED_NEXT_PROBLEM, "next-problem", "editor", "M-n", "Next diagnostic")                    \
    X(ED_DAG, "dag", "editor", "C-d", "Show the DAG beside the text")                         \
    X(ED_HISTORY, "history", "editor", "M-h", "History of the file (git)")                    \
    X(ED_APPLY, "apply", "editor", "M-s", "Save and apply: validate and commit")              \
    /* run */                                                                                 \
    X(RUN_CANCEL, "cancel", "run", "c", "Cancel the run (asks first)")                        \
    X(RUN_RERUN, "rerun", "run", "R", "Run the same workflow again")                          \
    X(RUN_FOLLOW, "follow", "run", "F", "Follow the log (toggle)")                            \
    X(RUN_FOCUS, "focus", "run", "Tab", "Switch between stages and log")                      \
    X(RUN_ONE_STAGE, "one-stage", "run", "s", "Log of the selected stage only / all")         \
    X(RUN_SEARCH, "search", "run", "?", "Search the log")                                     \
    X(RUN_SEARCH_NEXT, "search-next", "run", "n", "Next match")                               \
    X(RUN_SEARCH_PREV, "search-prev", "run", "N", "Previous match")                           \
    X(RUN_LEVEL, "level", "run", "L", "Filter the log by level")                              \
    X(RUN_WRAP, "wrap", "run", "w", "Wrap long lines (toggle)")                               \
    X(RUN_DEFINITION, "definition", "run", "d", "Open the workflow as it ran")                \
    X(RUN_DIFF, "diff", "run", "D", "Diff the workflow as it ran with the current file")      \
    X(RUN_EDIT, "edit", "run", "e", "Edit the workflow file")                                 \
    /* runs */                                                                                \
    X(RUNS_REFRESH, "refresh", "runs", "C-r", "Reload the run history")                      \
    X(RUNS_DEFINITION, "definition", "runs", "d", "Open the workflow as that run ran it")     \
    X(RUNS_DIFF, "diff", "runs", "D", "Diff the workflow as it ran with the current file")    \
    /* triggers (the rules; Enter lists a rule's fires) */                                    \
    X(TRIG_ENABLE, "enable", "triggers", "e", "Enable or disable the selected rule (toggle)")  \
    X(TRIG_FIRE, "fire", "triggers", "f", "Fire the selected rule now (asks first)")          \
    X(TRIG_RELOAD, "reload", "triggers", "C-r", "Load the rules of triggers/ again")          \
    /* history (of a file, from the editor) */                                                \
    X(HIST_RESTORE, "restore", "history", "r", "Restore this version into the editor")        \
    X(HIST_VIEW, "view", "history", "v", "Show this version")                                 \
    /* text (a version, a diff) */                                                            \
    X(TEXT_SEARCH_NEXT, "search-next", "text", "n", "Next match of the filter")

typedef enum tui_action {
    ACTION_NONE = -1,
#define TUI_ACTION_ENUM(id, name, scope, keys, help) ACTION_##id,
    TUI_ACTIONS(TUI_ACTION_ENUM)
#undef TUI_ACTION_ENUM
        ACTION_COUNT
} tui_action;

/* Set the default keys (once, at start; again after action_remap resets). */
void action_init(void);
/* Apply `keys:` of the settings: {"run.cancel": "x", "quit": "C-q"}; a
 * value may list keys ("x C-c").  0, or -1 with *error naming the bad
 * entry (the rest still applies). */
int action_remap(const json_t *keys, char **error);
/* The action of a key in a view's scope (then "global"); ACTION_NONE. */
tui_action action_find(const char *scope, tui_key key);
const char *action_name(tui_action a);
const char *action_scope(tui_action a);
const char *action_help(tui_action a);
/* The first key of an action, as key_label gives it ("" when unbound). */
const char *action_key(tui_action a, char *buf, size_t size);
/* All keys of an action, space separated ("" when unbound), in buf. */
const char *action_keys(tui_action a, char *buf, size_t size);

/* ================================================================== */
/* theme.c: colour slots and themes                                    */
/* ================================================================== */

/* X(ID, "name"): what the code colours.  Themes give each slot fg, bg
 * and attributes; the code never names a colour. */
#define TUI_SLOTS(X)                                                           \
    X(NORMAL, "normal")                                                        \
    X(HEADER, "header")                                                        \
    X(HEADER_ACCENT, "header_accent")                                          \
    X(CRUMBS, "crumbs")                                                        \
    X(CRUMBS_CURRENT, "crumbs_current")                                        \
    X(FOOTER, "footer")                                                        \
    X(HINT_KEY, "hint_key")                                                    \
    X(TITLE, "title")                                                          \
    X(DIM, "dim")                                                              \
    X(BORDER, "border")                                                        \
    X(SELECTED, "selected")                                                    \
    X(SELECTED_DIM, "selected_dim")                                            \
    X(MATCH, "match")                                                          \
    X(MESSAGE, "message")                                                      \
    X(ERROR, "error")                                                          \
    X(WARNING, "warning")                                                      \
    X(OK, "ok")                                                                \
    X(PROMPT, "prompt")                                                        \
    X(POPUP, "popup")                                                          \
    X(POPUP_SELECTED, "popup_selected")                                        \
    X(STATE_PENDING, "state_pending")                                          \
    X(STATE_RUNNING, "state_running")                                          \
    X(STATE_FINISHED, "state_finished")                                        \
    X(STATE_FAILED, "state_failed")                                            \
    X(STATE_CANCELLED, "state_cancelled")                                      \
    X(STATE_INTERRUPTED, "state_interrupted")                                  \
    X(STATE_SKIPPED, "state_skipped")                                          \
    X(LINE_NUMBER, "line_number")                                              \
    X(CURSOR_LINE, "cursor_line")                                              \
    X(GUTTER_ERROR, "gutter_error")                                            \
    X(GUTTER_WARNING, "gutter_warning")                                        \
    X(SYN_KEY, "syntax_key")                                                   \
    X(SYN_STRING, "syntax_string")                                             \
    X(SYN_NUMBER, "syntax_number")                                             \
    X(SYN_BOOL, "syntax_bool")                                                 \
    X(SYN_COMMENT, "syntax_comment")                                           \
    X(SYN_PUNCT, "syntax_punct")                                               \
    X(SYN_ANCHOR, "syntax_anchor")                                             \
    X(LOG_STDERR, "log_stderr")                                                \
    X(LOG_ENGINE, "log_engine")                                                \
    X(LOG_WARNING, "log_warning")                                              \
    X(LOG_ERROR, "log_error")                                                  \
    X(LOG_MARKER, "log_marker")                                                \
    X(PREFIX_0, "prefix_0")                                                    \
    X(PREFIX_1, "prefix_1")                                                    \
    X(PREFIX_2, "prefix_2")                                                    \
    X(PREFIX_3, "prefix_3")                                                    \
    X(PREFIX_4, "prefix_4")                                                    \
    X(PREFIX_5, "prefix_5")                                                    \
    X(DIFF_ADD, "diff_add")                                                    \
    X(DIFF_DEL, "diff_del")                                                    \
    X(DIFF_HUNK, "diff_hunk")

typedef enum tui_slot {
#define TUI_SLOT_ENUM(id, name) SLOT_##id,
    TUI_SLOTS(TUI_SLOT_ENUM)
#undef TUI_SLOT_ENUM
        SLOT_COUNT
} tui_slot;
#define SLOT_PREFIX_COUNT 6

const char *theme_slot_name(tui_slot slot);
/* The curses attributes (colour pair included) of a slot in the theme in
 * use; A_NORMAL before any theme. */
attr_t theme_attr(tui_slot slot);
/* The slot of a run or stage state (STATE_*). */
tui_slot theme_state_slot(dapt_state state);
/*
 * Load theme NAME and make it current (init_pair for every slot; call
 * after start_color()).  Search: $XDG_CONFIG_HOME/dapt/themes/NAME.yaml,
 * then the system folder ($DAPT_THEME_SYSTEM_PATH, else
 * $(pkgdatadir)/themes); "default" and "mono" also exist built in.  With
 * fewer than 256 colours, colours are mapped to the nearest of 8; with
 * none (or NO_COLOR set, or `mono`), only attributes are used.  0, or -1
 * with *error ("FILE:LINE:COL: ..." for a bad file; the current theme is
 * kept).
 */
int theme_use(const char *name, char **error);
/* The current theme's name (borrowed). */
const char *theme_current(void);
/* The names of every theme found (built in, system, user), sorted, no
 * duplicates: a NULL-terminated array (caller frees with theme_names_free). */
char **theme_names(void);
void theme_names_free(char **names);

/* Reading a theme apart from applying it (no terminal needed: the unit
 * tests use these). */
typedef struct theme_style {
    short fg, bg; /* 0..255, or -1: the terminal's own colour */
    attr_t attrs; /* A_BOLD, A_DIM... (no colour pair) */
} theme_style;
typedef struct theme_def {
    char *name;        /* as asked for (theme_load), else the file's `name` */
    char *description; /* NULL when not given */
    bool mono;         /* attributes only (the theme `mono`) */
    theme_style slots[SLOT_COUNT];
} theme_def;
/* Parse a theme's text (`file` names it in errors); the slots it omits
 * take the built-in default theme's values.  0, or -1 with *error
 * "FILE:LINE:COL: unknown colour `bleu` (did you mean `blue`?)". */
int theme_parse(theme_def *out, const char *file, const char *text, size_t len, char **error);
/* Find theme NAME by the search order of theme_use, and parse it. */
int theme_load(theme_def *out, const char *name, char **error);
void theme_def_free(theme_def *t);
/* "default" (-1), "red", "bright-red", "208", "#ff8700" (the nearest of
 * the xterm palette's 16..255): 0..255 or -1; -2 when it is no colour. */
int theme_parse_colour(const char *text);
/* The nearest of the first n colours of the xterm palette. */
int theme_nearest(int colour, int n);
/* What each slot shows with `colours` colours (0: none; < 256: each mapped
 * to the nearest of 8; a mono theme: attributes only). */
void theme_resolve(const theme_def *t, int colours, theme_style *out);
/* Make t current: init_pair(slot + 1, ...) per slot, or attributes only
 * without colours. */
void theme_apply(const theme_def *t);

/* ================================================================== */
/* draw.c: text on the screen                                          */
/* ================================================================== */

/* Whether the terminal takes UTF-8 (the locale's codeset, and not
 * DAPT_ASCII=1); set by draw_init(). */
extern bool draw_utf8;
void draw_init(void);

/* Glyphs with an ASCII fallback. */
typedef enum tui_glyph {
    GLYPH_CRUMB,    /* › / > */
    GLYPH_ELLIPSIS, /* … / ~ (a clamped line or name) */
    GLYPH_BAR_FULL, /* █ / # */
    GLYPH_BAR_EMPTY,/* ░ / . */
    GLYPH_OK,       /* ✓ / + */
    GLYPH_FAIL,     /* ✗ / x */
    GLYPH_RUNNING,  /* ● / * */
    GLYPH_PENDING,  /* ○ / o */
    GLYPH_SKIPPED,  /* – / - */
    GLYPH_ARROW,    /* → / -> */
    GLYPH_VLINE,    /* │ / | */
    GLYPH_HLINE,    /* ─ / - */
    GLYPH_ERROR,    /* ● in the gutter / E */
    GLYPH_WARNING,  /* ▲ / W */
    GLYPH_DIRTY,    /* ± / * */
    GLYPH_COUNT
} tui_glyph;
const char *draw_glyph(tui_glyph g);

/* Display columns of UTF-8 text (invalid bytes and controls count 1). */
int draw_width(const char *text, size_t len);
/* Two columns that want *a and *b cells share `room`: when both do not
 * fit, neither takes more than it needs, and two wide ones get half. */
void draw_share(int room, int *a, int *b);
/* Byte length of the longest prefix of text that fits in `cols`. */
size_t draw_fit(const char *text, size_t len, int cols);
/* Put UTF-8 text at (y, x), at most `width` columns, in a slot's
 * attributes.  Controls show as ^X, invalid bytes as '?'.  Returns the
 * columns used. */
int draw_text(int y, int x, int width, tui_slot slot, const char *text, size_t len);
int draw_str(int y, int x, int width, tui_slot slot, const char *text);
int draw_printf(int y, int x, int width, tui_slot slot, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* As draw_text, but when it does not fit, end with GLYPH_ELLIPSIS. */
int draw_clamped(int y, int x, int width, tui_slot slot, const char *text, size_t len);
/* Spaces from (y, x), `width` columns, in a slot. */
void draw_fill(int y, int x, int width, tui_slot slot);
/* Fill a rectangle. */
void draw_clear(tui_rect r, tui_slot slot);
/* A box border around r (inside r), with an optional title. */
void draw_box(tui_rect r, tui_slot slot, const char *title);
/* Text with the bytes marked in `match` (byte offsets, sorted, `n` of
 * them) drawn in SLOT_MATCH: fuzzy matches and search hits. */
int draw_marked(int y, int x, int width, tui_slot slot, const char *text, size_t len,
                const size_t *match, size_t n);
/* "1.2s", "3m04s", "2h05m", "-" for < 0. */
const char *draw_duration(int64_t us, char *buf, size_t size);
/* "12:04:05" today, else "Nov 24 12:04" (local time). */
const char *draw_when(int64_t unix_us, char *buf, size_t size);

/* ================================================================== */
/* fuzzy.c: fuzzy matching for filters and completion                  */
/* ================================================================== */

/* The score of `pattern` as a case-insensitive subsequence of `text`:
 * higher is better (prefix, word starts after . _ - / and space, and
 * consecutive runs score more; an exact match most); -1 when it is not a
 * subsequence.  An empty pattern scores 0.  When `pos` is not NULL it
 * receives the byte offset in `text` of each pattern byte (room for
 * strlen(pattern)). */
int fuzzy_score(const char *pattern, const char *text, size_t *pos);
/* The same for callers that rank many texts: `lpat` (m bytes) and `ltext`
 * (n bytes, the lowercase copy of `text`) are already lowercase (ASCII;
 * other bytes compare as they are); no NUL needed. */
int fuzzy_score_prepared(const char *lpat, size_t m, const char *text, const char *ltext,
                         size_t n, size_t *pos);
/* What a ranking of many texts keeps of each, to skip most of them
 * cheaply: a bit per class of byte (a letter whatever its case, a digit,
 * `_`, `.`...) for the bytes of the text, for those that start a word
 * after a separator (or the text), for those that start one inside a word
 * (camelCase, a digit after a letter); a bit per hash of each pair of
 * adjacent bytes. */
typedef struct fuzzy_sig {
    uint64_t bytes;
    uint64_t starts;
    uint64_t humps;
    uint64_t pairs;
} fuzzy_sig;
void fuzzy_sign(fuzzy_sig *sig, const char *text, size_t n);
/* False when `text` cannot match `pattern` (it lacks one of its bytes). */
static inline bool fuzzy_may_match(const fuzzy_sig *pattern, const fuzzy_sig *text)
{
    return (text->bytes & pattern->bytes) == pattern->bytes;
}
/* The most `lpat` (m bytes, lowercase) can score against a text of n bytes
 * with that signature when it is not a prefix of it. */
int fuzzy_bound(const char *lpat, size_t m, size_t n, const fuzzy_sig *sig);

/* ================================================================== */
/* widget-list.c: a scrolling, filterable list                         */
/* ================================================================== */

typedef struct tui_list {
    size_t count;  /* rows in the model */
    size_t *shown; /* model rows passing the filter, in model order */
    size_t nshown;
    size_t sel;    /* index into shown */
    size_t top;    /* first shown row on screen */
    char *filter;  /* NULL: none */
} tui_list;

/* Draw one model row at (y, x), `w` wide. */
typedef void (*list_draw_fn)(void *data, size_t row, int y, int x, int w, bool selected);
/* The text a row is filtered on (borrowed). */
typedef const char *(*list_text_fn)(void *data, size_t row);

void list_init(tui_list *l);
void list_free(tui_list *l);
/* The model now has `count` rows: keeps the filter and, when it can, the
 * selected model row. */
void list_set_count(tui_list *l, size_t count, list_text_fn text, void *data);
/* Filter by a fuzzy pattern (NULL or "": everything). */
void list_filter(tui_list *l, const char *pattern, list_text_fn text, void *data);
/* UP DOWN PAGE_UP PAGE_DOWN TOP BOTTOM: true when handled. */
bool list_action(tui_list *l, tui_action a, int page);
/* The selected model row, or -1 when the list shows nothing. */
long list_selected(const tui_list *l);
/* Select a model row (when it is shown). */
void list_select(tui_list *l, size_t row);
/* Draw the visible rows in r (scrolling the selection into view);
 * "nothing here" (or `empty`) when empty. */
void list_draw(tui_list *l, tui_rect r, list_draw_fn draw, void *data, const char *empty);
/* A click on screen row y of a list drawn in r: 0 when no row is there,
 * 1 when it selected a row, 2 when the row was selected already (open it). */
int list_click(tui_list *l, tui_rect r, int y);

/* ================================================================== */
/* Views                                                               */
/* ================================================================== */

/* What a key or action handler returns. */
enum {
    TUI_IGNORED = 0, /* not mine: the keymap, then the app, try it */
    TUI_HANDLED = 1,
};

typedef struct tui_view_class {
    const char *name; /* its key scope ("editor"), and in crumbs when untitled */
    /* Draw into r (the body).  Required. */
    void (*draw)(tui_view *view, tui_rect r);
    /* A key before the keymap sees it: text entry in the editor, a
     * popup.  NULL: the keymap only. */
    int (*key)(tui_view *view, tui_key key);
    /* An action of the table (the view's scope or a global one). */
    int (*action)(tui_view *view, tui_action a);
    /* The `/` filter changed (NULL or "": cleared).  NULL: the view has
     * no filter, and `/` does nothing here. */
    void (*filter)(tui_view *view, const char *text);
    /* May this view close?  False: it has asked (e.g. unsaved edits) and
     * will call app_pop itself when the user agrees.  NULL: yes. */
    bool (*can_close)(tui_view *view);
    /* Something the view may show changed (see TUI_NOTIFY_*). */
    void (*notify)(tui_view *view, int what);
    /* Status for the right end of the crumbs line (borrowed until the
     * next call), or NULL. */
    const char *(*status)(tui_view *view);
    /* Hint keys for the footer: actions, ACTION_NONE-terminated
     * (static).  NULL: the generic ones. */
    const tui_action *(*hints)(tui_view *view);
    void (*free)(tui_view *view);
    /* A mouse click at screen cell (y, x) inside the body (mouse on):
     * select what is there; a second click on the selection opens it.
     * NULL: clicks do nothing here. */
    int (*click)(tui_view *view, int y, int x);
} tui_view_class;

enum {
    TUI_NOTIFY_RUNS = 1 << 0,     /* a run started, changed state or ended */
    TUI_NOTIFY_THEME = 1 << 1,    /* the theme changed */
    TUI_NOTIFY_FILES = 1 << 2,    /* workspace files changed (saved) */
    TUI_NOTIFY_REGISTRY = 1 << 3, /* the plugin catalog was reloaded */
    TUI_NOTIFY_RESIZE = 1 << 4,
    TUI_NOTIFY_TRIGGERS = 1 << 5, /* a rule fired, was enabled, reloaded; who leads */
};

/* The base of every view: a view's struct starts with it. */
struct tui_view {
    const tui_view_class *cls;
    tui_app *app;
    char *title; /* the crumb (owned; NULL: cls->name) */
};

/* ================================================================== */
/* run-model.c: a run the studio shows, live or from the run store      */
/* ================================================================== */

/* logring.c: a bounded buffer of log lines (the newest ones); line
 * numbers ("seq", from 1) are those of the run store, so a line that
 * left the ring is read back from there. */
typedef struct logring logring;
typedef struct log_entry {
    int64_t seq;
    int64_t ts_us;
    int stage;       /* index into run_model.stages; -1: the run itself */
    long item;       /* -1: not an item */
    uint8_t stream;  /* dapt_stream */
    uint8_t level;   /* dapt_log_level */
    bool clamped;    /* the text was cut at LOGRING_LINE_MAX bytes */
    const char *text;/* NUL-terminated; borrowed until the line leaves */
    uint32_t len;
} log_entry;
#define LOGRING_LINE_MAX 2048
logring *logring_new(size_t max_lines);
void logring_free(logring *r);
/* Append a line (text copied and clamped); its seq is the last seq + 1. */
void logring_append(logring *r, int64_t ts_us, int stage, long item, int stream, int level,
                    const char *text, size_t len);
int64_t logring_first(const logring *r); /* oldest seq kept (last+1 when empty) */
int64_t logring_last(const logring *r);  /* newest seq (0 when none) */
/* The line `seq`, or NULL when it is not (or no longer) in the ring. */
const log_entry *logring_get(const logring *r, int64_t seq);
/* Bytes held (for the memory benchmark and the bound). */
size_t logring_bytes(const logring *r);
/* (run helper, additive) The default bounds (logring_new(0)), a ring with
 * a byte budget too (0: default; texts are kept in 256 KB chunks, so at
 * least two), the lines held, and emptying it so that the next line
 * appended is `next_seq` (a stored run's tail starts past line 1). */
#define LOGRING_DEFAULT_LINES 100000
#define LOGRING_DEFAULT_BYTES (16 * 1024 * 1024)
logring *logring_new_bounded(size_t max_lines, size_t max_bytes);
size_t logring_count(const logring *r);
void logring_restart(logring *r, int64_t next_seq);

typedef struct run_stage {
    char *name;
    char *target;
    bool parameterized;
    dapt_state state;
    int attempts;
    int64_t started_us, finished_us; /* 0: not yet */
    dapt_items items;                /* parameterized: counts */
    char *error;
} run_stage;

typedef struct run_model run_model;
struct run_model {
    tui_app *app;
    char *id;
    char *workflow; /* its name */
    char *file;     /* the workflow file (may be NULL for a stored run) */
    dapt_state state;
    bool cancelling; /* asked to cancel, not yet over */
    int64_t started_us, finished_us;
    char *error;
    char *commit;   /* short commit id, or NULL */
    bool dirty;     /* the file had uncommitted changes */
    json_t *input;  /* the input it ran with (for rerun) */
    json_t *result; /* when finished */
    run_stage *stages;
    size_t nstages;
    logring *log;
    dapt_run *run;  /* the engine's run while live; NULL: stored */
    bool live;
    int refs;
    run_model *next; /* the app's list */
};
/* Start a run of a workflow file (validated first: *error names
 * FILE:LINE:COL), on the app's loop.  The model is in the app's list
 * (app->runs) and holds one reference for the caller. */
run_model *run_model_start(tui_app *app, const char *file, json_t *input, char **error);
/* A past run from the run store (by id or unique prefix), with the tail
 * of its log. */
run_model *run_model_load(tui_app *app, const char *id, char **error);
void run_model_cancel(run_model *m);
/* At exit: cancel what is live, wait (up to the grace period) for the
 * runs to close, and drop the app's list (app.c calls it once). */
void run_model_close_all(tui_app *app);
void run_model_ref(run_model *m);
void run_model_unref(run_model *m);
/* Lines seq .. seq+count-1 that left the ring, from the run store, into
 * out (array of log_entry-like JSON objects {seq, ts, stage, item, stream,
 * level, text}); 0 or -1. */
int run_model_older(run_model *m, int64_t seq, int count, json_t **out);
/* (run helper, additive) A line of run_model_older's array as a log_entry
 * (text borrowed from the JSON; clamped to LOGRING_LINE_MAX). */
void run_model_entry(run_model *m, const json_t *line, log_entry *out);

/* ================================================================== */
/* complete.c: what can be typed at a place of a workflow file         */
/* ================================================================== */

/* Every target of the catalog, prepared once for fast ranking. */
typedef struct complete_catalog complete_catalog;
complete_catalog *complete_catalog_new(const dapt_registry *reg);
/* Add one target (the registry's are added by _new; tests and the
 * benchmark add their own).  Strings are copied. */
void complete_catalog_add(complete_catalog *cat, const char *target, const char *detail,
                          const char *doc);
void complete_catalog_free(complete_catalog *cat);
/* Add a parameter to the target added last (offered as a key under that
 * stage's `args:`); detail: "integer = 2", "string (required)". */
void complete_catalog_add_param(complete_catalog *cat, const char *name, const char *detail,
                                const char *doc);
/* Targets in the catalog. */
size_t complete_catalog_count(const complete_catalog *cat);

typedef struct complete_item {
    char *text;    /* what accepting puts in place of [start, end) */
    char *label;   /* shown in the popup */
    char *detail;  /* beside it: a signature, a kind ("" when none) */
    char *doc;     /* the side preview (NULL when none) */
    int score;
    size_t *match; /* byte offsets in label that matched (highlight) */
    size_t nmatch;
} complete_item;

typedef struct complete_result {
    const char *context;  /* "target", "depends_on", "key", "type", ...; NULL: nothing */
    size_t start, end;    /* byte range of the line that accepting replaces */
    complete_item *items; /* best first */
    size_t count;
} complete_result;

/* The completions at byte `col` of line `line` (both from 0) of a
 * workflow text, at most `max` of them (0: 50).  The text need not parse
 * (it is being typed).  result->count is 0 when there is nothing to
 * offer.  Free with complete_result_free. */
void complete_at(complete_result *result, const complete_catalog *cat, const char *text,
                 size_t len, size_t line, size_t col, size_t max);
void complete_result_free(complete_result *result);

/* ================================================================== */
/* textbuf.c: the text being edited (lines, cursor, undo, search)      */
/* ================================================================== */

/* A place in the text: line from 0, byte offset in it (a character
 * boundary). */
typedef struct tb_pos {
    size_t line, col;
} tb_pos;
typedef enum tb_move {
    TB_LEFT, TB_RIGHT, TB_UP, TB_DOWN, TB_PAGE_UP, TB_PAGE_DOWN, /* by characters / lines */
    TB_HOME, /* the indentation, then the first column */
    TB_END, TB_WORD_LEFT, TB_WORD_RIGHT, TB_TOP, TB_BOTTOM,
} tb_move;
typedef struct textbuf textbuf;
/* The text (NULL: empty) split into lines; a final newline ends the last
 * line (and is written back), CRLF reads as LF.  Unmodified. */
textbuf *textbuf_new(const char *text, size_t len);
void textbuf_free(textbuf *tb);
size_t textbuf_count(const textbuf *tb); /* lines, at least 1 */
/* Line n (borrowed until the next change; NUL-terminated). */
const char *textbuf_line(const textbuf *tb, size_t n, size_t *len);
/* The whole text as a file holds it (caller frees). */
char *textbuf_text(const textbuf *tb, size_t *len);
/* Grows at every change of the text (to know when to recompute). */
unsigned long textbuf_version(const textbuf *tb);
tb_pos textbuf_cursor(const textbuf *tb);
void textbuf_set_cursor(textbuf *tb, size_t line, size_t col); /* clamped */
/* Display column of the cursor in its line. */
int textbuf_cursor_x(const textbuf *tb);
/* count: lines for TB_PAGE_* (and TB_UP/TB_DOWN), else ignored. */
void textbuf_move(textbuf *tb, tb_move m, size_t count);
/* Insert at the cursor (text may hold newlines); the cursor goes after.
 * One character at a time merges into one undo step. */
void textbuf_insert(textbuf *tb, const char *text, size_t len);
bool textbuf_backspace(textbuf *tb); /* false at the start of the text */
bool textbuf_delete(textbuf *tb);    /* false at the end */
/* Replace bytes [start, end) of a line by text: one undo step, the cursor
 * after the new text. */
void textbuf_replace(textbuf *tb, size_t line, size_t start, size_t end, const char *text,
                     size_t len);
/* Replace the whole text (read as textbuf_new reads it): one undo step,
 * the cursor at the top. */
void textbuf_set_text(textbuf *tb, const char *text, size_t len);
/* Edits between begin and end are one undo step (nestable). */
void textbuf_group_begin(textbuf *tb);
void textbuf_group_end(textbuf *tb);
bool textbuf_undo(textbuf *tb); /* false: nothing to undo */
bool textbuf_redo(textbuf *tb);
/* Changed since the last textbuf_mark_saved (undoing back to it is not a
 * change); textbuf_mark_unsaved: modified whatever happens until saved. */
bool textbuf_modified(const textbuf *tb);
void textbuf_mark_saved(textbuf *tb);
void textbuf_mark_unsaved(textbuf *tb);
/* The cursor's line into the cut buffer (after what it holds when
 * `append`), then removed (cut) or kept (copy).  Paste inserts the buffer
 * at the start of the cursor's line. */
void textbuf_cut_line(textbuf *tb, bool append);
void textbuf_copy_line(textbuf *tb, bool append);
bool textbuf_paste(textbuf *tb);
const char *textbuf_clip(const textbuf *tb, size_t *len);
/* The next match of pat (smart case: case-insensitive unless pat has an
 * upper-case letter) starting at `from` or after (backward: strictly
 * before), wrapping around the text (*wrapped tells). */
bool textbuf_find(const textbuf *tb, const char *pat, bool backward, tb_pos from, tb_pos *out,
                  bool *wrapped);
/* The first (or `last`) match of pat in s starting in [lo, hi): byte
 * offset, or -1.  Smart case as textbuf_find. */
long textbuf_match(const char *s, size_t len, const char *pat, size_t lo, size_t hi, bool last);
/* Display columns of UTF-8 text, and the byte offset where `cols`
 * columns end (tabs count 1, as draw_text shows them). */
int textbuf_width(const char *s, size_t len);
size_t textbuf_offset(const char *s, size_t len, int cols);

/* ================================================================== */
/* syntax.c: YAML colours, one line at a time                          */
/* ================================================================== */

/* What a line leaves open for the next: a block scalar (| or >), a
 * quoted string, flow collections. Zero-initialise for the first line. */
typedef struct syntax_state {
    int block;  /* in a block scalar: 1 + the least indentation of its content; 0: no */
    char quote; /* '"' or '\'': inside a quoted string; 0: no */
    int flow;   /* depth of [ { open */
} syntax_state;
/* Colour one line: slots[i] (SLOT_NORMAL or SLOT_SYN_*) for each byte;
 * *st is the state before the line and becomes the state after it. */
void syntax_line(syntax_state *st, const char *text, size_t len, unsigned char *slots);

/* ================================================================== */
/* app.c: the loop, the screen manager, header, footer, prompts        */
/* ================================================================== */

typedef struct tui_options {
    const char *workspace; /* -C DIR; NULL: $DAPT_WORKSPACE or "." */
    const char *theme;     /* --theme; NULL: DAPT_THEME, config, default */
    bool mouse;            /* --mouse (also ui.mouse: true in the config) */
    const char *edit;      /* open this file in the editor at start */
    const char *debug_log; /* -v: write a debug log here */
} tui_options;

struct tui_app {
    uv_loop_t *loop;
    char *workspace;          /* absolute */
    char *workspace_name;     /* its base name, for the header */
    dapt_registry *registry;  /* the plugin catalog (NULL if it failed) */
    json_t *settings;         /* dapt_settings_load() */
    store *store;             /* the run store for queries (NULL: none) */
    char *executor;           /* "local/processes (2)": for the header */
    char *branch;             /* git branch, or NULL */
    bool git_dirty;
    run_model *runs;          /* runs started or opened, newest first */
    complete_catalog *catalog;/* for the editor: built on first use */
    bool mouse;
    int rows, cols;
    /* The workspace's trigger rules at work (role "studio"), NULL when they
     * could not be started (triggers_error says why).  It borrows
     * `registry`: whoever replaces the catalog restarts it. */
    trigger_service *triggers;
    char *triggers_error;
    trigger_clock trigger_clock; /* the rules' clock (DAPT_CLOCK in tests) */
    /* private to app.c */
    struct app_private *priv;
};

/* The studio: returns the process exit status. */
int app_main(const tui_options *opts);

/* Views: push on top (the app owns it from now), pop the top one. */
void app_push(tui_app *app, tui_view *view);
void app_pop(tui_app *app);
/* The view on top. */
tui_view *app_top(tui_app *app);
/* Redraw at the next frame (coalesced). */
void app_invalidate(tui_app *app);
/* During draw: show the terminal cursor at (y, x) in this frame (the
 * editor, a prompt); otherwise it is hidden. */
void app_cursor(tui_app *app, int y, int x);
/* Tell every view that `what` (TUI_NOTIFY_*) changed, and redraw. */
void app_notify(tui_app *app, int what);
/* A message in the footer until the next key: MESSAGE, ERROR, WARNING
 * or OK slot. */
void app_message(tui_app *app, tui_slot slot, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ask yes/no in the footer; `yes` runs on y, nothing on anything else. */
typedef void (*app_yes_fn)(tui_app *app, void *data);
void app_confirm(tui_app *app, const char *question, app_yes_fn yes, void *data);
/* The same, with `no` run on any other answer (Esc included). */
void app_confirm_ex(tui_app *app, const char *question, app_yes_fn yes, app_yes_fn no,
                    void *data);
/* Do what a global action does (switch view, help, quit...): for `:`
 * commands and mouse clicks. */
void app_do(tui_app *app, tui_action a);
/* Quit, asking first when edits are unsaved or runs are in progress. */
void app_quit(tui_app *app);
/* Read a line in the footer; `done` gets the text, or NULL when the user
 * pressed Esc.  `complete` (optional) offers completions for Tab. */
typedef void (*app_prompt_fn)(tui_app *app, const char *text, void *data);
typedef char **(*app_complete_fn)(tui_app *app, const char *text, void *data);
void app_prompt(tui_app *app, const char *label, const char *initial, app_prompt_fn done,
                app_complete_fn complete, void *data);
/* A relative path in the workspace for display (borrowed from buf). */
const char *app_relpath(tui_app *app, const char *path, char *buf, size_t size);
/* Open a file in the editor (the open editor of that file if there is
 * one). */
void app_edit(tui_app *app, const char *path);
/* Run a workflow file and open its Run view: 0, or -1 with the reason
 * shown in the footer. */
int app_run_file(tui_app *app, const char *path, json_t *input);
/* Open a past run's Run view. */
int app_open_run(tui_app *app, const char *id);
/* Re-read git's branch and dirty state for the header (after a save). */
void app_refresh_git(tui_app *app);
/* Write to the debug log (-v), if any. */
void app_debug(tui_app *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ================================================================== */
/* cmdline.c: the `:` command line                                     */
/* ================================================================== */

/* Run a command line (":run etl" without the colon).  0, or -1 after
 * showing why. */
int cmdline_run(tui_app *app, const char *line);
/* Completions of a partial command line: NULL-terminated array of whole
 * lines (caller frees with cmdline_free_list). */
char **cmdline_complete(tui_app *app, const char *line);
void cmdline_free_list(char **list);
/* The commands with their help, one per line, for `?` (caller frees). */
char *cmdline_help_text(void);

/* ================================================================== */
/* vcs.c: the workspace's git from the studio (through dapt-git)       */
/* ================================================================== */

/* Validate the saved file `path` and commit it, after asking for the
 * message (a summary of the stage changes is offered).  The outcome is
 * shown in the footer; a file that does not validate is not committed. */
void vcs_apply(tui_app *app, const char *path);
/* The workflow exactly as run `id` ran it, in a text view; with `diff`,
 * its diff against the workflow file as it is now (or the open editor's
 * buffer). */
void vcs_show_definition(tui_app *app, const char *id, bool diff);
/* The text of the open editor of `path`, else of the file (caller frees;
 * NULL when neither exists). */
char *vcs_current_text(tui_app *app, const char *path);

/* ================================================================== */
/* The views (view-*.c): each returns a new view for app_push          */
/* ================================================================== */

/* Read-only text: a file version, a diff (`diff`: +/-/@@ lines coloured). */
tui_view *view_text_new(tui_app *app, const char *title, const char *text, bool diff);
/* The git history of a file: versions with their runs; Enter shows the
 * diff of a version against the buffer, `r` restores it into the editor
 * (unsaved), `v` shows it. */
tui_view *view_history_new(tui_app *app, const char *path);

tui_view *view_help_new(tui_app *app, const tui_view *of);
tui_view *view_workflows_new(tui_app *app);
tui_view *view_plugins_new(tui_app *app);
/* plugin: only that plugin's targets (NULL: all). */
tui_view *view_targets_new(tui_app *app, const char *plugin);
/* A target's short signature, "(n: integer, by?: integer = 2) -> integer"
 * (caller frees); view-target.c shows it too. */
char *view_targets_signature(const dapt_target_info *target);
tui_view *view_target_new(tui_app *app, const dapt_target_info *target);
/* A file in the editor; text (not NULL) opens an unsaved buffer with that
 * text for `path` (a bundled workflow copied to start from). */
tui_view *view_editor_new(tui_app *app, const char *path, const char *text);
/* The editor's file (borrowed), to find an open editor. */
const char *view_editor_path(const tui_view *view);
bool view_editor_modified(const tui_view *view);
/* `:w` and `:run` on the editor on top: save (0, or -1 after showing
 * why), save then run the file. */
int view_editor_save(tui_view *view);
/* input: the run's input (borrowed; NULL: none). */
int view_editor_run(tui_view *view, json_t *input);
/* The buffer's text (caller frees). */
char *view_editor_text(const tui_view *view);
/* Replace the whole buffer (one undoable edit; the buffer is then
 * modified unless the text is what was saved): restoring a version. */
void view_editor_replace(tui_view *view, const char *text);
/* The editor open on `path` (absolute), or NULL. */
tui_view *app_find_editor(tui_app *app, const char *path);
/* Takes its own reference on the model. */
tui_view *view_run_new(tui_app *app, run_model *model);
tui_view *view_runs_new(tui_app *app);
/* The trigger rules (app->triggers): NAME, TYPE, ENABLED, NEXT (a live
 * countdown), LAST FIRED, ACTION; `e` enables or disables, `f` fires
 * (asks first), Enter lists a rule's fires. */
tui_view *view_triggers_new(tui_app *app);
/* The latest fires of rule `name` (time, run, its state, error); Enter
 * opens a fire's run.  NULL after saying why (no such rule). */
tui_view *view_triggers_fires_new(tui_app *app, const char *name);
/* The names of the rules (NULL-terminated; free with cmdline_free_list). */
char **view_triggers_names(tui_app *app);

#endif /* DAPT_TUI_H */
