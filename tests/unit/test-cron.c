/* test-cron.c - cron expressions (parsing, next and previous slots) and
 * time zones (TZif files, POSIX TZ rules, DST). */
#define _DEFAULT_SOURCE /* timegm, gmtime_r: an independent calendar */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

#define SYSTEM_ZONES "/usr/share/zoneinfo"

/* ---- helpers ---- */

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm);
}

static const char *iso(int64_t t, char buf[32])
{
    if (t == INT64_MAX || t == INT64_MIN)
        return t == INT64_MAX ? "INT64_MAX" : "INT64_MIN";
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

#define assert_time(got, want) assert_time_at((got), (want), __FILE__, __LINE__)
static void assert_time_at(int64_t got, int64_t want, const char *file, int line)
{
    if (got != want) {
        char a[32], b[32];
        print_error("%s:%d: got %s, want %s\n", file, line, iso(got, a), iso(want, b));
        fail();
    }
}

static cron_expr parse(const char *text)
{
    cron_expr c;
    char *error = NULL;
    if (cron_parse(&c, text, &error) < 0) {
        print_error("cron_parse(\"%s\"): %s\n", text, error);
        free(error);
        fail();
    }
    return c;
}

static void assert_parse_error(const char *text, const char *want)
{
    cron_expr c;
    char *error = NULL;
    assert_int_equal(cron_parse(&c, text, &error), -1);
    assert_non_null(error);
    assert_string_equal(error, want);
    free(error);
}

static uint64_t bits(const int *v, size_t n)
{
    uint64_t b = 0;
    for (size_t i = 0; i < n; i++)
        b |= (uint64_t)1 << v[i];
    return b;
}
#define BITS(...) bits((const int[]){__VA_ARGS__}, sizeof((const int[]){__VA_ARGS__}) / sizeof(int))

/* A zone of the system's tz database, or skip the test when it has none. */
static tzone *zone(const char *name)
{
    tzone *tz = NULL;
    char *error = NULL;
    if (tzone_load_dir(&tz, SYSTEM_ZONES, name, &error) < 0) {
        print_message("skipped: %s\n", error);
        free(error);
        skip();
    }
    return tz;
}

/* Does wall-clock time w (seconds, as if UTC) match?  gmtime_r, not cron.c. */
static bool ref_match(const cron_expr *c, int64_t w)
{
    time_t t = (time_t)w;
    struct tm tm;
    gmtime_r(&t, &tm);
    if (tm.tm_sec != 0 || !(c->minute >> tm.tm_min & 1) || !(c->hour >> tm.tm_hour & 1) ||
        !(c->month >> (tm.tm_mon + 1) & 1))
        return false;
    bool dom = c->dom >> tm.tm_mday & 1, dow = c->dow >> tm.tm_wday & 1;
    return !c->dom_any && !c->dow_any ? dom || dow : dom && dow;
}

/* Does the job fire at UTC instant t (a whole minute) in tz?  The stated
 * semantics, instant by instant. */
static bool ref_fires(const cron_expr *c, const tzone *tz, int64_t t)
{
    long off = tz ? tzone_offset(tz, t) : 0, prev = tz ? tzone_offset(tz, t - 1) : 0;
    if (!c->hour_any && prev < off) { /* t ends a gap: its slots fire now */
        for (int64_t w = t + prev; w < t + off; w += 60) {
            if (ref_match(c, w))
                return true;
        }
    }
    if (!ref_match(c, t + off))
        return false;
    long earlier = tz ? tzone_offset(tz, t - 86400) : 0;
    if (!c->hour_any && earlier != off) { /* the same wall time came before? */
        int64_t t2 = t + off - earlier;
        if (t2 < t && tzone_offset(tz, t2) == earlier)
            return false;
    }
    return true;
}

/* Minute by minute over [from, to] against chains of cron_next and
 * cron_prev: the same instants, in order.  Returns how many. */
static size_t check_against_reference(const char *expr, const tzone *tz, int64_t from, int64_t to)
{
    cron_expr c = parse(expr);
    int64_t next = cron_next(&c, from - 1, tz);
    size_t fires = 0;
    for (int64_t t = from; t <= to; t += 60) {
        if (!ref_fires(&c, tz, t))
            continue;
        fires++;
        if (next != t) {
            char a[32], b[32];
            print_error("%s in %s: cron_next gave %s, the reference %s\n", expr,
                        tz ? tzone_name(tz) : "UTC", iso(next, a), iso(t, b));
            fail();
        }
        assert_time(cron_prev(&c, t, tz), t);
        if (t > from)
            assert_time(cron_next(&c, cron_prev(&c, t - 1, tz), tz), t);
        next = cron_next(&c, t, tz);
    }
    assert_true(next > to);
    return fires;
}

/* ---- parsing ---- */

static void test_parse_forms(void **state)
{
    cron_expr c = parse("*/15 * * * *");
    assert_int_equal(c.minute, BITS(0, 15, 30, 45));
    assert_int_equal(c.hour, 0xffffff);
    assert_int_equal(c.dom, 0xfffffffe);
    assert_int_equal(c.month, 0x1ffe);
    assert_int_equal(c.dow, 0x7f);
    assert_true(c.hour_any && c.dom_any && c.dow_any);

    c = parse("1-30/10 9-17/2 1,15 * 1-5");
    assert_int_equal(c.minute, BITS(1, 11, 21));
    assert_int_equal(c.hour, BITS(9, 11, 13, 15, 17));
    assert_int_equal(c.dom, BITS(1, 15));
    assert_int_equal(c.dow, BITS(1, 2, 3, 4, 5));
    assert_false(c.hour_any || c.dom_any);
    assert_true(c.dow_any == false);

    c = parse("0,30 8-18 * * mon-fri");
    assert_int_equal(c.minute, BITS(0, 30));
    assert_int_equal(c.hour, BITS(8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18));
    assert_int_equal(c.dow, BITS(1, 2, 3, 4, 5));

    c = parse("0 12 1 jan,JUL *"); /* names in any case */
    assert_int_equal(c.month, BITS(1, 7));
    c = parse("0 0 1 Mar-May *");
    assert_int_equal(c.month, BITS(3, 4, 5));
    c = parse("0 0 1 */3 *");
    assert_int_equal(c.month, BITS(1, 4, 7, 10));

    /* sunday: 0, 7 or sun; a range may end on 7 or on sun */
    assert_int_equal(parse("5 4 * * sun").dow, BITS(0));
    assert_int_equal(parse("5 4 * * 7").dow, BITS(0));
    assert_int_equal(parse("5 4 * * 0,7").dow, BITS(0));
    assert_int_equal(parse("0 0 * * 5-7").dow, BITS(0, 5, 6));
    assert_int_equal(parse("0 0 * * fri-sun").dow, BITS(0, 5, 6));
    assert_int_equal(parse("0 0 * * SAT,Mon").dow, BITS(1, 6));

    /* N/STEP runs from N to the end; `*` with step 1 is still `*` */
    assert_int_equal(parse("5/20 * * * *").minute, BITS(5, 25, 45));
    c = parse("* */1 */1 * */1");
    assert_true(c.hour_any && c.dom_any && c.dow_any);
    assert_int_equal(c.minute, ~(uint64_t)0 >> 4);
    c = parse("0 */2 */2 * *");
    assert_false(c.hour_any);
    assert_false(c.dom_any);
    assert_int_equal(c.hour, BITS(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22));
    c = parse("0 0-23 1-31 * 0-6"); /* everything, but not written `*` */
    assert_false(c.hour_any || c.dom_any || c.dow_any);

    c = parse("  59\t23 31 12   6 \n"); /* any blanks between fields */
    assert_int_equal(c.minute, BITS(59));
    assert_int_equal(c.hour, BITS(23));
    assert_int_equal(c.dom, BITS(31));
    assert_int_equal(c.month, BITS(12));
    assert_int_equal(c.dow, BITS(6));
    assert_int_equal(parse("0 0 1,15-17,28-31/2 * *").dom, BITS(1, 15, 16, 17, 28, 30));
}

static void test_parse_errors(void **state)
{
    const char *five = "; it needs 5: minute hour day-of-month month day-of-week";
    char want[256];
    snprintf(want, sizeof want, "cron expression `0 */5 * * * *` has 6 fields%s", five);
    assert_parse_error("0 */5 * * * *", want);
    snprintf(want, sizeof want, "cron expression `hourly` has 1 field%s", five);
    assert_parse_error("hourly", want);
    snprintf(want, sizeof want, "cron expression `` has 0 fields%s", five);
    assert_parse_error("", want);
    snprintf(want, sizeof want, "cron expression `0 0 * *` has 4 fields%s", five);
    assert_parse_error("0 0 * *", want);

    assert_parse_error("61 * * * *",
                       "cron expression `61 * * * *`: minute `61` is out of range 0-59");
    assert_parse_error("0 24 * * *",
                       "cron expression `0 24 * * *`: hour `24` is out of range 0-23");
    assert_parse_error("0 0 0 * *",
                       "cron expression `0 0 0 * *`: day-of-month `0` is out of range 1-31");
    assert_parse_error("0 0 32 * *",
                       "cron expression `0 0 32 * *`: day-of-month `32` is out of range 1-31");
    assert_parse_error("0 0 1 13 *",
                       "cron expression `0 0 1 13 *`: month `13` is out of range 1-12");
    assert_parse_error("0 0 1 0 *", "cron expression `0 0 1 0 *`: month `0` is out of range 1-12");
    assert_parse_error("0 0 * * 8",
                       "cron expression `0 0 * * 8`: day-of-week `8` is out of range 0-7");
    assert_parse_error("0 9-25 * * *",
                       "cron expression `0 9-25 * * *`: hour `25` is out of range 0-23");

    assert_parse_error("x * * * *",
                       "cron expression `x * * * *`: cannot read `x` as a minute: write a "
                       "number 0-59");
    assert_parse_error("0 noon * * *",
                       "cron expression `0 noon * * *`: cannot read `noon` as an hour: write a "
                       "number 0-23");
    assert_parse_error("0 0 * * monday",
                       "cron expression `0 0 * * monday`: cannot read `monday` as a "
                       "day-of-week: write 0-7 or sun..sat");
    assert_parse_error("0 0 1 foo *",
                       "cron expression `0 0 1 foo *`: cannot read `foo` as a month: write 1-12 "
                       "or jan..dec");
    assert_parse_error("0 0 mon * *", /* names belong to their own fields */
                       "cron expression `0 0 mon * *`: cannot read `mon` as a day-of-month: "
                       "write a number 1-31");
    assert_parse_error("-5 * * * *",
                       "cron expression `-5 * * * *`: cannot read `` as a minute: write a "
                       "number 0-59");
    assert_parse_error("1-2-3 * * * *",
                       "cron expression `1-2-3 * * * *`: cannot read `2-3` as a minute: write a "
                       "number 0-59");
    assert_parse_error("*-5 * * * *",
                       "cron expression `*-5 * * * *`: cannot read `*` as a minute: write a "
                       "number 0-59");

    assert_parse_error("*/0 * * * *",
                       "cron expression `*/0 * * * *`: minute step `0` must be a number above 0");
    assert_parse_error("*/x * * * *",
                       "cron expression `*/x * * * *`: minute step `x` must be a number above 0");
    assert_parse_error("*/ * * * *",
                       "cron expression `*/ * * * *`: minute step `` must be a number above 0");
    assert_parse_error("*/90 * * * *",
                       "cron expression `*/90 * * * *`: minute step `90` is larger than the "
                       "range 0-59 it steps through");
    assert_parse_error("0 */25 * * *",
                       "cron expression `0 */25 * * *`: hour step `25` is larger than the range "
                       "0-23 it steps through");
    assert_parse_error("/5 * * * *",
                       "cron expression `/5 * * * *`: minute item `/5` has no value before its "
                       "step");

    assert_parse_error("1,,2 * * * *",
                       "cron expression `1,,2 * * * *`: minute list `1,,2` has an empty item");
    assert_parse_error("0 1, * * *",
                       "cron expression `0 1, * * *`: hour list `1,` has an empty item");
    assert_parse_error("30-10 * * * *",
                       "cron expression `30-10 * * * *`: minute range `30-10` runs backwards; "
                       "write the smaller value first");
    assert_parse_error("0 0 1 dec-jan *",
                       "cron expression `0 0 1 dec-jan *`: month range `dec-jan` runs "
                       "backwards; write the smaller value first");
    assert_parse_error("99999999999999 * * * *",
                       "cron expression `99999999999999 * * * *`: cannot read `99999999999999` "
                       "as a minute: write a number 0-59");
}

/* ---- next and previous slots in UTC ---- */

static void test_next_basic(void **state)
{
    cron_expr c = parse("*/15 * * * *");
    assert_time(cron_next(&c, utc(2026, 5, 4, 10, 7) + 30, NULL), utc(2026, 5, 4, 10, 15));
    /* strictly after: a slot itself is not its own next */
    assert_time(cron_next(&c, utc(2026, 5, 4, 10, 15), NULL), utc(2026, 5, 4, 10, 30));
    assert_time(cron_next(&c, utc(2026, 5, 4, 10, 15) - 1, NULL), utc(2026, 5, 4, 10, 15));
    assert_time(cron_next(&c, utc(2026, 5, 4, 23, 50), NULL), utc(2026, 5, 5, 0, 0));

    c = parse("30 15 * * 1-5"); /* weekdays; 2026-05-08 is a friday */
    assert_time(cron_next(&c, utc(2026, 5, 8, 15, 30), NULL), utc(2026, 5, 11, 15, 30));
    c = parse("0 9-17/2 * * *");
    assert_time(cron_next(&c, utc(2026, 5, 4, 9, 0), NULL), utc(2026, 5, 4, 11, 0));
    assert_time(cron_next(&c, utc(2026, 5, 4, 17, 0), NULL), utc(2026, 5, 5, 9, 0));
    /* before 1970 works too */
    c = parse("0 12 * * *");
    assert_time(cron_next(&c, utc(1969, 12, 31, 13, 0), NULL), utc(1970, 1, 1, 12, 0));
    assert_time(cron_next(&c, utc(1900, 2, 28, 12, 0), NULL), utc(1900, 3, 1, 12, 0));
}

static void test_next_month_ends(void **state)
{
    cron_expr c = parse("0 0 31 * *");
    int64_t t = utc(2026, 1, 31, 0, 0);
    const int want[][2] = {{2026, 3},  {2026, 5},  {2026, 7}, {2026, 8},
                           {2026, 10}, {2026, 12}, {2027, 1}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        t = cron_next(&c, t, NULL);
        assert_time(t, utc(want[i][0], want[i][1], 31, 0, 0));
    }
    c = parse("0 6 30 * *"); /* skips only February */
    assert_time(cron_next(&c, utc(2026, 1, 30, 6, 0), NULL), utc(2026, 3, 30, 6, 0));
    c = parse("0 0 31 4,6,9,11 *"); /* never: those months have 30 days */
    assert_time(cron_next(&c, utc(2026, 1, 1, 0, 0), NULL), INT64_MAX);
}

static void test_next_leap_years(void **state)
{
    cron_expr c = parse("0 0 29 2 *");
    assert_time(cron_next(&c, utc(2026, 1, 1, 0, 0), NULL), utc(2028, 2, 29, 0, 0));
    assert_time(cron_next(&c, utc(2028, 2, 29, 0, 0), NULL), utc(2032, 2, 29, 0, 0));
    /* 2100 is not a leap year: eight years to the next one, still in reach */
    assert_time(cron_next(&c, utc(2096, 3, 1, 0, 0), NULL), utc(2104, 2, 29, 0, 0));
    assert_time(cron_prev(&c, utc(2104, 2, 28, 0, 0), NULL), utc(2096, 2, 29, 0, 0));
    assert_time(cron_prev(&c, utc(2027, 1, 1, 0, 0), NULL), utc(2024, 2, 29, 0, 0));
    /* 2000 was one (divisible by 400) */
    assert_time(cron_next(&c, utc(1997, 1, 1, 0, 0), NULL), utc(2000, 2, 29, 0, 0));

    c = parse("0 0 30 2 *"); /* never */
    assert_time(cron_next(&c, utc(2026, 1, 1, 0, 0), NULL), INT64_MAX);
    assert_time(cron_prev(&c, utc(2026, 1, 1, 0, 0), NULL), INT64_MIN);

    /* lookups years ahead skip months and days: microseconds each */
    c = parse("0 0 29 2 *");
    cron_expr never = parse("0 0 30 2 *");
    clock_t begin = clock();
    int64_t t = utc(2001, 3, 1, 0, 0);
    for (int i = 0; i < 1000; i++) {
        t = cron_next(&c, t, NULL);
        assert_time(cron_next(&never, t, NULL), INT64_MAX);
        if (t > utc(2300, 1, 1, 0, 0))
            t = utc(2001, 3, 1, 0, 0);
    }
    double s = (double)(clock() - begin) / CLOCKS_PER_SEC;
    print_message("2000 lookups of 29 Feb / 30 Feb: %.3f ms\n", s * 1e3);
    assert_true(s < 2.0); /* ~1 ms natively; room for valgrind */
}

static void test_next_year_end(void **state)
{
    cron_expr c = parse("59 23 31 12 *");
    assert_time(cron_next(&c, utc(2026, 6, 1, 0, 0), NULL), utc(2026, 12, 31, 23, 59));
    assert_time(cron_next(&c, utc(2026, 12, 31, 23, 59), NULL), utc(2027, 12, 31, 23, 59));
    c = parse("0 0 1 1 *");
    assert_time(cron_next(&c, utc(2026, 12, 31, 23, 59) + 30, NULL), utc(2027, 1, 1, 0, 0));
    c = parse("*/20 * * * *");
    assert_time(cron_next(&c, utc(2026, 12, 31, 23, 45), NULL), utc(2027, 1, 1, 0, 0));
    c = parse("0 12 * 1 1"); /* mondays of january, from the year before */
    assert_time(cron_next(&c, utc(2026, 2, 1, 0, 0), NULL), utc(2027, 1, 4, 12, 0));
    assert_time(cron_prev(&c, utc(2027, 1, 4, 11, 0), NULL), utc(2026, 1, 26, 12, 0));
}

static void test_dom_dow(void **state)
{
    /* both restricted: the 13th OR mondays (Vixie cron) */
    cron_expr c = parse("0 0 13 * 1");
    int64_t t = utc(2026, 2, 1, 0, 0);
    const int want[][2] = {{2, 2}, {2, 9}, {2, 13}, {2, 16}, {2, 23}, {3, 2}, {3, 9}, {3, 13}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        t = cron_next(&c, t, NULL);
        assert_time(t, utc(2026, want[i][0], want[i][1], 0, 0));
    }
    /* so "1-7 * 1" is not "the first monday": days 1-7 and every monday */
    c = parse("0 0 1-7 * mon");
    t = utc(2026, 3, 7, 0, 0);
    assert_time(t = cron_next(&c, t, NULL), utc(2026, 3, 9, 0, 0));
    assert_time(t = cron_next(&c, t, NULL), utc(2026, 3, 16, 0, 0));
    /* one of them `*`: the other decides alone */
    c = parse("0 0 13 * *");
    assert_time(cron_next(&c, utc(2026, 2, 1, 0, 0), NULL), utc(2026, 2, 13, 0, 0));
    c = parse("0 0 * * 1");
    assert_time(cron_next(&c, utc(2026, 2, 2, 0, 0), NULL), utc(2026, 2, 9, 0, 0));
    c = parse("0 0 */1 * 5"); /* `*` with step 1 counts as `*` */
    assert_time(cron_next(&c, utc(2026, 2, 1, 0, 0), NULL), utc(2026, 2, 6, 0, 0));
    c = parse("0 0 */10 * 5"); /* a step restricts: 1st, 11th, 21st, 31st or fridays */
    assert_time(cron_next(&c, utc(2026, 2, 1, 0, 0), NULL), utc(2026, 2, 6, 0, 0));
    assert_time(cron_next(&c, utc(2026, 2, 6, 0, 0), NULL), utc(2026, 2, 11, 0, 0));
    /* friday the 13th cannot be said: it is the 13th or a friday */
    c = parse("0 0 13 * fri");
    assert_time(cron_next(&c, utc(2026, 2, 6, 0, 0), NULL), utc(2026, 2, 13, 0, 0));
    assert_time(cron_next(&c, utc(2026, 2, 13, 0, 0), NULL), utc(2026, 2, 20, 0, 0));
    /* the month still applies to both */
    c = parse("0 0 1 jun sun");
    assert_time(cron_next(&c, utc(2026, 1, 1, 0, 0), NULL), utc(2026, 6, 1, 0, 0));
    assert_time(cron_next(&c, utc(2026, 6, 1, 0, 0), NULL), utc(2026, 6, 7, 0, 0));
    assert_time(cron_prev(&c, utc(2026, 5, 31, 23, 0), NULL), utc(2025, 6, 29, 0, 0));
}

static void test_prev(void **state)
{
    cron_expr c = parse("*/15 * * * *");
    assert_time(cron_prev(&c, utc(2026, 5, 4, 10, 7), NULL), utc(2026, 5, 4, 10, 0));
    /* at or before: a slot is its own prev */
    assert_time(cron_prev(&c, utc(2026, 5, 4, 10, 15), NULL), utc(2026, 5, 4, 10, 15));
    assert_time(cron_prev(&c, utc(2026, 5, 4, 10, 15) - 1, NULL), utc(2026, 5, 4, 10, 0));
    assert_time(cron_prev(&c, utc(2027, 1, 1, 0, 0) - 1, NULL), utc(2026, 12, 31, 23, 45));
    c = parse("0 0 31 * *");
    assert_time(cron_prev(&c, utc(2026, 7, 30, 0, 0), NULL), utc(2026, 5, 31, 0, 0));
    assert_time(cron_prev(&c, utc(2026, 3, 30, 0, 0), NULL), utc(2026, 1, 31, 0, 0));
    c = parse("30 15 * * 1-5");
    assert_time(cron_prev(&c, utc(2026, 5, 11, 15, 29), NULL), utc(2026, 5, 8, 15, 30));
    c = parse("59 23 31 12 *");
    assert_time(cron_prev(&c, utc(2027, 6, 1, 0, 0), NULL), utc(2026, 12, 31, 23, 59));
}

/* The whole calendar of a few expressions, minute by minute, in UTC. */
static void test_utc_reference(void **state)
{
    const char *exprs[] = {"*/7 * * * *", "0 */5 * * *",  "15 3 29 2 *",
                           "0 0 13 * 5",  "0 12 * * sun", "1-59/29 22-23 31 12,1 *",
                           "0 0 1-7 * 1", "* 0 1 * *"};
    size_t fires = 0;
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        fires +=
            check_against_reference(exprs[i], NULL, utc(2027, 12, 24, 0, 0), utc(2028, 1, 8, 0, 0));
        fires +=
            check_against_reference(exprs[i], NULL, utc(2028, 2, 20, 0, 0), utc(2028, 3, 8, 0, 0));
    }
    assert_true(fires > 1000);
}

