/*
 * wire.c - the frames the engine and its dapt-worker processes exchange:
 * a 4-byte big-endian length, then that many bytes of compact JSON (one
 * object).  The engine feeds a wire_reader with what libuv reads; the
 * worker reads its socket with wire_reader_read.  Both batch several
 * frames into one write (wire_append), since a syscall per frame would
 * cost more than the frame.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine.h"

/* What one read asks for: a pipe's or socket's worth, so a burst of
 * frames costs a few syscalls. */
#define WIRE_READ_CHUNK (64u * 1024u)
/* An idle reader keeps at most this much buffer after a big frame. */
#define WIRE_KEEP (1024u * 1024u)

static void put_be32(char *p, uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
}

static uint32_t get_be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static int dump_to_strbuf(const char *buffer, size_t size, void *data)
{
    strbuf_add(data, buffer, size);
    return 0;
}

size_t wire_utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

/* s[0..n) as a JSON string, as jansson writes it; -1 when it is not
 * UTF-8 (the buffer then holds part of it: the caller takes it back). */
static int put_string(strbuf *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    strbuf_putc(sb, '"');
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
    while (p < end) {
        unsigned char c = *p;
        if (c >= 0x80) {
            size_t len = wire_utf8_len(p, (size_t)(end - p));
            if (len == 0)
                return -1;
            p += len;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            p++;
            continue;
        }
        strbuf_add(sb, (const char *)run, (size_t)(p - run));
        run = ++p;
        char esc[6] = {'\\', 0};
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            strbuf_add(sb, esc, 6);
            continue;
        }
        strbuf_add(sb, esc, 2);
    }
    strbuf_add(sb, (const char *)run, (size_t)(p - run));
    strbuf_putc(sb, '"');
    return 0;
}

int wire_put_string(strbuf *sb, const char *s)
{
    size_t start = sb->len;
    if (put_string(sb, s, strlen(s)) == 0)
        return 0;
    sb->len = start;
    return -1;
}

/* Deeper than this is a loop (or nothing a frame should carry). */
#define WIRE_DEPTH 2048

/* jansson's compact text, without what json_dump_callback does per
 * container to find loops (a pointer printed into a hash table): that was
 * most of a small frame's cost.  Reals are jansson's own. */
static int put_value(strbuf *sb, const json_t *v, int depth)
{
    char buf[32];
    int n;
    if (depth > WIRE_DEPTH)
        return -1;
    switch (json_typeof(v)) {
    case JSON_NULL:
        strbuf_add(sb, "null", 4);
        return 0;
    case JSON_TRUE:
        strbuf_add(sb, "true", 4);
        return 0;
    case JSON_FALSE:
        strbuf_add(sb, "false", 5);
        return 0;
    case JSON_INTEGER:
        n = snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        strbuf_add(sb, buf, (size_t)n);
        return 0;
    case JSON_STRING:
        return put_string(sb, json_string_value(v), json_string_length(v));
    case JSON_REAL:
        return json_dump_callback(v, dump_to_strbuf, sb, JSON_COMPACT | JSON_ENCODE_ANY);
    case JSON_ARRAY: {
        strbuf_putc(sb, '[');
        size_t count = json_array_size(v);
        for (size_t i = 0; i < count; i++) {
            if (i > 0)
                strbuf_putc(sb, ',');
            if (put_value(sb, json_array_get(v, i), depth + 1) < 0)
                return -1;
        }
        strbuf_putc(sb, ']');
        return 0;
    }
    case JSON_OBJECT: {
        strbuf_putc(sb, '{');
        const char *key;
        json_t *item;
        bool first = true;
        json_object_foreach((json_t *)v, key, item) {
            if (!first)
                strbuf_putc(sb, ',');
            first = false;
            if (put_string(sb, key, strlen(key)) < 0)
                return -1;
            strbuf_putc(sb, ':');
            if (put_value(sb, item, depth + 1) < 0)
                return -1;
        }
        strbuf_putc(sb, '}');
        return 0;
    }
    }
    return -1;
}

int wire_put_value(strbuf *sb, const json_t *v)
{
    return v ? put_value(sb, v, 0) : -1;
}

size_t wire_begin(strbuf *sb)
{
    size_t start = sb->len;
    strbuf_add(sb, "\0\0\0\0", 4);
    return start;
}

int wire_end(strbuf *sb, size_t start, int rc)
{
    if (rc < 0 || sb->len - start - 4 > WIRE_MAX) {
        sb->len = start;
        sb->buf[start] = '\0';
        return -1;
    }
    put_be32(sb->buf + start, (uint32_t)(sb->len - start - 4));
    return 0;
}

int wire_append(strbuf *sb, const json_t *msg)
{
    size_t start = sb->len;
    strbuf_add(sb, "\0\0\0\0", 4);
    /* compact: no spaces; reals keep jansson's round-trip precision */
    if (wire_put_value(sb, msg) != 0 ||
        sb->len - start - 4 > WIRE_MAX) {
        sb->len = start;
        sb->buf[start] = '\0';
        return -1;
    }
    put_be32(sb->buf + start, (uint32_t)(sb->len - start - 4));
    return 0;
}

char *wire_encode(const json_t *msg, size_t *len)
{
    strbuf sb = {0};
    if (wire_append(&sb, msg) < 0) {
        strbuf_free(&sb);
        return NULL;
    }
    *len = sb.len;
    return strbuf_detach(&sb);
}

