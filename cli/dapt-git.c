/*
 * dapt-git.c - the helper through which dapt does all its git work, with
 * libgit2 (no `git` program needed):
 *
 *     dapt-git SUBCOMMAND [-C WORKSPACE] ARGS...
 *
 * The subcommands and what they print are the contract of
 * engine/workspace.c (see the block "Workspaces under git" in
 * engine/engine.h): JSON on one line, or the raw bytes for show, cat and
 * diff.  On failure the exit status is 1 and standard error holds one line
 * "dapt: MESSAGE" that says what is wrong and what to do; a usage error
 * exits 2.  Installed in $(pkglibexecdir).
 *
 * It is a program of its own so that the dapt program does not link
 * libgit2: loading libgit2 and the dozen libraries it pulls in cost every
 * dapt command about 1.5 ms, a third of a warm `dapt targets`.
 *
 * Paths are given relative to the workspace, which may be a subfolder of a
 * larger repository: each is mapped to its path in the repository.  Commits
 * are made from a private index (HEAD's tree plus exactly the named files),
 * so what the user staged for other files never slips into dapt's commits.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

/* Debian's libgit2 leaks pcre2 match data on every clone (libgit2's
 * memory, not ours): a sanitizer build of this helper must not fail for
 * it.  LeakSanitizer reads this hook; other builds never call it. */
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

/* ------------------------------------------------------------------ */
/* Messages and small helpers                                           */
/* ------------------------------------------------------------------ */

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("dapt: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return -1;
}

