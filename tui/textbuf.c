/*
 * textbuf.c - the text of a file being edited: an array of UTF-8 lines, a
 * cursor, undo/redo, line cut/copy/paste and search.
 *
 * Every change goes through two primitives, insert and delete at a
 * position; each is recorded as an op, ops are grouped into undo steps.
 * Consecutive typing (or deleting) merges into one step until the cursor
 * moves or another kind of edit comes, so one undo takes back a word or a
 * line typed, not a letter.  Steps carry increasing ids: the buffer is
 * unmodified when the step on top of the undo stack is the one that was on
 * top at the last save, so undoing back to the saved text is "unmodified"
 * again.
 *
 * Positions are byte offsets into a line, always on a character boundary;
 * moving left and right goes by characters, up and down keeps a goal
 * display column (wide characters count 2).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "tui.h"

typedef struct line {
    char *s;
    size_t len, cap;
} line;

typedef struct op {
    bool insert; /* else a deletion */
    tb_pos at;
    char *text;
    size_t len;
} op;

typedef enum step_kind {
    STEP_OTHER,
    STEP_TYPE,   /* typing characters */
    STEP_ERASE,  /* backspace */
    STEP_DELETE, /* delete forward */
} step_kind;

typedef struct step {
    op *ops;
    size_t nops;
    tb_pos before, after; /* the cursor */
    size_t id;
    step_kind kind;
} step;

typedef struct stack {
    step *items;
    size_t count, cap;
} stack;

struct textbuf {
    line *lines;
    size_t count, cap;
    bool final_newline; /* the text ends with a newline when saved */
    tb_pos cur;
    int goal; /* display column kept by vertical moves; -1: the cursor's */
    stack undo, redo;
    size_t next_id;
    size_t saved_id; /* id on top of undo at the last save; SIZE_MAX: never */
    bool sealed;     /* the next edit starts a new step */
    int group;       /* textbuf_group_begin depth */
    bool group_open; /* a step was pushed for the current group */
    unsigned long version;
    strbuf clip;
};

/* ------------------------------------------------------------------ */
/* UTF-8                                                               */
/* ------------------------------------------------------------------ */

