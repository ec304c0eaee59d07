#!/bin/sh
# triggers.sh - trigger rules at work: `dapt validate` on rules (a missing
# workflow, an unknown zone, an action that is not an action), `dapt
# triggers list|fire|enable|disable`, and `dapt daemon`: a schedule fires
# on its slot, never twice for one slot across a restart, a missed slot is
# skipped unless `catchup: true` (then the latest runs once), a condition
# sees the runs of another process (`dapt run`), a rule that fires on its
# own runs is stopped at the depth limit, two daemons never both fire,
# SIGTERM drains (runs finish within the grace period, then are
# cancelled).  DAPT_CLOCK sets the rules' clock, so no test waits for a
# real minute.
. "$top_srcdir/tests/cli/lib.sh"
unset DAPT_WORKSPACE DAPT_CLOCK 2>/dev/null

n_ws=0
ws() {
    n_ws=$((n_ws + 1))
    W="$TMP/ws$n_ws-$1"
    mkdir -p "$W/workflows" "$W/triggers" && cd "$W" || exit 99
    cat >workflows/hello.yaml <<'YAML'
name: hello
stages:
  - {name: say, target: dapt.echo, args: {said: hi}}
YAML
}

# wait_for FILE TEXT [SECONDS]: until FILE holds TEXT (0), or time is up (1)
wait_for() {
    n=0 limit=$(( ${3:-15} * 10 ))
    while [ $n -lt $limit ]; do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
        n=$((n + 1))
    done
    return 1
}
# expect_in FILE TEXT DESCRIPTION [SECONDS]: wait_for, as a test
expect_in() {
    if wait_for "$1" "$2" "${4:-15}"; then ok "$3"; else
        not_ok "$3"; echo "# '$2' never came in:"; sed 's/^/# /' "$1" | tail -20; fi
}
# runs_of RULE: how many runs of the workspace that rule started
runs_of() {
    "$DAPT" runs list --json 2>/dev/null | python3 -c 'import json, sys
print(sum(1 for r in json.load(sys.stdin) if (r.get("trigger") or {}).get("rule") == sys.argv[1]))' "$1"
}
# wait_runs RULE N [SECONDS]: until RULE has started N runs
wait_runs() {
    n=0 limit=$(( ${3:-15} * 10 ))
    while [ $n -lt $limit ]; do
        [ "$(runs_of "$1")" = "$2" ] && return 0
        sleep 0.1
        n=$((n + 1))
    done
    return 1
}
# daemon NAME CLOCK [ARGS]: start `dapt daemon` in the background with the
# rules' clock at CLOCK; its stderr in $TMP/NAME.log, its pid in $pid
daemon() {
    name=$1 clock=$2; shift 2
    DAPT_CLOCK=$clock "$DAPT" daemon "$@" 2>"$TMP/$name.log" &
    pid=$!
}
# stop PID DESCRIPTION: SIGTERM, and it exits 0 within 20 s
stop() {
    kill -TERM "$1" 2>/dev/null
    reap "$@"
}
# reap PID DESCRIPTION: it exits 0 within 20 s (a signal was sent before)
reap() {
    n=0
    while kill -0 "$1" 2>/dev/null && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
    if kill -0 "$1" 2>/dev/null; then kill -KILL "$1"; not_ok "$2 (still running)"; return; fi
    wait "$1"
    rc=$?
    [ $rc -eq 0 ] && ok "$2" || not_ok "$2 (exit $rc)"
}

if [ "$have_py" = 0 ]; then
    ok "# SKIP the daemon tests need python3 to read JSON"
    done_testing
    exit
fi

# ------------------------------------------------------------------
# Rules checked at load, with positions
# ------------------------------------------------------------------
ws validate
cat >triggers/bad.yaml <<'YAML'
kind: trigger_rule
metadata: {name: typo}
spec:
  type: schedule
  rule: ["0 3 * * *"]
  action: {target: run_workflow, parameters: {workflow: helo}}
---
kind: trigger_rule
metadata: {name: zone}
spec:
  type: schedule
  rule: ["0 3 * * *"]
  timezone: Europe/Atlantis
  action: {target: run_workflow, parameters: {workflow: hello}}
---
kind: trigger_rule
metadata: {name: stage_as_action}
spec:
  type: condition
  rule: {eq: [{var: data.state}, failed]}
  action: {target: dapt.echo}
