#!/bin/sh
# help.sh - --version, --help, help COMMAND, unknown commands.
. "$top_srcdir/tests/cli/lib.sh"

expect_exit 0 "--version" "$DAPT" --version
contains "$TMP/out" "dapt 0." "version printed"
expect_exit 0 "--help" "$DAPT" --help
contains "$TMP/out" "validate" "--help lists validate"
contains "$TMP/out" "graph" "--help lists graph"
expect_exit 0 "help validate" "$DAPT" help validate
contains "$TMP/out" "usage: dapt validate" "help shows usage"
contains "$TMP/out" "Exit status" "help explains exit status"
expect_exit 0 "validate --help" "$DAPT" validate --help
contains "$TMP/out" "usage: dapt validate" "--help after a command"
expect_exit 2 "help for an unknown command" "$DAPT" help frob
expect_exit 2 "unknown command" "$DAPT" frob
contains "$TMP/err" "'frob' is not a command" "unknown command named"
done_testing
