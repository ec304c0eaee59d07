#!/bin/sh
# graph.sh - `dapt graph FILE [--format ascii|dot]` on the fixtures of
# tests/data/graph/: exact drawings for the small shapes, 80 columns of pure
# ASCII for every drawing (also 10,000 stages), DOT that Graphviz accepts
# (when $DOT is set), and the exit statuses: 0 drawn, 1 file errors, 2 usage.
. "$top_srcdir/tests/cli/lib.sh"

data="$top_srcdir/tests/data/graph"

# fits FILE: every line at most 80 columns, and nothing but printable ASCII.
fits() {
    LC_ALL=C awk 'length($0) > 80 { bad = 1 } END { exit bad }' "$1" &&
        ! LC_ALL=C grep -q '[^ -~]' "$1"
}

# same DESCRIPTION: $TMP/out equals standard input.
same() {
    cat >"$TMP/want"
    if cmp -s "$TMP/want" "$TMP/out"; then ok "$1"; else
        not_ok "$1"
        diff -u "$TMP/want" "$TMP/out" | sed 's/^/# /' | head -40
    fi
}

# dot_ok FILE DESCRIPTION: Graphviz renders FILE (skipped without dot).
dot_ok() {
    if [ -z "${DOT:-}" ]; then
        ok "$2 # SKIP graphviz dot not found"
    elif "$DOT" -Tsvg "$1" >"$TMP/svg" 2>"$TMP/dot-err" && [ -s "$TMP/svg" ]; then
        ok "$2"
    else
        not_ok "$2"
        sed 's/^/# /' "$TMP/dot-err" | head -10
    fi
}

# --- the small shapes, exactly --------------------------------------------

expect_exit 0 "fan-out/fan-in drawn" "$DAPT" graph "$data/fan.yaml"
same "fan-out/fan-in drawing" <<'EOF'
workflow fan: 5 stages, 3 levels

*      extract  dapt.stages.echo
+-*    clean_a  dapt.stages.echo
+-|-*  clean_b  dapt.stages.echo
* | |  clean_c  dapt.stages.echo
*-'-'  join     dapt.stages.echo  <- clean_a, clean_b, clean_c
EOF
check "fan: nothing on stderr" test ! -s "$TMP/err"

expect_exit 0 "diamond drawn" "$DAPT" graph "$data/diamond.yaml"
same "diamond drawing" <<'EOF'
workflow diamond: 4 stages, 3 levels

*    a  dapt.stages.echo
+-*  b  dapt.stages.echo
* |  c  dapt.stages.echo
*-'  d  dapt.stages.echo  <- b, c
EOF

expect_exit 0 "chain drawn" "$DAPT" graph "$data/chain.yaml"
same "chain drawing" <<'EOF'
workflow chain: 5 stages, 5 levels

*  step1  dapt.stages.echo
*  step2  dapt.stages.echo
*  step3  dapt.stages.echo
*  step4  dapt.stages.echo
*  step5  dapt.stages.echo
EOF

expect_exit 0 "two chains drawn" "$DAPT" graph "$data/two-chains.yaml"
same "two independent chains, apart" <<'EOF'
workflow two_chains: 6 stages, 3 levels

*  a1  dapt.stages.echo
*  a2  dapt.stages.echo
*  a3  dapt.stages.echo

*  b1  dapt.stages.echo
*  b2  dapt.stages.echo
*  b3  dapt.stages.echo
EOF

expect_exit 0 "parameterized middle drawn" "$DAPT" graph "$data/param.yaml"
same "parameterized stages marked" <<'EOF'
workflow param: 4 stages, 4 levels

*  fetch     dapt.stages.echo
*  per_city  dapt.stages.multiply  [map over cities]
*  each      dapt.stages.multiply  [map]
*  report    dapt.stages.sum
EOF

# --- every fixture: 80 columns, ASCII, every stage, valid DOT --------------

