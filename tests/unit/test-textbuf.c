/*
 * test-textbuf.c - unit tests of tui/textbuf.c: lines, cursor moves by
 * characters and words, edits, undo/redo grouping, "modified" relative to
 * the last save, line cut/copy/paste and search.
 */
#include "config.h"

#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui.h"

/* The whole text, compared and freed. */
static void assert_text(const textbuf *tb, const char *want)
{
    size_t len;
    char *text = textbuf_text(tb, &len);
    assert_string_equal(text, want);
    assert_int_equal(len, strlen(want));
    free(text);
}

static void assert_cursor(const textbuf *tb, size_t line, size_t col)
{
    tb_pos p = textbuf_cursor(tb);
    assert_int_equal(p.line, line);
    assert_int_equal(p.col, col);
}

static void type(textbuf *tb, const char *s)
{
    while (*s) {
        size_t n = 1;
        while ((s[n] & 0xc0) == 0x80)
            n++;
        textbuf_insert(tb, s, n);
        s += n;
    }
}

static void test_lines(void **state)
{
    (void)state;
    textbuf *tb = textbuf_new("a: 1\nb: 2\n", 10);
    assert_int_equal(textbuf_count(tb), 2);
    size_t len;
    assert_string_equal(textbuf_line(tb, 1, &len), "b: 2");
    assert_int_equal(len, 4);
    assert_text(tb, "a: 1\nb: 2\n");
    assert_false(textbuf_modified(tb));
    textbuf_free(tb);

    /* No final newline: none is added back. */
    tb = textbuf_new("x\ny", 3);
    assert_int_equal(textbuf_count(tb), 2);
    assert_text(tb, "x\ny");
    textbuf_free(tb);

    /* CRLF reads as LF; empty text is one empty line. */
    tb = textbuf_new("x\r\ny\r\n", 6);
    assert_text(tb, "x\ny\n");
    textbuf_free(tb);
    tb = textbuf_new(NULL, 0);
    assert_int_equal(textbuf_count(tb), 1);
    assert_text(tb, "");
    type(tb, "k");
    assert_text(tb, "k\n");
    textbuf_free(tb);
}

static void test_moves_utf8(void **state)
{
    (void)state;
    /* "é" is 2 bytes, "日" 3 bytes and 2 columns wide. */
    const char *text = "aé日b\nxy\n";
    textbuf *tb = textbuf_new(text, strlen(text));
    textbuf_move(tb, TB_RIGHT, 1);
    assert_cursor(tb, 0, 1);
    textbuf_move(tb, TB_RIGHT, 1);
    assert_cursor(tb, 0, 3);
    textbuf_move(tb, TB_RIGHT, 1);
    assert_cursor(tb, 0, 6);
    assert_int_equal(textbuf_cursor_x(tb), 4);
    textbuf_move(tb, TB_LEFT, 1);
    assert_cursor(tb, 0, 3);
    textbuf_move(tb, TB_END, 0);
    assert_cursor(tb, 0, 7);
    /* Right at the end of a line goes to the next one, left comes back. */
    textbuf_move(tb, TB_RIGHT, 1);
    assert_cursor(tb, 1, 0);
    textbuf_move(tb, TB_LEFT, 1);
    assert_cursor(tb, 0, 7);
    /* Down keeps the goal column: from column 5 to the end of "xy", and up
     * again to column 5. */
    textbuf_move(tb, TB_DOWN, 1);
    assert_cursor(tb, 1, 2);
    textbuf_move(tb, TB_UP, 1);
    assert_cursor(tb, 0, 7);
    /* Up on the first line goes to its start, down on the last to its end. */
    textbuf_move(tb, TB_UP, 1);
    assert_cursor(tb, 0, 0);
    textbuf_move(tb, TB_BOTTOM, 0);
    assert_cursor(tb, 1, 2);
    /* The cursor never lands inside a character. */
    textbuf_set_cursor(tb, 0, 2);
    assert_cursor(tb, 0, 1);
    textbuf_set_cursor(tb, 99, 0);
    assert_cursor(tb, 1, 2);
    textbuf_free(tb);
}

static void test_words_home(void **state)
{
    (void)state;
    const char *text = "    target: core.read_csv # x\n";
    textbuf *tb = textbuf_new(text, strlen(text));
    textbuf_move(tb, TB_WORD_RIGHT, 0);
    assert_cursor(tb, 0, 10);
    textbuf_move(tb, TB_WORD_RIGHT, 0);
    assert_cursor(tb, 0, 16);
    textbuf_move(tb, TB_WORD_RIGHT, 0);
    assert_cursor(tb, 0, 25);
    textbuf_move(tb, TB_WORD_LEFT, 0);
    assert_cursor(tb, 0, 17);
    textbuf_move(tb, TB_WORD_LEFT, 0);
    assert_cursor(tb, 0, 12);
    /* Home: the indentation first, then the first column, then back. */
    textbuf_move(tb, TB_HOME, 0);
    assert_cursor(tb, 0, 4);
    textbuf_move(tb, TB_HOME, 0);
    assert_cursor(tb, 0, 0);
    textbuf_move(tb, TB_HOME, 0);
    assert_cursor(tb, 0, 4);
    textbuf_free(tb);
}

