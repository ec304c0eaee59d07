#!/bin/sh
# runs.sh - `dapt runs list|show|logs`: the run history `dapt run` leaves
# in the workspace's .dapt/dapt.db.  A workspace without runs; the table,
# the record and the stages of real runs (in process and thread mode);
# run id prefixes; the log with --stage, --grep, --json; --follow of a run
# that another process is running, until it ends, and of one whose dapt is
# killed; usage errors.  Each part runs in a fresh workspace folder (the
# current directory).
. "$top_srcdir/tests/cli/lib.sh"
MODE_VAR=DAPT__SERVICES__COMPUTE__EXECUTOR__USE_PROCESSES
XDG_CACHE_HOME="$TMP/cache"
export XDG_CACHE_HOME
unset DAPT_WORKSPACE $MODE_VAR 2>/dev/null

n_ws=0
ws() {
    n_ws=$((n_ws + 1))
    W="$TMP/ws$n_ws-$1"
    mkdir -p "$W" && cd "$W" || exit 99
}
mode() { if [ "$1" = threads ]; then export $MODE_VAR=false; else export $MODE_VAR=true; fi; }

# fail DESCRIPTION: not_ok
fail() { not_ok "$1"; }
# matches FILE REGEX DESCRIPTION: a line of FILE matches the (extended) regex
matches() {
    if grep -Eq -- "$2" "$1"; then ok "$3"; else
        fail "$3"; echo "# no line like: $2"; sed 's/^/# /' "$1" | head -20; fi
}
# same FILE DESCRIPTION: FILE holds exactly the lines of $TMP/want
same() {
    if cmp -s "$1" "$TMP/want"; then ok "$2"; else
        fail "$2"; diff "$TMP/want" "$1" | sed 's/^/# /' | head -20; fi
}
count() { grep -c -- "$2" "$1"; }
# wait_for FILE REGEX: until a line of FILE matches (10 s at most)
wait_for() {
    i=0
    while [ $i -lt 200 ]; do
        grep -Eq -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}
