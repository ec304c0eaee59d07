/*
 * dapt-fetch.c - the helper `dapt plugins install` runs to clone a git
 * repository:  dapt-fetch LOCATION REF DEST  (REF "" for the default
 * branch).  Installed in $(pkglibexecdir).
 *
 * It is a program of its own so that the dapt program does not link
 * libgit2: loading libgit2 and the dozen libraries it pulls in cost every
 * dapt command about 1.5 ms, a third of a warm `dapt targets`.  Messages
 * go to standard error, one per line; the exit status is 0 or 1.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

static int fail(const char *what, const char *location)
{
    const git_error *e = git_error_last();
    fprintf(stderr, "dapt: %s %s: %s\n", what, location,
            e && e->message ? e->message : "unknown error");
    return -1;
}

/* Check out REF (a branch, tag or commit; a branch may be the remote's
 * only) as a detached HEAD. */
static int checkout_ref(git_repository *repo, const char *location, const char *ref)
{
    git_object *obj = NULL, *commit = NULL;
    if (git_revparse_single(&obj, repo, ref) < 0) {
        size_t n = strlen(ref) + sizeof "origin/";
        char *remote = malloc(n);
        if (remote == NULL)
            return -1;
        snprintf(remote, n, "origin/%s", ref);
        int rc = git_revparse_single(&obj, repo, remote);
        free(remote);
        if (rc < 0) {
            fprintf(stderr, "dapt: %s has no branch, tag or commit `%s`\n", location, ref);
            return -1;
        }
    }
    int rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
    if (rc < 0) {
        fprintf(stderr, "dapt: `%s` in %s is not a commit\n", ref, location);
    } else {
        git_checkout_options co;
        git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
        co.checkout_strategy = GIT_CHECKOUT_FORCE;
        if (git_checkout_tree(repo, commit, &co) < 0 ||
            git_repository_set_head_detached(repo, git_object_id(commit)) < 0)
            rc = fail("cannot check out", ref);
    }
    git_object_free(commit);
    git_object_free(obj);
    return rc < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: dapt-fetch LOCATION REF DEST  (run by dapt plugins install)\n");
        return 2;
    }
    const char *location = argv[1], *ref = argv[2], *dest = argv[3];
    git_libgit2_init();
    git_clone_options opts;
    git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
    git_repository *repo = NULL;
    int rc = 0;
    if (git_clone(&repo, location, dest, &opts) < 0)
        rc = fail("cannot clone", location);
    else if (ref[0] != '\0')
        rc = checkout_ref(repo, location, ref);
    git_repository_free(repo);
    git_libgit2_shutdown();
    return rc < 0 ? 1 : 0;
}
