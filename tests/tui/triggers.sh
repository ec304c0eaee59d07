#!/bin/sh
# The Triggers view (:triggers, 5): the studio puts the workspace's trigger
# rules to work.  The rules' clock starts at 00:59:55 (DAPT_CLOCK), so a
# `* * * * *` rule fires about 5 s after the start: its message in the
# footer, its run in the header's count and in its fires, the Run view of
# that run; `e` disables and enables, `f` fires a condition rule after
# asking, a broken rule says why; and a studio whose rules cannot start
# still works and says why.  At 80x24.
TUI_COLS=80
TUI_ROWS=24
. "$top_srcdir/tests/tui/lib.sh"

# tui_expect with an extended regular expression.
tui_expect_re() {
    tries=$((${3:-15} * 20))
    while [ "$tries" -gt 0 ]; do
        if tui_screen | grep -qE -- "$2"; then
            ok "$1"
            return
        fi
        sleep 0.05
        tries=$((tries - 1))
    done
    not_ok "$1 (no /$2/ on screen)"
    tui_dump
}

tui_workspace
cat >"$WS/triggers/minute.yaml" <<'EOF'
kind: trigger_rule
metadata: {name: every}
spec:
  type: schedule
  rule: ["* * * * *"]
  action: {target: run_workflow, parameters: {workflow: slow}}
---
kind: trigger_rule
metadata: {name: echo}
spec:
  type: condition
  rule: {eq: [{var: data.workflow}, nothing_runs_this]}
  action: {target: print_event}
---
kind: trigger_rule
metadata: {name: ghost}
spec:
  type: schedule
  rule: ["0 * * * *"]
  action: {target: run_workflow, parameters: {workflow: nosuch}}
EOF
# Long enough to be seen running.
cat >"$WS/workflows/slow.yaml" <<'EOF'
name: slow
description: Wait a little.
stages:
  - name: wait
    target: dapt.shell
    args:
      shell: true
      argv: "sleep 3"
EOF

DAPT_CLOCK=2026-03-29T00:59:55Z tui_start
tui_expect "a broken rule is reported at start" "triggers/minute.yaml:20:57: workflow \`nosuch\`"

# --- the view: :triggers with completion -----------------------------------
tui_keys ':'
tui_type 'trig'
tui_keys Tab
tui_expect "Tab completes :triggers" ":triggers"
tui_keys Enter
tui_expect "crumbs" "workflows › triggers"
tui_expect "who fires: this studio" "rules fire here"
tui_expect "the rules' clock" "2026-03-29 0"
tui_expect "the clock is DAPT_CLOCK's" "UTC (DAPT_CLOCK)"
tui_expect_re "columns" "NAME +TYPE +ENABLED +NEXT +LAST FIRED +ACTION"
tui_expect_re "countdown and UTC time of the next slot" "every +schedule +yes +in [0-9]+s 01:0[01]Z +"
tui_expect_re "a condition rule waits for events" "echo +condition +yes +on an event +never +print_event"
tui_expect_re "a rule naming a missing workflow is broken" "ghost +schedule +broken +- "
tui_expect_re "the examples' rules too" "nightly_ret.* +schedule +yes +in [0-9]+h[0-9]+m 03:00Z"
tui_expect "status: rules and broken ones" "5 rules, 1 broken"
tui_expect "footer: the view's keys" "Enter open  e enable  f fire  / filter"

# --- the schedule fires ------------------------------------------------------
tui_expect "the fire's message in the footer" "trigger every fired: run " 15
tui_expect "header: the rule's run is in progress" "1 running"
tui_expect "the run's end in the footer" "of slow finished" 15
tui_expect "header: nothing left running" "no runs in progress"
tui_expect_re "last fired, and the next slot counted down" "every +schedule +yes +in [0-9]+s 01:01Z +01:00:0[0-9]Z"
tui_expect_re "the fire's run in the detail line" "fired 1 time, last run [a-z2-9]{6}"
first=$(tui_screen | grep -oE 'in [0-9]+s 01:01Z' | head -n 1)
tui_expect_gone "... and is not the same a moment later" "$first" 5
grep -q "trigger every fired: run" "$TMP/studio.log" && ok "the fire is in the debug log" ||
    not_ok "the fire is in the debug log"