static bool is_cont(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

/* The length of the character at s[i] (1 for an invalid byte). */
static size_t char_len(const char *s, size_t len, size_t i)
{
    unsigned char c = (unsigned char)s[i];
    size_t n = c < 0x80             ? 1
               : (c & 0xe0) == 0xc0 ? 2
               : (c & 0xf0) == 0xe0 ? 3
               : (c & 0xf8) == 0xf0 ? 4
                                    : 1;
    if (i + n > len)
        return 1;
    for (size_t k = 1; k < n; k++)
        if (!is_cont((unsigned char)s[i + k]))
            return 1;
    return n;
}

static size_t next_char(const char *s, size_t len, size_t i)
{
    return i >= len ? len : i + char_len(s, len, i);
}

static size_t prev_char(const char *s, size_t i)
{
    if (i == 0)
        return 0;
    size_t j = i - 1;
    while (j > 0 && i - j < 4 && is_cont((unsigned char)s[j]))
        j--;
    return j;
}

/* Display width of the character at s[i]. */
static int char_width(const char *s, size_t len, size_t i)
{
    size_t n = char_len(s, len, i);
    unsigned char c = (unsigned char)s[i];
    if (c == '\t')
        return 1;
    if (n == 1)
        return 1;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    wchar_t wc;
    if (mbrtowc(&wc, s + i, n, &st) != n)
        return 1;
    int w = wcwidth(wc);
    return w < 0 ? 1 : w;
}

int textbuf_width(const char *s, size_t len)
{
    int w = 0;
    for (size_t i = 0; i < len; i = next_char(s, len, i))
        w += char_width(s, len, i);
    return w;
}

size_t textbuf_offset(const char *s, size_t len, int cols)
{
    size_t i = 0;
    int w = 0;
    while (i < len) {
        int cw = char_width(s, len, i);
        if (w + cw > cols)
            break;
        w += cw;
        i = next_char(s, len, i);
    }
    return i;
}

/* ------------------------------------------------------------------ */
/* Lines                                                               */
/* ------------------------------------------------------------------ */

static void line_reserve(line *l, size_t n)
{
    if (n + 1 <= l->cap)
        return;
    size_t cap = l->cap ? l->cap : 16;
    while (cap < n + 1)
        cap *= 2;
    l->s = xrealloc(l->s, cap, 1);
    l->cap = cap;
}

static void line_set(line *l, const char *s, size_t n)
{
    line_reserve(l, n);
    if (n > 0)
        memcpy(l->s, s, n);
    l->len = n;
    l->s[n] = '\0';
}

static void lines_insert(textbuf *tb, size_t at, size_t n)
{
    if (tb->count + n > tb->cap) {
        size_t cap = tb->cap ? tb->cap : 16;
        while (cap < tb->count + n)
            cap *= 2;
        tb->lines = xrealloc(tb->lines, cap, sizeof *tb->lines);
        tb->cap = cap;
    }
    memmove(tb->lines + at + n, tb->lines + at, (tb->count - at) * sizeof *tb->lines);
    memset(tb->lines + at, 0, n * sizeof *tb->lines);
    tb->count += n;
}

static void lines_remove(textbuf *tb, size_t at, size_t n)
{
    for (size_t i = at; i < at + n; i++)
        free(tb->lines[i].s);
    memmove(tb->lines + at, tb->lines + at + n, (tb->count - at - n) * sizeof *tb->lines);
    tb->count -= n;
}

textbuf *textbuf_new(const char *text, size_t len)
{
    textbuf *tb = xcalloc(1, sizeof *tb);
    tb->goal = -1;
    tb->next_id = 1;
    tb->saved_id = 0;
    tb->final_newline = true;
    if (!text)
        len = 0;
    if (len > 0 && text[len - 1] != '\n')
        tb->final_newline = false;
    else if (len > 0)
        len--; /* the final newline ends the last line; it opens none */
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '\n') {
            size_t end = i;
            /* A CRLF file is edited as LF. */
            if (end > start && text[end - 1] == '\r')
                end--;
            lines_insert(tb, tb->count, 1);
            line_set(&tb->lines[tb->count - 1], text + start, end - start);
            start = i + 1;
        }
    }
    return tb;
}

static void stack_clear(stack *s)
{
    for (size_t i = 0; i < s->count; i++) {
        for (size_t k = 0; k < s->items[i].nops; k++)
            free(s->items[i].ops[k].text);
        free(s->items[i].ops);
    }
    s->count = 0;
}

void textbuf_free(textbuf *tb)
{
    if (!tb)
        return;
    lines_remove(tb, 0, tb->count);
    free(tb->lines);
    stack_clear(&tb->undo);
    stack_clear(&tb->redo);
    free(tb->undo.items);
    free(tb->redo.items);
    strbuf_free(&tb->clip);
    free(tb);
}

size_t textbuf_count(const textbuf *tb)
{
    return tb->count;
}

const char *textbuf_line(const textbuf *tb, size_t n, size_t *len)
{
    if (n >= tb->count) {
        *len = 0;
        return "";
    }
    *len = tb->lines[n].len;
    return tb->lines[n].s ? tb->lines[n].s : "";
}

char *textbuf_text(const textbuf *tb, size_t *len)
{
    strbuf sb = {0};
    for (size_t i = 0; i < tb->count; i++) {
        if (i > 0)
            strbuf_putc(&sb, '\n');
        strbuf_add(&sb, tb->lines[i].s ? tb->lines[i].s : "", tb->lines[i].len);
    }
    if (tb->final_newline && !(tb->count == 1 && tb->lines[0].len == 0))
        strbuf_putc(&sb, '\n');
    if (!sb.buf)
        strbuf_puts(&sb, "");
    *len = sb.len;
    return strbuf_detach(&sb);
}

