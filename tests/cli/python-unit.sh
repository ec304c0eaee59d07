#!/bin/sh
# python-unit.sh - the unit tests of dapt's own Python code (python/tests:
# the worker over real frames, the dapt package's API), run with Debian's
# python3 and reported as TAP, one line per test.
. "$top_srcdir/tests/cli/lib.sh"

PY=/usr/bin/python3
if ! [ -x "$PY" ]; then
    echo "1..0 # SKIP no $PY"
    exit 0
fi
# The tests start workers from the source tree's python/ (they find it
# from their own folder); their scratch goes under $TMP.
TMPDIR=$TMP PYTHONDONTWRITEBYTECODE=1 "$PY" -m unittest discover -v -s "$top_srcdir/python/tests" \
    >"$TMP/unit.log" 2>&1
status=$?
# "test_name (module.Class.test_name) ... ok" lines, and the same line cut
# by what the test printed: the result word ends the line.
grep -E ' \.\.\. (ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$' "$TMP/unit.log" |
    while IFS= read -r line; do
        name=${line%% ... *}
        result=${line##* ... }
        case $result in
        ok|"expected failure") echo "ok - $name" ;;
        skipped*) echo "ok - $name # SKIP ${result#skipped }" ;;
        *) echo "not ok - $name ($result)" ;;
        esac
    done >"$TMP/tap"
cat "$TMP/tap"
n=$(grep -c '' "$TMP/tap")
if [ "$status" -ne 0 ] || [ "$n" -eq 0 ]; then
    echo "not ok - python -m unittest exited with status $status"
    sed 's/^/# /' "$TMP/unit.log" | tail -40
    n=$((n + 1))
fi
echo "1..$n"
[ "$status" -eq 0 ]
