#!/bin/sh
# flowdapt.sh - Flowdapt's workflow semantics through `dapt validate` and
# `dapt run`, each run in process and in thread mode, with the result
# Flowdapt gives for the same workflow:
#   - a parameterized stage maps over its first dependency's output and
#     passes the other outputs after the item: f(item, k);
#   - with options.map_on it maps over input[map_on] and passes every
#     dependency's output after the item, in depends_on order;
#   - map_on / allow_partial_failure beside `target`, and options.type,
#     have no effect (a warning at FILE:LINE:COL says where they go);
#   - a stage listed twice in depends_on is passed twice;
#   - depends_on as one name is read (Flowdapt 0.1.52 rejects it: a warning);
# and the cases of Flowdapt's tests/compute/workflow/ (test_execute.py,
# test_methods.py) that a command line can show.  Where dapt deliberately
# differs (it checks at load what Flowdapt finds while running; several
# sinks give an object keyed by name) the test says so.
. "$top_srcdir/tests/cli/lib.sh"
MODE_VAR=DAPT__SERVICES__COMPUTE__EXECUTOR__USE_PROCESSES
XDG_CACHE_HOME="$TMP/cache"
export XDG_CACHE_HOME
unset DAPT_WORKSPACE $MODE_VAR 2>/dev/null
cd "$TMP" || exit 99

# same FILE TEXT DESCRIPTION: FILE holds exactly TEXT and a newline
same() {
    printf '%s\n' "$2" >"$TMP/want"
    if cmp -s "$1" "$TMP/want"; then ok "$3"; else
        not_ok "$3"; echo "# wanted: $2"; sed 's/^/# got:    /' "$1" | head -10; fi
}
lacks() {
    if grep -qF -- "$2" "$1"; then not_ok "$3"; sed 's/^/# /' "$1" | head -20; else ok "$3"; fi
}
no_diag() { if [ ! -s "$TMP/err" ]; then ok "$1"; else not_ok "$1"; sed 's/^/# /' "$TMP/err"; fi; }
# runs_to WANT DESCRIPTION FILE [ARGS...]: `dapt run -q` in both modes
# prints WANT (expect_exit sets $want and $d: other names here)
runs_to() {
    rt_want=$1 rt_d=$2
    shift 2
    for m in processes threads; do
        case $m in processes) v=true ;; *) v=false ;; esac
        expect_exit 0 "$rt_d: runs ($m)" env $MODE_VAR=$v "$DAPT" run -q "$@"
        same "$TMP/out" "$rt_want" "$rt_d: $rt_want ($m)"
    done
}

# ------------------------------------------------------------------
# A parameterized stage with two or more dependencies: f(item, k, ...)
# ------------------------------------------------------------------
cat >two.yaml <<'YAML'
kind: workflow
metadata: {name: two}
spec:
  stages:
    - {name: nums, target: dapt.range, args: {n: 3}}
    - {name: k, target: dapt.square, args: {x: 10}}
    - {name: f, target: dapt.add, type: parameterized, depends_on: [nums, k]}
YAML
expect_exit 0 "map with two dependencies validates (k fills dapt.add's b)" "$DAPT" validate two.yaml
no_diag "map with two dependencies: no diagnostics"
runs_to '[100,101,102]' "add(item, k) per item of nums" two.yaml

cat >three.yaml <<'YAML'
name: three
stages:
  - {name: nums, target: dapt.range, args: {n: 2}}
  - {name: k, target: dapt.square, args: {x: 10}}
  - {name: j, target: dapt.square, args: {x: 2}}
  - {name: f, target: dapt.echo, type: parameterized, depends_on: [nums, k, j]}
YAML
expect_exit 0 "map with three dependencies validates" "$DAPT" validate three.yaml
runs_to '[[0,100,4],[1,100,4]]' "echo(item, k, j): the other outputs in depends_on order" three.yaml

# one dependency leaves dapt.add's b to nothing: still an error
cat >one.yaml <<'YAML'
name: one
stages:
  - {name: nums, target: dapt.range, args: {n: 3}}
  - {name: f, target: dapt.add, type: parameterized, depends_on: [nums]}
YAML
expect_exit 1 "map with one dependency, a target of two params" "$DAPT" validate one.yaml
contains "$TMP/err" "one.yaml:4:23: error: \`dapt.add\` requires \`b\`, which stage \`f\` does not give: add it to \`args\`" \
    "the item fills only a"

# ------------------------------------------------------------------
# options.map_on on a stage with dependencies
# ------------------------------------------------------------------
cat >mapdeps.yaml <<'YAML'
name: mapdeps
stages:
  - {name: nums, target: dapt.range, args: {n: 2}}
  - {name: k, target: dapt.square, args: {x: 10}}
  - name: f
    target: dapt.echo
    type: parameterized
    depends_on: [k, nums]
    options: {map_on: xs}
