/*
 * test-objects.c - the object store (objstore.c, catalog 3.11-3.13) and
 * the builtin targets over it (dapt.put, dapt.get, dapt.delete,
 * dapt.exists), called through the real host (host.c) whose sink hands
 * requests to objstore_request, as a run does.
 *
 * Ports Flowdapt's cluster memory tests (namespaces, delete, clear,
 * exists, "Invalid operation: X") and adds: the three strategies and
 * their fallbacks, artifact files and metadata, atomic writes, names that
 * try to leave the artifact folder, and threads putting at once.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine.h"

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */
/* ------------------------------------------------------------------ */

static char root[64];
static char *arts; /* the artifact root: ROOT/artifacts */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    strcpy(root, "tmp-objects-XXXXXX");
    if (mkdtemp(root) == NULL)
        return -1;
    arts = xasprintf("%s/artifacts", root);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(arts);
    return 0;
}

/* Each test starts with no artifacts. */
static int fresh(void **state)
{
    (void)state;
    nftw(arts, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (v == NULL)
        print_error("bad JSON in the test: %s: %s\n", text, e.text);
    assert_non_null(v);
    return v;
}

static void assert_json(const json_t *got, const char *want_text)
{
    json_t *want = J(want_text);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_COMPACT);
        char *w = json_dumps(want, JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_COMPACT);
        print_error("got  %s\nwant %s\n", g ? g : "NULL", w);
        free(g);
        free(w);
        fail();
    }
    json_decref(want);
}

/* One request; its reply (new reference) or NULL with *error. */
static json_t *req(objstore *os, const char *request, char **error)
{
    json_t *r = J(request), *reply = NULL;
    *error = NULL;
    int rc = objstore_request(os, r, &reply, error);
    json_decref(r);
    if (rc == 0) {
        assert_null(*error);
        assert_non_null(reply);
    } else {
        assert_int_equal(rc, -1);
        assert_null(reply);
        assert_non_null(*error);
    }
    return reply;
}

/* The request succeeds with the reply `want`. */
static void ok(objstore *os, const char *request, const char *want)
{
    char *error;
    json_t *reply = req(os, request, &error);
    if (reply == NULL)
        print_error("%s: %s\n", request, error);
    assert_non_null(reply);
    assert_json(reply, want);
    json_decref(reply);
}

/* The request fails with `message`. */
static void err(objstore *os, const char *request, const char *message)
{
    char *error;
    json_t *reply = req(os, request, &error);
    if (reply != NULL)
        print_error("%s: succeeded\n", request);
    assert_null(reply);
    assert_string_equal(error, message);
    free(error);
}

