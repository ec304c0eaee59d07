#!/bin/sh
# hardening.sh - what dapt refuses or reports instead of going on quietly:
# control characters and NULs in names, symlinks under .dapt/, a full
# disk (on a small tmpfs, as root), executor settings that are wrong.
. "$top_srcdir/tests/cli/lib.sh"
XDG_CACHE_HOME="$TMP/cache"
export XDG_CACHE_HOME
unset DAPT_WORKSPACE 2>/dev/null
MODE_VAR=DAPT__SERVICES__COMPUTE__EXECUTOR__USE_PROCESSES

n_ws=0
ws() {
    n_ws=$((n_ws + 1))
    W="$TMP/ws$n_ws-$1"
    mkdir -p "$W" && cd "$W" || exit 99
}
# lacks FILE TEXT DESCRIPTION
lacks() { if grep -qF -- "$2" "$1"; then not_ok "$3"; sed 's/^/# /' "$1" | head -10; else ok "$3"; fi; }

# --- names ------------------------------------------------------------
ws names
printf 'name: w\nstages:\n  - name: "a\\e[31mb"\n    target: dapt.echo\n' >esc.yaml
expect_exit 1 "a stage name with ESC is refused" "$DAPT" validate esc.yaml
contains "$TMP/err" "esc.yaml:3:11: error: \`name\` holds a control character (\\x1b)" \
    "ESC named with FILE:LINE:COL"
printf 'name: w\nstages:\n  - name: "a\\rdapt | forged"\n    target: dapt.echo\n' >cr.yaml
expect_exit 1 "a stage name with CR is refused" "$DAPT" validate cr.yaml
contains "$TMP/err" "cr.yaml:3:11: error: \`name\` holds a control character (\\x0d)" "CR named"
printf 'name: w\nstages:\n  - {name: b, target: dapt.echo, depends_on: ["a\\nb"]}\n' >dep.yaml
expect_exit 1 "a depends_on entry with LF is refused" "$DAPT" validate dep.yaml
contains "$TMP/err" "dep.yaml:3:47: error: \`depends_on\` holds a control character (\\x0a)" "LF named"
printf '{"name": "a\\u0000b", "stages": [{"name": "s", "target": "dapt.echo"}]}\n' >nul.json
expect_exit 1 "a NUL inside a JSON string is refused" "$DAPT" validate nul.json
contains "$TMP/err" "holds a NUL character" "the NUL is named, not cut"
printf '{"name": "w", "stages": [{"name": "s\\u0000x", "target": "dapt.echo"}]}\n' >nul2.json
expect_exit 1 "a NUL inside a stage name is refused" "$DAPT" validate nul2.json

# a name that reaches the store some other way is escaped when shown
printf 'name: w\nstages: [{name: s, target: dapt.echo}]\n' >w.yaml
expect_exit 0 "a run to show" "$DAPT" run w.yaml
if command -v sqlite3 >/dev/null 2>&1; then
    sqlite3 .dapt/dapt.db "UPDATE stages SET record = json_set(record, '\$.name', 'x' || char(27) || '[2Jy' || char(10) || 'z'), name = 'x' || char(27) || '[2Jy' || char(10) || 'z'" &&
        sqlite3 .dapt/dapt.db "UPDATE runs SET record = json_set(record, '\$.workflow', 'w' || char(13) || 'v'), workflow = 'w' || char(13) || 'v'"
    id=$(sqlite3 .dapt/dapt.db "SELECT id FROM runs")
    expect_exit 0 "runs show of a stage named with control characters" "$DAPT" runs show "$id"
    contains "$TMP/out" 'x\x1b[2Jy\x0az' "the stage name is escaped"
    contains "$TMP/out" 'w\x0dv' "the workflow name is escaped"
    if tr -d '\n' <"$TMP/out" | grep -q "$(printf '\033')"; then not_ok "no ESC printed"; else ok "no ESC printed"; fi
    expect_exit 0 "runs list of them" "$DAPT" runs list
    contains "$TMP/out" 'w\x0dv' "runs list escapes the workflow name"
else
    ok "runs show escapes names # SKIP no sqlite3"
