/* tzone.c - time zones from the tz database.  A zone is read once into a
 * table of transitions plus the file's POSIX TZ footer rule for what comes
 * after them; offsets are then pure functions of the instant (no TZ, no
 * localtime_r), so any number of zones can be used at once, from any
 * thread.  The TZif format is RFC 8536. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine.h"

#define TZONE_SYSTEM_DIR "/usr/share/zoneinfo"
#define TZONE_FILE_MAX (1 << 20) /* real files are under 4 kB */
#define TZONE_NAME_MAX 255
/* Instants beyond this (about 1.1 billion years) are clamped so that the
 * calendar arithmetic cannot overflow; nothing real lives out there. */
#define TZONE_LIMIT ((int64_t)1 << 55)

/* One date of a POSIX TZ rule and the local time of day it happens at. */
typedef struct tzone_date {
    char kind; /* 'J': Jn, day 1..365 without Feb 29; 'n': day 0..365; 'M': Mm.w.d */
    int n, m, w, d;
    long time; /* seconds after local midnight; may be negative or past 24 h */
} tzone_date;

typedef struct tzone_rule {
    long std_off, dst_off; /* seconds east of UTC */
    bool has_dst;
    tzone_date start, end; /* start in standard time, end in DST */
} tzone_rule;

struct tzone {
    char *name;
    size_t count; /* transitions */
    int64_t *at;  /* strictly ascending */
    long *off;    /* the offset from at[i] on */
    long before;  /* before at[0]: the first standard-time type */
    bool has_rule;
    tzone_rule rule; /* from at[count - 1] on; everywhere when count is 0 */
};

/* Built in, so that they work without tzdata. */
static const char *const tzone_builtin[] = {"UTC", "Etc/UTC", "GMT", "Etc/GMT"};

/* ---- the calendar ---- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar.  The
 * year is shifted to start in March, so the leap day is the last of it
 * and every month before it has a fixed offset; 400-year eras of 146097
 * days make the rest plain division. */
int64_t tzone_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                         /* 0..399 */
    int64_t mp = m > 2 ? m - 3 : m + 9;                  /* March 0 .. February 11 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;            /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
    return era * 146097 + doe - 719468;                  /* 719468: 0000-03-01 to 1970 */
}

void tzone_civil(int64_t days, int64_t *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t tzone_floordiv(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static bool tzone_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int tzone_month_days(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && tzone_leap(y) ? 29 : days[m - 1];
}

/* 0 sunday .. 6 saturday; 1970-01-01 was a thursday. */
static int tzone_weekday(int64_t days)
{
    return (int)(((days % 7) + 11) % 7);
}

static int64_t tzone_clamp(int64_t t)
{
    return t > TZONE_LIMIT ? TZONE_LIMIT : t < -TZONE_LIMIT ? -TZONE_LIMIT : t;
}

/* ---- POSIX TZ rules ---- */

/* A zone abbreviation: three or more letters, or <...> of letters, digits,
 * + and -.  The text after it, or NULL. */
static const char *tzone_posix_abbr(const char *s)
{
    const char *p = s;
    if (*p == '<') {
        for (p++; (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || *p == '+' || *p == '-';
             p++)
            ;
        return *p == '>' && p - s >= 4 ? p + 1 : NULL;
    }
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
        p++;
    return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] with hours up to max_hours: seconds in *out. */
static const char *tzone_posix_hms(const char *s, long max_hours, long *out)
{
    int sign = 1;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    long parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            if (*s != ':')
                break;
            s++;
        }
        if (*s < '0' || *s > '9')
            return NULL;
        long v = 0;
        for (int k = 0; *s >= '0' && *s <= '9'; k++, s++) {
            if (k == 3)
                return NULL;
            v = v * 10 + (*s - '0');
        }
        if (v > (i == 0 ? max_hours : 59))
            return NULL;
        parts[i] = v;
    }
    *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return s;
}

static const char *tzone_posix_int(const char *s, int lo, int hi, int *out)
{
    if (*s < '0' || *s > '9')
        return NULL;
    long v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (*s - '0');
        if (v > hi)
            return NULL;
    }
    if (v < lo)
        return NULL;
    *out = (int)v;
    return s;
}