---
kind: trigger_rule
metadata: {name: cron}
spec:
  type: schedule
  rule: ["0 25 * * *"]
  catchup: maybe
  action: {target: run_workflow, parameters: {workflow: hello}}
YAML
expect_exit 1 "validate: a rule file with errors" "$DAPT" validate triggers/bad.yaml
contains "$TMP/err" "triggers/bad.yaml:6:57: error: workflow \`helo\` does not exist in this workspace (did you mean \`hello\`?)" "a missing workflow, at its position, with the nearest"
contains "$TMP/err" "triggers/bad.yaml:13:13: error: unknown time zone" "an unknown zone, at its position"
contains "$TMP/err" "triggers/bad.yaml:21:20: error: \`dapt.echo\` is of kind stage, not an action" "a stage named as an action"
contains "$TMP/err" "triggers/bad.yaml:27:10: error: cron expression \`0 25 * * *\`" "a cron field out of range"
contains "$TMP/err" "triggers/bad.yaml:28:12: error: \`catchup\` must be true or false" "catchup must be a boolean"
expect_exit 0 "list: shows broken rules" "$DAPT" triggers list
contains "$TMP/out" "broken" "... as broken"
contains "$TMP/out" "! ./triggers/bad.yaml:6:57: workflow" "... with the first error"
contains "$TMP/out" "! ./triggers/bad.yaml:21:20: \`dapt.echo\` is of kind stage" "... an action checked against the catalog"
rm triggers/bad.yaml

# ------------------------------------------------------------------
# list, next fire times (month end, a zone's DST day), enable, disable
# ------------------------------------------------------------------
ws list
cat >triggers/rules.yaml <<'YAML'
kind: trigger_rule
metadata: {name: monthly}
spec:
  type: schedule
  rule: ["0 0 1 * *"]
  action: {target: run_workflow, parameters: {workflow: hello}}
---
kind: trigger_rule
metadata: {name: berlin}
spec:
  type: schedule
  rule: ["30 2 * * *"]
  timezone: Europe/Berlin
  action: {target: run_workflow, parameters: {workflow: hello, input: {n: 1}}}
---
kind: trigger_rule
metadata: {name: on_fail}
spec:
  rule: {and: [{eq: [{var: type}, com.event.workflow.workflow_finished]}, {eq: [{var: data.state}, failed]}]}
  action: {target: print_event}
YAML
expect_exit 0 "validate: good rules" "$DAPT" validate triggers/rules.yaml
DAPT_CLOCK=2026-03-28T12:00:00Z "$DAPT" triggers list --json >"$TMP/list.json" 2>"$TMP/err"
jtrue "list --json: three rules" "$TMP/list.json" 'len(d) == 3'
jtrue "monthly: next fire at the month's end" "$TMP/list.json" 'd[0]["next_fire"] == "2026-04-01T00:00:00Z"'
jtrue "berlin: 02:30 does not exist on 29 March; it fires as the clock jumps (01:00Z)" "$TMP/list.json" 'd[1]["next_fire"] == "2026-03-29T01:00:00Z"'
jtrue "berlin: the zone" "$TMP/list.json" 'd[1]["timezone"] == "Europe/Berlin" and d[0]["timezone"] == "UTC"'
jtrue "condition: no next fire, enabled, fields" "$TMP/list.json" 'd[2]["type"] == "condition" and d[2]["next_fire"] is None and d[2]["enabled"] is True and d[2]["action"] == "print_event"'
DAPT_CLOCK=2026-03-28T12:00:00Z expect_exit 0 "list: a table" "$DAPT" triggers list
contains "$TMP/out" "2026-04-01T00:00:00Z (in 3d12h)" "... next fire and time until then"
contains "$TMP/out" "on an event" "... a condition fires on an event"
expect_exit 0 "disable a rule" "$DAPT" triggers disable monthly
"$DAPT" triggers list --json >"$TMP/list.json"
jtrue "... it is listed disabled" "$TMP/list.json" 'd[0]["enabled"] is False and d[0]["next_fire"] is None'
expect_exit 0 "enable it again" "$DAPT" triggers enable monthly
"$DAPT" triggers list --json >"$TMP/list.json"
jtrue "... it is listed enabled" "$TMP/list.json" 'd[0]["enabled"] is True'
# a second file with a rule of the same name: that one is broken
cat >triggers/z-dup.yaml <<'YAML'
kind: trigger_rule
metadata: {name: monthly}
spec:
  type: schedule
  rule: ["0 0 2 * *"]
  action: {target: print_event}
