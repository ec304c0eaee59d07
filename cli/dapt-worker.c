/*
 * dapt-worker.c - a process of the engine's worker pool: `dapt-worker --fd
 * N`, where N is its end of a socketpair to the engine (exec-process.c
 * spawns it; it is not meant to be run by hand).  Everything else is
 * engine/worker.c.  Installed in $(pkglibexecdir).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "engine.h"

static int usage(void)
{
    fprintf(stderr, "usage: dapt-worker --fd N  (run by dapt's engine: it runs stages for "
                    "the process pool over the socket N)\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--fd") != 0)
        return usage();
    char *end;
    errno = 0;
    long fd = strtol(argv[2], &end, 10);
    if (errno != 0 || end == argv[2] || *end != '\0' || fd < 0 || fd > INT_MAX)
        return usage();
    int flags = fcntl((int)fd, F_GETFD);
    if (flags < 0) {
        fprintf(stderr, "dapt-worker: file descriptor %ld is not open\n", fd);
        return 2;
    }
    /* programs a stage starts must not hold the engine's socket open */
    fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
    /* what a stage starts and leaves (daemons too) becomes our child, to
     * be killed when its call ends (worker.c) */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    /* stop with the engine: a worker whose dapt was killed (kill -9, OOM)
     * must not run its stage on to the end; SIGHUP cancels the call and
     * ends the worker's process group soon after (worker.c) */
    prctl(PR_SET_PDEATHSIG, SIGHUP);
    if (getppid() == 1)
        return 1; /* the engine died before we got here */
    return worker_main((int)fd);
}
