/*
 * test-settings.c - dapt's settings (settings.c): the user's config.yaml
 * under the workspace's dapt.yaml under DAPT__A__B variables, how a
 * variable's value is typed, errors in the files at FILE:LINE:COL, and the
 * helpers settings_get and settings_merge.
 */
#include "config.h"

#include <ftw.h>
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

extern char **environ;

/* ------------------------------------------------------------------ */
/* Fixtures: a private XDG_CONFIG_HOME and workspace, no DAPT__ vars    */
/* ------------------------------------------------------------------ */

static char root[64];
static char *ws, *user_dir;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Unset every DAPT__ variable, so only the test's own count. */
static void clear_dapt_env(void)
{
    for (size_t i = 0; environ[i];) {
        if (strncmp(environ[i], "DAPT__", 6) == 0) {
            char *name = xstrndup(environ[i], strcspn(environ[i], "="));
            unsetenv(name);
            free(name);
            i = 0;
            continue;
        }
        i++;
    }
}

static int setup(void **state)
{
    (void)state;
    strcpy(root, "tmp-settings-XXXXXX");
    if (mkdtemp(root) == NULL)
        return -1;
    char *cwd = getcwd(NULL, 0); /* XDG wants an absolute path */
    char *xdg = xasprintf("%s/%s/xdg", cwd, root);
    free(cwd);
    user_dir = xasprintf("%s/dapt", xdg);
    ws = xasprintf("%s/ws", root);
    fs_mkdir_p(user_dir, 0755);
    fs_mkdir_p(ws, 0755);
    setenv("XDG_CONFIG_HOME", xdg, 1);
    free(xdg);
    clear_dapt_env();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(ws);
    free(user_dir);
    clear_dapt_env();
    return 0;
}

static void assert_json(const json_t *got, const char *want_text)
{
    json_t *want = json_loads(want_text, JSON_DECODE_ANY, NULL);
    assert_non_null(want);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_COMPACT);
        char *w = json_dumps(want, JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_COMPACT);
        print_error("got  %s\nwant %s\n", g, w);
        free(g);
        free(w);
        fail();
    }
    json_decref(want);
}

/* ------------------------------------------------------------------ */
/* Precedence                                                          */
/* ------------------------------------------------------------------ */

static void test_precedence(void **state)
{
    (void)state;
    char *user = xasprintf("%s/config.yaml", user_dir);
    char *wsfile = xasprintf("%s/dapt.yaml", ws);
    write_text(user,
               "services:\n"
               "  compute:\n"
               "    executor: {target: dapt.executor.local, use_processes: true, workers: 2}\n"
               "    default_namespace: mine\n"
               "logging: {level: debug, format: console}\n");
    write_text(wsfile, "# the workspace's\n"
                       "services:\n"
                       "  compute:\n"
                       "    executor: {workers: 4}\n"
                       "logging: {format: json}\n");
    setenv("DAPT__SERVICES__COMPUTE__EXECUTOR__USE_PROCESSES", "false", 1);
    setenv("DAPT__LOGGING__LEVEL", "warning", 1);

    json_t *s;
    dapt_diags d = {0};
    assert_int_equal(dapt_settings_load(&s, ws, &d), 0);
    assert_int_equal(d.count, 0);
    /* objects merge key by key: each level keeps what the one above does
     * not say */
    assert_json(s, "{\"services\": {\"compute\": {\"executor\": {\"target\": "
                   "\"dapt.executor.local\", \"use_processes\": false, \"workers\": 4}, "
                   "\"default_namespace\": \"mine\"}}, "
                   "\"logging\": {\"level\": \"warning\", \"format\": \"json\"}}");
    assert_true(json_is_false(settings_get(s, "services.compute.executor.use_processes")));
    json_decref(s);

    /* without a workspace: the user's file and the environment */
    assert_int_equal(dapt_settings_load(&s, NULL, &d), 0);
    assert_int_equal(json_integer_value(settings_get(s, "services.compute.executor.workers")), 2);
    assert_string_equal(json_string_value(settings_get(s, "logging.format")), "console");
    assert_string_equal(json_string_value(settings_get(s, "logging.level")), "warning");
    json_decref(s);

    /* no files, no variables: an empty object */
    unlink(user);
    unlink(wsfile);
    clear_dapt_env();
    assert_int_equal(dapt_settings_load(&s, ws, &d), 0);
    assert_int_equal(d.count, 0);
    assert_json(s, "{}");
    json_decref(s);
    dapt_diags_free(&d);
    free(user);
    free(wsfile);
}

/* An empty file, or one of comments, is no settings. */
static void test_empty_files(void **state)
{
    (void)state;
    char *user = xasprintf("%s/config.yaml", user_dir);
    char *wsfile = xasprintf("%s/dapt.yaml", ws);
    write_text(user, "");
    write_text(wsfile, "# nothing yet\n---\n");
    json_t *s;
    dapt_diags d = {0};
    assert_int_equal(dapt_settings_load(&s, ws, &d), 0);
    assert_int_equal(d.count, 0);
    assert_json(s, "{}");
    json_decref(s);
    dapt_diags_free(&d);
    unlink(user);
    unlink(wsfile);
    free(user);
    free(wsfile);
}