/* "dapt: WHAT: libgit2's last error". */
static int fail_git(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail_git(const char *fmt, ...)
{
    const git_error *e = git_error_last();
    va_list ap;
    va_start(ap, fmt);
    fputs("dapt: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, ": %s\n", e && e->message ? e->message : "unknown error");
    va_end(ap);
    return -1;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fputs("dapt: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static json_t *json_oid(const git_oid *id)
{
    if (id == NULL)
        return json_null();
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, id);
    return json_string(hex);
}

/* One JSON document on one line; consumes `v`. */
static int print_json(json_t *v)
{
    int rc =
        json_dumpf(v, stdout, JSON_COMPACT | JSON_ENCODE_ANY) == 0 && putchar('\n') != EOF ? 0 : -1;
    json_decref(v);
    return rc < 0 ? fail("cannot write the answer: %s", strerror(errno)) : 0;
}

static int print_raw(const void *data, size_t len)
{
    if (len > 0 && fwrite(data, 1, len, stdout) != len)
        return fail("cannot write the answer: %s", strerror(errno));
    return 0;
}

/* "2026-11-25T10:37:43Z" */
static json_t *json_time(git_time_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[32];
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return json_null();
    return json_string(buf);
}

/* ------------------------------------------------------------------ */
/* The workspace and its repository                                     */
/* ------------------------------------------------------------------ */

typedef struct ws {
    git_repository *repo;
    char *dir;    /* the workspace, absolute and resolved */
    char *root;   /* the repository's working tree, resolved, no final '/' */
    char *prefix; /* the workspace inside it: "" or "sub/dir/" */
} ws;

static void ws_close(ws *w)
{
    git_repository_free(w->repo);
    free(w->dir);
    free(w->root);
    free(w->prefix);
    memset(w, 0, sizeof *w);
}

/* The workspace folder, resolved; it must exist. */
static char *ws_resolve(const char *dir)
{
    char *real = realpath(dir, NULL);
    struct stat st;
    if (real == NULL || stat(real, &st) < 0) {
        fail("cannot use the workspace %s: %s", dir, strerror(errno));
        free(real);
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        fail("the workspace %s is not a folder", dir);
        free(real);
        return NULL;
    }
    return real;
}

/* Open the repository containing `dir` (searching upward, as git does,
 * stopping at $GIT_CEILING_DIRECTORIES).  `missing_ok`: 1 when none. */
static int ws_open_repo(git_repository **repo, const char *dir, const char *shown, bool missing_ok)
{
    int rc = git_repository_open_ext(repo, dir, 0, getenv("GIT_CEILING_DIRECTORIES"));
    if (rc == GIT_ENOTFOUND && missing_ok)
        return 1;
    if (rc == GIT_ENOTFOUND)
        return fail("%s is not in a git repository: run `dapt init` there to make it a workspace",
                    shown);
    if (rc < 0)
        return fail_git("cannot open the git repository of %s", shown);
    if (git_repository_is_bare(*repo)) {
        fail("%s is in a bare git repository (%s): a workspace needs a working tree", shown,
             git_repository_path(*repo));
        git_repository_free(*repo);
        *repo = NULL;
        return -1;
    }
    return 0;
}

/* Fill root and prefix from an open repository. */
static int ws_locate(ws *w, const char *shown)
{
    const char *workdir = git_repository_workdir(w->repo);
    w->root = workdir ? realpath(workdir, NULL) : NULL;
    if (w->root == NULL)
        return fail("cannot find the working tree of the repository of %s", shown);
    size_t n = strlen(w->root);
    if (strcmp(w->dir, w->root) == 0) {
        w->prefix = xstrdup("");
    } else if (strncmp(w->dir, w->root, n) == 0 && (w->dir[n] == '/' || n == 1)) {
        const char *rest = w->dir + n + (n == 1 ? 0 : 1);
        w->prefix = xasprintf("%s/", rest);
    } else {
        return fail("%s is not inside the working tree %s of its repository", shown, w->root);
    }
    return 0;
}

static int ws_open(ws *w, const char *dir)
{
    memset(w, 0, sizeof *w);
    w->dir = ws_resolve(dir);
    if (w->dir == NULL || ws_open_repo(&w->repo, w->dir, dir, false) != 0 || ws_locate(w, dir) < 0)
        return -1;
    return 0;
}

/*
 * A path given relative to the workspace (or absolute, inside it) as a
 * path of the repository: "." and ".." resolved by name (the file may be
 * gone), never above the repository's root.  "" names the root itself.
 */
static char *ws_path(const ws *w, const char *path)
{
    char *joined;
    size_t ndir = strlen(w->dir), nroot = strlen(w->root);
    if (path[0] == '/') {
        if (strncmp(path, w->dir, ndir) == 0 && (path[ndir] == '/' || path[ndir] == '\0'))
            joined = xasprintf("%s%s", w->prefix, path + ndir);
        else if (strncmp(path, w->root, nroot) == 0 && (path[nroot] == '/' || path[nroot] == '\0'))
            joined = xstrdup(path + nroot);
        else {
            fail("%s is outside the workspace %s: give paths inside it", path, w->dir);
            return NULL;
        }
    } else {
        joined = xasprintf("%s%s", w->prefix, path);
    }
    /* resolve in place: segments are copied down over the ones dropped */
    char *out = xmalloc(strlen(joined) + 1);
    size_t len = 0;
    bool above = false;
    for (char *save = NULL, *seg = strtok_r(joined, "/", &save); seg != NULL;
         seg = strtok_r(NULL, "/", &save)) {
        if (strcmp(seg, ".") == 0)
            continue;
        if (strcmp(seg, "..") == 0) {
            if (len == 0) {
                above = true;
                break;
            }
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--; /* the '/' before the dropped segment */
            continue;
        }
        if (len > 0)
            out[len++] = '/';
        size_t n = strlen(seg);
        memcpy(out + len, seg, n);
        len += n;
    }
    out[len] = '\0';
    free(joined);
    if (above) {
        free(out);
        fail("%s is outside the repository %s: give paths inside the workspace", path, w->root);
        return NULL;
    }
    return out;
}

/* The commit HEAD names, or NULL (with 0) when the repository has none
 * yet. */
static int head_commit(git_commit **out, git_repository *repo)
{
    *out = NULL;
    git_oid id;
    int rc = git_reference_name_to_id(&id, repo, "HEAD");
    if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH)
        return 0;
    if (rc < 0 || git_commit_lookup(out, repo, &id) < 0)
        return fail_git("cannot read HEAD");
    return 0;
}

/* The branch HEAD is on ("main"), even before its first commit; NULL
 * when detached.  Caller frees. */
static char *head_branch(git_repository *repo)
{
    git_reference *head = NULL;
    char *name = NULL;
    if (git_reference_lookup(&head, repo, "HEAD") < 0)
        return NULL;
    const char *target = git_reference_symbolic_target(head);
    if (target != NULL && strncmp(target, "refs/heads/", 11) == 0)
        name = xstrdup(target + 11);
    git_reference_free(head);
    return name;
}

/* REV as a commit: a commit id (or a prefix), a branch, a tag, HEAD~2... */
static int resolve_commit(git_commit **out, git_repository *repo, const char *rev)
{
    git_object *obj = NULL;
    int rc = git_revparse_single(&obj, repo, rev);
    if (rc < 0) {
        git_commit *head = NULL;
        if (head_commit(&head, repo) == 0 && head == NULL)
            return fail("unknown revision `%s`: the repository has no commits yet (commit with "
                        "dapt apply FILE first)",
                        rev);
        git_commit_free(head);
        return fail("unknown revision `%s`: give a commit id, a branch or a tag (dapt history "
                    "FILE lists a file's commits)",
                    rev);
    }
    rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT);
    git_object_free(obj);
    if (rc < 0)
        return fail("`%s` is not a commit: give a commit id, a branch or a tag", rev);
    return 0;
}

/* The entry of `path` in a commit's tree, or NULL. */
static git_tree_entry *commit_entry(git_commit *commit, const char *path)
{
    git_tree *tree = NULL;
    git_tree_entry *entry = NULL;
    if (commit != NULL && path[0] != '\0' && git_commit_tree(&tree, commit) == 0)
        git_tree_entry_bypath(&entry, tree, path);
    git_tree_free(tree);
    git_error_clear();
    return entry;
}

/* The blob of `path` (a repository path) in REV, or -1 after saying why. */
static int rev_blob(git_blob **blob, git_tree_entry **entry_out, git_repository *repo,
                    const char *rev, const char *path, const char *shown)
{
    git_commit *commit = NULL;
    if (resolve_commit(&commit, repo, rev) < 0)
        return -1;
    char short_id[8];
    git_oid_tostr(short_id, sizeof short_id, git_commit_id(commit));
    git_tree_entry *entry = commit_entry(commit, path);
    int rc = 0;
    if (entry == NULL)
        rc = strncmp(rev, short_id, strlen(rev)) == 0
                 ? fail("%s is not in revision %s: dapt history %s lists the commits that have it",
                        shown, short_id, shown)
                 : fail("%s is not in revision %s (%s): dapt history %s lists the commits that "
                        "have it",
                        shown, rev, short_id, shown);
    else if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
        rc = fail("%s is a folder in revision %s (%s): give a file", shown, rev, short_id);
    else if (git_blob_lookup(blob, repo, git_tree_entry_id(entry)) < 0)
        rc = fail_git("cannot read %s in revision %s", shown, rev);
    if (rc == 0 && entry_out != NULL)
        *entry_out = entry;
    else
        git_tree_entry_free(entry);
    git_commit_free(commit);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Committing                                                           */
/* ------------------------------------------------------------------ */

/* The user's identity from git config (repository, then global), or the
 * fallback "dapt <dapt@HOST>". */
static int make_signature(git_signature **sig, git_repository *repo, const char **identity)
{
    if (git_signature_default(sig, repo) == 0) {
        *identity = "git config";
        return 0;
    }
    char host[HOST_NAME_MAX + 1] = "";
    if (gethostname(host, sizeof host) < 0 || host[0] == '\0')
        strcpy(host, "localhost");
    host[sizeof host - 1] = '\0';
    char *email = xasprintf("dapt@%s", host);
    int rc = git_signature_now(sig, "dapt", email);
    free(email);
    if (rc < 0)
        return fail_git("cannot make the fallback identity");
    *identity = "fallback";
    return 0;
}

/* Put the working tree's `path` into `index` (its blob written to the
 * repository), or take it out when the file is gone.  *present: whether
 * the file exists. */
static int stage_path(git_index *index, git_repository *repo, const ws *w, const char *path,
                      const char *shown, bool *present)
{
    char *full = xasprintf("%s/%s", w->root, path);
    struct stat st;
    int rc = 0;
    *present = lstat(full, &st) == 0;
    if (!*present) {
        if (errno != ENOENT && errno != ENOTDIR)
            rc = fail("cannot read %s: %s", full, strerror(errno));
        else if (git_index_get_bypath(index, path, 0) == NULL)
            rc = fail("%s: no such file in the workspace, nor in the last commit", shown);
        else if (git_index_remove(index, path, 0) < 0)
            rc = fail_git("cannot remove %s from the commit", shown);
    } else if (S_ISDIR(st.st_mode)) {
        rc = fail("%s is a folder: give the files in it", shown);
    } else if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
        rc = fail("%s is not a regular file", shown);
    } else {
        git_index_entry entry;
        memset(&entry, 0, sizeof entry);
        entry.path = path;
        entry.mode = S_ISLNK(st.st_mode)   ? GIT_FILEMODE_LINK
                     : (st.st_mode & 0100) ? GIT_FILEMODE_BLOB_EXECUTABLE
                                           : GIT_FILEMODE_BLOB;
        entry.file_size = (uint32_t)st.st_size;
        if (git_blob_create_from_workdir(&entry.id, repo, path) < 0 ||
            git_index_add(index, &entry) < 0)
            rc = fail_git("cannot add %s", shown);
    }
    free(full);
    return rc;
}

/* Record the same paths in the repository's own index, so that `git
 * status` agrees with the commit; what the user staged for other files
 * stays staged. */
static int update_index(git_repository *repo, char **paths, const bool *present, size_t n)
{
    git_index *index = NULL;
    int rc = git_repository_index(&index, repo);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = present[i] ? git_index_add_bypath(index, paths[i])
                        : git_index_remove_bypath(index, paths[i]);
    }
    if (rc == 0)
        rc = git_index_write(index);
    git_index_free(index);
    return rc < 0 ? fail_git("cannot update the git index (is another git command running?)") : 0;
}

