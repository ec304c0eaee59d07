/*
 * libexec.c - where dapt's helper programs are: $DAPT_LIBEXECDIR, the
 * installed $(pkglibexecdir), or, for a dapt run from its build tree with
 * nothing installed, the build tree itself (as the registry falls back to
 * the build's plugins).
 */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "engine.h"

#ifndef DAPT_PKGLIBEXECDIR
#define DAPT_PKGLIBEXECDIR "/usr/local/libexec/dapt"
#endif
#ifndef DAPT_BUILDDIR
#define DAPT_BUILDDIR "/nonexistent"
#endif

char *libexec_path(const char *name)
{
    const char *env = getenv("DAPT_LIBEXECDIR");
    if (env != NULL && env[0] != '\0')
        return xasprintf("%s/%s", env, name);
    char *installed = xasprintf("%s/%s", DAPT_PKGLIBEXECDIR, name);
    if (access(installed, X_OK) == 0)
        return installed;
    char *built = xasprintf("%s/%s", DAPT_BUILDDIR, name);
    if (access(built, X_OK) == 0) {
        free(installed);
        return built;
    }
    free(built);
    return installed; /* missing: the caller names it in its message */
}

#ifndef DAPT_PKGDATADIR
#define DAPT_PKGDATADIR "/usr/local/share/dapt"
#endif
#ifndef DAPT_SOURCEDIR
#define DAPT_SOURCEDIR "/nonexistent"
#endif

/* Whether `dir` holds dapt's Python code (its worker package). */
static bool is_python_dir(const char *dir)
{
    char *probe = xasprintf("%s/dapt_worker/__main__.py", dir);
    bool ok = access(probe, R_OK) == 0;
    free(probe);
    return ok;
}

char *libexec_python_dir(void)
{
    const char *env = getenv("DAPT_PYTHON_DIR");
    if (env != NULL && env[0] != '\0')
        return xstrdup(env);
    char *installed = xasprintf("%s/python", DAPT_PKGDATADIR);
    if (is_python_dir(installed))
        return installed;
    char *source = xasprintf("%s/python", DAPT_SOURCEDIR);
    if (is_python_dir(source)) {
        free(installed);
        return source;
    }
    free(source);
    return installed; /* missing: the caller names it in its message */
}
