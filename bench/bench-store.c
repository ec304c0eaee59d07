/*
 * bench-store.c - the run store's write path: LINES log lines of 80
 * characters queued in batches of BATCH (as the engine's bus hands them
 * over), then flushed; the figure is lines per second from the first put
 * to the end of the flush.  Then what reading costs: the first grep
 * (which builds the FTS5 index), a second grep, and reading every line.
 *
 *     bench/bench-store [LINES [BATCH]]     (default 1000000 1000)
 *
 * The store lives in a fresh temporary workspace, removed afterwards.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

static double secs(int64_t from)
{
    return (double)(clock_mono_us() - from) / 1e6;
}

static long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

static void lines_query(store *st, const char *what, const char *grep, int limit)
{
    json_t *out;
    char *error = NULL;
    int64_t last, t0 = clock_mono_us();
    if (store_get_lines(st, &out, "bench1", NULL, grep, 0, limit, &last, &error) < 0) {
        fprintf(stderr, "bench-store: %s\n", error);
        exit(1);
    }
    printf("  %-34s %8.3f s  (%zu lines)\n", what, secs(t0), json_array_size(out));
    json_decref(out);
}

int main(int argc, char **argv)
{
    long nlines = argc > 1 ? atol(argv[1]) : 1000000;
    long batch = argc > 2 ? atol(argv[2]) : 1000;
    if (nlines <= 0 || batch <= 0) {
        fprintf(stderr, "usage: bench-store [LINES [BATCH]]\n");
        return 2;
    }
    char ws[] = "/tmp/dapt-bench-store.XXXXXX";
    if (mkdtemp(ws) == NULL) {
        perror("bench-store: mkdtemp");
        return 1;
    }
    store *st;
    char *error = NULL;
    if (store_open(&st, ws, &error) < 0) {
        fprintf(stderr, "bench-store: %s\n", error);
        return 1;
    }
    json_t *run = json_pack("{ss ss ss}", "id", "bench1", "workflow", "bench", "state", "running");
    store_put_run(st, run);
    store_flush(st);

    /* The texts are made before the clock starts: only the store is timed. */
    char(*texts)[81] = xcalloc((size_t)nlines, sizeof *texts);
    for (long i = 0; i < nlines; i++) {
        int n = snprintf(texts[i], sizeof texts[i], "line %ld: the stage says something ", i);
        memset(texts[i] + n, 'a' + (char)(i % 26), (size_t)(80 - n));
        texts[i][80] = '\0';
    }
    dapt_log_line *lines = xcalloc((size_t)batch, sizeof *lines);
    int64_t now = clock_now_us();

    int64_t t0 = clock_mono_us();
    for (long done = 0; done < nlines; done += batch) {
        long n = nlines - done < batch ? nlines - done : batch;
        for (long i = 0; i < n; i++)
            lines[i] = (dapt_log_line){.ts_us = now + done + i,
                                       .stage = "spam",
                                       .item = -1,
                                       .stream = DAPT_STREAM_STDOUT,
                                       .level = DAPT_LOG_INFO,
                                       .text = texts[done + i],
                                       .len = 80};
        store_put_lines(st, "bench1", lines, (size_t)n);
    }
    double queued = secs(t0);
    store_flush(st);
    double total = secs(t0);

    char *db = xasprintf("%s/.dapt/dapt.db", ws);
    char *wal = xasprintf("%s-wal", db);
    printf("bench-store: %ld lines of 80 characters in batches of %ld\n", nlines, batch);
    printf("  queued in                          %8.3f s\n", queued);
    printf("  written (queue + flush)            %8.3f s  = %.0f lines/s, %.2f us/line\n", total,
           (double)nlines / total, total * 1e6 / (double)nlines);
    printf("  database + WAL                     %8.1f MB\n",
           (double)(file_size(db) + file_size(wal)) / 1e6);

    lines_query(st, "first grep (builds the index)", "line 999999:", 0);
    lines_query(st, "second grep", "LINE 123456:", 0);
    lines_query(st, "grep matching every 26th line", "says something zzz", 100);
    lines_query(st, "read every line", NULL, 0);

    json_object_set_new(run, "state", json_string("finished"));
    store_put_run(st, run);
    json_decref(run);
    store_close(st);
    free(lines);
    free(texts);
    char *cmd = xasprintf("rm -rf '%s'", ws);
    int rc = system(cmd);
    free(cmd);
    free(db);
    free(wal);
    return rc == 0 ? 0 : 1;
}
