/*
 * test-wire.c - unit tests of engine/wire.c: the length-prefixed JSON
 * frames between the engine and its workers.  Streams are cut at every
 * byte, lengths lie, frames are too big or end early.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"

static json_t *parse(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

static void assert_json_eq(const json_t *got, const char *want)
{
    json_t *w = parse(want);
    if (!json_equal(got, w)) {
        char *g = json_dumps(got, JSON_COMPACT);
        print_error("got %s, want %s\n", g, want);
        free(g);
        fail();
    }
    json_decref(w);
}

/* Three frames back to back, as one buffer. */
static char *three_frames(size_t *len)
{
    static const char *const msgs[] = {
        "{\"op\":\"hello\",\"run\":{\"run_id\":\"abc123\"}}",
        "{\"op\":\"call\",\"id\":7,\"calls\":[[0,[1]],[1,[2.5]],[2,[\"\\u00e9\\u0000x\"]]]}",
        "{\"op\":\"done\",\"id\":7}",
    };
    strbuf sb = {0};
    for (size_t i = 0; i < 3; i++) {
        json_t *m = json_loads(msgs[i], JSON_ALLOW_NUL, NULL);
        assert_non_null(m);
        assert_int_equal(wire_append(&sb, m), 0);
        json_decref(m);
    }
    *len = sb.len;
    return strbuf_detach(&sb);
}

static void check_three(json_t **got, size_t n)
{
    assert_int_equal(n, 3);
    assert_string_equal(json_string_value(json_object_get(got[0], "op")), "hello");
    assert_string_equal(json_string_value(json_object_get(json_object_get(got[0], "run"), "run_id")),
                        "abc123");
    json_t *calls = json_object_get(got[1], "calls");
    assert_int_equal(json_array_size(calls), 3);
    assert_true(json_real_value(json_array_get(json_array_get(json_array_get(calls, 1), 1), 0)) ==
                2.5);
    /* a NUL inside a string survives the trip */
    json_t *s = json_array_get(json_array_get(json_array_get(calls, 2), 1), 0);
    assert_int_equal(json_string_length(s), 4);
    assert_memory_equal(json_string_value(s), "\xc3\xa9\0x", 4);
    assert_json_eq(got[2], "{\"op\":\"done\",\"id\":7}");
}

/* Take every frame the reader has. */
static size_t drain(wire_reader *r, json_t **got, size_t max)
{
    size_t n = 0;
    json_t *m;
    char *err = NULL;
    int rc;
    while ((rc = wire_reader_next(r, &m, &err)) == 1) {
        assert_true(n < max);
        got[n++] = m;
    }
    assert_int_equal(rc, 0);
    assert_null(err);
    return n;
}

static void test_encode_layout(void **state)
{
    (void)state;
    json_t *m = parse("{\"op\":\"done\",\"id\":1}");
    size_t len;
    char *buf = wire_encode(m, &len);
    assert_non_null(buf);
    /* 4-byte big-endian length, then compact JSON */
    assert_int_equal(len, 4 + strlen("{\"op\":\"done\",\"id\":1}"));
    assert_memory_equal(buf, "\0\0\0\x14{\"op\":\"done\",\"id\":1}", len);
    free(buf);
    json_decref(m);
}

static void test_split_every_byte(void **state)
{
    (void)state;
    size_t len;
    char *buf = three_frames(&len);
    /* two feeds, cut at every position */
    for (size_t cut = 0; cut <= len; cut++) {
        wire_reader r = {0};
        json_t *got[4];
        wire_reader_feed(&r, buf, cut);
        size_t n = drain(&r, got, 4);
        wire_reader_feed(&r, buf + cut, len - cut);
        n += drain(&r, got + n, 4 - n);
        check_three(got, n);
        for (size_t i = 0; i < n; i++)
            json_decref(got[i]);
        assert_int_equal(r.len - r.pos, 0);
        wire_reader_free(&r);
    }
    /* one byte at a time */
    wire_reader r = {0};
    json_t *got[4];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        wire_reader_feed(&r, buf + i, 1);
        n += drain(&r, got + n, 4 - n);
    }
    check_three(got, n);
    for (size_t i = 0; i < n; i++)
        json_decref(got[i]);
    wire_reader_free(&r);
    free(buf);
}