# the id of the run that `dapt run` started, from its stderr
run_id() { sed -n 's/^[0-9:]* run \([a-z0-9]*\) of .* started$/\1/p' "$1" | head -1; }
children() { cat /proc/"$1"/task/*/children 2>/dev/null; }
# descendants PID: its children, theirs, and so on
descendants() { for c in $(children "$1"); do echo "$c"; descendants "$c"; done; }

# ------------------------------------------------------------------
# A workspace without runs
# ------------------------------------------------------------------

ws empty
expect_exit 0 "runs list without a store" "$DAPT" runs list
[ ! -s "$TMP/out" ] && [ ! -s "$TMP/err" ] && ok "... prints nothing" || not_ok "... prints nothing"
[ ! -e .dapt ] && ok "... and creates nothing" || not_ok "... and creates nothing"
expect_exit 0 "runs list --json without a store" "$DAPT" runs list --json
[ "$(cat "$TMP/out")" = "[]" ] && ok "... is []" || not_ok "... is [] (got: $(cat "$TMP/out"))"
expect_exit 1 "runs show of an unknown id" "$DAPT" runs show abc
contains "$TMP/err" 'dapt: no run `abc` in .dapt/dapt.db' "... says there is no such run"
expect_exit 1 "runs logs of an unknown id" "$DAPT" runs logs abc
contains "$TMP/err" 'dapt: no run `abc` in .dapt/dapt.db' "... likewise"

# ------------------------------------------------------------------
# Usage errors
# ------------------------------------------------------------------

expect_exit 2 "runs without a subcommand" "$DAPT" runs
contains "$TMP/err" "'runs' needs a subcommand: list, show, logs or diff" "... says so"
expect_exit 2 "an unknown subcommand" "$DAPT" runs frob
contains "$TMP/err" "no subcommand 'frob' (list, show, logs or diff)" "... is named"
expect_exit 2 "an unknown state" "$DAPT" runs list --state done
contains "$TMP/err" '--state: no state `done` (pending, running, finished, failed, cancelled, interrupted)' "... lists the states"
expect_exit 2 "a --limit that is not a positive number" "$DAPT" runs list --limit 0
expect_exit 2 "show without an id" "$DAPT" runs show
contains "$TMP/err" "'runs show' needs the id of a run" "... says so"
expect_exit 2 "an option of another subcommand" "$DAPT" runs show abc --grep x
contains "$TMP/err" "'runs show' has no option '--grep'" "... is refused"
expect_exit 2 "an option without its value" "$DAPT" runs logs abc --stage
expect_exit 2 "two ids" "$DAPT" runs show abc def
expect_exit 0 "dapt help runs" "$DAPT" help runs
contains "$TMP/out" "usage: dapt runs list" "... shows the usage"

# ------------------------------------------------------------------
# Runs, in both modes
# ------------------------------------------------------------------

# shout is dapt.log once per element of the input's `lines` (map_on):
# each item writes dapt.log's default 10 lines
cat >"$TMP/chatty.yaml" <<'YAML'
name: chatty
stages:
  - {name: talk, target: dapt.log, args: {lines: 5, width: 12}}
  - name: shout
    target: dapt.log
    type: parameterized
    options: {map_on: lines}
    args: {width: 6}
YAML
cat >"$TMP/bad.yaml" <<'YAML'
name: bad
stages:
  - {name: boom, target: dapt.fail, args: {message: "it broke"}}
YAML
input='{"lines": [1, 2, 3]}'

for m in processes threads; do
    ws $m
    mode $m
    cp "$TMP/chatty.yaml" "$TMP/bad.yaml" .
    # Threads share the process's stdout: a line belongs to a stage only
    # when that stage runs alone (documented), so thread mode runs this
    # with one worker.
    [ $m = threads ] && export DAPT__SERVICES__COMPUTE__EXECUTOR__WORKERS=1
    expect_exit 0 "[$m] dapt run chatty.yaml" "$DAPT" run chatty.yaml --json --input-json "$input"
    unset DAPT__SERVICES__COMPUTE__EXECUTOR__WORKERS
    cp "$TMP/out" "$TMP/record.json"
    id=$(sed -n 's/^  "id": "\([a-z0-9]*\)",$/\1/p' "$TMP/record.json")
    [ -n "$id" ] && ok "[$m] the run has an id" || { not_ok "[$m] the run has an id"; continue; }
    expect_exit 1 "[$m] dapt run bad.yaml fails" "$DAPT" run bad.yaml
    bad=$(run_id "$TMP/err")

    # list
    expect_exit 0 "[$m] runs list" "$DAPT" runs list
    cp "$TMP/out" "$TMP/list"
    matches "$TMP/list" '^ID +WORKFLOW +STATE +STARTED +DURATION +SOURCE$' "[$m] a header"
    [ "$(head -1 "$TMP/list" | cut -c1-2)" = ID ] && ok "[$m] ... first" || not_ok "[$m] ... first"
    matches "$TMP/list" "^$id +chatty +finished +20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} +[0-9.]+(ms|s) +cli$" "[$m] the run: id, workflow, state, local time, duration, source"
    matches "$TMP/list" "^$bad +bad +failed " "[$m] the failed run"
    [ "$(sed -n 2p "$TMP/list" | cut -d' ' -f1)" = "$bad" ] && ok "[$m] newest first" || not_ok "[$m] newest first"
    # the columns line up: STATE starts at the same place on every line
    cols=$(awk '{ print index($0, $3) }' "$TMP/list" | sort -u | wc -l)
    [ "$cols" -eq 1 ] && ok "[$m] aligned" || { not_ok "[$m] aligned"; sed 's/^/# /' "$TMP/list"; }
    expect_exit 0 "[$m] runs list --state failed" "$DAPT" runs list --state failed
    [ "$(wc -l <"$TMP/out")" -eq 2 ] && grep -q "^$bad " "$TMP/out" && ok "[$m] ... only the failed run" || not_ok "[$m] ... only the failed run"
    expect_exit 0 "[$m] runs list --workflow chatty --limit 1" "$DAPT" runs list --workflow chatty --limit 1
    [ "$(wc -l <"$TMP/out")" -eq 2 ] && grep -q "^$id " "$TMP/out" && ok "[$m] ... only that run" || not_ok "[$m] ... only that run"
    expect_exit 0 "[$m] runs list --state running: none" "$DAPT" runs list --state running
    [ ! -s "$TMP/out" ] && ok "[$m] ... prints nothing" || not_ok "[$m] ... prints nothing"
    expect_exit 0 "[$m] runs list --json" "$DAPT" runs list --json
    jtrue "[$m] ... an array of run records, newest first" "$TMP/out" \
        "[r['id'] for r in d] == ['$bad', '$id'] and all(set(r) >= {'id', 'workflow', 'state', 'source', 'started_at', 'finished_at', 'result', 'error', 'commit', 'stages'} for r in d)"
    jtrue "[$m] ... the same record as dapt run --json" "$TMP/out" \
        "d[1] == json.load(open('$TMP/record.json'))"

    # show
    expect_exit 0 "[$m] runs show" "$DAPT" runs show "$id"
    cp "$TMP/out" "$TMP/show"
    matches "$TMP/show" "^run +$id$" "[$m] the id"
    matches "$TMP/show" "^workflow +chatty$" "[$m] the workflow"
    matches "$TMP/show" "^file +chatty.yaml$" "[$m] the file"
    matches "$TMP/show" "^state +finished$" "[$m] the state"
    matches "$TMP/show" "^finished +20[0-9-]{8} [0-9:]{8} \([0-9.]+(ms|s)\)$" "[$m] the end and how long it took"
    matches "$TMP/show" '^result +\{"talk":5,"shout":' "[$m] the result"
    matches "$TMP/show" '^STAGE +STATE +ATTEMPTS +ITEMS +STARTED +DURATION +ERROR$' "[$m] the stages' table"
    matches "$TMP/show" '^talk +finished +1 +- +20' "[$m] a simple stage"
    matches "$TMP/show" '^shout +finished +1 +3/3 +20' "[$m] a parameterized stage with its items"
    expect_exit 0 "[$m] runs show of the failed run" "$DAPT" runs show "$bad"
    matches "$TMP/out" '^error +stage `boom` failed: it broke$' "[$m] ... its error"
    matches "$TMP/out" '^boom +failed +1 +- +20.* it broke$' "[$m] ... its stage's"
    expect_exit 0 "[$m] runs show --json" "$DAPT" runs show "$id" --json
    jtrue "[$m] ... is the record" "$TMP/out" "d == json.load(open('$TMP/record.json'))"
    short=$(echo "$id" | cut -c1-5)
    expect_exit 0 "[$m] a unique prefix of the id" "$DAPT" runs show "$short"
    matches "$TMP/out" "^run +$id$" "[$m] ... finds the run"

    # logs
    expect_exit 0 "[$m] runs logs" "$DAPT" runs logs "$id"
    cp "$TMP/out" "$TMP/logs"
    printf '%-9s | %s\n' talk "1 bcdefghijk" talk "2 cdefghijkl" talk "3 defghijklm" \
        talk "4 efghijklmn" talk "5 fghijklmno" >"$TMP/want"
    grep '^talk ' "$TMP/logs" >"$TMP/got"
    same "$TMP/got" "[$m] the lines of a stage, in order, as dapt run prints them"
    matches "$TMP/logs" '^shout#0 +\| 01 bcd$' "[$m] an item's line"
    matches "$TMP/logs" '^shout#2 +\| 10 klm$' "[$m] ... all of them"
    [ "$(wc -l <"$TMP/logs")" -eq 35 ] && ok "[$m] every line once" || fail "[$m] every line once ($(wc -l <"$TMP/logs"))"
    expect_exit 0 "[$m] runs logs --stage talk" "$DAPT" runs logs "$id" --stage talk
    same "$TMP/out" "[$m] ... only its lines"
    expect_exit 0 "[$m] runs logs --grep CDE" "$DAPT" runs logs "$id" --grep CDE
    printf '%s\n' "shout#0 | 02 cde" "shout#1 | 02 cde" "shout#2 | 02 cde" "talk | 1 bcdefghijk" \
        "talk | 2 cdefghijkl" >"$TMP/want"
    sed 's/  *|/ |/' "$TMP/out" | sort >"$TMP/got"
    same "$TMP/got" "[$m] ... the lines containing it, in any case"
    expect_exit 0 "[$m] runs logs --grep='3 D' --stage=shout" "$DAPT" runs logs "$id" --grep='3 D' --stage=shout
    printf '%s\n' "shout#0 | 03 def" "shout#1 | 03 def" "shout#2 | 03 def" >"$TMP/want"
    sed 's/  *|/ |/' "$TMP/out" | sort >"$TMP/got"
    same "$TMP/got" "[$m] ... both filters"
    expect_exit 0 "[$m] runs logs --grep of two characters" "$DAPT" runs logs "$id" --grep '3 ' --stage shout
    sed 's/  *|/ |/' "$TMP/out" | sort >"$TMP/got"
    same "$TMP/got" "[$m] ... found without the index"
    expect_exit 0 "[$m] runs logs --grep of nothing" "$DAPT" runs logs "$id" --grep nowhere
    [ ! -s "$TMP/out" ] && ok "[$m] ... prints nothing" || not_ok "[$m] ... prints nothing"
    expect_exit 0 "[$m] runs logs --json" "$DAPT" runs logs "$id" --json
    jtrue "[$m] ... an array of lines {seq, ts, stage, item, stream, level, text}" "$TMP/out" \
        "len(d) == 35 and [l['seq'] for l in d] == list(range(1, 36)) and all(list(l) == ['seq', 'ts', 'stage', 'item', 'stream', 'level', 'text'] for l in d)"
    jtrue "[$m] ... with stage, item and stream" "$TMP/out" \
        "{(l['stage'], l['item'], l['stream'], l['text']) for l in d} >= {('talk', None, 'stdout', '1 bcdefghijk'), ('shout', 1, 'stdout', '02 cde')} and all(re.match(r'20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$', l['ts']) for l in d)"
    expect_exit 0 "[$m] runs logs --json --grep of nothing" "$DAPT" runs logs "$id" --json --grep nowhere
    jtrue "[$m] ... is []" "$TMP/out" "d == []"
    expect_exit 1 "[$m] runs logs --stage of no stage" "$DAPT" runs logs "$id" --stage nope
    contains "$TMP/err" "dapt: run $id has no stage \`nope\` (its stages: talk, shout)" "[$m] ... names the stages"
done
unset $MODE_VAR

# Another workspace, by $DAPT_WORKSPACE
cd "$TMP"
expect_exit 0 "DAPT_WORKSPACE chooses the workspace" env DAPT_WORKSPACE="$W" "$DAPT" runs list
grep -Eq "^$id +chatty " "$TMP/out" && ok "... its runs" || not_ok "... its runs"
expect_exit 1 "an unknown id there" env DAPT_WORKSPACE="$W" "$DAPT" runs show zzzzzz
contains "$TMP/err" "dapt: no run \`zzzzzz\` in $W/.dapt/dapt.db" "... names its store"

# ------------------------------------------------------------------
# Many lines: read in pages, found by --grep
# ------------------------------------------------------------------

ws many
printf 'name: many\nstages: [{name: spam, target: dapt.log, args: {lines: 25000, width: 40}}]\n' >many.yaml
expect_exit 0 "a run of 25000 lines" "$DAPT" run many.yaml --quiet
mid=$("$DAPT" runs list --json | sed -n 's/^    "id": "\([a-z0-9]*\)",$/\1/p')
expect_exit 0 "runs logs of it" "$DAPT" runs logs "$mid"
[ "$(wc -l <"$TMP/out")" -eq 25000 ] && ok "... every line" || not_ok "... every line ($(wc -l <"$TMP/out"))"
seq -f 'spam | %05g' 1 25000 >"$TMP/want"
cut -c1-12 "$TMP/out" >"$TMP/got"
same "$TMP/got" "... in order"
expect_exit 0 "runs logs --grep of one of them" "$DAPT" runs logs "$mid" --grep "12345 "
[ "$(wc -l <"$TMP/out")" -eq 1 ] && grep -q '^spam | 12345 ' "$TMP/out" && ok "... finds it" || not_ok "... finds it"

# ------------------------------------------------------------------
# --follow: a run another process is running
# ------------------------------------------------------------------

ws follow
cat >talk.yaml <<'YAML'
name: talk
stages:
  - {name: say, target: dapt.shell, args: {argv: "echo first >&2; sleep 1; echo second >&2", shell: true}}
  - {name: then, target: dapt.log, depends_on: [say], args: {lines: 2, width: 8}}
YAML
"$DAPT" run talk.yaml >"$TMP/bg.out" 2>"$TMP/bg.err" &
pid=$!
wait_for "$TMP/bg.err" '^say +\| first$'
fid=$(run_id "$TMP/bg.err")
expect_exit 0 "runs logs --follow of a running run" "$DAPT" runs logs "$fid" --follow
"$DAPT" runs list --json >"$TMP/list.json"
jtrue "... returns when the run has ended" "$TMP/list.json" "d[0]['id'] == '$fid' and d[0]['state'] == 'finished'"
wait $pid
printf '%s\n' "say  | first" "say  | second" "then | 1 bcdefg" "then | 2 cdefgh" >"$TMP/want"
same "$TMP/out" "... with every line, the later ones too"
expect_exit 0 "runs logs --follow of a finished run" "$DAPT" runs logs "$fid" --follow --json
jtrue "... prints its lines and returns" "$TMP/out" "[l['text'] for l in d] == ['first', 'second', '1 bcdefg', '2 cdefgh']"

# ... and one whose dapt is killed: it is interrupted, and follow returns
cat >hang.yaml <<'YAML'
name: hang
stages:
  - {name: say, target: dapt.shell, args: {argv: "echo first >&2; sleep 30", shell: true}}
YAML
for m in processes threads; do
    mode $m
    "$DAPT" run hang.yaml >"$TMP/bg.out" 2>"$TMP/bg.err" &
    pid=$!
    wait_for "$TMP/bg.err" '^say +\| first$'
    hid=$(run_id "$TMP/bg.err")
    expect_exit 0 "[$m] runs list while it runs" "$DAPT" runs list --state running
    grep -Eq "^$hid +hang +running " "$TMP/out" && ok "[$m] ... it is running" || not_ok "[$m] ... it is running"
    "$DAPT" runs logs "$hid" --follow >"$TMP/follow.out" 2>"$TMP/follow.err" &
    fpid=$!
    sleep 0.3
    kill -0 $fpid 2>/dev/null && ok "[$m] follow waits for more" || not_ok "[$m] follow waits for more"
    tree=$(descendants $pid)
    kill -9 $pid
    { wait $pid; } 2>/dev/null
    i=0
    while kill -0 $fpid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    if kill -0 $fpid 2>/dev/null; then
        not_ok "[$m] follow returns when its dapt is killed"; kill $fpid
    else
        ok "[$m] follow returns when its dapt is killed"
    fi
    wait $fpid
    [ $? -eq 0 ] && ok "[$m] ... with status 0" || not_ok "[$m] ... with status 0"
    printf 'say  | first\n' >"$TMP/want"
    same "$TMP/follow.out" "[$m] ... after the lines it had"
    expect_exit 0 "[$m] runs show of the killed run" "$DAPT" runs show "$hid"
    matches "$TMP/out" '^state +interrupted$' "[$m] ... is interrupted"
    matches "$TMP/out" "^error +the process running it \\(pid $pid\\) died$" "[$m] ... because its process died"
    matches "$TMP/out" '^say +interrupted ' "[$m] ... its running stage too"
    # what the killed dapt left (workers, the stage's shell and its sleep)
    for p in $tree; do kill -9 "$p" 2>/dev/null; done
done
unset $MODE_VAR

done_testing