/* ---- time zones ---- */

static void test_zone_offsets(void **state)
{
    tzone *tz = zone("Europe/Berlin");
    assert_string_equal(tzone_name(tz), "Europe/Berlin");
    assert_int_equal(tzone_offset(tz, utc(2026, 1, 15, 12, 0)), 3600);
    assert_int_equal(tzone_offset(tz, utc(2026, 7, 15, 12, 0)), 7200);
    assert_int_equal(tzone_offset(tz, utc(2026, 3, 29, 1, 0) - 1), 3600);
    assert_int_equal(tzone_offset(tz, utc(2026, 3, 29, 1, 0)), 7200);
    assert_int_equal(tzone_offset(tz, utc(2026, 10, 25, 1, 0) - 1), 7200);
    assert_int_equal(tzone_offset(tz, utc(2026, 10, 25, 1, 0)), 3600);
    assert_int_equal(tzone_offset(tz, utc(1880, 1, 1, 0, 0)), 3208);  /* LMT +0:53:28 */
    assert_int_equal(tzone_offset(tz, utc(1945, 6, 1, 0, 0)), 10800); /* double summer time */
    assert_int_equal(tzone_offset(tz, utc(2100, 7, 1, 0, 0)), 7200);  /* the footer rule */
    assert_int_equal(tzone_offset(tz, utc(2100, 12, 1, 0, 0)), 3600);
    assert_int_equal(tzone_offset(tz, utc(2400, 3, 26, 1, 0)), 7200); /* last sunday of March */
    assert_int_equal(tzone_offset(tz, utc(2400, 3, 26, 1, 0) - 1), 3600);
    int64_t start, end;
    assert_int_equal(tzone_span(tz, utc(2026, 3, 29, 0, 0), &start, &end), 3600);
    assert_time(start, utc(2025, 10, 26, 1, 0));
    assert_time(end, utc(2026, 3, 29, 1, 0));
    assert_int_equal(tzone_span(tz, utc(2101, 1, 1, 0, 0), &start, &end), 3600);
    assert_time(start, utc(2100, 10, 31, 1, 0));
    assert_time(end, utc(2101, 3, 27, 1, 0));
    tzone_free(tz);

    tz = zone("America/New_York");
    assert_int_equal(tzone_offset(tz, utc(2026, 1, 1, 0, 0)), -18000);
    assert_int_equal(tzone_offset(tz, utc(2026, 7, 1, 0, 0)), -14400);
    assert_int_equal(tzone_offset(tz, utc(2026, 3, 8, 7, 0) - 1), -18000);
    assert_int_equal(tzone_offset(tz, utc(2026, 3, 8, 7, 0)), -14400);
    assert_int_equal(tzone_offset(tz, utc(2026, 11, 1, 6, 0) - 1), -14400);
    assert_int_equal(tzone_offset(tz, utc(2026, 11, 1, 6, 0)), -18000);
    assert_int_equal(tzone_offset(tz, utc(1850, 1, 1, 0, 0)), -17762); /* LMT -4:56:02 */
    assert_int_equal(tzone_offset(tz, utc(2200, 7, 1, 0, 0)), -14400);
    tzone_free(tz);

    tz = zone("Australia/Sydney"); /* DST across the new year */
    assert_int_equal(tzone_offset(tz, utc(2026, 1, 15, 0, 0)), 39600);
    assert_int_equal(tzone_offset(tz, utc(2026, 7, 15, 0, 0)), 36000);
    assert_int_equal(tzone_offset(tz, utc(2150, 1, 1, 0, 0)), 39600);
    assert_int_equal(tzone_offset(tz, utc(2150, 7, 1, 0, 0)), 36000);
    tzone_free(tz);

    tz = zone("Australia/Lord_Howe"); /* half an hour of DST */
    assert_int_equal(tzone_offset(tz, utc(2126, 1, 15, 0, 0)), 39600);
    assert_int_equal(tzone_offset(tz, utc(2126, 7, 15, 0, 0)), 37800);
    tzone_free(tz);

    tz = zone("Asia/Kolkata");
    assert_int_equal(tzone_offset(tz, utc(2026, 1, 1, 0, 0)), 19800);
    assert_int_equal(tzone_offset(tz, utc(2226, 1, 1, 0, 0)), 19800);
    tzone_free(tz);

    tz = zone("Asia/Tehran"); /* footer <+0330>-3:30 */
    assert_int_equal(tzone_offset(tz, utc(2026, 7, 1, 0, 0)), 12600);
    assert_int_equal(tzone_offset(tz, utc(2126, 7, 1, 0, 0)), 12600);
    tzone_free(tz);
}

