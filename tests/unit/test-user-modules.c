/* test-user-modules.c - user_modules/: compile on demand, the cache keyed
 * by content, compiler messages as diagnostics, the merged plugin. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Before cmocka.h: its fail() macro would expand plugin.h's
 * ctx->api->fail(...) calls. */
#include "engine.h"

#include <cmocka.h>

/* A private workspace and cache per test; CC is a wrapper that counts
 * its calls, so "not recompiled" is observed, not inferred. */
typedef struct fixture {
    char root[64];
    char *ws;
    char *cache;
    char *counter;
} fixture;

static const char good_c[] =
    "#include <ctype.h>\n"
    "#include <string.h>\n"
    "#include <dapt/plugin.h>\n"
    "\n"
    "static json_t *upper(dapt_ctx *ctx, json_t *args, json_t *kwargs)\n"
    "{\n"
    "    const char *s = json_string_value(json_array_get(args, 0));\n"
    "    if (s == NULL)\n"
    "        return dapt_ctx_fail(ctx, \"upper takes a string\");\n"
    "    char *u = strdup(s);\n"
    "    for (char *p = u; *p; p++)\n"
    "        *p = (char)toupper((unsigned char)*p);\n"
    "    json_t *r = json_string(u);\n"
    "    free(u);\n"
    "    return r;\n"
    "}\n"
    "\n"
    "static const dapt_target targets[] = {\n"
    "    {.path = \"upper\", .kind = DAPT_TARGET_STAGE, .fn = upper, .doc = \"Upper case.\"},\n"
    "    {.path = \"text.lower\", .kind = DAPT_TARGET_STAGE, .fn = upper},\n"
    "    DAPT_TARGET_END,\n"
    "};\n"
    "DAPT_USER_MODULE(targets);\n";

/* the missing ';' of line 4 is reported at the `return` of line 5 */
static const char bad_c[] =
    "#include <dapt/plugin.h>\n"
    "static json_t *f(dapt_ctx *c, json_t *a, json_t *k)\n"
    "{\n"
    "    int x = 1\n"
    "    return json_integer(x);\n"
    "}\n"
    "static const dapt_target targets[] = {{.path = \"f\", .fn = f}, DAPT_TARGET_END};\n"
    "DAPT_USER_MODULE(targets);\n";

static const char warn_c[] =
    "#include <dapt/plugin.h>\n"
    "static json_t *f(dapt_ctx *c, json_t *a, json_t *k)\n"
    "{\n"
    "    int unused;\n"
    "    return json_null();\n"
    "}\n"
    "static const dapt_target targets[] = {{.path = \"f\", .fn = f}, DAPT_TARGET_END};\n"
    "DAPT_USER_MODULE(targets);\n";

static const char undefined_c[] =
    "#include <dapt/plugin.h>\n"
    "json_t *no_such_function(void);\n"
    "static json_t *f(dapt_ctx *c, json_t *a, json_t *k) { return no_such_function(); }\n"
    "static const dapt_target targets[] = {{.path = \"f\", .fn = f}, DAPT_TARGET_END};\n"
    "DAPT_USER_MODULE(targets);\n";

static void write_text(const char *dir, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(path);
}

static void write_module(fixture *fx, const char *name, const char *text)
{
    char *dir = xasprintf("%s/user_modules", fx->ws);
    mkdir(dir, 0755);
    write_text(dir, name, text);
    free(dir);
}

