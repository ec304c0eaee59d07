#!/bin/sh
# The editor: open a workflow, complete a target (Esc restores, Enter
# accepts), an error marked at its line with its message and fixed, the
# problems list, auto-indentation, undo, an atomic save, the modes (INSERT
# / NAV), leaving with unsaved edits, and the recovery copy offered back
# after a kill -9.
. "$top_srcdir/tests/tui/lib.sh"

# Poll until a line of the screen is exactly TEXT (trailing blanks aside).
ed_line() {
    tries=300
    while [ "$tries" -gt 0 ]; do
        if tui_screen | sed 's/[[:space:]]*$//' | grep -qxF -- "$2"; then
            ok "$1"
            return
        fi
        sleep 0.05
        tries=$((tries - 1))
    done
    not_ok "$1 (no line '$2')"
    tui_dump
}

FILE=workflows/etl.yaml
REC_NAME='workflows%2Fetl.yaml'

tui_workspace
REC=$WS/.dapt/recover/$REC_NAME
tui_start
tui_keys ':'
tui_type "edit $FILE"
tui_keys Enter
tui_expect "opens in INSERT mode" " INSERT  $FILE "
tui_expect "valid file: no problems" "✓ valid"
tui_expect "line numbers and text" "  20       target: dapt.range"
tui_golden editor-open

# Go to line 20, leave "target: dapt." and type a prefix.
tui_keys C-g
tui_type 20
tui_keys Enter End BSpace BSpace BSpace BSpace BSpace
tui_type ra
ed_line "typing: the text changes (an unknown target, marked)" "● 20       target: dapt.ra"
tui_expect "typing: modified mark" " INSERT  $FILE ± "
tui_keys Tab
tui_expect "Tab opens the completion popup" " dapt.range  (n: integer) -> list of integers"
tui_expect "the popup has a doc preview" "The integers from 0 to"
tui_expect "nothing inserted while the popup is open" "● 20       target: dapt.ra  "
tui_keys Down Escape
tui_expect_gone "Esc closes the popup" "(n: integer) -> list"
ed_line "Esc restores what was typed" "● 20       target: dapt.ra"
# Esc closed the popup only: still typing.
tui_expect "still INSERT after closing the popup" " INSERT  $FILE"
tui_keys Tab
tui_expect "Tab again" "(n: integer) -> list"
tui_keys Enter
ed_line "Enter accepts the completion" "  20       target: dapt.range"
tui_expect "a completed target is valid" "✓ valid"

# An error: an unknown target, marked on its line with the message.
tui_type x
ed_line "error: gutter mark on line 20" "● 20       target: dapt.rangex"
tui_expect "error: the message of the cursor's line" "error: plugin \`dapt\` has no target \`rangex\`"
tui_expect "error: the count" "20:26  1 error"
tui_golden editor-error
tui_keys C-e
tui_expect "C-e: the problems list" "Problems (1)"
tui_expect "problems: position and message" "20:15 error: plugin \`dapt\` has no target \`rangex\`"
tui_keys Escape
tui_expect_gone "Esc closes the problems list" "Problems (1)"
tui_keys BSpace
tui_expect "fixed: valid again" "✓ valid"
tui_expect_gone "fixed: no gutter mark" "● 20"

# Enter keeps the indentation, two more after "key:"; undo and redo.
tui_keys Down End Enter
tui_type 'b: 1'
ed_line "Enter after 'args:' indents two more" "  22         b: 1"
tui_keys C-z
tui_expect_gone "C-z undoes the typing" "b: 1"
tui_keys C-z
ed_line "C-z undoes the newline" "  22         n: 100"
tui_keys C-y C-y
ed_line "C-y redoes" "  22         b: 1"

# Save: atomic (a new file takes the old one's place), the text on disk;
# a file with errors is saved (it is the user's text) and says so.
inode=$(stat -c %i "$WS/$FILE")
tui_keys C-s
tui_expect "C-s saves, counting the errors" "saved $FILE (70 lines), 1 error"
tui_expect_gone "saved: no modified mark" " INSERT  $FILE ±"
check "saved: the text on disk" grep -q '^        b: 1$' "$WS/$FILE"
check "saved atomically: a new inode" test "$(stat -c %i "$WS/$FILE")" != "$inode"
check "saved: no temporary file left" test "$(ls -A "$WS/workflows" | wc -l)" = 5
check "saved: no recovery copy" test ! -e "$REC"