/* A relative $XDG_CONFIG_HOME is ignored (the XDG rule): ~/.config. */
static void test_user_file_in_home(void **state)
{
    (void)state;
    char *xdg = xstrdup(getenv("XDG_CONFIG_HOME"));
    char *home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
    char *cwd = getcwd(NULL, 0);
    char *myhome = xasprintf("%s/%s/home", cwd, root);
    char *dir = xasprintf("%s/.config/dapt", myhome);
    fs_mkdir_p(dir, 0755);
    char *file = xasprintf("%s/config.yaml", dir);
    write_text(file, "from: home\n");
    setenv("HOME", myhome, 1);
    setenv("XDG_CONFIG_HOME", "relative/config", 1);
    json_t *s;
    dapt_diags d = {0};
    assert_int_equal(dapt_settings_load(&s, NULL, &d), 0);
    assert_json(s, "{\"from\": \"home\"}");
    json_decref(s);
    unsetenv("XDG_CONFIG_HOME");
    assert_int_equal(dapt_settings_load(&s, NULL, &d), 0);
    assert_json(s, "{\"from\": \"home\"}");
    json_decref(s);
    dapt_diags_free(&d);
    setenv("XDG_CONFIG_HOME", xdg, 1);
    if (home)
        setenv("HOME", home, 1);
    free(xdg);
    free(home);
    free(cwd);
    free(myhome);
    free(dir);
    free(file);
}

/* ------------------------------------------------------------------ */
/* DAPT__ variables                                                    */
/* ------------------------------------------------------------------ */

static void test_env_typing(void **state)
{
    (void)state;
    char *env[] = {
        "DAPT__A=true",
        "DAPT__B=false",
        "DAPT__C=3",
        "DAPT__D=-1.5",
        "DAPT__E=hello world",
        "DAPT__F=null",
        "DAPT__G={\"x\": [1, 2]}",
        "DAPT__H=[1, 2", /* not JSON: the text */
        "DAPT__I=\"3\"", /* a JSON string: its content */
        "DAPT__J=",      /* empty: an empty string */
        "DAPT__K=0x10",  /* not JSON: the text */
        "DAPT__L=True",  /* JSON only: not a boolean */
        "DAPT__URL=http://h:1/x?a=b",
        "PATH=/bin",
        "DAPT_SINGLE=1", /* one underscore: not a setting */
        "dapt__lower=1", /* the prefix is upper case */
        NULL,
    };
    json_t *s = json_object();
    settings_apply_env(s, env);
    assert_json(s, "{\"a\": true, \"b\": false, \"c\": 3, \"d\": -1.5, \"e\": \"hello world\", "
                   "\"f\": null, \"g\": {\"x\": [1, 2]}, \"h\": \"[1, 2\", \"i\": \"3\", "
                   "\"j\": \"\", \"k\": \"0x10\", \"l\": \"True\", \"url\": \"http://h:1/x?a=b\"}");
    assert_true(json_is_integer(json_object_get(s, "c")));
    assert_true(json_is_real(json_object_get(s, "d")));
    json_decref(s);
}

