#!/bin/sh
# python-flowdapt.sh - a plugin written for Flowdapt runs in dapt unchanged:
# tests/data/python/flowstyle imports only Flowdapt's modules (the run
# context, the object store with namespace and artifact_only, its errors,
# its structlog-style logger) and the standard logging; installed with pip
# into a venv, its bundled workflow runs with a config selected by
# annotation, a DataFrame-like value kept in the object store (pickled in
# the artifact folder) and one passed between two stages.  Both executor
# modes.  Skipped without python3-venv.
. "$top_srcdir/tests/cli/lib.sh"
MODE_VAR=DAPT__SERVICES__COMPUTE__EXECUTOR__USE_PROCESSES
unset DAPT_WORKSPACE $MODE_VAR VIRTUAL_ENV PYTHONPATH 2>/dev/null

PY=/usr/bin/python3
if ! [ -x "$PY" ] || ! "$PY" -m venv --system-site-packages "$TMP/v" >"$TMP/venv.log" 2>&1; then
    echo "1..0 # SKIP no $PY with a working venv module (python3-venv)"
    exit 0
fi
cp -R "$top_srcdir/tests/data/python/flowstyle" "$TMP/flowstyle"
chmod -R u+w "$TMP/flowstyle"
if ! "$TMP/v/bin/pip" install -q --no-index --no-build-isolation --no-deps "$TMP/flowstyle" \
        >"$TMP/pip.log" 2>&1; then
    echo "1..0 # SKIP pip cannot install local projects here"
    exit 0
fi
# no real flowdapt in this venv: dapt's compatibility package serves it
if "$TMP/v/bin/python" -c 'import flowdapt' 2>/dev/null; then
    echo "1..0 # SKIP a real flowdapt is installed where the test looks"
    exit 0
fi
DAPT_PYTHON=$TMP/v/bin/python
export DAPT_PYTHON

W=$TMP/ws
mkdir -p "$W/workflows" "$W/configs"
cd "$W" || exit 1
cat >configs/study.yaml <<'EOY'
kind: config
metadata:
  name: study_settings
spec:
  selector:
    type: annotation
    value: {group: flowstyle}
  data:
    study_identifier: s1
    scale: 2
EOY

expect_exit 0 "the plugin is listed" "$DAPT" plugins list
if grep -Eq '^flowstyle +1\.2\.0 +ok +4' "$TMP/out"; then ok "... ok, its four stages"
else not_ok "... ok, its four stages"; sed 's/^/# /' "$TMP/out"; fi
expect_exit 0 "plugins files lists its bundled workflow" "$DAPT" plugins files flowstyle
contains "$TMP/out" "workflows/study.yaml" "... workflows/study.yaml"
site=$("$DAPT_PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp "$site/flowstyle/workflows/study.yaml" workflows/
expect_exit 0 "its bundled workflow validates" "$DAPT" validate workflows/study.yaml

for m in processes threads; do
    case $m in processes) export $MODE_VAR=true ;; threads) export $MODE_VAR=false ;; esac
    rm -rf .dapt/artifacts
    expect_exit 0 "[$m] runs" "$DAPT" run study --input label=x --json
    cp "$TMP/out" "$TMP/record.json"
    cp "$TMP/err" "$TMP/log.txt"
    jtrue "[$m] ... the config reached the stage, the frame came back from the store" \
        "$TMP/record.json" 'd["result"]["use"]["total"] == 6 and d["result"]["use"]["rows"] == 3'
    jtrue "[$m] ... a missing key raised flowdapt's ResourceNotFoundError" "$TMP/record.json" \
        'd["result"]["use"]["missing"] == "ResourceNotFoundError"'
    jtrue "[$m] ... the value was the stage's own class, unpickled" "$TMP/record.json" \
        'd["result"]["use"]["type"] == "Frame" and d["result"]["use"]["input"] == "x"'
    jtrue "[$m] ... a frame returned by one stage is the next one's argument" "$TMP/record.json" \
        'd["result"]["total"] == 20'
    jtrue "[$m] ... the run context's run id" "$TMP/record.json" \
        'd["result"]["use"]["run"] == d["id"] == d["result"]["use"]["created_by"]'
    contains "$TMP/log.txt" "Created frame rows=3 study=s1" "[$m] ... the structlog-style line"
    contains "$TMP/log.txt" "debug detail 3" "[$m] ... a DEBUG record of the standard logging"
    contains "$TMP/log.txt" "frame total 6" "[$m] ... an INFO record"
    jtrue "[$m] ... the frame is pickled in the artifact folder, said so" \
        ".dapt/artifacts/s1/frame/.artifact.json" 'd["value_type"] == "pickle"'
    jtrue "[$m] ... a JSON value put with artifact_only is JSON there" \
        ".dapt/artifacts/s1/meta/object" 'd == {"rows": 3}'
done
unset $MODE_VAR

# The plugin's own tests, as Flowdapt's template writes them: callables
# (one defined in the test file) through execute_workflow, in the venv's
# own Python once `dapt plugins python --link` made flowdapt importable.
expect_exit 1 "before --link the venv's Python has no flowdapt" \
    "$DAPT_PYTHON" -c 'import flowdapt'
expect_exit 0 "plugins python --link" "$DAPT" plugins python --link
contains "$TMP/err" "$site/dapt.pth" "... names the file it wrote"
expect_exit 0 "... then flowdapt and dapt import there" "$DAPT_PYTHON" -c 'import flowdapt, dapt'
cd "$TMP/flowstyle" || exit 1
if DAPT="$DAPT" "$DAPT_PYTHON" -m unittest -v tests.test_workflow >"$TMP/unit.log" 2>&1; then
    ok "execute_workflow with callables, from the plugin's unittest"
else
    not_ok "execute_workflow with callables, from the plugin's unittest"
    sed 's/^/# /' "$TMP/unit.log" | tail -30
fi

done_testing
