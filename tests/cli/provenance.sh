#!/bin/sh
# provenance.sh - every run records which version of its workflow and
# configs it ran (the commit, their blobs, changes not committed and then
# the exact text); `dapt runs show --definition` and `dapt runs diff`
# read it back.  The repository is made with dapt's own helper, dapt-git
# (no git program needed).
. "$top_srcdir/tests/cli/lib.sh"

GIT="$top_builddir/dapt-git"
export DAPT_LIBEXECDIR="$top_builddir"
# a git identity of our own, nothing from the machine
export GIT_CONFIG_NOSYSTEM=1
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config"
mkdir -p "$HOME"
printf '[user]\n\tname = Test\n\temail = test@example.org\n' >"$HOME/.gitconfig"

# jget FILE PYEXPR: print the value of PYEXPR over the JSON document d
jget() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
if ! command -v python3 >/dev/null 2>&1; then echo "1..0 # SKIP no python3"; exit 0; fi

W="$TMP/ws"
mkdir -p "$W/workflows" "$W/configs"
cd "$W" || exit 99
cat >workflows/hello.yaml <<'YAML'
kind: workflow
metadata: {name: hello, annotations: {team: data}}
spec:
  stages:
    - {name: greet, target: dapt.echo, args: {greeting: hi}}
    - {name: pause, target: dapt.sleep, depends_on: [greet], args: {seconds: 0.01}}
YAML
cat >configs/team.yaml <<'YAML'
kind: config
metadata: {name: team}
spec: {selector: {type: annotation, value: {team: data}}, data: {owner: data-team}}
YAML
cp workflows/hello.yaml "$TMP/v1.yaml"
expect_exit 0 "dapt-git init makes the workspace a repository" "$GIT" init -C "$W"
head=$(jget "$TMP/out" 'd["commit"]')

# a clean run
expect_exit 0 "a run of the committed workflow" "$DAPT" run hello --json
cp "$TMP/out" "$TMP/clean.json"
clean=$(jget "$TMP/clean.json" 'd["id"]')
check "its record names the commit" test "$(jget "$TMP/clean.json" 'd["commit"]')" = "$head"
expect_exit 0 "dapt-git status of the file" "$GIT" status -C "$W" workflows/hello.yaml
blob=$(jget "$TMP/out" 'd["files"][0]["blob"]')
check "the workflow's blob" test "$(jget "$TMP/clean.json" 'd["provenance"]["workflow"]["blob"]')" = "$blob"
check "not dirty, no text kept" test "$(jget "$TMP/clean.json" \
    '(d["provenance"]["workflow"]["dirty"], "text" in d["provenance"]["workflow"])')" = "(False, False)"
check "the config it used, with its blob" test "$(jget "$TMP/clean.json" \
    '[(c["path"], len(c["blob"]), c["dirty"]) for c in d["provenance"]["configs"]]')" = \
    "[('configs/team.yaml', 40, False)]"

# a run with changes not committed
sed 's/seconds: 0.01/seconds: 0.02/' "$TMP/v1.yaml" >workflows/hello.yaml
expect_exit 0 "a run of the changed workflow" "$DAPT" run hello --json
cp "$TMP/out" "$TMP/dirty.json"
dirty=$(jget "$TMP/dirty.json" 'd["id"]')
check "dirty, with the exact text" test "$(jget "$TMP/dirty.json" \
    'd["provenance"]["workflow"]["dirty"] and d["provenance"]["workflow"]["text"] == open("workflows/hello.yaml").read()')" = True
check "... and still the commit" test "$(jget "$TMP/dirty.json" 'd["commit"]')" = "$head"

# reading them back
expect_exit 0 "runs show --definition of the clean run" "$DAPT" runs show "$clean" --definition
check "... is the committed text (from the repository)" cmp -s "$TMP/out" "$TMP/v1.yaml"
expect_exit 0 "runs show --definition of the dirty run" "$DAPT" runs show "$dirty" --definition
check "... is the text it ran" cmp -s "$TMP/out" workflows/hello.yaml
expect_exit 0 "runs show names where the definition came from" "$DAPT" runs show "$dirty"
contains "$TMP/out" "workflows/hello.yaml, blob" "the file and its blob"
contains "$TMP/out" "(changes not committed: the text it ran is kept)" "marked dirty"
contains "$TMP/out" "configs/team.yaml, blob" "the config"
expect_exit 0 "runs diff of the two" "$DAPT" runs diff "$clean" "$dirty"
contains "$TMP/out" "definition: changed" "says the definition changed"
contains "$TMP/out" "~ stage pause: args.seconds: 0.01 -> 0.02" "stage by stage"
contains "$TMP/out" "-    - {name: pause, target: dapt.sleep, depends_on: [greet], args: {seconds: 0.01}}" "the old line"
contains "$TMP/out" "+    - {name: pause, target: dapt.sleep, depends_on: [greet], args: {seconds: 0.02}}" "the new line"
expect_exit 0 "runs diff of a run with itself" "$DAPT" runs diff "$clean" "$clean"
contains "$TMP/out" "definition: the same" "nothing changed"
expect_exit 2 "runs diff needs two runs" "$DAPT" runs diff "$clean"

# a workspace not under git: no commit, and no definition to show
N="$TMP/plain"
mkdir -p "$N/workflows"
cp "$TMP/v1.yaml" "$N/workflows/hello.yaml"
cd "$N" || exit 99
expect_exit 0 "a run outside any repository" "$DAPT" run hello --json
plain=$(jget "$TMP/out" 'd["id"]')
check "no commit, no provenance" test "$(jget "$TMP/out" '(d["commit"], d["provenance"])')" = "(None, None)"
expect_exit 1 "runs show --definition has nothing to show" "$DAPT" runs show "$plain" --definition
contains "$TMP/err" "no definition was recorded (the workspace was not under git when it ran" "says why"

done_testing
