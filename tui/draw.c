/*
 * draw.c - text on the screen: UTF-8 aware, clipped to a width in columns,
 * controls made visible, colours only through slots.  Views never call
 * curses output functions with raw strings, so a stray escape sequence in
 * a log line cannot reach the terminal.
 */
#include "config.h"

#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "tui.h"

bool draw_utf8;

static const char *const glyph_utf8[GLYPH_COUNT] = {
    [GLYPH_CRUMB] = "›",   [GLYPH_ELLIPSIS] = "…", [GLYPH_BAR_FULL] = "█",
    [GLYPH_BAR_EMPTY] = "░", [GLYPH_OK] = "✓",     [GLYPH_FAIL] = "✗",
    [GLYPH_RUNNING] = "●", [GLYPH_PENDING] = "○",  [GLYPH_SKIPPED] = "–",
    [GLYPH_ARROW] = "→",   [GLYPH_VLINE] = "│",    [GLYPH_HLINE] = "─",
    [GLYPH_ERROR] = "●",   [GLYPH_WARNING] = "▲",  [GLYPH_DIRTY] = "±",
};
static const char *const glyph_ascii[GLYPH_COUNT] = {
    [GLYPH_CRUMB] = ">",   [GLYPH_ELLIPSIS] = "~", [GLYPH_BAR_FULL] = "#",
    [GLYPH_BAR_EMPTY] = ".", [GLYPH_OK] = "+",     [GLYPH_FAIL] = "x",
    [GLYPH_RUNNING] = "*", [GLYPH_PENDING] = "o",  [GLYPH_SKIPPED] = "-",
    [GLYPH_ARROW] = ">",   [GLYPH_VLINE] = "|",    [GLYPH_HLINE] = "-",
    [GLYPH_ERROR] = "E",   [GLYPH_WARNING] = "W",  [GLYPH_DIRTY] = "*",
};

void draw_init(void)
{
    const char *ascii = getenv("DAPT_ASCII");
    const char *cs = nl_langinfo(CODESET);
    draw_utf8 = cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0) &&
                !(ascii && *ascii && strcmp(ascii, "0") != 0);
}

const char *draw_glyph(tui_glyph g)
{
    return (draw_utf8 ? glyph_utf8 : glyph_ascii)[g];
}

/* One character of text at p (n bytes left): its byte length and its
 * columns; *kind 0 printable, 1 control (shown ^X), 2 invalid (shown ?),
 * 3 tab. */
static size_t next_char(const char *p, size_t n, int *cols, int *kind)
{
    unsigned char c = (unsigned char)*p;
    if (c == '\t') {
        *kind = 3, *cols = 1;
        return 1;
    }
    if (c < 0x20 || c == 0x7f) {
        *kind = 1, *cols = 2;
        return 1;
    }
    if (c < 0x80) {
        *kind = 0, *cols = 1;
        return 1;
    }
    mbstate_t st;
    memset(&st, 0, sizeof st);
    wchar_t wc;
    size_t len = draw_utf8 ? mbrtowc(&wc, p, n, &st) : (size_t)-1;
    if (len == (size_t)-1 || len == (size_t)-2 || len == 0) {
        *kind = 2, *cols = 1;
        return 1;
    }
    int w = wcwidth(wc);
    if (w < 0) {
        *kind = 2, *cols = 1;
        return len;
    }
    *kind = 0, *cols = w;
    return len;
}

void draw_share(int room, int *a, int *b)
{
    if (*a + *b <= room)
        return;
    int half = room / 2;
    if (*a <= half)
        *b = room - *a;
    else if (*b <= half)
        *a = room - *b;
    else
        *a = half, *b = room - half;
}

int draw_width(const char *text, size_t len)
{
    int cols = 0;
    for (size_t i = 0; i < len;) {
        int w, kind;
        i += next_char(text + i, len - i, &w, &kind);
        cols += kind == 3 ? 8 - cols % 8 : w;
    }
    return cols;
}

size_t draw_fit(const char *text, size_t len, int cols)
{
    int used = 0;
    size_t i = 0;
    while (i < len) {
        int w, kind;
        size_t n = next_char(text + i, len - i, &w, &kind);
        if (kind == 3)
            w = 8 - used % 8;
        if (used + w > cols)
            break;
        used += w;
        i += n;
    }
    return i;
}

int draw_text(int y, int x, int width, tui_slot slot, const char *text, size_t len)
{
    if (width <= 0 || y < 0 || y >= LINES || x >= COLS)
        return 0;
    if (x + width > COLS)
        width = COLS - x;
    attrset(theme_attr(slot));
    move(y, x);
    int used = 0;
    size_t i = 0, run = 0; /* a run of printable bytes not yet written */
    while (i < len) {
        int w, kind;
        size_t n = next_char(text + i, len - i, &w, &kind);
        if (kind == 3)
            w = 8 - used % 8;
        if (used + w > width)
            break;
        if (kind == 0) {
            i += n;
            used += w;
            continue;
        }
        if (i > run)
            addnstr(text + run, (int)(i - run));
        if (kind == 1) {
            char ctl[3] = {'^', (char)(text[i] == 0x7f ? '?' : text[i] + '@'), 0};
            addstr(ctl);
        } else if (kind == 2) {
            addch('?');
        } else {
            for (int s = 0; s < w; s++)
                addch(' ');
        }
        used += w;
        i += n;
        run = i;
    }
    if (i > run)
        addnstr(text + run, (int)(i - run));
    return used;
}