YAML
expect_exit 0 "map_on with dependencies validates" "$DAPT" validate mapdeps.yaml
no_diag "map_on with dependencies: no diagnostics"
runs_to '[["a",100,[0,1]],["b",100,[0,1]]]' \
    "input[map_on] is mapped over, every output follows the item" \
    mapdeps.yaml --input-json '{"xs": ["a", "b"]}'
cat >mapadd.yaml <<'YAML'
name: mapadd
stages:
  - {name: k, target: dapt.square, args: {x: 10}}
  - {name: g, target: dapt.add, type: parameterized, depends_on: [k], options: {map_on: xs}}
YAML
expect_exit 0 "map_on: item and one output fill dapt.add" "$DAPT" validate mapadd.yaml
no_diag "map_on with one dependency: no diagnostics"
runs_to '[101,102]' "add(item, k) per item of input.xs" mapadd.yaml --input-json '{"xs": [1, 2]}'
for m in processes threads; do
    case $m in processes) v=true ;; *) v=false ;; esac
    expect_exit 1 "map_on without the input list ($m)" env $MODE_VAR=$v "$DAPT" run -q mapadd.yaml
    contains "$TMP/err" "stage \`g\` maps over input \`xs\`, which the run input does not give" \
        "the missing list is named before the run ($m)"
done

# ------------------------------------------------------------------
# Options beside `target`, and options.type: no effect, a warning
# ------------------------------------------------------------------
cat >beside.yaml <<'YAML'
name: beside
stages:
  - {name: nums, target: dapt.range, args: {n: 3}}
  - name: f
    target: dapt.fail
    type: parameterized
    depends_on: [nums]
    map_on: xs
    allow_partial_failure: false
    args: {on: [1]}
YAML
expect_exit 0 "options beside target: only warnings" "$DAPT" validate beside.yaml
contains "$TMP/err" "beside.yaml:8:5: warning: \`map_on\` has no effect beside \`target\` (Flowdapt ignores it there too): it is an option; write it under \`options\`, e.g. \`options: {map_on: xs}\`" \
    "map_on beside target: a warning at it"
contains "$TMP/err" "beside.yaml:9:5: warning: \`allow_partial_failure\` has no effect beside \`target\` (Flowdapt ignores it there too): it is an option; write it under \`options\`, e.g. \`options: {allow_partial_failure: false}\`" \
    "allow_partial_failure beside target: a warning at it"
# maps over nums, not input.xs; item 1 is dropped (the default, true)
runs_to '[0,2]' "both ignored: nums mapped, the failed item dropped" beside.yaml \
    --input-json '{"xs": [7, 8]}'

cat >otype.yaml <<'YAML'
name: otype
stages:
  - {name: nums, target: dapt.range, args: {n: 2}}
  - {name: f, target: dapt.echo, depends_on: [nums], options: {type: parameterized}}
YAML
expect_exit 0 "options.type: a warning" "$DAPT" validate otype.yaml
contains "$TMP/err" "otype.yaml:4:64: warning: \`options.type\` has no effect: a stage's type comes from its own \`type\`; write \`type:\` beside \`target\`" \
    "options.type: a warning at it"
runs_to '[0,1]' "options.type ignored: a simple stage gets the list whole" otype.yaml

# ------------------------------------------------------------------
# depends_on: a stage listed twice, a single name
# ------------------------------------------------------------------
cat >twice.yaml <<'YAML'
name: twice
stages:
  - {name: a, target: dapt.square, args: {x: 3}}
  - {name: b, target: dapt.add, depends_on: [a, a]}
YAML
expect_exit 0 "a dependency listed twice: a warning" "$DAPT" validate twice.yaml
contains "$TMP/err" "twice.yaml:4:49: warning: \`a\` is listed twice in \`depends_on\` (entries 1 and 2): its output is passed twice; list it once unless that is meant" \
    "the warning says it is passed twice"
runs_to '18' "add(a, a): the output passed twice" twice.yaml

cat >single.yaml <<'YAML'
name: single
stages:
  - {name: a, target: dapt.range, args: {n: 3}}
  - {name: b, target: dapt.sum, depends_on: a}
YAML
expect_exit 0 "depends_on as one name: a warning" "$DAPT" validate single.yaml
contains "$TMP/err" "single.yaml:4:45: warning: \`depends_on\` is a list of stage names: write \`[a]\`; dapt reads a single name, but Flowdapt 0.1.52 rejects it" \
    "the warning says Flowdapt would reject it"
runs_to '3' "depends_on as one name still works" single.yaml