unsigned long textbuf_version(const textbuf *tb)
{
    return tb->version;
}

/* ------------------------------------------------------------------ */
/* The two primitives                                                  */
/* ------------------------------------------------------------------ */

/* Insert text (may hold newlines) at a position; returns where it ends. */
static tb_pos raw_insert(textbuf *tb, tb_pos at, const char *text, size_t len)
{
    line *l = &tb->lines[at.line];
    const char *nl = memchr(text, '\n', len);
    if (!nl) {
        line_reserve(l, l->len + len);
        memmove(l->s + at.col + len, l->s + at.col, l->len - at.col + 1);
        memcpy(l->s + at.col, text, len);
        l->len += len;
        tb->version++;
        return (tb_pos){at.line, at.col + len};
    }
    /* Split: the tail of the line goes after the last inserted line. */
    size_t nlines = 0;
    for (size_t i = 0; i < len; i++)
        nlines += text[i] == '\n';
    char *tail = xstrndup(l->s + at.col, l->len - at.col);
    size_t tail_len = l->len - at.col;
    l->len = at.col;
    l->s[at.col] = '\0';
    lines_insert(tb, at.line + 1, nlines);
    size_t ln = at.line, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\n')
            continue;
        line *cur = &tb->lines[ln];
        line_reserve(cur, cur->len + (i - start));
        memcpy(cur->s + cur->len, text + start, i - start);
        cur->len += i - start;
        cur->s[cur->len] = '\0';
        start = i + 1;
        if (i < len)
            ln++;
    }
    line *last = &tb->lines[ln];
    size_t end_col = last->len;
    line_reserve(last, last->len + tail_len);
    memcpy(last->s + last->len, tail, tail_len);
    last->len += tail_len;
    last->s[last->len] = '\0';
    free(tail);
    tb->version++;
    return (tb_pos){ln, end_col};
}

/* Delete [from, to); returns the text removed (caller frees). */
static char *raw_delete(textbuf *tb, tb_pos from, tb_pos to, size_t *len)
{
    strbuf sb = {0};
    if (from.line == to.line) {
        line *l = &tb->lines[from.line];
        strbuf_add(&sb, l->s + from.col, to.col - from.col);
        memmove(l->s + from.col, l->s + to.col, l->len - to.col + 1);
        l->len -= to.col - from.col;
    } else {
        line *first = &tb->lines[from.line];
        strbuf_add(&sb, first->s + from.col, first->len - from.col);
        for (size_t i = from.line + 1; i < to.line; i++) {
            strbuf_putc(&sb, '\n');
            strbuf_add(&sb, tb->lines[i].s, tb->lines[i].len);
        }
        strbuf_putc(&sb, '\n');
        line *last = &tb->lines[to.line];
        strbuf_add(&sb, last->s, to.col);
        first->len = from.col;
        line_reserve(first, from.col + last->len - to.col);
        memcpy(first->s + from.col, last->s + to.col, last->len - to.col);
        first->len = from.col + last->len - to.col;
        first->s[first->len] = '\0';
        lines_remove(tb, from.line + 1, to.line - from.line);
    }
    tb->version++;
    if (!sb.buf)
        strbuf_puts(&sb, "");
    *len = sb.len;
    return strbuf_detach(&sb);
}

/* Where text inserted at `at` ends. */
static tb_pos end_of(tb_pos at, const char *text, size_t len)
{
    tb_pos p = at;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            p.line++;
            p.col = 0;
        } else {
            p.col++;
        }
    }
    return p;
}

/* ------------------------------------------------------------------ */
/* Undo steps                                                          */
/* ------------------------------------------------------------------ */

static step *stack_push(stack *s)
{
    if (s->count == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->items = xrealloc(s->items, s->cap, sizeof *s->items);
    }
    step *st = &s->items[s->count++];
    memset(st, 0, sizeof *st);
    return st;
}