static void test_zone_names(void **state)
{
    tzone *tz = NULL;
    char *error = NULL;
    /* UTC is built in: no tz database needed */
    const char *builtin[] = {"UTC", "Etc/UTC"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(tzone_load_dir(&tz, "/nonexistent/zoneinfo", builtin[i], &error), 0);
        assert_string_equal(tzone_name(tz), builtin[i]);
        assert_int_equal(tzone_offset(tz, utc(2026, 7, 1, 0, 0)), 0);
        int64_t start, end;
        assert_int_equal(tzone_span(tz, 0, &start, &end), 0);
        assert_time(start, INT64_MIN);
        assert_time(end, INT64_MAX);
        tzone_free(tz);
    }
    assert_int_equal(tzone_load(&tz, "UTC", &error), 0);
    tzone_free(tz);

    assert_int_equal(tzone_load_dir(&tz, "/nonexistent/zoneinfo", "Europe/Berlin", &error), -1);
    assert_null(tz);
    assert_string_equal(error, "unknown time zone `Europe/Berlin`: the tz database "
                               "/nonexistent/zoneinfo does not exist (install tzdata, or set "
                               "TZDIR to where it is)");
    free(error);

    const char *bad[] = {
        "../../etc/passwd", "/etc/localtime", "Europe/../../etc/passwd", "",
        "Europe/Berlin/",   ".hidden",        "Europe//Berlin",          "Europe/Ber lin",
        "Europe/.x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        error = NULL;
        assert_int_equal(tzone_load_dir(&tz, SYSTEM_ZONES, bad[i], &error), -1);
        char want[256];
        snprintf(want, sizeof want,
                 "invalid time zone name `%s`: use a tz database name such as Europe/Berlin, "
                 "America/New_York or UTC",
                 bad[i]);
        assert_string_equal(error, want);
        free(error);
    }

    struct stat st;
    if (stat(SYSTEM_ZONES "/Europe", &st) < 0)
        skip();
    assert_int_equal(tzone_load_dir(&tz, SYSTEM_ZONES, "Mars/Olympus_Mons", &error), -1);
    assert_string_equal(error, "unknown time zone `Mars/Olympus_Mons`: there is no " SYSTEM_ZONES
                               "/Mars/Olympus_Mons (zones are tz database names "
                               "such as Europe/Berlin)");
    free(error);
    assert_int_equal(tzone_load_dir(&tz, SYSTEM_ZONES, "Europe", &error), -1);
    assert_string_equal(error, "unknown time zone `Europe`: " SYSTEM_ZONES
                               "/Europe is a directory of zones; name one in it, e.g. "
                               "Europe/...");
    free(error);
}