for name in fan diamond chain two-chains param random30 wide-fan-in names; do
    f="$data/$name.yaml"
    expect_exit 0 "$name: ascii exit 0" "$DAPT" graph "$f"
    check "$name: ascii fits 80 columns, pure ASCII" fits "$TMP/out"
    wf=$(sed -n 's/^  name: //p' "$f")
    stages=$(grep -c '^    - name:' "$f")
    contains "$TMP/out" "workflow $wf: $stages stages, " "$name: header"
    missing=
    # (names past 24 columns are clipped: names.yaml checks those)
    for s in $(sed -n 's/^    - name: \([A-Za-z0-9_-]\{1,24\}\)$/\1/p' "$f"); do
        grep -q -- "[ *'|-]$s " "$TMP/out" || grep -q -- "  $s\$" "$TMP/out" || missing="$missing $s"
    done
    if [ -z "$missing" ]; then ok "$name: every stage named"; else not_ok "$name: missing:$missing"; fi

    expect_exit 0 "$name: dot exit 0" "$DAPT" graph --format dot "$f"
    cp "$TMP/out" "$TMP/$name.dot"
    contains "$TMP/$name.dot" "digraph \"$wf\" {" "$name: dot header"
    edges=$(grep -c ' -> ' "$TMP/$name.dot")
    deps=$(sed -n 's/^      depends_on: \[\(.*\)\]$/\1/p' "$f" | tr ',' '\n' | grep -c .)
    check "$name: one DOT edge per dependency ($deps)" test "$edges" -eq "$deps"
    dot_ok "$TMP/$name.dot" "$name: dot -Tsvg accepts it"
done

"$DAPT" graph "$data/random30.yaml" >"$TMP/out" 2>&1
check "random30: header, blank line, 30 stage lines" test "$(wc -l <"$TMP/out")" -eq 32
check "random30: drawn with lanes, not listed" grep -q "^+-\*  *clean " "$TMP/out"
contains "$TMP/out" "[map over cities]" "random30: parameterized marked"

"$DAPT" graph "$data/wide-fan-in.yaml" >"$TMP/out" 2>&1
contains "$TMP/out" "listed by level" "wide fan-in: degrades to the listing by level"
contains "$TMP/out" "level 1: 1 stage" "wide fan-in: the sink on level 1"
check "wide fan-in: all 29 inputs listed, wrapped" \
    test "$(grep -o 'src[0-9]*' "$TMP/out" | wc -l)" -eq 58

"$DAPT" graph "$data/names.yaml" >"$TMP/out" 2>&1
contains "$TMP/out" 'say "hi"' "names: quotes kept in ASCII"
contains "$TMP/out" 'caf? ' "names: non-ASCII shown as ?"
contains "$TMP/out" 'a_very_long_stage_nam...' "names: long name clipped with ..."
"$DAPT" graph -f dot "$data/names.yaml" >"$TMP/out" 2>&1
contains "$TMP/out" '"say \"hi\"" [label="say \"hi\"\n' "names: DOT escapes quotes"
contains "$TMP/out" '"back\\slash" -> ' "names: DOT escapes backslashes"

"$DAPT" graph -f dot "$data/param.yaml" >"$TMP/out" 2>&1
contains "$TMP/out" '"per_city" [label="per_city [map over cities]\ndapt.stages.multiply", shape=box3d];' \
    "param: DOT draws a mapped stage as box3d, labelled"
contains "$TMP/out" '"fetch" -> "per_city";' "param: DOT edge from dependency to dependent"

# --- option spellings -------------------------------------------------------

"$DAPT" graph --format dot "$data/fan.yaml" >"$TMP/dot1" 2>&1
for opts in "--format=dot" "-f dot" "-fdot"; do
    # shellcheck disable=SC2086
    "$DAPT" graph $opts "$data/fan.yaml" >"$TMP/dot2" 2>&1
    check "'$opts' is --format dot" cmp -s "$TMP/dot1" "$TMP/dot2"
done
"$DAPT" graph "$data/fan.yaml" --format dot >"$TMP/dot2" 2>&1
check "option after the file" cmp -s "$TMP/dot1" "$TMP/dot2"
"$DAPT" graph "$data/fan.yaml" >"$TMP/a1" 2>&1
"$DAPT" graph --format ascii "$data/fan.yaml" >"$TMP/a2" 2>&1
check "ascii is the default" cmp -s "$TMP/a1" "$TMP/a2"

# --- usage errors: exit 2 with the usage line --------------------------------

expect_exit 2 "no file: usage" "$DAPT" graph
contains "$TMP/err" "usage: dapt graph" "no file: usage line"
expect_exit 2 "--format without value" "$DAPT" graph "$data/fan.yaml" --format
expect_exit 2 "unknown format" "$DAPT" graph --format svg "$data/fan.yaml"
contains "$TMP/err" "usage: dapt graph" "unknown format: usage line"
expect_exit 2 "unknown option" "$DAPT" graph --colour "$data/fan.yaml"
expect_exit 2 "two files" "$DAPT" graph "$data/fan.yaml" "$data/diamond.yaml"