typedef struct commit_result {
    git_oid id;
    bool made;            /* false: the tree did not change */
    const char *identity; /* "git config" or "fallback" */
} commit_result;

/* Commit `paths` (repository paths; `shown`: as the user gave them) as
 * they are in the working tree, on top of HEAD. */
static int commit_paths(commit_result *res, const ws *w, char **paths, char **shown, size_t n,
                        const char *message)
{
    git_repository *repo = w->repo;
    git_commit *parent = NULL;
    git_tree *parent_tree = NULL, *tree = NULL;
    git_index *index = NULL;
    git_signature *sig = NULL;
    git_buf msg = {0};
    bool *present = xmalloc(n * sizeof *present);
    git_oid tree_id;
    int rc = -1;

    memset(res, 0, sizeof *res);
    if (head_commit(&parent, repo) < 0 || make_signature(&sig, repo, &res->identity) < 0)
        goto out;
    if (git_index_new(&index) < 0 ||
        (parent != NULL && (git_commit_tree(&parent_tree, parent) < 0 ||
                            git_index_read_tree(index, parent_tree) < 0))) {
        fail_git("cannot read the last commit");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (stage_path(index, repo, w, paths[i], shown[i], &present[i]) < 0)
            goto out;
    }
    if (git_index_write_tree_to(&tree_id, index, repo) < 0) {
        fail_git("cannot write the commit's tree");
        goto out;
    }
    bool empty = parent == NULL && git_index_entrycount(index) == 0;
    if (empty || (parent_tree != NULL && git_oid_equal(&tree_id, git_tree_id(parent_tree)))) {
        rc = 0; /* nothing changed: no commit */
        goto out;
    }
    if (git_message_prettify(&msg, message, 0, '#') < 0 || msg.size == 0) {
        fail("the commit message is empty: give one with -m");
        goto out;
    }
    if (update_index(repo, paths, present, n) < 0)
        goto out;
    const git_commit *parents[1] = {parent};
    if (git_tree_lookup(&tree, repo, &tree_id) < 0 ||
        git_commit_create(&res->id, repo, "HEAD", sig, sig, NULL, msg.ptr, tree, parent ? 1 : 0,
                          parents) < 0) {
        fail_git("cannot commit");
        goto out;
    }
    res->made = true;
    rc = 0;
out:
    git_buf_dispose(&msg);
    git_signature_free(sig);
    git_index_free(index);
    git_tree_free(tree);
    git_tree_free(parent_tree);
    git_commit_free(parent);
    free(present);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Arguments                                                            */
/* ------------------------------------------------------------------ */

typedef struct args {
    const char *dir;     /* -C; "." by default */
    const char *message; /* -m */
    char **pos;          /* positional arguments before "--" */
    int npos;
    char **paths; /* after "--" */
    int npaths;
} args;

typedef struct command {
    const char *name;
    int (*run)(const args *a);
    const char *usage;
    int min, max;  /* positional arguments (max -1: any) */
    bool message;  /* takes -m */
    bool dashdash; /* takes `-- PATH...` */
} command;

/* ------------------------------------------------------------------ */
/* init                                                                 */
/* ------------------------------------------------------------------ */

/* What is new under the workspace (untracked and not ignored, or added
 * to the index but never committed) and still in the working tree. */
static int new_files(char ***out, size_t *count, const ws *w)
{
    git_status_options opts;
    git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
    opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
                 GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
    char *spec = w->prefix;
    if (spec[0] != '\0') {
        opts.pathspec.strings = &spec;
        opts.pathspec.count = 1;
    }
    git_status_list *list = NULL;
    if (git_status_list_new(&list, w->repo, &opts) < 0)
        return fail_git("cannot list the files of %s", w->dir);
    size_t n = git_status_list_entrycount(list);
    *out = xmalloc((n + 1) * sizeof **out);
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        const git_status_entry *e = git_status_byindex(list, i);
        if (!(e->status & (GIT_STATUS_WT_NEW | GIT_STATUS_INDEX_NEW)) ||
            (e->status & GIT_STATUS_WT_DELETED))
            continue;
        const git_diff_delta *d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
        (*out)[(*count)++] = xstrdup(d->new_file.path);
    }
    git_status_list_free(list);
    return 0;
}

