#!/bin/sh
# The Run and Runs views: run a workflow from the studio and see its log
# lines arrive before it ends, follow and pause, filter, search, cancel
# (asked first; "cancelling" until it is over), the end-of-run marker, the
# run history (:runs) and a past run opened from it (its log read back
# from the run store).
. "$top_srcdir/tests/tui/lib.sh"

# Run ids (6 characters) and the clock change from run to run.
TUI_NORMALIZE='s/run [a-z2-9]\{6\}\([^a-z2-9]\)/run ID\1/g
s/^ [a-z2-9]\{6\}  / ID      /
s/[0-9][0-9]*ms/Nms/g'

tui_workspace
# Five lines, then a stage that shrugs off SIGTERM, so that a cancelled
# run stays `cancelling` until the stage is killed (dapt.shell: 1 s).
cat >"$WS/workflows/talk.yaml" <<'EOF'
name: talk
description: Say a few lines, then wait.
stages:
  - name: say
    target: dapt.log
    args:
      lines: 5
      width: 30
  - name: wait
    target: dapt.shell
    depends_on: [say]
    args:
      shell: true
      argv: "trap '' TERM; echo waiting >&2; sleep 30"
EOF
cat >"$WS/workflows/numbers.yaml" <<'EOF'
name: numbers
description: A short run that finishes.
stages:
  - name: count
    target: dapt.log
    args:
      lines: 12
      width: 20
  - name: done
    target: dapt.echo
    depends_on: [count]
    args:
      said: done
EOF

tui_start
tui_expect "studio started" "workflows"

# --- a live run: lines arrive while it runs ------------------------------
tui_keys ':'
tui_type 'run workflows/talk.yaml'
tui_keys Enter
tui_expect "run view: crumbs name the run" "› run "
tui_expect "log: the first stage's lines arrive" "say  │ 5 fghijklmnopqrstuvwxyzabcdefg"
tui_expect "log: the second stage's stderr" "wait │ waiting"
if tui_screen | grep -q " running "; then
    ok "log lines shown while the run is still running"
else
    not_ok "log lines shown while the run is still running"
    tui_dump
fi
tui_expect "status: follow" "FOLLOW"
tui_expect "stage list: state column" "● wait   running"
tui_expect "header: one run in progress" "1 running"

# follow is a toggle; scrolling up pauses
tui_keys F
tui_expect "F pauses" "PAUSED +0 new"
tui_keys G
tui_expect "G follows again" "FOLLOW"
tui_keys Up
tui_expect "scrolling up pauses" "PAUSED"
tui_keys End
tui_expect "End follows again" "FOLLOW"

# the text filter (/) and the level filter (L)
tui_keys '/'
tui_type '3 de'
tui_keys Enter
tui_expect "filter: shown in the log title" "log: all stages | /3 de"
tui_expect "filter: the matching line" "say  │ 3 defghijklmnopqrstuvwxyzabcde"
tui_expect_gone "filter: the others hidden" "say  │ 4 "
tui_keys '/'
tui_keys C-u Enter
tui_expect "filter cleared" "say  │ 4 efghijklmnopqrstuvwxyzabcdef"
tui_keys L
tui_expect "L: warnings and errors only" "level warning+"
tui_expect "L: standard error is a warning" "wait │ waiting"
tui_expect_gone "L: the info lines hidden" "say  │"
tui_keys L L
tui_expect "L cycles back to all" "say  │ 4 "

# one stage (s) of the selected stage, after Tab to the stage list
tui_keys Tab Down s
tui_expect "s: one stage's log" "log: wait"
tui_expect_gone "s: other stages hidden" "say  │"
tui_keys s
tui_expect "s again: all stages" "log: all stages"

# search (?) marks and moves to the newest hit
tui_keys '?'
tui_expect "search: prompt" "search log:"
tui_type 'ijkl'
tui_keys Enter
tui_expect "search: in the log title" "| ?ijkl"

# --- cancel: asked first, cancelling until the stage is gone ---------------
tui_keys c
tui_expect "c asks first" "Cancel run "
tui_expect "c names the workflow" "of talk? "
tui_keys y
tui_expect "cancelling shown at once" "  cancelling  "
tui_expect "the run ends cancelled" "── run cancelled after " 20
tui_expect "the stage shows cancelled" "wait   cancelled"
tui_expect "header: no runs left" "no runs in progress"
tui_keys c
tui_expect "c on an ended run says so" "nothing to cancel"

# --- a run to its end: the end-of-run marker --------------------------------
tui_keys ':'
tui_type 'run workflows/numbers.yaml'
tui_keys Enter
tui_expect "end-of-run marker" "── run finished in "
tui_expect "last line before the marker" "count │ 12 "
tui_golden run-finished
# d: the workflow as it ran (recorded only in a workspace under git)
tui_keys d
tui_expect "d: says why there is no definition" "no definition was recorded"

# --- the history, and a past run from it -----------------------------------
tui_keys ':'
tui_type 'runs'
tui_keys Enter
tui_expect "runs: the cancelled run" "cancelled   talk"
tui_expect "runs: the finished run" "finished    numbers"
tui_expect "runs: the source" "studio"
tui_golden runs-list
tui_keys '/'
tui_type 'talk'
tui_keys Enter
tui_expect_gone "runs: filtered" "numbers"
tui_keys Enter
tui_expect "past run: opened" "talk  workflows/talk.yaml"
tui_expect "past run: its log, from the store" "say  │ 1 bcdefghijklmnopqrstuvwxyzabc"
tui_expect "past run: its end marker" "── run cancelled after "
tui_expect "past run: the stage states" "✓ say    finished"

# R runs the same file again, in a new Run view
tui_keys R
tui_expect "R: a new run of the same workflow" "wait │ waiting" 20
tui_expect "R: running" " running "
tui_keys c y
tui_expect "R: the new run cancelled" "── run cancelled after " 20

# :run FILE K=V...: the run's input (V as JSON when it parses)
tui_keys ':'
tui_type 'run numbers city=Boston days=3'
tui_keys Enter
tui_expect "run with input: it ran" "── run finished in " 20
if DAPT_WORKSPACE="$WS" "$DAPT" runs list --json --limit 1 2>/dev/null |
    python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)[0]["input"] == {"city": "Boston", "days": 3} else 1)'; then
    ok "run with input: the run's input, typed"
else
    not_ok "run with input: the run's input, typed"
fi
tui_keys ':'
tui_type 'run numbers =3'
tui_keys Enter
tui_expect "run with input: a value without a key is refused" "input \`=3\` has no key"

# q goes back view by view, and quits from the first
n=0
while [ $n -lt 10 ] && ! tui_exited; do
    tui_keys q
    sleep 0.1
    n=$((n + 1))
done
tui_expect "quits" "[dapt exited 0]" 10

done_testing
