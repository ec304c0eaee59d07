/*
 * test-list.c - unit tests of tui/widget-list.c: filtering (through the
 * real fuzzy matcher), the selection kept across filters and model
 * changes, paging, bounds, scrolling in list_draw, and the empty list
 * (drawn on a curses screen that writes to /dev/null, read back).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui.h"

static const char *const names[] = {
    "dapt.echo",        "dapt.sleep",       "dapt.shell",         "cities.stages.weather",
    "cities.citylist",  "cities.report",    "dapt.numbers.sum",   "dapt.fail",
    "dapt.objects.put", "dapt.objects.get", "cities.model.train", "dapt.map",
};
#define NNAMES (sizeof names / sizeof names[0])

typedef struct model {
    const char *const *rows;
    size_t count;
} model;

static const char *row_text(void *data, size_t row)
{
    model *m = data;
    assert_true(row < m->count);
    return m->rows[row];
}

static model all = {names, NNAMES};

static void test_empty(void **state)
{
    (void)state;
    tui_list l;
    list_init(&l);
    assert_int_equal(list_selected(&l), -1);
    list_set_count(&l, 0, row_text, &all);
    assert_int_equal(l.nshown, 0);
    assert_int_equal(list_selected(&l), -1);
    /* moving in nothing is handled and stays nothing */
    assert_true(list_action(&l, ACTION_DOWN, 10));
    assert_true(list_action(&l, ACTION_PAGE_DOWN, 10));
    assert_true(list_action(&l, ACTION_BOTTOM, 10));
    assert_true(list_action(&l, ACTION_UP, 10));
    assert_int_equal(list_selected(&l), -1);
    assert_false(list_action(&l, ACTION_OPEN, 10));
    list_filter(&l, "x", row_text, &all);
    assert_int_equal(list_selected(&l), -1);
    list_free(&l);
}

static void test_filter(void **state)
{
    (void)state;
    tui_list l;
    list_init(&l);
    list_set_count(&l, NNAMES, row_text, &all);
    assert_int_equal(l.nshown, NNAMES);
    assert_int_equal(list_selected(&l), 0);
    assert_null(l.filter);

    /* fuzzy: a subsequence, case-insensitive, in model order */
    list_filter(&l, "dsh", row_text, &all);
    assert_string_equal(l.filter, "dsh");
    assert_int_equal(l.nshown, 1);
    assert_int_equal(l.shown[0], 2); /* dapt.shell */
    list_filter(&l, "CIT", row_text, &all);
    assert_int_equal(l.nshown, 4);
    size_t want[] = {3, 4, 5, 10};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(l.shown[i], want[i]);
    list_filter(&l, "zzz", row_text, &all);
    assert_int_equal(l.nshown, 0);
    assert_int_equal(list_selected(&l), -1);
    /* "" and NULL: everything */
    list_filter(&l, "", row_text, &all);
    assert_null(l.filter);
    assert_int_equal(l.nshown, NNAMES);
    list_filter(&l, "obj", row_text, &all);
    list_filter(&l, NULL, row_text, &all);
    assert_int_equal(l.nshown, NNAMES);
    list_free(&l);
}

static void test_selection_kept(void **state)
{
    (void)state;
    tui_list l;
    list_init(&l);
    list_set_count(&l, NNAMES, row_text, &all);
    list_select(&l, 5); /* cities.report */
    assert_int_equal(list_selected(&l), 5);
    /* still shown: still selected */
    list_filter(&l, "cities", row_text, &all);
    assert_int_equal(list_selected(&l), 5);
    assert_int_equal(l.sel, 2);
    list_filter(&l, NULL, row_text, &all);
    assert_int_equal(list_selected(&l), 5);
    assert_int_equal(l.sel, 5);
    /* filtered out: the row after it */
    list_filter(&l, "dapt", row_text, &all);
    assert_int_equal(list_selected(&l), 6);
    /* nothing after it: the last */
    list_filter(&l, NULL, row_text, &all);
    list_select(&l, 11);
    list_filter(&l, "cities", row_text, &all);
    assert_int_equal(list_selected(&l), 10);
    /* selecting a row the filter hides does nothing */
    list_select(&l, 0);
    assert_int_equal(list_selected(&l), 10);

    /* the model grows: the filter stays, the row stays */
    list_filter(&l, "dapt.o", row_text, &all);
    list_select(&l, 9);
    model fewer = {names, 9};
    list_set_count(&l, 9, row_text, &fewer);
    assert_string_equal(l.filter, "dapt.o");
    assert_int_equal(list_selected(&l), 8); /* 9 is gone: the last shown */
    list_set_count(&l, NNAMES, row_text, &all);
    assert_int_equal(list_selected(&l), 8);
    assert_int_equal(l.nshown, 3); /* dapt.echo has an o too */
    /* shrinks to nothing, then comes back: from the first */
    list_set_count(&l, 0, row_text, &all);
    assert_int_equal(list_selected(&l), -1);
    list_set_count(&l, NNAMES, row_text, &all);
    assert_int_equal(list_selected(&l), 0);
    list_free(&l);
}

