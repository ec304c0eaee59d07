/*
 * fuzzy.c - fuzzy matching: how well a typed pattern fits a name.
 *
 * The pattern must be a case-insensitive subsequence of the text.  Among
 * the ways to place it, the best one is found by dynamic programming over
 * (pattern byte, text byte): every matched byte scores, more where a word
 * starts (the text's start, after . _ - / or a space, a camelCase hump, a
 * digit after a letter) and where it follows the previous matched byte;
 * gaps cost a little, more for opening one than for widening it.  Then a
 * whole prefix gets a bonus large enough to beat any scattered placement,
 * an exact match another, and longer texts lose a little.
 *
 * The completion popup ranks 100,000 targets per keystroke, so the work is
 * cut three ways: the subsequence check comes first (most texts fail it);
 * a prefix is scored in closed form (it is always the best placement, see
 * score_prefix); and the table only spans, for each pattern byte, the text
 * bytes between its earliest and its latest possible place.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "tui.h"

enum {
    SCORE_MATCH = 16,
    GAP_START = -4,
    GAP_EXTEND = -1,
    BONUS_BOUNDARY = 8, /* the text's start, or after a separator */
    BONUS_CAMEL = 7,    /* aB, a1 */
    /* A byte right after the previous matched one scores at least this
     * (or its word-start bonus if higher).  It is more than
     * BONUS_BOUNDARY + GAP_START: jumping to a later word start never
     * beats staying in a run, which also makes a prefix the best
     * placement. */
    BONUS_CONSECUTIVE = 5,
    FIRST_MULTIPLIER = 2, /* where the pattern starts matters most */
    LENGTH_CAP = 64,      /* extra length costs (n - m) / 4, at most this / 4 */
};
_Static_assert(BONUS_CONSECUTIVE > BONUS_BOUNDARY + GAP_START,
               "a run must beat a jump to a word start");
_Static_assert(BONUS_CONSECUTIVE < BONUS_CAMEL, "a word start in a run must count");
#define NEG (INT_MIN / 4)

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool is_separator(int c)
{
    return c == '.' || c == '_' || c == '-' || c == '/' || c == ' ' || c == ':';
}

