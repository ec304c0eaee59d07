#!/bin/sh
# validate.sh - `dapt validate`: exit codes, diagnostics format, --json.
# The stages name dapt.echo, a target of the staged builtin plugin (which
# takes any arguments): the checks against the catalog have their own test,
# validate-targets.sh.
. "$top_srcdir/tests/cli/lib.sh"
ex="$top_srcdir/examples"

cat >"$TMP/good.yaml" <<'YAML'
kind: workflow
metadata: {name: good}
spec:
  stages:
    - {name: a, target: dapt.echo}
    - {name: b, target: dapt.echo, depends_on: [a]}
YAML
cat >"$TMP/warn.yaml" <<'YAML'
name: warned
stages:
  - name: a
    target: dapt.echo
    tagret: oops
YAML
cat >"$TMP/bad.yaml" <<'YAML'
kind: workflow
metadata: {name: bad}
spec:
  stages:
    - name: a
      target: dapt.echo
      depends_on: [b]
    - name: b
      target: dapt.echo
      depends_on: [a]
    - name: c
      depends_on: [aa]
YAML

expect_exit 0 "a valid file exits 0" "$DAPT" validate "$TMP/good.yaml"
[ ! -s "$TMP/err" ] && ok "stderr empty when valid" || not_ok "stderr empty when valid"

expect_exit 0 "warnings alone exit 0" "$DAPT" validate "$TMP/warn.yaml"
contains "$TMP/err" "warn.yaml:5:5: warning: unknown key \`tagret\` in a stage (did you mean \`target\`?)" "warning with position and suggestion"

expect_exit 1 "errors exit 1" "$DAPT" validate "$TMP/good.yaml" "$TMP/bad.yaml"
contains "$TMP/err" "bad.yaml:7:20: error: dependency cycle: a -> b -> a" "cycle named with position"
contains "$TMP/err" "bad.yaml:11:7: error: stage \`c\` has no \`target\`" "missing target"
contains "$TMP/err" "bad.yaml:12:20: error: stage \`c\` depends on \`aa\`, which is not a stage of this workflow (did you mean \`a\`?)" "unknown dependency with suggestion"
# sorted by position
lines=$(grep -c '' "$TMP/err")
sorted=$(cut -d: -f2 "$TMP/err" | sort -n -c 2>&1 && echo yes)
[ "$lines" -eq 3 ] && ok "three diagnostics" || not_ok "three diagnostics (got $lines)"
[ "$sorted" = yes ] && ok "sorted by line" || not_ok "sorted by line"

expect_exit 1 "--json on errors exits 1" "$DAPT" validate --json "$TMP/bad.yaml"
if command -v python3 >/dev/null 2>&1; then
    if python3 - "$TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and len(d) == 3, d
assert set(d[0]) == {"file", "line", "column", "severity", "message"}, d[0]
assert d[0]["line"] == 7 and d[0]["column"] == 20 and d[0]["severity"] == "error"
PY
    then ok "--json shape"; else not_ok "--json shape"; fi
fi
expect_exit 0 "--json on a valid file" "$DAPT" validate --json "$TMP/good.yaml"
contains "$TMP/out" "[]" "--json prints an empty array"

expect_exit 2 "no file is a usage error" "$DAPT" validate
contains "$TMP/err" "usage: dapt validate" "usage shown"
expect_exit 2 "unknown option is a usage error" "$DAPT" validate --frobnicate "$TMP/good.yaml"
expect_exit 1 "a missing file is an error" "$DAPT" validate "$TMP/nope.yaml"
contains "$TMP/err" "nope.yaml: error: cannot open" "missing file named"
expect_exit 1 "a directory is an error" "$DAPT" validate "$TMP"

printf 'name: piped\nstages: [{name: a, target: dapt.echo, depends_on: [b]}]\n' >"$TMP/pipe.yaml"
expect_exit 1 "validate - reads standard input" sh -c '"$0" validate - <"$1"' "$DAPT" "$TMP/pipe.yaml"
contains "$TMP/err" "<stdin>:2:52: error: stage \`a\` depends on \`b\`" "stdin named <stdin> with positions"

# the bundled example workspace is valid, without warnings
# (from the example workspace: its user_modules/ are plugins there, and
# its Python plugin textstats is installed in the venv example_venv makes)
example_venv || echo "# no venv for the example's Python plugin: mixed.yaml cannot validate"
expect_exit 0 "examples validate" sh -c 'cd "$1" && "$0" validate workflows/*.yaml configs/*.yaml triggers/*.yaml' \
    "$DAPT" "$ex"
[ ! -s "$TMP/err" ] && ok "examples have no warnings" || { not_ok "examples have no warnings"; sed 's/^/# /' "$TMP/err"; }

# inputs the fuzzer once broke the loader with: each must end in a clean
# verdict (0 or 1), never a crash or a sanitizer report (exit >= 2)
for f in "$top_srcdir"/tests/data/fuzz-crashes/*.yaml; do
    "$DAPT" validate "$f" >/dev/null 2>"$TMP/fz"; rc=$?
    if [ "$rc" -le 1 ]; then ok "fuzz regression $(basename "$f")"; else
        not_ok "fuzz regression $(basename "$f") (exit $rc)"; sed 's/^/# /' "$TMP/fz" | head -20; fi
    # one diagnostic per line, whatever the input held
    if grep -qv '^[^:]*:[0-9]*:[0-9]*: \(error\|warning\|note\): ' "$TMP/fz"; then
        not_ok "one-line diagnostics for $(basename "$f")"; head -5 "$TMP/fz" | sed 's/^/# /'
    else ok "one-line diagnostics for $(basename "$f")"; fi
done

done_testing