YAML
expect_exit 0 "list: two rules of one name" "$DAPT" triggers list
contains "$TMP/out" "a rule named \`monthly\` is also in ./triggers/rules.yaml: rule names must be unique" "... the second is broken, saying where the first is"
rm triggers/z-dup.yaml
expect_exit 1 "enable: an unknown rule" "$DAPT" triggers enable montly
contains "$TMP/err" "no trigger rule \`montly\` (did you mean \`monthly\`?)" "... with the nearest name"
expect_exit 2 "triggers: no subcommand" "$DAPT" triggers
expect_exit 2 "triggers: an unknown subcommand" "$DAPT" triggers frob
expect_exit 2 "daemon: a bad --grace" "$DAPT" daemon --grace soon
expect_exit 0 "help triggers" "$DAPT" help triggers
expect_exit 0 "help daemon" "$DAPT" help daemon

# fire NAME: now, as if due, waiting for its run
expect_exit 0 "fire: runs the rule's action now" "$DAPT" triggers fire berlin
contains "$TMP/err" "trigger berlin fired: run " "... says which run it started"
"$DAPT" runs list --json >"$TMP/runs.json"
jtrue "... the run: source trigger, the rule, its input" "$TMP/runs.json" 'd[0]["source"] == "trigger" and d[0]["trigger"]["rule"] == "berlin" and d[0]["input"] == {"n": 1}'
expect_exit 1 "fire: an unknown rule" "$DAPT" triggers fire nope

# ------------------------------------------------------------------
# A schedule fires on its slot, once, across restarts
# ------------------------------------------------------------------
ws schedule
cat >triggers/every.yaml <<'YAML'
kind: trigger_rule
metadata: {name: every}
spec:
  type: schedule
  rule: ["* * * * *"]
  action: {target: run_workflow, parameters: {workflow: hello}}
YAML
daemon d1 2026-12-04T10:00:58Z
expect_in "$TMP/d1.log" "rules fire here" "daemon: leads on a workspace nobody else fires"
if wait_runs every 1; then ok "daemon: the 10:01 slot fired"; else not_ok "daemon: the 10:01 slot fired"; fi
expect_in "$TMP/d1.log" "trigger every: run " "daemon: the run's end is logged"
stop $pid "daemon: SIGTERM stops it (exit 0)"
contains "$TMP/d1.log" "daemon stopped" "... saying so"
# restarted inside the same slot: nothing; then the next slot, once
daemon d2 2026-12-04T10:01:57Z
expect_in "$TMP/d2.log" "rules fire here" "restart: leads again"
if wait_runs every 2; then ok "restart: the 10:02 slot fired"; else not_ok "restart: the 10:02 slot fired"; fi
stop $pid "restart: stopped"
[ "$(runs_of every)" = 2 ] && ok "restart: the 10:01 slot did not fire twice" || not_ok "restart: the 10:01 slot did not fire twice ($(runs_of every) runs)"
"$DAPT" runs list --json >"$TMP/runs.json"
jtrue "the runs: source trigger, depth 1" "$TMP/runs.json" 'all(r["source"] == "trigger" and r["trigger"]["depth"] == 1 for r in d)'
"$DAPT" triggers list --json >"$TMP/list.json"
jtrue "list: last fired, fires, last run" "$TMP/list.json" 'd[0]["last_fired"] is not None and d[0]["fires"] == 2 and d[0]["last_run"] == [r for r in json.load(open(sys.argv[1].replace("list", "runs")))][0]["id"]'

# ------------------------------------------------------------------
# Missed slots: skipped, or the latest once with catchup: true
# ------------------------------------------------------------------
ws catchup
cat >triggers/five.yaml <<'YAML'
kind: trigger_rule
metadata: {name: skip}
spec:
  type: schedule
  rule: ["*/5 * * * *"]
  action: {target: run_workflow, parameters: {workflow: hello}}
---
kind: trigger_rule
metadata: {name: catch}
spec:
  type: schedule
  rule: ["*/5 * * * *"]
  catchup: true
  action: {target: run_workflow, parameters: {workflow: hello}}
