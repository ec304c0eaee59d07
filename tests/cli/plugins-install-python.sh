#!/bin/sh
# plugins-install-python.sh - `dapt plugins install SRC` of a Python
# project (pyproject.toml, setup.py; a folder, a git URL) goes to the
# interpreter's pip (chosen as dapt chooses it: $DAPT_PYTHON,
# services.python.interpreter, $VIRTUAL_ENV, python3), says which
# interpreter and environment it used, passes DAPT_PIP_ARGS and --pip-arg
# through, refuses an externally managed Python with the venv fix, and
# `dapt plugins uninstall NAME` removes the distribution that declares
# NAME.  `dapt plugins python` shows the interpreter.
. "$top_srcdir/tests/cli/lib.sh"

PY=/usr/bin/python3
venv="$TMP/venv"
XDG_DATA_HOME="$TMP/data"
export XDG_DATA_HOME
printf 'leak:libpcre2-8.so\n' >"$TMP/lsan.supp"
LSAN_OPTIONS="suppressions=$TMP/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
unset DAPT_PYTHON VIRTUAL_ENV DAPT_PIP_ARGS

if ! [ -x "$PY" ] || ! "$PY" -m venv --system-site-packages "$venv" >"$TMP/venv.log" 2>&1; then
    ok "# SKIP cannot make a venv with $PY -m venv"
    done_testing
    exit $?
fi
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')

# A PEP 621 project whose distribution name differs from its module.
proj="$TMP/proj"
mkdir -p "$proj/weather"
cat >"$proj/pyproject.toml" <<'TOML'
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "weather-tools"
version = "1.2.0"
description = "Weather stages"
authors = [{name = "Ada Lovelace", email = "ada@example.com"}]

[project.entry-points."flowdapt.plugins"]
weather = "weather"
TOML
cat >"$proj/weather/__init__.py" <<'PY'
def forecast(city: str, days: int = 3) -> list:
    """A forecast.

    Args:
        city: Where.
        days: How many days.
    """
    return [city] * days
PY
# The seed's my_package, with setup.py.
seed="$TMP/seed"
mkdir -p "$seed/my_package"
cat >"$seed/setup.py" <<'PY'
from setuptools import setup

setup(
    name='my_package',
    version='0.0.1',
    packages=['my_package'],
    entry_points = {
        'flowdapt.plugins': [
            'my_package = my_package'
        ]
    }
)
PY
printf 'def my_stage():\n    return 1\n' >"$seed/my_package/module1.py"
: >"$seed/my_package/__init__.py"
# A Python project that declares no plugin.
plain="$TMP/plain"
mkdir -p "$plain/plain"
printf '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "plain"\nversion = "1"\n' >"$plain/pyproject.toml"
: >"$plain/plain/__init__.py"

offline="--no-index --no-build-isolation --no-deps"

# --- the interpreter --------------------------------------------------------

expect_exit 0 "plugins python" env VIRTUAL_ENV="$venv" "$DAPT" plugins python
contains "$TMP/out" "chosen by    \$VIRTUAL_ENV: $venv/bin/python" "VIRTUAL_ENV chooses it"
contains "$TMP/out" "environment  the venv $venv" "its environment"
expect_exit 0 "plugins python --json" env DAPT_PYTHON="$venv/bin/python" VIRTUAL_ENV=/nowhere \
    "$DAPT" plugins python --json
jtrue "DAPT_PYTHON wins over VIRTUAL_ENV" "$TMP/out" \
    "d['from'] == '\$DAPT_PYTHON' and d['venv'] and d['prefix'] == '$venv' and d['pip'] and d['dapt_python_dir'].endswith('python')"
mkdir -p "$TMP/ws"
printf 'services:\n  python:\n    interpreter: %s\n' "$venv/bin/python" >"$TMP/ws/dapt.yaml"
(cd "$TMP/ws" && VIRTUAL_ENV=/nowhere "$DAPT" plugins python --json >"$TMP/out" 2>"$TMP/err")
jtrue "services.python.interpreter over VIRTUAL_ENV" "$TMP/out" \
    "d['from'] == 'the setting services.python.interpreter' and d['prefix'] == '$venv'"
expect_exit 1 "a missing interpreter" env DAPT_PYTHON="$TMP/nopython" "$DAPT" plugins python
contains "$TMP/err" "cannot use the Python interpreter \`$TMP/nopython\` (\$DAPT_PYTHON)" "is named"

# --- install ----------------------------------------------------------------

expect_exit 0 "install a pyproject project into the venv" \
    env VIRTUAL_ENV="$venv" DAPT_PIP_ARGS="$offline" "$DAPT" plugins install "$proj"
contains "$TMP/err" "using Python" "says which interpreter"
contains "$TMP/err" "environment: the venv $venv" "and which environment"
contains "$TMP/err" "-m pip install --no-input --no-index --no-build-isolation --no-deps $proj" \
    "runs pip with DAPT_PIP_ARGS"
contains "$TMP/err" "Successfully installed weather-tools-1.2.0" "pip's output streams through"
contains "$TMP/out" "installed weather 1.2.0 (python" "reports the plugin"
contains "$TMP/out" "distribution weather-tools) into $site" "its distribution and folder"
exists_ep=$(ls "$site"/weather_tools-1.2.0.dist-info/entry_points.txt 2>/dev/null)
check "it is in the venv" test -n "$exists_ep"
check "nothing in the C plugin folder" test ! -e "$XDG_DATA_HOME/dapt/plugins/weather.so"
check "dapt.pth links dapt's Python code into the venv" grep -q '/compat$' "$site/dapt.pth"
check "... so the venv's Python imports flowdapt" "$venv/bin/python" -c "import flowdapt, dapt"