static void test_env_levels(void **state)
{
    (void)state;
    char *env[] = {
        "DAPT__P__Q=2", /* refines DAPT__P, whatever the order */
        "DAPT__P={\"r\": 1}",
        "DAPT__SCALAR__DEEP=1", /* a scalar level becomes an object */
        "DAPT__Mixed__Case_Key=x",
        "DAPT__A____B=1",     /* empty level: ignored */
        "DAPT__TRAILING__=1", /* ignored */
        "DAPT__=1",           /* ignored */
        "DAPT__NOEQUALS",     /* ignored */
        "DAPT__KEEP__NEW=1",
        NULL,
    };
    json_t *s = json_pack("{s:i, s:{s:s, s:i}}", "scalar", 5, "keep", "old", "o", "x", 2);
    settings_apply_env(s, env);
    assert_json(s, "{\"p\": {\"r\": 1, \"q\": 2}, \"scalar\": {\"deep\": 1}, "
                   "\"mixed\": {\"case_key\": \"x\"}, \"keep\": {\"old\": \"o\", \"x\": 2, "
                   "\"new\": 1}}");
    json_decref(s);
    settings_apply_env(s = json_object(), NULL); /* no environment at all */
    assert_json(s, "{}");
    json_decref(s);
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static void test_yaml_error_position(void **state)
{
    (void)state;
    char *wsfile = xasprintf("%s/dapt.yaml", ws);
    write_text(wsfile, "services:\n"
                       "  compute:\n"
                       "    executor: [1, 2\n"
                       "logging: {}\n");
    json_t *s;
    dapt_diags d = {0};
    assert_int_equal(dapt_settings_load(&s, ws, &d), -1);
    assert_non_null(s);
    assert_json(s, "{}"); /* a broken file gives nothing */
    json_decref(s);
    assert_int_equal(dapt_diags_count(&d, DAPT_SEV_ERROR), 1);
    assert_string_equal(d.items[0].file, wsfile);
    assert_int_equal(d.items[0].pos.line, 4);
    assert_int_equal(d.items[0].pos.column, 8);
    char *line = dapt_diag_format(&d.items[0]);
    char *want = xasprintf("%s:4:8: error: ", wsfile);
    assert_memory_equal(line, want, strlen(want));
    free(want);
    free(line);
    dapt_diags_free(&d);
    unlink(wsfile);
    free(wsfile);
}

static void test_not_a_mapping(void **state)
{
    (void)state;
    char *user = xasprintf("%s/config.yaml", user_dir);
    char *wsfile = xasprintf("%s/dapt.yaml", ws);
    write_text(user, "# settings\n- use_processes\n- false\n");
    write_text(wsfile, "logging: {level: info}\n---\nlogging: {level: debug}\n");
    json_t *s;
    dapt_diags d = {0};
    assert_int_equal(dapt_settings_load(&s, ws, &d), -1);
    assert_int_equal(d.count, 2);
    assert_string_equal(d.items[0].file, user);
    assert_int_equal(d.items[0].pos.line, 2);
    assert_int_equal(d.items[0].pos.column, 1);
    assert_string_equal(d.items[0].message,
                        "settings must be a mapping, e.g. `services: {compute: {executor: "
                        "{use_processes: false}}}`, not a list");
    assert_string_equal(d.items[1].file, wsfile);
    assert_int_equal(d.items[1].pos.line, 2);
    assert_string_equal(d.items[1].message,
                        "settings are one document: remove this `---` and what follows, or "
                        "merge it into the first document");
    /* the first document still counts */
    assert_string_equal(json_string_value(settings_get(s, "logging.level")), "info");
    json_decref(s);
    dapt_diags_free(&d);
    unlink(user);
    unlink(wsfile);
    free(user);
    free(wsfile);
}

static void test_unreadable(void **state)
{
    (void)state;
    char *wsfile = xasprintf("%s/dapt.yaml", ws);
    assert_int_equal(mkdir(wsfile, 0755), 0); /* a folder where the file should be */
    json_t *s;
    dapt_diags d = {0};
    assert_int_equal(dapt_settings_load(&s, ws, &d), -1);
    assert_int_equal(d.count, 1);
    assert_string_equal(d.items[0].file, wsfile);
    assert_string_equal(d.items[0].message, "cannot read: not a regular file");
    json_decref(s);
    dapt_diags_free(&d);
    rmdir(wsfile);
    free(wsfile);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static void test_get(void **state)
{
    (void)state;
    json_t *s = json_loads("{\"a\": {\"b\": {\"c\": 1}, \"s\": \"x\"}, \"a.b\": 2}", 0, NULL);
    assert_int_equal(json_integer_value(settings_get(s, "a.b.c")), 1);
    assert_true(json_is_object(settings_get(s, "a.b")));
    assert_string_equal(json_string_value(settings_get(s, "a.s")), "x");
    assert_null(settings_get(s, "a.s.t")); /* through a string */
    assert_null(settings_get(s, "a.x"));
    assert_null(settings_get(s, "z"));
    assert_null(settings_get(s, "a..b"));
    assert_ptr_equal(settings_get(s, "a"), json_object_get(s, "a"));
    json_decref(s);
    s = json_string("a");
    assert_null(settings_get(s, "a"));
    json_decref(s);
}

static void test_merge(void **state)
{
    (void)state;
    json_t *base =
        json_loads("{\"a\": {\"x\": 1, \"y\": 2}, \"l\": [1, 2], \"s\": {\"k\": 1}}", 0, NULL);
    json_t *over = json_loads("{\"a\": {\"y\": 3, \"z\": {\"deep\": 1}}, \"l\": [3], \"s\": 5, "
                              "\"n\": {\"m\": 1}}",
                              0, NULL);
    settings_merge(base, over);
    assert_json(base, "{\"a\": {\"x\": 1, \"y\": 3, \"z\": {\"deep\": 1}}, \"l\": [3], \"s\": 5, "
                      "\"n\": {\"m\": 1}}");
    /* what came from `over` is a copy: merging into base again leaves over alone */
    json_t *more =
        json_loads("{\"n\": {\"added\": true}, \"a\": {\"z\": {\"deeper\": 2}}}", 0, NULL);
    settings_merge(base, more);
    assert_json(over, "{\"a\": {\"y\": 3, \"z\": {\"deep\": 1}}, \"l\": [3], \"s\": 5, "
                      "\"n\": {\"m\": 1}}");
    assert_json(settings_get(base, "a.z"), "{\"deep\": 1, \"deeper\": 2}");
    json_decref(base);
    json_decref(over);
    json_decref(more);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_empty_files),
        cmocka_unit_test(test_user_file_in_home),
        cmocka_unit_test(test_env_typing),
        cmocka_unit_test(test_env_levels),
        cmocka_unit_test(test_yaml_error_position),
        cmocka_unit_test(test_not_a_mapping),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
