#!/bin/sh
# validate-targets.sh - `dapt validate` checks stages against the plugin
# catalog: unknown targets (with the nearest names) at the target, `args`
# keys the target does not declare at the key, required parameters, broken
# plugins; --no-plugins; the catalog is opened only for workflows; the
# bundled workflows stay valid.
. "$top_srcdir/tests/cli/lib.sh"

fixtures="$top_builddir/tests/plugins/.libs"
XDG_CACHE_HOME="$TMP/cache"
export XDG_CACHE_HOME

# no_diag DESCRIPTION: nothing on stderr
no_diag() { if [ ! -s "$TMP/err" ]; then ok "$1"; else not_ok "$1"; sed 's/^/# /' "$TMP/err"; fi; }
# count_lines N DESCRIPTION: stderr has N lines
count_lines() {
    n=$(grep -c '' "$TMP/err")
    if [ "$n" -eq "$1" ]; then ok "$2"; else not_ok "$2 ($n lines)"; sed 's/^/# /' "$TMP/err"; fi
}

cat >"$TMP/typos.yaml" <<'YAML'
kind: workflow
metadata: {name: typos}
spec:
  stages:
    - name: numbers
      target: dapt.rang
      args: {n: 3}
    - name: squares
      target: dapt.square
      type: parameterized
      depends_on: [numbers]
      args:
        x: 2
        y: 3
    - name: weather
      target: cities.stages.weather
      depends_on: [numbers]
      args: {city: Oslo, dayz: 3}
    - name: elsewhere
      target: wether.stages.fetch
    - name: train
      target: cities.stages.train
      type: parameterized
      depends_on: [weather]
      args:
        zzzzzz: 1
YAML
expect_exit 1 "typos are errors" "$DAPT" validate "$TMP/typos.yaml"
f="$TMP/typos.yaml"
contains "$TMP/err" "$f:6:15: error: plugin \`dapt\` has no target \`rang\`; did you mean \`dapt.range\`?" "unknown target at its position, nearest name"
contains "$TMP/err" "$f:14:9: error: \`dapt.square\` has no parameter \`y\` (did you mean \`x\`?)" "undeclared arg key at its position"
contains "$TMP/err" "$f:18:26: error: \`cities.stages.weather\` has no parameter \`dayz\` (did you mean \`days\`?)" "undeclared key in a flow mapping"
contains "$TMP/err" "$f:20:15: error: unknown plugin \`wether\` in target \`wether.stages.fetch\`" "unknown plugin"
contains "$TMP/err" "$f:26:9: error: \`cities.stages.train\` has no parameter \`zzzzzz\`; its parameters: \`features\`, \`ridge\`, \`holdout\`, \`label\`" "no suggestion: the parameters listed"
contains "$TMP/err" "$f:24:20: warning: stage \`train\` maps over the output of \`weather\`, which \`cities.stages.weather\` declares as an object, not an array" "a declared output that is not a list: a warning"
count_lines 6 "nothing else reported"
expect_exit 0 "--no-plugins skips the catalog" "$DAPT" validate --no-plugins "$TMP/typos.yaml"
no_diag "--no-plugins: no diagnostics"

expect_exit 1 "--json" "$DAPT" validate --json "$TMP/typos.yaml"
if python3 - "$TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert [(x["line"], x["column"], x["severity"]) for x in d] == \
    [(6, 15, "error"), (14, 9, "error"), (18, 26, "error"), (20, 15, "error"), (24, 20, "warning"),
     (26, 9, "error")], d
assert "did you mean `dapt.range`?" in d[0]["message"]
PY
then ok "--json carries the catalog's diagnostics"; else not_ok "--json carries the catalog's diagnostics"; fi

# Required parameters: positional arguments fill a target's parameters in
# order (unless it takes *args); a root stage also gets the run's input.
cat >"$TMP/required.yaml" <<'YAML'
name: required
stages:
  - name: root
    target: dapt.range
  - name: two
    target: dapt.add
    depends_on: [root, root2]
  - name: root2
    target: dapt.range
    args: {n: 2}
  - name: one
    target: dapt.add
    depends_on: [root]
  - name: each
    target: dapt.square
    type: parameterized
    depends_on: [root]
  - name: run
    target: dapt.shell
    depends_on: [root]
  - name: runs
    target: dapt.shell
    depends_on: [root]
    options:
      args: {argv: [wc, -l], chek: false}
  - name: anything
    target: dapt.echo
    depends_on: [root]
    args: {whatever: 1, goes: 2}
