#!/bin/sh
# The editor checks `args:` values against the target's declared types as
# you type: a string for dapt.range's integer `n` is marked at its line
# with the message, and valid again once fixed.
. "$top_srcdir/tests/tui/lib.sh"

FILE=workflows/etl.yaml
tui_workspace
tui_start
tui_keys ':'
tui_type "edit $FILE"
tui_keys Enter
tui_expect "opens, valid" "✓ valid"
# line 22 is "        n: 100": make the value a string
tui_keys C-g
tui_type 22
tui_keys Enter End BSpace BSpace BSpace
tui_type '"a"'
tui_expect "a string for an integer: marked at its line" "● 22         n: \"a\""
tui_expect "the message at the cursor's line" "error: \`n\` of \`dapt.range\` is an integer; \`\"a\"\` is"
tui_keys C-e
tui_expect "in the problems list, at the value" "22:12 error: \`n\` of \`dapt.range\` is an integer; \`\"a\"\` is a string"
tui_keys Escape
tui_keys BSpace BSpace BSpace
tui_type '2.0'
tui_keys C-e
tui_expect "a real for an integer" "\`2.0\` is a real number"
tui_keys Escape
tui_keys BSpace BSpace
tui_expect "an integer: valid again" "✓ valid"
tui_stop
done_testing