static bool is_upper(int c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_lower(int c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* The bonus of a match at text[j] for where it sits in its word. */
static inline int bonus_at(const char *text, size_t j)
{
    int c = (unsigned char)text[j];
    if (is_separator(c))
        return 0;
    if (j == 0)
        return BONUS_BOUNDARY;
    int p = (unsigned char)text[j - 1];
    if (is_separator(p))
        return BONUS_BOUNDARY;
    if ((is_lower(p) && is_upper(c)) || ((is_lower(p) || is_upper(p)) && is_digit(c)))
        return BONUS_CAMEL;
    return 0;
}

/* The bonus of a prefix match of m bytes (also used as the prefix bonus's
 * size): larger than what any scattered placement can gain per byte over a
 * run (BONUS_BOUNDARY - BONUS_CONSECUTIVE) plus the largest length
 * difference, so every prefix match ranks above every other match. */
static int prefix_bonus(size_t m)
{
    return (int)m * (BONUS_BOUNDARY - BONUS_CONSECUTIVE) + LENGTH_CAP / 4 + 8;
}

static int length_penalty(size_t m, size_t n)
{
    size_t extra = n - m;
    return (int)((extra < LENGTH_CAP ? extra : LENGTH_CAP) / 4);
}

static int consecutive_bonus(int b)
{
    return b > BONUS_CONSECUTIVE ? b : BONUS_CONSECUTIVE;
}

/* A pattern that is a prefix of the text: every byte in one run from the
 * start.  No other placement scores more: the first byte has the highest
 * bonus there is, and every later byte gets its own bonus or
 * BONUS_CONSECUTIVE, more than a jump to a word start nets after the
 * gap. */
static int score_prefix(const char *text, size_t m, size_t n, size_t *pos)
{
    int s = SCORE_MATCH + BONUS_BOUNDARY * FIRST_MULTIPLIER;
    if (pos != NULL)
        pos[0] = 0;
    for (size_t i = 1; i < m; i++) {
        s += SCORE_MATCH + consecutive_bonus(bonus_at(text, i));
        if (pos != NULL)
            pos[i] = i;
    }
    s += prefix_bonus(m);
    if (m == n)
        s += prefix_bonus(m); /* exact: beats every longer prefix */
    return s - length_penalty(m, n);
}

/* The table: row i holds, for text bytes lo[i]..hi[i], the best score of
 * pattern[0..i] with pattern[i] placed exactly there (NEG: cannot).  Rows
 * are stored in `e` (n ints each) when the placement is wanted, else two
 * rows are reused. */
typedef struct dp {
    const char *pat, *text, *ltext;
    size_t m, n;
    const size_t *lo, *hi;
    int *e; /* m * n when keeping every row, else 2 * n */
    bool keep;
} dp;

static int *dp_row(const dp *d, size_t i)
{
    return d->e + (d->keep ? i : i % 2) * d->n;
}

static void dp_fill_row(const dp *d, size_t i)
{
    int *row = dp_row(d, i);
    const int *prev = i > 0 ? dp_row(d, i - 1) : NULL;
    size_t lo = d->lo[i], hi = d->hi[i];
    int gap = NEG; /* best prev[k] + gap cost, for a gap ending just before j */
    char pc = d->pat[i];
    if (i > 0) {
        /* the gaps that end before lo (one step per j, as below) */
        for (size_t k = d->lo[i - 1]; k + 2 < lo; k++) {
            int open = k <= d->hi[i - 1] ? prev[k] + GAP_START : NEG;
            gap = gap + GAP_EXTEND > open ? gap + GAP_EXTEND : open;
        }
    }
    for (size_t j = lo; j <= hi; j++) {
        int best = NEG;
        if (i == 0) {
            if (d->ltext[j] == pc)
                best = SCORE_MATCH + bonus_at(d->text, j) * FIRST_MULTIPLIER;
        } else {
            if (j >= 2 && j - 2 >= d->lo[i - 1] && j - 2 <= d->hi[i - 1]) {
                int open = prev[j - 2] + GAP_START;
                gap = gap + GAP_EXTEND > open ? gap + GAP_EXTEND : open;
            } else if (gap > NEG) {
                gap += GAP_EXTEND;
            }
            if (d->ltext[j] == pc) {
                int b = bonus_at(d->text, j);
                if (j >= 1 && j - 1 >= d->lo[i - 1] && j - 1 <= d->hi[i - 1] && prev[j - 1] > NEG)
                    best = prev[j - 1] + SCORE_MATCH + consecutive_bonus(b);
                if (gap > NEG / 2 && gap + SCORE_MATCH + b > best)
                    best = gap + SCORE_MATCH + b;
            }
        }
        row[j] = best > NEG / 2 ? best : NEG;
    }
}

/* Walk the kept table back from (m - 1, end) to the placement. */
static void dp_trace(const dp *d, size_t end, size_t *pos)
{
    size_t j = end;
    pos[d->m - 1] = j;
    for (size_t i = d->m - 1; i > 0; i--) {
        const int *row = dp_row(d, i), *prev = dp_row(d, i - 1);
        int b = bonus_at(d->text, j);
        size_t k = j - 1;
        if (!(k >= d->lo[i - 1] && k <= d->hi[i - 1] && prev[k] > NEG &&
              prev[k] + SCORE_MATCH + consecutive_bonus(b) == row[j])) {
            /* a gap: the latest k that gives this score */
            for (k = j >= 2 ? j - 2 : 0;; k--) {
                if (k >= d->lo[i - 1] && k <= d->hi[i - 1] && prev[k] > NEG &&
                    prev[k] + GAP_START + GAP_EXTEND * (int)(j - k - 2) + SCORE_MATCH + b == row[j])
                    break;
                if (k == 0)
                    break; /* cannot happen: the score came from somewhere */
            }
        }
        j = k;
        pos[i - 1] = j;
    }
}

int fuzzy_score_prepared(const char *lpat, size_t m, const char *text, const char *ltext, size_t n,
                         size_t *pos)
{
    if (m == 0)
        return 0;
    if (m > n)
        return -1;
    size_t same = 0; /* short patterns: a loop beats a call to memcmp */
    while (same < m && lpat[same] == ltext[same])
        same++;
    if (same == m)
        return score_prefix(text, m, n, pos);

    /* Earliest place of each pattern byte (greedy forward), which also
     * checks it is a subsequence; latest place (greedy backward). */
    size_t lo_buf[64], hi_buf[64];
    size_t *lo = m <= 64 ? lo_buf : xmalloc(2 * m * sizeof *lo);
    size_t *hi = m <= 64 ? hi_buf : lo + m;
    size_t j = 0;
    for (size_t i = 0; i < m; i++) {
        const char *p = memchr(ltext + j, lpat[i], n - j);
        if (p == NULL) {
            if (lo != lo_buf)
                free(lo);
            return -1;
        }
        lo[i] = (size_t)(p - ltext);
        j = lo[i] + 1;
    }
    j = n;
    for (size_t i = m; i-- > 0;) {
        while (ltext[j - 1] != lpat[i])
            j--;
        hi[i] = --j;
    }

    int stack_rows[2 * 256];
    bool keep = pos != NULL;
    size_t cells = keep ? m * n : 2 * n;
    dp d = {.pat = lpat,
            .text = text,
            .ltext = ltext,
            .m = m,
            .n = n,
            .lo = lo,
            .hi = hi,
            .e = cells <= 2 * 256 ? stack_rows : xmalloc(cells * sizeof(int)),
            .keep = keep};
    for (size_t i = 0; i < m; i++)
        dp_fill_row(&d, i);
    const int *last = dp_row(&d, m - 1);
    int best = NEG;
    size_t end = hi[m - 1];
    for (size_t k = lo[m - 1]; k <= hi[m - 1]; k++) {
        if (last[k] > best) {
            best = last[k];
            end = k;
        }
    }
    if (keep)
        dp_trace(&d, end, pos);
    if (d.e != stack_rows)
        free(d.e);
    if (lo != lo_buf)
        free(lo);
    return best - length_penalty(m, n);
}

/* One bit per letter (either case) and digit, a few for punctuation, the
 * rest shared: a text without a pattern byte's bit cannot match it. */
static uint64_t byte_bit(unsigned char c)
{
    c = (unsigned char)lower(c);
    if (c >= 'a' && c <= 'z')
        return 1ull << (c - 'a');
    if (c >= '0' && c <= '9')
        return 1ull << (26 + c - '0');
    switch (c) {
    case '_':
        return 1ull << 36;
    case '.':
        return 1ull << 37;
    case '-':
        return 1ull << 38;
    case '/':
        return 1ull << 39;
    default:
        return 1ull << (40 + c % 24);
    }
}

/* The bit of two adjacent bytes (case folded) in fuzzy_sig.pairs. */
static uint64_t pair_bit(unsigned char a, unsigned char b)
{
    uint32_t h = ((uint32_t)lower(a) << 8 | (uint32_t)lower(b)) * 0x9e3779b1u;
    return 1ull << (h >> 26);
}

void fuzzy_sign(fuzzy_sig *sig, const char *text, size_t n)
{
    sig->bytes = sig->starts = sig->humps = sig->pairs = 0;
    for (size_t j = 0; j < n; j++) {
        uint64_t bit = byte_bit((unsigned char)text[j]);
        int b = bonus_at(text, j);
        sig->bytes |= bit;
        if (b == BONUS_BOUNDARY)
            sig->starts |= bit;
        else if (b == BONUS_CAMEL)
            sig->humps |= bit;
        if (j > 0)
            sig->pairs |= pair_bit((unsigned char)text[j - 1], (unsigned char)text[j]);
    }
}

/* The most byte c can add (beyond SCORE_MATCH) where its bonus is the
 * best the signature allows: a word start after a separator, a hump, or
 * nothing. */
static int best_bonus(const fuzzy_sig *sig, uint64_t bit)
{
    return sig->starts & bit ? BONUS_BOUNDARY : sig->humps & bit ? BONUS_CAMEL : 0;
}

/* Byte by byte, the most each can score: the first its best bonus
 * (doubled); a later one, in a run (when the text has the pair), its
 * bonus or BONUS_CONSECUTIVE, where a word start after a separator needs
 * the pattern's previous byte to be that separator; after a gap, its best
 * bonus less GAP_START.  There is no prefix bonus. */
int fuzzy_bound(const char *lpat, size_t m, size_t n, const fuzzy_sig *sig)
{
    if (m == 0)
        return 0;
    if (m > n)
        return -1;
    int s = (int)m * SCORE_MATCH;
    s += best_bonus(sig, byte_bit((unsigned char)lpat[0])) * FIRST_MULTIPLIER;
    for (size_t i = 1; i < m; i++) {
        uint64_t bit = byte_bit((unsigned char)lpat[i]);
        int gap = best_bonus(sig, bit) + GAP_START;
        int run = NEG;
        if (sig->pairs & pair_bit((unsigned char)lpat[i - 1], (unsigned char)lpat[i])) {
            int b = is_separator((unsigned char)lpat[i - 1]) && (sig->starts & bit) ? BONUS_BOUNDARY
                    : (sig->humps & bit)                                            ? BONUS_CAMEL
                                                                                    : 0;
            run = consecutive_bonus(b);
        }
        s += run > gap ? run : gap;
    }
    return s - length_penalty(m, n);
}

int fuzzy_score(const char *pattern, const char *text, size_t *pos)
{
    size_t m = strlen(pattern), n = strlen(text);
    if (m == 0)
        return 0;
    if (m > n)
        return -1;
    char pbuf[128], tbuf[512];
    char *lp = m < sizeof pbuf ? pbuf : xmalloc(m + 1);
    char *lt = n < sizeof tbuf ? tbuf : xmalloc(n + 1);
    for (size_t i = 0; i < m; i++)
        lp[i] = (char)lower((unsigned char)pattern[i]);
    for (size_t i = 0; i < n; i++)
        lt[i] = (char)lower((unsigned char)text[i]);
    int s = fuzzy_score_prepared(lp, m, text, lt, n, pos);
    if (lp != pbuf)
        free(lp);
    if (lt != tbuf)
        free(lt);
    return s;
}
