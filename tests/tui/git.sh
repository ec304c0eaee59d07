#!/bin/sh
# The workspace under git from the studio (issue 6): the header's branch
# and dirty mark, apply on save (validate + commit, with the message
# offered), a refused apply, a file's history with the runs of each
# version, a version's diff against the buffer, restoring it into the
# editor, and the workflow as a run ran it.
. "$top_srcdir/tests/tui/lib.sh"

tui_workspace
"$DAPT" init "$WS" >/dev/null 2>&1 || not_ok "dapt init"
(cd "$WS" && "$DAPT" run hello >/dev/null 2>&1) || not_ok "a first run of hello"
tui_start
tui_expect "header: the branch, clean" "git:master  exec:"

# Open hello.yaml (second row), change a comment, apply with M-s.
tui_keys Down Enter
tui_expect "the editor opens" "workflows/hello.yaml"
tui_keys C-g
tui_type '1'
tui_keys Enter End
tui_type ' (changed)'
tui_keys M-s
tui_expect "apply offers a message" "Commit message: workflow hello: no stage changes"
tui_expect "saving made the workspace dirty" "git:master±"
tui_keys C-u
tui_type 'hello: a comment'
tui_keys Enter
tui_expect "applied, with the commit" "applied workflows/hello.yaml in"
tui_expect "header: clean again" "git:master  exec:"
if git -C "$WS" log -1 --format=%s | grep -qx 'hello: a comment'; then
    ok "the commit has the message"
else
    not_ok "the commit has the message"
fi

# A file that does not validate is not committed.
tui_keys C-g
tui_type '1'
tui_keys Enter
tui_type 'kind: nonsense'
tui_keys Enter M-s
tui_expect "a broken file is not applied" "not applied (fix it first)"
n=$(git -C "$WS" rev-list --count HEAD)
if [ "$n" = 2 ]; then ok "no commit for the broken file"; else not_ok "no commit (have $n)"; fi
tui_keys C-z C-z C-s

# History: two versions, the first with the run made from it.
tui_keys M-h
tui_expect "history: the new commit" "hello: a comment"
tui_expect "history: the first commit" "dapt init"
tui_expect "history: runs of a version" "1 finished"
tui_keys Down Enter
tui_expect "diff of a version against the buffer" "+++ buffer"
tui_expect "diff: the changed line" "(changed)"
tui_keys Escape
tui_keys r
tui_expect "restore: said" "restored workflows/hello.yaml as of"
tui_expect "restore: back in the editor, modified" "workflows/hello.yaml ±"
tui_gone "(changed)" 5 && ok "restore: the old text is in the buffer" || not_ok "restore: the old text is in the buffer"
if grep -q '(changed)' "$WS/workflows/hello.yaml"; then
    ok "restore: the file on disk is untouched until saved"
else
    not_ok "restore: the file on disk is untouched until saved"
fi

tui_keys C-s
tui_expect "the restored version saved" "saved workflows/hello.yaml"

# :history from the command line.
tui_keys Escape ':'
tui_type 'history workflows/hello.yaml'
tui_keys Enter
tui_expect "history by command" "history workflows/hello.yaml"
tui_keys Escape

# The workflow as a run ran it, from the Runs view.
tui_keys Escape
tui_keys 4
tui_expect "runs view lists the run" "hello"
tui_keys d
tui_expect "definition: the workflow as it ran" "as it ran"
tui_keys Escape
tui_keys D
tui_expect "the file restored is as the run ran it" "workflows/hello.yaml is as run"
# Change the file on disk: now the diff shows it.
sed -i 's/^description: .*/description: Changed since the run./' "$WS/workflows/hello.yaml"
tui_keys D
tui_expect "diff of the definition with the current file" "+++ workflows/hello.yaml"
tui_expect "diff: the line that changed" "+description: Changed since the run."

tui_keys Escape ':'
tui_type 'quit'
tui_keys Enter
tui_wait "Quit?" 5 && tui_keys y
tui_wait "[dapt exited 0]" 10 && ok "quit" || not_ok "quit"
done_testing