/* Jn, n or Mm.w.d, then an optional /time (-167..167 hours, RFC 8536's
 * extension of POSIX); the time defaults to 02:00. */
static const char *tzone_posix_date(const char *s, tzone_date *d)
{
    memset(d, 0, sizeof *d);
    if (*s == 'J') {
        d->kind = 'J';
        s = tzone_posix_int(s + 1, 1, 365, &d->n);
    } else if (*s == 'M') {
        d->kind = 'M';
        s = tzone_posix_int(s + 1, 1, 12, &d->m);
        if (s != NULL && *s == '.')
            s = tzone_posix_int(s + 1, 1, 5, &d->w);
        else
            s = NULL;
        if (s != NULL && *s == '.')
            s = tzone_posix_int(s + 1, 0, 6, &d->d);
        else
            s = NULL;
    } else {
        d->kind = 'n';
        s = tzone_posix_int(s, 0, 365, &d->n);
    }
    if (s == NULL)
        return NULL;
    d->time = 7200;
    if (*s == '/')
        s = tzone_posix_hms(s + 1, 167, &d->time);
    return s;
}

/* std offset [dst [offset] [,start[/time],end[/time]]].  POSIX offsets
 * count west; ours count east. */
static int tzone_posix_parse(tzone_rule *r, const char *s)
{
    memset(r, 0, sizeof *r);
    s = tzone_posix_abbr(s);
    if (s == NULL || (s = tzone_posix_hms(s, 24, &r->std_off)) == NULL)
        return -1;
    r->std_off = -r->std_off;
    r->dst_off = r->std_off;
    if (*s == '\0')
        return 0;
    if ((s = tzone_posix_abbr(s)) == NULL)
        return -1;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*s != ',' && *s != '\0') {
        if ((s = tzone_posix_hms(s, 24, &r->dst_off)) == NULL)
            return -1;
        r->dst_off = -r->dst_off;
    }
    if (*s == '\0') { /* no dates: POSIX leaves them open; take the US rule, as glibc does */
        r->start = (tzone_date){.kind = 'M', .m = 3, .w = 2, .d = 0, .time = 7200};
        r->end = (tzone_date){.kind = 'M', .m = 11, .w = 1, .d = 0, .time = 7200};
        return 0;
    }
    if (*s != ',' || (s = tzone_posix_date(s + 1, &r->start)) == NULL)
        return -1;
    if (*s != ',' || (s = tzone_posix_date(s + 1, &r->end)) == NULL)
        return -1;
    return *s == '\0' ? 0 : -1;
}

/* The instant at which `d` happens in year y on a clock `off` east of UTC. */
static int64_t tzone_date_instant(const tzone_date *d, int64_t y, long off)
{
    int64_t days;
    if (d->kind == 'J') {
        days = tzone_days(y, 1, 1) + d->n - 1 + (tzone_leap(y) && d->n >= 60);
    } else if (d->kind == 'n') {
        days = tzone_days(y, 1, 1) + d->n;
    } else {
        int64_t first = tzone_days(y, d->m, 1);
        int dd = (d->d - tzone_weekday(first) + 7) % 7 + (d->w - 1) * 7;
        while (dd >= tzone_month_days(y, d->m))
            dd -= 7; /* week 5 is the last one */
        days = first + dd;
    }
    return days * 86400 + d->time - off;
}

/* The rule's transitions nearest t: the last at or before it (*prev, and
 * whether DST starts there) and the first after it (*next).  Each year has
 * two, each within days of its year, so the years around t's suffice. */
static void tzone_rule_around(const tzone_rule *r, int64_t t, int64_t *prev, bool *prev_start,
                              int64_t *next)
{
    int64_t y0, y;
    int m, d;
    tzone_civil(tzone_floordiv(t, 86400), &y0, &m, &d);
    *prev = INT64_MIN;
    *prev_start = false;
    *next = INT64_MAX;
    for (y = y0 - 2; y <= y0 + 2; y++) {
        int64_t at[2] = {tzone_date_instant(&r->start, y, r->std_off),
                         tzone_date_instant(&r->end, y, r->dst_off)};
        for (int k = 0; k < 2; k++) {
            /* a tie (DST all year: "0/0,J365/25") goes to the start */
            if (at[k] <= t && (at[k] > *prev || (at[k] == *prev && k == 0))) {
                *prev = at[k];
                *prev_start = k == 0;
            }
            if (at[k] > t && at[k] < *next)
                *next = at[k];
        }
    }
}

