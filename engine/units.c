/* units.c - byte sizes ("8GB", "2GiB", "512M") and durations ("2h30m"). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"

/* Flowdapt's byte units: decimal k/M/G/T/P (powers of 1000), binary
 * Ki/Mi/Gi/Ti/Pi (powers of 1024), case-insensitive, the B optional. */
static const struct byte_unit {
    const char *name;
    double factor;
} byte_units[] = {
    {"", 1},
    {"b", 1},
    {"k", 1e3},
    {"kb", 1e3},
    {"m", 1e6},
    {"mb", 1e6},
    {"g", 1e9},
    {"gb", 1e9},
    {"t", 1e12},
    {"tb", 1e12},
    {"p", 1e15},
    {"pb", 1e15},
    {"ki", 1024.0},
    {"kib", 1024.0},
    {"mi", 1048576.0},
    {"mib", 1048576.0},
    {"gi", 1073741824.0},
    {"gib", 1073741824.0},
    {"ti", 1099511627776.0},
    {"tib", 1099511627776.0},
    {"pi", 1125899906842624.0},
    {"pib", 1125899906842624.0},
};

int dapt_parse_bytes(int64_t *out, const char *text)
{
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    double number = 1; /* "MB" alone means one megabyte, as in Flowdapt */
    if (isdigit((unsigned char)*p) || *p == '.') {
        char *end;
        errno = 0;
        number = strtod(p, &end);
        if (end == p || errno != 0)
            return -1;
        p = end;
    } else if (*p == '\0' || *p == '-' || *p == '+') {
        return -1;
    }
    while (isspace((unsigned char)*p))
        p++;
    size_t ulen = strlen(p);
    while (ulen > 0 && isspace((unsigned char)p[ulen - 1]))
        ulen--;
    for (size_t i = 0; i < sizeof byte_units / sizeof byte_units[0]; i++) {
        if (strlen(byte_units[i].name) == ulen && strncasecmp(p, byte_units[i].name, ulen) == 0) {
            double bytes = number * byte_units[i].factor;
            if (!isfinite(bytes) || bytes < 0 || bytes >= 9.2e18)
                return -1;
            *out = (int64_t)bytes;
            return 0;
        }
    }
    return -1;
}

/* Durations as Go writes them: a sequence of number+unit ("2h30m", "1.5s",
 * "500ms"); a bare number means seconds. */
static const struct duration_unit {
    const char *name;
    double ms;
} duration_units[] = {
    {"ms", 1},
    {"s", 1000},
    {"m", 60000},
    {"h", 3600000},
    {"d", 86400000},
};

int dapt_parse_duration(int64_t *out_ms, const char *text)
{
    const char *p = text;
    double total = 0;
    int parts = 0;
    while (isspace((unsigned char)*p))
        p++;
    while (*p != '\0' && !isspace((unsigned char)*p)) {
        if (!isdigit((unsigned char)*p) && *p != '.')
            return -1;
        char *end;
        errno = 0;
        double number = strtod(p, &end);
        if (end == p || errno != 0)
            return -1;
        p = end;
        size_t ulen = 0;
        while (isalpha((unsigned char)p[ulen]))
            ulen++;
        if (ulen == 0) {
            if (parts > 0 || *p != '\0')
                return -1; /* "1h30" is ambiguous: refuse it */
            total += number * 1000;
            parts++;
            break;
        }
        size_t i, n = sizeof duration_units / sizeof duration_units[0];
        for (i = 0; i < n; i++) {
            if (strlen(duration_units[i].name) == ulen &&
                strncmp(p, duration_units[i].name, ulen) == 0)
                break;
        }
        if (i == n)
            return -1;
        total += number * duration_units[i].ms;
        p += ulen;
        parts++;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (parts == 0 || *p != '\0' || !isfinite(total) || total >= 9.2e18)
        return -1;
    *out_ms = (int64_t)llround(total);
    return 0;
}
