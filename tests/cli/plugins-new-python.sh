#!/bin/sh
# plugins-new-python.sh - `dapt plugins new NAME [DIR] --python`: the
# project it writes (pyproject.toml with the flowdapt.plugins entry point,
# the package with typed, documented stages, a bundled workflow, tests, a
# README) installs with pip into a venv as an ordinary distribution (its
# entry point, its package data); then, with dapt's Python runtime, dapt
# lists its targets with their types and docs, runs its bundled workflow,
# and the project's own tests pass under unittest (and pytest when it is
# there).
. "$top_srcdir/tests/cli/lib.sh"

PY=/usr/bin/python3
proj="$TMP/proj"
venv="$TMP/venv"
pip_args="--no-index --no-build-isolation --no-deps"

# exists DESCRIPTION PATH...: every PATH is there
exists() {
    d=$1; shift
    for p in "$@"; do
        if [ ! -e "$p" ]; then not_ok "$d ($p missing)"; return; fi
    done
    ok "$d"
}

# --- the project ------------------------------------------------------------

expect_exit 0 "new --python writes a project" "$DAPT" plugins new pyx "$proj" --python
contains "$TMP/out" "created the plugin project \`pyx\` in $proj:" "says what it made"
contains "$TMP/out" "dapt plugins install --editable ." "says how to install it"
contains "$TMP/out" "python3 -m unittest" "says how to test it"
exists "every file of the template" "$proj/pyproject.toml" "$proj/README.md" \
    "$proj/pyx/__init__.py" "$proj/pyx/stages.py" "$proj/pyx/workflows/words.yaml" \
    "$proj/tests/__init__.py" "$proj/tests/test_stages.py" "$proj/.gitignore"
check "no C file" test ! -e "$proj/pyx.c"
if grep -r -l '@NAME@' "$proj" >"$TMP/left"; then
    not_ok "no placeholder left"; sed 's/^/# /' "$TMP/left"
else ok "no placeholder left"; fi
contains "$proj/pyproject.toml" '[project.entry-points."flowdapt.plugins"]' "the flowdapt.plugins entry point"
contains "$proj/pyproject.toml" 'pyx = "pyx"' "named for the plugin, valued its package"
contains "$proj/pyproject.toml" 'build-backend = "setuptools.build_meta"' "a setuptools build"
contains "$proj/pyproject.toml" '"workflows/*.yaml"' "workflows as package data"
contains "$proj/pyx/stages.py" "def split_words(text: str, min_length: int = 1) -> list[str]:" "typed stages"
contains "$proj/pyx/stages.py" "    Args:" "documented parameters"
contains "$proj/pyx/stages.py" "import dapt" "the run context through import dapt"
contains "$proj/pyx/workflows/words.yaml" "target: pyx.stages.word_length" "the workflow names the stages"
contains "$proj/tests/test_stages.py" "from dapt.testing import execute_workflow" "tests run the workflow"
check "no temporary folder left" sh -c "! ls -d '$TMP'/*.new-* 2>/dev/null"

# Every Python file compiles.
if [ -x "$PY" ]; then
    check "the Python files compile" "$PY" -m py_compile "$proj/pyx/__init__.py" "$proj/pyx/stages.py" \
        "$proj/tests/__init__.py" "$proj/tests/test_stages.py"
else
    ok "the Python files compile # SKIP no $PY"
fi

# --- names ------------------------------------------------------------------

expect_exit 1 "a Python keyword is refused" "$DAPT" plugins new class "$TMP/bad1" --python
contains "$TMP/err" "cannot name a Python plugin's package" "keyword refusal says why"
expect_exit 0 "... but is a C plugin's name" "$DAPT" plugins new class "$TMP/cclass"
expect_exit 1 "flowdapt is refused" "$DAPT" plugins new flowdapt "$TMP/bad2" --python
expect_exit 2 "a bad name is a usage error" "$DAPT" plugins new My-Plugin "$TMP/bad3" --python
check "nothing written for refused names" sh -c "[ ! -e '$TMP/bad1' ] && [ ! -e '$TMP/bad2' ] && [ ! -e '$TMP/bad3' ]"
expect_exit 0 "--python before NAME" "$DAPT" plugins new --python early "$TMP/early"
exists "written" "$TMP/early/early/stages.py"
expect_exit 2 "an unknown option" "$DAPT" plugins new pyz --pyhton
expect_exit 0 "--help mentions --python" "$DAPT" plugins new --help
contains "$TMP/out" "--python" "help shows --python"

