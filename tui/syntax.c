/*
 * syntax.c - YAML colours for the editor, one line at a time.
 *
 * Not a parser: a scanner of the tokens one sees on a line (keys, scalars,
 * quoted strings, indicators, comments, anchors and tags), with the little
 * state YAML carries from one line to the next (an open block scalar, an
 * open quoted string, open flow collections).  It must never fail: the text
 * is being typed, so anything it does not recognise stays SLOT_NORMAL.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "tui.h"

static bool sep(const char *s, size_t len, size_t i)
{
    return i >= len || s[i] == ' ' || s[i] == '\t';
}

static bool flow_indicator(char c)
{
    return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

static void fill(unsigned char *slots, size_t from, size_t to, tui_slot slot)
{
    if (to > from)
        memset(slots + from, (int)slot, to - from);
}

/* The scalars YAML 1.2's core schema reads as booleans and null. */
static const char *const bool_words[] = {
    "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL", "~",
};

static bool is_bool(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof bool_words / sizeof *bool_words; i++)
        if (strlen(bool_words[i]) == n && memcmp(bool_words[i], s, n) == 0)
            return true;
    return false;
}

static size_t digits(const char *s, size_t n, size_t i, int (*ok)(int))
{
    while (i < n && ok((unsigned char)s[i]))
        i++;
    return i;
}

static int is_octal(int c)
{
    return c >= '0' && c <= '7';
}

/* Integers, floats, 0x 0o, .inf and .nan, as the core schema has them. */
static bool is_number(const char *s, size_t n)
{
    if (n == 0)
        return false;
    if (n > 2 && s[0] == '0' && s[1] == 'x')
        return digits(s, n, 2, isxdigit) == n;
    if (n > 2 && s[0] == '0' && s[1] == 'o')
        return digits(s, n, 2, is_octal) == n;
    size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    const char *rest = s + i;
    size_t rn = n - i;
    if ((rn == 4 &&
         (!memcmp(rest, ".inf", 4) || !memcmp(rest, ".Inf", 4) || !memcmp(rest, ".INF", 4))) ||
        (i == 0 && n == 4 &&
         (!memcmp(s, ".nan", 4) || !memcmp(s, ".NaN", 4) || !memcmp(s, ".NAN", 4))))
        return true;
    size_t int_end = digits(s, n, i, isdigit);
    size_t j = int_end;
    bool any = int_end > i;
    if (j < n && s[j] == '.') {
        size_t frac_end = digits(s, n, j + 1, isdigit);
        any = any || frac_end > j + 1;
        j = frac_end;
    }
    if (!any)
        return false;
    if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        size_t k = j + 1;
        if (k < n && (s[k] == '-' || s[k] == '+'))
            k++;
        size_t e = digits(s, n, k, isdigit);
        if (e == k)
            return false;
        j = e;
    }
    return j == n;
}

/* Scan a quoted string from i (just after the opening quote, or the start
 * of a continuation line) and colour it from `from`; the position after
 * the closing quote, with st->quote cleared, or len with it still open. */
static size_t scan_quote(syntax_state *st, const char *s, size_t len, size_t from, size_t i,
                         unsigned char *slots)
{
    while (i < len) {
        if (st->quote == '"' && s[i] == '\\') {
            i += 2;
            continue;
        }
        if (s[i] == st->quote) {
            if (st->quote == '\'' && i + 1 < len && s[i + 1] == '\'') {
                i += 2; /* '' is a quote inside */
                continue;
            }
            i++;
            st->quote = 0;
            break;
        }
        i++;
    }
    if (i > len)
        i = len;
    fill(slots, from, i, SLOT_SYN_STRING);
    return i;
}

/* The end of a plain scalar starting at i. */
static size_t plain_end(const syntax_state *st, const char *s, size_t len, size_t i)
{
    size_t j = i;
    while (j < len) {
        if (s[j] == ':' && (sep(s, len, j + 1) || (st->flow && flow_indicator(s[j + 1]))))
            break;
        if (s[j] == '#' && j > i && (s[j - 1] == ' ' || s[j - 1] == '\t'))
            break;
        if (st->flow && flow_indicator(s[j]))
            break;
        j++;
    }
    return j;
}

