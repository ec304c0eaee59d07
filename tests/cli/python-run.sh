#!/bin/sh
# python-run.sh - `dapt run` with Python stages, as a user runs them: the
# fixture distribution pyexec_fixture (tests/data/python/pyexec_fixture)
# installed with pip into a venv of Debian's python3, found by discovery,
# run by the pool of INTERPRETER -m dapt_worker processes, in process mode
# and in thread mode (where Python stages still run in processes).
# Skipped without python3-venv.
. "$top_srcdir/tests/cli/lib.sh"
MODE_VAR=DAPT__SERVICES__COMPUTE__EXECUTOR__USE_PROCESSES
XDG_CACHE_HOME="$TMP/cache"
export XDG_CACHE_HOME
unset DAPT_WORKSPACE $MODE_VAR VIRTUAL_ENV PYTHONPATH 2>/dev/null
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE

skip_all() {
    echo "1..0 # SKIP $*"
    exit 0
}

# ------------------------------------------------------------------
# The venv with the fixture in it
# ------------------------------------------------------------------

SYS_PY=/usr/bin/python3
[ -x "$SYS_PY" ] || skip_all "no $SYS_PY"
"$SYS_PY" -m venv --system-site-packages "$TMP/venv" >"$TMP/venv.log" 2>&1 ||
    skip_all "python3-venv is missing ($(tail -1 "$TMP/venv.log"))"
# pip builds in the project's folder: a copy, not the source tree
cp -R "$top_srcdir/tests/data/python/pyexec_fixture" "$TMP/proj"
"$TMP/venv/bin/pip" install --no-index --no-build-isolation --no-deps "$TMP/proj" \
    >"$TMP/pip.log" 2>&1 || skip_all "pip cannot install the fixture ($(tail -1 "$TMP/pip.log"))"
DAPT_PYTHON="$TMP/venv/bin/python"
export DAPT_PYTHON
"$DAPT" targets --json >"$TMP/targets.json" 2>"$TMP/targets.err"
grep -q '"pyexec_fixture.stages.square"' "$TMP/targets.json" ||
    skip_all "discovery does not find the Python plugin pyexec_fixture"

# ------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------

n_ws=0
ws() {
    n_ws=$((n_ws + 1))
    W="$TMP/ws$n_ws-$1"
    mkdir -p "$W" && cd "$W" || exit 99
}
mode() {
    case $1 in
    processes) export $MODE_VAR=true ;;
    threads) export $MODE_VAR=false ;;
    esac
}
same() {
    printf '%s\n' "$2" >"$TMP/want"
    if cmp -s "$1" "$TMP/want"; then ok "$3"; else
        not_ok "$3"; echo "# wanted: $2"; sed 's/^/# got:    /' "$1" | head -10
        sed 's/^/# err: /' "$TMP/err" | head -20; fi
}
matches() {
    if grep -q -- "$2" "$1"; then ok "$3"; else
        not_ok "$3"; echo "# /$2/ not in:"; sed 's/^/# /' "$1" | head -30; fi
}
now_ms() { date +%s%3N; }
wait_for() {
    i=0
    while [ $i -lt 500 ]; do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.02
        i=$((i + 1))
    done
    return 1
}
run_id() { sed -n 's/^[0-9:]* run \([^ ]*\) of .* started$/\1/p' "$1" | head -1; }

P=pyexec_fixture.stages
ws flows
cat >sq.yaml <<YAML
name: sq
stages:
  - {name: s, target: $P.square}
YAML
cat >chain.yaml <<YAML
name: chain
stages:
  - {name: a, target: $P.numbers, args: {n: 5}}
  - {name: b, target: $P.total, depends_on: [a]}
YAML
cat >args.yaml <<YAML
name: args
stages:
  - {name: s, target: $P.add, args: {b: 100}}
YAML
cat >map.yaml <<YAML
name: map
stages:
  - {name: a, target: $P.numbers, args: {n: 4}}
  - {name: s, target: $P.square, type: parameterized, depends_on: [a]}
