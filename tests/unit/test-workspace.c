/*
 * test-workspace.c - workspaces under git: engine/workspace.c running the
 * helper dapt-git (cli/dapt-git.c) of the build tree on temporary
 * repositories: init of a fresh folder and inside a larger repository,
 * commits, the fallback identity, status, log, show, cat, diff, restore,
 * and clones of a bare repository over file://.
 *
 * The helper reads git configuration from the environment, so each test
 * gets a HOME whose .gitconfig has a known identity (or none), no system
 * configuration, and GIT_CEILING_DIRECTORIES stops the search for a
 * repository at the test's temporary folder.
 */
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

#include <cmocka.h>
#include <git2.h>

#include "engine.h"

#ifndef TOP_BUILDDIR
#error "TOP_BUILDDIR (the folder of dapt-git) must be defined"
#endif

/* Debian's libgit2 leaks pcre2 match data on every clone (the bare clone
 * below): not this test's memory. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libpcre2-8.so\n";
}
/* ...and must not list what it suppressed on stderr, where the message
 * for dapt goes. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}

static char *tmproot; /* everything the tests make lives under it */
static char *home;    /* HOME with an identity */
static int counter;

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

/* A new empty folder under the temporary root. */
static char *new_dir(const char *name)
{
    char *dir = xasprintf("%s/%s-%d", tmproot, name, ++counter);
    assert_int_equal(fs_mkdir_p(dir, 0755), 0);
    return dir;
}

