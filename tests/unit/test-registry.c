/*
 * test-registry.c - unit tests of engine/registry.c: the search path,
 * shadowing, data folders, the security checks, the warm start (a plugin
 * whose constructor leaves a mark proves a cached file is never loaded),
 * and target resolution with its messages.
 *
 * Each test copies fixture plugins (tests/plugins.mk) into private plugin
 * folders under a fresh temporary folder, with a private cache file and
 * XDG_DATA_HOME, and no system folder.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"

#ifndef FIXTURES_DIR
#error "FIXTURES_DIR: the folder of the fixture plugins' .so files"
#endif

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */
/* ------------------------------------------------------------------ */

static char root[PATH_MAX];

static char *at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* root/FORMAT (caller frees) */
static char *at(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *rel = xvasprintf(fmt, ap);
    va_end(ap);
    char *path = xasprintf("%s/%s", root, rel);
    free(rel);
    return path;
}

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
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

static int setup(void **state)
{
    (void)state;
    char tmpl[] = "tmp-registry-XXXXXX";
    if (mkdtemp(tmpl) == NULL)
        return -1;
    char *cwd = getcwd(NULL, 0);
    snprintf(root, sizeof root, "%s/%s", cwd, tmpl);
    free(cwd);
    /* nothing from the test run's own home: only what each test sets up */
    char *data = at("data");
    setenv("XDG_DATA_HOME", data, 1);
    free(data);
    char *cache = at("xdg-cache");
    setenv("XDG_CACHE_HOME", cache, 1);
    free(cache);
    setenv("HOME", root, 1);
    unsetenv("DAPT_PLUGIN_INSECURE");
    unsetenv("DAPT_PLUGIN_PATH");
    unsetenv("DAPT_PLUGIN_SYSTEM_PATH");
    unsetenv("DAPT_TEST_MARK");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_rf(root);
    return 0;
}

/* mkdir -p root/REL, 0755 whatever the umask. */
static char *mkdirs(const char *rel)
{
    char *path = at("%s", rel);
    for (char *p = path + strlen(root) + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(path, 0755) == 0)
                chmod(path, 0755);
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return path;
}

static void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY);
    assert_true(in >= 0);
    unlink(to);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    assert_true(out >= 0);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        assert_int_equal(write(out, buf, (size_t)n), n);
    assert_int_equal(n, 0);
    assert_int_equal(fchmod(out, 0755), 0);
    close(in);
    assert_int_equal(close(out), 0);
}