# --- its fires, and the run of a fire ----------------------------------------
tui_keys Enter
tui_expect "Enter: the rule's fires" "triggers › fires: every"
tui_expect "the fires list: what the rule does" "schedule * * * * *"
tui_expect_re "the fire: time, run id, its state" "2026-03-29 01:00:0[0-9]Z +[a-z2-9]{6} +✓ finished"
tui_keys Enter
tui_expect "Enter on a fire: the Run view of its run" "slow  workflows/slow.yaml"
tui_expect "the run, read from the store" "run finished in "
tui_keys Escape Escape
tui_expect_gone "Esc Esc: back to the rules" "fires: every"

# --- e: disable, enable (no question) ---------------------------------------
tui_keys e
tui_expect "e disables: said in the footer" "every disabled"
tui_expect_re "e disables: ENABLED no, no next slot" "every +schedule +no +- "
tui_keys e
tui_expect "e again enables" "every enabled"
tui_expect_re "e again: ENABLED yes" "every +schedule +yes +in "

# --- f: fire a condition rule now, after asking ------------------------------
tui_keys j
tui_expect "j: the condition rule selected" "condition {\"eq\":[{\"var\":\"data.workflow\"}"
tui_keys f
tui_expect "f asks first" "Fire rule echo now? [y/N]"
tui_keys n
tui_expect "n: not fired" "echo not fired"
tui_keys f
tui_expect "f asks again" "Fire rule echo now?"
tui_keys y
tui_expect "print_event: the event in the footer" "trigger echo: event {"
tui_expect_re "echo: fired" "echo +condition +yes +on an event +01:0[0-9]:[0-9]{2}Z"
tui_keys Enter
tui_expect "echo's fires" "fires: echo"
tui_expect_re "a fire without a run" "01:0[0-9]:[0-9]{2}Z +- +no run"
tui_keys Enter
tui_expect "Enter on it: says there is no run" "this fire started no run"
tui_keys Escape

# --- a broken rule, found with / ----------------------------------------------
tui_keys '/'
tui_type 'ghost'
tui_keys Enter
tui_expect_gone "/ filters the rules" "echo "
tui_expect "filter in the status" "/ghost  1 of 5 rules, 1 broken"
tui_expect "a broken rule selected: its error in the footer" "ghost is broken: triggers/minute.yaml:"
tui_expect "the detail line names the missing workflow" "workflow \`nosuch\` does not exist"
tui_keys f
tui_expect "f on a broken rule: cannot fire" "ghost cannot fire"

# --- :triggers RULE: a rule's fires at once (Tab completes the name) ---------
tui_keys ':'
tui_type 'triggers ev'
tui_keys Tab
tui_expect "Tab completes a rule's name" ":triggers every"
tui_keys Enter
tui_expect "the rule's fires, above the rules" "triggers › fires: every"
tui_keys Escape
tui_expect_gone "Esc: back to the rules" "fires: every"
tui_keys ':'
tui_type 'triggers nosuch'
tui_keys Enter
tui_expect "an unknown rule is named" "no trigger rule \`nosuch\`"

# --- help --------------------------------------------------------------------
tui_keys '?'
tui_expect "help: the view's keys" "Keys of the triggers view"
tui_expect "help: f" "Fire the selected rule now (asks first)"
tui_keys Escape

# 1 opens the workflows view; 5 comes back to the rules
tui_keys 1
tui_expect_gone "1: the workflows view" "› triggers"
tui_keys 5
tui_expect "5: the Triggers view" "workflows › triggers"

# q goes back, then quits (the service is freed on the way out)
tui_keys q
tui_expect_gone "q leaves the Triggers view" "› triggers"
tui_keys q
tui_expect "quits with status 0" "[dapt exited 0]" 10

# --- rules that cannot be put to work: the studio says why, once ------------
tui_stop
DAPT_CLOCK=yesterday tui_start
tui_expect "start: why the rules are not at work" "trigger rules are not at work: DAPT_CLOCK=yesterday"
tui_keys 5
tui_expect "the view says it too" "rules are not at work here: DAPT_CLOCK=yesterday"
tui_expect_re "the rules are still listed" "every +schedule +yes"
tui_keys e
tui_expect "e: not at work" "trigger rules are not at work here"
tui_keys q q
tui_expect "quits with status 0" "[dapt exited 0]" 10

done_testing
