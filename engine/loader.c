/*
 * loader.c - stage functions out of plugin files, for the processes that
 * run stages: the workers, and the engine itself in thread mode.  A plugin
 * is opened once per process, on first use, and stays open (its code may
 * have left threads or atexit handlers behind; closing it early is never
 * safe).  The registry already vetted the file in a scanner; this opens it
 * again with the same checks, in case it changed since.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

typedef struct loaded {
    char *so;
    void *handle;
    const dapt_plugin_desc *desc;
    char *error; /* why it could not be opened: asked again, told again */
    struct loaded *next;
} loaded;

static pthread_mutex_t loader_lock = PTHREAD_MUTEX_INITIALIZER;
static loaded *loader_list;

/* The entry of `so`, opening it on first use.  Called with the lock held. */
static loaded *loader_open(const char *so)
{
    for (loaded *l = loader_list; l; l = l->next)
        if (strcmp(l->so, so) == 0)
            return l;
    loaded *l = xcalloc(1, sizeof *l);
    l->so = xstrdup(so);
    if (plugin_open(&l->handle, &l->desc, so, &l->error) < 0 && l->error == NULL)
        l->error = xasprintf("%s: cannot be loaded", so);
    l->next = loader_list;
    loader_list = l;
    return l;
}

int loader_get(dapt_stage_fn *fn, const char *so, const char *path, char **error)
{
    *fn = NULL;
    pthread_mutex_lock(&loader_lock);
    loaded *l = loader_open(so);
    if (l->error != NULL)
        *error = xstrdup(l->error);
    else if ((*fn = plugin_desc_stage_fn(l->desc, path)) == NULL)
        *error = xasprintf("%s has no stage target `%s` (any more?): run `dapt plugins show` "
                           "to see what it exports now",
                           so, path);
    pthread_mutex_unlock(&loader_lock);
    return *fn ? 0 : -1;
}

void loader_unload_all(void)
{
    pthread_mutex_lock(&loader_lock);
    while (loader_list) {
        loaded *l = loader_list;
        loader_list = l->next;
        if (l->handle)
            dlclose(l->handle);
        free(l->so);
        free(l->error);
        free(l);
    }
    pthread_mutex_unlock(&loader_lock);
}
