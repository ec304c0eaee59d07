#!/bin/sh
# typecheck.sh - values checked against the declared parameter types
# before anything runs: `args:` values in `dapt validate` and `dapt run`
# (at the value's FILE:LINE:COL), the run input a root stage receives
# (--input K=V parsed as JSON when it parses, --input-json, items of a
# mapped-over input), config values named like a parameter (warnings),
# dependencies' declared `returns` (warnings), and a Python target's
# annotations.  The run cases run in process and in thread mode.
. "$top_srcdir/tests/cli/lib.sh"
MODE_VAR=DAPT__SERVICES__COMPUTE__EXECUTOR__USE_PROCESSES
unset DAPT_WORKSPACE $MODE_VAR 2>/dev/null
XDG_CACHE_HOME="$TMP/cache"
export XDG_CACHE_HOME
cd "$TMP" || exit 99

cat >args.yaml <<'YAML'
kind: workflow
metadata: {name: args}
spec:
  stages:
    - name: count
      target: dapt.range
      args: {n: "abc"}
    - name: whole
      target: dapt.range
      args:
        n: 2.0
    - name: shout
      target: dapt.shell
      args: {argv: [echo, hi], check: "yes", stdin: null}
    - name: crash
      target: dapt.crash
      args: {signal: 9}
    - name: fine
      target: dapt.square
      args: {x: 2}
YAML
f=args.yaml
expect_exit 1 "validate: a value of the wrong type is an error" "$DAPT" validate $f
contains "$TMP/err" "$f:7:17: error: \`n\` of \`dapt.range\` is an integer; \`\"abc\"\` is a string" "at the value, with both types"
contains "$TMP/err" "$f:11:12: error: \`n\` of \`dapt.range\` is an integer; \`2.0\` is a real number (write \`2\` for an integer)" "a real is not an integer"
contains "$TMP/err" "$f:14:39: error: \`check\` of \`dapt.shell\` is a boolean; \`\"yes\"\` is a string" "a string is not a boolean"
check "null for an optional parameter, an integer in a union, an integer for a number" \
    sh -c '[ "$(grep -c error: "$1")" -eq 3 ]' sh "$TMP/err"
for m in processes threads; do
    expect_exit 1 "run ($m): refused before it starts" env $MODE_VAR=$([ $m = processes ] && echo true || echo false) "$DAPT" run $f
    contains "$TMP/err" "$f:7:17: error: \`n\` of \`dapt.range\` is an integer; \`\"abc\"\` is a string" "run ($m): the same error"
    check "run ($m): no run started" sh -c '! grep -q "started" "$1"' sh "$TMP/err"
done

cat >input.yaml <<'YAML'
kind: workflow
metadata: {name: input}
spec:
  stages:
    - name: count
      target: dapt.range
    - name: squares
      target: dapt.square
      type: parameterized
      options: {map_on: xs}
YAML
for m in processes threads; do
    v=$([ $m = processes ] && echo true || echo false)
    export $MODE_VAR=$v
    expect_exit 1 "--input n=abc ($m)" "$DAPT" run input.yaml --input n=abc --input-json '{"xs": [1]}'
    contains "$TMP/err" "stage \`count\`: --input n: \`n\` of \`dapt.range\` is an integer; \`\"abc\"\` is a string" "names the stage, the key and --input ($m)"
    check "nothing ran ($m)" sh -c '! grep -q "count running" "$1"' sh "$TMP/err"
    expect_exit 0 "--input n=3 is an integer ($m)" "$DAPT" run input.yaml --quiet --input n=3 --input-json '{"xs": [1, 2.5]}'
    check "and runs ($m)" sh -c '[ "$(cat "$1")" = "{\"count\":[0,1,2],\"squares\":[1,6.25]}" ]' sh "$TMP/out"
    expect_exit 1 "--input n='\"3\"' is a string ($m)" "$DAPT" run input.yaml --input 'n="3"' --input-json '{"xs": []}'
    contains "$TMP/err" "\`\"3\"\` is a string" "a JSON string stays a string ($m)"
    expect_exit 1 "--input-json {\"n\": 1.5} ($m)" "$DAPT" run input.yaml --input-json '{"n": 1.5, "xs": []}'
    contains "$TMP/err" "--input n: \`n\` of \`dapt.range\` is an integer; \`1.5\` is a real number" "--input-json values too ($m)"
    expect_exit 1 "an item of the mapped input ($m)" "$DAPT" run input.yaml --input n=1 --input-json '{"xs": [1, "two"]}'
    contains "$TMP/err" "stage \`squares\`: --input xs[1]: \`x\` of \`dapt.square\` is a number; \`\"two\"\` is a string" "the item named by its index ($m)"