static char *path_of(const char *ns, const char *key, const char *file)
{
    return file  ? xasprintf("%s/%s/%s/%s", arts, ns, key, file)
           : key ? xasprintf("%s/%s/%s", arts, ns, key)
                 : xasprintf("%s/%s", arts, ns);
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    strbuf sb = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(f);
    return sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

/* The names in a folder, sorted, joined by spaces. */
static char *listing(const char *dir)
{
    char *names[64];
    size_t n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = xstrdup(e->d_name);
    closedir(d);
    for (size_t i = 1; i < n; i++) /* insertion sort: a handful */
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    strbuf sb = {0};
    strbuf_puts(&sb, "");
    for (size_t i = 0; i < n; i++) {
        strbuf_printf(&sb, "%s%s", i ? " " : "", names[i]);
        free(names[i]);
    }
    return strbuf_detach(&sb);
}

/* ------------------------------------------------------------------ */
/* Cluster memory (Flowdapt's test_local_cluster_memory.py)            */
/* ------------------------------------------------------------------ */

#define MEM ", \"strategy\": \"cluster_memory\""

static void test_memory_namespaces(void **state)
{
    (void)state;
    objstore *os = objstore_new(arts);
    ok(os, "{\"op\": \"put\", \"key\": \"k\", \"value\": 1" MEM "}", "true");
    ok(os, "{\"op\": \"put\", \"key\": \"k\", \"namespace\": \"other\", \"value\": [2]" MEM "}",
       "true");
    ok(os, "{\"op\": \"put\", \"key\": \"only\", \"namespace\": \"other\", \"value\": 3" MEM "}",
       "true");
    /* no namespace: `default` */
    ok(os, "{\"op\": \"get\", \"key\": \"k\"" MEM "}", "1");
    ok(os, "{\"op\": \"get\", \"key\": \"k\", \"namespace\": \"default\"" MEM "}", "1");
    ok(os, "{\"op\": \"get\", \"key\": \"k\", \"namespace\": \"other\"" MEM "}", "[2]");
    /* a namespaced key is not visible in default */
    err(os, "{\"op\": \"get\", \"key\": \"only\"" MEM "}",
        "no object `only` in namespace `default` (cluster memory)");
    ok(os, "{\"op\": \"exists\", \"key\": \"only\"" MEM "}", "false");
    ok(os, "{\"op\": \"exists\", \"key\": \"only\", \"namespace\": \"other\"" MEM "}", "true");
    /* overwrite */
    ok(os, "{\"op\": \"put\", \"key\": \"k\", \"value\": {\"v\": 2}" MEM "}", "true");
    ok(os, "{\"op\": \"get\", \"key\": \"k\"" MEM "}", "{\"v\": 2}");
    /* values that are false-ish read back (Ray's backend cannot) */
    ok(os, "{\"op\": \"put\", \"key\": \"z\", \"value\": 0" MEM "}", "true");
    ok(os, "{\"op\": \"get\", \"key\": \"z\"" MEM "}", "0");
    ok(os, "{\"op\": \"put\", \"key\": \"n\", \"value\": null" MEM "}", "true");
    ok(os, "{\"op\": \"get\", \"key\": \"n\"" MEM "}", "null");
    ok(os, "{\"op\": \"exists\", \"key\": \"n\"" MEM "}", "true");
    /* delete, then it is gone; the other namespace keeps its own */
    ok(os, "{\"op\": \"delete\", \"key\": \"k\"" MEM "}", "true");
    err(os, "{\"op\": \"get\", \"key\": \"k\"" MEM "}",
        "no object `k` in namespace `default` (cluster memory)");
    err(os, "{\"op\": \"delete\", \"key\": \"k\"" MEM "}",
        "no object `k` in namespace `default` (cluster memory)");
    ok(os, "{\"op\": \"exists\", \"key\": \"k\"" MEM "}", "false");
    ok(os, "{\"op\": \"get\", \"key\": \"k\", \"namespace\": \"other\"" MEM "}", "[2]");
    /* nothing touched the disk */
    assert_false(exists(arts));
    objstore_free(os);
}

static void test_memory_clear(void **state)
{
    (void)state;
    objstore *os = objstore_new(arts);
    ok(os, "{\"op\": \"put\", \"key\": \"a\", \"value\": 1" MEM "}", "true");
    ok(os, "{\"op\": \"put\", \"key\": \"a\", \"namespace\": \"x\", \"value\": 1" MEM "}", "true");
    ok(os, "{\"op\": \"put\", \"key\": \"a\", \"namespace\": \"y\", \"value\": 1" MEM "}", "true");
    /* one namespace */
    ok(os, "{\"op\": \"clear\", \"namespace\": \"x\"" MEM "}", "true");
    ok(os, "{\"op\": \"exists\", \"key\": \"a\", \"namespace\": \"x\"" MEM "}", "false");
    ok(os, "{\"op\": \"exists\", \"key\": \"a\", \"namespace\": \"y\"" MEM "}", "true");
    /* all of them */
    ok(os, "{\"op\": \"clear\"" MEM "}", "true");
    ok(os, "{\"op\": \"exists\", \"key\": \"a\"" MEM "}", "false");
    ok(os, "{\"op\": \"exists\", \"key\": \"a\", \"namespace\": \"y\"" MEM "}", "false");
    objstore_free(os);
}

static void test_invalid_operation(void **state)
{
    (void)state;
    objstore *os = objstore_new(arts);
    /* Flowdapt's exact words */
    err(os, "{\"op\": \"invalid_operation\", \"key\": \"k\"}",
        "Invalid operation: invalid_operation");
    err(os, "{\"op\": \"PUT\", \"key\": \"k\", \"value\": 1}", "Invalid operation: PUT");
    err(os, "{\"op\": 3}", "Invalid operation: 3");
    err(os, "{\"key\": \"k\"}", "Invalid operation: null");
    err(os, "[\"put\"]",
        "an object store request must be an object {op, key, namespace, strategy, value}");
    err(os, "{\"op\": \"get\", \"key\": \"k\", \"strategy\": \"disk\"}",
        "unknown object store strategy \"disk\": use fallback, cluster_memory or artifact");
    err(os, "{\"op\": \"get\", \"key\": \"k\", \"strategy\": 1}",
        "unknown object store strategy 1: use fallback, cluster_memory or artifact");
    err(os, "{\"op\": \"put\", \"key\": \"k\"}",
        "`value` is missing: put needs the value to store (null for none)");
    err(os, "{\"op\": \"get\"}", "`key` is missing: get needs the key of an object");
    err(os, "{\"op\": \"exists\", \"key\": null}",
        "`key` is missing: exists needs the key of an object");
    err(os, "{\"op\": \"get\", \"key\": 5}", "`key` must be a string, not 5");
    err(os, "{\"op\": \"get\", \"key\": \"k\", \"namespace\": [\"a\"]}",
        "`namespace` must be a string, not [\"a\"]");
    objstore_free(os);
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

static void test_names_refused(void **state)
{
    (void)state;
    objstore *os = objstore_new(arts);
    static const char *const bad[] = {
        "../x", "a/b", "", ".", "..", "/etc/passwd", "a b", "a.b", "x\\u0000y", "~", "a\\nb",
    };
    static const char *const ops[] = {"put", "get", "delete", "exists"};
    static const char *const strategies[] = {"fallback", "cluster_memory", "artifact"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (size_t o = 0; o < 4; o++) {
            for (size_t s = 0; s < 3; s++) {
                char *r = xasprintf("{\"op\": \"%s\", \"key\": \"%s\", \"value\": 1, "
                                    "\"strategy\": \"%s\"}",
                                    ops[o], bad[i], strategies[s]);
                char *want = xasprintf("invalid key \"%s\": a key is one or more letters, digits, "
                                       "`_` or `-` (nothing that could make a path)",
                                       bad[i]);
                err(os, r, want);
                free(want);
                free(r);
                r = xasprintf("{\"op\": \"%s\", \"key\": \"k\", \"namespace\": \"%s\", "
                              "\"value\": 1, \"strategy\": \"%s\"}",
                              ops[o], bad[i], strategies[s]);
                want = xasprintf("invalid namespace \"%s\": a namespace is one or more letters, "
                                 "digits, `_` or `-` (nothing that could make a path)",
                                 bad[i]);
                err(os, r, want);
                free(want);
                free(r);
            }
        }
    }
    err(os, "{\"op\": \"clear\", \"namespace\": \"..\"}",
        "invalid namespace \"..\": a namespace is one or more letters, digits, `_` or `-` "
        "(nothing that could make a path)");
    err(os, "{\"op\": \"get\", \"key\": \"\\u00e9t\\u00e9\"}",
        "invalid key \"\xc3\xa9t\xc3\xa9\": a key is one or more letters, digits, `_` or `-` "
        "(nothing that could make a path)");
    /* a long one is cut in the message */
    err(os,
        "{\"op\": \"get\", \"key\": "
        "\"../aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
        "invalid key \"../aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...: a key is "
        "one "
        "or more letters, digits, `_` or `-` (nothing that could make a path)");
    /* nothing was made anywhere */
    assert_false(exists(arts));
    char *l = listing(root);
    assert_string_equal(l, "");
    free(l);
    /* the good ones: letters, digits, _ and - */
    ok(os,
       "{\"op\": \"put\", \"key\": \"Az09_-\", \"namespace\": \"-_-\", \"value\": 1, "
       "\"strategy\": \"artifact\"}",
       "true");
    char *p = path_of("-_-", "Az09_-", "object");
    assert_true(exists(p));
    free(p);
    objstore_free(os);
}

/* ------------------------------------------------------------------ */
/* Artifacts                                                           */
/* ------------------------------------------------------------------ */

#define ART ", \"strategy\": \"artifact\""

static void test_artifact_files(void **state)
{
    (void)state;
    objstore *os = objstore_new(arts);
    ok(os,
       "{\"op\": \"put\", \"key\": \"model\", \"namespace\": \"ns1\", "
       "\"value\": {\"w\": [1, 2.5], \"name\": \"\\u00e9\"}" ART "}",
       "true");
    char *dir = path_of("ns1", "model", NULL);
    /* exactly the object and its metadata: no temporary file left */
    char *l = listing(dir);
    assert_string_equal(l, ".artifact.json object");
    free(l);
    char *p = path_of("ns1", "model", "object");
    char *text = read_text(p);
    assert_string_equal(text, "{\"w\":[1,2.5],\"name\":\"\xc3\xa9\"}\n");
    free(text);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    free(p);

    p = path_of("ns1", "model", ".artifact.json");
    json_t *meta = json_load_file(p, 0, NULL);
    assert_non_null(meta);
    assert_int_equal(json_object_size(meta), 5);
    assert_string_equal(json_string_value(json_object_get(meta, "name")), "model");
    assert_string_equal(json_string_value(json_object_get(meta, "namespace")), "ns1");
    assert_string_equal(json_string_value(json_object_get(meta, "value_type")), "json");
    const char *created = json_string_value(json_object_get(meta, "created_at"));
    const char *updated = json_string_value(json_object_get(meta, "updated_at"));
    assert_non_null(created);
    assert_int_equal(strlen(created), 24); /* 2026-11-25T10:37:43.123Z */
    assert_int_equal(created[10], 'T');
    assert_int_equal(created[23], 'Z');
    assert_string_equal(created, updated);
    char *first_created = xstrdup(created);
    json_decref(meta);

    /* read back, by every strategy that looks at artifacts */
    ok(os, "{\"op\": \"get\", \"key\": \"model\", \"namespace\": \"ns1\"" ART "}",
       "{\"w\": [1, 2.5], \"name\": \"\\u00e9\"}");
    ok(os, "{\"op\": \"get\", \"key\": \"model\", \"namespace\": \"ns1\"}",
       "{\"w\": [1, 2.5], \"name\": \"\\u00e9\"}");
    err(os, "{\"op\": \"get\", \"key\": \"model\", \"namespace\": \"ns1\"" MEM "}",
        "no object `model` in namespace `ns1` (cluster memory)");
    ok(os, "{\"op\": \"exists\", \"key\": \"model\", \"namespace\": \"ns1\"" ART "}", "true");
    ok(os, "{\"op\": \"exists\", \"key\": \"model\", \"namespace\": \"ns1\"}", "true");
    ok(os, "{\"op\": \"exists\", \"key\": \"model\"" ART "}", "false");

    /* overwrite: created_at stays, updated_at moves on */
    usleep(2000);
    ok(os,
       "{\"op\": \"put\", \"key\": \"model\", \"namespace\": \"ns1\", \"value\": \"v2\"" ART "}",
       "true");
    meta = json_load_file(p, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(meta, "created_at")), first_created);
    assert_true(strcmp(json_string_value(json_object_get(meta, "updated_at")), first_created) > 0);
    json_decref(meta);
    free(first_created);
    free(p);
    l = listing(dir);
    assert_string_equal(l, ".artifact.json object");
    free(l);
    /* scalars round-trip */
    ok(os, "{\"op\": \"get\", \"key\": \"model\", \"namespace\": \"ns1\"" ART "}", "\"v2\"");
    ok(os, "{\"op\": \"put\", \"key\": \"n\", \"namespace\": \"ns1\", \"value\": null" ART "}",
       "true");
    ok(os, "{\"op\": \"get\", \"key\": \"n\", \"namespace\": \"ns1\"" ART "}", "null");

    /* delete: the folder goes; the namespace folder with its last one */
    ok(os, "{\"op\": \"delete\", \"key\": \"model\", \"namespace\": \"ns1\"" ART "}", "true");
    assert_false(exists(dir));
    err(os, "{\"op\": \"get\", \"key\": \"model\", \"namespace\": \"ns1\"" ART "}",
        "no object `model` in namespace `ns1` (artifacts)");
    err(os, "{\"op\": \"delete\", \"key\": \"model\", \"namespace\": \"ns1\"" ART "}",
        "no object `model` in namespace `ns1` (artifacts)");
    ok(os, "{\"op\": \"exists\", \"key\": \"model\", \"namespace\": \"ns1\"" ART "}", "false");
    char *nsdir = path_of("ns1", NULL, NULL);
    assert_true(exists(nsdir));
    ok(os, "{\"op\": \"delete\", \"key\": \"n\", \"namespace\": \"ns1\"" ART "}", "true");
    assert_false(exists(nsdir));
    free(nsdir);
    free(dir);
    objstore_free(os);
}

static void test_artifact_clear(void **state)
{
    (void)state;
    objstore *os = objstore_new(arts);
    ok(os, "{\"op\": \"put\", \"key\": \"a\", \"namespace\": \"x\", \"value\": 1" ART "}", "true");
    ok(os, "{\"op\": \"put\", \"key\": \"a\", \"namespace\": \"y\", \"value\": 1" ART "}", "true");
    ok(os, "{\"op\": \"put\", \"key\": \"a\", \"namespace\": \"x\", \"value\": 1" MEM "}", "true");
    /* a link inside an artifact is removed, not followed */
    char *outside = xasprintf("%s/outside", root);
    FILE *f = fopen(outside, "w");
    fputs("keep me\n", f);
    fclose(f);
    char *cwd = getcwd(NULL, 0);
    char *target = xasprintf("%s/%s", cwd, outside);
    char *link = path_of("y", "a", "link");
    assert_int_equal(symlink(target, link), 0);

    ok(os, "{\"op\": \"clear\", \"namespace\": \"x\"" ART "}", "true");
    char *x = path_of("x", NULL, NULL), *y = path_of("y", NULL, NULL);
    assert_false(exists(x));
    assert_true(exists(y));
    /* the artifact strategy leaves memory alone */
    ok(os, "{\"op\": \"exists\", \"key\": \"a\", \"namespace\": \"x\"" MEM "}", "true");
    /* fallback clears both, everywhere */
    ok(os, "{\"op\": \"clear\"}", "true");
    assert_false(exists(y));
    assert_true(exists(arts));
    ok(os, "{\"op\": \"exists\", \"key\": \"a\", \"namespace\": \"x\"}", "false");
    char *kept = read_text(outside);
    assert_string_equal(kept, "keep me\n");
    free(kept);
    /* clearing what is not there is fine */
    ok(os, "{\"op\": \"clear\", \"namespace\": \"none\"" ART "}", "true");
    unlink(outside);
    free(outside);
    free(cwd);
    free(target);
    free(link);
    free(x);
    free(y);
    objstore_free(os);
}

static void test_artifact_damaged(void **state)
{
    (void)state;
    objstore *os = objstore_new(arts);
    ok(os, "{\"op\": \"put\", \"key\": \"d\", \"value\": [1]" ART "}", "true");
    char *p = path_of("default", "d", "object");
    FILE *f = fopen(p, "w");
    fputs("[1, 2", f);
    fclose(f);
    char *error;
    json_t *r = req(os, "{\"op\": \"get\", \"key\": \"d\"" ART "}", &error);
    assert_null(r);
    char *want = xasprintf("artifact `d` in namespace `default` is damaged: %s:", p);
    assert_memory_equal(error, want, strlen(want));
    free(want);
    free(error);
    /* a write that fails leaves the old files and no temporary one */
    unlink(p);
    assert_int_equal(mkdir(p, 0755), 0); /* `object` is a folder: the rename fails */
    char *dir = path_of("default", "d", NULL);
    error = NULL;
    r = req(os, "{\"op\": \"put\", \"key\": \"d\", \"value\": 2" ART "}", &error);
    assert_null(r);
    want = xasprintf("cannot write artifact `d` in namespace `default`: %s: Is a directory", p);
    assert_string_equal(error, want);
    free(want);
    free(error);
    char *l = listing(dir);
    assert_string_equal(l, ".artifact.json object");
    free(l);
    free(dir);
    rmdir(p);
    /* a folder without an object is no object */
    unlink(p);
    ok(os, "{\"op\": \"exists\", \"key\": \"d\"" ART "}", "false");
    err(os, "{\"op\": \"get\", \"key\": \"d\"" ART "}",
        "no object `d` in namespace `default` (artifacts)");
    free(p);
    objstore_free(os);
}

/* ------------------------------------------------------------------ */
/* fallback                                                            */
/* ------------------------------------------------------------------ */

static void test_fallback(void **state)
{
    (void)state;
    objstore *os = objstore_new(arts);
    /* put: memory only */
    ok(os, "{\"op\": \"put\", \"key\": \"k\", \"value\": 1}", "true");
    ok(os, "{\"op\": \"put\", \"key\": \"k\", \"value\": 1, \"strategy\": null}", "true");
    assert_false(exists(arts));
    ok(os, "{\"op\": \"get\", \"key\": \"k\"}", "1");
    ok(os, "{\"op\": \"get\", \"key\": \"k\", \"strategy\": \"fallback\"}", "1");
    ok(os, "{\"op\": \"exists\", \"key\": \"k\"}", "true");

    /* get and exists fall back to an artifact when memory misses */
    ok(os, "{\"op\": \"put\", \"key\": \"disk\", \"value\": \"from disk\"" ART "}", "true");
    ok(os, "{\"op\": \"get\", \"key\": \"disk\"}", "\"from disk\"");
    ok(os, "{\"op\": \"exists\", \"key\": \"disk\"}", "true");
    /* memory wins when both hold the key */
    ok(os, "{\"op\": \"put\", \"key\": \"disk\", \"value\": \"from memory\"}", "true");
    ok(os, "{\"op\": \"get\", \"key\": \"disk\"}", "\"from memory\"");

    /* delete: memory, and only when absent there, the artifact (Flowdapt) */
    ok(os, "{\"op\": \"delete\", \"key\": \"disk\"}", "true");
    ok(os, "{\"op\": \"exists\", \"key\": \"disk\"" MEM "}", "false");
    ok(os, "{\"op\": \"get\", \"key\": \"disk\"}", "\"from disk\""); /* the artifact survived */
    ok(os, "{\"op\": \"delete\", \"key\": \"disk\"}", "true");
    ok(os, "{\"op\": \"exists\", \"key\": \"disk\"}", "false");
    err(os, "{\"op\": \"delete\", \"key\": \"disk\"}",
        "no object `disk` in namespace `default` (cluster memory, artifacts)");
    err(os, "{\"op\": \"get\", \"key\": \"nothing\", \"namespace\": \"n2\"}",
        "no object `nothing` in namespace `n2` (cluster memory, artifacts)");
    objstore_free(os);
}

/* Without a workspace: memory works, artifacts are refused. */
static void test_no_artifact_root(void **state)
{
    (void)state;
    objstore *os = objstore_new(NULL);
    static const char no_store[] =
        "no artifact store: artifacts live in a workspace's .dapt/artifacts, and this run has "
        "no workspace (use the strategy cluster_memory)";
    err(os, "{\"op\": \"put\", \"key\": \"k\", \"value\": 1" ART "}", no_store);
    err(os, "{\"op\": \"get\", \"key\": \"k\"" ART "}", no_store);
    err(os, "{\"op\": \"exists\", \"key\": \"k\"" ART "}", no_store);
    err(os, "{\"op\": \"delete\", \"key\": \"k\"" ART "}", no_store);
    err(os, "{\"op\": \"clear\"" ART "}", no_store);
    ok(os, "{\"op\": \"put\", \"key\": \"k\", \"value\": 1}", "true");
    ok(os, "{\"op\": \"get\", \"key\": \"k\"}", "1");
    ok(os, "{\"op\": \"exists\", \"key\": \"j\"}", "false");
    err(os, "{\"op\": \"get\", \"key\": \"j\"}",
        "no object `j` in namespace `default` (cluster memory)");
    ok(os, "{\"op\": \"delete\", \"key\": \"k\"}", "true");
    err(os, "{\"op\": \"delete\", \"key\": \"k\"}",
        "no object `k` in namespace `default` (cluster memory)");
    ok(os, "{\"op\": \"clear\"}", "true");
    objstore_free(os);
}

/* The store keeps copies: a caller changing its value (or the value it
 * got) changes nothing stored. */
static void test_values_copied(void **state)
{
    (void)state;
    objstore *os = objstore_new(arts);
    json_t *value = J("{\"list\": [1]}");
    json_t *r = json_pack("{s:s, s:s, s:O}", "op", "put", "key", "c", "value", value);
    json_t *reply;
    char *error;
    assert_int_equal(objstore_request(os, r, &reply, &error), 0);
    json_decref(reply);
    json_decref(r);
    json_array_append_new(json_object_get(value, "list"), json_integer(2));
    json_t *got = req(os, "{\"op\": \"get\", \"key\": \"c\"}", &error);
    assert_json(got, "{\"list\": [1]}");
    json_object_set_new(got, "changed", json_true());
    json_decref(got);
    ok(os, "{\"op\": \"get\", \"key\": \"c\"}", "{\"list\": [1]}");
    json_decref(value);
    objstore_free(os);
}

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

#define THREAD_KEYS 2000
#define THREAD_ARTIFACTS 30

typedef struct worker_arg {
    objstore *os;
    int id;
    int failures;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    for (int i = 0; i < THREAD_KEYS; i++) {
        /* each thread its own keys, and one key both write */
        char key[32];
        snprintf(key, sizeof key, "k%d-%d", a->id, i);
        json_t *r = json_pack("{s:s, s:s, s:s, s:{s:i, s:i}}", "op", "put", "key", key, "namespace",
                              "t", "value", "thread", a->id, "i", i);
        json_t *reply;
        char *error;
        if (objstore_request(a->os, r, &reply, &error) < 0) {
            a->failures++;
            free(error);
        }
        json_decref(reply);
        json_decref(r);
        r = json_pack("{s:s, s:s, s:s, s:i}", "op", "put", "key", "same", "namespace", "t", "value",
                      a->id);
        if (objstore_request(a->os, r, &reply, &error) < 0) {
            a->failures++;
            free(error);
        }
        json_decref(reply);
        json_decref(r);
    }
    for (int i = 0; i < THREAD_ARTIFACTS; i++) {
        json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:[i, i]}", "op", "put", "key", "art",
                              "namespace", "t", "strategy", "artifact", "value", a->id, i);
        json_t *reply;
        char *error;
        if (objstore_request(a->os, r, &reply, &error) < 0) {
            a->failures++;
            free(error);
        }
        json_decref(reply);
        json_decref(r);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    objstore *os = objstore_new(arts);
    pthread_t t[2];
    worker_arg a[2] = {{os, 0, 0}, {os, 1, 0}};
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, &a[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(a[0].failures, 0);
    assert_int_equal(a[1].failures, 0);
    /* every key of both threads is there, with its value */
    for (int id = 0; id < 2; id++) {
        for (int i = 0; i < THREAD_KEYS; i += 97) {
            char *r = xasprintf(
                "{\"op\": \"get\", \"key\": \"k%d-%d\", \"namespace\": \"t\"" MEM "}", id, i);
            char *want = xasprintf("{\"thread\": %d, \"i\": %d}", id, i);
            ok(os, r, want);
            free(r);
            free(want);
        }
    }
    char *error;
    json_t *same = req(os, "{\"op\": \"get\", \"key\": \"same\", \"namespace\": \"t\"}", &error);
    assert_true(json_integer_value(same) == 0 || json_integer_value(same) == 1);
    json_decref(same);
    /* the artifact both wrote is one of the writes, whole; nothing else is left */
    json_t *art =
        req(os, "{\"op\": \"get\", \"key\": \"art\", \"namespace\": \"t\"" ART "}", &error);
    assert_true(json_is_array(art) && json_array_size(art) == 2);
    assert_int_equal(json_integer_value(json_array_get(art, 1)), THREAD_ARTIFACTS - 1);
    json_decref(art);
    char *dir = path_of("t", "art", NULL);
    char *l = listing(dir);
    assert_string_equal(l, ".artifact.json object");
    free(l);
    free(dir);
    objstore_free(os);
}

/* ------------------------------------------------------------------ */
/* The builtin targets through the host                                */
/* ------------------------------------------------------------------ */

#define DAPT_SO PLUGINS_BUILDDIR "/builtin/.libs/dapt.so"

static int sink_object(void *data, json_t *request, json_t **reply, char **error)
{
    return objstore_request(data, request, reply, error);
}

static void sink_log(void *data, long item, int level, const char *text)
{
    (void)data, (void)item, (void)level, (void)text;
}

typedef struct stage_host {
    objstore *os;
    run_info run;
    host_sink sink;
    host_ctx hc;
} stage_host;

static void stage_host_init(stage_host *h)
{
    memset(h, 0, sizeof *h);
    h->os = objstore_new(arts);
    h->run.run_id = "r1";
    h->run.ns = "runns";
    h->run.default_strategy = "fallback";
    h->sink.log = sink_log;
    h->sink.object = sink_object;
    h->sink.data = h->os;
    host_ctx_init(&h->hc, &h->run, &h->sink, NULL);
}

static void stage_host_free(stage_host *h)
{
    host_ctx_clear(&h->hc);
    objstore_free(h->os);
}

/* Call dapt.TARGET with args and kwargs (JSON); the value, or NULL with
 * *error (caller frees). */
static json_t *call(stage_host *h, const char *target, const char *args, const char *kwargs,
                    char **error)
{
    dapt_stage_fn fn;
    char *lerr = NULL;
    if (loader_get(&fn, DAPT_SO, target, &lerr) < 0)
        print_error("%s: %s\n", target, lerr);
    assert_null(lerr);
    json_t *a = J(args), *k = J(kwargs);
    json_t *v = host_call(&h->hc, fn, a, k, -1, 1, error);
    json_decref(a);
    json_decref(k);
    return v;
}

static void stage_ok(stage_host *h, const char *target, const char *args, const char *kwargs,
                     const char *want)
{
    char *error = NULL;
    json_t *v = call(h, target, args, kwargs, &error);
    if (v == NULL)
        print_error("dapt.%s %s %s: %s\n", target, args, kwargs, error);
    assert_non_null(v);
    assert_json(v, want);
    json_decref(v);
}

static void stage_err(stage_host *h, const char *target, const char *args, const char *kwargs,
                      const char *message)
{
    char *error = NULL;
    json_t *v = call(h, target, args, kwargs, &error);
    assert_null(v);
    assert_non_null(error);
    assert_string_equal(error, message);
    free(error);
}

static void test_builtin_targets(void **state)
{
    (void)state;
    stage_host h;
    stage_host_init(&h);
    /* put stores its first positional argument, else `value`, and passes it on */
    stage_ok(&h, "put", "[[1, 2], \"ignored\"]", "{\"key\": \"a\"}", "[1, 2]");
    stage_ok(&h, "put", "[]", "{\"key\": \"b\", \"value\": {\"x\": 1}}", "{\"x\": 1}");
    stage_ok(&h, "put", "[]", "{\"key\": \"nul\", \"value\": null}", "null");
    /* the run's namespace and default strategy: memory */
    ok(h.os, "{\"op\": \"get\", \"key\": \"a\", \"namespace\": \"runns\"" MEM "}", "[1, 2]");
    assert_false(exists(arts));
    stage_ok(&h, "get", "[\"whatever\"]", "{\"key\": \"a\"}", "[1, 2]");
    stage_ok(&h, "get", "[]", "{\"key\": \"nul\"}", "null");
    stage_ok(&h, "exists", "[]", "{\"key\": \"b\"}", "true");
    stage_ok(&h, "exists", "[]", "{\"key\": \"zz\"}", "false");
    stage_ok(&h, "exists", "[]", "{\"key\": \"b\", \"namespace\": \"elsewhere\"}", "false");

    /* another namespace and the artifact strategy */
    stage_ok(&h, "put", "[]",
             "{\"key\": \"m\", \"namespace\": \"models\", \"strategy\": \"artifact\", "
             "\"value\": 7}",
             "7");
    char *p = path_of("models", "m", "object");
    char *text = read_text(p);
    assert_string_equal(text, "7\n");
    free(text);
    free(p);
    stage_ok(&h, "get", "[]", "{\"key\": \"m\", \"namespace\": \"models\"}", "7");
    stage_ok(&h, "get", "[]",
             "{\"key\": \"m\", \"namespace\": \"models\", \"strategy\": \"cluster_memory\", "
             "\"default\": \"none\"}",
             "\"none\"");

    /* missing: an error, unless there is a default */
    stage_err(&h, "get", "[]", "{\"key\": \"nope\"}",
              "dapt.get: no object `nope` in namespace `runns` (cluster memory, artifacts)");
    stage_ok(&h, "get", "[]", "{\"key\": \"nope\", \"default\": [0]}", "[0]");
    stage_ok(&h, "get", "[]", "{\"key\": \"nope\", \"default\": null}", "null");
    /* a default does not hide a request that is wrong */
    stage_err(&h, "get", "[]", "{\"key\": \"a/b\", \"default\": 1}",
              "dapt.get: invalid key \"a/b\": a key is one or more letters, digits, `_` or `-` "
              "(nothing that could make a path)");
    stage_err(&h, "get", "[]", "{\"key\": \"a\", \"strategy\": \"disk\", \"default\": 1}",
              "dapt.get: unknown object store strategy \"disk\": use fallback, cluster_memory "
              "or artifact");

    /* delete */
    stage_ok(&h, "delete", "[1]", "{\"key\": \"a\"}", "true");
    stage_ok(&h, "exists", "[]", "{\"key\": \"a\"}", "false");
    stage_err(&h, "delete", "[]", "{\"key\": \"a\"}",
              "dapt.delete: no object `a` in namespace `runns` (cluster memory, artifacts)");
    stage_ok(&h, "delete", "[]", "{\"key\": \"m\", \"namespace\": \"models\"}", "true");
    stage_ok(&h, "exists", "[]", "{\"key\": \"m\", \"namespace\": \"models\"}", "false");

    /* arguments */
    stage_err(&h, "put", "[1]", "{}", "dapt.put: `key` is required (the name of the object)");
    stage_err(&h, "put", "[]", "{\"key\": \"k\"}",
              "dapt.put: `value` is required (the value to store: a positional argument, or "
              "`value`)");
    stage_err(&h, "get", "[]", "{\"key\": 5}", "dapt.get: `key` must be a string, not 5");
    stage_err(&h, "exists", "[]", "{\"key\": \"k\", \"namespace\": 1}",
              "dapt.exists: `namespace` must be a string, not 1");
    stage_err(&h, "delete", "[]", "{\"key\": \"k\", \"strategy\": [\"artifact\"]}",
              "dapt.delete: `strategy` must be a string, not [\"artifact\"]");
    stage_err(&h, "put", "[1]", "{\"key\": \"../../x\"}",
              "dapt.put: invalid key \"../../x\": a key is one or more letters, digits, `_` or "
              "`-` (nothing that could make a path)");
    stage_host_free(&h);

    /* a run without a workspace */
    stage_host_init(&h);
    objstore_free(h.os);
    h.os = objstore_new(NULL);
    h.sink.data = h.os;
    stage_err(&h, "put", "[1]", "{\"key\": \"k\", \"strategy\": \"artifact\"}",
              "dapt.put: no artifact store: artifacts live in a workspace's .dapt/artifacts, and "
              "this run has no workspace (use the strategy cluster_memory)");
    stage_host_free(&h);
}

/* The executor target: described, not callable. */
static void test_executor_target(void **state)
{
    (void)state;
    void *handle;
    const dapt_plugin_desc *desc;
    char *error = NULL;
    assert_int_equal(plugin_open(&handle, &desc, DAPT_SO, &error), 0);
    const dapt_target *local = NULL;
    for (const dapt_target *t = desc->targets; t->path; t++)
        if (strcmp(t->path, "executor.local") == 0)
            local = t;
    assert_non_null(local);
    assert_int_equal(local->kind, DAPT_TARGET_EXECUTOR);
    assert_null(local->fn);
    assert_non_null(local->executor);
    assert_int_equal(local->executor->abi, DAPT_EXECUTOR_ABI);
    assert_string_equal(local->executor->kind, "local");
    static const struct {
        const char *name, *type, *def;
    } want[] = {
        {"use_processes", "boolean", "true"},
        {"workers", "integer", NULL},
        {"grace_period", "string", "\"5s\""},
    };
    size_t n = 0;
    for (const dapt_param *p = local->params; p->name; p++, n++) {
        assert_true(n < 3);
        assert_string_equal(p->name, want[n].name);
        assert_string_equal(p->type, want[n].type);
        assert_int_equal(p->required, DAPT_OPTIONAL);
        if (want[n].def)
            assert_string_equal(p->default_json, want[n].def);
        else
            assert_null(p->default_json);
    }
    assert_int_equal(n, 3);
    /* and the engine accepts the descriptor as it is */
    dapt_plugin_info info;
    memset(&info, 0, sizeof info);
    assert_int_equal(plugin_info_from_desc(&info, desc), 0);
    assert_int_equal(info.status, DAPT_PLUGIN_OK);
    plugin_info_clear(&info);
    dlclose(handle);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_memory_namespaces, fresh),
        cmocka_unit_test_setup(test_memory_clear, fresh),
        cmocka_unit_test_setup(test_invalid_operation, fresh),
        cmocka_unit_test_setup(test_names_refused, fresh),
        cmocka_unit_test_setup(test_artifact_files, fresh),
        cmocka_unit_test_setup(test_artifact_clear, fresh),
        cmocka_unit_test_setup(test_artifact_damaged, fresh),
        cmocka_unit_test_setup(test_fallback, fresh),
        cmocka_unit_test_setup(test_no_artifact_root, fresh),
        cmocka_unit_test_setup(test_values_copied, fresh),
        cmocka_unit_test_setup(test_threads, fresh),
        cmocka_unit_test_setup(test_builtin_targets, fresh),
        cmocka_unit_test_setup(test_executor_target, fresh),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    loader_unload_all();
    return rc;
}