static step *stack_top(stack *s)
{
    return s->count ? &s->items[s->count - 1] : NULL;
}

/* The step a new op of `kind` goes into: the open group's, the typing
 * step it continues, or a new one. */
static step *step_for(textbuf *tb, step_kind kind)
{
    step *top = stack_top(&tb->undo);
    stack_clear(&tb->redo);
    if (tb->group > 0) {
        if (tb->group_open && top)
            return top;
        tb->group_open = true;
    } else if (top && !tb->sealed && kind != STEP_OTHER && top->kind == kind &&
               top->id != tb->saved_id) {
        return top;
    }
    step *st = stack_push(&tb->undo);
    st->id = tb->next_id++;
    st->kind = tb->group > 0 ? STEP_OTHER : kind;
    st->before = tb->cur;
    return st;
}

static void step_add(step *st, bool insert, tb_pos at, char *text, size_t len)
{
    st->ops = xrealloc(st->ops, st->nops + 1, sizeof *st->ops);
    st->ops[st->nops++] = (op){insert, at, text, len};
}

static void do_insert(textbuf *tb, step_kind kind, tb_pos at, const char *text, size_t len)
{
    if (len == 0)
        return;
    step *st = step_for(tb, kind);
    step_add(st, true, at, xstrndup(text, len), len);
    tb->cur = raw_insert(tb, at, text, len);
    st->after = tb->cur;
    tb->goal = -1;
    tb->sealed = kind == STEP_OTHER;
}

static void do_delete(textbuf *tb, step_kind kind, tb_pos from, tb_pos to)
{
    if (from.line == to.line && from.col == to.col)
        return;
    step *st = step_for(tb, kind);
    size_t len;
    char *text = raw_delete(tb, from, to, &len);
    step_add(st, false, from, text, len);
    tb->cur = from;
    st->after = tb->cur;
    tb->goal = -1;
    tb->sealed = kind == STEP_OTHER;
}

void textbuf_group_begin(textbuf *tb)
{
    if (tb->group++ == 0)
        tb->group_open = false;
}

void textbuf_group_end(textbuf *tb)
{
    if (tb->group > 0 && --tb->group == 0) {
        tb->group_open = false;
        tb->sealed = true;
    }
}

bool textbuf_undo(textbuf *tb)
{
    step *st = stack_top(&tb->undo);
    if (!st)
        return false;
    for (size_t i = st->nops; i-- > 0;) {
        op *o = &st->ops[i];
        if (o->insert) {
            size_t len;
            free(raw_delete(tb, o->at, end_of(o->at, o->text, o->len), &len));
        } else {
            raw_insert(tb, o->at, o->text, o->len);
        }
    }
    tb->cur = st->before;
    *stack_push(&tb->redo) = *st;
    tb->undo.count--;
    tb->sealed = true;
    tb->goal = -1;
    return true;
}

bool textbuf_redo(textbuf *tb)
{
    step *st = stack_top(&tb->redo);
    if (!st)
        return false;
    for (size_t i = 0; i < st->nops; i++) {
        op *o = &st->ops[i];
        if (o->insert) {
            raw_insert(tb, o->at, o->text, o->len);
        } else {
            size_t len;
            free(raw_delete(tb, o->at, end_of(o->at, o->text, o->len), &len));
        }
    }
    tb->cur = st->after;
    *stack_push(&tb->undo) = *st;
    tb->redo.count--;
    tb->sealed = true;
    tb->goal = -1;
    return true;
}

bool textbuf_modified(const textbuf *tb)
{
    const step *top = tb->undo.count ? &tb->undo.items[tb->undo.count - 1] : NULL;
    return (top ? top->id : 0) != tb->saved_id;
}

void textbuf_mark_saved(textbuf *tb)
{
    const step *top = stack_top(&tb->undo);
    tb->saved_id = top ? top->id : 0;
    tb->sealed = true;
}

void textbuf_mark_unsaved(textbuf *tb)
{
    tb->saved_id = SIZE_MAX;
}