/* TZif files written here: a v1 file (32-bit section, no footer), a v2
 * file with no transitions and only a footer, and garbage. */
static void put32(unsigned char **p, uint32_t v)
{
    (*p)[0] = (unsigned char)(v >> 24), (*p)[1] = (unsigned char)(v >> 16);
    (*p)[2] = (unsigned char)(v >> 8), (*p)[3] = (unsigned char)v;
    *p += 4;
}

static unsigned char *tzif_header(unsigned char *p, char version, uint32_t timecnt,
                                  uint32_t typecnt, uint32_t charcnt)
{
    memset(p, 0, 44);
    memcpy(p, "TZif", 4);
    p[4] = (unsigned char)version;
    p += 20;
    put32(&p, 0); /* isutcnt */
    put32(&p, 0); /* isstdcnt */
    put32(&p, 0); /* leapcnt */
    put32(&p, timecnt);
    put32(&p, typecnt);
    put32(&p, charcnt);
    return p;
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void test_zone_files(void **state)
{
    const char *base = getenv("TMPDIR");
    char dir[256];
    snprintf(dir, sizeof dir, "%s/test-cron-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(dir));
    unsigned char buf[512], *p;

    /* v1: 0 until 1e9 (type 1 +1h DST), 1.1e9 back to type 0 (standard, +0) */
    p = tzif_header(buf, '\0', 2, 2, 8);
    put32(&p, 1000000000);
    put32(&p, 1100000000);
    *p++ = 1;
    *p++ = 0;
    put32(&p, 0), *p++ = 0, *p++ = 0;    /* STD */
    put32(&p, 3600), *p++ = 1, *p++ = 4; /* DST */
    memcpy(p, "STD\0DST\0", 8), p += 8;
    write_file(dir, "Test_v1", buf, (size_t)(p - buf));

    /* v2: an empty 32-bit section, then no transitions and a footer */
    p = tzif_header(buf, '2', 0, 1, 1);
    put32(&p, 0), *p++ = 0, *p++ = 0, *p++ = 0;
    p = tzif_header(p, '2', 0, 1, 6);
    put32(&p, 12600), *p++ = 0, *p++ = 0;
    memcpy(p, "+0330\0", 6), p += 6;
    memcpy(p, "\n<+0330>-3:30\n", 14), p += 14;
    write_file(dir, "Test_v2", buf, (size_t)(p - buf));

    write_file(dir, "Garbage", "not a zone\n", 11);
    p = tzif_header(buf, '2', 5, 1, 0); /* counts past the end */
    write_file(dir, "Truncated", buf, (size_t)(p - buf));

    tzone *tz = NULL;
    char *error = NULL;
    assert_int_equal(tzone_load_dir(&tz, dir, "Test_v1", &error), 0);
    assert_int_equal(tzone_offset(tz, 0), 0);
    assert_int_equal(tzone_offset(tz, 999999999), 0);
    assert_int_equal(tzone_offset(tz, 1000000000), 3600);
    assert_int_equal(tzone_offset(tz, 1099999999), 3600);
    assert_int_equal(tzone_offset(tz, 1100000000), 0);
    assert_int_equal(tzone_offset(tz, 4000000000), 0); /* the last type lasts */
    int64_t start, end;
    assert_int_equal(tzone_span(tz, 1050000000, &start, &end), 3600);
    assert_time(start, 1000000000);
    assert_time(end, 1100000000);
    tzone_free(tz);

    /* $TZDIR is where tzone_load looks */
    const char *old = getenv("TZDIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZDIR", dir, 1);
    int rc = tzone_load(&tz, "Test_v2", &error);
    if (saved != NULL)
        setenv("TZDIR", saved, 1);
    else
        unsetenv("TZDIR");
    free(saved);
    assert_int_equal(rc, 0);
    assert_int_equal(tzone_offset(tz, utc(1900, 1, 1, 0, 0)), 12600);
    assert_int_equal(tzone_offset(tz, utc(2026, 7, 1, 0, 0)), 12600);
    assert_int_equal(tzone_span(tz, 0, &start, &end), 12600);
    assert_time(start, INT64_MIN);
    assert_time(end, INT64_MAX);
    tzone_free(tz);

    char want[512];
    assert_int_equal(tzone_load_dir(&tz, dir, "Garbage", &error), -1);
    snprintf(want, sizeof want,
             "time zone `Garbage`: %s/Garbage is not a valid TZif file (no TZif header)", dir);
    assert_string_equal(error, want);
    free(error);
    assert_int_equal(tzone_load_dir(&tz, dir, "Truncated", &error), -1);
    snprintf(want, sizeof want,
             "time zone `Truncated`: %s/Truncated is not a valid TZif file (no second (64-bit) "
             "header)",
             dir);
    assert_string_equal(error, want);
    free(error);

    const char *names[] = {"Test_v1", "Test_v2", "Garbage", "Truncated"};
    for (size_t i = 0; i < 4; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void test_zone_posix(void **state)
{
    tzone *tz = NULL;
    char *error = NULL;
    assert_int_equal(tzone_posix(&tz, "CET-1CEST,M3.5.0,M10.5.0/3", &error), 0);
    assert_string_equal(tzone_name(tz), "CET-1CEST,M3.5.0,M10.5.0/3");
    assert_int_equal(tzone_offset(tz, utc(2026, 3, 29, 1, 0) - 1), 3600);
    assert_int_equal(tzone_offset(tz, utc(2026, 3, 29, 1, 0)), 7200);
    assert_int_equal(tzone_offset(tz, utc(2026, 10, 25, 1, 0) - 1), 7200);
    assert_int_equal(tzone_offset(tz, utc(2026, 10, 25, 1, 0)), 3600);
    tzone_free(tz);

    assert_int_equal(tzone_posix(&tz, "EST5EDT,M3.2.0,M11.1.0", &error), 0);
    assert_int_equal(tzone_offset(tz, utc(2026, 3, 8, 7, 0) - 1), -18000);
    assert_int_equal(tzone_offset(tz, utc(2026, 3, 8, 7, 0)), -14400);
    assert_int_equal(tzone_offset(tz, utc(2026, 11, 1, 6, 0) - 1), -14400);
    assert_int_equal(tzone_offset(tz, utc(2026, 11, 1, 6, 0)), -18000);
    tzone_free(tz);

    assert_int_equal(tzone_posix(&tz, "<+0330>-3:30", &error), 0);
    assert_int_equal(tzone_offset(tz, utc(2026, 7, 1, 0, 0)), 12600);
    tzone_free(tz);
    assert_int_equal(tzone_posix(&tz, "<-03>3", &error), 0);
    assert_int_equal(tzone_offset(tz, utc(2026, 7, 1, 0, 0)), -10800);
    tzone_free(tz);

    /* Jn never counts 29 February: J60 is 1 March, leap year or not */
    assert_int_equal(tzone_posix(&tz, "AAA0BBB,J60/0,J300/0", &error), 0);
    assert_int_equal(tzone_offset(tz, utc(2028, 3, 1, 0, 0) - 1), 0);
    assert_int_equal(tzone_offset(tz, utc(2028, 3, 1, 0, 0)), 3600);
    assert_int_equal(tzone_offset(tz, utc(2027, 3, 1, 0, 0)), 3600);
    assert_int_equal(tzone_offset(tz, utc(2028, 10, 26, 23, 0) - 1), 3600); /* J300: 27 Oct */
    assert_int_equal(tzone_offset(tz, utc(2028, 10, 26, 23, 0)), 0);
    tzone_free(tz);
    /* n counts from 0 and counts 29 February: 59 is 29 Feb in a leap year */
    assert_int_equal(tzone_posix(&tz, "AAA0BBB,59/0,299/0", &error), 0);
    assert_int_equal(tzone_offset(tz, utc(2028, 2, 29, 0, 0) - 1), 0);
    assert_int_equal(tzone_offset(tz, utc(2028, 2, 29, 0, 0)), 3600);
    assert_int_equal(tzone_offset(tz, utc(2027, 3, 1, 0, 0) - 1), 0);
    tzone_free(tz);
    /* southern hemisphere, and a time past 24h (RFC 8536) */
    assert_int_equal(tzone_posix(&tz, "AEST-10AEDT,M10.1.0,M4.1.0/3", &error), 0);
    assert_int_equal(tzone_offset(tz, utc(2026, 1, 15, 0, 0)), 39600);
    assert_int_equal(tzone_offset(tz, utc(2026, 7, 15, 0, 0)), 36000);
    tzone_free(tz);
    assert_int_equal(tzone_posix(&tz, "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", &error), 0);
    assert_int_equal(tzone_offset(tz, utc(2026, 7, 1, 0, 0)), -3600);
    assert_int_equal(tzone_offset(tz, utc(2026, 1, 1, 0, 0)), -7200);
    tzone_free(tz);
    /* DST all year: the two transitions meet; spans still end */
    assert_int_equal(tzone_posix(&tz, "EST5EDT,0/0,J365/25", &error), 0);
    for (int y = 2025; y < 2030; y++) {
        assert_int_equal(tzone_offset(tz, utc(y, 1, 1, 5, 0)), -14400);
        assert_int_equal(tzone_offset(tz, utc(y, 7, 1, 0, 0)), -14400);
    }
    assert_int_equal(tzone_span(tz, utc(2026, 7, 1, 0, 0), NULL, NULL), -14400);
    tzone_free(tz);

    const char *bad[] = {
        "CET",       "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0",
        "CE-1",      "CET-25",           "CET-1CEST,J0,J365",         "<+03-3",
        "CET-1 CEST"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        error = NULL;
        assert_int_equal(tzone_posix(&tz, bad[i], &error), -1);
        assert_non_null(strstr(error, "as a POSIX TZ rule"));
        free(error);
    }
}

/* ---- slots in zones with DST ---- */

/* Chain cron_next from `after`, and cron_prev back from the last. */
static void assert_chain(const char *expr, const tzone *tz, int64_t after, const int64_t *want,
                         size_t n)
{
    cron_expr c = parse(expr);
    int64_t t = after;
    for (size_t i = 0; i < n; i++) {
        t = cron_next(&c, t, tz);
        assert_time(t, want[i]);
    }
    for (size_t i = n - 1; i > 0; i--)
        assert_time(cron_prev(&c, want[i] - 1, tz), want[i - 1]);
}
#define CHAIN(expr, tz, after, ...)                                                                \
    assert_chain(expr, tz, after, (const int64_t[]){__VA_ARGS__},                                  \
                 sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t))

static void test_dst_berlin(void **state)
{
    tzone *tz = zone("Europe/Berlin");
    /* 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00 UTC */
    /* hourly: wall 02:30 does not exist and does not fire */
    CHAIN("30 * * * *", tz, utc(2026, 3, 28, 23, 0), utc(2026, 3, 28, 23, 30), /* 00:30 CET */
          utc(2026, 3, 29, 0, 30),                                             /* 01:30 CET */
          utc(2026, 3, 29, 1, 30),                                             /* 03:30 CEST */
          utc(2026, 3, 29, 2, 30));                                            /* 04:30 CEST */
    CHAIN("0 * * * *", tz, utc(2026, 3, 28, 23, 30), utc(2026, 3, 29, 0, 0),   /* 01:00 CET */
          utc(2026, 3, 29, 1, 0),                                              /* 03:00 CEST */
          utc(2026, 3, 29, 2, 0));
    /* daily 02:30: that day it runs as the gap ends, 03:00 CEST */
    CHAIN("30 2 * * *", tz, utc(2026, 3, 27, 12, 0), utc(2026, 3, 28, 1, 30), /* 02:30 CET */
          utc(2026, 3, 29, 1, 0),                                             /* 03:00 CEST */
          utc(2026, 3, 30, 0, 30));                                           /* 02:30 CEST */
    /* several slots in the gap still fire once */
    CHAIN("*/20 2 * * *", tz, utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 1, 0),
          utc(2026, 3, 30, 0, 0), utc(2026, 3, 30, 0, 20));
    CHAIN("0,30 2-3 * * *", tz, utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 1, 0), /* 02:00..03:00 */
          utc(2026, 3, 29, 1, 30),                                              /* 03:30 */
          utc(2026, 3, 30, 0, 0));

    /* 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC */
    /* hourly: 02:30 happens twice and fires twice */
    CHAIN("30 * * * *", tz, utc(2026, 10, 24, 23, 0), utc(2026, 10, 24, 23, 30), /* 01:30 CEST */
          utc(2026, 10, 25, 0, 30),                                              /* 02:30 CEST */
          utc(2026, 10, 25, 1, 30),                                              /* 02:30 CET */
          utc(2026, 10, 25, 2, 30));                                             /* 03:30 CET */
    /* daily 02:30: only the first */
    CHAIN("30 2 * * *", tz, utc(2026, 10, 23, 12, 0), utc(2026, 10, 24, 0, 30), /* CEST */
          utc(2026, 10, 25, 0, 30),                                             /* CEST, first */
          utc(2026, 10, 26, 1, 30));                                            /* CET */
    CHAIN("*/30 2 * * *", tz, utc(2026, 10, 25, 0, 0) - 1, utc(2026, 10, 25, 0, 0),
          utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 0));
    /* a slot exactly at the gap's end, asked for from just before it */
    cron_expr c = parse("30 2 * * *");
    assert_time(cron_next(&c, utc(2026, 3, 29, 1, 0) - 1, tz), utc(2026, 3, 29, 1, 0));
    assert_time(cron_prev(&c, utc(2026, 3, 29, 1, 0), tz), utc(2026, 3, 29, 1, 0));
    assert_time(cron_prev(&c, utc(2026, 10, 26, 1, 29), tz), utc(2026, 10, 25, 0, 30));
    /* years ahead in a zone: the footer rule and skipping, still fast */
    c = parse("0 0 29 2 *");
    assert_time(cron_next(&c, utc(2026, 3, 1, 0, 0), tz), utc(2028, 2, 28, 23, 0));
    assert_time(cron_next(&c, utc(2096, 3, 1, 0, 0), tz), utc(2104, 2, 28, 23, 0));
    assert_time(cron_prev(&c, utc(2104, 2, 28, 22, 59), tz), utc(2096, 2, 28, 23, 0));
    c = parse("0 0 30 2 *");
    assert_time(cron_next(&c, utc(2026, 3, 1, 0, 0), tz), INT64_MAX);
    assert_time(cron_prev(&c, utc(2026, 3, 1, 0, 0), tz), INT64_MIN);
    tzone_free(tz);
}

