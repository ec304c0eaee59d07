/* cron.c - 5-field cron expressions: parsed into bitsets, and evaluated on
 * the wall clock of a time zone.  Evaluation never walks minute by minute:
 * it skips whole months, days and hours with the bitsets, and in a zone
 * works one span of constant offset at a time (tzone_span), so a lookup
 * years ahead costs microseconds.
 *
 * Semantics (Vixie cron's, made exact where it is vague):
 * - a slot is a whole minute (second 0) of the wall clock;
 * - when both day-of-month and day-of-week are restricted (neither is `*`),
 *   a day matches when EITHER matches; else both must;
 * - a wall-clock time the clock skips (spring forward) does not fire when
 *   the hour field is `*` (an hourly job has nothing to catch up); otherwise
 *   the job fires once at the first instant after the gap, so a daily
 *   02:30 job still runs on the day 02:00-03:00 does not exist;
 * - a wall-clock time that occurs twice (fall back) fires at both instants
 *   when the hour field is `*`, else only at the first, so a daily job
 *   runs once. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"

/* How far cron_next and cron_prev look: 8 years of 366 days, enough for
 * the 8-year gap in leap days around 2100. */
#define CRON_HORIZON ((int64_t)8 * 366 * 86400)
/* Instants beyond this (142 million years) have no slots; it keeps the
 * calendar arithmetic far from overflow. */
#define CRON_LIMIT ((int64_t)1 << 52)

enum { CRON_MINUTE, CRON_HOUR, CRON_DOM, CRON_MONTH, CRON_DOW, CRON_FIELDS };