static int cmd_init(const args *a)
{
    ws w = {0};
    char **paths = NULL;
    size_t n = 0;
    bool created = false;
    commit_result res = {.identity = NULL};
    int rc = -1;

    w.dir = ws_resolve(a->dir);
    if (w.dir == NULL)
        goto out;
    int found = ws_open_repo(&w.repo, w.dir, a->dir, true);
    if (found < 0)
        goto out;
    if (found == 1) {
        if (git_repository_init(&w.repo, w.dir, 0) < 0) {
            fail_git("cannot make %s a git repository", a->dir);
            goto out;
        }
        created = true;
    }
    if (ws_locate(&w, a->dir) < 0 || new_files(&paths, &n, &w) < 0)
        goto out;
    if (n > 0) {
        if (commit_paths(&res, &w, paths, paths, n, "dapt init") < 0)
            goto out;
    } else {
        git_signature *sig = NULL;
        if (make_signature(&sig, w.repo, &res.identity) < 0)
            goto out;
        git_signature_free(sig);
    }
    rc = print_json(json_pack("{s:s, s:s, s:b, s:o, s:s}", "repo", w.root, "workspace", w.dir,
                              "created", created, "commit", json_oid(res.made ? &res.id : NULL),
                              "identity", res.identity));
out:
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    ws_close(&w);
    return rc;
}

/* ------------------------------------------------------------------ */
/* commit                                                               */
/* ------------------------------------------------------------------ */

static int cmd_commit(const args *a)
{
    ws w = {0};
    size_t n = (size_t)a->npos + (size_t)a->npaths;
    char **paths = xmalloc(n * sizeof *paths), **shown = xmalloc(n * sizeof *shown);
    size_t mapped = 0;
    int rc = -1;
    if (a->message == NULL || a->message[0] == '\0') {
        fail("a commit needs a message: give it with -m");
        goto out;
    }
    if (ws_open(&w, a->dir) < 0)
        goto out;
    for (; mapped < n; mapped++) {
        shown[mapped] = mapped < (size_t)a->npos ? a->pos[mapped] : a->paths[mapped - a->npos];
        paths[mapped] = ws_path(&w, shown[mapped]);
        if (paths[mapped] == NULL)
            goto out;
        if (paths[mapped][0] == '\0') {
            fail("%s is the repository's root folder: give the files to commit", shown[mapped]);
            mapped++;
            goto out;
        }
    }
    commit_result res;
    if (commit_paths(&res, &w, paths, shown, n, a->message) < 0)
        goto out;
    rc = print_json(json_pack("{s:o, s:b, s:s}", "commit", json_oid(res.made ? &res.id : NULL),
                              "unchanged", !res.made, "identity", res.identity));
out:
    for (size_t i = 0; i < mapped; i++)
        free(paths[i]);
    free(paths);
    free(shown);
    ws_close(&w);
    return rc;
}

/* ------------------------------------------------------------------ */
/* status                                                               */
/* ------------------------------------------------------------------ */

/* Any change to a tracked file under the workspace, staged or not. */
static int ws_dirty(bool *dirty, const ws *w)
{
    git_status_options opts;
    git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
    opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    opts.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
    char *spec = w->prefix;
    if (spec[0] != '\0') {
        opts.pathspec.strings = &spec;
        opts.pathspec.count = 1;
    }
    git_status_list *list = NULL;
    if (git_status_list_new(&list, w->repo, &opts) < 0)
        return fail_git("cannot read the status of %s", w->dir);
    *dirty = git_status_list_entrycount(list) > 0;
    git_status_list_free(list);
    return 0;
}