YAML
daemon c1 2026-12-04T10:00:30Z
expect_in "$TMP/c1.log" "rules fire here" "catchup: a first daemon starts the rules"
n=0
until "$DAPT" triggers list --json | grep -q '"last_slot": "2026-12-04T10:00:30Z"' || [ $n -ge 100 ]; do
    sleep 0.1; n=$((n + 1))
done
stop $pid "catchup: the first daemon stops before 10:05"
# back at 10:17:30: 10:05, 10:10 and 10:15 were missed
daemon c2 2026-12-04T10:17:30Z
expect_in "$TMP/c2.log" "trigger skip: slot 2026-12-04T10:15:00Z was missed" "catchup: false skips a missed slot, saying so"
expect_in "$TMP/c2.log" "trigger catch: catching up on slot 2026-12-04T10:15:00Z" "catchup: true runs the latest missed slot"
if wait_runs catch 1; then ok "... once"; else not_ok "... once"; fi
stop $pid "catchup: stopped"
[ "$(runs_of catch)" = 1 ] && ok "catchup: not once per missed slot" || not_ok "catchup: not once per missed slot"
[ "$(runs_of skip)" = 0 ] && ok "catchup: the skipping rule ran nothing" || not_ok "catchup: the skipping rule ran nothing"

# ------------------------------------------------------------------
# Conditions see other processes' runs; a self-triggering rule stops
# ------------------------------------------------------------------
ws loop
cat >triggers/again.yaml <<'YAML'
kind: trigger_rule
metadata: {name: again}
spec:
  type: condition
  rule:
    and:
      - eq: [{var: type}, com.event.workflow.workflow_finished]
      - eq: [{var: data.workflow}, hello]
  action: {target: run_workflow, parameters: {workflow: hello}}
---
kind: trigger_rule
metadata: {name: stages}
spec:
  type: condition
  rule:
    and:
      - eq: [{var: type}, com.event.workflow.stage_finished]
      - eq: [{var: data.stage.name}, say]
      - eq: [{var: data.source}, cli]
  action: {target: print_event}
YAML
daemon l1 2026-12-04T10:00:00Z
expect_in "$TMP/l1.log" "rules fire here" "loop: the daemon leads"
expect_exit 0 "loop: dapt run in another process" "$DAPT" run hello --quiet
expect_in "$TMP/l1.log" "trigger stages: event {" "a stage event of the other process's run fired a rule"
contains "$TMP/l1.log" '"name":"say"' "... with the stage's fields"
expect_in "$TMP/l1.log" "trigger again: stopped: the event comes from a chain of 8 runs started by triggers" "loop: stopped at the depth limit, saying why" 30
stop $pid "loop: stopped"
[ "$(runs_of again)" = 8 ] && ok "loop: 8 runs, then no more" || not_ok "loop: 8 runs, then no more ($(runs_of again))"
"$DAPT" runs list --json >"$TMP/runs.json"
jtrue "loop: depths 1 to 8" "$TMP/runs.json" 'sorted(r["trigger"]["depth"] for r in d if r.get("trigger")) == list(range(1, 9))'
"$DAPT" triggers list --json >"$TMP/list.json"
jtrue "loop: the last error is in the list" "$TMP/list.json" '"chain of 8" in d[0]["last_error"]'

# ------------------------------------------------------------------
# A plugin action (kind action) gets the event
# ------------------------------------------------------------------
ws action
cat >triggers/audit.yaml <<YAML
kind: trigger_rule
metadata: {name: audit}
spec:
  # not the runs of rules (its own action is one)
  rule:
    and:
      - eq: [{var: type}, com.event.workflow.workflow_finished]
      - ne: [{var: data.source}, trigger]
  action: {target: dapt.append_event, parameters: {path: "$W/events.jsonl"}}
---
kind: trigger_rule
metadata: {name: wrong_params}
spec:
  rule: {eq: [{var: type}, x]}
  action: {target: dapt.append_event, parameters: {file: x}}