# --- files with errors: exit 1, diagnostics, still drawn -----------------------

expect_exit 1 "cycle: exit 1" "$DAPT" graph "$data/cycle.yaml"
contains "$TMP/err" "cycle.yaml:" "cycle: diagnostic names the file"
contains "$TMP/err" "error: dependency cycle" "cycle: the error"
contains "$TMP/out" "workflow cycle: 6 stages, 2 levels" "cycle: header"
contains "$TMP/out" "*  ok " "cycle: the stages before it are drawn"
contains "$TMP/out" "cycle: a -> c -> b -> a" "cycle: the cycle spelled out"
check "cycle: a, b, c marked [cycle]" test "$(grep -c '\[cycle\]' "$TMP/out")" -eq 3
contains "$TMP/out" "[waits on a cycle]" "cycle: the stage behind it marked"
check "cycle: fits 80 columns" fits "$TMP/out"
expect_exit 1 "cycle: dot exit 1" "$DAPT" graph --format dot "$data/cycle.yaml"
cp "$TMP/out" "$TMP/cycle.dot"
contains "$TMP/cycle.dot" '"c" -> "a" [color=red];' "cycle: DOT shows the cycle in red"
dot_ok "$TMP/cycle.dot" "cycle: dot -Tsvg accepts it"

expect_exit 1 "unknown dependency: exit 1" "$DAPT" graph "$data/unknown-dep.yaml"
contains "$TMP/err" "ghost" "unknown dependency: the diagnostic"
contains "$TMP/out" "*  b " "unknown dependency: still drawn"

expect_exit 1 "no workflow in the file: exit 1" "$DAPT" graph "$data/config-only.yaml"
contains "$TMP/err" "no workflow" "no workflow: says so"
expect_exit 1 "missing file: exit 1" "$DAPT" graph "$data/no-such-file.yaml"

# --- 10,000 stages: no crash, 80 columns -------------------------------------

gen_chain() {
    awk -v n=10000 'BEGIN {
        print "kind: workflow\nmetadata: {name: long_chain}\nspec:\n  stages:"
        for (i = 0; i < n; i++) {
            print "    - name: s" i "\n      target: dapt.stages.echo"
            if (i > 0) print "      depends_on: [s" i - 1 "]"
        }
    }'
}
gen_random() {
    awk -v n=10000 'BEGIN {
        print "kind: workflow\nmetadata: {name: many}\nspec:\n  stages:"
        x = 12345
        for (i = 0; i < n; i++) {
            print "    - name: s" i "\n      target: dapt.stages.echo"
            if (i == 0) continue
            x = (x * 1103515245 + 12345) % 2147483648; k = int(x / 65536) % 4
            deps = ""; split("", seen)
            for (j = 0; j < k; j++) {
                x = (x * 1103515245 + 12345) % 2147483648; d = int(x / 256) % i
                if (d in seen) continue
                seen[d] = 1; deps = deps (deps == "" ? "" : ", ") "s" d
            }
            if (deps != "") print "      depends_on: [" deps "]"
        }
    }'
}
gen_chain >"$TMP/chain.yaml"
gen_random >"$TMP/random.yaml"

expect_exit 0 "10,000-stage chain: exit 0" "$DAPT" graph "$TMP/chain.yaml"
check "10,000-stage chain: one line per stage" test "$(grep -c '^\*  s[0-9]' "$TMP/out")" -eq 10000
check "10,000-stage chain: fits 80 columns" fits "$TMP/out"
expect_exit 0 "10,000 random stages: exit 0" "$DAPT" graph "$TMP/random.yaml"
check "10,000 random stages: every stage once" \
    test "$(grep -c 'dapt\.stages\.echo' "$TMP/out")" -eq 10000
check "10,000 random stages: fits 80 columns" fits "$TMP/out"
expect_exit 0 "10,000 random stages: dot exit 0" "$DAPT" graph -f dot "$TMP/random.yaml"
check "10,000 random stages: one DOT node per stage" \
    test "$(grep -c '\[label=' "$TMP/out")" -eq 10000

done_testing