/* The blob id the working tree's file would have, as git would store it
 * (filters applied), without writing it; 0 with *exists false when the
 * file is gone. */
static int worktree_blob(git_oid *id, bool *exists, const ws *w, const char *path,
                         const char *shown)
{
    char *full = xasprintf("%s/%s", w->root, path);
    struct stat st;
    int rc = 0;
    *exists = lstat(full, &st) == 0;
    if (!*exists) {
        if (errno != ENOENT && errno != ENOTDIR)
            rc = fail("cannot read %s: %s", full, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        rc = fail("%s is a folder: give the files in it", shown);
    } else if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t len = readlink(full, target, sizeof target);
        if (len < 0 || git_odb_hash(id, target, (size_t)len, GIT_OBJECT_BLOB) < 0)
            rc = fail("cannot read the link %s: %s", full, strerror(errno));
    } else if (git_repository_hashfile(id, w->repo, path, GIT_OBJECT_BLOB, path) < 0) {
        rc = fail_git("cannot read %s", shown);
    }
    free(full);
    return rc;
}

static json_t *file_status(const ws *w, git_commit *head, const char *shown, int *rc)
{
    char *path = ws_path(w, shown);
    if (path == NULL) {
        *rc = -1;
        return NULL;
    }
    git_oid blob;
    bool exists;
    if (worktree_blob(&blob, &exists, w, path, shown) < 0) {
        free(path);
        *rc = -1;
        return NULL;
    }
    git_tree_entry *entry = commit_entry(head, path);
    const git_oid *head_blob = NULL;
    if (entry != NULL && git_tree_entry_type(entry) == GIT_OBJECT_BLOB)
        head_blob = git_tree_entry_id(entry);
    const char *state = !exists                           ? "missing"
                        : head_blob == NULL               ? "untracked"
                        : git_oid_equal(&blob, head_blob) ? "clean"
                                                          : "modified";
    json_t *obj =
        json_pack("{s:s, s:o, s:o, s:s}", "path", shown, "blob", json_oid(exists ? &blob : NULL),
                  "head_blob", json_oid(head_blob), "state", state);
    git_tree_entry_free(entry);
    free(path);
    return obj;
}

static int cmd_status(const args *a)
{
    ws w;
    git_commit *head = NULL;
    json_t *files = json_array();
    int rc = -1;
    bool dirty = false;
    if (ws_open(&w, a->dir) < 0 || head_commit(&head, w.repo) < 0 || ws_dirty(&dirty, &w) < 0)
        goto out;
    rc = 0;
    for (int i = 0; rc == 0 && i < a->npos + a->npaths; i++) {
        const char *p = i < a->npos ? a->pos[i] : a->paths[i - a->npos];
        json_t *f = file_status(&w, head, p, &rc);
        if (f != NULL)
            json_array_append_new(files, f);
    }
    if (rc == 0) {
        char *branch = head_branch(w.repo);
        rc = print_json(json_pack("{s:s, s:o, s:o, s:b, s:O}", "repo", w.root, "head",
                                  json_oid(head ? git_commit_id(head) : NULL), "branch",
                                  branch ? json_string(branch) : json_null(), "dirty", dirty,
                                  "files", files));
        free(branch);
    }
out:
    json_decref(files);
    git_commit_free(head);
    ws_close(&w);
    return rc;
}

/* ------------------------------------------------------------------ */
/* log                                                                  */
/* ------------------------------------------------------------------ */

/* The message without its trailing newlines. */
static json_t *json_message(const git_commit *c)
{
    const char *m = git_commit_message(c);
    size_t n = m ? strlen(m) : 0;
    while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == '\r'))
        n--;
    return json_stringn(m ? m : "", n);
}

/* Did `commit` bring a new version of `path` (or the file itself)?
 * *blob: its version there. */
static bool changed_in(git_commit *commit, const char *path, git_oid *blob)
{
    git_tree_entry *entry = commit_entry(commit, path);
    if (entry == NULL || git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
        git_tree_entry_free(entry);
        return false;
    }
    git_oid_cpy(blob, git_tree_entry_id(entry));
    git_tree_entry_free(entry);
    git_commit *parent = NULL;
    bool changed = true;
    if (git_commit_parentcount(commit) > 0 && git_commit_parent(&parent, commit, 0) == 0) {
        git_tree_entry *before = commit_entry(parent, path);
        changed = before == NULL || !git_oid_equal(git_tree_entry_id(before), blob);
        git_tree_entry_free(before);
    }
    git_commit_free(parent);
    return changed;
}

static json_t *log_entry(git_commit *c, const git_oid *blob)
{
    const git_signature *author = git_commit_author(c);
    return json_pack("{s:o, s:s, s:s, s:o, s:o, s:o}", "commit", json_oid(git_commit_id(c)),
                     "author", author->name ? author->name : "", "email",
                     author->email ? author->email : "", "date", json_time(author->when.time),
                     "message", json_message(c), "blob", json_oid(blob));
}