/* ------------------------------------------------------------------ */
/* Cursor                                                              */
/* ------------------------------------------------------------------ */

tb_pos textbuf_cursor(const textbuf *tb)
{
    return tb->cur;
}

/* A position inside the text, on a character boundary. */
static tb_pos clamp(const textbuf *tb, tb_pos p)
{
    if (p.line >= tb->count) {
        p.line = tb->count - 1;
        p.col = tb->lines[p.line].len;
    }
    const line *l = &tb->lines[p.line];
    if (p.col > l->len)
        p.col = l->len;
    while (p.col > 0 && p.col < l->len && is_cont((unsigned char)l->s[p.col]))
        p.col--;
    return p;
}

void textbuf_set_cursor(textbuf *tb, size_t ln, size_t col)
{
    tb->cur = clamp(tb, (tb_pos){ln, col});
    tb->goal = -1;
    tb->sealed = true;
}

int textbuf_cursor_x(const textbuf *tb)
{
    const line *l = &tb->lines[tb->cur.line];
    return textbuf_width(l->s, tb->cur.col);
}

static bool is_word(unsigned char c)
{
    return isalnum(c) || c == '_' || c >= 0x80;
}

static void word_right(textbuf *tb)
{
    const line *l = &tb->lines[tb->cur.line];
    if (tb->cur.col >= l->len) {
        if (tb->cur.line + 1 < tb->count)
            tb->cur = (tb_pos){tb->cur.line + 1, 0};
        return;
    }
    size_t i = tb->cur.col;
    while (i < l->len && !is_word((unsigned char)l->s[i]))
        i++;
    while (i < l->len && is_word((unsigned char)l->s[i]))
        i++;
    tb->cur.col = i;
}

static void word_left(textbuf *tb)
{
    if (tb->cur.col == 0) {
        if (tb->cur.line > 0) {
            tb->cur.line--;
            tb->cur.col = tb->lines[tb->cur.line].len;
        }
        return;
    }
    const line *l = &tb->lines[tb->cur.line];
    size_t i = tb->cur.col;
    while (i > 0 && !is_word((unsigned char)l->s[i - 1]))
        i--;
    while (i > 0 && is_word((unsigned char)l->s[i - 1]))
        i--;
    tb->cur.col = i;
}

static size_t indent_of(const line *l)
{
    size_t i = 0;
    while (i < l->len && (l->s[i] == ' ' || l->s[i] == '\t'))
        i++;
    return i;
}

void textbuf_move(textbuf *tb, tb_move m, size_t count)
{
    const line *l = &tb->lines[tb->cur.line];
    int goal = tb->goal >= 0 ? tb->goal : textbuf_cursor_x(tb);
    bool vertical = false;
    switch (m) {
    case TB_LEFT:
        if (tb->cur.col > 0)
            tb->cur.col = prev_char(l->s, tb->cur.col);
        else if (tb->cur.line > 0)
            tb->cur = (tb_pos){tb->cur.line - 1, tb->lines[tb->cur.line - 1].len};
        break;
    case TB_RIGHT:
        if (tb->cur.col < l->len)
            tb->cur.col = next_char(l->s, l->len, tb->cur.col);
        else if (tb->cur.line + 1 < tb->count)
            tb->cur = (tb_pos){tb->cur.line + 1, 0};
        break;
    case TB_UP:
    case TB_DOWN:
    case TB_PAGE_UP:
    case TB_PAGE_DOWN: {
        size_t n = count ? count : 1;
        size_t ln = tb->cur.line;
        if (m == TB_UP || m == TB_PAGE_UP)
            ln = ln > n ? ln - n : 0;
        else
            ln = ln + n < tb->count ? ln + n : tb->count - 1;
        if (ln == tb->cur.line && (m == TB_UP || m == TB_PAGE_UP))
            tb->cur.col = 0, goal = 0;
        else if (ln == tb->cur.line)
            tb->cur.col = l->len, goal = textbuf_width(l->s, l->len);
        else
            tb->cur = (tb_pos){ln, textbuf_offset(tb->lines[ln].s, tb->lines[ln].len, goal)};
        vertical = true;
        break;
    }
    case TB_HOME: {
        /* First to the indentation, then to the first column. */
        size_t ind = indent_of(l);
        tb->cur.col = tb->cur.col != ind ? ind : 0;
        break;
    }
    case TB_END:
        tb->cur.col = l->len;
        break;
    case TB_WORD_LEFT:
        word_left(tb);
        break;
    case TB_WORD_RIGHT:
        word_right(tb);
        break;
    case TB_TOP:
        tb->cur = (tb_pos){0, 0};
        break;
    case TB_BOTTOM:
        tb->cur = (tb_pos){tb->count - 1, tb->lines[tb->count - 1].len};
        break;
    }
    tb->goal = vertical ? goal : -1;
    tb->sealed = true;
}