static long tzone_rule_offset(const tzone_rule *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_off;
    int64_t prev, next;
    bool start;
    tzone_rule_around(r, t, &prev, &start, &next);
    return start ? r->dst_off : r->std_off;
}

/* ---- offsets and transitions ---- */

/* The index of the last transition at or before t, or -1. */
static ptrdiff_t tzone_index(const tzone *tz, int64_t t)
{
    size_t lo = 0, hi = tz->count; /* answer in [lo, hi) + 1 */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

static bool tzone_rule_applies(const tzone *tz, int64_t t)
{
    return tz->has_rule && (tz->count == 0 || t >= tz->at[tz->count - 1]);
}

long tzone_offset(const tzone *tz, int64_t t)
{
    t = tzone_clamp(t);
    if (tzone_rule_applies(tz, t))
        return tzone_rule_offset(&tz->rule, t);
    ptrdiff_t i = tzone_index(tz, t);
    return i < 0 ? tz->before : tz->off[i];
}

/* The first transition after t (table or rule), INT64_MAX when none. */
static int64_t tzone_next_transition(const tzone *tz, int64_t t)
{
    ptrdiff_t i = tzone_index(tz, t);
    if ((size_t)(i + 1) < tz->count)
        return tz->at[i + 1];
    if (!tz->has_rule || !tz->rule.has_dst)
        return INT64_MAX;
    int64_t prev, next;
    bool start;
    tzone_rule_around(&tz->rule, t, &prev, &start, &next);
    return next;
}

/* The last transition at or before t, INT64_MIN when none. */
static int64_t tzone_prev_transition(const tzone *tz, int64_t t)
{
    if (tzone_rule_applies(tz, t) && tz->rule.has_dst) {
        int64_t prev, next;
        bool start;
        tzone_rule_around(&tz->rule, t, &prev, &start, &next);
        if (tz->count == 0 || prev > tz->at[tz->count - 1])
            return prev;
    }
    ptrdiff_t i = tzone_index(tz, t);
    return i < 0 ? INT64_MIN : tz->at[i];
}

/* Transitions that keep the offset (only the abbreviation or the DST flag
 * changes) are stepped over; a rule with DST all year has a pseudo
 * transition every year, hence the bound. */
long tzone_span(const tzone *tz, int64_t t, int64_t *start, int64_t *end)
{
    if (t > TZONE_LIMIT || t < -TZONE_LIMIT) {
        if (start != NULL)
            *start = t > 0 ? TZONE_LIMIT : INT64_MIN;
        if (end != NULL)
            *end = t > 0 ? INT64_MAX : -TZONE_LIMIT;
        return tzone_offset(tz, t);
    }
    long off = tzone_offset(tz, t);
    if (end != NULL) {
        int64_t x = t;
        for (int i = 0; i < 64; i++) {
            x = tzone_next_transition(tz, x);
            if (x == INT64_MAX || x > TZONE_LIMIT || tzone_offset(tz, x) != off)
                break;
        }
        *end = x > TZONE_LIMIT ? INT64_MAX : x;
    }
    if (start != NULL) {
        int64_t x = tzone_prev_transition(tz, t);
        for (int i = 0; i < 64 && x != INT64_MIN && x >= -TZONE_LIMIT; i++) {
            if (tzone_offset(tz, x - 1) != off)
                break;
            x = tzone_prev_transition(tz, x - 1);
        }
        *start = x < -TZONE_LIMIT ? INT64_MIN : x;
    }
    return off;
}

/* ---- loading ---- */

static uint32_t tzone_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t tzone_be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)tzone_be32(p) << 32 | tzone_be32(p + 4));
}

/* The counts of a TZif header (RFC 8536 3.1), in its order. */
enum { TZ_ISUT, TZ_ISSTD, TZ_LEAP, TZ_TIME, TZ_TYPE, TZ_CHAR, TZ_NCOUNTS };
#define TZIF_HEADER 44

/* The size of the data block after a header whose times take `tsize`
 * bytes; SIZE_MAX when the counts are absurd. */