static int cmd_log(const args *a)
{
    ws w;
    git_commit *head = NULL;
    git_revwalk *walk = NULL;
    char *path = NULL;
    json_t *out = json_array();
    int rc = -1;
    if (ws_open(&w, a->dir) < 0 || head_commit(&head, w.repo) < 0 ||
        (path = ws_path(&w, a->pos[0])) == NULL)
        goto out;
    if (head != NULL) {
        if (git_revwalk_new(&walk, w.repo) < 0 ||
            git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME) < 0 ||
            git_revwalk_push(walk, git_commit_id(head)) < 0) {
            fail_git("cannot walk the history");
            goto out;
        }
        git_oid id;
        int next;
        while ((next = git_revwalk_next(&id, walk)) == 0) {
            git_commit *c = NULL;
            git_oid blob;
            if (git_commit_lookup(&c, w.repo, &id) < 0) {
                fail_git("cannot read commit");
                goto out;
            }
            if (changed_in(c, path, &blob))
                json_array_append_new(out, log_entry(c, &blob));
            git_commit_free(c);
        }
        if (next != GIT_ITEROVER) {
            fail_git("cannot walk the history");
            goto out;
        }
    }
    rc = print_json(json_incref(out));
out:
    json_decref(out);
    git_revwalk_free(walk);
    free(path);
    git_commit_free(head);
    ws_close(&w);
    return rc;
}

/* ------------------------------------------------------------------ */
/* show, cat                                                            */
/* ------------------------------------------------------------------ */