/* Copy fixture FIXTURE.so into root/DIR as AS.so; returns the path. */
static char *install(const char *fixture, const char *dir, const char *as)
{
    char *from = xasprintf("%s/%s.so", FIXTURES_DIR, fixture);
    char *d = mkdirs(dir);
    char *to = xasprintf("%s/%s.so", d, as ? as : fixture);
    copy_file(from, to);
    free(from);
    free(d);
    return to;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t n = 0;
    int c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* Open with plugin_path root/DIRS (colon separated, relative to root), no
 * system folder, the cache root/cache/plugins.cache. */
static dapt_registry *open_reg(const char *dirs, char **warnings)
{
    strbuf path = {0};
    char *copy = xstrdup(dirs);
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
        strbuf_printf(&path, "%s%s/%s", path.len ? ":" : "", root, d);
    free(copy);
    char *cache = at("cache/plugins.cache");
    dapt_registry_options opts = {
        .plugin_path = path.buf ? path.buf : "",
        .system_path = "",
        .cache_file = cache,
    };
    dapt_registry *reg = NULL;
    char *error = NULL, *warn = NULL;
    assert_int_equal(dapt_registry_open(&reg, &opts, &warn, &error), 0);
    assert_null(error);
    assert_non_null(reg);
    if (warnings)
        *warnings = warn;
    else
        free(warn);
    strbuf_free(&path);
    free(cache);
    return reg;
}

static dapt_registry_stats stats_of(const dapt_registry *reg)
{
    dapt_registry_stats st;
    dapt_registry_get_stats(reg, &st);
    return st;
}

#define assert_stats(reg, files_, cached_, scanned_, broken_, written_)                            \
    do {                                                                                           \
        dapt_registry_stats st_ = stats_of(reg);                                                   \
        assert_int_equal(st_.files, (files_));                                                     \
        assert_int_equal(st_.cached, (cached_));                                                   \
        assert_int_equal(st_.scanned, (scanned_));                                                 \
        assert_int_equal(st_.broken, (broken_));                                                   \
        assert_int_equal(st_.cache_written, (written_));                                           \
    } while (0)

/* The entry whose file is PATH. */
static const dapt_plugin_info *by_path(const dapt_registry *reg, const char *path)
{
    for (size_t i = 0; i < dapt_registry_count(reg); i++)
        if (strcmp(dapt_registry_plugin(reg, i)->path, path) == 0)
            return dapt_registry_plugin(reg, i);
    fail_msg("no entry for %s", path);
    return NULL;
}

static void assert_broken(const dapt_plugin_info *info, const char *error)
{
    assert_int_equal(info->status, DAPT_PLUGIN_BROKEN);
    assert_non_null(info->error);
    assert_string_equal(info->error, error);
}

static void assert_ok(const dapt_plugin_info *info)
{
    if (info->status != DAPT_PLUGIN_OK)
        fail_msg("%s: %s", info->path, info->error ? info->error : "(no error)");
}

/* ------------------------------------------------------------------ */
/* The search path                                                     */
/* ------------------------------------------------------------------ */

static void test_dirs(void **state)
{
    (void)state;
    char *ws = at("ws");
    char *cache = at("cache/plugins.cache");
    char *list = xasprintf("%s/a:%s/b/::%s/a", root, root, root); /* empty and twice: once */
    char *sys = xasprintf("%s/s1:%s/s2", root, root);
    dapt_registry_options opts = {
        .workspace = ws, .plugin_path = list, .system_path = sys, .cache_file = cache};
    dapt_registry *reg = NULL;
    char *error = NULL;
    assert_int_equal(dapt_registry_open(&reg, &opts, NULL, &error), 0);
    size_t n;
    const char *const *dirs = dapt_registry_dirs(reg, &n);
    assert_int_equal(n, 6);
    const char *want[] = {"a", "b", "ws/.dapt/plugins", "data/dapt/plugins", "s1", "s2"};
    for (size_t i = 0; i < n; i++) {
        char *w = at("%s", want[i]);
        assert_string_equal(dirs[i], w);
        free(w);
    }
    assert_null(dirs[n]);
    /* none exists: nothing found, nothing complained about */
    assert_int_equal(dapt_registry_count(reg), 0);
    assert_stats(reg, 0, 0, 0, 0, false);
    dapt_registry_free(reg);

    /* the environment, when the options leave it */
    setenv("DAPT_PLUGIN_PATH", list, 1);
    setenv("DAPT_PLUGIN_SYSTEM_PATH", sys, 1);
    dapt_registry_options env_opts = {.cache_file = ""};
    assert_int_equal(dapt_registry_open(&reg, &env_opts, NULL, &error), 0);
    dirs = dapt_registry_dirs(reg, &n);
    assert_int_equal(n, 5);
    const char *want_env[] = {"a", "b", "data/dapt/plugins", "s1", "s2"};
    for (size_t i = 0; i < n; i++) {
        char *w = at("%s", want_env[i]);
        assert_string_equal(dirs[i], w);
        free(w);
    }
    dapt_registry_free(reg);

    /* without XDG_DATA_HOME: ~/.local/share; DAPT_PLUGIN_SYSTEM_PATH set
     * but empty: no system folder */
    unsetenv("XDG_DATA_HOME");
    setenv("DAPT_PLUGIN_PATH", "", 1);
    setenv("DAPT_PLUGIN_SYSTEM_PATH", "", 1);
    assert_int_equal(dapt_registry_open(&reg, &env_opts, NULL, &error), 0);
    dirs = dapt_registry_dirs(reg, &n);
    assert_int_equal(n, 1);
    char *w = at(".local/share/dapt/plugins");
    assert_string_equal(dirs[0], w);
    free(w);
    dapt_registry_free(reg);

    /* no system path anywhere: the installed folder, or when dapt is not
     * installed (as under make check), the build tree's staged plugins */
    unsetenv("DAPT_PLUGIN_SYSTEM_PATH");
    assert_int_equal(dapt_registry_open(&reg, &env_opts, NULL, &error), 0);
    dirs = dapt_registry_dirs(reg, &n);
    assert_int_equal(n, 2);
    struct stat st;
    bool installed = stat(DAPT_SYSTEM_PLUGINDIR, &st) == 0 && S_ISDIR(st.st_mode);
    assert_string_equal(dirs[1], installed ? DAPT_SYSTEM_PLUGINDIR : DAPT_BUILD_PLUGINDIR);
    dapt_registry_free(reg);

    free(list);
    free(sys);
    free(ws);
    free(cache);
}

/* A relative folder is made absolute: paths are shown and compared. */
static void test_relative_dir(void **state)
{
    (void)state;
    char *cwd = getcwd(NULL, 0);
    assert_int_equal(chdir(root), 0);
    char *p = install("good", "rel", NULL);
    dapt_registry_options opts = {.plugin_path = "rel/", .system_path = "", .cache_file = ""};
    dapt_registry *reg = NULL;
    char *error = NULL;
    assert_int_equal(dapt_registry_open(&reg, &opts, NULL, &error), 0);
    assert_int_equal(chdir(cwd), 0);
    size_t n;
    char *want = at("rel");
    assert_string_equal(dapt_registry_dirs(reg, &n)[0], want);
    assert_int_equal(dapt_registry_count(reg), 1);
    assert_string_equal(dapt_registry_plugin(reg, 0)->path, p);
    assert_ok(dapt_registry_plugin(reg, 0));
    dapt_registry_free(reg);
    free(want);
    free(p);
    free(cwd);
}

/* Folders in search order, files in name order within each. */
static void test_order(void **state)
{
    (void)state;
    char *o = install("other", "b", NULL);
    char *g = install("good", "b", NULL);
    char *ws_good = install("good", "ws/.dapt/plugins", NULL);
    char *user = install("other", "data/dapt/plugins", NULL);
    char *sys = install("good", "sys", NULL);
    char *ws = at("ws");
    char *list = xasprintf("%s/b", root);
    char *sysdir = at("sys");
    char *cache = at("cache/plugins.cache");
    dapt_registry_options opts = {
        .workspace = ws, .plugin_path = list, .system_path = sysdir, .cache_file = cache};
    dapt_registry *reg = NULL;
    char *error = NULL;
    assert_int_equal(dapt_registry_open(&reg, &opts, NULL, &error), 0);
    assert_int_equal(dapt_registry_count(reg), 5);
    const char *paths[] = {g, o, ws_good, user, sys};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(dapt_registry_plugin(reg, i)->path, paths[i]);
    assert_int_equal(dapt_registry_plugin(reg, 0)->status, DAPT_PLUGIN_OK);
    assert_int_equal(dapt_registry_plugin(reg, 1)->status, DAPT_PLUGIN_OK);
    for (size_t i = 2; i < 5; i++)
        assert_int_equal(dapt_registry_plugin(reg, i)->status, DAPT_PLUGIN_SHADOWED);
    assert_ptr_equal(dapt_registry_find(reg, "good"), dapt_registry_plugin(reg, 0));
    assert_ptr_equal(dapt_registry_find(reg, "other"), dapt_registry_plugin(reg, 1));
    assert_null(dapt_registry_find(reg, "nothing"));
    /* shadowed files are not even scanned */
    assert_stats(reg, 5, 0, 2, 0, true);
    dapt_registry_free(reg);
    free(o);
    free(g);
    free(ws_good);
    free(user);
    free(sys);
    free(ws);
    free(list);
    free(sysdir);
    free(cache);
}

static void test_shadowed(void **state)
{
    (void)state;
    char *first = install("good", "a", NULL);
    char *second = install("good", "b", NULL);
    dapt_registry *reg = open_reg("a:b", NULL);
    assert_int_equal(dapt_registry_count(reg), 2);
    const dapt_plugin_info *w = dapt_registry_plugin(reg, 0), *s = dapt_registry_plugin(reg, 1);
    assert_string_equal(w->path, first);
    assert_ok(w);
    assert_string_equal(s->path, second);
    assert_string_equal(s->name, "good");
    assert_int_equal(s->status, DAPT_PLUGIN_SHADOWED);
    char *msg = xasprintf("shadowed by %s", first);
    assert_string_equal(s->error, msg);
    assert_int_equal(s->target_count, 0);
    assert_string_equal(s->version, "");
    free(msg);
    assert_ptr_equal(dapt_registry_find(reg, "good"), w);
    assert_stats(reg, 2, 0, 1, 0, true);
    dapt_registry_free(reg);

    /* a broken winner still wins: the name is taken */
    char *broken = install("nosymbol", "a", "other");
    char *shadow = install("other", "b", NULL);
    reg = open_reg("a:b", NULL);
    const dapt_plugin_info *o = dapt_registry_find(reg, "other");
    assert_string_equal(o->path, broken);
    assert_int_equal(o->status, DAPT_PLUGIN_BROKEN);
    assert_int_equal(by_path(reg, shadow)->status, DAPT_PLUGIN_SHADOWED);
    dapt_registry_free(reg);
    free(broken);
    free(shadow);
    free(first);
    free(second);
}

static void test_data_dir(void **state)
{
    (void)state;
    char *g = install("good", "a", NULL);
    char *o = install("other", "a", NULL);
    char *data = mkdirs("a/good");
    char *not_dir = at("a/other"); /* a file is not a data folder */
    write_text(not_dir, "x");
    dapt_registry *reg = open_reg("a", NULL);
    assert_string_equal(by_path(reg, g)->data_dir, data);
    assert_null(by_path(reg, o)->data_dir);
    dapt_registry_free(reg);

    /* a symbolic link to a folder is one; decided on every start */
    unlink(not_dir);
    char *elsewhere = mkdirs("elsewhere");
    assert_int_equal(symlink(elsewhere, not_dir), 0);
    reg = open_reg("a", NULL);
    assert_stats(reg, 2, 2, 0, 0, false);
    assert_string_equal(by_path(reg, o)->data_dir, not_dir);
    assert_string_equal(by_path(reg, g)->data_dir, data);
    dapt_registry_free(reg);
    free(elsewhere);
    free(not_dir);
    free(data);
    free(o);
    free(g);
}

/* What is not a plugin file is not listed; what looks like one but cannot
 * be used is an entry with the reason. */
static void test_files(void **state)
{
    (void)state;
    char *g = install("good", "a", NULL);
    char *hidden = install("good", "a", ".hidden");
    free(mkdirs("a/folder.so"));
    char *text = at("a/README");
    write_text(text, "not a plugin");
    char *dangling = at("a/dangling.so");
    assert_int_equal(symlink("/nonexistent/dangling.so", dangling), 0);
    char *link = at("a/other.so");
    char *target = install("other", "store", NULL);
    assert_int_equal(symlink(target, link), 0);
    char *bad = install("good", "a", "Bad-Name");
    char *reserved = install("good", "a", "user_modules");
    char *digit = install("good", "a", "9lives");

    dapt_registry *reg = open_reg("a", NULL);
    assert_int_equal(dapt_registry_count(reg), 6);
    /* byte order: upper case and digits first */
    assert_string_equal(dapt_registry_plugin(reg, 0)->path, digit);
    assert_string_equal(dapt_registry_plugin(reg, 1)->path, bad);
    assert_string_equal(dapt_registry_plugin(reg, 2)->path, dangling);
    assert_string_equal(dapt_registry_plugin(reg, 3)->path, g);
    assert_string_equal(dapt_registry_plugin(reg, 4)->path, link);
    assert_string_equal(dapt_registry_plugin(reg, 5)->path, reserved);

    char *msg = xasprintf("cannot read %s: No such file or directory (a symbolic link to "
                          "nothing)",
                          dangling);
    assert_broken(by_path(reg, dangling), msg);
    assert_string_equal(by_path(reg, dangling)->name, "dangling");
    free(msg);
    msg = xasprintf("%s is not named like a plugin: a plugin file is NAME.so, NAME being "
                    "lower-case letters, digits and _, not starting with a digit; rename it",
                    bad);
    assert_broken(by_path(reg, bad), msg);
    assert_string_equal(by_path(reg, bad)->name, "Bad-Name");
    free(msg);
    msg = xasprintf("%s is not named like a plugin: a plugin file is NAME.so, NAME being "
                    "lower-case letters, digits and _, not starting with a digit; rename it",
                    digit);
    assert_broken(by_path(reg, digit), msg);
    free(msg);
    msg = xasprintf("the name `user_modules` is reserved for the workspace's user_modules/ "
                    "folder: rename %s",
                    reserved);
    assert_broken(by_path(reg, reserved), msg);
    free(msg);
    /* a symbolic link to a plugin is that plugin */
    assert_ok(by_path(reg, link));
    assert_string_equal(by_path(reg, link)->name, "other");
    assert_ok(by_path(reg, g));
    /* only good and the link were loaded */
    assert_stats(reg, 6, 0, 2, 4, true);
    dapt_registry_free(reg);

    free(g);
    free(hidden);
    free(text);
    free(dangling);
    free(link);
    free(target);
    free(bad);
    free(reserved);
    free(digit);
}

/* The descriptor's name must be the file's. */
static void test_name_mismatch(void **state)
{
    (void)state;
    char *p = install("good", "a", "wrong");
    dapt_registry *reg = open_reg("a", NULL);
    const dapt_plugin_info *info = by_path(reg, p);
    assert_broken(info,
                  "declares plugin `good` but the file is named wrong.so: rename it to good.so");
    assert_string_equal(info->name, "wrong");
    assert_ptr_equal(dapt_registry_find(reg, "wrong"), info);
    assert_null(dapt_registry_find(reg, "good"));
    size_t n;
    dapt_registry_targets(reg, &n);
    assert_int_equal(n, 0);
    dapt_registry_free(reg);

    /* the verdict is cached with the file */
    reg = open_reg("a", NULL);
    assert_stats(reg, 1, 1, 0, 1, false);
    assert_broken(by_path(reg, p),
                  "declares plugin `good` but the file is named wrong.so: rename it to good.so");
    dapt_registry_free(reg);
    free(p);
}

/* ------------------------------------------------------------------ */
/* Security                                                            */
/* ------------------------------------------------------------------ */

/* Open root/DIRS with chmod_path at `mode`: `file` broken with `want`,
 * or fine when want is NULL; the mode restored after. */
static void check_mode_in(const char *dirs, const char *file, const char *chmod_path, mode_t mode,
                          const char *want)
{
    struct stat st;
    assert_int_equal(stat(chmod_path, &st), 0);
    assert_int_equal(chmod(chmod_path, mode), 0);
    dapt_registry *reg = open_reg(dirs, NULL);
    const dapt_plugin_info *info = by_path(reg, file);
    if (want)
        assert_broken(info, want);
    else
        assert_ok(info);
    dapt_registry_free(reg);
    assert_int_equal(chmod(chmod_path, st.st_mode & 07777), 0);
}

static void check_mode(const char *file, const char *chmod_path, mode_t mode, const char *want)
{
    check_mode_in("a", file, chmod_path, mode, want);
}

static void test_writable(void **state)
{
    (void)state;
    char *p = install("good", "a", NULL);
    char *dir = at("a");
    const char *fix = "or set DAPT_PLUGIN_INSECURE=1 to accept it";

    char *msg = xasprintf("%s is writable by group: chmod go-w %s, %s", p, p, fix);
    check_mode(p, p, 0775, msg);
    free(msg);
    msg = xasprintf("%s is writable by others: chmod go-w %s, %s", p, p, fix);
    check_mode(p, p, 0757, msg);
    free(msg);
    msg = xasprintf("%s is writable by group and others: chmod go-w %s, %s", p, p, fix);
    check_mode(p, p, 0777, msg);
    free(msg);
    msg = xasprintf("its folder %s is writable by others: chmod go-w %s, %s", dir, dir, fix);
    check_mode(p, dir, 0757, msg);
    free(msg);
    msg = xasprintf("its folder %s is writable by group: chmod go-w %s, %s", dir, dir, fix);
    check_mode(p, dir, 0775, msg);
    free(msg);

    /* what was refused was not scanned; fixed, it is */
    dapt_registry *reg = open_reg("a", NULL);
    assert_stats(reg, 1, 0, 1, 0, true);
    dapt_registry_free(reg);

    /* refusal is decided on every start, cache or not */
    assert_int_equal(chmod(p, 0777), 0);
    reg = open_reg("a", NULL);
    assert_stats(reg, 1, 0, 0, 1, false);
    assert_int_equal(by_path(reg, p)->status, DAPT_PLUGIN_BROKEN);
    dapt_registry_free(reg);

    /* accepted on request, from the cache */
    setenv("DAPT_PLUGIN_INSECURE", "1", 1);
    reg = open_reg("a", NULL);
    assert_ok(by_path(reg, p));
    assert_stats(reg, 1, 1, 0, 0, false);
    dapt_registry_free(reg);
    setenv("DAPT_PLUGIN_INSECURE", "0", 1);
    reg = open_reg("a", NULL);
    assert_int_equal(by_path(reg, p)->status, DAPT_PLUGIN_BROKEN);
    dapt_registry_free(reg);
    unsetenv("DAPT_PLUGIN_INSECURE");

    char *list = at("a");
    dapt_registry_options opts = {
        .plugin_path = list, .system_path = "", .cache_file = "", .insecure = true};
    char *error = NULL;
    assert_int_equal(dapt_registry_open(&reg, &opts, NULL, &error), 0);
    assert_ok(by_path(reg, p));
    dapt_registry_free(reg);
    free(list);
    free(dir);
    free(p);
}

static void test_owner(void **state)
{
    (void)state;
    struct passwd *nobody = getpwnam("nobody");
    /* only root can give a file away (cmocka's skip() reads as a failure
     * to automake's TAP driver: return instead) */
    if (geteuid() != 0 || nobody == NULL)
        return;
    uid_t uid = nobody->pw_uid;
    gid_t gid = nobody->pw_gid;
    char *p = install("good", "a", NULL);
    char *dir = at("a");
    const char *fix = "or set DAPT_PLUGIN_INSECURE=1 to accept it";

    assert_int_equal(chown(p, uid, gid), 0);
    char *msg = xasprintf("%s is owned by user nobody (uid %lu), not by you or root: chown root "
                          "%s, %s",
                          p, (unsigned long)uid, p, fix);
    dapt_registry *reg = open_reg("a", NULL);
    assert_broken(by_path(reg, p), msg);
    dapt_registry_free(reg);
    free(msg);
    assert_int_equal(chown(p, 0, 0), 0);

    assert_int_equal(chown(dir, uid, gid), 0);
    msg = xasprintf("its folder %s is owned by user nobody (uid %lu), not by you or root: "
                    "chown root %s, %s",
                    dir, (unsigned long)uid, dir, fix);
    reg = open_reg("a", NULL);
    assert_broken(by_path(reg, p), msg);
    dapt_registry_free(reg);
    free(msg);

    setenv("DAPT_PLUGIN_INSECURE", "1", 1);
    reg = open_reg("a", NULL);
    assert_ok(by_path(reg, p));
    dapt_registry_free(reg);
    assert_int_equal(chown(dir, 0, 0), 0);
    free(dir);
    free(p);
}

/* Every folder above the plugin's, up to the root, as OpenSSH's
 * secure_filename() walks them; a symbolic link at its target's. */
static void test_folders_above(void **state)
{
    (void)state;
    char *p = install("good", "a/b", NULL);
    char *dir = at("a/b"), *up = at("a");
    const char *fix = "or set DAPT_PLUGIN_INSECURE=1 to accept it";

    char *msg = xasprintf("the folder %s above %s is writable by others: chmod go-w %s, %s", up,
                          dir, up, fix);
    check_mode_in("a/b", p, up, 0757, msg);
    free(msg);
    msg = xasprintf("the folder %s above %s is writable by group: chmod go-w %s, %s", root, dir,
                    root, fix);
    check_mode_in("a/b", p, root, 0775, msg);
    free(msg);
    check_mode_in("a/b", p, up, 0755, NULL);
    if (geteuid() == 0) /* a root-owned sticky folder (/tmp) ends the walk */
        check_mode_in("a/b", p, up, 01777, NULL);

    /* a link: the file it leads to, and that file's folders */
    char *target = install("good", "elsewhere/lib", NULL);
    char *tdir = at("elsewhere/lib"), *tup = at("elsewhere");
    char *link = at("c/good.so");
    char *cdir = mkdirs("c");
    assert_int_equal(symlink(target, link), 0);
    msg = xasprintf("the folder %s above %s is writable by others: chmod go-w %s, %s", tup, target,
                    tup, fix);
    check_mode_in("c", link, tup, 0757, msg);
    free(msg);
    msg = xasprintf("the folder %s above %s is writable by group: chmod go-w %s, %s", tdir, target,
                    tdir, fix);
    check_mode_in("c", link, tdir, 0775, msg);
    free(msg);
    dapt_registry *reg;
    reg = open_reg("c", NULL);
    assert_ok(by_path(reg, link));
    dapt_registry_free(reg);

    struct passwd *nobody = getpwnam("nobody");
    if (geteuid() == 0 && nobody != NULL) {
        assert_int_equal(chown(tdir, nobody->pw_uid, nobody->pw_gid), 0);
        msg = xasprintf("the folder %s above %s is owned by user nobody (uid %lu), not by you or "
                        "root: chown root %s, %s",
                        tdir, target, (unsigned long)nobody->pw_uid, tdir, fix);
        reg = open_reg("c", NULL);
        assert_broken(by_path(reg, link), msg);
        dapt_registry_free(reg);
        free(msg);
        assert_int_equal(chown(tdir, 0, 0), 0);
    }
    free(cdir);
    free(link);
    free(tup);
    free(tdir);
    free(target);
    free(up);
    free(dir);
    free(p);
}

static void test_unreadable(void **state)
{
    (void)state;
    if (geteuid() == 0)
        return; /* root reads anything */
    char *p = install("good", "a", NULL);
    assert_int_equal(chmod(p, 0300), 0);
    dapt_registry *reg = open_reg("a", NULL);
    char *msg = xasprintf("cannot read %s: Permission denied", p);
    assert_broken(by_path(reg, p), msg);
    free(msg);
    dapt_registry_free(reg);
    free(p);
}

/* ------------------------------------------------------------------ */
/* The cache: a warm start loads nothing                               */
/* ------------------------------------------------------------------ */

static void test_warm_start(void **state)
{
    (void)state;
    char *mark = at("mark");
    setenv("DAPT_TEST_MARK", mark, 1);
    char *g = install("good", "a", NULL);
    char *o = install("other", "a", NULL);

    dapt_registry *reg = open_reg("a", NULL);
    assert_stats(reg, 2, 0, 2, 0, true);
    dapt_registry_free(reg);
    size_t lines = count_lines(mark);
    assert_true(lines >= 1); /* good's constructor ran, in the scanner */

    reg = open_reg("a", NULL);
    assert_stats(reg, 2, 2, 0, 0, false);
    assert_int_equal(count_lines(mark), lines); /* and not again */
    /* what the cache gave is the same as what the scan gave */
    const dapt_plugin_info *info = by_path(reg, g);
    assert_ok(info);
    assert_string_equal(info->name, "good");
    for (size_t t = 0; t < info->target_count; t++)
        assert_ptr_equal(info->targets[t].plugin, info);
    dapt_registry_free(reg);

    /* a touched file is rescanned, alone */
    struct timeval tv[2] = {{.tv_sec = 1000000000, .tv_usec = 0},
                            {.tv_sec = 1000000000, .tv_usec = 0}};
    assert_int_equal(utimes(g, tv), 0);
    reg = open_reg("a", NULL);
    assert_stats(reg, 2, 1, 1, 0, true);
    assert_true(count_lines(mark) > lines);
    lines = count_lines(mark);
    dapt_registry_free(reg);

    /* a replaced file too (other content, other size) */
    char *from = xasprintf("%s/good.so", FIXTURES_DIR);
    copy_file(from, o); /* other.so now declares good: broken */
    free(from);
    reg = open_reg("a", NULL);
    assert_stats(reg, 2, 1, 1, 1, true);
    assert_broken(by_path(reg, o),
                  "declares plugin `good` but the file is named other.so: rename it to good.so");
    dapt_registry_free(reg);

    /* a removed file leaves the cache */
    unlink(o);
    reg = open_reg("a", NULL);
    assert_stats(reg, 1, 1, 0, 0, true);
    dapt_registry_free(reg);
    reg = open_reg("a", NULL);
    assert_stats(reg, 1, 1, 0, 0, false);
    dapt_registry_free(reg);

    free(g);
    free(o);
    free(mark);
}

static void test_broken_cached(void **state)
{
    (void)state;
    char *p = install("nosymbol", "a", NULL);
    dapt_registry *reg = open_reg("a", NULL);
    assert_stats(reg, 1, 0, 1, 1, true);
    const dapt_plugin_info *info = by_path(reg, p);
    assert_int_equal(info->status, DAPT_PLUGIN_BROKEN);
    assert_string_equal(info->name, "nosymbol");
    char *reason = xstrdup(info->error);
    dapt_registry_free(reg);

    reg = open_reg("a", NULL);
    assert_stats(reg, 1, 1, 0, 1, false);
    assert_broken(by_path(reg, p), reason);
    char *error = NULL;
    const dapt_target_info *t;
    assert_int_equal(dapt_registry_resolve(reg, "nosymbol.anything", &t, &error), -1);
    char *msg = xasprintf("plugin `nosymbol` is broken: %s", reason);
    assert_string_equal(error, msg);
    free(msg);
    free(error);
    dapt_registry_free(reg);
    free(reason);
    free(p);
}

/* Other folders' entries (another workspace) stay in the cache. */
static void test_cache_keeps_others(void **state)
{
    (void)state;
    char *mark = at("mark");
    setenv("DAPT_TEST_MARK", mark, 1);
    free(install("good", "a", NULL));
    free(install("other", "b", NULL));
    dapt_registry_free(open_reg("a", NULL));
    dapt_registry *reg = open_reg("b", NULL);
    assert_stats(reg, 1, 0, 1, 0, true);
    dapt_registry_free(reg);
    size_t lines = count_lines(mark);
    reg = open_reg("a", NULL);
    assert_stats(reg, 1, 1, 0, 0, false);
    dapt_registry_free(reg);
    assert_int_equal(count_lines(mark), lines);

    /* once their file is gone, they go too, when the cache is written */
    char *cache_file = at("cache/plugins.cache");
    plugin_cache *cache = plugin_cache_load(cache_file);
    assert_int_equal(plugin_cache_count(cache), 2);
    plugin_cache_free(cache);
    char *o = at("b/other.so");
    unlink(o);
    dapt_registry_free(open_reg("a", NULL)); /* nothing new: not written */
    cache = plugin_cache_load(cache_file);
    assert_int_equal(plugin_cache_count(cache), 2);
    plugin_cache_free(cache);
    free(install("other", "a", NULL)); /* something new */
    reg = open_reg("a", NULL);
    assert_stats(reg, 2, 1, 1, 0, true);
    dapt_registry_free(reg);
    cache = plugin_cache_load(cache_file);
    assert_int_equal(plugin_cache_count(cache), 2); /* a/good, a/other */
    assert_null(strstr(plugin_cache_entry(cache, 0)->path, "/b/"));
    assert_null(strstr(plugin_cache_entry(cache, 1)->path, "/b/"));
    plugin_cache_free(cache);
    free(o);
    free(cache_file);
    free(mark);
}

static void test_cache_off_and_unwritable(void **state)
{
    (void)state;
    free(install("good", "a", NULL));
    char *list = at("a");
    dapt_registry_options opts = {.plugin_path = list, .system_path = "", .cache_file = ""};
    dapt_registry *reg = NULL;
    char *error = NULL, *warnings = NULL;
    assert_int_equal(dapt_registry_open(&reg, &opts, &warnings, &error), 0);
    assert_null(warnings);
    assert_stats(reg, 1, 0, 1, 0, false);
    dapt_registry_free(reg);

    /* a file where the cache folder should be: a warning, not a failure */
    char *blocker = at("blocker");
    write_text(blocker, "x");
    char *cache = at("blocker/plugins.cache");
    opts.cache_file = cache;
    assert_int_equal(dapt_registry_open(&reg, &opts, &warnings, &error), 0);
    assert_non_null(warnings);
    char *msg = xasprintf("cannot write the plugin cache: cannot create the folder %s: Not a "
                          "directory",
                          blocker);
    assert_string_equal(warnings, msg);
    assert_ok(dapt_registry_plugin(reg, 0));
    assert_stats(reg, 1, 0, 1, 0, false);
    free(msg);
    free(warnings);
    dapt_registry_free(reg);

    /* the default place: $XDG_CACHE_HOME/dapt/plugins.cache */
    opts.cache_file = NULL;
    assert_int_equal(dapt_registry_open(&reg, &opts, NULL, &error), 0);
    assert_stats(reg, 1, 0, 1, 0, true);
    dapt_registry_free(reg);
    char *file = at("xdg-cache/dapt/plugins.cache");
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    free(file);
    free(cache);
    free(blocker);
    free(list);
}

/* A damaged cache is an empty one: everything is scanned again, and the
 * file rewritten. */
static void test_cache_damaged(void **state)
{
    (void)state;
    free(install("good", "a", NULL));
    dapt_registry_free(open_reg("a", NULL));
    char *cache = at("cache/plugins.cache");
    write_text(cache, "garbage");
    dapt_registry *reg = open_reg("a", NULL);
    assert_stats(reg, 1, 0, 1, 0, true);
    dapt_registry_free(reg);
    reg = open_reg("a", NULL);
    assert_stats(reg, 1, 1, 0, 0, false);
    dapt_registry_free(reg);
    free(cache);
}

/* ------------------------------------------------------------------ */
/* Targets                                                             */
/* ------------------------------------------------------------------ */

static void test_targets_sorted(void **state)
{
    (void)state;
    free(install("other", "a", NULL));
    free(install("good", "a", NULL));
    dapt_registry *reg = open_reg("a", NULL);
    size_t n;
    const dapt_target_info *const *targets = dapt_registry_targets(reg, &n);
    size_t want = dapt_registry_find(reg, "good")->target_count +
                  dapt_registry_find(reg, "other")->target_count;
    assert_int_equal(n, want);
    assert_true(n >= 2);
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(targets[i - 1]->target, targets[i]->target) < 0);
    for (size_t i = 0; i < n; i++) {
        const dapt_target_info *t = NULL;
        char *error = NULL;
        assert_int_equal(dapt_registry_resolve(reg, targets[i]->target, &t, &error), 0);
        assert_ptr_equal(t, targets[i]);
        char *full = xasprintf("%s.%s", t->plugin->name, t->path);
        assert_string_equal(t->target, full);
        free(full);
    }
    dapt_registry_free(reg);
}