static void test_dst_new_york(void **state)
{
    tzone *tz = zone("America/New_York");
    /* 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00 UTC */
    CHAIN("30 * * * *", tz, utc(2026, 3, 8, 5, 0), utc(2026, 3, 8, 5, 30), /* 00:30 EST */
          utc(2026, 3, 8, 6, 30),                                          /* 01:30 EST */
          utc(2026, 3, 8, 7, 30),                                          /* 03:30 EDT */
          utc(2026, 3, 8, 8, 30));
    CHAIN("30 2 * * *", tz, utc(2026, 3, 7, 0, 0), utc(2026, 3, 7, 7, 30), /* 02:30 EST */
          utc(2026, 3, 8, 7, 0),                                           /* 03:00 EDT */
          utc(2026, 3, 9, 6, 30));                                         /* 02:30 EDT */
    /* 2026-11-01: 02:00 EDT becomes 01:00 EST at 06:00 UTC; 01:xx repeats */
    CHAIN("30 * * * *", tz, utc(2026, 11, 1, 4, 0), utc(2026, 11, 1, 4, 30), /* 00:30 EDT */
          utc(2026, 11, 1, 5, 30),                                           /* 01:30 EDT */
          utc(2026, 11, 1, 6, 30),                                           /* 01:30 EST */
          utc(2026, 11, 1, 7, 30));                                          /* 02:30 EST */
    /* 02:30 is not repeated in New York: once, in EST */
    CHAIN("30 2 * * *", tz, utc(2026, 10, 31, 0, 0), utc(2026, 10, 31, 6, 30), /* EDT */
          utc(2026, 11, 1, 7, 30),                                             /* EST */
          utc(2026, 11, 2, 7, 30));
    /* 01:30 is: the first only */
    CHAIN("30 1 * * *", tz, utc(2026, 10, 31, 0, 0), utc(2026, 10, 31, 5, 30),
          utc(2026, 11, 1, 5, 30), /* 01:30 EDT, not 06:30 UTC */
          utc(2026, 11, 2, 6, 30));
    tzone_free(tz);
}