/* A line inside a block scalar: content, or the end of the scalar. */
static bool block_content(syntax_state *st, const char *s, size_t len, size_t ind,
                          unsigned char *slots)
{
    bool blank = true;
    for (size_t i = ind; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            blank = false;
    if (blank || (int)ind >= st->block - 1) {
        fill(slots, ind, len, SLOT_SYN_STRING);
        return true;
    }
    st->block = 0;
    return false;
}

void syntax_line(syntax_state *st, const char *s, size_t len, unsigned char *slots)
{
    fill(slots, 0, len, SLOT_NORMAL);
    size_t ind = 0;
    while (ind < len && s[ind] == ' ')
        ind++;
    if (st->block && block_content(st, s, len, ind, slots))
        return;
    size_t i = 0;
    if (st->quote) {
        i = scan_quote(st, s, len, 0, 0, slots);
        if (st->quote)
            return;
    } else if (st->flow == 0 && len >= 3 && (!memcmp(s, "---", 3) || !memcmp(s, "...", 3)) &&
               sep(s, len, 3)) {
        fill(slots, 0, 3, SLOT_SYN_PUNCT);
        i = 3;
    }
    int key_col = -1, dash_col = -1;
    bool line_start = i == 0; /* only indentation and "- " so far */
    while (i < len) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            i++;
            continue;
        }
        if (c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
            fill(slots, i, len, SLOT_SYN_COMMENT);
            break;
        }
        if (line_start && st->flow == 0 && (c == '-' || c == '?') && sep(s, len, i + 1)) {
            slots[i] = SLOT_SYN_PUNCT;
            dash_col = (int)i++;
            continue;
        }
        line_start = false;
        if (c == '[' || c == '{') {
            slots[i++] = SLOT_SYN_PUNCT;
            st->flow++;
            continue;
        }
        if (c == ']' || c == '}' || (c == ',' && st->flow)) {
            slots[i++] = SLOT_SYN_PUNCT;
            if (c != ',' && st->flow)
                st->flow--;
            continue;
        }
        if (c == ':' && (sep(s, len, i + 1) || (st->flow && flow_indicator(s[i + 1])))) {
            slots[i++] = SLOT_SYN_PUNCT;
            continue;
        }
        if (c == '&' || c == '*' || c == '!') {
            size_t j = i;
            while (j < len && !sep(s, len, j) && !(st->flow && flow_indicator(s[j])))
                j++;
            fill(slots, i, j, SLOT_SYN_ANCHOR);
            i = j;
            continue;
        }
        if (c == '"' || c == '\'') {
            size_t start = i;
            st->quote = c;
            i = scan_quote(st, s, len, start, i + 1, slots);
            if (!st->quote) {
                size_t j = i;
                while (j < len && s[j] == ' ')
                    j++;
                if (j < len && s[j] == ':' && (sep(s, len, j + 1) || st->flow)) {
                    fill(slots, start, i, SLOT_SYN_KEY);
                    key_col = (int)start;
                }
            }
            continue;
        }
        if (st->flow == 0 && (c == '|' || c == '>')) {
            size_t j = i + 1;
            while (j < len && (s[j] == '+' || s[j] == '-' || isdigit((unsigned char)s[j])))
                j++;
            if (sep(s, len, j)) {
                fill(slots, i, j, SLOT_SYN_PUNCT);
                /* Its content is indented more than the key (or the dash)
                 * that owns it. */
                int parent = key_col >= 0 ? key_col : dash_col >= 0 ? dash_col : (int)ind - 1;
                st->block = parent + 2;
                i = j;
                continue;
            }
        }
        size_t j = plain_end(st, s, len, i);
        size_t e = j;
        while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
            e--;
        tui_slot slot = SLOT_NORMAL;
        if (j < len && s[j] == ':') {
            slot = SLOT_SYN_KEY;
            key_col = (int)i;
        } else if (is_bool(s + i, e - i)) {
            slot = SLOT_SYN_BOOL;
        } else if (is_number(s + i, e - i)) {
            slot = SLOT_SYN_NUMBER;
        }
        fill(slots, i, e, slot);
        i = j > i ? j : i + 1;
    }
}
