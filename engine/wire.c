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

int wire_append(strbuf *sb, const json_t *msg)
{
    size_t start = sb->len;
    strbuf_add(sb, "\0\0\0\0", 4);
    /* JSON_COMPACT: no spaces; reals keep jansson's round-trip precision */
    if (json_dump_callback(msg, dump_to_strbuf, sb, JSON_COMPACT) != 0 ||
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
