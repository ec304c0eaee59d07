/*
 * test-plugin-cache.c - unit tests of engine/plugin-cache.c: the discovery
 * cache round-trips what a scan found, misses on a changed file id, is
 * written atomically with mode 0600, and turns any truncated, damaged or
 * foreign file into an empty cache, never a crash (run it under ASan).
 *
 * The infos are built by hand, so this needs no plugin and no scanner.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

/* The header's layout, for the tests that damage the body behind the
 * checksum: magic 8, bom 4, format 4, abi 2+2, body size 8, checksum 8;
 * the body starts with four u32 totals, then the dapt version. */
#define OFF_BODY_LEN 20
#define OFF_SUM 28
#define OFF_BODY 36
#define OFF_VERSION (OFF_BODY + 16)

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */
/* ------------------------------------------------------------------ */

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "tmp-plugin-cache-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *sub = xasprintf("%s/%s", path, e->d_name);
            rm_rf(sub);
            free(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int teardown(void **state)
{
    (void)state;
    rm_rf(tmpdir);
    return 0;
}

static char *tmp_path(const char *name)
{
    return xasprintf("%s/%s", tmpdir, name);
}

static char *read_all(const char *file, size_t *len)
{
    FILE *f = fopen(file, "rb");
    assert_non_null(f);
    strbuf sb = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_add(&sb, chunk, n);
    fclose(f);
    *len = sb.len;
    return strbuf_detach(&sb);
}

static void write_all(const char *file, const char *buf, size_t len)
{
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Three entries as a scan would leave them: a plugin with targets,
 * parameters and requirements; a broken one; an empty one. */
static dapt_param_info fetch_params[] = {
    {.name = "city", .type = "string", .required = true, .default_json = NULL, .doc = "Which city"},
    {.name = "days", .type = "integer", .required = false, .default_json = "7", .doc = ""},
};
static dapt_target_info weather_targets[] = {
    {.path = "stages.fetch",
     .target = "weather.stages.fetch",
     .kind = DAPT_TARGET_STAGE,
     .flags = DAPT_TARGET_KWARGS,
     .doc = "Fetch a series.\nDetails.",
     .returns = "object",
     .params = fetch_params,
     .param_count = 2},
    {.path = "executor.fast",
     .target = "weather.executor.fast",
     .kind = DAPT_TARGET_EXECUTOR,
     .flags = 0,
     .doc = "",
     .returns = "",
     .params = NULL,
     .param_count = 0},
};
static char *weather_reqs[] = {"curl >= 7", "jansson"};

static dapt_plugin_info weather = {
    .name = "weather",
    .version = "1.2.3",
    .description = "Weather data",
    .author = "A. Uthor",
    .license = "MIT",
    .url = "https://example.org",
    .requirements = weather_reqs,
    .requirement_count = 2,
    .path = "/plugins/weather.so",
    .status = DAPT_PLUGIN_OK,
    .error = NULL,
    .abi_major = 1,
    .abi_minor = 0,
    .targets = weather_targets,
    .target_count = 2,
    .id = {.size = 12345, .mtime_ns = 1700000000123456789, .ino = 42, .dev = 7},
};
static dapt_plugin_info crashy = {
    .name = "crashy",
    .version = "",
    .description = "",
    .author = "",
    .license = "",
    .url = "",
    .path = "/plugins/crashy.so",
    .status = DAPT_PLUGIN_BROKEN,
    .error = "the plugin crashed while loading (signal 11, Segmentation fault)",
    .id = {.size = 99, .mtime_ns = -5, .ino = 43, .dev = 7},
};
static dapt_plugin_info empty = {
    .name = "empty",
    .version = "0",
    .description = "",
    .author = "",
    .license = "",
    .url = "",
    .path = "/other/empty.so",
    .status = DAPT_PLUGIN_OK,
    .abi_major = 1,
    .id = {.size = 1, .mtime_ns = 2, .ino = 3, .dev = 4},
};

static void save_three(const char *file)
{
    const dapt_plugin_info *infos[] = {&weather, &crashy, &empty};
    char *error = NULL;
    assert_int_equal(plugin_cache_save(file, infos, 3, &error), 0);
    assert_null(error);
}

static void assert_same(const dapt_plugin_info *a, const dapt_plugin_info *b)
{
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->version, b->version);
    assert_string_equal(a->description, b->description);
    assert_string_equal(a->author, b->author);
    assert_string_equal(a->license, b->license);
    assert_string_equal(a->url, b->url);
    assert_string_equal(a->path, b->path);
    assert_null(a->data_dir); /* decided on every start, not cached */
    assert_int_equal(a->status, b->status);
    if (b->error)
        assert_string_equal(a->error, b->error);
    else
        assert_null(a->error);
    assert_int_equal(a->abi_major, b->abi_major);
    assert_int_equal(a->abi_minor, b->abi_minor);
    assert_memory_equal(&a->id, &b->id, sizeof a->id);
    assert_int_equal(a->requirement_count, b->requirement_count);
    for (size_t i = 0; i < b->requirement_count; i++)
        assert_string_equal(a->requirements[i], b->requirements[i]);
    assert_int_equal(a->target_count, b->target_count);
    for (size_t i = 0; i < b->target_count; i++) {
        const dapt_target_info *x = &a->targets[i], *y = &b->targets[i];
        assert_string_equal(x->path, y->path);
        assert_string_equal(x->target, y->target);
        assert_int_equal(x->kind, y->kind);
        assert_int_equal(x->flags, y->flags);
        assert_string_equal(x->doc, y->doc);
        assert_string_equal(x->returns, y->returns);
        assert_ptr_equal(x->plugin, a);
        assert_int_equal(x->param_count, y->param_count);
        for (size_t k = 0; k < y->param_count; k++) {
            const dapt_param_info *p = &x->params[k], *q = &y->params[k];
            assert_string_equal(p->name, q->name);
            assert_string_equal(p->type, q->type);
            assert_int_equal(p->required, q->required);
            if (q->default_json)
                assert_string_equal(p->default_json, q->default_json);
            else
                assert_null(p->default_json);
            assert_string_equal(p->doc, q->doc);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Round trip                                                          */
/* ------------------------------------------------------------------ */

static void test_round_trip(void **state)
{
    (void)state;
    char *file = tmp_path("deep/er/plugins.cache"); /* folders made as needed */
    save_three(file);

    plugin_cache *cache = plugin_cache_load(file);
    assert_int_equal(plugin_cache_count(cache), 3);
    assert_same(plugin_cache_lookup(cache, weather.path, &weather.id), &weather);
    assert_same(plugin_cache_lookup(cache, crashy.path, &crashy.id), &crashy);
    assert_same(plugin_cache_lookup(cache, empty.path, &empty.id), &empty);
    assert_ptr_equal(plugin_cache_entry(cache, 0),
                     plugin_cache_lookup(cache, weather.path, &weather.id));
    assert_null(plugin_cache_entry(cache, 3));
    assert_null(plugin_cache_lookup(cache, "/plugins/nothere.so", &weather.id));

    /* every part of the id is part of the key */
    dapt_file_id id = weather.id;
    id.size++;
    assert_null(plugin_cache_lookup(cache, weather.path, &id));
    id = weather.id;
    id.mtime_ns++;
    assert_null(plugin_cache_lookup(cache, weather.path, &id));
    id = weather.id;
    id.ino++;
    assert_null(plugin_cache_lookup(cache, weather.path, &id));
    id = weather.id;
    id.dev++;
    assert_null(plugin_cache_lookup(cache, weather.path, &id));

    /* take: a shallow copy whose targets point at the copy */
    dapt_plugin_info taken;
    assert_false(plugin_cache_take(cache, weather.path, &id, &taken));
    assert_true(plugin_cache_take(cache, weather.path, &weather.id, &taken));
    assert_same(&taken, &weather);
    plugin_cache_free(cache);
    free(file);
}

static void test_file_mode_and_no_leftovers(void **state)
{
    (void)state;
    char *file = tmp_path("plugins.cache");
    save_three(file);
    save_three(file); /* replaces */
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    /* the temp file was renamed, none is left beside it */
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    struct dirent *e;
    size_t n = 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' || strncmp(e->d_name, ".plugins.cache.", 15) == 0)
            n++;
    closedir(d);
    assert_int_equal(n, 1);
    free(file);
}

static void test_skips_shadowed(void **state)
{
    (void)state;
    char *file = tmp_path("plugins.cache");
    dapt_plugin_info shadowed = empty;
    shadowed.path = "/late/empty.so";
    shadowed.status = DAPT_PLUGIN_SHADOWED;
    shadowed.error = "shadowed by /other/empty.so";
    const dapt_plugin_info *infos[] = {&shadowed, &empty};
    char *error = NULL;
    assert_int_equal(plugin_cache_save(file, infos, 2, &error), 0);
    plugin_cache *cache = plugin_cache_load(file);
    assert_int_equal(plugin_cache_count(cache), 1);
    assert_null(plugin_cache_lookup(cache, shadowed.path, &shadowed.id));
    plugin_cache_free(cache);
    free(file);
}

static void test_save_errors(void **state)
{
    (void)state;
    /* the folder cannot be made: a file is in the way */
    char *blocker = tmp_path("blocker");
    write_all(blocker, "x", 1);
    char *file = tmp_path("blocker/plugins.cache");
    const dapt_plugin_info *infos[] = {&weather};
    char *error = NULL;
    assert_int_equal(plugin_cache_save(file, infos, 1, &error), -1);
    assert_non_null(error);
    assert_non_null(strstr(error, "cannot create the folder"));
    assert_non_null(strstr(error, "blocker"));
    free(error);
    free(file);
    free(blocker);
}

/* ------------------------------------------------------------------ */
/* Missing, foreign, truncated, damaged                                */
/* ------------------------------------------------------------------ */

static size_t load_count(const char *file)
{
    plugin_cache *cache = plugin_cache_load(file);
    size_t n = plugin_cache_count(cache);
    /* whatever it holds must be usable */
    for (size_t i = 0; i < n; i++) {
        const dapt_plugin_info *info = plugin_cache_entry(cache, i);
        assert_non_null(info->path);
        assert_non_null(info->name);
        assert_true(info->status == DAPT_PLUGIN_OK || info->error != NULL);
        for (size_t t = 0; t < info->target_count; t++) {
            assert_non_null(info->targets[t].target);
            for (size_t p = 0; p < info->targets[t].param_count; p++)
                assert_non_null(info->targets[t].params[p].name);
        }
        assert_ptr_equal(plugin_cache_lookup(cache, info->path, &info->id) != NULL, true);
    }
    plugin_cache_free(cache);
    return n;
}

static void test_missing_and_foreign(void **state)
{
    (void)state;
    char *file = tmp_path("plugins.cache");
    assert_int_equal(load_count(file), 0); /* missing */
    assert_int_equal(load_count(""), 0);   /* disabled */
    assert_int_equal(load_count(NULL), 0);
    assert_int_equal(load_count(tmpdir), 0); /* a folder */
    write_all(file, "", 0);
    assert_int_equal(load_count(file), 0);
    const char text[] = "name: weather\nversion: 1.0\n this is not a cache at all, no no no\n";
    write_all(file, text, sizeof text - 1);
    assert_int_equal(load_count(file), 0);

    /* a cache of another format version */
    save_three(file);
    size_t len;
    char *buf = read_all(file, &len);
    buf[12]++;
    write_all(file, buf, len);
    assert_int_equal(load_count(file), 0);
    free(buf);
    free(file);
}

static void test_truncated_everywhere(void **state)
{
    (void)state;
    char *file = tmp_path("plugins.cache");
    char *cut = tmp_path("cut.cache");
    save_three(file);
    size_t len;
    char *buf = read_all(file, &len);
    assert_int_equal(load_count(file), 3);
    for (size_t n = 0; n < len; n++) {
        write_all(cut, buf, n);
        assert_int_equal(load_count(cut), 0);
    }
    /* one byte too many is damage as well */
    char *longer = xmalloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0;
    write_all(cut, longer, len + 1);
    assert_int_equal(load_count(cut), 0);
    free(longer);
    free(buf);
    free(cut);
    free(file);
}

/* Any one damaged byte anywhere: the header checks or the checksum catch it. */
static void test_damaged_everywhere(void **state)
{
    (void)state;
    char *file = tmp_path("plugins.cache");
    char *bad = tmp_path("bad.cache");
    save_three(file);
    size_t len;
    char *buf = read_all(file, &len);
    for (size_t i = 0; i < len; i++) {
        static const unsigned char flips[] = {0x01, 0x80, 0xff};
        for (size_t f = 0; f < sizeof flips; f++) {
            buf[i] = (char)(buf[i] ^ flips[f]);
            write_all(bad, buf, len);
            assert_int_equal(load_count(bad), 0);
            buf[i] = (char)(buf[i] ^ flips[f]);
        }
    }
    free(buf);
    free(bad);
    free(file);
}

/* Rewrite a damaged body's checksum (and size) so the parser's own bounds
 * checks face the damage. */
static void reseal(char *buf, size_t len)
{
    uint64_t body_len = len - OFF_BODY;
    uint64_t sum = plugin_cache_checksum(buf + OFF_BODY, len - OFF_BODY);
    memcpy(buf + OFF_BODY_LEN, &body_len, 8);
    memcpy(buf + OFF_SUM, &sum, 8);
}

static void test_damage_behind_checksum(void **state)
{
    (void)state;
    char *file = tmp_path("plugins.cache");
    char *bad = tmp_path("bad.cache");
    save_three(file);
    size_t len;
    char *orig = read_all(file, &len);
    char *buf = xmalloc(len);

    /* every value of every byte would be slow; these reach every branch:
     * lengths become huge, zero, off by one; NULs vanish; statuses and
     * kinds go out of range */
    static const unsigned char values[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff};
    size_t kept = 0;
    for (size_t i = OFF_BODY; i < len; i++) {
        for (size_t v = 0; v < sizeof values; v++) {
            memcpy(buf, orig, len);
            buf[i] = (char)values[v];
            reseal(buf, len);
            write_all(bad, buf, len);
            kept += load_count(bad) > 0;
        }
    }
    /* a changed letter in a doc string is still a cache, and that is fine */
    assert_true(kept > 0);

    /* truncated bodies behind a matching size and checksum */
    for (size_t n = OFF_BODY; n < len; n++) {
        memcpy(buf, orig, len);
        reseal(buf, n);
        write_all(bad, buf, n);
        assert_int_equal(load_count(bad), 0);
    }

    /* random damage, several bytes at once, resealed */
    srand(1);
    for (int round = 0; round < 3000; round++) {
        memcpy(buf, orig, len);
        int hits = 1 + rand() % 8;
        for (int h = 0; h < hits; h++)
            buf[OFF_BODY + (size_t)rand() % (len - OFF_BODY)] = (char)rand();
        reseal(buf, len);
        write_all(bad, buf, len);
        load_count(bad);
    }
    free(buf);
    free(orig);
    free(bad);
    free(file);
}

/* A count in the header that promises more than the file holds must not
 * make the loader allocate for it. */
static void test_huge_count(void **state)
{
    (void)state;
    char *file = tmp_path("plugins.cache");
    save_three(file);
    size_t len;
    char *buf = read_all(file, &len);
    /* each of the four totals, alone */
    for (size_t k = 0; k < 4; k++) {
        char *copy = xmalloc(len);
        memcpy(copy, buf, len);
        uint32_t huge = 0xfffffff0u;
        memcpy(copy + OFF_BODY + 4 * k, &huge, 4);
        reseal(copy, len);
        write_all(file, copy, len);
        assert_int_equal(load_count(file), 0);
        free(copy);
    }
    free(buf);
    free(file);
}

/* A cache written by another dapt version is not trusted: the checks that
 * decided `broken` may have changed. */
static void test_other_dapt_version(void **state)
{
    (void)state;
    char *file = tmp_path("plugins.cache");
    save_three(file);
    size_t len;
    char *buf = read_all(file, &len);
    /* after the totals, the version string: u32 length, bytes */
    uint32_t n;
    memcpy(&n, buf + OFF_VERSION, 4);
    assert_int_equal(n, strlen(PACKAGE_VERSION));
    assert_memory_equal(buf + OFF_VERSION + 4, PACKAGE_VERSION, n);
    buf[OFF_VERSION + 4] = (char)(buf[OFF_VERSION + 4] == '9' ? '8' : '9');
    reseal(buf, len);
    write_all(file, buf, len);
    assert_int_equal(load_count(file), 0);
    free(buf);
    free(file);
}

/* Many entries: the index finds each one. */
static void test_many(void **state)
{
    (void)state;
    enum { N = 600 };
    dapt_plugin_info *infos = xcalloc(N, sizeof *infos);
    const dapt_plugin_info **ptrs = xcalloc(N, sizeof *ptrs);
    for (size_t i = 0; i < N; i++) {
        infos[i] = weather;
        infos[i].path = xasprintf("/p/plugin%zu.so", i);
        infos[i].id.ino = i;
        ptrs[i] = &infos[i];
    }
    char *file = tmp_path("plugins.cache");
    char *error = NULL;
    assert_int_equal(plugin_cache_save(file, ptrs, N, &error), 0);
    plugin_cache *cache = plugin_cache_load(file);
    assert_int_equal(plugin_cache_count(cache), N);
    for (size_t i = 0; i < N; i++) {
        const dapt_plugin_info *hit = plugin_cache_lookup(cache, infos[i].path, &infos[i].id);
        assert_non_null(hit);
        assert_string_equal(hit->path, infos[i].path);
        free(infos[i].path);
    }
    plugin_cache_free(cache);
    free(file);
    free(ptrs);
    free(infos);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_mode_and_no_leftovers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skips_shadowed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_foreign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_everywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_everywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damage_behind_checksum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_dapt_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