static size_t tzone_block_size(const uint32_t c[TZ_NCOUNTS], size_t tsize)
{
    for (int i = 0; i < TZ_NCOUNTS; i++) {
        if (c[i] > 100000)
            return SIZE_MAX;
    }
    return c[TZ_TIME] * tsize + c[TZ_TIME] + c[TZ_TYPE] * 6 + c[TZ_CHAR] +
           c[TZ_LEAP] * (tsize + 4) + c[TZ_ISSTD] + c[TZ_ISUT];
}

static int tzone_read_header(const unsigned char *buf, size_t len, size_t pos,
                             uint32_t c[TZ_NCOUNTS])
{
    if (len < pos + TZIF_HEADER || memcmp(buf + pos, "TZif", 4) != 0)
        return -1;
    for (int i = 0; i < TZ_NCOUNTS; i++)
        c[i] = tzone_be32(buf + pos + 20 + 4 * i);
    return 0;
}

/* Fill tz from a TZif file: the 64-bit section of v2+ files (the 32-bit
 * one of v1), and the footer rule.  NULL, or what is wrong. */
static const char *tzone_parse_tzif(tzone *tz, const unsigned char *buf, size_t len)
{
    uint32_t c[TZ_NCOUNTS];
    if (tzone_read_header(buf, len, 0, c) < 0)
        return "no TZif header";
    size_t tsize = 4, pos = TZIF_HEADER, block = tzone_block_size(c, 4);
    if (block == SIZE_MAX)
        return "bad counts in the header";
    if (buf[4] >= '2') {
        pos += block;
        if (tzone_read_header(buf, len, pos, c) < 0)
            return "no second (64-bit) header";
        tsize = 8;
        pos += TZIF_HEADER;
        block = tzone_block_size(c, 8);
    }
    if (c[TZ_TYPE] == 0 || c[TZ_TYPE] > 256 || block == SIZE_MAX)
        return "bad counts in the header";
    if (len - pos < block)
        return "truncated";
    const unsigned char *times = buf + pos;
    const unsigned char *idx = times + c[TZ_TIME] * tsize;
    const unsigned char *types = idx + c[TZ_TIME];
    long *type_off = xcalloc(c[TZ_TYPE], sizeof *type_off);
    tz->before = LONG_MIN;
    for (size_t i = 0; i < c[TZ_TYPE]; i++) {
        type_off[i] = (long)(int32_t)tzone_be32(types + 6 * i);
        if (tz->before == LONG_MIN && types[6 * i + 4] == 0)
            tz->before = type_off[i]; /* the first standard-time type */
    }
    if (tz->before == LONG_MIN)
        tz->before = type_off[0];
    tz->count = c[TZ_TIME];
    tz->at = xcalloc(tz->count, sizeof *tz->at);
    tz->off = xcalloc(tz->count, sizeof *tz->off);
    const char *why = NULL;
    for (size_t i = 0; i < tz->count && why == NULL; i++) {
        tz->at[i] =
            tsize == 8 ? tzone_be64(times + 8 * i) : (int64_t)(int32_t)tzone_be32(times + 4 * i);
        if (idx[i] >= c[TZ_TYPE])
            why = "a transition names a type that does not exist";
        else if (i > 0 && tz->at[i] <= tz->at[i - 1])
            why = "transitions out of order";
        else
            tz->off[i] = type_off[idx[i]];
    }
    free(type_off);
    if (why != NULL || tsize == 4)
        return why;
    /* the footer: \n TZ-string \n */
    pos += block;
    if (pos < len && buf[pos] == '\n') {
        const unsigned char *nl = memchr(buf + pos + 1, '\n', len - pos - 1);
        if (nl == NULL)
            return "unterminated footer";
        size_t flen = (size_t)(nl - (buf + pos + 1));
        if (flen > 0) {
            char *footer = xstrndup((const char *)buf + pos + 1, flen);
            int rc = tzone_posix_parse(&tz->rule, footer);
            free(footer);
            if (rc < 0)
                return "unreadable TZ rule in the footer";
            tz->has_rule = true;
        }
    }
    return NULL;
}

