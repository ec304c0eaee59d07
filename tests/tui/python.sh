#!/bin/sh
# The studio with a Python plugin: the seed's my_package installed with pip
# into a venv is in the plugins list (its interpreter named), its target's
# detail shows the signature from the annotations, the docs from the
# docstring, the runtime and the source FILE:LINE; the editor completes the
# Python target and validates it live.  Skipped where Debian's python3 has
# no venv module.
. "$top_srcdir/tests/tui/lib.sh"

PY=/usr/bin/python3
if ! [ -x "$PY" ] || ! "$PY" -m venv --system-site-packages "$TMP/v" >"$TMP/venv.log" 2>&1; then
    echo "1..0 # SKIP no $PY with a working venv module (python3-venv)"
    exit 0
fi
cp -R "$top_srcdir/tests/data/python/my_package" "$TMP/my_package"
chmod -R u+w "$TMP/my_package"
if ! "$TMP/v/bin/pip" install -q --no-index --no-build-isolation --no-deps "$TMP/my_package" \
        >"$TMP/pip.log" 2>&1; then
    echo "1..0 # SKIP pip cannot install local projects here"
    exit 0
fi
DAPT_PYTHON=$TMP/v/bin/python
export DAPT_PYTHON
site=$("$DAPT_PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# A long build folder (make distcheck's) must not wrap the paths checked.
ln -s "$site" "$TMP/site"

tui_workspace

cat >"$WS/workflows/py.yaml" <<'EOY'
kind: workflow
metadata:
  name: py
spec:
  stages:
    - name: fetch
      target: my_package.module1.my_stage
      args: {city: Oslo}
EOY
tui_start

tui_expect "a workflow of Python stages is valid" "py.yaml           py           ok               1  never run"

# --- the plugins list ------------------------------------------------------
tui_keys 2
tui_expect "plugins: my_package listed" "my_package    0.0.1    ok              3"
tui_keys '/'
tui_type 'my_pack'
tui_keys Enter
tui_expect "plugins: its interpreter in the detail line" "python $DAPT_PYTHON"
tui_keys Enter
tui_expect "plugin: its targets" "my_package targets"
tui_expect "targets: the signature from the annotations" \
    "my_package.module1.my_stage       stage     (city: string, days?: integer = 7"

# --- the target's detail ---------------------------------------------------
tui_keys Enter
tui_expect "detail: title and kind" "my_package.module1.my_stage  [stage]"
tui_expect "detail: the docstring's first line" "Fetch a forecast for a city."
tui_expect "detail: the runtime" "Runtime    python ($DAPT_PYTHON)"
tui_expect "detail: the source" "my_package/module1.py:6"
tui_expect "detail: a parameter's doc from Args:" "The name of the city."
tui_expect "detail: a default" "7"
tui_keys Escape Escape Escape

# --- the editor: completion and live validation ----------------------------
tui_keys ':'
tui_type "edit workflows/py.yaml"
tui_keys Enter
tui_expect "editor: opened" " INSERT  workflows/py.yaml "
tui_expect "editor: the Python target is valid" "✓ valid"
tui_keys C-g
tui_type 7
tui_keys Enter End
for _ in 1 2 3 4 5 6 7 8; do tui_keys BSpace; done
tui_expect "editor: a cut target is marked" "error:"
tui_keys Tab
tui_expect "editor: Tab completes the Python target" "my_package.module1.my_stage"
tui_keys Enter
tui_expect "editor: the completed target is valid" "✓ valid"

tui_stop
done_testing