YAML
cat >mapon.yaml <<YAML
name: mapon
stages:
  - {name: s, target: $P.add, type: parameterized, options: {map_on: a}}
YAML
cat >gather.yaml <<YAML
name: gather
stages:
  - {name: a, target: $P.numbers, args: {n: 3}}
  - {name: b, target: $P.numbers, args: {n: 2}}
  - {name: g, target: $P.gather, depends_on: [a, b], args: {scale: 10}}
YAML
cat >partial.yaml <<YAML
name: partial
stages:
  - {name: a, target: $P.numbers, args: {n: 4}}
  - {name: f, target: $P.fail_on, type: parameterized, depends_on: [a], args: {bad: 2}}
YAML
cat >strict.yaml <<YAML
name: strict
stages:
  - {name: a, target: $P.numbers, args: {n: 4}}
  - name: f
    target: $P.fail_on
    type: parameterized
    depends_on: [a]
    args: {bad: 2}
    options: {allow_partial_failure: false}
YAML
cat >nap.yaml <<YAML
name: nap
stages:
  - {name: nap, target: $P.nap, args: {seconds: 30}, options: {timeout: 1s}}
YAML
cat >spin.yaml <<YAML
name: spin
stages:
  - {name: spin, target: $P.spin}
  - {name: after, target: $P.square, depends_on: [spin]}
YAML
cat >shout.yaml <<YAML
name: shout
stages:
  - {name: a, target: $P.numbers, args: {n: 3}}
  - {name: s, target: $P.shout, type: parameterized, depends_on: [a]}
YAML
cat >boom.yaml <<YAML
name: boom
stages:
  - {name: boom, target: $P.boom, args: {message: kaputt}}
YAML
cat >mixed.yaml <<YAML
name: mixed
stages:
  - {name: a, target: dapt.range, args: {n: 4}}
  - {name: b, target: $P.total, depends_on: [a]}
  - {name: c, target: dapt.square, depends_on: [b]}
YAML
cat >box.yaml <<YAML
name: box
stages:
  - {name: a, target: $P.make_box, args: {v: 21}}
  - {name: b, target: $P.open_box, depends_on: [a]}
YAML
cat >cbox.yaml <<YAML
name: cbox
stages:
  - {name: a, target: $P.make_box, args: {v: 21}}
  - {name: b, target: dapt.square, depends_on: [a]}
YAML
cat >crash.yaml <<YAML
name: crash
stages:
  - {name: x, target: $P.exit_now}
YAML

for m in processes threads; do
    mode $m
    expect_exit 0 "[$m] a root stage gets the input as kwargs" "$DAPT" run sq.yaml --input x=7
    same "$TMP/out" 49 "[$m] ... 7 squared"
    expect_exit 0 "[$m] a dependent stage gets the outputs as positionals" "$DAPT" run chain.yaml
    same "$TMP/out" 10 "[$m] ... sum of 0..4"
    expect_exit 0 "[$m] args: over the input" "$DAPT" run args.yaml --input a=1 --input b=2
    same "$TMP/out" 101 "[$m] ... b from args:"
    expect_exit 0 "[$m] a parameterized stage" "$DAPT" run map.yaml
    same "$TMP/out" '[0,1,4,9]' "[$m] ... one call per item, in order"
    expect_exit 0 "[$m] map_on" "$DAPT" run mapon.yaml --input 'a=[1,2,3]' --input b=10
    same "$TMP/out" '[11,12,13]' "[$m] ... over the input's list"
    expect_exit 0 "[$m] *args: the first output fills the first param" "$DAPT" run gather.yaml
    same "$TMP/out" 31 "[$m] ... the second goes to *args, scale (keyword-only) from args:"
    expect_exit 0 "[$m] partial failure" "$DAPT" run partial.yaml
    same "$TMP/out" '[0,1,3]' "[$m] ... the failed item left out"
    matches "$TMP/err" 'item #2 failed: ValueError: item 2 is bad (.*stages.py:[0-9]*)' \
        "[$m] ... the item's error: Type: message (FILE:LINE)"
    expect_exit 1 "[$m] allow_partial_failure: false" "$DAPT" run strict.yaml
    matches "$TMP/err" 'f failed.*item #2 failed: ValueError: item 2 is bad' "[$m] ... fails the stage"

    rm -f "$TMP/flaky-$m"
    cat >flaky.yaml <<YAML