# --- pip installs it as an ordinary distribution ----------------------------

if ! [ -x "$PY" ] || ! "$PY" -m venv --system-site-packages "$venv" >"$TMP/venv.log" 2>&1; then
    ok "a venv # SKIP cannot make one with $PY -m venv"
    done_testing
    exit $?
fi
ok "a venv"
expect_exit 0 "pip installs the project" "$venv/bin/pip" install $pip_args "$proj"
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
exists "the package and its bundled workflow are installed" "$site/pyx/stages.py" \
    "$site/pyx/workflows/words.yaml"
eps=$(ls -d "$site"/pyx-*.dist-info 2>/dev/null | head -n 1)/entry_points.txt
contains "$eps" "[flowdapt.plugins]" "the entry point group is in its metadata"
contains "$eps" "pyx = pyx" "the entry point"
"$venv/bin/python" -c 'import importlib.metadata as m, sys
names = [e.name for e in m.entry_points(group="flowdapt.plugins")]
sys.exit(0 if "pyx" in names else 1)'
check "importlib.metadata sees the plugin" test $? -eq 0

# --- with dapt's Python runtime ---------------------------------------------
# (These need the Python side of dapt: discovery of Python plugins, the
# dapt_worker runtime and dapt.testing.)

# (the suite runs with DAPT_PYTHON=none: the venv must win)
unset DAPT_PYTHON
export VIRTUAL_ENV="$venv"
expect_exit 0 "dapt targets lists the plugin's targets" "$DAPT" targets --json
jtrue "its three stages are targets" "$TMP/out" \
    '{"pyx.stages.split_words", "pyx.stages.word_length", "pyx.stages.summarize"} <= {t["target"] for t in d}'
jtrue "types from the annotations, docs from the docstrings" "$TMP/out" \
    '[(p["name"], p["type"], p["required"]) for t in d if t["target"] == "pyx.stages.split_words" for p in t["params"]] == [("text", "string", True), ("min_length", "integer", False)] and any(t["target"] == "pyx.stages.split_words" and t["doc"].startswith("Split a text") for t in d)'
expect_exit 0 "dapt plugins show the plugin" "$DAPT" plugins show pyx --json
jtrue "a python plugin, ok, with its metadata" "$TMP/out" \
    'd["runtime"] == "python" and d["status"] == "ok" and d["version"] == "0.1.0" and d["author"].startswith("Your Name")'
expect_exit 0 "the bundled workflow validates" "$DAPT" validate "$site/pyx/workflows/words.yaml"
(cd "$TMP" && "$DAPT" run "$site/pyx/workflows/words.yaml" --input text="the cat and the hat" \
    >"$TMP/out" 2>"$TMP/err")
check "dapt runs the bundled workflow" test $? -eq 0
jtrue "its result" "$TMP/out" 'd["words"] == 5 and d["longest"] == 3'

# The project's own tests: the functions, then the workflow through
# dapt.testing, with the venv's Python (DAPT tells the tests which dapt).
(cd "$proj" && DAPT="$DAPT" "$venv/bin/python" -m unittest -v >"$TMP/out" 2>"$TMP/err")
check "the project's tests pass (python3 -m unittest)" test $? -eq 0
if ! grep -q '^OK' "$TMP/err"; then sed 's/^/# /' "$TMP/err" | tail -20; fi
contains "$TMP/err" "test_words" "the workflow test ran"
if "$venv/bin/python" -c 'import pytest' 2>/dev/null; then
    (cd "$proj" && DAPT="$DAPT" "$venv/bin/python" -m pytest -q -p no:cacheprovider >"$TMP/out" 2>&1)
    check "and under pytest" test $? -eq 0
else
    ok "and under pytest # SKIP no pytest"
fi

done_testing