/* ------------------------------------------------------------------ */
/* Editing at the cursor                                               */
/* ------------------------------------------------------------------ */

void textbuf_insert(textbuf *tb, const char *text, size_t len)
{
    /* One character without a newline is typing: it merges with the
     * typing before it. */
    bool typing = len > 0 && len == char_len(text, len, 0) && text[0] != '\n';
    do_insert(tb, typing ? STEP_TYPE : STEP_OTHER, tb->cur, text, len);
}

bool textbuf_backspace(textbuf *tb)
{
    tb_pos to = tb->cur, from = to;
    if (to.col > 0)
        from.col = prev_char(tb->lines[to.line].s, to.col);
    else if (to.line > 0)
        from = (tb_pos){to.line - 1, tb->lines[to.line - 1].len};
    else
        return false;
    do_delete(tb, STEP_ERASE, from, to);
    return true;
}

bool textbuf_delete(textbuf *tb)
{
    tb_pos from = tb->cur, to = from;
    const line *l = &tb->lines[from.line];
    if (from.col < l->len)
        to.col = next_char(l->s, l->len, from.col);
    else if (from.line + 1 < tb->count)
        to = (tb_pos){from.line + 1, 0};
    else
        return false;
    do_delete(tb, STEP_DELETE, from, to);
    return true;
}

void textbuf_replace(textbuf *tb, size_t ln, size_t start, size_t end, const char *text, size_t len)
{
    if (ln >= tb->count)
        return;
    size_t llen = tb->lines[ln].len;
    if (end > llen)
        end = llen;
    if (start > end)
        start = end;
    textbuf_group_begin(tb);
    do_delete(tb, STEP_OTHER, (tb_pos){ln, start}, (tb_pos){ln, end});
    tb->cur = (tb_pos){ln, start};
    do_insert(tb, STEP_OTHER, tb->cur, text, len);
    textbuf_group_end(tb);
}

void textbuf_set_text(textbuf *tb, const char *text, size_t len)
{
    /* Read it as a file is read (final newline, CRLF), then put its lines
     * in place of ours. */
    textbuf *tmp = textbuf_new(text, len);
    strbuf sb = {0};
    for (size_t i = 0; i < tmp->count; i++) {
        if (i > 0)
            strbuf_putc(&sb, '\n');
        strbuf_add(&sb, tmp->lines[i].s, tmp->lines[i].len);
    }
    if (len > 0)
        tb->final_newline = tmp->final_newline;
    textbuf_free(tmp);
    size_t last = tb->count - 1;
    textbuf_group_begin(tb);
    do_delete(tb, STEP_OTHER, (tb_pos){0, 0}, (tb_pos){last, tb->lines[last].len});
    do_insert(tb, STEP_OTHER, (tb_pos){0, 0}, sb.buf ? sb.buf : "", sb.len);
    textbuf_group_end(tb);
    strbuf_free(&sb);
    tb->cur = (tb_pos){0, 0};
}

/* ------------------------------------------------------------------ */
/* Lines: cut, copy, paste                                             */
/* ------------------------------------------------------------------ */

