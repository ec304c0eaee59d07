# lib.sh - TAP helpers for the shell tests of the dapt command line.
# Usage: . "$top_srcdir/tests/cli/lib.sh"; plan N? no: tests call ok/not_ok
# and finish with `done_testing`.
set -u
tap_n=0
tap_failed=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dapt-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# A home of the test's own: make check runs tests side by side, and one
# that writes a config.yaml, a theme or a cache must not be seen by another.
HOME=$TMP/home
XDG_CACHE_HOME=$HOME/.cache XDG_CONFIG_HOME=$HOME/.config XDG_DATA_HOME=$HOME/.local/share
export HOME XDG_CACHE_HOME XDG_CONFIG_HOME XDG_DATA_HOME
mkdir -p "$HOME"

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"; }
# check DESCRIPTION COMMAND...: passes when COMMAND exits 0
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# expect_exit CODE DESCRIPTION COMMAND...: runs COMMAND, output in $TMP/out, $TMP/err
expect_exit() {
    want=$1 d=$2; shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"; got=$?
    if [ "$got" -eq "$want" ]; then ok "$d"; else
        not_ok "$d (exit $got, wanted $want)"; sed 's/^/# /' "$TMP/err" | head -20; fi
}
# contains FILE TEXT DESCRIPTION
contains() { if grep -qF -- "$2" "$1"; then ok "$3"; else not_ok "$3"; echo "# '$2' not in:"; sed 's/^/# /' "$1" | head -20; fi; }
done_testing() { echo "1..$tap_n"; [ "$tap_failed" -eq 0 ]; }

# JSON checks in Python, skipped where python3 is missing.
have_py=0
command -v python3 >/dev/null 2>&1 && have_py=1
# jholds FILE PYEXPR: whether the Python expression holds, with `d` the
# JSON document in FILE (and re, the module, at hand); true without python3
jholds() {
    [ "$have_py" = 0 ] && return 0
    python3 -c 'import json, re, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>"$TMP/pyerr"
}
# jtrue DESCRIPTION FILE PYEXPR: passes when jholds FILE PYEXPR (a skip
# without python3); on failure, the document and Python's last words
jtrue() {
    if [ "$have_py" = 0 ]; then ok "$1 # SKIP no python3"; return; fi
    if jholds "$2" "$3"; then ok "$1"; else
        not_ok "$1"; echo "# false: $3"; sed 's/^/# /' "$2" | head -40
        sed 's/^/# /' "$TMP/pyerr" | tail -3
    fi
}

# example_venv: make the example workspace's Python plugin
# (examples/python/textstats, which workflows/mixed.yaml uses) visible to
# dapt: a venv holding it, exported as VIRTUAL_ENV.  The venv is made once
# per build tree and version of the project (tests/example-venv-SUM,
# shared by the tests), from a copy of the project, so the source tree is
# never written.  DAPT_PYTHON is set to its python too (the suite's
# DAPT_PYTHON=none would win over VIRTUAL_ENV).  Returns 1, leaving both
# alone, when no venv can be made (no /usr/bin/python3 with venv and
# setuptools).
example_venv() {
    ev_src=$top_srcdir/examples/python/textstats
    ev_sum=$(cd "$ev_src" && find . -type f ! -path '*/build/*' ! -path '*.egg-info*' \
        ! -path '*__pycache__*' | LC_ALL=C sort | xargs cat | cksum | cut -d' ' -f1)
    ev_dir=$top_builddir/tests/example-venv-$ev_sum
    if [ ! -x "$ev_dir/bin/python" ]; then
        mkdir -p "$top_builddir/tests"
        ev_new=$(mktemp -d "$top_builddir/tests/example-venv.XXXXXX") || return 1
        if /usr/bin/python3 -m venv --system-site-packages "$ev_new/venv" >"$TMP/venv.log" 2>&1 &&
            cp -R "$ev_src" "$ev_new/src" && chmod -R u+w "$ev_new/src" &&
            "$ev_new/venv/bin/python" -m pip install -q --no-index --no-build-isolation \
                --no-deps "$ev_new/src" >>"$TMP/venv.log" 2>&1; then
            # another test may have made it meanwhile: then keep that one
            mv -T "$ev_new/venv" "$ev_dir" 2>/dev/null || true
        fi
        rm -rf "$ev_new"
        [ -x "$ev_dir/bin/python" ] || return 1
    fi
    VIRTUAL_ENV=$ev_dir
    DAPT_PYTHON=$ev_dir/bin/python
    export VIRTUAL_ENV DAPT_PYTHON
}