static int cmd_show(const args *a)
{
    ws w;
    char *path = NULL;
    git_blob *blob = NULL;
    int rc = -1;
    if (ws_open(&w, a->dir) == 0 && (path = ws_path(&w, a->pos[1])) != NULL &&
        rev_blob(&blob, NULL, w.repo, a->pos[0], path, a->pos[1]) == 0)
        rc = print_raw(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
    git_blob_free(blob);
    free(path);
    ws_close(&w);
    return rc;
}

static int cmd_cat(const args *a)
{
    ws w;
    git_blob *blob = NULL;
    git_oid id;
    const char *hex = a->pos[0];
    size_t len = strlen(hex);
    int rc = -1;
    if (ws_open(&w, a->dir) < 0)
        goto out;
    if (len < GIT_OID_MINPREFIXLEN || len > GIT_OID_HEXSZ ||
        strspn(hex, "0123456789abcdefABCDEF") != len || git_oid_fromstrn(&id, hex, len) < 0) {
        fail("`%s` is not a blob id (4 to 40 hex digits, as dapt status or dapt history show them)",
             hex);
        goto out;
    }
    int found = git_blob_lookup_prefix(&blob, w.repo, &id, len);
    if (found == GIT_EAMBIGUOUS)
        fail("`%s` names more than one object: give more of the id", hex);
    else if (found < 0)
        fail("no blob `%s` in the repository of %s", hex, w.dir);
    else
        rc = print_raw(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
out:
    git_blob_free(blob);
    ws_close(&w);
    return rc;
}

/* ------------------------------------------------------------------ */
/* diff                                                                 */
/* ------------------------------------------------------------------ */

static int rev_tree(git_tree **tree, git_repository *repo, const char *rev)
{
    git_commit *c = NULL;
    if (resolve_commit(&c, repo, rev) < 0)
        return -1;
    int rc = git_commit_tree(tree, c);
    git_commit_free(c);
    return rc < 0 ? fail_git("cannot read revision %s", rev) : 0;
}

static int cmd_diff(const args *a)
{
    ws w;
    git_tree *old_tree = NULL, *new_tree = NULL;
    git_commit *head = NULL;
    git_diff *diff = NULL;
    git_buf buf = {0};
    size_t nspec = a->npaths > 0 ? (size_t)a->npaths : 1;
    char **spec = xmalloc(nspec * sizeof *spec);
    size_t mapped = 0;
    int rc = -1;

    if (ws_open(&w, a->dir) < 0)
        goto out;
    /* the named files, or else the whole workspace */
    if (a->npaths == 0)
        spec[mapped++] = xstrdup(w.prefix);
    for (; (int)mapped < a->npaths; mapped++) {
        if ((spec[mapped] = ws_path(&w, a->paths[mapped])) == NULL)
            goto out;
    }
    git_diff_options opts;
    git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
    if (spec[0][0] != '\0' || mapped > 1) {
        opts.pathspec.strings = spec;
        opts.pathspec.count = mapped;
    }
    /* a named file that was never committed shows as added */
    if (a->npaths > 0)
        opts.flags |= GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS |
                      GIT_DIFF_SHOW_UNTRACKED_CONTENT;
    if (a->npos >= 1 && rev_tree(&old_tree, w.repo, a->pos[0]) < 0)
        goto out;
    if (a->npos == 0) {
        if (head_commit(&head, w.repo) < 0 || (head && git_commit_tree(&old_tree, head) < 0))
            goto out;
    }
    if (a->npos == 2) {
        if (rev_tree(&new_tree, w.repo, a->pos[1]) < 0)
            goto out;
        if (git_diff_tree_to_tree(&diff, w.repo, old_tree, new_tree, &opts) < 0) {
            fail_git("cannot compare %s and %s", a->pos[0], a->pos[1]);
            goto out;
        }
    } else if (git_diff_tree_to_workdir_with_index(&diff, w.repo, old_tree, &opts) < 0) {
        fail_git("cannot compare with the working tree");
        goto out;
    }
    if (git_diff_to_buf(&buf, diff, GIT_DIFF_FORMAT_PATCH) < 0) {
        fail_git("cannot format the diff");
        goto out;
    }
    rc = print_raw(buf.ptr, buf.size);
out:
    git_buf_dispose(&buf);
    git_diff_free(diff);
    git_tree_free(old_tree);
    git_tree_free(new_tree);
    git_commit_free(head);
    for (size_t i = 0; i < mapped; i++)
        free(spec[i]);
    free(spec);
    ws_close(&w);
    return rc;
}

/* ------------------------------------------------------------------ */
/* restore                                                              */
/* ------------------------------------------------------------------ */

/* mkdir -p of the folders above `path` (inside the working tree). */
static int make_parents(const char *path)
{
    char *dir = xstrdup(path);
    int rc = 0;
    for (char *p = strchr(dir + 1, '/'); rc == 0 && p != NULL; p = strchr(p + 1, '/')) {
        *p = '\0';
        if (mkdir(dir, 0777) < 0 && errno != EEXIST)
            rc = fail("cannot create the folder %s: %s", dir, strerror(errno));
        *p = '/';
    }
    free(dir);
    return rc;
}

/* Write `data` to `path` atomically: a temporary file beside it, fsync,
 * rename.  A symbolic link when `link`. */
static int write_atomic(const char *path, const char *data, size_t len, mode_t mode, bool link)
{
    char *tmp = xasprintf("%s.dapt-XXXXXX", path);
    int fd = mkstemp(tmp);
    int rc = 0;
    if (fd < 0) {
        rc = fail("cannot write %s: %s", path, strerror(errno));
        free(tmp);
        return rc;
    }
    if (link) {
        char *target = memcpy(xmalloc(len + 1), data, len);
        target[len] = '\0';
        close(fd);
        if (unlink(tmp) < 0 || symlink(target, tmp) < 0)
            rc = fail("cannot write the link %s: %s", path, strerror(errno));
        free(target);
    } else {
        size_t done = 0;
        while (rc == 0 && done < len) {
            ssize_t n = write(fd, data + done, len - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                rc = fail("cannot write %s: %s", path, strerror(errno));
            else
                done += (size_t)n;
        }
        if (rc == 0 && (fchmod(fd, mode) < 0 || fsync(fd) < 0))
            rc = fail("cannot write %s: %s", path, strerror(errno));
        if (close(fd) < 0 && rc == 0)
            rc = fail("cannot write %s: %s", path, strerror(errno));
    }
    if (rc == 0 && rename(tmp, path) < 0)
        rc = fail("cannot replace %s: %s", path, strerror(errno));
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* The mode the restored file gets: the present file's, else the one
 * recorded in the commit (less the umask). */
static mode_t restore_mode(const char *full, git_filemode_t recorded)
{
    struct stat st;
    if (lstat(full, &st) == 0 && S_ISREG(st.st_mode))
        return st.st_mode & 07777;
    mode_t mask = umask(0);
    umask(mask);
    return (recorded == GIT_FILEMODE_BLOB_EXECUTABLE ? 0777 : 0666) & ~mask;
}

static int cmd_restore(const args *a)
{
    ws w;
    char *path = NULL, *full = NULL;
    git_blob *blob = NULL;
    git_tree_entry *entry = NULL;
    git_buf buf = {0};
    int rc = -1;
    const char *rev = a->pos[0], *shown = a->pos[1];
    if (ws_open(&w, a->dir) < 0 || (path = ws_path(&w, shown)) == NULL ||
        rev_blob(&blob, &entry, w.repo, rev, path, shown) < 0)
        goto out;
    git_filemode_t mode = git_tree_entry_filemode(entry);
    bool link = mode == GIT_FILEMODE_LINK;
    git_blob_filter_options fopts;
    git_blob_filter_options_init(&fopts, GIT_BLOB_FILTER_OPTIONS_VERSION);
    /* the working tree's form (line endings, filters) unless a link */
    if (!link && git_blob_filter(&buf, blob, path, &fopts) < 0) {
        fail_git("cannot convert %s for the working tree", shown);
        goto out;
    }
    full = xasprintf("%s/%s", w.root, path);
    const char *data = link ? git_blob_rawcontent(blob) : buf.ptr;
    size_t len = link ? (size_t)git_blob_rawsize(blob) : buf.size;
    if (make_parents(full) < 0 || write_atomic(full, data, len, restore_mode(full, mode), link) < 0)
        goto out;
    git_commit *c = NULL;
    git_oid commit_id;
    if (resolve_commit(&c, w.repo, rev) < 0)
        goto out;
    git_oid_cpy(&commit_id, git_commit_id(c));
    git_commit_free(c);
    rc = print_json(json_pack("{s:s, s:o, s:o}", "path", shown, "commit", json_oid(&commit_id),
                              "blob", json_oid(git_blob_id(blob))));
out:
    git_buf_dispose(&buf);
    git_tree_entry_free(entry);
    git_blob_free(blob);
    free(full);
    free(path);
    ws_close(&w);
    return rc;
}

/* ------------------------------------------------------------------ */
/* clone                                                                */
/* ------------------------------------------------------------------ */

/* Check out REF (a branch, tag or commit; a branch may be the remote's
 * only) as a detached HEAD. */
static int checkout_ref(git_repository *repo, const char *location, const char *ref)
{
    git_object *obj = NULL, *commit = NULL;
    if (git_revparse_single(&obj, repo, ref) < 0) {
        char *remote = xasprintf("origin/%s", ref);
        int rc = git_revparse_single(&obj, repo, remote);
        free(remote);
        if (rc < 0)
            return fail("%s has no branch, tag or commit `%s`", location, ref);
    }
    int rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
    if (rc < 0) {
        fail("`%s` in %s is not a commit", ref, location);
    } else {
        git_checkout_options co;
        git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
        co.checkout_strategy = GIT_CHECKOUT_FORCE;
        if (git_checkout_tree(repo, commit, &co) < 0 ||
            git_repository_set_head_detached(repo, git_object_id(commit)) < 0)
            rc = fail_git("cannot check out %s", ref);
    }
    git_object_free(commit);
    git_object_free(obj);
    return rc < 0 ? -1 : 0;
}

/* clone LOCATION REF DEST: REF "" for the default branch. */
static int cmd_clone(const args *a)
{
    const char *location = a->pos[0], *ref = a->pos[1], *dest = a->pos[2];
    git_clone_options opts;
    git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
    git_repository *repo = NULL;
    git_commit *head = NULL;
    int rc = -1;
    if (git_clone(&repo, location, dest, &opts) < 0)
        fail_git("cannot clone %s", location);
    else if ((ref[0] == '\0' || checkout_ref(repo, location, ref) == 0) &&
             head_commit(&head, repo) == 0) {
        if (head == NULL)
            fail("%s has no commits", location);
        else
            rc = print_json(
                json_pack("{s:s, s:o}", "url", location, "commit", json_oid(git_commit_id(head))));
    }
    git_commit_free(head);
    git_repository_free(repo);
    return rc;
}

/* ------------------------------------------------------------------ */
/* main                                                                 */
/* ------------------------------------------------------------------ */

static const command commands[] = {
    {.name = "init", .run = cmd_init, .usage = "init -C WORKSPACE", .min = 0, .max = 0},
    {.name = "commit",
     .run = cmd_commit,
     .usage = "commit -C WORKSPACE -m MESSAGE PATH...",
     .min = 0,
     .max = -1,
     .message = true,
     .dashdash = true},
    {.name = "status",
     .run = cmd_status,
     .usage = "status -C WORKSPACE [PATH...]",
     .min = 0,
     .max = -1,
     .dashdash = true},
    {.name = "log", .run = cmd_log, .usage = "log -C WORKSPACE PATH", .min = 1, .max = 1},
    {.name = "show", .run = cmd_show, .usage = "show -C WORKSPACE REV PATH", .min = 2, .max = 2},
    {.name = "cat", .run = cmd_cat, .usage = "cat -C WORKSPACE BLOB", .min = 1, .max = 1},
    {.name = "diff",
     .run = cmd_diff,
     .usage = "diff -C WORKSPACE [REV [REV]] [-- PATH...]",
     .min = 0,
     .max = 2,
     .dashdash = true},
    {.name = "restore",
     .run = cmd_restore,
     .usage = "restore -C WORKSPACE REV PATH",
     .min = 2,
     .max = 2},
    {.name = "clone", .run = cmd_clone, .usage = "clone LOCATION REF DEST", .min = 3, .max = 3},
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static int usage(const command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage(const command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("dapt: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (cmd != NULL)
        fprintf(stderr, "usage: dapt-git %s\n", cmd->usage);
    else
        for (size_t i = 0; i < COMMAND_COUNT; i++)
            fprintf(stderr, "%s dapt-git %s\n", i ? "      " : "usage:", commands[i].usage);
    return 2;
}

static int parse_args(args *a, const command *cmd, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->dir = ".";
    a->pos = xmalloc((size_t)argc * sizeof *a->pos);
    bool done = false;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (done) {
            a->paths = &argv[i];
            a->npaths = argc - i;
            break;
        }
        if (strcmp(arg, "--") == 0 && cmd->dashdash) {
            done = true;
        } else if (strcmp(arg, "-C") == 0 || (strcmp(arg, "-m") == 0 && cmd->message)) {
            if (i + 1 == argc)
                return usage(cmd, "%s needs a value", arg);
            *(arg[1] == 'C' ? &a->dir : &a->message) = argv[++i];
        } else if (arg[0] == '-' && arg[1] != '\0' && strcmp(cmd->name, "clone") != 0) {
            return usage(cmd, "unknown option %s", arg);
        } else {
            a->pos[a->npos++] = argv[i];
        }
    }
    if (a->npos < cmd->min || (cmd->max >= 0 && a->npos > cmd->max))
        return usage(cmd, "wrong number of arguments to %s", cmd->name);
    if (strcmp(cmd->name, "commit") == 0 && a->npos + a->npaths == 0)
        return usage(cmd, "%s: no file to commit", cmd->name);
    return 0;
}

int main(int argc, char **argv)
{
    /* `-C DIR` may also come before the subcommand */
    const char *dir = NULL;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "-C") == 0) {
        dir = argv[2];
        first = 3;
    }
    if (argc <= first)
        return usage(NULL, "%s", "no subcommand (run by dapt)");
    const command *cmd = NULL;
    for (size_t i = 0; i < COMMAND_COUNT && cmd == NULL; i++) {
        if (strcmp(commands[i].name, argv[first]) == 0)
            cmd = &commands[i];
    }
    if (cmd == NULL)
        return usage(NULL, "unknown subcommand %s", argv[first]);
    args a;
    int rc = parse_args(&a, cmd, argc - first - 1, argv + first + 1);
    if (rc != 0) {
        free(a.pos);
        return rc;
    }
    if (dir != NULL && strcmp(a.dir, ".") == 0)
        a.dir = dir;

    git_libgit2_init();
    /* as git does: no system-wide configuration when asked */
    const char *nosystem = getenv("GIT_CONFIG_NOSYSTEM");
    if (nosystem != NULL && nosystem[0] != '\0' && strcmp(nosystem, "0") != 0 &&
        strcmp(nosystem, "false") != 0)
        git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "");
    rc = cmd->run(&a);
    if (rc == 0 && fflush(stdout) != 0)
        rc = fail("cannot write the answer: %s", strerror(errno));
    git_libgit2_shutdown();
    free(a.pos);
    return rc < 0 ? 1 : 0;
}