static const struct cron_field {
    const char *name, *a_name; /* "hour", "an hour" */
    int min, max;
    const char *const *names; /* names for min, min+1, ... or NULL */
    const char *hint;         /* what to write instead of something unreadable */
} cron_fields[CRON_FIELDS] = {
    [CRON_MINUTE] = {"minute", "a minute", 0, 59, NULL, "a number 0-59"},
    [CRON_HOUR] = {"hour", "an hour", 0, 23, NULL, "a number 0-23"},
    [CRON_DOM] = {"day-of-month", "a day-of-month", 1, 31, NULL, "a number 1-31"},
    [CRON_MONTH] = {"month", "a month", 1, 12,
                    (const char *const[]){"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                          "sep", "oct", "nov", "dec", NULL},
                    "1-12 or jan..dec"},
    /* 7 is sunday too (it is folded onto 0 once parsed) */
    [CRON_DOW] = {"day-of-week", "a day-of-week", 0, 7,
                  (const char *const[]){"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL},
                  "0-7 or sun..sat"},
};

/* ---- parsing ---- */

static bool cron_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* One value: a number or a name.  -1 when unreadable. */
static long cron_value(const struct cron_field *f, const char *s, size_t len)
{
    if (len > 0 && s[0] >= '0' && s[0] <= '9') {
        long v = 0;
        for (size_t i = 0; i < len; i++) {
            if (s[i] < '0' || s[i] > '9' || v > 100000)
                return -1;
            v = v * 10 + (s[i] - '0');
        }
        return v;
    }
    for (size_t i = 0; f->names != NULL && f->names[i] != NULL; i++) {
        if (len == 3 && strncasecmp(s, f->names[i], 3) == 0)
            return f->min + (long)i;
    }
    return -1;
}

/* One end of a range, read and checked: a message, or NULL. */
static char *cron_bound(const struct cron_field *f, const char *s, size_t len, long *out)
{
    *out = cron_value(f, s, len);
    if (*out < 0)
        return xasprintf("cannot read `%.*s` as %s: write %s", (int)len, s, f->a_name, f->hint);
    if (*out < f->min || *out > f->max)
        return xasprintf("%s `%.*s` is out of range %d-%d", f->name, (int)len, s, f->min, f->max);
    return NULL;
}

/* One item of a field's list: `*`, N, N-M, each with an optional /STEP
 * (N/STEP is N-MAX/STEP).  Sets its bits; a message, or NULL. */
static char *cron_item(const struct cron_field *f, const char *item, size_t ilen, uint64_t *bits,
                       long *step_out)
{
    const char *slash = memchr(item, '/', ilen);
    size_t rlen = slash ? (size_t)(slash - item) : ilen;
    long step = 1;
    if (slash != NULL) {
        size_t slen = ilen - rlen - 1;
        step = cron_value(&cron_fields[CRON_MINUTE], slash + 1, slen);
        if (step <= 0)
            return xasprintf("%s step `%.*s` must be a number above 0", f->name, (int)slen,
                             slash + 1);
        if (step > f->max - f->min + 1)
            return xasprintf("%s step `%.*s` is larger than the range %d-%d it steps through",
                             f->name, (int)slen, slash + 1, f->min, f->max);
    }
    *step_out = step;
    long lo = f->min, hi = f->max;
    if (rlen == 0)
        return xasprintf("%s item `%.*s` has no value before its step", f->name, (int)ilen, item);
    if (!(rlen == 1 && item[0] == '*')) {
        const char *dash = memchr(item, '-', rlen);
        size_t alen = dash ? (size_t)(dash - item) : rlen;
        char *why = cron_bound(f, item, alen, &lo);
        if (why == NULL && dash != NULL)
            why = cron_bound(f, dash + 1, rlen - alen - 1, &hi);
        else if (why == NULL && slash == NULL)
            hi = lo;
        if (why != NULL)
            return why;
        if (f == &cron_fields[CRON_DOW] && dash != NULL && hi == 0 && lo > 0)
            hi = 7; /* fri-sun: a week ends on sunday */
        if (lo > hi)
            return xasprintf("%s range `%.*s` runs backwards; write the smaller value first",
                             f->name, (int)rlen, item);
    }
    for (long v = lo; v <= hi; v += step)
        *bits |= (uint64_t)1 << v;
    return NULL;
}

/* A field: a comma list of items.  *any when it is `*` or `*` with step 1. */
static char *cron_field_parse(const struct cron_field *f, const char *s, size_t len, uint64_t *bits,
                              bool *any)
{
    *bits = 0;
    *any = false;
    size_t pos = 0;
    for (;;) {
        const char *item = s + pos;
        const char *comma = memchr(item, ',', len - pos);
        size_t ilen = comma ? (size_t)(comma - item) : len - pos;
        if (ilen == 0)
            return xasprintf("%s list `%.*s` has an empty item", f->name, (int)len, s);
        long step = 1;
        char *why = cron_item(f, item, ilen, bits, &step);
        if (why != NULL)
            return why;
        if (ilen == len && item[0] == '*' && step == 1)
            *any = true;
        if (comma == NULL)
            return NULL;
        pos += ilen + 1;
    }
}

int cron_parse(cron_expr *out, const char *text, char **error)
{
    const char *start[CRON_FIELDS];
    size_t len[CRON_FIELDS], n = 0;
    for (const char *p = text; *p != '\0';) {
        while (cron_space(*p))
            p++;
        if (*p == '\0')
            break;
        const char *q = p;
        while (*q != '\0' && !cron_space(*q))
            q++;
        if (n < CRON_FIELDS) {
            start[n] = p;
            len[n] = (size_t)(q - p);
        }
        n++;
        p = q;
    }
    if (n != CRON_FIELDS) {
        *error = xasprintf("cron expression `%s` has %zu field%s; it needs 5: minute hour "
                           "day-of-month month day-of-week",
                           text, n, n == 1 ? "" : "s");
        return -1;
    }
    uint64_t bits[CRON_FIELDS];
    bool any[CRON_FIELDS];
    for (size_t i = 0; i < CRON_FIELDS; i++) {
        char *why = cron_field_parse(&cron_fields[i], start[i], len[i], &bits[i], &any[i]);
        if (why != NULL) {
            *error = xasprintf("cron expression `%s`: %s", text, why);
            free(why);
            return -1;
        }
    }
    memset(out, 0, sizeof *out);
    out->minute = bits[CRON_MINUTE];
    out->hour = (uint32_t)bits[CRON_HOUR];
    out->dom = (uint32_t)bits[CRON_DOM];
    out->month = (uint16_t)bits[CRON_MONTH];
    out->dow = (uint8_t)((bits[CRON_DOW] | bits[CRON_DOW] >> 7) & 0x7f); /* 7 is sunday */
    out->hour_any = any[CRON_HOUR];
    out->dom_any = any[CRON_DOM];
    out->dow_any = any[CRON_DOW];
    return 0;
}

/* ---- the calendar ---- */

static int64_t cron_floordiv(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int cron_month_days(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static int cron_weekday(int64_t y, int m, int d)
{
    int64_t days = tzone_days(y, m, d);
    return (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a thursday (4) */
}

/* The lowest set bit at or above `from`, or -1. */
static int cron_bit_next(uint64_t mask, int from)
{
    if (from > 63)
        return -1;
    if (from > 0)
        mask &= ~(uint64_t)0 << from;
    return mask ? __builtin_ctzll(mask) : -1;
}

/* The highest set bit at or below `from`, or -1. */
static int cron_bit_prev(uint64_t mask, int from)
{
    if (from < 0)
        return -1;
    if (from < 63)
        mask &= ((uint64_t)2 << from) - 1;
    return mask ? 63 - __builtin_clzll(mask) : -1;
}

/* The first day >= d of month y-m that matches, 0 when none.  The
 * weekday bits are doubled (a second week) so one search wraps round. */
static int cron_day_next(const cron_expr *c, int64_t y, int m, int d)
{
    int mdays = cron_month_days(y, m);
    if (d < 1 || d > mdays)
        return 0;
    int by_dom = c->dom_any ? d : cron_bit_next(c->dom, d);
    int by_dow = d;
    if (!c->dow_any) {
        int wd = cron_weekday(y, m, d);
        int k = cron_bit_next((uint64_t)c->dow | (uint64_t)c->dow << 7, wd);
        by_dow = k < 0 ? -1 : d + (k - wd);
    }
    int day;
    if (c->dom_any || c->dow_any) /* both must match; a `*` matches every day */
        day = c->dom_any ? by_dow : by_dom;
    else if (by_dom < 0 || by_dow < 0) /* either may match */
        day = by_dom < 0 ? by_dow : by_dom;
    else
        day = by_dom < by_dow ? by_dom : by_dow;
    return day >= 1 && day <= mdays ? day : 0;
}

/* The last day <= d of month y-m that matches, 0 when none. */
static int cron_day_prev(const cron_expr *c, int64_t y, int m, int d)
{
    if (d < 1)
        return 0;
    int by_dom = c->dom_any ? d : cron_bit_prev(c->dom, d);
    int by_dow = d;
    if (!c->dow_any) {
        int wd = cron_weekday(y, m, d);
        int k = cron_bit_prev((uint64_t)c->dow | (uint64_t)c->dow << 7, wd + 7);
        by_dow = k < 0 ? -1 : d - (wd + 7 - k);
    }
    int day;
    if (c->dom_any || c->dow_any)
        day = c->dom_any ? by_dow : by_dom;
    else
        day = by_dom > by_dow ? by_dom : by_dow;
    return day >= 1 ? day : 0;
}

/* ---- slots on a wall clock ---- */

/* Wall-clock times are seconds since 1970-01-01 00:00 of that clock (as if
 * it were UTC).  The first slot in [from, to], or INT64_MAX. */
static int64_t cron_wall_next(const cron_expr *c, int64_t from, int64_t to)
{
    int64_t t = from + (60 - (from - cron_floordiv(from, 60) * 60)) % 60; /* up to a minute */
    int64_t days = cron_floordiv(t, 86400), last_day = cron_floordiv(to, 86400);
    int64_t y;
    int m, d, h = (int)(t - days * 86400) / 3600, mi = (int)(t - days * 86400) % 3600 / 60;
    tzone_civil(days, &y, &m, &d);
    for (;;) {
        if (m > 12) {
            m = 1;
            y++;
        }
        if (!(c->month >> m & 1)) {
            int next = cron_bit_next(c->month, m + 1);
            if (next < 0) {
                y++;
                next = cron_bit_next(c->month, 1);
            }
            m = next, d = 1, h = 0, mi = 0;
        }
        int64_t first = tzone_days(y, m, 1);
        if (first + d - 1 > last_day)
            return INT64_MAX;
        int day = cron_day_next(c, y, m, d);
        if (day == 0) {
            m++, d = 1, h = 0, mi = 0;
            continue;
        }
        if (day != d)
            d = day, h = 0, mi = 0;
        int hour = cron_bit_next(c->hour, h);
        if (hour < 0) {
            d++, h = 0, mi = 0;
            continue;
        }
        if (hour != h)
            h = hour, mi = 0;
        int minute = cron_bit_next(c->minute, mi);
        if (minute < 0) {
            h++, mi = 0;
            continue;
        }
        int64_t w = (first + d - 1) * 86400 + h * 3600 + minute * 60;
        return w <= to ? w : INT64_MAX;
    }
}

/* The last slot in [from, to], or INT64_MIN. */
static int64_t cron_wall_prev(const cron_expr *c, int64_t from, int64_t to)
{
    int64_t t = cron_floordiv(to, 60) * 60;
    int64_t days = cron_floordiv(t, 86400), first_day = cron_floordiv(from, 86400);
    int64_t y;
    int m, d, h = (int)(t - days * 86400) / 3600, mi = (int)(t - days * 86400) % 3600 / 60;
    tzone_civil(days, &y, &m, &d);
    for (;;) {
        if (m < 1) {
            m = 12;
            y--;
        }
        if (!(c->month >> m & 1)) {
            int prev = cron_bit_prev(c->month, m - 1);
            if (prev < 0) {
                y--;
                prev = cron_bit_prev(c->month, 12);
            }
            m = prev, d = 31, h = 23, mi = 59;
        }
        int mdays = cron_month_days(y, m);
        if (d > mdays)
            d = mdays;
        int64_t first = tzone_days(y, m, 1);
        if (first + mdays - 1 < first_day || (d >= 1 && first + d - 1 < first_day))
            return INT64_MIN;
        int day = cron_day_prev(c, y, m, d);
        if (day == 0) {
            m--, d = 31, h = 23, mi = 59;
            continue;
        }
        if (day != d)
            d = day, h = 23, mi = 59;
        int hour = cron_bit_prev(c->hour, h);
        if (hour < 0) {
            d--, h = 23, mi = 59;
            continue;
        }
        if (hour != h)
            h = hour, mi = 59;
        int minute = cron_bit_prev(c->minute, mi);
        if (minute < 0) {
            h--, mi = 59;
            continue;
        }
        int64_t w = (first + d - 1) * 86400 + h * 3600 + minute * 60;
        return w >= from ? w : INT64_MIN;
    }
}

/* ---- slots in a zone ---- */

/* Each span of constant offset is a stretch of wall clock; a span that
 * starts with a jump forward left a gap of wall times behind it, one that
 * starts with a jump back repeats the wall times just before it. */
static int64_t cron_next_zone(const cron_expr *c, int64_t after, int64_t limit, const tzone *tz)
{
    int64_t lo = after + 1;
    while (lo <= limit) {
        int64_t start, end;
        long off = tzone_span(tz, lo, &start, &end);
        long before = start == INT64_MIN ? off : tzone_offset(tz, start - 1);
        int64_t wall_from = lo + off;
        if (!c->hour_any && before > off) {
            if (wall_from < start + before) /* fired already, before the clock went back */
                wall_from = start + before;
        } else if (!c->hour_any && before < off && lo == start &&
                   cron_wall_next(c, start + before, start + off - 1) != INT64_MAX) {
            return start; /* slots in the gap fire once, as it ends */
        }
        int64_t hi = end == INT64_MAX || end - 1 > limit ? limit : end - 1;
        int64_t w = wall_from <= hi + off ? cron_wall_next(c, wall_from, hi + off) : INT64_MAX;
        if (w != INT64_MAX)
            return w - off;
        if (hi == limit)
            break;
        lo = end;
    }
    return INT64_MAX;
}

static int64_t cron_prev_zone(const cron_expr *c, int64_t at, int64_t lowest, const tzone *tz)
{
    int64_t hi = at;
    while (hi >= lowest) {
        int64_t start;
        long off = tzone_span(tz, hi, &start, NULL);
        long before = start == INT64_MIN ? off : tzone_offset(tz, start - 1);
        int64_t wall_lo = (start == INT64_MIN || start < lowest ? lowest : start) + off;
        if (!c->hour_any && before > off && wall_lo < start + before)
            wall_lo = start + before;
        int64_t w = wall_lo <= hi + off ? cron_wall_prev(c, wall_lo, hi + off) : INT64_MIN;
        if (w != INT64_MIN)
            return w - off;
        if (start == INT64_MIN || start < lowest)
            break;
        if (!c->hour_any && before < off &&
            cron_wall_next(c, start + before, start + off - 1) != INT64_MAX)
            return start;
        hi = start - 1;
    }
    return INT64_MIN;
}

int64_t cron_next(const cron_expr *c, int64_t after, const tzone *tz)
{
    if (after >= CRON_LIMIT || after < -CRON_LIMIT)
        return INT64_MAX;
    int64_t limit = after + CRON_HORIZON;
    if (tz == NULL)
        return cron_wall_next(c, after + 1, limit);
    return cron_next_zone(c, after, limit, tz);
}

int64_t cron_prev(const cron_expr *c, int64_t at, const tzone *tz)
{
    if (at > CRON_LIMIT || at <= -CRON_LIMIT)
        return INT64_MIN;
    int64_t lowest = at - CRON_HORIZON;
    if (tz == NULL)
        return cron_wall_prev(c, lowest, at);
    return cron_prev_zone(c, at, lowest, tz);
}
