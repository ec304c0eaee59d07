#!/bin/sh
# replay.sh - the fuzz targets in `make check`: every target's seeds and
# the inputs that once broke one (tests/data/fuzz-crashes/: *.yaml for the
# loader and the trigger rules, *.input for --input-json / --input) given
# to the entries built without libFuzzer (tests/fuzz/replay-*, see
# tests/fuzz.mk).  Each must return: a broken check aborts, a sanitizer
# report (sanitized build) fails.
. "$top_srcdir/tests/cli/lib.sh"
fz=$top_builddir/tests/fuzz
s=$top_srcdir
crashes=$s/tests/data/fuzz-crashes

# replay NAME PROGRAM INPUT...
replay() {
    name=$1 prog=$2; shift 2
    [ $# -gt 0 ] || { ok "$name: nothing to replay"; return; }
    if "$prog" "$@" >"$TMP/out" 2>"$TMP/err" && ! grep -q 'runtime error\|Sanitizer' "$TMP/err"; then
        ok "$name: $(cat "$TMP/out" | sed 's/.*: //')"
    else
        not_ok "$name"; sed 's/^/# /' "$TMP/err" | head -30
    fi
}
# the files of a glob that exist
some() { for f in "$@"; do [ -e "$f" ] && printf '%s\n' "$f"; done; }

yaml_seeds="$s/tests/data/good $s/tests/data/bad $s/examples/workflows $s/examples/configs $s/examples/triggers"
# shellcheck disable=SC2046 # file lists are split on purpose
replay "fuzz-load seeds" "$fz/replay-load" $yaml_seeds
# shellcheck disable=SC2046
replay "fuzz-load crashes" "$fz/replay-load" $(some "$crashes"/*.yaml)
# shellcheck disable=SC2046
replay "fuzz-trigger seeds" "$fz/replay-trigger" $yaml_seeds "$s/tests/fuzz/seeds/trigger"
# shellcheck disable=SC2046
replay "fuzz-trigger crashes" "$fz/replay-trigger" $(some "$crashes"/*.yaml)
replay "fuzz-input seeds" "$fz/replay-input" "$s/tests/fuzz/seeds/input"
# shellcheck disable=SC2046
replay "fuzz-input crashes" "$fz/replay-input" $(some "$crashes"/*.input)

done_testing
