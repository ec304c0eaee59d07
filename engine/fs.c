/* fs.c: small file-system helpers shared by the engine and the program. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

int fs_mkdir_p(const char *path, mode_t mode)
{
    char *copy = xstrdup(path);
    int rc = 0;
    for (char *p = copy + 1; rc == 0; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(copy, mode) < 0 && errno != EEXIST)
            rc = -1;
        *p = c;
        if (c == '\0')
            break;
    }
    int saved = errno;
    free(copy);
    errno = saved;
    if (rc == 0) {
        /* EEXIST also covers a file of that name: say what is wrong */
        struct stat st;
        if (stat(path, &st) < 0)
            return -1;
        if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            return -1;
        }
    }
    return rc;
}

int fs_refuse_symlink(const char *path, char **error)
{
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
        return 0;
    char target[512];
    ssize_t n = readlink(path, target, sizeof target - 1);
    target[n < 0 ? 0 : n] = '\0';
    *error = xasprintf("%s is a symbolic link (to %s): dapt does not follow links under .dapt/, "
                       "which could point at any file; replace it with a file or folder of its own",
                       path, n < 0 ? "?" : target);
    errno = ELOOP;
    return -1;
}

int fs_write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* fsync the folder holding `path`, so that a rename into it is durable. */
static void sync_parent(const char *path)
{
    char *copy = xstrdup(path), *slash = strrchr(copy, '/');
    const char *dir = slash == NULL ? "." : slash == copy ? "/" : (*slash = '\0', copy);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool replace)
{
    /* hidden, beside the file: on the same file system, and not listed
     * by whoever reads the folder meanwhile */
    const char *slash = strrchr(path, '/');
    char *tmp = slash ? xasprintf("%.*s/.%s.tmp-XXXXXX", (int)(slash - path), path, slash + 1)
                      : xasprintf(".%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    int rc = fchmod(fd, mode); /* mkstemp makes it 0600 */
    if (rc == 0)
        rc = fs_write_all(fd, data, len);
    if (rc == 0)
        rc = fsync(fd);
    int saved = errno;
    if (close(fd) < 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && replace) {
        rc = rename(tmp, path);
        saved = errno;
    } else if (rc == 0) {
        /* link() fails with EEXIST where rename() would overwrite */
        rc = link(tmp, path);
        saved = errno;
        if (rc < 0 && errno != EEXIST && access(path, F_OK) < 0) {
            rc = rename(tmp, path); /* a file system without hard links */
            saved = errno;
        }
    }
    unlink(tmp);
    free(tmp);
    if (rc == 0)
        sync_parent(path);
    errno = saved;
    return rc;
}

bool fs_yaml_name(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.') /* hidden: an editor's or a tool's */
        return false;
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int path_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int fs_yaml_files(char ***out, size_t *count, const char *dir, dapt_diags *diags)
{
    *out = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT)
            return 0;
        dapt_diags_add(diags, dir, (dapt_pos){0, 0}, DAPT_SEV_ERROR,
                       "cannot read the folder: %s", strerror(errno));
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!fs_yaml_name(e->d_name))
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            *out = xrealloc(*out, *count + 1, sizeof **out);
            (*out)[(*count)++] = path;
        } else {
            free(path);
        }
    }
    closedir(d);
    if (*count > 1)
        qsort(*out, *count, sizeof **out, path_compare);
    return 0;
}

void fs_paths_free(char **paths, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(paths[i]);
    free(paths);
}

