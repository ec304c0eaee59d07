/*
 * view-text.c - read-only text: a version of a file, the workflow as a
 * run ran it, a diff.  `/` searches (matches highlighted, the view jumps
 * to the first; n the next), arrows scroll both ways.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tui.h"

typedef struct view_text {
    tui_view base;
    char *text;
    char **lines; /* into text */
    size_t *lens;
    size_t nlines;
    size_t top;
    int left;     /* first column shown */
    int height;   /* of the last draw */
    bool diff;
    char *search;
    size_t found; /* line of the current match */
} view_text;

static tui_slot line_slot(const view_text *t, const char *line, size_t len)
{
    if (!t->diff || len == 0)
        return SLOT_NORMAL;
    if (len >= 3 && (strncmp(line, "+++", 3) == 0 || strncmp(line, "---", 3) == 0))
        return SLOT_TITLE;
    if (line[0] == '+')
        return SLOT_DIFF_ADD;
    if (line[0] == '-')
        return SLOT_DIFF_DEL;
    if (len >= 2 && strncmp(line, "@@", 2) == 0)
        return SLOT_DIFF_HUNK;
    return SLOT_NORMAL;
}

/* Case-insensitive search of `pat` in a line: its offset or -1. */
static long find_in(const char *line, size_t len, const char *pat)
{
    size_t n = strlen(pat);
    for (size_t i = 0; n && i + n <= len; i++)
        if (strncasecmp(line + i, pat, n) == 0)
            return (long)i;
    return -1;
}

static void text_draw(tui_view *view, tui_rect r)
{
    view_text *t = (view_text *)view;
    t->height = r.h;
    int numw = 1;
    for (size_t n = t->nlines; n >= 10; n /= 10)
        numw++;
    for (int i = 0; i < r.h; i++) {
        size_t ln = t->top + (size_t)i;
        if (ln >= t->nlines)
            break;
        const char *line = t->lines[ln];
        size_t len = t->lens[ln];
        draw_printf(r.y + i, r.x, numw + 1, SLOT_LINE_NUMBER, "%*zu ", numw, ln + 1);
        size_t skip = draw_fit(line, len, t->left);
        int x = r.x + numw + 2, w = r.w - numw - 2;
        long at = t->search ? find_in(line + skip, len - skip, t->search) : -1;
        if (at >= 0) {
            size_t m[256], nm = 0, sl = strlen(t->search);
            for (size_t k = 0; k < sl && nm < 256; k++)
                m[nm++] = (size_t)at + k;
            draw_marked(r.y + i, x, w, line_slot(t, line, len), line + skip, len - skip, m, nm);
        } else {
            draw_text(r.y + i, x, w, line_slot(t, line, len), line + skip, len - skip);
        }
    }
}

static void go_match(view_text *t, size_t from, bool forward)
{
    if (t->search == NULL || t->nlines == 0)
        return;
    for (size_t k = 0; k < t->nlines; k++) {
        size_t ln = forward ? (from + k) % t->nlines : (from + t->nlines - k) % t->nlines;
        if (find_in(t->lines[ln], t->lens[ln], t->search) >= 0) {
            t->found = ln;
            t->top = ln > 2 ? ln - 2 : 0;
            return;
        }
    }
    app_message(t->base.app, SLOT_WARNING, "no `%s` here", t->search);
}

static int text_action(tui_view *view, tui_action a)
{
    view_text *t = (view_text *)view;
    size_t page = t->height > 1 ? (size_t)t->height - 1 : 1;
    size_t last = t->nlines > (size_t)t->height ? t->nlines - (size_t)t->height : 0;
    switch (a) {
    case ACTION_UP:
        if (t->top)
            t->top--;
        break;
    case ACTION_DOWN:
        if (t->top < last)
            t->top++;
        break;
    case ACTION_PAGE_UP:
        t->top = t->top > page ? t->top - page : 0;
        break;
    case ACTION_PAGE_DOWN:
        t->top = t->top + page < last ? t->top + page : last;
        break;
    case ACTION_TOP:
        t->top = 0;
        break;
    case ACTION_BOTTOM:
        t->top = last;
        break;
    case ACTION_LEFT:
        t->left = t->left > 8 ? t->left - 8 : 0;
        break;
    case ACTION_RIGHT:
        t->left += 8;
        break;
    case ACTION_TEXT_SEARCH_NEXT:
        go_match(t, t->found + 1, true);
        break;
    default:
        return TUI_IGNORED;
    }
    app_invalidate(view->app);
    return TUI_HANDLED;
}

static void text_filter(tui_view *view, const char *text)
{
    view_text *t = (view_text *)view;
    free(t->search);
    t->search = text && *text ? xstrdup(text) : NULL;
    if (t->search)
        go_match(t, t->top, true);
    app_invalidate(view->app);
}

static const char *text_status(tui_view *view)
{
    view_text *t = (view_text *)view;
    static char buf[64];
    snprintf(buf, sizeof buf, "%zu lines", t->nlines);
    return buf;
}

static void text_free(tui_view *view)
{
    view_text *t = (view_text *)view;
    free(t->text);
    free(t->lines);
    free(t->lens);
    free(t->search);
    free(view->title);
    free(t);
}

static const tui_action text_hints[] = {
    ACTION_FILTER, ACTION_TEXT_SEARCH_NEXT, ACTION_PAGE_DOWN, ACTION_BACK, ACTION_NONE,
};

static const tui_action *hints(tui_view *view)
{
    (void)view;
    return text_hints;
}

static const tui_view_class view_text_class = {
    .name = "text",
    .draw = text_draw,
    .action = text_action,
    .filter = text_filter,
    .status = text_status,
    .hints = hints,
    .free = text_free,
};

tui_view *view_text_new(tui_app *app, const char *title, const char *text, bool diff)
{
    view_text *t = xcalloc(1, sizeof *t);
    t->base.cls = &view_text_class;
    t->base.app = app;
    t->base.title = xstrdup(title);
    t->text = xstrdup(text);
    t->diff = diff;
    size_t cap = 64;
    t->lines = xcalloc(cap, sizeof *t->lines);
    t->lens = xcalloc(cap, sizeof *t->lens);
    for (char *p = t->text; *p;) {
        char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (t->nlines == cap) {
            cap *= 2;
            t->lines = xrealloc(t->lines, cap, sizeof *t->lines);
            t->lens = xrealloc(t->lens, cap, sizeof *t->lens);
        }
        t->lines[t->nlines] = p;
        t->lens[t->nlines++] = len;
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return &t->base;
}