static void test_moves(void **state)
{
    (void)state;
    tui_list l;
    list_init(&l);
    list_set_count(&l, NNAMES, row_text, &all);
    assert_true(list_action(&l, ACTION_UP, 5));
    assert_int_equal(l.sel, 0);
    assert_true(list_action(&l, ACTION_DOWN, 5));
    assert_int_equal(l.sel, 1);
    assert_true(list_action(&l, ACTION_PAGE_DOWN, 5));
    assert_int_equal(l.sel, 6);
    assert_int_equal(l.top, 5);
    assert_true(list_action(&l, ACTION_PAGE_DOWN, 5));
    assert_int_equal(l.sel, 11);
    assert_true(list_action(&l, ACTION_PAGE_DOWN, 5)); /* stops at the end */
    assert_int_equal(l.sel, 11);
    assert_true(list_action(&l, ACTION_DOWN, 5));
    assert_int_equal(l.sel, 11);
    assert_true(list_action(&l, ACTION_PAGE_UP, 5));
    assert_int_equal(l.sel, 6);
    assert_true(list_action(&l, ACTION_PAGE_UP, 5));
    assert_true(list_action(&l, ACTION_PAGE_UP, 5));
    assert_int_equal(l.sel, 0);
    assert_int_equal(l.top, 0);
    assert_true(list_action(&l, ACTION_BOTTOM, 5));
    assert_int_equal(list_selected(&l), 11);
    assert_true(list_action(&l, ACTION_TOP, 5));
    assert_int_equal(list_selected(&l), 0);
    /* a page of 0 (a tiny screen) still moves by one */
    assert_true(list_action(&l, ACTION_PAGE_DOWN, 0));
    assert_int_equal(l.sel, 1);
    assert_false(list_action(&l, ACTION_LEFT, 5));
    list_free(&l);
}

/* What list_draw asked to draw: rows and places. */
typedef struct drawn {
    size_t rows[32];
    int ys[32];
    size_t n;
    long selected;
} drawn;

static void record(void *data, size_t row, int y, int x, int w, bool selected)
{
    drawn *d = data;
    assert_int_equal(x, 2);
    assert_int_equal(w, 30);
    d->rows[d->n] = row;
    d->ys[d->n++] = y;
    if (selected)
        d->selected = (long)row;
}

static drawn draw_list(tui_list *l, int h)
{
    drawn d = {.selected = -1};
    list_draw(l, (tui_rect){.y = 3, .x = 2, .h = h, .w = 30}, record, &d, NULL);
    return d;
}

static void test_draw_scrolls(void **state)
{
    (void)state;
    tui_list l;
    list_init(&l);
    list_set_count(&l, NNAMES, row_text, &all);
    drawn d = draw_list(&l, 4);
    assert_int_equal(d.n, 4);
    assert_int_equal(d.rows[0], 0);
    assert_int_equal(d.ys[0], 3);
    assert_int_equal(d.ys[3], 6);
    assert_int_equal(d.selected, 0);
    /* down past the bottom: scrolls by one */
    for (int i = 0; i < 4; i++)
        list_action(&l, ACTION_DOWN, 4);
    d = draw_list(&l, 4);
    assert_int_equal(d.rows[0], 1);
    assert_int_equal(d.rows[3], 4);
    assert_int_equal(d.selected, 4);
    list_action(&l, ACTION_BOTTOM, 4);
    d = draw_list(&l, 4);
    assert_int_equal(d.rows[0], 8);
    assert_int_equal(d.selected, 11);
    list_action(&l, ACTION_TOP, 4);
    d = draw_list(&l, 4);
    assert_int_equal(d.rows[0], 0);
    /* a taller screen than rows: all rows, from the first */
    list_action(&l, ACTION_BOTTOM, 4);
    draw_list(&l, 4);
    d = draw_list(&l, 20);
    assert_int_equal(d.n, NNAMES);
    assert_int_equal(d.rows[0], 0);
    /* filtered rows only, the selection among them */
    list_filter(&l, "cities", row_text, &all);
    d = draw_list(&l, 20);
    assert_int_equal(d.n, 4);
    assert_int_equal(d.rows[3], 10);
    /* nothing drawn in no room */
    d = draw_list(&l, 0);
    assert_int_equal(d.n, 0);
    list_free(&l);
}

/* The row of the screen at y, trailing blanks cut. */
static const char *screen_row(int y, char *buf, int size)
{
    mvinnstr(y, 0, buf, size - 1);
    int n = (int)strlen(buf);
    while (n > 0 && buf[n - 1] == ' ')
        buf[--n] = '\0';
    return buf;
}

static void test_draw_empty(void **state)
{
    (void)state;
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    assert_non_null(out);
    SCREEN *scr = newterm("vt100", out, in);
    if (scr == NULL) {
        fclose(out);
        fclose(in);
        skip();
    }
    draw_init();
    tui_list l;
    list_init(&l);
    char buf[81];
    list_set_count(&l, 0, row_text, &all);
    list_draw(&l, (tui_rect){.y = 2, .x = 1, .h = 5, .w = 40}, record, NULL, "no plugins");
    assert_string_equal(screen_row(2, buf, sizeof buf), " no plugins");
    erase();
    list_draw(&l, (tui_rect){.y = 2, .x = 1, .h = 5, .w = 40}, record, NULL, NULL);
    assert_string_equal(screen_row(2, buf, sizeof buf), " nothing here");
    erase();
    list_set_count(&l, NNAMES, row_text, &all);
    list_filter(&l, "qqq", row_text, &all);
    list_draw(&l, (tui_rect){.y = 2, .x = 1, .h = 5, .w = 40}, record, NULL, "no plugins");
    assert_string_equal(screen_row(2, buf, sizeof buf), " nothing matches `qqq`");
    list_free(&l);
    endwin();
    delscreen(scr);
    fclose(out);
    fclose(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),          cmocka_unit_test(test_filter),
        cmocka_unit_test(test_selection_kept), cmocka_unit_test(test_moves),
        cmocka_unit_test(test_draw_scrolls),   cmocka_unit_test(test_draw_empty),
    };
    return cmocka_run_group_tests_name("list", tests, NULL, NULL);
}