/* The zero-copy path the engine uses: space, read into it, commit. */
static void test_space_commit(void **state)
{
    (void)state;
    size_t len;
    char *buf = three_frames(&len);
    wire_reader r = {0};
    json_t *got[4];
    size_t n = 0;
    for (size_t off = 0; off < len; off += 5) {
        size_t room, k = len - off < 5 ? len - off : 5;
        char *p = wire_reader_space(&r, k, &room);
        assert_true(room >= k);
        memcpy(p, buf + off, k);
        wire_reader_commit(&r, k);
        n += drain(&r, got + n, 4 - n);
    }
    check_three(got, n);
    for (size_t i = 0; i < n; i++)
        json_decref(got[i]);
    wire_reader_free(&r);
    free(buf);
}

static void expect_corrupt(const char *bytes, size_t len, const char *message)
{
    wire_reader r = {0};
    wire_reader_feed(&r, bytes, len);
    json_t *m = NULL;
    char *err = NULL;
    assert_int_equal(wire_reader_next(&r, &m, &err), -1);
    assert_null(m);
    assert_non_null(err);
    assert_string_equal(err, message);
    free(err);
    wire_reader_free(&r);
}

static void test_corrupt(void **state)
{
    (void)state;
    /* a length over the limit is refused from its 4 bytes, before any
     * memory is reserved for it */
    expect_corrupt("\x10\0\0\x01", 4,
                   "corrupt stream: a frame of 268435457 bytes (the limit is 268435456)");
    expect_corrupt("\xff\xff\xff\xff{}", 6,
                   "corrupt stream: a frame of 4294967295 bytes (the limit is 268435456)");
    expect_corrupt("\0\0\0\0", 4, "corrupt stream: an empty frame");
    expect_corrupt("\0\0\0\x03{\"a", 7,
                   "corrupt stream: a frame is not JSON: premature end of input near '\"a'");
    expect_corrupt("\0\0\0\x03[1]", 7, "corrupt stream: a frame is not a JSON object");
    /* a length that lies short: the frame ends inside the JSON */
    expect_corrupt("\0\0\0\x05{\"a\":1}", 11,
                   "corrupt stream: a frame is not JSON: unexpected token near end of file");
    /* a frame that is all there but the length claims one more byte waits */
    wire_reader r = {0};
    wire_reader_feed(&r, "\0\0\0\x08{\"a\":1}", 11);
    json_t *m = NULL;
    char *err = NULL;
    assert_int_equal(wire_reader_next(&r, &m, &err), 0);
    wire_reader_free(&r);
}

static void test_encode_refused(void **state)
{
    (void)state;
    strbuf sb = {0};
    strbuf_puts(&sb, "before");
    /* not UTF-8: jansson cannot write it; the buffer is left as it was */
    json_t *m = json_pack("{s:o}", "text", json_stringn_nocheck("\xff\xfe", 2));
    assert_int_equal(wire_append(&sb, m), -1);
    assert_int_equal(sb.len, 6);
    assert_string_equal(sb.buf, "before");
    size_t len = 99;
    assert_null(wire_encode(m, &len));
    json_decref(m);
    strbuf_free(&sb);
}

/* wire_write and wire_read over a socketpair and over a pipe (write(2),
 * not send(2)); a big frame crosses many reads. */