char *fs_workflow_file(const char *workspace, const char *name)
{
    static const char *const exts[] = {".yaml", ".yml"};
    for (size_t i = 0; i < 2; i++) {
        char *p = xasprintf("%s/workflows/%s%s", workspace, name, exts[i]);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            return p;
        free(p);
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Trust (OpenSSH's StrictModes)                                       */
/* ------------------------------------------------------------------ */

static char *user_name(uid_t uid)
{
    struct passwd *pw = getpwuid(uid);
    return pw ? xasprintf("user %s (uid %lu)", pw->pw_name, (unsigned long)uid)
              : xasprintf("uid %lu", (unsigned long)uid);
}

static char *my_name(void)
{
    struct passwd *pw = getpwuid(geteuid());
    return pw ? xstrdup(pw->pw_name) : xasprintf("%lu", (unsigned long)geteuid());
}

/* The reason with `subject` as what is wrong ("x.so", "its folder /p"). */
static char *reason_for(const char *subject, const char *path, const struct stat *st, uid_t euid)
{
    static const char *const fix = "or set DAPT_PLUGIN_INSECURE=1 to accept it";
    mode_t w = st->st_mode & (S_IWGRP | S_IWOTH);
    if (w) {
        const char *who = w == (S_IWGRP | S_IWOTH) ? "group and others"
                          : w == S_IWGRP           ? "group"
                                                   : "others";
        return xasprintf("%s is writable by %s: chmod go-w %s, %s", subject, who, path, fix);
    }
    if (st->st_uid != euid && st->st_uid != 0) {
        char *owner = user_name(st->st_uid), *me = my_name();
        char *reason = xasprintf("%s is owned by %s, not by you or root: chown %s %s, %s", subject,
                                 owner, me, path, fix);
        free(owner);
        free(me);
        return reason;
    }
    return NULL;
}

char *fs_untrusted_reason(const char *what, const char *path, const struct stat *st, uid_t euid)
{
    char *subject = xasprintf("%s%s", what, path);
    char *reason = reason_for(subject, path, st, euid);
    free(subject);
    return reason;
}

/* `path` made absolute (not resolved); caller frees. */
static char *absolute(const char *path)
{
    if (path[0] == '/')
        return xstrdup(path);
    char *cwd = getcwd(NULL, 0);
    if (cwd == NULL)
        return xstrdup(path);
    char *abs = xasprintf("%s/%s", cwd, path);
    free(cwd);
    return abs;
}

/*
 * The folders above `abs` (an absolute path), nearest first, up to the
 * root.  A root-owned folder with the sticky bit (/tmp) ends the walk
 * as trusted: no one else can rename or remove what is in it, so a
 * folder of ours there is ours, although anyone may add names.
 */
static char *walk_up(const char *abs, const char *named, uid_t euid)
{
    char *buf = xstrdup(abs);
    char *reason = NULL;
    for (;;) {
        char *slash = strrchr(buf, '/');
        if (slash == NULL || (slash == buf && buf[1] == '\0'))
            break;
        if (slash == buf)
            slash[1] = '\0';
        else
            *slash = '\0';
        struct stat st;
        if (stat(buf, &st) < 0)
            break; /* gone meanwhile: the file's own check says so */
        if (st.st_uid == 0 && (st.st_mode & S_ISVTX))
            break;
        char *subject = xasprintf("the folder %s above %s", buf, named);
        reason = reason_for(subject, buf, &st, euid);
        free(subject);
        if (reason != NULL || strcmp(buf, "/") == 0)
            break;
    }
    free(buf);
    return reason;
}

char *fs_untrusted_path(const char *what, const char *path, uid_t euid)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return NULL; /* nothing to load: the caller's own stat says why */
    char *reason = fs_untrusted_reason(what, path, &st, euid);
    char *abs = absolute(path);
    if (reason == NULL)
        reason = walk_up(abs, path, euid);
    char *real = reason == NULL ? realpath(path, NULL) : NULL;
    if (real != NULL && strcmp(real, abs) != 0) {
        /* through a symbolic link: the file it leads to, and its folders */
        char *subject = xasprintf("%s (the target of %s%s)", real, what, path);
        struct stat rst;
        if (stat(real, &rst) == 0)
            reason = reason_for(subject, real, &rst, euid);
        free(subject);
        if (reason == NULL)
            reason = walk_up(real, real, euid);
    }
    free(real);
    free(abs);
    return reason;
}

void fs_read_fd(int fd, strbuf *out, size_t max)
{
    char buf[8192];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t keep = (size_t)n;
        if (max > 0)
            keep = out->len >= max ? 0 : (max - out->len < keep ? max - out->len : keep);
        strbuf_add(out, buf, keep);
    }
}