# Esc: the navigation keys; `:` is a command again, i types again.
tui_keys Escape
tui_expect "Esc: NAV mode" " NAV  $FILE"
tui_keys i
tui_expect "i: INSERT again" " INSERT  $FILE"
tui_keys Escape

# Unsaved edits, a recovery copy, then kill -9.
tui_keys C-g
tui_type 13
tui_keys Enter End
tui_type _v2
tui_expect "edit before the crash" "  13   name: etl_v2"
n=0
while [ ! -f "$REC" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
check "a recovery copy while edits are unsaved" test -f "$REC"
check "the copy names the file" grep -q "^# dapt recover: .*/$FILE\$" "$REC"
check "the copy holds the edit" grep -q '^  name: etl_v2$' "$REC"
kill -9 "$(tui_pid)"
tui_wait "[dapt exited 137]" 10
tui_stop
check "the file is as saved" grep -q '^  name: etl$' "$WS/$FILE"

# Opened again: the copy is offered; y loads it (modified).
tui_start --edit "$FILE"
tui_expect "recovery offered" "Recover unsaved changes to $FILE from "
tui_keys y
tui_expect "y: recovered" "recovered unsaved changes to $FILE"
tui_expect "y: the edit is back" "  13   name: etl_v2"
tui_expect "y: modified" " INSERT  $FILE ± "

# Leaving with unsaved edits asks; n stays.
tui_keys Escape Escape
tui_expect "leaving asks" "Discard unsaved changes to $FILE?"
tui_keys n
tui_expect "n: still in the editor" " NAV  $FILE ± "
# y discards: the editor closes and the copy goes.
tui_keys Escape
tui_expect "asks again" "Discard unsaved changes to $FILE?"
tui_keys y
tui_expect_gone "y: the editor closed" " NAV  $FILE"
check "discarded: no recovery copy" test ! -e "$REC"
check "discarded: the file is as saved" grep -q '^  name: etl$' "$WS/$FILE"

# A crash again, and n: the file stays as saved, the copy is dropped.
tui_keys ':'
tui_type "edit $FILE"
tui_keys Enter
tui_expect "opened again" " INSERT  $FILE"
tui_keys C-g
tui_type 13
tui_keys Enter End
tui_type _v3
n=0
while [ ! -f "$REC" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
check "a recovery copy again" test -f "$REC"
kill -9 "$(tui_pid)"
tui_wait "[dapt exited 137]" 10
tui_stop
tui_start --edit "$FILE"
tui_expect "recovery offered again" "Recover unsaved changes to $FILE from "
tui_keys n
ed_line "n: the file as saved" "  13   name: etl"
tui_keys Escape
tui_expect "n: unmodified" " NAV  $FILE "
check "n: the copy is dropped" test ! -e "$REC"
tui_keys q q
tui_expect "q q: back, then quit" "[dapt exited 0]" 10
tui_stop

# The vi mode (settings editor.vi): normal mode first; dd, p, u, i.
printf 'editor:\n  vi: true\n' >>"$WS/dapt.yaml"
tui_start --edit "$FILE"
tui_expect "vi: starts in NORMAL mode" " NORMAL  $FILE "
tui_keys j j d d
ed_line "vi: dd cuts the line" "   3 #"
tui_keys p
ed_line "vi: p puts it below" "   4 # so it runs on a fresh install with no plugin but dapt's own."
tui_keys u u
ed_line "vi: u undoes" "   3 # so it runs on a fresh install with no plugin but dapt's own."
tui_keys i
tui_expect "vi: i inserts" " INSERT  $FILE "
tui_keys Escape
tui_expect "vi: Esc back to NORMAL" " NORMAL  $FILE "
tui_keys q q
tui_expect "vi: q q quits" "[dapt exited 0]" 10

done_testing