static void round_trip(int rfd, int wfd)
{
    json_t *big = json_object();
    char *text = xmalloc(300000);
    memset(text, 'x', 299999);
    text[299999] = '\0';
    json_object_set_new(big, "text", json_string(text));
    free(text);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(rfd);
        json_t *small = json_pack("{s:s}", "op", "done");
        int rc = wire_write(wfd, small) | wire_write(wfd, big);
        _exit(rc == 0 ? 0 : 1);
    }
    close(wfd);
    json_t *m = NULL;
    char *err = NULL;
    assert_int_equal(wire_read(rfd, &m, &err), 0);
    assert_json_eq(m, "{\"op\":\"done\"}");
    json_decref(m);
    assert_int_equal(wire_read(rfd, &m, &err), 0);
    assert_true(json_equal(m, big));
    json_decref(m);
    /* the writer is gone: a clean EOF */
    assert_int_equal(wire_read(rfd, &m, &err), 1);
    assert_null(m);
    assert_null(err);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(rfd);
    json_decref(big);
}

static void test_read_write(void **state)
{
    (void)state;
    int sv[2], p[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    round_trip(sv[0], sv[1]);
    assert_int_equal(pipe(p), 0);
    round_trip(p[0], p[1]);
}

static void expect_read_error(const char *bytes, size_t len, const char *message)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], bytes, len), (ssize_t)len);
    close(p[1]);
    json_t *m = NULL;
    char *err = NULL;
    errno = 0;
    assert_int_equal(wire_read(p[0], &m, &err), -1);
    assert_int_equal(errno, EPROTO);
    assert_null(m);
    assert_string_equal(err, message);
    free(err);
    close(p[0]);
}

static void test_read_eof_mid_frame(void **state)
{
    (void)state;
    expect_read_error("\0\0", 2, "end of stream inside a frame");
    expect_read_error("\0\0\0\x07{\"a\":", 9, "end of stream inside a frame");
    expect_read_error("\x7f\0\0\0", 4,
                      "corrupt stream: a frame of 2130706432 bytes (the limit is 268435456)");
    expect_read_error("\0\0\0\x02[]", 6, "corrupt stream: a frame is not a JSON object");
    /* a closed peer is a clean EOF only between frames */
    int p[2];
    assert_int_equal(pipe(p), 0);
    close(p[1]);
    json_t *m = NULL;
    char *err = NULL;
    assert_int_equal(wire_read(p[0], &m, &err), 1);
    close(p[0]);
}

/* wire_reader_read: the worker's buffered reading. */
static void test_reader_read(void **state)
{
    (void)state;
    size_t len;
    char *buf = three_frames(&len);
    int p[2];
    assert_int_equal(pipe(p), 0);
    /* the frames in two writes, the cut inside the second frame */
    assert_int_equal(write(p[1], buf, 50), 50);
    wire_reader r = {0};
    assert_int_equal(wire_reader_read(&r, p[0]), 50);
    json_t *got[4];
    size_t n = drain(&r, got, 4);
    assert_int_equal(n, 1);
    assert_int_equal(write(p[1], buf + 50, len - 50), (ssize_t)(len - 50));
    close(p[1]);
    assert_int_equal(wire_reader_read(&r, p[0]), (long)(len - 50));
    n += drain(&r, got + n, 4 - n);
    check_three(got, n);
    assert_int_equal(wire_reader_read(&r, p[0]), 0);
    for (size_t i = 0; i < n; i++)
        json_decref(got[i]);
    wire_reader_free(&r);
    close(p[0]);
    free(buf);
}

/* wire_send to a socket whose peer is gone: EPIPE, and no SIGPIPE kills
 * the test. */
static void test_send_dead_peer(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    errno = 0;
    assert_int_equal(wire_send(sv[0], "abcd", 4), -1);
    assert_int_equal(errno, EPIPE);
    close(sv[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_layout),   cmocka_unit_test(test_split_every_byte),
        cmocka_unit_test(test_space_commit),    cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_encode_refused),  cmocka_unit_test(test_read_write),
        cmocka_unit_test(test_read_eof_mid_frame), cmocka_unit_test(test_reader_read),
        cmocka_unit_test(test_send_dead_peer),
    };
    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