fi
# --- symlinks under .dapt/ ----------------------------------------------
echo secret-first-bytes >"$TMP/victim"
mkdir -p "$TMP/elsewhere"
ws dotdapt
printf 'name: w\nstages: [{name: s, target: dapt.echo}]\n' >w.yaml
ln -s "$TMP/elsewhere" .dapt
expect_exit 1 ".dapt a symlink: refused" "$DAPT" run w.yaml
contains "$TMP/err" ".dapt is a symbolic link (to $TMP/elsewhere)" ".dapt link named"
[ -z "$(ls -A "$TMP/elsewhere")" ] && ok "nothing written through .dapt" || not_ok "nothing written through .dapt"
ws logs
printf 'name: w\nstages: [{name: s, target: dapt.echo}]\n' >w.yaml
mkdir .dapt && ln -s "$TMP/elsewhere" .dapt/logs
expect_exit 1 "logs a symlink: refused" "$DAPT" run w.yaml
contains "$TMP/err" ".dapt/logs is a symbolic link" "logs link named"
ws db
printf 'name: w\nstages: [{name: s, target: dapt.echo}]\n' >w.yaml
mkdir .dapt && ln -s "$TMP/nothing-here.db" .dapt/dapt.db
expect_exit 1 "a dangling dapt.db symlink: refused" "$DAPT" run w.yaml
contains "$TMP/err" ".dapt/dapt.db is a symbolic link (to $TMP/nothing-here.db)" "dapt.db link named"
[ ! -e "$TMP/nothing-here.db" ] && ok "no database made where it points" || not_ok "no database made where it points"
expect_exit 1 "runs list refuses it too" "$DAPT" runs list
contains "$TMP/err" ".dapt/dapt.db is a symbolic link" "runs list names it"
ws artifacts
printf 'name: w\nstages: [{name: g, target: dapt.get, args: {key: k, strategy: artifact}}]\n' >get.yaml
mkdir -p .dapt && ln -s "$TMP/elsewhere" .dapt/artifacts
expect_exit 1 "artifacts a symlink: the stage fails" "$DAPT" run get.yaml
contains "$TMP/err" ".dapt/artifacts is a symbolic link" "artifacts link named"
rm .dapt/artifacts && mkdir -p .dapt/artifacts/default/k && ln -s "$TMP/victim" .dapt/artifacts/default/k/object
expect_exit 1 "an object file a symlink: the stage fails" "$DAPT" run get.yaml
contains "$TMP/err" "is a symbolic link, which dapt does not follow" "object link named"
lacks "$TMP/err" "secret-first-bytes" "the other file's bytes are not shown"

# --- a full disk ----------------------------------------------------------
# On a small tmpfs (as root): a run whose log fills it says so at once,
# exits 4, and what was committed stays readable.
if [ "$(id -u)" != 0 ]; then
    ok "disk full during a run # SKIP not root: cannot mount a small tmpfs"
elif ! mkdir -p "$TMP/full" || ! mount -t tmpfs -o size=600k tmpfs "$TMP/full" 2>"$TMP/mnt"; then
    ok "disk full during a run # SKIP mount failed: $(cat "$TMP/mnt")"
else
    trap 'umount "$TMP/full" 2>/dev/null; rm -rf "$TMP"' EXIT
    cd "$TMP/full" || exit 99
    cat >big.yaml <<'YAML'
name: big
stages:
  - name: s
    target: dapt.shell
    args: {shell: true, argv: "i=0; while [ $i -lt 40000 ]; do echo line-$i-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; i=$((i+1)); done"}
YAML
    expect_exit 4 "a run that fills the disk exits 4" "$DAPT" run -q big.yaml
    contains "$TMP/err" "dapt: the run store failed: .dapt/dapt.db" "the store's failure is said"
    contains "$TMP/err" "no space left on the device" "as a full disk"
    expect_exit 0 "what was committed stays readable" "$DAPT" runs list
    contains "$TMP/out" "big" "the run is listed"
    rm -rf .dapt
    dd if=/dev/zero of=fill bs=4k >/dev/null 2>&1
    printf 'name: w\nstages: [{name: s, target: dapt.echo}]\n' >"$TMP/w.yaml"
    expect_exit 1 "a full disk before a run: the run does not start" "$DAPT" run -q "$TMP/w.yaml"
    contains "$TMP/err" "no space left on the device" "a full disk before a run is named"
    lacks "$TMP/err" "disk I/O error" "not as a disk I/O error"
    cd "$TMP" && umount "$TMP/full"
fi

# --- executor settings: named where they are, not as the workflow's fault --
ws settings
printf 'name: w\nstages: [{name: s, target: dapt.echo}]\n' >w.yaml
printf 'services:\n  compute:\n    executor:\n      target: dapt.executor.local\n      workres: 2\n' \
    >dapt.yaml
expect_exit 1 "a misspelt executor setting stops the run" "$DAPT" run w.yaml
contains "$TMP/err" "dapt: ./dapt.yaml:5:7: services.compute.executor.workres: dapt.executor.local has no setting \`workres\`; did you mean \`workers\`?" \
    "... named at its line in dapt.yaml"
lacks "$TMP/err" "w.yaml" "... not blamed on the workflow"
rm dapt.yaml
expect_exit 1 "a bad DAPT__ variable stops the run" \
    env DAPT__SERVICES__COMPUTE__EXECUTOR__WORKERS=abc "$DAPT" run w.yaml
contains "$TMP/err" "dapt: \$DAPT__SERVICES__COMPUTE__EXECUTOR__WORKERS: services.compute.executor.workers:" \
    "... named by the variable"
expect_exit 1 "a variable above the key is named too" \
    env 'DAPT__SERVICES__COMPUTE__EXECUTOR={"target": "dapt.executor.local", "wrokers": 2}' "$DAPT" run w.yaml
contains "$TMP/err" "dapt: \$DAPT__SERVICES__COMPUTE__EXECUTOR: services.compute.executor.wrokers:" \
    "... the object's variable"

done_testing
