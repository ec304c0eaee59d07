#!/bin/sh
# python-plugins.sh - discovery and catalog of Python plugins: real
# distributions (tests/data/python/) installed with pip into a venv made
# here, found by `dapt plugins list|show|files` and `dapt targets`: their
# metadata, targets with parameters, one broken plugin per way an import
# fails, shadowing across runtimes, a warm start that starts no Python, the
# cache following an edited file (also of an editable install), a package
# without an entry point described on demand, `dapt validate` on Python
# targets.  Skipped where Debian's python3 has no venv module.
. "$top_srcdir/tests/cli/lib.sh"

PY=/usr/bin/python3
if ! [ -x "$PY" ] || ! "$PY" -m venv --system-site-packages "$TMP/v" >"$TMP/venv.log" 2>&1; then
    echo "1..0 # SKIP no $PY with a working venv module (python3-venv)"
    exit 0
fi
V="$TMP/v"
site=$("$V/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp -R "$top_srcdir/tests/data/python" "$TMP/src"
chmod -R u+w "$TMP/src"
if ! (cd "$TMP/src" && "$V/bin/pip" install -q --no-index --no-build-isolation --no-deps \
        ./my_package ./weather-tools ./namespace ./nodecl ./noisy ./broken_import \
        ./broken_syntax ./broken_exit ./broken_hang ./broken_segv -e ./editable) \
        >"$TMP/pip.log" 2>&1; then
    echo "1..0 # SKIP pip cannot install local projects here"; sed 's/^/# /' "$TMP/pip.log" | tail -5
    exit 0
fi
# Every start of the venv's interpreter leaves its pid: site runs the
# import lines of the .pth files of its site folder (also under -I; a
# venv's lib64 link can make it read the folder twice: pids are counted).
log="$TMP/starts"
printf 'import os; open(%s, "a").write("%%d\\n" %% os.getpid())\n' "'$log'" >"$site/zz_dapt_test_starts.pth"
: >"$log"
starts() { sort -u "$log" | wc -l | tr -d ' '; }
# pyok DESCRIPTION FILE CODE: CODE (statements; `d` is the JSON document
# in FILE) runs without an exception, in Debian's python3
pyok() {
    if "$PY" -c "import json, sys
d = json.load(open(sys.argv[1]))
$3" "$2" 2>"$TMP/py"; then ok "$1"; else not_ok "$1"; sed 's/^/# /' "$TMP/py" | tail -4; fi
}

# The system plugins through a short link: a long build folder (make
# distcheck's) would wrap the lines the list checks are made on.
ln -s "$DAPT_PLUGIN_SYSTEM_PATH" "$TMP/sys"
DAPT_PLUGIN_SYSTEM_PATH=$TMP/sys
export DAPT_PLUGIN_SYSTEM_PATH
DAPT_PYTHON="$V/bin/python"
DAPT_PLUGIN_SCAN_TIMEOUT=1500
export DAPT_PYTHON DAPT_PLUGIN_SCAN_TIMEOUT
cd "$TMP" || exit 1

# --- plugins list --------------------------------------------------------
expect_exit 0 "plugins list" "$DAPT" plugins list
for p in my_package weather acme_tools editable noisy; do
    if grep -Eq "^$p +[^ ]+ +ok " "$TMP/out"; then ok "$p listed ok"
    else not_ok "$p listed ok"; sed 's/^/# /' "$TMP/out"; fi
done
for p in broken_import broken_syntax broken_exit broken_hang broken_segv; do
    if grep -Eq "^$p +[^ ]+ +broken " "$TMP/out"; then ok "$p listed broken"
    else not_ok "$p listed broken"; sed 's/^/# /' "$TMP/out"; fi
done
if grep -Eq "^cities +- +shadowed +0 +$site/noisy\$" "$TMP/out"; then ok "a Python plugin named like a C plugin is shadowed"
else not_ok "a Python plugin named like a C plugin is shadowed"; sed 's/^/# /' "$TMP/out"; fi
contains "$TMP/out" "shadowed by $DAPT_PLUGIN_SYSTEM_PATH/cities.so" "shadowed: by what"
cold=$(starts)
[ "$cold" -ge 9 ] && ok "a cold start ran the interpreter and the scanners ($cold)" || not_ok "a cold start ran Python ($cold)"

# --- warm: no Python -------------------------------------------------------
expect_exit 0 "plugins list again" "$DAPT" plugins list
expect_exit 0 "targets --json, warm" "$DAPT" targets --json
[ "$(starts)" -eq "$cold" ] && ok "a warm start starts no Python" || { not_ok "a warm start starts no Python"; cat "$log" | head -3; }

# --- the broken ones, explained -------------------------------------------
expect_exit 0 "plugins list --json" "$DAPT" plugins list --json
cp "$TMP/out" "$TMP/list.json"
pyok "ImportError names the missing module and FILE:LINE" "$TMP/list.json" "
e = [p for p in d if p['name'] == 'broken_import'][0]['error']
assert 'missing_dependency_xyz' in e and 'broken_import/stages.py:2' in e and 'ModuleNotFoundError' in e"
pyok "SyntaxError with FILE:LINE" "$TMP/list.json" "
e = [p for p in d if p['name'] == 'broken_syntax'][0]['error']
assert e.startswith('SyntaxError') and 'broken_syntax/stages.py:1' in e"
pyok "sys.exit on import" "$TMP/list.json" "
e = [p for p in d if p['name'] == 'broken_exit'][0]['error']
assert 'called sys.exit(3) while it was imported' in e and 'broken_exit/__init__.py:3' in e"
pyok "a hang is killed at the deadline" "$TMP/list.json" "
assert 'importing broken_hang took longer than 1500 ms (killed)' in [p for p in d if p['name'] == 'broken_hang'][0]['error']"
pyok "a segfault is contained and located" "$TMP/list.json" "
e = [p for p in d if p['name'] == 'broken_segv'][0]['error']
assert 'crashed importing broken_segv: killed by SIGSEGV' in e and 'broken_segv/__init__.py:3' in e"
pyok "printing while imported is harmless" "$TMP/list.json" "
p = [p for p in d if p['name'] == 'noisy'][0]
assert p['status'] == 'ok' and [t['target'] for t in p['targets']] == ['noisy.shout']"

# --- metadata -------------------------------------------------------------
pyok "the seed's my_package: runtime, interpreter, module, version, requirements" "$TMP/list.json" "
p = [p for p in d if p['name'] == 'my_package'][0]
got = (p['runtime'], p['interpreter'], p['module'], p['version'], p['requirements'], p['path'])
assert got == ('python', '$V/bin/python', 'my_package', '0.0.1', ['requests'], '$site/my_package'), got"
pyok "PEP 621: author from Author-email, url from Project-URL, module not the distribution" "$TMP/list.json" "
p = [p for p in d if p['name'] == 'weather'][0]
got = (p['author'], p['url'], p['license'], p['module'], p['version'])
assert got == ('Ada Lovelace <ada@example.org>', 'https://example.org/weather', 'MIT', 'weather', '1.2.0'), got
assert p['description'].startswith('Weather stages') and len(p['requirements']) == 2, p"
pyok "bundled workflows: the package folder is the data folder" "$TMP/list.json" "
assert [p for p in d if p['name'] == 'weather'][0]['data_dir'] == '$site/weather'"
pyok "C plugins say runtime c" "$TMP/list.json" "
p = [p for p in d if p['name'] == 'dapt'][0]
assert p['runtime'] == 'c' and 'interpreter' not in p and p['targets'][0]['runtime'] == 'c' and p['targets'][0]['source'] is None"
pyok "a namespace package's module" "$TMP/list.json" "
p = [p for p in d if p['name'] == 'acme_tools'][0]
assert p['module'] == 'acme.tools' and [t['target'] for t in p['targets']] == ['acme.tools.stages.clean']"

# --- targets ----------------------------------------------------------------
expect_exit 0 "targets my_package --json" "$DAPT" targets --json my_package
cp "$TMP/out" "$TMP/t.json"
pyok "public functions defined in the package only (no imports, _private, tests)" "$TMP/t.json" "
assert [t['target'] for t in d] == ['my_package.module1.my_stage', 'my_package.module2.summarize', 'my_package.module2.wait_and_echo']"
pyok "parameters: types, defaults, required, Google-style docs" "$TMP/t.json" "
t = d[0]
got = [(p['name'], p['type'], p['required'], p['default']) for p in t['params']]
assert got == [('city', 'string', True, None), ('days', 'integer', False, 7), ('verbose', 'boolean', False, False)], got
assert t['params'][1]['doc'] == 'How many days to forecast, counted from today.', t['params'][1]
assert (t['doc'], t['runtime'], t['plugin']) == ('Fetch a forecast for a city.', 'python', 'my_package'), t"
pyok "source FILE:LINE" "$TMP/t.json" "
assert d[0]['source'] == '$site/my_package/module1.py:6'"
pyok "Sphinx docs, Optional (a None it takes), List, *args/**kwargs" "$TMP/t.json" "
t = d[1]
got = [(p['name'], p['type'], p['doc']) for p in t['params']]
assert got == [('values', 'array', 'The numbers to add.'), ('scale', 'number|null', 'A factor applied to the sum.')], got
assert t['varargs'] and t['kwargs'] and t['returns'] == 'float: the scaled sum', t"
pyok "async def" "$TMP/t.json" "
assert d[2]['async'] and not d[0]['async'] and d[2]['params'][1]['default'] == 0.1"
expect_exit 0 "targets weather" "$DAPT" targets weather.fetch
contains "$TMP/out" "weather.fetch  stage  Fetch hourly observations." "a target by its import path when the module is not the distribution"

expect_exit 0 "plugins show my_package" "$DAPT" plugins show my_package
contains "$TMP/out" "runtime:     python" "show: runtime"
contains "$TMP/out" "interpreter: $V/bin/python" "show: interpreter"
contains "$TMP/out" "defined at $site/my_package/module1.py:6" "show: a target's source"
contains "$TMP/out" "my_package.module2.wait_and_echo(value: any, delay: number = 0.1)  [async]" "show: an async signature"
expect_exit 0 "plugins files my_package" "$DAPT" plugins files my_package
contains "$TMP/out" "my_package/module1.py" "files: the distribution's files (RECORD)"
contains "$TMP/out" "my_package-0.0.1.dist-info/METADATA" "files: its metadata"
expect_exit 0 "plugins files editable" "$DAPT" plugins files editable
contains "$TMP/out" "edit_pkg/__init__.py" "files: an editable install's package folder"

# --- an edited file is described again --------------------------------------
before=$(starts)
cat >>"$site/my_package/module2.py" <<'EOF'


def added(n: int) -> int:
    """Added after the first scan."""
    return n
EOF
expect_exit 0 "targets after an edit" "$DAPT" targets my_package.module2
contains "$TMP/out" "my_package.module2.added" "the new function is listed"
[ "$(starts)" -eq $((before + 1)) ] && ok "one scanner ran for the edited plugin" || not_ok "one scanner ran ($(starts) - $before)"
cat >>"$TMP/src/editable/edit_pkg/__init__.py" <<'EOF'


def second(x: int, y: int = 2) -> int:
    """Added to the editable source."""
    return x + y
EOF
expect_exit 0 "targets of an editable install" "$DAPT" targets edit_pkg
contains "$TMP/out" "edit_pkg.second" "an editable install follows its source"

# --- trust ---------------------------------------------------------------
chmod g+w "$site/noisy/__init__.py"
expect_exit 0 "a group-writable file" "$DAPT" plugins show noisy
contains "$TMP/out" "status:      broken" "an untrusted package is broken"
expect_exit 0 "a group-writable file, --json" "$DAPT" plugins show --json noisy
pyok "with the reason" "$TMP/out" "
assert d['error'].startswith('$site/noisy/__init__.py is writable by group: chmod go-w'), d['error']"
DAPT_PLUGIN_INSECURE=1 "$DAPT" plugins show noisy >"$TMP/out" 2>&1
contains "$TMP/out" "status:      ok" "DAPT_PLUGIN_INSECURE=1 accepts it"
chmod g-w "$site/noisy/__init__.py"
# A site folder that others could write: warned of (Python loads from it
# unchecked), not refused; as are the folders above it.
chmod o+w "$site"
expect_exit 0 "a world-writable site folder" "$DAPT" plugins show noisy
contains "$TMP/out" "status:      ok" "a plugin of a world-writable site folder still loads"
contains "$TMP/err" "the plugins' folder $site is writable by others: chmod go-w $site" "a world-writable site folder is warned of"
chmod o-w "$site"
up=$(dirname "$site")
chmod g+w "$up"
expect_exit 0 "a group-writable folder above the site folder" "$DAPT" plugins show noisy
contains "$TMP/err" "the folder $up above $site is writable by group: chmod go-w $up" "a folder above the site folder is warned of"
chmod g-w "$up"
expect_exit 0 "trusted folders again" "$DAPT" plugins show noisy
if grep -q "writable" "$TMP/err"; then not_ok "no warning once fixed"; else ok "no warning once fixed"; fi

# --- a package without an entry point, on demand -----------------------------
expect_exit 0 "targets of a package without an entry point" "$DAPT" targets --json cryptolike.stages.fetch
pyok "described on demand" "$TMP/out" "
assert [(t['target'], [p['name'] for p in t['params']], t['runtime']) for t in d] == [('cryptolike.stages.fetch', ['symbol', 'days'], 'python')]"
before=$(starts)
expect_exit 0 "again" "$DAPT" targets cryptolike.stages.fetch
[ "$(starts)" -eq "$before" ] && ok "the description on demand is cached" || not_ok "the description on demand is cached"

# --- validate -------------------------------------------------------------
cat >"$TMP/wf.yaml" <<'YAML'
kind: workflow
metadata: {name: py}
spec:
  stages:
    - name: a
      target: my_package.module1.my_stage
      args: {city: Oslo, dayz: 3}
    - name: b
      target: cryptolike.stages.pair
      depends_on: [a]
    - name: c
      target: cryptolike.stages.fech
    - name: d
      target: broken_import.stages.run
    - name: e
      target: weather.fetch
      depends_on: [a]
YAML
f="$TMP/wf.yaml"
expect_exit 1 "validate a workflow of Python targets" "$DAPT" validate "$f"
contains "$TMP/err" "$f:7:26: error: \`my_package.module1.my_stage\` has no parameter \`dayz\` (did you mean \`days\`?)" "a bad arg at its position"
contains "$TMP/err" "$f:9:15: error: \`cryptolike.stages.pair\` requires \`other\`, which stage \`b\` does not give" "a missing required parameter (on demand)"
contains "$TMP/err" "$f:12:15: error: the Python module \`cryptolike.stages\`" "a function a module does not define"
contains "$TMP/err" "did you mean \`cryptolike.stages.fetch\`?" "with the nearest one"
contains "$TMP/err" "$f:14:15: error: plugin \`broken_import\` is broken: ModuleNotFoundError" "a broken plugin's target"
contains "$TMP/err" "$f:10:20: warning: \`symbol\` of \`cryptolike.stages.pair\` is a string; stage \`b\` gives it the output of \`a\`, which \`my_package.module1.my_stage\` declares as an object" "a declared -> dict for a str parameter: a warning"
# (and the same for weather.fetch's city)
n=$(grep -c 'error:' "$TMP/err")
[ "$n" -eq 4 ] && ok "weather.fetch is fine" || { not_ok "4 errors ($n)"; sed 's/^/# /' "$TMP/err"; }

# --- the interpreter ----------------------------------------------------------
DAPT_PYTHON=none "$DAPT" plugins list >"$TMP/out" 2>"$TMP/err"
if grep -q my_package "$TMP/out"; then not_ok "DAPT_PYTHON=none: no Python plugins"; else ok "DAPT_PYTHON=none: no Python plugins"; fi
DAPT_PYTHON="$TMP/nowhere/python" "$DAPT" plugins list >"$TMP/out" 2>"$TMP/err"
contains "$TMP/err" "dapt: warning: no Python interpreter \`$TMP/nowhere/python\`" "a named interpreter that is missing is a warning"
env -u DAPT_PYTHON VIRTUAL_ENV="$V" "$DAPT" plugins list >"$TMP/out" 2>"$TMP/err"
contains "$TMP/out" "my_package" "\$VIRTUAL_ENV/bin/python is the default"
mkdir -p "$TMP/ws"
printf 'services:\n  python:\n    interpreter: %s\n' "$V/bin/python" >"$TMP/ws/dapt.yaml"
(cd "$TMP/ws" && env -u DAPT_PYTHON -u VIRTUAL_ENV "$DAPT" plugins list) >"$TMP/out" 2>"$TMP/err"
contains "$TMP/out" "my_package" "services.python.interpreter names it"

done_testing