static void clip_line(textbuf *tb, size_t ln, bool append)
{
    if (!append)
        tb->clip.len = 0;
    strbuf_add(&tb->clip, tb->lines[ln].s ? tb->lines[ln].s : "", tb->lines[ln].len);
    strbuf_putc(&tb->clip, '\n');
}

void textbuf_cut_line(textbuf *tb, bool append)
{
    size_t ln = tb->cur.line;
    clip_line(tb, ln, append);
    if (ln + 1 < tb->count)
        do_delete(tb, STEP_OTHER, (tb_pos){ln, 0}, (tb_pos){ln + 1, 0});
    else if (ln > 0)
        do_delete(tb, STEP_OTHER, (tb_pos){ln - 1, tb->lines[ln - 1].len},
                  (tb_pos){ln, tb->lines[ln].len});
    else
        do_delete(tb, STEP_OTHER, (tb_pos){0, 0}, (tb_pos){0, tb->lines[0].len});
    /* The cursor stays on the line that moved up (or the new last one). */
    tb->cur = clamp(tb, (tb_pos){ln < tb->count ? ln : tb->count - 1, 0});
    tb->cur.col = 0;
}

void textbuf_copy_line(textbuf *tb, bool append)
{
    clip_line(tb, tb->cur.line, append);
    tb->sealed = true;
}

bool textbuf_paste(textbuf *tb)
{
    if (tb->clip.len == 0)
        return false;
    size_t ln = tb->cur.line;
    do_insert(tb, STEP_OTHER, (tb_pos){ln, 0}, tb->clip.buf, tb->clip.len);
    return true;
}

const char *textbuf_clip(const textbuf *tb, size_t *len)
{
    *len = tb->clip.len;
    return tb->clip.buf ? tb->clip.buf : "";
}

/* ------------------------------------------------------------------ */
/* Search                                                              */
/* ------------------------------------------------------------------ */

/* Smart case: a pattern with an upper-case letter matches case. */
static bool has_upper(const char *p)
{
    for (; *p; p++)
        if (isupper((unsigned char)*p))
            return true;
    return false;
}

long textbuf_match(const char *s, size_t len, const char *pat, size_t lo, size_t hi, bool last)
{
    size_t plen = strlen(pat);
    if (plen == 0 || plen > len)
        return -1;
    bool fold = !has_upper(pat);
    long found = -1;
    for (size_t i = lo; i < hi && i + plen <= len; i++) {
        bool ok = fold ? strncasecmp(s + i, pat, plen) == 0 : memcmp(s + i, pat, plen) == 0;
        if (ok) {
            found = (long)i;
            if (!last)
                break;
        }
    }
    return found;
}

bool textbuf_find(const textbuf *tb, const char *pat, bool backward, tb_pos from, tb_pos *out,
                  bool *wrapped)
{
    *wrapped = false;
    if (!pat || !*pat)
        return false;
    from = clamp(tb, from);
    size_t n = tb->count;
    /* The rest of `from`'s line, the other lines in turn (wrapping at an
     * end of the text), and last the part of `from`'s line not looked at. */
    for (size_t k = 0; k <= n; k++) {
        size_t ln = backward ? (from.line + n - k % n) % n : (from.line + k) % n;
        if (k > 0 && (backward ? ln > from.line : ln < from.line))
            *wrapped = true;
        if (k == n)
            *wrapped = true;
        const line *l = &tb->lines[ln];
        const char *s = l->s ? l->s : "";
        size_t lo = 0, hi = SIZE_MAX;
        if (k == 0 && !backward)
            lo = from.col;
        else if (k == 0)
            hi = from.col;
        else if (k == n && !backward)
            hi = from.col;
        else if (k == n)
            lo = from.col;
        long hit = textbuf_match(s, l->len, pat, lo, hi, backward);
        if (hit >= 0) {
            *out = (tb_pos){ln, (size_t)hit};
            return true;
        }
    }
    return false;
}