YAML
f="$TMP/required.yaml"
expect_exit 1 "missing required parameters" "$DAPT" validate "$f"
contains "$TMP/err" "$f:4:13: warning: \`dapt.range\` requires \`n\`, which the \`args\` of stage \`root\` do not give: the run's input must provide it" "root stage: a warning"
contains "$TMP/err" "$f:12:13: error: \`dapt.add\` requires \`b\`, which stage \`one\` does not give: add it to \`args\`" "one dependency fills only \`a\`"
contains "$TMP/err" "$f:19:13: error: \`dapt.shell\` requires \`argv\`, which stage \`run\` does not give" "*args do not fill parameters"
contains "$TMP/err" "$f:25:30: error: \`dapt.shell\` has no parameter \`chek\` (did you mean \`check\`?)" "args under options: at the key"
# (and the three warnings that dapt.range's declared list is not dapt.add's number)
contains "$TMP/err" "$f:7:18: warning: \`a\` of \`dapt.add\` is a number; stage \`two\` gives it the output of \`root\`, which \`dapt.range\` declares as an array of integers" "a declared output of the wrong type: a warning at the dependency"
count_lines 7 "two dependencies fill dapt.add, an item fills dapt.square, **kwargs take anything"

# A root stage missing a parameter is only a warning: exit 0.
printf 'name: w\nstages:\n  - name: r\n    target: dapt.range\n' >"$TMP/root.yaml"
expect_exit 0 "a root stage's missing parameter alone exits 0" "$DAPT" validate "$TMP/root.yaml"
contains "$TMP/err" "root.yaml:4:13: warning: " "as a warning"

# Standard input, positions kept.
expect_exit 1 "validate - checks targets too" sh -c '"$0" validate - <"$1"' "$DAPT" "$TMP/typos.yaml"
contains "$TMP/err" "<stdin>:6:15: error: plugin \`dapt\` has no target \`rang\`" "<stdin> with positions"

# A private plugin path: a broken plugin, and a plugin that marks loads.
pp="$TMP/pp"
mkdir -p "$pp"
cp "$fixtures/good.so" "$fixtures/ctor_segv.so" "$pp/"
chmod -R go-w "$pp"
DAPT_PLUGIN_PATH="$pp" DAPT_TEST_MARK="$TMP/mark"
export DAPT_PLUGIN_PATH DAPT_TEST_MARK
cat >"$TMP/config.yaml" <<'YAML'
kind: config
metadata: {name: settings}
spec:
  selector: {type: name, value: anything}
  data: {a: 1}
YAML
expect_exit 0 "a config alone" "$DAPT" validate "$TMP/config.yaml"
[ ! -e "$TMP/mark" ] && ok "no workflow: plugins not discovered" || not_ok "no workflow: plugins not discovered"

cat >"$TMP/broken.yaml" <<'YAML'
name: broken
stages:
  - name: a
    target: ctor_segv.stages.x
  - name: b
    target: good.math.add
    args: {a: 1, c: 2}
  - name: c
    target: good.stages.hello
YAML
f="$TMP/broken.yaml"
expect_exit 1 "a broken plugin's target" "$DAPT" validate "$TMP/config.yaml" "$f"
contains "$TMP/err" "$f:4:13: error: plugin \`ctor_segv\` is broken: crashed while loading (SIGSEGV" "the plugin's reason at the target"
contains "$TMP/err" "$f:7:18: error: \`good.math.add\` has no parameter \`c\`" "a private plugin's parameters"
count_lines 2 "an optional parameter need not be given"
[ -e "$TMP/mark" ] && ok "a workflow: plugins discovered" || not_ok "a workflow: plugins discovered"
rm -f "$TMP/mark"
expect_exit 1 "again, from the cache" "$DAPT" validate "$f"
[ ! -e "$TMP/mark" ] && ok "a warm start loads no plugin" || not_ok "a warm start loads no plugin"
DAPT_PLUGIN_PATH=
unset DAPT_TEST_MARK

# The bundled workflows are valid against the bundled plugins.
cities="$top_srcdir/plugins/examples/cities/cities"
expect_exit 0 "cities' bundled workflows validate" "$DAPT" validate "$cities"/workflows/*.yaml "$cities"/configs/*.yaml
no_diag "cities' workflows: no warnings"
ex="$top_srcdir/examples"
# (mixed.yaml needs the example's Python plugin, in a venv)
example_venv || echo "# no venv for the example's Python plugin: mixed.yaml cannot validate"
for wf in "$ex"/workflows/*.yaml; do
    # the workspace (for user_modules/) is the current folder
    expect_exit 0 "examples: $(basename "$wf") validates" sh -c 'cd "$1" && "$0" validate "$2"' "$DAPT" "$ex" "$wf"
    no_diag "examples: $(basename "$wf") without warnings"
done

done_testing