int draw_str(int y, int x, int width, tui_slot slot, const char *text)
{
    return draw_text(y, x, width, slot, text, strlen(text));
}

int draw_printf(int y, int x, int width, tui_slot slot, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return 0;
    return draw_text(y, x, width, slot, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

int draw_clamped(int y, int x, int width, tui_slot slot, const char *text, size_t len)
{
    if (width <= 0)
        return 0;
    if (draw_width(text, len) <= width)
        return draw_text(y, x, width, slot, text, len);
    int used = draw_text(y, x, width - 1, slot, text, draw_fit(text, len, width - 1));
    return used + draw_str(y, x + used, 1, slot, draw_glyph(GLYPH_ELLIPSIS));
}

void draw_fill(int y, int x, int width, tui_slot slot)
{
    if (width <= 0 || y < 0 || y >= LINES || x >= COLS)
        return;
    if (x + width > COLS)
        width = COLS - x;
    attrset(theme_attr(slot));
    mvhline(y, x, ' ', width);
}

void draw_clear(tui_rect r, tui_slot slot)
{
    for (int i = 0; i < r.h; i++)
        draw_fill(r.y + i, r.x, r.w, slot);
}

void draw_box(tui_rect r, tui_slot slot, const char *title)
{
    if (r.h < 2 || r.w < 2)
        return;
    const char *h = draw_glyph(GLYPH_HLINE), *v = draw_glyph(GLYPH_VLINE);
    const char *tl = draw_utf8 ? "┌" : "+", *tr = draw_utf8 ? "┐" : "+";
    const char *bl = draw_utf8 ? "└" : "+", *br = draw_utf8 ? "┘" : "+";
    for (int i = 1; i < r.w - 1; i++) {
        draw_str(r.y, r.x + i, 1, slot, h);
        draw_str(r.y + r.h - 1, r.x + i, 1, slot, h);
    }
    for (int i = 1; i < r.h - 1; i++) {
        draw_str(r.y + i, r.x, 1, slot, v);
        draw_str(r.y + i, r.x + r.w - 1, 1, slot, v);
    }
    draw_str(r.y, r.x, 1, slot, tl);
    draw_str(r.y, r.x + r.w - 1, 1, slot, tr);
    draw_str(r.y + r.h - 1, r.x, 1, slot, bl);
    draw_str(r.y + r.h - 1, r.x + r.w - 1, 1, slot, br);
    if (title && *title) {
        int used = draw_str(r.y, r.x + 2, r.w - 4, SLOT_TITLE, " ");
        used += draw_clamped(r.y, r.x + 2 + used, r.w - 5 - used, SLOT_TITLE, title, strlen(title));
        draw_str(r.y, r.x + 2 + used, 1, SLOT_TITLE, " ");
    }
}

int draw_marked(int y, int x, int width, tui_slot slot, const char *text, size_t len,
                const size_t *match, size_t n)
{
    int used = 0;
    size_t i = 0, m = 0;
    while (i < len && used < width) {
        while (m < n && match[m] < i)
            m++;
        bool marked = m < n && match[m] == i;
        /* the longest stretch that is all marked or all unmarked */
        size_t j = i;
        if (marked) {
            size_t mm = m;
            while (mm < n && match[mm] == j) {
                int w, kind;
                j += next_char(text + j, len - j, &w, &kind);
                mm++;
                while (mm < n && match[mm] < j)
                    mm++;
            }
        } else {
            j = m < n && match[m] < len ? match[m] : len;
        }
        if (j <= i)
            j = i + 1;
        used += draw_text(y, x + used, width - used, marked ? SLOT_MATCH : slot, text + i, j - i);
        i = j;
    }
    return used;
}

const char *draw_duration(int64_t us, char *buf, size_t size)
{
    if (us < 0) {
        snprintf(buf, size, "-");
    } else if (us < 60 * 1000000LL) {
        snprintf(buf, size, "%.1fs", (double)us / 1e6);
    } else if (us < 3600 * 1000000LL) {
        int64_t s = us / 1000000;
        snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)(s % 60));
    } else {
        int64_t m = us / 60000000;
        snprintf(buf, size, "%dh%02dm", (int)(m / 60), (int)(m % 60));
    }
    return buf;
}

const char *draw_when(int64_t unix_us, char *buf, size_t size)
{
    if (unix_us <= 0) {
        snprintf(buf, size, "-");
        return buf;
    }
    time_t t = (time_t)(unix_us / 1000000), now = time(NULL);
    struct tm tm, tn;
    localtime_r(&t, &tm);
    localtime_r(&now, &tn);
    if (tm.tm_year == tn.tm_year && tm.tm_yday == tn.tm_yday)
        strftime(buf, size, "%H:%M:%S", &tm);
    else
        strftime(buf, size, "%b %d %H:%M", &tm);
    return buf;
}