static void write_file(const char *dir, const char *rel, const char *text)
{
    char *path = xasprintf("%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    assert_int_equal(fs_mkdir_p(path, 0755), 0);
    *slash = '/';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    free(path);
}

static char *read_file(const char *dir, const char *rel)
{
    char *path = xasprintf("%s/%s", dir, rel);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    strbuf sb = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(f);
    free(path);
    return sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

/* The arguments "SUB -C WS ARGS..." from a NULL-terminated list. */
static const char **build_args(const char *sub, const char *ws, va_list ap)
{
    const char **args = xcalloc(32, sizeof *args);
    size_t n = 0;
    args[n++] = sub;
    if (ws != NULL) {
        args[n++] = "-C";
        args[n++] = ws;
    }
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL) {
        assert_true(n < 31);
        args[n++] = a;
    }
    return args;
}

/* Run a JSON subcommand that must succeed. */
static json_t *git_ok(const char *sub, const char *ws, ...)
{
    va_list ap;
    va_start(ap, ws);
    const char **args = build_args(sub, ws, ap);
    va_end(ap);
    json_t *out = NULL;
    char *error = NULL;
    if (workspace_git(&out, args, &error) < 0)
        fail_msg("dapt-git %s failed: %s", sub, error);
    free(args);
    return out;
}

/* Run a raw-text subcommand that must succeed. */
static char *git_text(const char *sub, const char *ws, ...)
{
    va_list ap;
    va_start(ap, ws);
    const char **args = build_args(sub, ws, ap);
    va_end(ap);
    char *text = NULL, *error = NULL;
    size_t len = 0;
    if (workspace_git_text(&text, &len, args, &error) < 0)
        fail_msg("dapt-git %s failed: %s", sub, error);
    assert_int_equal(strlen(text), len);
    free(args);
    return text;
}

/* Run a subcommand that must fail; its message. */
static char *git_err(const char *sub, const char *ws, ...)
{
    va_list ap;
    va_start(ap, ws);
    const char **args = build_args(sub, ws, ap);
    va_end(ap);
    char *text = NULL, *error = NULL;
    size_t len = 0;
    assert_int_equal(workspace_git_text(&text, &len, args, &error), -1);
    assert_null(text);
    assert_non_null(error);
    assert_null(strchr(error, '\n')); /* one line */
    assert_true(strncmp(error, "dapt: ", 6) != 0);
    free(args);
    return error;
}

static const char *str(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        fail_msg("%s is not a string", key);
    return json_string_value(v);
}

static bool is_hex40(const char *s)
{
    return s != NULL && strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

/* A workspace as `dapt init` lays it out, then made a repository. */
static char *init_workspace(const char *name, json_t **result)
{
    char *ws = new_dir(name);
    write_file(ws, "workflows/etl.yaml", "name: etl\nstages: []\n");
    write_file(ws, "dapt.yaml", "{}\n");
    write_file(ws, ".gitignore", ".dapt/\n");
    write_file(ws, ".dapt/runs.db", "not for git\n");
    json_t *r = git_ok("init", ws, NULL);
    if (result != NULL)
        *result = r;
    else
        json_decref(r);
    return ws;
}

/* Commit `rel` with `text`; the commit id (caller frees). */
static char *commit_text(const char *ws, const char *rel, const char *text, const char *message)
{
    write_file(ws, rel, text);
    json_t *r = git_ok("commit", ws, "-m", message, rel, NULL);
    char *id = xstrdup(str(r, "commit"));
    json_decref(r);
    return id;
}

static json_t *status_of(const char *ws, const char *rel)
{
    json_t *r = git_ok("status", ws, rel, NULL);
    json_t *f = json_incref(json_array_get(json_object_get(r, "files"), 0));
    json_decref(r);
    assert_non_null(f);
    return f;
}

static void assert_state(const char *ws, const char *rel, const char *state)
{
    json_t *f = status_of(ws, rel);
    assert_string_equal(str(f, "path"), rel);
    assert_string_equal(str(f, "state"), state);
    json_decref(f);
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

static void test_init_fresh(void **state)
{
    json_t *r = NULL;
    char *ws = init_workspace("fresh", &r);
    char *real = realpath(ws, NULL);
    assert_true(json_is_true(json_object_get(r, "created")));
    assert_true(is_hex40(str(r, "commit")));
    assert_string_equal(str(r, "identity"), "git config");
    assert_string_equal(str(r, "repo"), real);
    assert_string_equal(str(r, "workspace"), real);

    /* the commit holds the workspace's files, not what .gitignore hides */
    json_t *log = git_ok("log", ws, "workflows/etl.yaml", NULL);
    assert_int_equal(json_array_size(log), 1);
    json_t *c = json_array_get(log, 0);
    assert_string_equal(str(c, "commit"), str(r, "commit"));
    assert_string_equal(str(c, "message"), "dapt init");
    assert_string_equal(str(c, "author"), "Test User");
    assert_string_equal(str(c, "email"), "test@example.invalid");
    json_decref(log);
    assert_state(ws, "dapt.yaml", "clean");
    assert_state(ws, ".gitignore", "clean");
    assert_state(ws, ".dapt/runs.db", "untracked");
    json_t *st = git_ok("status", ws, NULL);
    assert_false(json_is_true(json_object_get(st, "dirty")));
    assert_string_equal(str(st, "head"), str(r, "commit"));
    json_decref(st);

    /* again: the repository is adopted, and there is nothing new */
    json_t *again = git_ok("init", ws, NULL);
    assert_true(json_is_false(json_object_get(again, "created")));
    assert_true(json_is_null(json_object_get(again, "commit")));
    json_decref(again);
    json_decref(r);
    free(real);
    free(ws);
}

static void test_init_in_larger_repo(void **state)
{
    char *big = new_dir("big");
    write_file(big, "README", "the larger project\n");
    json_t *r = git_ok("init", big, NULL);
    char *base = xstrdup(str(r, "commit"));
    json_decref(r);

    /* a new file of the project, and a workspace in a subfolder */
    write_file(big, "src/main.c", "int main(void) { return 0; }\n");
    char *ws = xasprintf("%s/proj/ws", big);
    write_file(ws, "workflows/w.yaml", "name: w\n");
    write_file(ws, ".gitignore", ".dapt/\n");
    r = git_ok("init", ws, NULL);
    char *real_big = realpath(big, NULL), *real_ws = realpath(ws, NULL);
    assert_true(json_is_false(json_object_get(r, "created")));
    assert_string_equal(str(r, "repo"), real_big);
    assert_string_equal(str(r, "workspace"), real_ws);
    const char *commit = str(r, "commit");
    assert_true(is_hex40(commit));

    /* the commit holds only the workspace's files */
    char *diff = git_text("diff", ws, base, commit, NULL);
    assert_non_null(strstr(diff, "+++ b/proj/ws/workflows/w.yaml"));
    assert_non_null(strstr(diff, "+++ b/proj/ws/.gitignore"));
    assert_null(strstr(diff, "src/main.c"));
    free(diff);
    assert_state(big, "src/main.c", "untracked");
    assert_state(ws, "workflows/w.yaml", "clean");
    /* paths are the workspace's, whatever the form */
    assert_state(ws, "./workflows/../workflows/w.yaml", "clean");
    char *abs = xasprintf("%s/workflows/w.yaml", real_ws);
    json_t *f = status_of(ws, abs);
    assert_string_equal(str(f, "state"), "clean");
    json_decref(f);
    free(abs);
    char *err = git_err("status", ws, "../../../../../../../../../../etc/passwd", NULL);
    assert_non_null(strstr(err, "is outside the repository"));
    free(err);

    /* a change outside the workspace does not make it dirty */
    write_file(big, "README", "changed\n");
    json_t *st = git_ok("status", ws, NULL);
    assert_false(json_is_true(json_object_get(st, "dirty")));
    json_decref(st);
    write_file(ws, "workflows/w.yaml", "name: w2\n");
    st = git_ok("status", ws, NULL);
    assert_true(json_is_true(json_object_get(st, "dirty")));
    json_decref(st);

    /* a commit from the workspace leaves the rest alone */
    json_t *c = git_ok("commit", ws, "-m", "change w", "workflows/w.yaml", NULL);
    diff = git_text("diff", ws, commit, str(c, "commit"), NULL);
    assert_non_null(strstr(diff, "proj/ws/workflows/w.yaml"));
    assert_null(strstr(diff, "README"));
    free(diff);
    assert_state(big, "README", "modified");
    json_t *log = git_ok("log", ws, "workflows/w.yaml", NULL);
    assert_int_equal(json_array_size(log), 2);
    assert_string_equal(str(json_array_get(log, 0), "commit"), str(c, "commit"));
    assert_string_equal(str(json_array_get(log, 1), "commit"), commit);
    json_decref(log);
    char *text = git_text("show", ws, commit, "workflows/w.yaml", NULL);
    assert_string_equal(text, "name: w\n");
    free(text);
    json_decref(c);

    json_decref(r);
    free(real_big);
    free(real_ws);
    free(ws);
    free(base);
    free(big);
}

static void test_commit(void **state)
{
    char *ws = init_workspace("commit", NULL);
    /* a changed file */
    write_file(ws, "workflows/etl.yaml", "name: etl\nstages: [a]\n");
    json_t *r = git_ok("commit", ws, "-m", "change etl", "workflows/etl.yaml", NULL);
    assert_true(is_hex40(str(r, "commit")));
    assert_true(json_is_false(json_object_get(r, "unchanged")));
    assert_string_equal(str(r, "identity"), "git config");
    json_t *st = git_ok("status", ws, NULL);
    assert_string_equal(str(st, "head"), str(r, "commit"));
    json_decref(st);
    json_decref(r);

    /* the same again: nothing to commit */
    r = git_ok("commit", ws, "-m", "again", "workflows/etl.yaml", NULL);
    assert_true(json_is_null(json_object_get(r, "commit")));
    assert_true(json_is_true(json_object_get(r, "unchanged")));
    json_decref(r);

    /* only the named files: another changed file stays changed */
    write_file(ws, "workflows/new.yaml", "name: new\n");
    write_file(ws, "dapt.yaml", "{a: 1}\n");
    r = git_ok("commit", ws, "-m", "add new", "workflows/new.yaml", NULL);
    assert_true(is_hex40(str(r, "commit")));
    json_decref(r);
    assert_state(ws, "workflows/new.yaml", "clean");
    assert_state(ws, "dapt.yaml", "modified");

    /* a deleted file is removed */
    char *path = xasprintf("%s/workflows/new.yaml", ws);
    assert_int_equal(unlink(path), 0);
    free(path);
    r = git_ok("commit", ws, "-m", "remove new", "--", "workflows/new.yaml", NULL);
    assert_true(is_hex40(str(r, "commit")));
    json_decref(r);
    json_t *f = status_of(ws, "workflows/new.yaml");
    assert_string_equal(str(f, "state"), "missing");
    assert_true(json_is_null(json_object_get(f, "head_blob")));
    json_decref(f);

    /* what cannot be committed */
    char *err = git_err("commit", ws, "-m", "x", "workflows/nothing.yaml", NULL);
    assert_string_equal(
        err, "workflows/nothing.yaml: no such file in the workspace, nor in the last commit");
    free(err);
    err = git_err("commit", ws, "-m", "x", "workflows", NULL);
    assert_string_equal(err, "workflows is a folder: give the files in it");
    free(err);
    err = git_err("commit", ws, "workflows/etl.yaml", NULL);
    assert_non_null(strstr(err, "needs a message"));
    free(err);
    free(ws);
}

static void test_no_identity(void **state)
{
    char *empty = new_dir("nohome");
    char *config = xasprintf("%s/.config", empty);
    setenv("HOME", empty, 1);
    setenv("XDG_CONFIG_HOME", config, 1);
    json_t *r = NULL;
    char *ws = init_workspace("noident", &r);
    assert_string_equal(str(r, "identity"), "fallback");
    assert_true(is_hex40(str(r, "commit")));
    json_t *log = git_ok("log", ws, "dapt.yaml", NULL);
    json_t *c = json_array_get(log, 0);
    assert_string_equal(str(c, "author"), "dapt");
    assert_true(strncmp(str(c, "email"), "dapt@", 5) == 0);
    assert_true(strlen(str(c, "email")) > 5);
    json_decref(log);
    json_decref(r);
    write_file(ws, "dapt.yaml", "{b: 2}\n");
    r = git_ok("commit", ws, "-m", "m", "dapt.yaml", NULL);
    assert_string_equal(str(r, "identity"), "fallback");
    json_decref(r);

    /* an identity in the repository's own config is used */
    write_file(ws, ".git/config",
               "[core]\n\trepositoryformatversion = 0\n\tbare = false\n"
               "[user]\n\tname = Repo User\n\temail = repo@example.invalid\n");
    write_file(ws, "dapt.yaml", "{b: 3}\n");
    r = git_ok("commit", ws, "-m", "m", "dapt.yaml", NULL);
    assert_string_equal(str(r, "identity"), "git config");
    json_decref(r);

    setenv("HOME", home, 1);
    char *hconfig = xasprintf("%s/.config", home);
    setenv("XDG_CONFIG_HOME", hconfig, 1);
    free(hconfig);
    free(config);
    free(empty);
    free(ws);
}

static void test_status(void **state)
{
    json_t *r = NULL;
    char *ws = init_workspace("status", &r);
    write_file(ws, "dapt.yaml", "{changed: true}\n");
    write_file(ws, "workflows/untracked.yaml", "name: u\n");
    char *gone = xasprintf("%s/.gitignore", ws);
    assert_int_equal(unlink(gone), 0);
    free(gone);

    json_t *st = git_ok("status", ws, "workflows/etl.yaml", "dapt.yaml", "workflows/untracked.yaml",
                        ".gitignore", "workflows/never.yaml", NULL);
    assert_string_equal(str(st, "head"), str(r, "commit"));
    assert_true(json_is_string(json_object_get(st, "branch")));
    assert_true(json_is_true(json_object_get(st, "dirty")));
    json_t *files = json_object_get(st, "files");
    assert_int_equal(json_array_size(files), 5);
    static const char *const states[] = {"clean", "modified", "untracked", "missing", "missing"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(str(json_array_get(files, i), "state"), states[i]);
    json_t *clean = json_array_get(files, 0), *mod = json_array_get(files, 1);
    assert_string_equal(str(clean, "blob"), str(clean, "head_blob"));
    assert_true(is_hex40(str(mod, "blob")));
    assert_true(is_hex40(str(mod, "head_blob")));
    assert_string_not_equal(str(mod, "blob"), str(mod, "head_blob"));
    assert_true(json_is_null(json_object_get(json_array_get(files, 2), "head_blob")));
    assert_true(json_is_null(json_object_get(json_array_get(files, 3), "blob")));
    assert_true(is_hex40(str(json_array_get(files, 3), "head_blob")));

    /* status hashes the working tree's content without writing it */
    char *err = git_err("cat", ws, str(mod, "blob"), NULL);
    assert_non_null(strstr(err, "no blob"));
    free(err);
    json_decref(st);
    json_decref(r);
    free(ws);
}

static void test_log(void **state)
{
    char *ws = init_workspace("log", NULL);
    char *c1 = commit_text(ws, "workflows/etl.yaml", "v1\n", "first");
    char *other = commit_text(ws, "dapt.yaml", "{o: 1}\n", "other file");
    char *c2 = commit_text(ws, "workflows/etl.yaml", "v2\n", "second\n\nwith a body");
    char *c3 = commit_text(ws, "workflows/etl.yaml", "v3\n", "third");
    json_t *st = git_ok("status", ws, "workflows/etl.yaml", NULL);
    char *blob3 = xstrdup(str(json_array_get(json_object_get(st, "files"), 0), "blob"));
    json_decref(st);

    json_t *log = git_ok("log", ws, "workflows/etl.yaml", NULL);
    assert_int_equal(json_array_size(log), 4); /* with dapt init's */
    assert_string_equal(str(json_array_get(log, 0), "commit"), c3);
    assert_string_equal(str(json_array_get(log, 1), "commit"), c2);
    assert_string_equal(str(json_array_get(log, 2), "commit"), c1);
    assert_string_equal(str(json_array_get(log, 3), "message"), "dapt init");
    assert_string_equal(str(json_array_get(log, 0), "blob"), blob3);
    assert_string_equal(str(json_array_get(log, 1), "message"), "second\n\nwith a body");
    const char *date = str(json_array_get(log, 0), "date");
    assert_int_equal(strlen(date), 20);
    assert_int_equal(date[10], 'T');
    assert_int_equal(date[19], 'Z');
    /* each blob is that version's content */
    static const char *const texts[] = {"v3\n", "v2\n", "v1\n"};
    for (size_t i = 0; i < 3; i++) {
        char *text = git_text("cat", ws, str(json_array_get(log, i), "blob"), NULL);
        assert_string_equal(text, texts[i]);
        free(text);
    }
    json_decref(log);

    /* a file never committed has no history; nor a repository without
     * commits */
    log = git_ok("log", ws, "workflows/none.yaml", NULL);
    assert_int_equal(json_array_size(log), 0);
    json_decref(log);
    free(c1);
    free(other);
    free(c2);
    free(c3);
    free(blob3);
    free(ws);
}

static void test_show_cat(void **state)
{
    char *ws = init_workspace("show", NULL);
    char *c1 = commit_text(ws, "workflows/etl.yaml", "one\n", "one");
    char *c2 = commit_text(ws, "workflows/etl.yaml", "two\n", "two");
    char *text = git_text("show", ws, "HEAD", "workflows/etl.yaml", NULL);
    assert_string_equal(text, "two\n");
    free(text);
    text = git_text("show", ws, c1, "workflows/etl.yaml", NULL);
    assert_string_equal(text, "one\n");
    free(text);
    char short_id[9];
    snprintf(short_id, sizeof short_id, "%s", c1);
    text = git_text("show", ws, short_id, "workflows/etl.yaml", NULL);
    assert_string_equal(text, "one\n");
    free(text);
    text = git_text("show", ws, "HEAD~1", "workflows/etl.yaml", NULL);
    assert_string_equal(text, "one\n");
    free(text);

    json_t *log = git_ok("log", ws, "workflows/etl.yaml", NULL);
    char *blob = xstrdup(str(json_array_get(log, 0), "blob"));
    json_decref(log);
    text = git_text("cat", ws, blob, NULL);
    assert_string_equal(text, "two\n");
    free(text);
    blob[8] = '\0'; /* a prefix will do */
    text = git_text("cat", ws, blob, NULL);
    assert_string_equal(text, "two\n");
    free(text);

    char *err = git_err("show", ws, "nope", "workflows/etl.yaml", NULL);
    assert_string_equal(err, "unknown revision `nope`: give a commit id, a branch or a tag "
                             "(dapt history FILE lists a file's commits)");
    free(err);
    err = git_err("show", ws, "HEAD", "workflows/none.yaml", NULL);
    assert_true(strncmp(err, "workflows/none.yaml is not in revision HEAD (", 45) == 0);
    assert_non_null(strstr(err, "dapt history workflows/none.yaml"));
    free(err);
    err = git_err("cat", ws, "xyz", NULL);
    assert_non_null(strstr(err, "`xyz` is not a blob id"));
    free(err);
    err = git_err("cat", ws, "0000000000", NULL);
    assert_non_null(strstr(err, "no blob `0000000000`"));
    free(err);
    free(blob);
    free(c1);
    free(c2);
    free(ws);
}

static void test_diff(void **state)
{
    char *ws = init_workspace("diff", NULL);
    char *c1 = commit_text(ws, "workflows/etl.yaml", "a\nb\nc\n", "one");
    char *c2 = commit_text(ws, "workflows/etl.yaml", "a\nB\nc\n", "two");
    char *text = git_text("diff", ws, NULL);
    assert_string_equal(text, ""); /* clean */
    free(text);

    write_file(ws, "workflows/etl.yaml", "a\nB\nC\n");
    write_file(ws, "dapt.yaml", "{x: 1}\n");
    /* HEAD..worktree */
    text = git_text("diff", ws, NULL);
    assert_non_null(strstr(text, "--- a/workflows/etl.yaml\n+++ b/workflows/etl.yaml\n"));
    assert_non_null(strstr(text, "-c\n+C\n"));
    assert_null(strstr(text, "-b\n"));
    assert_non_null(strstr(text, "b/dapt.yaml"));
    free(text);
    /* limited to a file */
    text = git_text("diff", ws, "--", "workflows/etl.yaml", NULL);
    assert_non_null(strstr(text, "-c\n+C\n"));
    assert_null(strstr(text, "dapt.yaml"));
    free(text);
    /* REV..worktree */
    text = git_text("diff", ws, c1, "--", "workflows/etl.yaml", NULL);
    assert_non_null(strstr(text, "-b\n-c\n+B\n+C\n"));
    free(text);
    /* REV..REV */
    text = git_text("diff", ws, c1, c2, NULL);
    assert_non_null(strstr(text, "-b\n+B\n"));
    assert_null(strstr(text, "+C"));
    assert_null(strstr(text, "dapt.yaml"));
    free(text);
    /* a file never committed shows as added when named */
    write_file(ws, "workflows/new.yaml", "fresh\n");
    text = git_text("diff", ws, "--", "workflows/new.yaml", NULL);
    assert_non_null(strstr(text, "+fresh\n"));
    free(text);

    char *err = git_err("diff", ws, "HEAD", "nope", NULL);
    assert_non_null(strstr(err, "unknown revision `nope`"));
    free(err);
    free(c1);
    free(c2);
    free(ws);
}

static void test_restore(void **state)
{
    char *ws = init_workspace("restore", NULL);
    char *c1 = commit_text(ws, "workflows/etl.yaml", "old\n", "old");
    char *c2 = commit_text(ws, "workflows/etl.yaml", "new\n", "new");
    char *path = xasprintf("%s/workflows/etl.yaml", ws);
    assert_int_equal(chmod(path, 0750), 0);

    json_t *r = git_ok("restore", ws, c1, "workflows/etl.yaml", NULL);
    assert_string_equal(str(r, "commit"), c1);
    assert_string_equal(str(r, "path"), "workflows/etl.yaml");
    assert_true(is_hex40(str(r, "blob")));
    char *text = read_file(ws, "workflows/etl.yaml");
    assert_string_equal(text, "old\n");
    free(text);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0750);
    /* brought back, not committed */
    json_t *f = status_of(ws, "workflows/etl.yaml");
    assert_string_equal(str(f, "state"), "modified");
    assert_string_equal(str(f, "blob"), str(r, "blob"));
    json_decref(f);
    json_decref(r);

    /* a file that is gone comes back */
    assert_int_equal(unlink(path), 0);
    r = git_ok("restore", ws, "HEAD", "workflows/etl.yaml", NULL);
    json_decref(r);
    text = read_file(ws, "workflows/etl.yaml");
    assert_string_equal(text, "new\n");
    free(text);
    assert_state(ws, "workflows/etl.yaml", "clean");

    char *err = git_err("restore", ws, c1, "workflows/none.yaml", NULL);
    assert_non_null(strstr(err, "workflows/none.yaml is not in revision"));
    free(err);
    err = git_err("restore", ws, "nope", "workflows/etl.yaml", NULL);
    assert_non_null(strstr(err, "unknown revision `nope`"));
    free(err);
    free(path);
    free(c1);
    free(c2);
    free(ws);
}

/* A bare copy of a workspace's repository, as a plugin source. */
static char *make_bare(const char *ws)
{
    char *bare = xasprintf("%s/bare-%d.git", tmproot, ++counter);
    git_clone_options opts;
    git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
    opts.bare = 1;
    git_repository *repo = NULL;
    git_libgit2_init();
    if (git_clone(&repo, ws, bare, &opts) < 0)
        fail_msg("bare clone: %s", git_error_last()->message);
    git_repository_free(repo);
    git_libgit2_shutdown();
    return bare;
}

static void test_clone(void **state)
{
    char *ws = init_workspace("source", NULL);
    char *c1 = commit_text(ws, "workflows/etl.yaml", "first\n", "first");
    char *c2 = commit_text(ws, "workflows/etl.yaml", "second\n", "second");
    json_t *st = git_ok("status", ws, NULL);
    char *branch = xstrdup(str(st, "branch"));
    json_decref(st);
    char *bare = make_bare(ws);
    char *url = xasprintf("file://%s", bare);

    /* at a branch */
    char *dest = xasprintf("%s/clone-branch", tmproot);
    json_t *r = git_ok("clone", NULL, url, branch, dest, NULL);
    assert_string_equal(str(r, "url"), url);
    assert_string_equal(str(r, "commit"), c2);
    json_decref(r);
    char *text = read_file(dest, "workflows/etl.yaml");
    assert_string_equal(text, "second\n");
    free(text);
    free(dest);

    /* at a commit */
    dest = xasprintf("%s/clone-commit", tmproot);
    r = git_ok("clone", NULL, url, c1, dest, NULL);
    assert_string_equal(str(r, "commit"), c1);
    json_decref(r);
    text = read_file(dest, "workflows/etl.yaml");
    assert_string_equal(text, "first\n");
    free(text);
    free(dest);

    /* the default branch */
    dest = xasprintf("%s/clone-default", tmproot);
    r = git_ok("clone", NULL, url, "", dest, NULL);
    assert_string_equal(str(r, "commit"), c2);
    json_decref(r);
    free(dest);

    dest = xasprintf("%s/clone-nope", tmproot);
    char *err = git_err("clone", NULL, url, "nope", dest, NULL);
    char *want = xasprintf("%s has no branch, tag or commit `nope`", url);
    assert_string_equal(err, want);
    free(want);
    free(err);
    free(dest);
    free(url);
    free(bare);
    free(branch);
    free(c1);
    free(c2);
    free(ws);
}

static void test_errors(void **state)
{
    char *plain = new_dir("plain");
    char *err = git_err("status", plain, NULL);
    char *want = xasprintf("%s is not in a git repository: run `dapt init` there to make it a "
                           "workspace",
                           plain);
    assert_string_equal(err, want);
    free(want);
    free(err);
    err = git_err("log", plain, "x.yaml", NULL);
    assert_non_null(strstr(err, "is not in a git repository"));
    free(err);
    /* a repository without commits: no history, no revisions */
    json_t *r = git_ok("init", plain, NULL);
    assert_true(json_is_null(json_object_get(r, "commit")));
    json_decref(r);
    json_t *log = git_ok("log", plain, "x.yaml", NULL);
    assert_int_equal(json_array_size(log), 0);
    json_decref(log);
    json_t *st = git_ok("status", plain, NULL);
    assert_true(json_is_null(json_object_get(st, "head")));
    assert_true(json_is_string(json_object_get(st, "branch")));
    json_decref(st);
    err = git_err("show", plain, "HEAD", "x.yaml", NULL);
    assert_non_null(strstr(err, "the repository has no commits yet"));
    free(err);
    err = git_err("status", "/nonexistent/dapt-ws", NULL);
    assert_non_null(strstr(err, "cannot use the workspace /nonexistent/dapt-ws"));
    free(err);
    /* a usage error (a bug of the caller) comes with the usage */
    const char *args[] = {"frobnicate", NULL};
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(workspace_git_text(&text, &len, args, &err), -1);
    assert_true(strncmp(err, "unknown subcommand frobnicate\nusage: dapt-git ", 46) == 0);
    free(err);
    free(plain);
}

/* ------------------------------------------------------------------ */

static int setup(void **state)
{
    char tmpl[] = "/tmp/dapt-ws.XXXXXX";
    if (mkdtemp(tmpl) == NULL)
        return -1;
    tmproot = realpath(tmpl, NULL);
    home = xasprintf("%s/home", tmproot);
    char *gitconfig = xasprintf("%s/.gitconfig", home);
    fs_mkdir_p(home, 0755);
    FILE *f = fopen(gitconfig, "w");
    if (f == NULL)
        return -1;
    fputs("[user]\n\tname = Test User\n\temail = test@example.invalid\n", f);
    fclose(f);
    free(gitconfig);
    char *config = xasprintf("%s/.config", home);
    setenv("HOME", home, 1);
    setenv("XDG_CONFIG_HOME", config, 1);
    free(config);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    setenv("GIT_CEILING_DIRECTORIES", tmproot, 1);
    setenv("DAPT_LIBEXECDIR", TOP_BUILDDIR, 1);
    return 0;
}

static int teardown(void **state)
{
    char *cmd = xasprintf("rm -rf '%s'", tmproot);
    int rc = system(cmd);
    free(cmd);
    free(home);
    free(tmproot);
    return rc == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_fresh), cmocka_unit_test(test_init_in_larger_repo),
        cmocka_unit_test(test_commit),     cmocka_unit_test(test_no_identity),
        cmocka_unit_test(test_status),     cmocka_unit_test(test_log),
        cmocka_unit_test(test_show_cat),   cmocka_unit_test(test_diff),
        cmocka_unit_test(test_restore),    cmocka_unit_test(test_clone),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