done
unset $MODE_VAR

# dependencies: a declared `returns` against the parameter it fills
cat >deps.yaml <<'YAML'
kind: workflow
metadata: {name: deps}
spec:
  stages:
    - name: sh
      target: dapt.shell
      args: {argv: [echo, hi]}
    - name: sq
      target: dapt.square
      depends_on: [sh]
    - name: each
      target: dapt.square
      type: parameterized
      depends_on: [sq]
    - name: nums
      target: dapt.range
      args: {n: 3}
    - name: ok
      target: dapt.square
      type: parameterized
      depends_on: [nums]
    - name: total
      target: dapt.sum
      depends_on: [ok]
YAML
expect_exit 0 "validate: a returns mismatch is a warning" "$DAPT" validate deps.yaml
contains "$TMP/err" "deps.yaml:10:20: warning: \`x\` of \`dapt.square\` is a number; stage \`sq\` gives it the output of \`sh\`, which \`dapt.shell\` declares as an object" "an object for a number, at the dependency"
contains "$TMP/err" "deps.yaml:14:20: warning: stage \`each\` maps over the output of \`sq\`, which \`dapt.square\` declares as a number, not an array" "mapping over a number"
check "integers for a number, a parameterized stage's list for an array: no warning" \
    sh -c '[ "$(grep -c warning: "$1")" -eq 2 ]' sh "$TMP/err"

# a config value named like a stage's parameter
mkdir -p ws/configs ws/workflows
cat >ws/workflows/c.yaml <<'YAML'
kind: workflow
metadata: {name: c, annotations: {group: g}}
spec:
  stages:
    - name: count
      target: dapt.range
      args: {n: 2}
YAML
cat >ws/configs/c.yaml <<'YAML'
kind: config
metadata: {name: cc}
spec:
  selector: {type: annotation, value: {group: g}}
  data:
    n: "ten"
    other: 1
YAML
expect_exit 0 "a config value of the wrong type: the run goes on" sh -c 'cd ws && "$0" run c' "$DAPT"
contains "$TMP/err" "configs/c.yaml:6:8: warning: config \`n\` is named like a parameter of stage \`count\`: \`n\` of \`dapt.range\` is an integer; \`\"ten\"\` is a string" "warned at the config's value"
expect_exit 0 "--quiet: no warning" sh -c 'cd ws && "$0" run c --quiet' "$DAPT"
check "--quiet: nothing on stderr" sh -c '[ ! -s "$1" ]' sh "$TMP/err"

# a Python target: the types come from its annotations
if example_venv; then
    ex="$top_srcdir/examples"
    cat >py.yaml <<'YAML'
kind: workflow
metadata: {name: py}
spec:
  stages:
    - name: words
      target: textstats.stages.tokenize
    - name: report
      target: textstats.stages.report
      depends_on: [words]
      args: {top: "three"}
YAML
    expect_exit 1 "python: validate checks an annotated parameter" "$DAPT" validate py.yaml
    contains "$TMP/err" "py.yaml:10:19: error: \`top\` of \`textstats.stages.report\` is an integer; \`\"three\"\` is a string" "top: int"
    sed -i 's/"three"/2/' py.yaml
    expect_exit 1 "python: --input text=3 is an integer" "$DAPT" run py.yaml --input text=3
    contains "$TMP/err" "stage \`words\`: --input text: \`text\` of \`textstats.stages.tokenize\` is a string; \`3\` is an integer" "text: str"
    for m in true false; do
        expect_exit 0 "python: a string runs (use_processes=$m)" env $MODE_VAR=$m "$DAPT" run py.yaml --quiet --input 'text=the cat'
    done
else
    echo "# no venv for the example's Python plugin: the Python cases are skipped"
fi

done_testing
