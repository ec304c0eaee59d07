/*
 * widget-list.c - a scrolling, filterable list.
 *
 * The list knows rows only by their index in the view's model: it keeps
 * which of them pass the filter (`shown`, in model order), which one is
 * selected and which one is at the top of the screen.  The view draws a
 * row and says what text a row is filtered on, through callbacks.
 *
 * The selection follows the model row, not its place: a new filter or a
 * model that grew or shrank keeps the same row selected when it is still
 * shown, else the row that now stands where it was.
 */
#include "config.h"

#include <string.h>

#include "tui.h"

void list_init(tui_list *l)
{
    memset(l, 0, sizeof *l);
}

void list_free(tui_list *l)
{
    free(l->shown);
    free(l->filter);
    memset(l, 0, sizeof *l);
}

/* Select model row `row` if shown, else the first shown row after it,
 * else the last one. */
static void select_near(tui_list *l, long row)
{
    l->sel = 0;
    if (l->nshown == 0 || row < 0)
        return;
    for (size_t i = 0; i < l->nshown; i++) {
        if (l->shown[i] >= (size_t)row) {
            l->sel = i;
            return;
        }
    }
    l->sel = l->nshown - 1;
}

/* Recompute `shown` for the current count and filter. */
static void refilter(tui_list *l, list_text_fn text, void *data)
{
    long prev = list_selected(l);
    free(l->shown);
    l->shown = xcalloc(l->count ? l->count : 1, sizeof *l->shown);
    l->nshown = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (l->filter == NULL || fuzzy_score(l->filter, text(data, i), NULL) >= 0)
            l->shown[l->nshown++] = i;
    }
    select_near(l, prev);
    if (l->top >= l->nshown)
        l->top = l->nshown ? l->nshown - 1 : 0;
}

void list_set_count(tui_list *l, size_t count, list_text_fn text, void *data)
{
    l->count = count;
    refilter(l, text, data);
}

void list_filter(tui_list *l, const char *pattern, list_text_fn text, void *data)
{
    char *p = pattern && *pattern ? xstrdup(pattern) : NULL;
    free(l->filter);
    l->filter = p;
    refilter(l, text, data);
}

bool list_action(tui_list *l, tui_action a, int page)
{
    size_t last = l->nshown ? l->nshown - 1 : 0;
    size_t step = page > 1 ? (size_t)page : 1;
    switch (a) {
    case ACTION_UP:
        if (l->sel > 0)
            l->sel--;
        return true;
    case ACTION_DOWN:
        if (l->sel < last)
            l->sel++;
        return true;
    case ACTION_PAGE_UP:
        /* the page moves with the selection, as in a pager */
        l->sel = l->sel > step ? l->sel - step : 0;
        l->top = l->top > step ? l->top - step : 0;
        return true;
    case ACTION_PAGE_DOWN:
        l->sel = l->sel + step < last ? l->sel + step : last;
        l->top += step;
        if (l->top > last)
            l->top = last;
        return true;
    case ACTION_TOP:
        l->sel = l->top = 0;
        return true;
    case ACTION_BOTTOM:
        l->sel = last;
        return true;
    default:
        return false;
    }
}

long list_selected(const tui_list *l)
{
    return l->nshown && l->sel < l->nshown ? (long)l->shown[l->sel] : -1;
}

void list_select(tui_list *l, size_t row)
{
    for (size_t i = 0; i < l->nshown; i++) {
        if (l->shown[i] == row) {
            l->sel = i;
            return;
        }
    }
}

void list_draw(tui_list *l, tui_rect r, list_draw_fn draw, void *data, const char *empty)
{
    if (r.h <= 0 || r.w <= 0)
        return;
    if (l->nshown == 0) {
        const char *what = empty ? empty : "nothing here";
        if (l->filter)
            draw_printf(r.y, r.x, r.w, SLOT_DIM, "nothing matches `%s`", l->filter);
        else
            draw_str(r.y, r.x, r.w, SLOT_DIM, what);
        return;
    }
    size_t h = (size_t)r.h;
    if (l->sel >= l->nshown)
        l->sel = l->nshown - 1;
    /* no empty rows below the last while rows above are hidden */
    if (l->top + h > l->nshown)
        l->top = l->nshown > h ? l->nshown - h : 0;
    if (l->sel < l->top)
        l->top = l->sel;
    if (l->sel >= l->top + h)
        l->top = l->sel - h + 1;
    for (size_t i = 0; i < h && l->top + i < l->nshown; i++)
        draw(data, l->shown[l->top + i], r.y + (int)i, r.x, r.w, l->top + i == l->sel);
}

int list_click(tui_list *l, tui_rect r, int y)
{
    if (y < r.y || y >= r.y + r.h)
        return 0;
    size_t i = l->top + (size_t)(y - r.y);
    if (i >= l->nshown)
        return 0;
    bool again = i == l->sel;
    l->sel = i;
    return again ? 2 : 1;
}
