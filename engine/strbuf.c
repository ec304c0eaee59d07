/* strbuf.c - a growable NUL-terminated string. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static void strbuf_grow(strbuf *sb, size_t more)
{
    if (sb->len + more + 1 <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + more + 1)
        cap *= 2;
    sb->buf = xrealloc(sb->buf, cap, 1);
    sb->cap = cap;
}

void strbuf_add(strbuf *sb, const char *s, size_t n)
{
    strbuf_grow(sb, n);
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void strbuf_puts(strbuf *sb, const char *s)
{
    strbuf_add(sb, s, strlen(s));
}

void strbuf_putc(strbuf *sb, char c)
{
    strbuf_add(sb, &c, 1);
}

void strbuf_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    strbuf_puts(sb, s);
    free(s);
}

char *strbuf_detach(strbuf *sb)
{
    char *s = sb->buf ? sb->buf : xstrdup("");
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    return s;
}

void strbuf_free(strbuf *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
}