name: flaky
stages:
  - {name: s, target: $P.flaky, args: {marker: "$TMP/flaky-$m"}, options: {retries: 1}}
YAML
    expect_exit 0 "[$m] retries" "$DAPT" run flaky.yaml --json
    jtrue "[$m] ... the second attempt's value" "$TMP/out" \
        'd["result"] == "second attempt" and d["stages"][0]["attempts"] == 2'
    matches "$TMP/err" 'attempt 1 failed: OSError: first attempt fails' "[$m] ... the first failure said"

    t0=$(now_ms)
    expect_exit 1 "[$m] a timeout" "$DAPT" run nap.yaml
    t=$(($(now_ms) - t0))
    matches "$TMP/err" 'nap failed in [0-9.]*s: timed out after 1s$' "[$m] ... named"
    [ $t -lt 4500 ] && ok "[$m] ... time.sleep interrupted at once ($t ms)" ||
        not_ok "[$m] ... time.sleep interrupted at once ($t ms)"

    # cancel a busy loop: SIGINT, the cancel frame, exit 130
    : >"$TMP/bg.err"
    t0=$(now_ms)
    DAPT__SERVICES__COMPUTE__EXECUTOR__GRACE_PERIOD=30s "$DAPT" run spin.yaml --json \
        >"$TMP/bg.out" 2>"$TMP/bg.err" &
    pid=$!
    wait_for "$TMP/bg.err" 'spinning'
    sleep 0.1
    kill -INT $pid
    wait $pid
    rc=$?
    t=$(($(now_ms) - t0))
    [ $rc -eq 130 ] && ok "[$m] SIGINT during a busy Python loop: exit 130" ||
        { not_ok "[$m] SIGINT during a busy Python loop: exit 130 (got $rc)"; sed 's/^/# /' "$TMP/bg.err"; }
    [ $t -lt 10000 ] && ok "[$m] ... stopped by the cancel frame, not the kill ($t ms)" ||
        not_ok "[$m] ... stopped by the cancel frame, not the kill ($t ms)"
    jtrue "[$m] ... state cancelled" "$TMP/bg.out" \
        'd["state"] == "cancelled" and [s["state"] for s in d["stages"]] == ["cancelled", "skipped"]'

    # Ctrl-C as a terminal sends it, to the whole process group: the
    # engine alone gets it (the Python workers have a group of their
    # own) and stops the stage with a cancel frame; nothing else dies
    if command -v setsid >/dev/null 2>&1; then
        : >"$TMP/bg.err"
        setsid "$DAPT" run spin.yaml --json >"$TMP/bg.out" 2>"$TMP/bg.err" &
        pid=$!
        wait_for "$TMP/bg.err" 'spinning'
        sleep 0.1
        kill -INT -$pid
        wait $pid
        rc=$?
        [ $rc -eq 130 ] && ok "[$m] SIGINT to the process group: exit 130" ||
            { not_ok "[$m] SIGINT to the process group: exit 130 (got $rc)"; sed 's/^/# /' "$TMP/bg.err"; }
        jtrue "[$m] ... cancelled, not failed" "$TMP/bg.out" \
            'd["state"] == "cancelled" and d["stages"][0]["state"] == "cancelled"'
        if grep -q 'worker process' "$TMP/bg.err"; then
            not_ok "[$m] ... no worker died of it"; sed 's/^/# /' "$TMP/bg.err"
        else ok "[$m] ... no worker died of it"; fi
    else
        ok "[$m] SIGINT to the process group # SKIP no setsid"
    fi

    expect_exit 0 "[$m] print in a map" "$DAPT" run shout.yaml
    matches "$TMP/err" '^s#0 *| item 0 out$' "[$m] ... stdout lines numbered by item"
    matches "$TMP/err" '^s#2 *| item 2 out$' "[$m] ... each its own"
    matches "$TMP/err" '^s#1 *| item 1 err$' "[$m] ... stderr too"

    expect_exit 1 "[$m] an exception" "$DAPT" run boom.yaml
    matches "$TMP/err" 'boom failed in [0-9.]*s: RuntimeError: kaputt (.*stages.py:[0-9]*)$' \
        "[$m] ... its error: Type: message (FILE:LINE)"
    id=$(run_id "$TMP/err")
    "$DAPT" runs logs "$id" >"$TMP/logs" 2>&1
    matches "$TMP/logs" 'Traceback (most recent call last):' "[$m] ... its traceback in dapt runs logs"
    matches "$TMP/logs" 'in inner' "[$m] ... down to the innermost frame"

    expect_exit 0 "[$m] C stage -> Python stage -> C stage" "$DAPT" run mixed.yaml --json
    jtrue "[$m] ... JSON across runtimes" "$TMP/out" \
        'd["result"] == 36 and "python: " in d["executor"]'

    expect_exit 0 "[$m] a non-JSON value between two Python stages" "$DAPT" run box.yaml
    same "$TMP/out" 42 "[$m] ... unpickled by the next stage"
    expect_exit 1 "[$m] a C stage handed a Python value" "$DAPT" run cbox.yaml
    matches "$TMP/err" 'argument 1 is a Python value (pyexec_fixture.stages.Box) from a Python stage; a C stage takes JSON only: return JSON (e.g. .tolist()) from `a`, or make `b` a Python stage' \
        "[$m] ... fails with the message"

    expect_exit 1 "[$m] os._exit in a stage" "$DAPT" run crash.yaml
    matches "$TMP/err" 'x failed in [0-9.]*s: worker process [0-9]* exited with status 3$' \
        "[$m] ... named like a C worker's death"