static void test_edit(void **state)
{
    (void)state;
    textbuf *tb = textbuf_new("ab\ncd\n", 6);
    textbuf_set_cursor(tb, 0, 1);
    textbuf_insert(tb, "X\nY", 3);
    assert_text(tb, "aX\nYb\ncd\n");
    assert_cursor(tb, 1, 1);
    assert_true(textbuf_modified(tb));
    /* Backspace at the start of a line joins it to the one above. */
    textbuf_set_cursor(tb, 1, 0);
    assert_true(textbuf_backspace(tb));
    assert_text(tb, "aXYb\ncd\n");
    assert_cursor(tb, 0, 2);
    /* Delete at the end of a line joins the next one. */
    textbuf_move(tb, TB_END, 0);
    assert_true(textbuf_delete(tb));
    assert_text(tb, "aXYbcd\n");
    textbuf_move(tb, TB_BOTTOM, 0);
    assert_false(textbuf_delete(tb));
    textbuf_move(tb, TB_TOP, 0);
    assert_false(textbuf_backspace(tb));
    /* Backspace removes a whole character. */
    textbuf_move(tb, TB_END, 0);
    type(tb, "é");
    assert_true(textbuf_backspace(tb));
    assert_text(tb, "aXYbcd\n");
    /* Replace a range of a line (a completion). */
    textbuf_replace(tb, 0, 1, 4, "core.x", 6);
    assert_text(tb, "acore.xcd\n");
    assert_cursor(tb, 0, 7);
    assert_true(textbuf_undo(tb));
    assert_text(tb, "aXYbcd\n");
    textbuf_free(tb);
}

static void test_undo_grouping(void **state)
{
    (void)state;
    textbuf *tb = textbuf_new("x\n", 2);
    textbuf_move(tb, TB_END, 0);
    type(tb, " hello");
    /* A move ends the typing step. */
    textbuf_move(tb, TB_HOME, 0);
    textbuf_move(tb, TB_END, 0);
    type(tb, " world");
    assert_text(tb, "x hello world\n");
    assert_true(textbuf_undo(tb));
    assert_text(tb, "x hello\n");
    assert_cursor(tb, 0, 7);
    assert_true(textbuf_undo(tb));
    assert_text(tb, "x\n");
    assert_false(textbuf_undo(tb));
    assert_true(textbuf_redo(tb));
    assert_text(tb, "x hello\n");
    assert_cursor(tb, 0, 7);
    assert_true(textbuf_redo(tb));
    assert_text(tb, "x hello world\n");
    assert_false(textbuf_redo(tb));

    /* Consecutive backspaces are one step; typing after them another. */
    textbuf_backspace(tb);
    textbuf_backspace(tb);
    type(tb, "LD");
    assert_text(tb, "x hello worLD\n");
    assert_true(textbuf_undo(tb));
    assert_text(tb, "x hello wor\n");
    assert_true(textbuf_undo(tb));
    assert_text(tb, "x hello world\n");

    /* A new edit after an undo drops the redo. */
    assert_true(textbuf_undo(tb));
    type(tb, "!");
    assert_false(textbuf_redo(tb));

    /* An explicit group: a newline and its indentation are one step. */
    textbuf_group_begin(tb);
    textbuf_insert(tb, "\n", 1);
    type(tb, "  ");
    textbuf_group_end(tb);
    assert_text(tb, "x hello!\n  \n");
    assert_true(textbuf_undo(tb));
    assert_text(tb, "x hello!\n");
    textbuf_free(tb);
}

static void test_modified(void **state)
{
    (void)state;
    textbuf *tb = textbuf_new("a\n", 2);
    assert_false(textbuf_modified(tb));
    type(tb, "b");
    assert_true(textbuf_modified(tb));
    textbuf_undo(tb);
    assert_false(textbuf_modified(tb));
    textbuf_redo(tb);
    assert_true(textbuf_modified(tb));
    textbuf_mark_saved(tb);
    assert_false(textbuf_modified(tb));
    /* Typing right after a save starts a new step: undo comes back to the
     * saved text, which is unmodified. */
    type(tb, "c");
    assert_true(textbuf_modified(tb));
    textbuf_undo(tb);
    assert_false(textbuf_modified(tb));
    assert_text(tb, "ba\n");
    /* Undoing past the save is a change too. */
    textbuf_undo(tb);
    assert_true(textbuf_modified(tb));
    assert_text(tb, "a\n");
    /* A new edit there: the saved state is gone from history. */
    type(tb, "z");
    textbuf_undo(tb);
    assert_true(textbuf_modified(tb));
    textbuf_free(tb);

    /* A buffer that was never saved is modified until it is. */
    tb = textbuf_new("new\n", 4);
    textbuf_mark_unsaved(tb);
    assert_true(textbuf_modified(tb));
    textbuf_mark_saved(tb);
    assert_false(textbuf_modified(tb));
    textbuf_free(tb);
}

