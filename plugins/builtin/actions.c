/*
 * actions.c - the builtin trigger actions (targets of kind action): what a
 * `kind: trigger_rule` may name as `action.target` besides run_workflow and
 * print_event.
 */
#include "builtin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define APPEND_TARGET "dapt.append_event"

/* One line of JSON per event, written with a single write() on an
 * O_APPEND file so that lines from several processes never interleave. */
json_t *actions_append_event(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    json_t *path = args_first(args, kwargs, "path");
    if (path == NULL)
        return args_missing(ctx, APPEND_TARGET, "path", "the file to append to");
    if (!json_is_string(path) || json_string_length(path) == 0)
        return args_wrong(ctx, APPEND_TARGET, "path", "a file name", path);
    json_t *event = json_object_get(kwargs, "event");
    char *line = json_dumps(event ? event : json_null(),
                            JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
                                JSON_REAL_PRECISION(9));
    if (line == NULL)
        return args_oom(ctx, APPEND_TARGET);
    size_t n = strlen(line);
    line[n] = '\n'; /* json_dumps leaves room: the NUL becomes the newline */
    int fd = open(json_string_value(path), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    ssize_t w = fd >= 0 ? write(fd, line, n + 1) : -1;
    int err = errno;
    if (fd >= 0 && close(fd) < 0 && w >= 0) {
        w = -1;
        err = errno;
    }
    free(line);
    if (w != (ssize_t)(n + 1)) {
        dapt_ctx_fail(ctx, "%s: cannot append to %s: %s", APPEND_TARGET,
                      json_string_value(path), w < 0 ? strerror(err) : "short write");
        return NULL;
    }
    return json_pack("{s:O, s:I}", "path", path, "bytes", (json_int_t)(n + 1));
}
