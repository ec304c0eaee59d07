/* cmd-validate.c - `dapt validate [--json] FILE...`. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_validate(int argc, char **argv)
{
    const cli_command *self = cli_find("validate");
    bool json = false, options_done = false;
    int files = 0, failed = 0;
    dapt_diags diags;

    for (int i = 1; i < argc; i++) {
        if (options_done || argv[i][0] != '-' || strcmp(argv[i], "-") == 0)
            files++;
        else if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--") == 0)
            options_done = true;
        else
            return cli_usage(self, "unknown option '%s'", argv[i]);
    }
    if (files == 0)
        return cli_usage(self, "no file to validate");

    dapt_diags_init(&diags);
    options_done = false;
    for (int i = 1; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && argv[i][0] == '-' && strcmp(argv[i], "-") != 0)
            continue;
        dapt_bundle *bundle;
        if (dapt_load_file(&bundle, argv[i], &diags) < 0)
            failed++;
        dapt_bundle_free(bundle);
    }
    if (json) {
        dapt_diags_sort(&diags);
        json_t *arr = dapt_diags_to_json(&diags);
        char *text = json_dumps(arr, JSON_INDENT(2));
        printf("%s\n", text);
        free(text);
        json_decref(arr);
    } else {
        cli_print_diags(stderr, &diags);
    }
    dapt_diags_free(&diags);
    return failed ? CLI_FAILED : CLI_OK;
}