/* Make room for `want` more bytes: first by moving what is left to the
 * front (frames already taken leave a gap), then by growing. */
char *wire_reader_space(wire_reader *r, size_t want, size_t *room)
{
    if (r->pos > 0 && r->cap - r->len < want) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->cap - r->len < want) {
        size_t cap = r->cap ? r->cap : WIRE_READ_CHUNK;
        while (cap - r->len < want)
            cap *= 2;
        r->buf = xrealloc(r->buf, cap, 1);
        r->cap = cap;
    }
    *room = r->cap - r->len;
    return r->buf + r->len;
}

void wire_reader_commit(wire_reader *r, size_t n)
{
    r->len += n;
}

void wire_reader_feed(wire_reader *r, const char *data, size_t n)
{
    if (n == 0)
        return;
    size_t room;
    memcpy(wire_reader_space(r, n, &room), data, n);
    wire_reader_commit(r, n);
}

long wire_reader_read(wire_reader *r, int fd)
{
    size_t room;
    char *p = wire_reader_space(r, WIRE_READ_CHUNK, &room);
    ssize_t n;
    do
        n = read(fd, p, room);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        wire_reader_commit(r, (size_t)n);
    return (long)n;
}

/* Everything was taken: start over at the front, and give back a buffer
 * a big frame left behind. */
static void reader_reset_if_empty(wire_reader *r)
{
    if (r->pos != r->len)
        return;
    r->pos = r->len = 0;
    if (r->cap > WIRE_KEEP) {
        free(r->buf);
        r->buf = NULL;
        r->cap = 0;
    }
}

int wire_reader_next(wire_reader *r, json_t **msg, char **error)
{
    *msg = NULL;
    size_t avail = r->len - r->pos;
    if (avail < 4)
        return 0;
    uint32_t n = get_be32(r->buf + r->pos);
    if (n > WIRE_MAX) {
        *error = xasprintf("corrupt stream: a frame of %lu bytes (the limit is %lu)",
                           (unsigned long)n, (unsigned long)WIRE_MAX);
        return -1;
    }
    if (n == 0) {
        *error = xstrdup("corrupt stream: an empty frame");
        return -1;
    }
    if (avail - 4 < n) {
        /* reserve the whole frame now: one realloc, not one per read */
        size_t room;
        wire_reader_space(r, n + 4 - avail, &room);
        return 0;
    }
    json_error_t jerr;
    json_t *j = json_loadb(r->buf + r->pos + 4, n, JSON_ALLOW_NUL, &jerr);
    if (j == NULL) {
        *error = xasprintf("corrupt stream: a frame is not JSON: %s", jerr.text);
        return -1;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        *error = xstrdup("corrupt stream: a frame is not a JSON object");
        return -1;
    }
    r->pos += 4 + (size_t)n;
    reader_reset_if_empty(r);
    *msg = j;
    return 1;
}

void wire_reader_free(wire_reader *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

int wire_send(int fd, const char *buf, size_t len)
{
    bool sock = true;
    while (len > 0) {
        ssize_t n = sock ? send(fd, buf, len, MSG_NOSIGNAL) : write(fd, buf, len);
        if (n < 0 && sock && errno == ENOTSOCK) {
            sock = false;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int wire_write(int fd, const json_t *msg)
{
    size_t len;
    char *buf = wire_encode(msg, &len);
    if (buf == NULL) {
        errno = EINVAL;
        return -1;
    }
    int rc = wire_send(fd, buf, len);
    int saved = errno;
    free(buf);
    errno = saved;
    return rc;
}

/* Read exactly n bytes: n, or what was read before EOF, or -1 (errno). */
static ssize_t read_full(int fd, char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, p + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

int wire_read(int fd, json_t **msg, char **error)
{
    *msg = NULL;
    char head[4];
    ssize_t k = read_full(fd, head, 4);
    if (k == 0)
        return 1;
    if (k < 0) {
        int saved = errno;
        *error = xasprintf("cannot read a frame: %s", strerror(saved));
        errno = saved;
        return -1;
    }
    if (k < 4) {
        *error = xstrdup("end of stream inside a frame");
        errno = EPROTO;
        return -1;
    }
    uint32_t n = get_be32(head);
    if (n > WIRE_MAX || n == 0) {
        *error = n ? xasprintf("corrupt stream: a frame of %lu bytes (the limit is %lu)",
                               (unsigned long)n, (unsigned long)WIRE_MAX)
                   : xstrdup("corrupt stream: an empty frame");
        errno = EPROTO;
        return -1;
    }
    wire_reader r = {0};
    size_t room;
    char *body = wire_reader_space(&r, (size_t)n + 4, &room);
    memcpy(body, head, 4);
    k = read_full(fd, body + 4, n);
    int rc;
    if (k < 0) {
        int saved = errno;
        *error = xasprintf("cannot read a frame: %s", strerror(saved));
        rc = -1;
        errno = saved;
    } else if ((size_t)k < n) {
        *error = xstrdup("end of stream inside a frame");
        errno = EPROTO;
        rc = -1;
    } else {
        wire_reader_commit(&r, (size_t)n + 4);
        rc = wire_reader_next(&r, msg, error) == 1 ? 0 : -1;
        if (rc < 0)
            errno = EPROTO;
    }
    wire_reader_free(&r);
    return rc;
}