static void test_cut_paste(void **state)
{
    (void)state;
    const char *text = "one\ntwo\nthree\nfour\n";
    textbuf *tb = textbuf_new(text, strlen(text));
    textbuf_set_cursor(tb, 1, 1);
    textbuf_cut_line(tb, false);
    textbuf_cut_line(tb, true);
    assert_text(tb, "one\nfour\n");
    assert_cursor(tb, 1, 0);
    size_t len;
    assert_string_equal(textbuf_clip(tb, &len), "two\nthree\n");
    /* Paste goes at the start of the cursor's line. */
    textbuf_move(tb, TB_TOP, 0);
    assert_true(textbuf_paste(tb));
    assert_text(tb, "two\nthree\none\nfour\n");
    assert_cursor(tb, 2, 0);
    /* Cutting the last line, then the only one. */
    textbuf_move(tb, TB_BOTTOM, 0);
    textbuf_cut_line(tb, false);
    assert_text(tb, "two\nthree\none\n");
    assert_string_equal(textbuf_clip(tb, &len), "four\n");
    textbuf_copy_line(tb, false);
    assert_string_equal(textbuf_clip(tb, &len), "one\n");
    /* Each cut is a step (the copy is none). */
    for (int i = 0; i < 4; i++)
        assert_true(textbuf_undo(tb));
    assert_text(tb, text);
    textbuf_free(tb);

    tb = textbuf_new("solo\n", 5);
    textbuf_cut_line(tb, false);
    assert_text(tb, "");
    assert_int_equal(textbuf_count(tb), 1);
    textbuf_paste(tb);
    textbuf_paste(tb);
    assert_text(tb, "solo\nsolo\n\n");
    textbuf_free(tb);
}

static void test_search(void **state)
{
    (void)state;
    const char *text = "alpha beta\nGamma alpha\ndelta\n";
    textbuf *tb = textbuf_new(text, strlen(text));
    tb_pos at;
    bool wrapped;
    assert_true(textbuf_find(tb, "alpha", false, (tb_pos){0, 0}, &at, &wrapped));
    assert_int_equal(at.line, 0);
    assert_int_equal(at.col, 0);
    assert_false(wrapped);
    assert_true(textbuf_find(tb, "alpha", false, (tb_pos){0, 1}, &at, &wrapped));
    assert_int_equal(at.line, 1);
    assert_int_equal(at.col, 6);
    assert_false(wrapped);
    /* Forward past the last match wraps to the first. */
    assert_true(textbuf_find(tb, "alpha", false, (tb_pos){1, 7}, &at, &wrapped));
    assert_int_equal(at.line, 0);
    assert_int_equal(at.col, 0);
    assert_true(wrapped);
    /* Backward: strictly before, wrapping to the last. */
    assert_true(textbuf_find(tb, "alpha", true, (tb_pos){1, 6}, &at, &wrapped));
    assert_int_equal(at.line, 0);
    assert_false(wrapped);
    assert_true(textbuf_find(tb, "alpha", true, (tb_pos){0, 0}, &at, &wrapped));
    assert_int_equal(at.line, 1);
    assert_int_equal(at.col, 6);
    assert_true(wrapped);
    /* Smart case. */
    assert_true(textbuf_find(tb, "gamma", false, (tb_pos){0, 0}, &at, &wrapped));
    assert_int_equal(at.line, 1);
    assert_false(textbuf_find(tb, "GAMMA", false, (tb_pos){0, 0}, &at, &wrapped));
    /* The only match, from just after it, comes round to itself. */
    assert_true(textbuf_find(tb, "delta", false, (tb_pos){2, 1}, &at, &wrapped));
    assert_int_equal(at.line, 2);
    assert_int_equal(at.col, 0);
    assert_true(wrapped);
    assert_false(textbuf_find(tb, "zeta", false, (tb_pos){0, 0}, &at, &wrapped));
    assert_int_equal(textbuf_match("a.b.c", 5, ".", 0, SIZE_MAX, true), 3);
    textbuf_free(tb);
}

static void test_set_text(void **state)
{
    (void)state;
    textbuf *tb = textbuf_new("old\ntext\n", 9);
    textbuf_set_cursor(tb, 1, 2);
    const char *text = "new\r\nlines\nhere\n";
    textbuf_set_text(tb, text, strlen(text));
    assert_text(tb, "new\nlines\nhere\n");
    assert_cursor(tb, 0, 0);
    assert_true(textbuf_modified(tb));
    /* One step back to the old text, which was the saved one. */
    assert_true(textbuf_undo(tb));
    assert_text(tb, "old\ntext\n");
    assert_false(textbuf_modified(tb));
    textbuf_free(tb);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),         cmocka_unit_test(test_moves_utf8),
        cmocka_unit_test(test_words_home),    cmocka_unit_test(test_edit),
        cmocka_unit_test(test_undo_grouping), cmocka_unit_test(test_modified),
        cmocka_unit_test(test_cut_paste),     cmocka_unit_test(test_search),
        cmocka_unit_test(test_set_text),
    };
    return cmocka_run_group_tests_name("textbuf", tests, NULL, NULL);
}