YAML
expect_exit 1 "action: parameters checked against the action" "$DAPT" validate triggers/audit.yaml
contains "$TMP/err" "\`dapt.append_event\` has no parameter \`file\` (it takes path, event)" "... an unknown one"
contains "$TMP/err" "\`dapt.append_event\` requires \`path\`: add it to the action's \`parameters\`" "... a missing one"
sed -i '/^---$/,$d' triggers/audit.yaml
expect_exit 0 "action: a plugin action validates" "$DAPT" validate triggers/audit.yaml
daemon x1 2026-12-04T10:00:00Z
expect_in "$TMP/x1.log" "rules fire here" "action: the daemon leads"
expect_exit 0 "action: dapt run hello" "$DAPT" run hello --quiet
expect_in "$TMP/x1.log" "trigger audit fired: run " "action: the rule fired a run of the action"
expect_in "$W/events.jsonl" '"workflow":"hello"' "action: the event reached the action"
expect_exit 0 "action: dapt run hello again" "$DAPT" run hello --quiet
n=0
while [ "$(wc -l <"$W/events.jsonl")" -lt 2 ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
stop $pid "action: stopped"
[ "$(wc -l <"$W/events.jsonl")" = 2 ] && ok "action: one line per run of hello, none for its own runs" || not_ok "action: one line per run of hello, none for its own runs ($(wc -l <"$W/events.jsonl"))"
head -n 1 "$W/events.jsonl" >"$TMP/first.json"
mv "$TMP/first.json" "$W/events.jsonl"
jtrue "action: one line, the run of hello's end" "$W/events.jsonl" 'd["type"] == "com.event.workflow.workflow_finished" and d["data"]["state"] == "finished"'

# ------------------------------------------------------------------
# Two daemons: one fires, the other takes over when it stops
# ------------------------------------------------------------------
ws two
cat >triggers/every.yaml <<'YAML'
kind: trigger_rule
metadata: {name: every}
spec:
  type: schedule
  rule: ["* * * * *"]
  action: {target: run_workflow, parameters: {workflow: hello}}
YAML
daemon a 2026-12-04T10:00:57Z
pid_a=$pid
expect_in "$TMP/a.log" "rules fire here" "two: the first leads"
# the second's clock is ahead: once it leads, its next slot is near
daemon b 2026-12-04T10:01:50Z
pid_b=$pid
expect_in "$TMP/b.log" "rules fire in pid $pid_a (daemon)" "two: the second says who fires"
if wait_runs every 1; then ok "two: the slot fired"; else not_ok "two: the slot fired"; fi
stop $pid_a "two: the first stops"
expect_in "$TMP/b.log" "rules fire here" "two: the second takes over"
if wait_runs every 2; then ok "two: the next slot fired"; else not_ok "two: the next slot fired"; fi
stop $pid_b "two: the second stops"
[ "$(runs_of every)" = 2 ] && ok "two: one run per slot" || not_ok "two: one run per slot ($(runs_of every))"

# ------------------------------------------------------------------
# SIGTERM drains
# ------------------------------------------------------------------
ws drain
cat >workflows/slow.yaml <<'YAML'
name: slow
stages:
  - {name: nap, target: dapt.shell, args: {argv: [sleep, "2"]}}
YAML
cat >workflows/stuck.yaml <<'YAML'
name: stuck
stages:
  - {name: nap, target: dapt.shell, args: {argv: [sleep, "60"]}}
YAML
cat >triggers/slow.yaml <<'YAML'
kind: trigger_rule
metadata: {name: slow}
spec:
  type: schedule
  rule: ["* * * * *"]
  action: {target: run_workflow, parameters: {workflow: slow}}
YAML
daemon g1 2026-12-04T10:00:59Z --grace 20s
expect_in "$TMP/g1.log" "trigger slow fired: run " "drain: a run started"
kill -TERM $pid
expect_in "$TMP/g1.log" "draining: no more fires; waiting up to 20000 ms for 1 run" "drain: SIGTERM waits for the run"
reap $pid "drain: the daemon exits 0 after the run"
"$DAPT" runs list --json >"$TMP/runs.json"
jtrue "drain: the run finished" "$TMP/runs.json" 'd[0]["state"] == "finished"'
sed -i 's/workflow: slow/workflow: stuck/' triggers/slow.yaml
daemon g2 2026-12-04T10:01:59Z --grace 1s
expect_in "$TMP/g2.log" "trigger slow fired: run " "drain: a stuck run started"
kill -TERM $pid
expect_in "$TMP/g2.log" "grace period over: cancelling 1 run" "drain: cancelled after the grace period"
reap $pid "drain: then the daemon exits 0"
"$DAPT" runs list --json >"$TMP/runs.json"
jtrue "drain: the stuck run was cancelled" "$TMP/runs.json" 'd[0]["state"] == "cancelled" and d[0]["workflow"] == "stuck"'

done_testing