static void assert_resolve_error(const dapt_registry *reg, const char *target, const char *want)
{
    const dapt_target_info *t = (const dapt_target_info *)1;
    char *error = NULL;
    assert_int_equal(dapt_registry_resolve(reg, target, &t, &error), -1);
    assert_null(t);
    assert_non_null(error);
    assert_string_equal(error, want);
    free(error);
}

static void test_resolve(void **state)
{
    (void)state;
    free(install("good", "a", NULL));
    free(install("other", "a", NULL));
    dapt_registry *reg = open_reg("a", NULL);
    const dapt_plugin_info *good = dapt_registry_find(reg, "good");
    assert_non_null(good);
    assert_true(good->target_count > 0);
    const char *first = good->targets[0].target; /* good.PATH */

    assert_resolve_error(reg, "good", "`good` is not a target: write PLUGIN.PATH, e.g. dapt.echo");
    assert_resolve_error(reg, ".x", "`.x` is not a target: write PLUGIN.PATH, e.g. dapt.echo");
    assert_resolve_error(reg, "good.",
                         "`good.` is not a target: write PLUGIN.PATH, e.g. dapt.echo");

    /* a typo in the plugin: the nearest full target */
    char *typo = xasprintf("goud%s", first + 4);
    char *msg = xasprintf("unknown plugin `goud` in target `%s`; did you mean `%s`?", typo, first);
    assert_resolve_error(reg, typo, msg);
    free(msg);
    free(typo);
    /* the nearest plugin when no target is near */
    assert_resolve_error(reg, "goud.zzzzzzzzzzzzzzzzzzzzzzzzzz",
                         "unknown plugin `goud` in target `goud.zzzzzzzzzzzzzzzzzzzzzzzzzz`; "
                         "did you mean `good`?");
    /* the list when nothing is near */
    assert_resolve_error(reg, "weather.stages.fetch",
                         "unknown plugin `weather` in target `weather.stages.fetch`; "
                         "known plugins: good, other");

    /* a typo in the path: the nearest target of that plugin */
    char *cut = xstrndup(first, strlen(first) - 1);
    msg = xasprintf("plugin `good` has no target `%s`; did you mean `%s`?", cut + 5, first);
    assert_resolve_error(reg, cut, msg);
    free(msg);
    free(cut);
    /* nothing near: the plugin's targets */
    strbuf sb = {0};
    strbuf_puts(&sb, "plugin `good` has no target `zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz`; its targets: ");
    for (size_t i = 0; i < good->target_count && i < 8; i++)
        strbuf_printf(&sb, "%s%s", i ? ", " : "", good->targets[i].target);
    if (good->target_count > 8)
        strbuf_printf(&sb, ", ... (%zu in all)", good->target_count);
    assert_resolve_error(reg, "good.zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", sb.buf);
    strbuf_free(&sb);
    dapt_registry_free(reg);

    /* no plugins at all */
    reg = open_reg("nothing", NULL);
    assert_resolve_error(reg, "dapt.echo",
                         "unknown plugin `dapt` in target `dapt.echo`; no plugins were found "
                         "on the search path");
    dapt_registry_free(reg);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_dirs),
        T(test_relative_dir),
        T(test_order),
        T(test_shadowed),
        T(test_data_dir),
        T(test_files),
        T(test_name_mismatch),
        T(test_writable),
        T(test_owner),
        T(test_folders_above),
        T(test_unreadable),
        T(test_warm_start),
        T(test_broken_cached),
        T(test_cache_keeps_others),
        T(test_cache_off_and_unwritable),
        T(test_cache_damaged),
        T(test_targets_sorted),
        T(test_resolve),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