expect_exit 0 "install the seed's setup.py project with --pip-arg" \
    env VIRTUAL_ENV="$venv" "$DAPT" plugins install --pip-arg --no-index \
    --pip-arg=--no-build-isolation --pip-arg --no-deps "$seed"
contains "$TMP/out" "installed my_package 0.0.1 (python" "setup.py project installed"

expect_exit 0 "install --editable" \
    env VIRTUAL_ENV="$venv" DAPT_PIP_ARGS="$offline" "$DAPT" plugins install --editable "$seed"
contains "$TMP/err" "--editable $seed" "pip -e"
contains "$TMP/out" "installed my_package 0.0.1" "editable install reported"

expect_exit 1 "a project that declares no plugin" \
    env VIRTUAL_ENV="$venv" DAPT_PIP_ARGS="$offline" "$DAPT" plugins install "$plain"
contains "$TMP/err" "declares no plugin" "says so"
contains "$TMP/err" '[project.entry-points."flowdapt.plugins"]' "and how to declare one"

expect_exit 1 "pip's failure is reported" \
    env VIRTUAL_ENV="$venv" DAPT_PIP_ARGS="$offline --no-such-option" "$DAPT" plugins install "$proj"
contains "$TMP/err" "dapt: pip could not install $proj" "pip failure said"

expect_exit 1 "--pip-arg for a C project is refused" \
    env VIRTUAL_ENV="$venv" "$DAPT" plugins install --pip-arg -q "$TMP/ws"
expect_exit 2 "--pip-arg needs a value" "$DAPT" plugins install "$proj" --pip-arg

# An externally managed system Python is refused, with the fix.
marker=$("$PY" -c 'import os, sysconfig; print(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))')
if [ -f "$marker" ]; then
    expect_exit 1 "an externally managed Python is refused" \
        env DAPT_PYTHON="$PY" DAPT_PIP_ARGS="$offline" "$DAPT" plugins install "$proj"
    contains "$TMP/err" "marked EXTERNALLY-MANAGED" "says why"
    contains "$TMP/err" "-m venv --system-site-packages ~/.venvs/dapt" "says how to make a venv"
    contains "$TMP/err" "export VIRTUAL_ENV=~/.venvs/dapt" "and how to use it"
    check "pip did not run" sh -c "! grep -q 'pip install' '$TMP/err'"
else
    ok "externally managed # SKIP $PY is not marked"
fi

# From git: a repository of the project, cloned by dapt-git, installed by pip.
if command -v git >/dev/null 2>&1; then
    repo="$TMP/repo"
    cp -a "$proj" "$repo"
    rm -rf "$repo/build" "$repo"/*.egg-info
    sed -i 's/^version = "1.2.0"/version = "1.3.0"/' "$repo/pyproject.toml"
    g() { git -C "$repo" -c user.name=test -c user.email=test@example.invalid "$@" >/dev/null 2>&1; }
    g init -q && g add -A && g commit -q -m v1.3 && g tag v1.3
    expect_exit 0 "install from a git URL at a tag" \
        env VIRTUAL_ENV="$venv" DAPT_PIP_ARGS="$offline" "$DAPT" plugins install "file://$repo@v1.3"
    contains "$TMP/err" "cloning file://$repo at v1.3" "cloned first"
    contains "$TMP/out" "installed weather 1.3.0 (python" "the tagged version installed"
else
    ok "git # SKIP git not found"
fi

# --- uninstall --------------------------------------------------------------

expect_exit 0 "uninstall a Python plugin" env VIRTUAL_ENV="$venv" "$DAPT" plugins uninstall weather
contains "$TMP/err" "-m pip uninstall --no-input -y weather-tools" "pip uninstalls its distribution"
contains "$TMP/out" "uninstalled weather (the distribution weather-tools 1.3.0, from $site)" "says what went"
check "the distribution is gone" sh -c "! ls -d '$site'/weather_tools-*.dist-info 2>/dev/null"
expect_exit 1 "uninstall it again" env VIRTUAL_ENV="$venv" "$DAPT" plugins uninstall weather
contains "$TMP/err" "no plugin named \`weather\`" "unknown then"
expect_exit 0 "uninstall the editable one" env VIRTUAL_ENV="$venv" "$DAPT" plugins uninstall my_package
contains "$TMP/out" "uninstalled my_package (the distribution my" "editable uninstalled"
check "no longer declared" sh -c "! env VIRTUAL_ENV='$venv' '$DAPT' plugins uninstall my_package >/dev/null 2>&1"

# A plugin seen through --system-site-packages, outside the venv, is left alone.
outside="$TMP/outside"
mkdir -p "$outside"
"$venv/bin/pip" install -q $offline --target "$outside" "$proj" >/dev/null 2>&1
expect_exit 1 "a plugin outside the environment is not removed" \
    env VIRTUAL_ENV="$venv" PYTHONPATH="$outside" "$DAPT" plugins uninstall weather
contains "$TMP/err" "outside the" "says why"
check "and left there" sh -c "ls -d '$outside'/weather_tools-*.dist-info >/dev/null 2>&1"

done_testing