# ------------------------------------------------------------------
# Flowdapt's tests/compute/workflow/test_execute.py
# ------------------------------------------------------------------
cat >example.yaml <<'YAML'
kind: workflow
metadata: {name: example}
spec:
  stages:
    - {name: stage1, target: dapt.range, args: {n: 10}}
    - {name: stage2, target: dapt.square, type: parameterized, depends_on: [stage1]}
YAML
for m in processes threads; do
    case $m in processes) v=true ;; *) v=false ;; esac
    expect_exit 0 "simple -> parameterized ($m)" env $MODE_VAR=$v "$DAPT" run --json example.yaml
    jtrue "the run record: finished, times, id, name, result ($m)" "$TMP/out" \
        'd["state"] == "finished" and d["result"] == [i * i for i in range(10)] and isinstance(d["finished_at"], str) and isinstance(d["started_at"], str) and isinstance(d["id"], str) and d["workflow"] == "example"'
    cp "$TMP/out" "$TMP/record"
    # return_result: the raw result is the record's result
    expect_exit 0 "the raw result ($m)" env $MODE_VAR=$v "$DAPT" run -q example.yaml
    jtrue "the raw result equals the record's ($m)" "$TMP/out" 'd == json.load(open(sys.argv[1].replace("out", "record")))["result"]'
done
printf 'name: w\nstages:\n  - {name: s, target: dapt.square}\n' >root.yaml
runs_to '49' "a root stage receives the input as named arguments" root.yaml \
    --input-json '{"x": 7, "test": "value"}'
printf 'name: w\nstages:\n  - {name: s, target: dapt.exists, args: {key: nothing}}\n' >bool.yaml
runs_to 'false' "a single simple stage's value is the result" bool.yaml
cat >plist.yaml <<'YAML'
name: plist
stages:
  - {name: xs, target: dapt.range, args: {n: 4}}
  - {name: f, target: dapt.add, type: parameterized, depends_on: [xs], args: {b: 2}}
YAML
runs_to '[2,3,4,5]' "parameterized after a list stage" plist.yaml
cat >mroot.yaml <<'YAML'
name: mroot
stages:
  - {name: f, target: dapt.square, type: parameterized, options: {map_on: x}}
YAML
runs_to '[1,4]' "a root parameterized stage with map_on x" mroot.yaml --input-json '{"x": [1, 2]}'

# ------------------------------------------------------------------
# Flowdapt's tests/compute/workflow/test_methods.py (the run part)
# ------------------------------------------------------------------
# two independent stages returning null: Flowdapt returns the last one's
# (null); dapt returns every sink's, by name
cat >nones.yaml <<'YAML'
name: nones
stages:
  - {name: a, target: dapt.sleep, args: {seconds: 0}}
  - {name: b, target: dapt.sleep, args: {seconds: 0}}
YAML
runs_to '{"a":null,"b":null}' "two independent stages returning null" nones.yaml
# an unknown stage key is ignored (a warning) and the run finishes
cat >unknown.yaml <<'YAML'
name: unknown
stages:
  - name: a
    target: dapt.square
    args: {x: 2}
    required_resources: {cpus: 1}
YAML
expect_exit 0 "an unknown stage key: validates" "$DAPT" validate unknown.yaml
contains "$TMP/err" "unknown.yaml:6:5: warning: unknown key \`required_resources\` in a stage" \
    "an unknown stage key: a warning"
runs_to '4' "an unknown stage key: the run finishes" unknown.yaml
# a stage that raises: the run fails, with the stage's error
printf 'name: w\nstages:\n  - {name: a, target: dapt.fail, args: {message: it broke}}\n' >raise.yaml
for m in processes threads; do
    case $m in processes) v=true ;; *) v=false ;; esac
    expect_exit 1 "a stage that fails fails the run ($m)" env $MODE_VAR=$v "$DAPT" run --json raise.yaml
    jtrue "state failed, the stage's error ($m)" "$TMP/out" \
        'd["state"] == "failed" and "it broke" in d["error"] and d["stages"][0]["error"] == "it broke"'
done
# an empty stage list and an empty name are refused, nothing run
printf 'name: w\nstages: []\n' >empty.yaml
expect_exit 1 "an empty stage list is refused" "$DAPT" run -q empty.yaml
contains "$TMP/err" "\`stages\` is empty" "says the stage list is empty"
printf 'name: ""\nstages:\n  - {name: a, target: dapt.echo}\n' >noname.yaml
expect_exit 1 "an empty workflow name is refused" "$DAPT" run -q noname.yaml
contains "$TMP/err" "\`name\` cannot be empty" "says the name is empty"
lacks "$TMP/err" " started" "nothing started"

done_testing