done

# What a Python stage starts does not outlive the run, nor a `kill -9` of
# dapt: each sleep's length is its marker.
ws children
mark=$$$(date +%N | cut -c1-5)
left_of() { pgrep -f "sleep $1" >/dev/null 2>&1; }
gone() {
    for _ in 1 2 3 4 5 6 7 8 9 10; do left_of "$1" || return 0; sleep 0.2; done
    pkill -KILL -f "sleep $1" 2>/dev/null
    return 1
}
n_mark=0
for m in processes threads; do
    mode $m
    n_mark=$((n_mark + 1)); bg="31$n_mark.$mark"
    printf 'name: pbg\nstages:\n  - {name: s, target: %s.spawn, args: {seconds: "%s"}}\n' "$P" "$bg" >pbg.yaml
    expect_exit 0 "[$m] a Python stage leaves a program running" "$DAPT" run pbg.yaml
    check "[$m] ... it does not outlive the run" gone "$bg"
    n_mark=$((n_mark + 1)); left="31$n_mark.$mark"
    n_mark=$((n_mark + 1)); k9="31$n_mark.$mark"
    printf 'name: pk9\nstages:\n  - {name: a, target: %s.spawn, args: {seconds: "%s"}}\n  - {name: b, target: %s.spawn, depends_on: [a], args: {seconds: "%s", wait: true}}\n' \
        "$P" "$left" "$P" "$k9" >pk9.yaml
    "$DAPT" run pk9.yaml >/dev/null 2>"$TMP/k9.err" &
    pid=$!
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do left_of "$k9" && break; sleep 0.2; done
    check "[$m] a Python stage runs a program after another left one" left_of "$k9"
    kill -9 $pid
    wait $pid 2>/dev/null
    sed 's/^/# /' "$TMP/k9.err" | tail -5
    check "[$m] kill -9 of dapt: the Python stage's program is gone within 2 s" gone "$k9"
    check "[$m] ... and the one an earlier stage left" gone "$left"
done

done_testing
