/*
 * execute.c - dapt_execute(): a run from start to end on a private loop,
 * the C counterpart of Flowdapt's execute_workflow() for tests, plugin
 * authors and scripts that embed libdapt.
 */
#include "config.h"

#include <stdlib.h>

#include <uv.h>

#include "engine.h"

int dapt_execute(json_t **record, const dapt_workflow *wf, const dapt_run_options *opts,
                 char **error)
{
    if (record)
        *record = NULL;
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) {
        *error = xstrdup("cannot start an event loop");
        return -1;
    }
    dapt_run *run;
    if (dapt_run_start(&run, &loop, wf, opts, error) < 0) {
        uv_loop_close(&loop);
        return -1;
    }
    while (!dapt_state_terminal(dapt_run_state(run)) || !dapt_run_closed(run))
        uv_run(&loop, UV_RUN_ONCE);
    int state = (int)dapt_run_state(run);
    if (record)
        *record = dapt_run_record(run);
    dapt_run_free(run);
    uv_run(&loop, UV_RUN_DEFAULT); /* close what is left */
    uv_loop_close(&loop);
    return state;
}