static int compiles(fixture *fx)
{
    FILE *f = fopen(fx->counter, "r");
    if (f == NULL)
        return 0;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static int count_objects(fixture *fx, const char *prefix)
{
    char *cmd = xasprintf("ls '%s' 2>/dev/null | grep -c '^%s-[0-9a-f]*\\.so$'", fx->cache, prefix);
    FILE *p = popen(cmd, "r");
    int n = -1;
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    free(cmd);
    return n;
}

static int setup(void **state)
{
    fixture *fx = xcalloc(1, sizeof *fx);
    strcpy(fx->root, "/tmp/dapt-test-um.XXXXXX");
    if (mkdtemp(fx->root) == NULL)
        return -1;
    fx->ws = xasprintf("%s/ws", fx->root);
    mkdir(fx->ws, 0755);
    char *xdg = xasprintf("%s/cache", fx->root);
    setenv("XDG_CACHE_HOME", xdg, 1);
    fx->cache = xasprintf("%s/dapt/user_modules", xdg);
    free(xdg);
    fx->counter = xasprintf("%s/compiles", fx->root);
    char *script = xasprintf("#!/bin/sh\necho x >>'%s'\nexec cc \"$@\"\n", fx->counter);
    write_text(fx->root, "cc-wrapper", script);
    free(script);
    char *wrapper = xasprintf("%s/cc-wrapper", fx->root);
    chmod(wrapper, 0755);
    setenv("CC", wrapper, 1);
    free(wrapper);
    if (getenv("DAPT_INCLUDE_DIR") == NULL)
        setenv("DAPT_INCLUDE_DIR", TESTS_SRCDIR "/../include", 1);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char *cmd = xasprintf("rm -rf '%s'", fx->root);
    int rc = system(cmd);
    free(cmd);
    free(fx->ws);
    free(fx->cache);
    free(fx->counter);
    free(fx);
    return rc == 0 ? 0 : -1;
}

typedef struct build {
    char **sos;
    char **names;
    size_t count;
    dapt_diags diags;
} build;

static int run_build(build *b, fixture *fx)
{
    char *error = NULL;
    dapt_diags_init(&b->diags);
    int rc = user_modules_build(&b->sos, &b->names, &b->count, fx->ws, false, &b->diags, &error);
    if (rc < 0) {
        print_message("user_modules_build: %s\n", error);
        free(error);
    }
    return rc;
}

static void build_free(build *b)
{
    user_modules_free(b->sos, b->names, b->count);
    dapt_diags_free(&b->diags);
}

/* The one diagnostic whose message contains `text`, or NULL. */
static const dapt_diag *find_diag(const dapt_diags *d, const char *text)
{
    for (size_t i = 0; i < d->count; i++) {
        if (strstr(d->items[i].message, text) != NULL)
            return &d->items[i];
    }
    return NULL;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void test_no_folder(void **state)
{
    fixture *fx = *state;
    build b;
    assert_int_equal(run_build(&b, fx), 0);
    assert_int_equal(b.count, 0);
    assert_int_equal(b.diags.count, 0);
    assert_int_equal(compiles(fx), 0);
    build_free(&b);
}

static void test_good_module_cached(void **state)
{
    fixture *fx = *state;
    write_module(fx, "textutil.c", good_c);
    build b;
    assert_int_equal(run_build(&b, fx), 0);
    assert_int_equal(b.diags.count, 0);
    assert_int_equal(b.count, 1);
    assert_string_equal(b.names[0], "textutil");
    assert_true(strncmp(b.sos[0], fx->cache, strlen(fx->cache)) == 0);
    assert_true(has_suffix(b.sos[0], ".so"));
    assert_non_null(strstr(b.sos[0], "/textutil-"));
    struct stat st1;
    assert_int_equal(stat(b.sos[0], &st1), 0);
    /* never group- or world-writable: the registry would refuse it */
    assert_int_equal(st1.st_mode & 0022, 0);
    assert_int_equal(compiles(fx), 1);

    /* unchanged: the same object, not compiled again */
    build again;
    assert_int_equal(run_build(&again, fx), 0);
    assert_int_equal(again.count, 1);
    assert_string_equal(again.sos[0], b.sos[0]);
    assert_int_equal(compiles(fx), 1);
    struct stat st2;
    assert_int_equal(stat(again.sos[0], &st2), 0);
    assert_int_equal(st1.st_ino, st2.st_ino);
    assert_int_equal(st1.st_mtim.tv_sec, st2.st_mtim.tv_sec);
    assert_int_equal(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
    build_free(&again);
    build_free(&b);
}

static void test_edit_recompiles(void **state)
{
    fixture *fx = *state;
    write_module(fx, "textutil.c", good_c);
    build b1, b2, b3;
    assert_int_equal(run_build(&b1, fx), 0);
    assert_int_equal(compiles(fx), 1);

    char *edited = xasprintf("%s/* edited */\n", good_c);
    write_module(fx, "textutil.c", edited);
    free(edited);
    assert_int_equal(run_build(&b2, fx), 0);
    assert_int_equal(b2.count, 1);
    assert_int_equal(compiles(fx), 2);
    assert_string_not_equal(b1.sos[0], b2.sos[0]);
    /* the object of the old version is gone, the new one is there */
    assert_int_equal(access(b1.sos[0], F_OK), -1);
    assert_int_equal(access(b2.sos[0], F_OK), 0);
    assert_int_equal(count_objects(fx, "textutil"), 1);

    /* a header beside the modules is part of what they are built from */
    char *dir = xasprintf("%s/user_modules", fx->ws);
    write_text(dir, "common.h", "#define COMMON 1\n");
    free(dir);
    assert_int_equal(run_build(&b3, fx), 0);
    assert_int_equal(compiles(fx), 3);
    assert_string_not_equal(b2.sos[0], b3.sos[0]);
    build_free(&b1);
    build_free(&b2);
    build_free(&b3);
}

static void test_syntax_error(void **state)
{
    fixture *fx = *state;
    write_module(fx, "broken.c", bad_c);
    write_module(fx, "textutil.c", good_c);
    build b;
    assert_int_equal(run_build(&b, fx), 0);
    /* the good one is still built */
    assert_int_equal(b.count, 1);
    assert_string_equal(b.names[0], "textutil");
    assert_true(dapt_diags_count(&b.diags, DAPT_SEV_ERROR) >= 1);
    const dapt_diag *d = &b.diags.items[0];
    assert_int_equal(d->severity, DAPT_SEV_ERROR);
    assert_true(has_suffix(d->file, "/ws/user_modules/broken.c"));
    assert_int_equal(d->pos.line, 5);
    assert_int_equal(d->pos.column, 5);
    assert_non_null(strstr(d->message, "expected ',' or ';' before 'return'"));
    char *line = dapt_diag_format(d);
    print_message("# %s\n", line);
    free(line);
    /* nothing cached for it: the next build tries again */
    assert_int_equal(count_objects(fx, "broken"), 0);
    int before = compiles(fx);
    build again;
    assert_int_equal(run_build(&again, fx), 0);
    assert_int_equal(compiles(fx), before + 1);
    build_free(&again);
    build_free(&b);
}

static void test_warning_kept(void **state)
{
    fixture *fx = *state;
    write_module(fx, "noisy.c", warn_c);
    build b;
    assert_int_equal(run_build(&b, fx), 0);
    assert_int_equal(b.count, 1);
    assert_int_equal(dapt_diags_count(&b.diags, DAPT_SEV_ERROR), 0);
    const dapt_diag *d = find_diag(&b.diags, "unused variable 'unused'");
    assert_non_null(d);
    assert_int_equal(d->severity, DAPT_SEV_WARNING);
    assert_int_equal(d->pos.line, 4);
    assert_int_equal(d->pos.column, 9);
    build_free(&b);
}

static void test_undefined_symbol(void **state)
{
    fixture *fx = *state;
    write_module(fx, "linky.c", undefined_c);
    build b;
    assert_int_equal(run_build(&b, fx), 0);
    assert_int_equal(b.count, 0);
    const dapt_diag *d = find_diag(&b.diags, "undefined reference to `no_such_function'");
    assert_non_null(d);
    assert_int_equal(d->severity, DAPT_SEV_ERROR);
    assert_true(has_suffix(d->file, "user_modules/linky.c"));
    build_free(&b);
}

static void test_bad_names_and_compiler(void **state)
{
    fixture *fx = *state;
    write_module(fx, "Bad-Name.c", good_c);
    write_module(fx, "notes.txt", "not C");
    build b;
    assert_int_equal(run_build(&b, fx), 0);
    assert_int_equal(b.count, 0);
    assert_int_equal(b.diags.count, 1);
    assert_int_equal(b.diags.items[0].severity, DAPT_SEV_WARNING);
    assert_non_null(strstr(b.diags.items[0].message, "`Bad-Name` is not a module name"));
    assert_int_equal(compiles(fx), 0);
    build_free(&b);

    write_module(fx, "textutil.c", good_c);
    setenv("CC", "/nonexistent/cc", 1);
    assert_int_equal(run_build(&b, fx), 0);
    assert_int_equal(b.count, 0);
    const dapt_diag *d = find_diag(&b.diags, "cannot run the compiler `/nonexistent/cc`");
    assert_non_null(d);
    assert_true(has_suffix(d->file, "user_modules/textutil.c"));
    build_free(&b);
}

/* From source to the one plugin: build, scan in the subprocess, merge. */
static void test_merge(void **state)
{
    fixture *fx = *state;
    write_module(fx, "textutil.c", good_c);
    write_module(fx, "other.c", warn_c);
    write_module(fx, "zbroken.c", bad_c);
    build b;
    assert_int_equal(run_build(&b, fx), 0);
    assert_int_equal(b.count, 2);
    assert_string_equal(b.names[0], "other");
    assert_string_equal(b.names[1], "textutil");

    dapt_plugin_info *infos = xcalloc(b.count, sizeof *infos);
    for (size_t i = 0; i < b.count; i++)
        infos[i].path = xstrdup(b.sos[i]);
    char *error = NULL;
    assert_int_equal(plugin_scan(infos, b.count, 10000, &error), 0);
    assert_int_equal(infos[1].status, DAPT_PLUGIN_OK);

    dapt_plugin_info merged;
    assert_int_equal(user_modules_merge(&merged, infos, b.names, b.count, fx->ws, &b.diags), 1);
    assert_string_equal(merged.name, "user_modules");
    assert_int_equal(merged.status, DAPT_PLUGIN_OK);
    assert_true(has_suffix(merged.path, "/ws/user_modules"));
    assert_int_equal(merged.target_count, 3);
    assert_string_equal(merged.targets[0].path, "other.f");
    assert_string_equal(merged.targets[0].target, "user_modules.other.f");
    assert_string_equal(merged.targets[1].path, "textutil.upper");
    assert_string_equal(merged.targets[1].target, "user_modules.textutil.upper");
    assert_string_equal(merged.targets[1].doc, "Upper case.");
    assert_ptr_equal(merged.targets[1].plugin, &merged);
    assert_string_equal(merged.targets[2].target, "user_modules.textutil.text.lower");
    plugin_info_clear(&merged);

    /* a module whose object cannot be used: an error at its source */
    plugin_info_broken(&infos[0], "constructor crashed");
    assert_int_equal(user_modules_merge(&merged, infos, b.names, b.count, fx->ws, &b.diags), 1);
    assert_int_equal(merged.status, DAPT_PLUGIN_OK);
    assert_int_equal(merged.target_count, 2);
    const dapt_diag *d = find_diag(&b.diags, "constructor crashed");
    assert_non_null(d);
    assert_true(has_suffix(d->file, "user_modules/other.c"));
    plugin_info_clear(&merged);

    /* nothing usable and errors: listed, broken, saying where */
    assert_int_equal(user_modules_merge(&merged, infos, b.names, 0, fx->ws, &b.diags), 1);
    assert_int_equal(merged.status, DAPT_PLUGIN_BROKEN);
    assert_int_equal(merged.target_count, 0);
    assert_non_null(strstr(merged.error, "user_modules/zbroken.c:5:5: error:"));
    plugin_info_clear(&merged);

    /* no modules, no errors: no plugin */
    dapt_diags none;
    dapt_diags_init(&none);
    assert_int_equal(user_modules_merge(&merged, NULL, NULL, 0, fx->ws, &none), 0);

    for (size_t i = 0; i < b.count; i++)
        plugin_info_clear(&infos[i]);
    free(infos);
    build_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_good_module_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_recompiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warning_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undefined_symbol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_names_and_compiler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