/* Days around each transition, minute by minute, against the semantics
 * written out instant by instant (ref_fires). */
static void test_dst_reference(void **state)
{
    const char *zones[] = {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe"};
    const char *exprs[] = {"30 * * * *",  "30 2 * * *",  "*/10 * * * *", "*/10 1-3 * * *",
                           "0 0,2 * * *", "15 2 29 3 *", "45 1 * * sun", "* 2 * * *"};
    const int64_t days[][2] = {{2026, 3}, {2026, 10}, {2026, 11}, {2026, 4}};
    size_t fires = 0, transitions = 0;
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        tzone *tz = zone(zones[z]);
        for (size_t k = 0; k < sizeof days / sizeof days[0]; k++) {
            /* the transitions of that month */
            int64_t t = utc((int)days[k][0], (int)days[k][1], 1, 0, 0), end;
            int64_t month_end = t + 31 * 86400;
            while (tzone_span(tz, t, NULL, &end), end < month_end) {
                for (size_t e = 0; e < sizeof exprs / sizeof exprs[0]; e++)
                    fires += check_against_reference(exprs[e], tz, end - 86400 - 3600, end + 86400);
                transitions++;
                t = end;
            }
        }
        tzone_free(tz);
    }
    assert_int_equal(transitions, 6); /* two a zone */
    assert_true(fires > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_forms),     cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_next_basic),      cmocka_unit_test(test_next_month_ends),
        cmocka_unit_test(test_next_leap_years), cmocka_unit_test(test_next_year_end),
        cmocka_unit_test(test_dom_dow),         cmocka_unit_test(test_prev),
        cmocka_unit_test(test_utc_reference),   cmocka_unit_test(test_zone_offsets),
        cmocka_unit_test(test_zone_names),      cmocka_unit_test(test_zone_files),
        cmocka_unit_test(test_zone_posix),      cmocka_unit_test(test_dst_berlin),
        cmocka_unit_test(test_dst_new_york),    cmocka_unit_test(test_dst_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
