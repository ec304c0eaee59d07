/*
 * bench-run.c - time a whole command, process start to exit, several times.
 *
 *   bench-run [-r RUNS] [-f VAR] [-o FILE] -- COMMAND [ARG]...
 *
 * Runs COMMAND RUNS times (default 10) with standard output to FILE
 * (default /dev/null) and prints the best and the median wall time
 * (monotonic clock, fork to wait) as one machine-readable line:
 *
 *   result: runs=10 best_ms=2.130 median_ms=2.410
 *
 * -f VAR gives every run a new, empty folder in the environment variable
 * VAR (made before the clock starts, removed after it stops): with
 * XDG_CACHE_HOME, every run is a cold start.  Fails (exit 1) when COMMAND
 * fails: a benchmark of a failed run measures nothing.  bench/discovery
 * uses it for both dapt and the Python anchors, so both sides pay the same
 * process start and the same measurement.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int compare(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* One run: 0 and its time, or -1 when the command failed. */
static int run_once(char **argv, const char *out, double *ms)
{
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench-run: fork");
        return -1;
    }
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
            perror(out);
            _exit(127);
        }
        close(fd);
        execvp(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    *ms = now_ms() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench-run: %s failed (%s %d)\n", argv[0],
                WIFEXITED(status) ? "exit" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int runs = 10, opt;
    const char *fresh = NULL, *out = "/dev/null";
    while ((opt = getopt(argc, argv, "+r:f:o:")) != -1) {
        switch (opt) {
        case 'r':
            runs = atoi(optarg);
            break;
        case 'f':
            fresh = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        default:
            goto usage;
        }
    }
    if (optind >= argc || runs < 1)
        goto usage;

    double *times = calloc((size_t)runs, sizeof *times);
    if (times == NULL)
        return 1;
    for (int i = 0; i < runs; i++) {
        char dir[] = "/tmp/bench-run.XXXXXX";
        if (fresh) {
            if (mkdtemp(dir) == NULL) {
                perror("bench-run: mkdtemp");
                return 1;
            }
            setenv(fresh, dir, 1);
        }
        int rc = run_once(argv + optind, out, &times[i]);
        if (fresh)
            nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        if (rc < 0)
            return 1;
    }
    qsort(times, (size_t)runs, sizeof *times, compare);
    double median = runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
    printf("result: runs=%d best_ms=%.3f median_ms=%.3f\n", runs, times[0], median);
    free(times);
    return 0;

usage:
    fprintf(stderr, "usage: bench-run [-r RUNS] [-f VAR] [-o FILE] -- COMMAND [ARG]...\n");
    return 2;
}