static bool tzone_valid_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > TZONE_NAME_MAX || name[0] == '/' || name[len - 1] == '/' ||
        strstr(name, "..") != NULL || strstr(name, "//") != NULL)
        return false;
    for (const char *p = name; *p != '\0'; p++) {
        bool ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || strchr("/_+-.", *p) != NULL;
        /* no component may start with a dot (hidden files, "." itself) */
        if (!ok || (*p == '.' && (p == name || p[-1] == '/')))
            return false;
    }
    return true;
}

/* Read the whole of a regular file.  0, or an errno (EISDIR for a
 * directory, EFBIG when too big). */
static int tzone_read_file(const char *path, unsigned char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return errno;
    struct stat st;
    int err = 0;
    if (fstat(fileno(f), &st) < 0)
        err = errno;
    else if (S_ISDIR(st.st_mode))
        err = EISDIR;
    else if (!S_ISREG(st.st_mode))
        err = EINVAL;
    else if (st.st_size > TZONE_FILE_MAX)
        err = EFBIG;
    if (err == 0) {
        *buf = xmalloc((size_t)st.st_size + 1);
        *len = fread(*buf, 1, (size_t)st.st_size, f);
        if (ferror(f)) {
            err = EIO;
            free(*buf);
            *buf = NULL;
        }
    }
    fclose(f);
    return err;
}

static tzone *tzone_new(const char *name)
{
    tzone *tz = xcalloc(1, sizeof *tz);
    tz->name = xstrdup(name);
    return tz;
}

int tzone_load_dir(tzone **out, const char *dir, const char *name, char **error)
{
    *out = NULL;
    for (size_t i = 0; i < sizeof tzone_builtin / sizeof tzone_builtin[0]; i++) {
        if (strcmp(name, tzone_builtin[i]) == 0) {
            *out = tzone_new(name);
            return 0;
        }
    }
    if (!tzone_valid_name(name)) {
        *error = xasprintf("invalid time zone name `%s`: use a tz database name such as "
                           "Europe/Berlin, America/New_York or UTC",
                           name);
        return -1;
    }
    char *path = xasprintf("%s/%s", dir, name);
    unsigned char *buf = NULL;
    size_t len = 0;
    int err = tzone_read_file(path, &buf, &len);
    if (err == ENOENT || err == ENOTDIR) {
        struct stat st;
        if (stat(dir, &st) < 0)
            *error = xasprintf("unknown time zone `%s`: the tz database %s does not exist "
                               "(install tzdata, or set TZDIR to where it is)",
                               name, dir);
        else
            *error = xasprintf("unknown time zone `%s`: there is no %s (zones are tz "
                               "database names such as Europe/Berlin)",
                               name, path);
    } else if (err == EISDIR) {
        *error = xasprintf("unknown time zone `%s`: %s is a directory of zones; name one "
                           "in it, e.g. %s/...",
                           name, path, name);
    } else if (err != 0) {
        *error = xasprintf("cannot read time zone `%s` from %s: %s", name, path, strerror(err));
    } else {
        tzone *tz = tzone_new(name);
        const char *why = tzone_parse_tzif(tz, buf, len);
        if (why == NULL) {
            *out = tz;
        } else {
            *error = xasprintf("time zone `%s`: %s is not a valid TZif file (%s)", name, path, why);
            tzone_free(tz);
        }
    }
    free(buf);
    free(path);
    return *out != NULL ? 0 : -1;
}

int tzone_load(tzone **out, const char *name, char **error)
{
    const char *dir = getenv("TZDIR");
    return tzone_load_dir(out, dir != NULL && *dir != '\0' ? dir : TZONE_SYSTEM_DIR, name, error);
}

int tzone_posix(tzone **out, const char *rule, char **error)
{
    *out = NULL;
    tzone_rule r;
    if (tzone_posix_parse(&r, rule) < 0) {
        *error = xasprintf("cannot read `%s` as a POSIX TZ rule, e.g. "
                           "CET-1CEST,M3.5.0,M10.5.0/3",
                           rule);
        return -1;
    }
    *out = tzone_new(rule);
    (*out)->has_rule = true;
    (*out)->rule = r;
    (*out)->before = r.std_off;
    return 0;
}

void tzone_free(tzone *tz)
{
    if (tz == NULL)
        return;
    free(tz->name);
    free(tz->at);
    free(tz->off);
    free(tz);
}

const char *tzone_name(const tzone *tz)
{
    return tz->name;
}
