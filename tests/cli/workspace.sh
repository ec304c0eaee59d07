#!/bin/sh
# workspace.sh - the workspace under git as a user meets it: dapt init
# (a new repository, a repeated init, a user's .gitignore, a subfolder of
# a larger repository, no git identity), dapt apply (generated messages,
# a file that does not validate, files as committed), dapt history (order,
# columns, run counts by version), dapt diff (lines, --stages) and dapt
# restore (refused over changes not applied, --force keeps FILE.orig),
# with every exit status.
#
# Everything goes through dapt and its helper dapt-git; the `git` program,
# when installed, only checks the results independently (those checks are
# skipped without it).  HOME is private, holding a .gitconfig with the
# user's identity (one case has none), and the system git configuration is
# not read.
. "$top_srcdir/tests/cli/lib.sh"
unset DAPT_WORKSPACE 2>/dev/null
DAPT_LIBEXECDIR="$top_builddir"
GIT_CONFIG_NOSYSTEM=1
HOME="$TMP/home"
XDG_CONFIG_HOME="$TMP/home/.config"
# threads: the runs of these tests are short
DAPT__SERVICES__COMPUTE__EXECUTOR__USE_PROCESSES=false
export DAPT_LIBEXECDIR GIT_CONFIG_NOSYSTEM HOME XDG_CONFIG_HOME
export DAPT__SERVICES__COMPUTE__EXECUTOR__USE_PROCESSES
mkdir -p "$HOME/.config"
printf '[user]\n\tname = Ann Smith\n\temail = ann@example.com\n' >"$HOME/.gitconfig"

have_git=0
command -v git >/dev/null 2>&1 && have_git=1

# same FILE TEXT DESCRIPTION: FILE holds exactly TEXT (and a newline)
same() {
    printf '%s\n' "$2" >"$TMP/want"
    if cmp -s "$1" "$TMP/want"; then ok "$3"; else
        not_ok "$3"; echo "# wanted: $2"; sed 's/^/# got:    /' "$1" | head -10; fi
}
# matches FILE REGEX DESCRIPTION
matches() {
    if grep -q -- "$2" "$1"; then ok "$3"; else
        not_ok "$3"; echo "# /$2/ not in:"; sed 's/^/# /' "$1" | head -30; fi
}
lacks() {
    if grep -qF -- "$2" "$1"; then not_ok "$3"; echo "# '$2' is in:"; sed 's/^/# /' "$1" | head -30
    else ok "$3"; fi
}
# equal A B DESCRIPTION: two strings
equal() {
    if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3"; echo "# '$1' != '$2'"; fi
}
# gitcheck DESCRIPTION COMMAND...: a check that needs git (skipped without)
gitcheck() {
    if [ "$have_git" = 0 ]; then ok "$1 # SKIP no git"; return; fi
    check "$@"
}
# gitequal DESCRIPTION WANT GIT-ARGS...: git's output is WANT
gitequal() {
    d=$1 want=$2
    shift 2
    if [ "$have_git" = 0 ]; then ok "$d # SKIP no git"; return; fi
    got=$(git "$@" 2>&1)
    equal "$got" "$want" "$d"
}
# head_of DIR: HEAD's commit id by dapt (the first column of history of
# dapt.yaml would not do: read it from dapt-git status)
head_of() {
    "$DAPT_LIBEXECDIR/dapt-git" status -C "$1" | sed -n 's/.*"head": *"\([0-9a-f]*\)".*/\1/p'
}

# A small workflow of dapt's builtin stages: WF NAME N TARGET [EXTRA]
wf_etl() {
    cat <<EOF
kind: workflow
metadata:
  name: etl
spec:
  stages:
    - name: extract
      target: dapt.range
      args:
        n: $1
    - name: total
      target: dapt.sum
      depends_on: [extract]
    - name: report
      target: $2
      depends_on: [total]
EOF
}

cd "$TMP" || exit 99

# ------------------------------------------------------------------
# dapt init
# ------------------------------------------------------------------

expect_exit 0 "init a new folder" "$DAPT" init ws
W="$TMP/ws"
for f in workflows configs triggers user_modules; do
    check "init made $f/" test -d "$W/$f"
    contains "$TMP/out" "created $f/" "init says it made $f/"
done
contains "$TMP/out" "created ws/" "init says it made the folder"
contains "$TMP/out" "created dapt.yaml" "init says it wrote dapt.yaml"
contains "$TMP/out" "created .gitignore" "init says it wrote .gitignore"
contains "$W/dapt.yaml" "target: dapt.executor.local" "dapt.yaml chooses the local executor"
contains "$W/dapt.yaml" "use_processes: true" "dapt.yaml runs stages in processes"
matches "$W/dapt.yaml" "^# " "dapt.yaml is commented"
contains "$W/.gitignore" ".dapt/" ".gitignore ignores .dapt/"
init_head=$(head_of "$W")
matches "$TMP/out" "^initialised a workspace in ws (new git repository) — first commit [0-9a-f]\{7\}$" \
    "init names the first commit"
contains "$TMP/out" "first commit $(echo "$init_head" | cut -c1-7)" "the commit named is HEAD"
lacks "$TMP/err" "fallback" "no identity note when git has one"
check "init leaves no temporary file" sh -c "! ls -a '$W' | grep -q tmp"
gitequal "git sees the first commit" "Ann Smith <ann@example.com> dapt init" \
    -C "$W" log --format='%an <%ae> %s'
gitequal "the commit holds dapt.yaml, .gitignore and the folders (.gitkeep)" ".gitignore
configs/.gitkeep
dapt.yaml
triggers/.gitkeep
user_modules/.gitkeep
workflows/.gitkeep" -C "$W" ls-files
gitequal "git sees a clean tree" "" -C "$W" status --porcelain
( cd "$W" && "$DAPT" run - --quiet ) >/dev/null 2>&1 <<EOF
kind: workflow
metadata: {name: probe}
spec:
  stages:
    - {name: one, target: dapt.range, args: {n: 2}}
EOF
equal "$?" 0 "a run works with the settings init wrote"

# again: nothing is overwritten, nothing new committed
echo "# my settings" >"$W/dapt.yaml"
( cd "$W" && "$DAPT" apply dapt.yaml -m "my settings" ) >/dev/null 2>&1
before=$(head_of "$W")
expect_exit 0 "init an existing workspace again" "$DAPT" init "$W"
contains "$TMP/out" "kept dapt.yaml (it exists)" "init keeps dapt.yaml"
same "$W/dapt.yaml" "# my settings" "the user's dapt.yaml is unchanged"
contains "$TMP/out" "nothing new to commit" "init again commits nothing"
equal "$(head_of "$W")" "$before" "HEAD is unchanged"

# a user's committed .gitignore gets .dapt/ (committed too)
printf 'build/' >"$W/.gitignore"
( cd "$W" && "$DAPT" apply .gitignore -m "my ignores" ) >/dev/null 2>&1
expect_exit 0 "init with a .gitignore lacking .dapt/" "$DAPT" init "$W"
contains "$TMP/out" "added .dapt/ to .gitignore" "init says it added .dapt/"
same "$W/.gitignore" "build/
.dapt/" "the line is added after the user's"
matches "$TMP/out" "— commit [0-9a-f]\{7\}$" "the change is committed"
gitequal "git sees the .gitignore commit" "dapt init: ignore .dapt/" -C "$W" log -1 --format=%s
gitequal "and a clean tree" "" -C "$W" status --porcelain

# an existing folder with a .gitignore, not yet a repository
mkdir -p "$TMP/pre/workflows"
printf 'node_modules\n.dapt\n' >"$TMP/pre/.gitignore"
echo "kind: config" >"$TMP/pre/workflows/keep.txt"
expect_exit 0 "init a folder with files" "$DAPT" init pre
lacks "$TMP/out" "created workflows/" "an existing folder is not said to be made"
lacks "$TMP/out" ".gitignore" ".gitignore already ignoring .dapt is left alone"
same "$TMP/pre/.gitignore" "node_modules
.dapt" "its .gitignore is unchanged"
gitequal "the files there are in the first commit" ".gitignore
configs/.gitkeep
dapt.yaml
triggers/.gitkeep
user_modules/.gitkeep
workflows/keep.txt" -C "$TMP/pre" ls-files

# no identity: the fallback, and how to set one
mkdir -p "$TMP/noid/.config"
expect_exit 0 "init without a git identity" \
    env HOME="$TMP/noid" XDG_CONFIG_HOME="$TMP/noid/.config" "$DAPT" init anon
contains "$TMP/err" "fallback identity" "init says the commit used the fallback identity"
contains "$TMP/err" 'git config --global user.name "Your Name"' "and how to set user.name"
contains "$TMP/err" "git config --global user.email" "and user.email"
gitequal "the commit's author is dapt" "dapt" -C "$TMP/anon" log -1 --format=%an

# a workspace in a subfolder of a larger repository
expect_exit 0 "init the outer repository" "$DAPT" init big
outer_head=$(head_of "$TMP/big")
expect_exit 0 "init a subfolder of a repository" "$DAPT" init big/sub/ws
matches "$TMP/out" "initialised a workspace in big/sub/ws (in the git repository .*big) — commit " \
    "init adopts the repository around it"
check "no repository is made in the subfolder" test ! -e "$TMP/big/sub/ws/.git"
gitequal "the commit holds the subfolder's files, by their repository paths" "sub/ws/.gitignore
sub/ws/configs/.gitkeep
sub/ws/dapt.yaml
sub/ws/triggers/.gitkeep
sub/ws/user_modules/.gitkeep
sub/ws/workflows/.gitkeep" -C "$TMP/big" show --format= --name-only HEAD
gitequal "on top of the outer history" "$outer_head" -C "$TMP/big" rev-parse HEAD~1

# init errors
echo x >"$TMP/afile"
expect_exit 1 "init over a file" "$DAPT" init afile
contains "$TMP/err" "cannot create afile" "init says why"
expect_exit 2 "init with two folders" "$DAPT" init a b
expect_exit 2 "init with an unknown option" "$DAPT" init --bare

# ------------------------------------------------------------------
# dapt apply
# ------------------------------------------------------------------

cd "$W" || exit 99
wf_etl 5 dapt.echo >workflows/etl.yaml
expect_exit 0 "apply a new workflow" "$DAPT" apply workflows/etl.yaml
c1=$(head_of "$W" | cut -c1-7)
same "$TMP/out" "applied 1 file in $c1: add workflow etl (3 stages)" "apply says what it committed"
gitequal "git sees the message" "add workflow etl (3 stages)" log -1 --format=%s
gitequal "and the file" "" status --porcelain workflows/etl.yaml

expect_exit 0 "apply an unchanged file" "$DAPT" apply workflows/etl.yaml
same "$TMP/out" "nothing to apply: workflows/etl.yaml is as committed" "apply says it is as committed"
equal "$(head_of "$W" | cut -c1-7)" "$c1" "no commit for an unchanged file"

# a change: the message lists the stages by name
wf_etl 7 dapt.sum >workflows/etl.yaml
cat >>workflows/etl.yaml <<'EOF'
    - name: square
      target: dapt.square
      type: parameterized
      depends_on: [extract]
EOF
expect_exit 0 "apply a changed workflow" "$DAPT" apply workflows/etl.yaml
c2=$(head_of "$W" | cut -c1-7)
same "$TMP/out" "applied 1 file in $c2: workflow etl: add square, change extract (args), change report (target)" \
    "the message says which stages changed"
sed -i '/name: report/,$d' workflows/etl.yaml
expect_exit 0 "apply a workflow with stages removed" "$DAPT" apply workflows/etl.yaml
c3=$(head_of "$W" | cut -c1-7)
same "$TMP/out" "applied 1 file in $c3: workflow etl: remove report, square" \
    "the message says which stages were removed"

# several files, a config, a message given
cat >configs/etl.yaml <<'EOF'
kind: config
metadata:
  name: etl-settings
spec:
  selector: {type: name, value: etl}
  data: {rate: 1}
EOF
wf_etl 9 dapt.fail >workflows/etl.yaml
expect_exit 0 "apply two files with a message" "$DAPT" apply workflows/etl.yaml configs/etl.yaml \
    -m "tune etl"
c4=$(head_of "$W" | cut -c1-7)
same "$TMP/out" "applied 2 files in $c4: tune etl" "apply counts the files"
gitequal "both in one commit" "configs/etl.yaml
workflows/etl.yaml" show --format= --name-only HEAD
sed -i 's/rate: 1/rate: 2/' configs/etl.yaml
expect_exit 0 "apply a changed config" "$DAPT" apply configs/etl.yaml
same "$TMP/out" "applied 1 file in $(head_of "$W" | cut -c1-7): update configs/etl.yaml" \
    "a config's message names the file"
echo "x" >user_modules/notes.txt
expect_exit 0 "apply a file that is not YAML" "$DAPT" apply user_modules/notes.txt
contains "$TMP/out" ": add user_modules/notes.txt" "a new file is added"

# a file that does not validate: nothing is committed
before=$(head_of "$W")
cat >workflows/bad.yaml <<'EOF'
kind: workflow
metadata:
  name: bad
spec:
  stages:
    - name: a
      target: dapt.nosuch
EOF
wf_etl 11 dapt.echo >workflows/etl.yaml
expect_exit 1 "apply with a file that does not validate" "$DAPT" apply workflows/etl.yaml workflows/bad.yaml
contains "$TMP/err" "workflows/bad.yaml:7:15: error: plugin \`dapt\` has no target \`nosuch\`" \
    "apply shows why"
contains "$TMP/err" "not applied: workflows/bad.yaml does not validate" "apply names the file"
lacks "$TMP/err" "not applied: workflows/etl.yaml" "the valid file is not named"
contains "$TMP/err" "nothing was committed" "apply says nothing was committed"
equal "$(head_of "$W")" "$before" "HEAD is unchanged"
gitequal "the valid file stays changed, not committed" " M workflows/etl.yaml" \
    status --porcelain workflows/etl.yaml
printf 'kind: workflow\nmetadata: [\n' >workflows/broken.yaml
expect_exit 1 "apply a file that does not parse" "$DAPT" apply workflows/broken.yaml
contains "$TMP/err" "not applied: workflows/broken.yaml does not validate" "apply names it"
equal "$(head_of "$W")" "$before" "HEAD is still unchanged"
rm -f workflows/bad.yaml workflows/broken.yaml
printf 'services: [\n' >dapt.yaml
expect_exit 1 "apply settings that do not parse" "$DAPT" apply dapt.yaml
contains "$TMP/err" "not applied: dapt.yaml does not validate" "apply checks dapt.yaml as settings"
printf 'services: {compute: {executor: {workres: 2}}}\n' >dapt.yaml
expect_exit 1 "apply settings dapt run would refuse" "$DAPT" apply dapt.yaml
contains "$TMP/err" "services.compute.executor.workres: dapt.executor.local has no setting \`workres\`; did you mean \`workers\`?" \
    "apply checks the executor's settings as dapt run does"
printf 'services: {compute: {default_os_strategy: disk}}\n' >dapt.yaml
expect_exit 1 "apply an unknown object store strategy" "$DAPT" apply dapt.yaml
contains "$TMP/err" "\`disk\` is not a strategy" "apply names the strategy"
equal "$(head_of "$W")" "$before" "HEAD is still unchanged after the settings"
echo "# my settings" >dapt.yaml
expect_exit 1 "apply a file outside the workspace" "$DAPT" apply "$TMP/afile"
contains "$TMP/err" "is not a file of the workspace" "apply says why"
expect_exit 1 "apply a missing file" "$DAPT" apply workflows/none.yaml
contains "$TMP/err" "not applied: workflows/none.yaml does not validate" "apply names it"
expect_exit 2 "apply without a file" "$DAPT" apply
expect_exit 2 "apply -m without a message" "$DAPT" apply workflows/etl.yaml -m
expect_exit 2 "apply an empty message" "$DAPT" apply workflows/etl.yaml -m ""
expect_exit 2 "apply with an unknown option" "$DAPT" apply --all

# from elsewhere, with DAPT_WORKSPACE: paths from the workspace
cd "$TMP" || exit 99
expect_exit 0 "apply with DAPT_WORKSPACE from another folder" \
    env DAPT_WORKSPACE="$W" "$DAPT" apply workflows/etl.yaml
c5=$(head_of "$W" | cut -c1-7)
same "$TMP/out" "applied 1 file in $c5: workflow etl: change extract (args), change report (target)" \
    "the file is the workspace's"
cd "$W" || exit 99

# ------------------------------------------------------------------
# dapt history
# ------------------------------------------------------------------

expect_exit 0 "history of a workflow" "$DAPT" history workflows/etl.yaml
head -1 "$TMP/out" >"$TMP/hdr"
matches "$TMP/hdr" "^COMMIT   DATE              AUTHOR     RUNS  MESSAGE$" "history has a header"
equal "$(wc -l <"$TMP/out")" 6 "one line per commit of the file"
sed -n 2p "$TMP/out" >"$TMP/l"
matches "$TMP/l" "^$c5  [0-9-]\{10\} [0-9:]\{5\}  Ann Smith  0     workflow etl: change extract (args), change report (target)$" \
    "newest first: commit, date, author, runs, message"
sed -n 6p "$TMP/out" >"$TMP/l"
matches "$TMP/l" "^$c1  .*  add workflow etl (3 stages)$" "the first commit last"
if [ "$have_git" = 1 ]; then
    git log --format=%h --abbrev=7 -- workflows/etl.yaml >"$TMP/gitlog"
    cut -c1-7 "$TMP/out" | tail -n +2 >"$TMP/ours"
    check "the commits are git's, in git's order" cmp -s "$TMP/gitlog" "$TMP/ours"
    git log -1 --format=%ad --date=format:'%Y-%m-%d %H:%M' >"$TMP/gitdate"
    check "the date is the commit's" grep -qF -- "$(cat "$TMP/gitdate")" "$TMP/out"
else
    ok "the commits are git's # SKIP no git"
    ok "the date is the commit's # SKIP no git"
fi

# runs by version: two finished from the current version, one failed
# from the previous one (its report stage fails), one from changes not
# applied (counted with no version)
expect_exit 0 "a run" "$DAPT" run etl --quiet
expect_exit 0 "another run" "$DAPT" run workflows/etl.yaml --quiet
expect_exit 0 "restore the previous version to run it" "$DAPT" restore workflows/etl.yaml "$c4"
expect_exit 1 "a run that fails" "$DAPT" run etl --quiet
sed -i 's/dapt.fail/dapt.echo/' workflows/etl.yaml
expect_exit 0 "a run of changes not applied" "$DAPT" run etl --quiet
expect_exit 0 "history with runs" "$DAPT" history workflows/etl.yaml
sed -n 2p "$TMP/out" >"$TMP/l"
matches "$TMP/l" "  2 finished  workflow etl: change extract (args), change report (target)$" \
    "runs of the latest version counted"
sed -n 3p "$TMP/out" >"$TMP/l"
matches "$TMP/l" "  1 failed    tune etl$" "the failed run counted with its version"
expect_exit 0 "history --json" "$DAPT" history workflows/etl.yaml --json
jtrue "history --json is an array of commits" "$TMP/out" \
    'len(d) == 5 and all(set(e) == {"commit", "author", "email", "date", "message", "blob", "runs"} for e in d)'
jtrue "with the author, email and runs by state" "$TMP/out" \
    'd[0]["author"] == "Ann Smith" and d[0]["email"] == "ann@example.com" and d[0]["runs"] == {"finished": 2} and d[1]["runs"] == {"failed": 1} and d[4]["runs"] == {}'
jtrue "full commit ids, newest first" "$TMP/out" \
    'len(d[0]["commit"]) == 40 and d[4]["message"] == "add workflow etl (3 stages)"'
expect_exit 0 "restore the latest version" "$DAPT" restore workflows/etl.yaml HEAD --force
rm -f workflows/etl.yaml.orig

printf 'kind: workflow\n' >workflows/new.yaml
expect_exit 1 "history of a file never committed" "$DAPT" history workflows/new.yaml
contains "$TMP/err" "workflows/new.yaml has no commits; \`dapt apply workflows/new.yaml\` commits it" \
    "history says how to commit it"
rm -f workflows/new.yaml
expect_exit 1 "history of a file outside the workspace" "$DAPT" history "$TMP/afile"
expect_exit 2 "history without a file" "$DAPT" history
expect_exit 2 "history of two files" "$DAPT" history a b
expect_exit 2 "history with an unknown option" "$DAPT" history --all x

# ------------------------------------------------------------------
# dapt diff
# ------------------------------------------------------------------

wf_etl 10 dapt.sum >workflows/etl.yaml
expect_exit 0 "diff of the workspace" "$DAPT" diff
contains "$TMP/out" "--- a/workflows/etl.yaml" "diff names the file"
contains "$TMP/out" "-        n: 11" "diff shows the line removed"
contains "$TMP/out" "+        n: 10" "and the line added"
contains "$TMP/out" "+      target: dapt.sum" "every changed line"
expect_exit 0 "diff of one file" "$DAPT" diff workflows/etl.yaml
contains "$TMP/out" "+        n: 10" "diff FILE shows its lines"
expect_exit 0 "diff of another file" "$DAPT" diff configs/etl.yaml
equal "$(wc -c <"$TMP/out")" 0 "an unchanged file has no diff"
expect_exit 0 "diff of two revisions" "$DAPT" diff "$c4" "$c5" workflows/etl.yaml
contains "$TMP/out" "-        n: 9" "diff REV REV shows what changed between them"
contains "$TMP/out" "+        n: 11" "both ways"
expect_exit 0 "diff of two revisions by HEAD~N" "$DAPT" diff HEAD~1 HEAD
contains "$TMP/out" "+        n: 11" "HEAD~N is a revision"
expect_exit 0 "diff --stages" "$DAPT" diff --stages workflows/etl.yaml
same "$TMP/out" "~ stage extract: args.n: 11 -> 10
~ stage report: target: dapt.echo -> dapt.sum" "diff --stages lists stages and fields"
expect_exit 0 "diff REV --stages" "$DAPT" diff "$c3" --stages workflows/etl.yaml
same "$TMP/out" "~ stage extract: args.n: 7 -> 10
+ stage report (dapt.sum)" "diff REV --stages compares REV with the file"
expect_exit 0 "diff REV REV --stages" "$DAPT" diff "$c1" "$c2" workflows/etl.yaml --stages
same "$TMP/out" "~ stage extract: args.n: 5 -> 7
~ stage report: target: dapt.echo -> dapt.sum
+ stage square (dapt.square)" "diff REV REV --stages compares two commits"
expect_exit 0 "diff --stages of the same version" "$DAPT" diff HEAD HEAD --stages workflows/etl.yaml
same "$TMP/out" "no stage changes" "diff --stages says when nothing changed"
printf 'kind: workflow\nmetadata: {name: n}\nspec:\n  stages:\n    - {name: a, target: dapt.echo}\n' \
    >workflows/new.yaml
expect_exit 0 "diff --stages of a file not committed" "$DAPT" diff --stages workflows/new.yaml
same "$TMP/out" "+ stage a (dapt.echo)" "every stage is new"
rm -f workflows/new.yaml
expect_exit 1 "diff --stages of a file without a workflow" "$DAPT" diff --stages dapt.yaml
contains "$TMP/err" "dapt.yaml holds no workflow" "diff says why"
expect_exit 1 "diff with an unknown revision" "$DAPT" diff nosuch --stages workflows/etl.yaml
contains "$TMP/err" "nosuch" "diff names the revision"
expect_exit 1 "diff of lines with an unknown revision" "$DAPT" diff nosuch
expect_exit 2 "diff --stages without a file" "$DAPT" diff --stages
expect_exit 2 "diff with too many revisions" "$DAPT" diff a b c workflows/etl.yaml
expect_exit 2 "diff with an unknown option" "$DAPT" diff --word-diff

# ------------------------------------------------------------------
# dapt restore
# ------------------------------------------------------------------

cp workflows/etl.yaml "$TMP/unsaved"
before=$(head_of "$W")
expect_exit 1 "restore over changes not applied" "$DAPT" restore workflows/etl.yaml HEAD~1
same "$TMP/err" "dapt: workflows/etl.yaml has changes not applied; apply them first, or use --force (they are saved to workflows/etl.yaml.orig)" \
    "restore refuses and says what to do"
check "the file is untouched" cmp -s workflows/etl.yaml "$TMP/unsaved"
check "no .orig without --force" test ! -e workflows/etl.yaml.orig
expect_exit 0 "restore --force" "$DAPT" restore workflows/etl.yaml HEAD~1 --force
contains "$TMP/out" "restored workflows/etl.yaml as of HEAD~1 (not applied: dapt apply workflows/etl.yaml to commit it)" \
    "restore says what it did"
check "the changes are saved in .orig" cmp -s workflows/etl.yaml.orig "$TMP/unsaved"
contains "$TMP/out" "saved the changes not applied to workflows/etl.yaml.orig" "restore says where"
echo "# mine" >>workflows/etl.yaml
cp workflows/etl.yaml "$TMP/unsaved2"
expect_exit 0 "restore --force again" "$DAPT" restore workflows/etl.yaml HEAD~1 --force
contains "$TMP/out" "saved the changes not applied to workflows/etl.yaml.orig.1" \
    "an earlier copy is not overwritten"
check "the first copy is kept" cmp -s workflows/etl.yaml.orig "$TMP/unsaved"
check "the second copy is beside it" cmp -s workflows/etl.yaml.orig.1 "$TMP/unsaved2"
rm -f workflows/etl.yaml.orig.1
echo "# mine" >>workflows/etl.yaml
expect_exit 1 "restore --force from an unknown revision" "$DAPT" restore workflows/etl.yaml nosuch --force
check "leaves no copy behind" test ! -e workflows/etl.yaml.orig.1
"$DAPT" restore workflows/etl.yaml HEAD~1 --force >/dev/null 2>&1
rm -f workflows/etl.yaml.orig.1
expect_exit 0 "the file is as it was at HEAD~1" "$DAPT" diff HEAD~1 --stages workflows/etl.yaml
same "$TMP/out" "no stage changes" "the restored file equals HEAD~1's"
if [ "$have_git" = 1 ]; then
    git show HEAD~1:workflows/etl.yaml >"$TMP/gitold"
    check "byte for byte, says git" cmp -s workflows/etl.yaml "$TMP/gitold"
else
    ok "byte for byte, says git # SKIP no git"
fi
equal "$(head_of "$W")" "$before" "restore commits nothing"
"$DAPT" restore workflows/etl.yaml HEAD --force >/dev/null 2>&1
rm -f workflows/etl.yaml.orig
expect_exit 0 "restore a clean file" "$DAPT" restore workflows/etl.yaml "$c1"
check "no .orig for a clean file" test ! -e workflows/etl.yaml.orig
expect_exit 0 "and apply it" "$DAPT" apply workflows/etl.yaml -m "back to the start"
expect_exit 0 "the applied file is the first version" "$DAPT" diff "$c1" HEAD --stages workflows/etl.yaml
same "$TMP/out" "no stage changes" "restore then apply brings a version back"
rm workflows/etl.yaml
expect_exit 0 "restore a deleted file" "$DAPT" restore workflows/etl.yaml HEAD
check "the file is back" test -s workflows/etl.yaml
expect_exit 1 "restore from an unknown revision" "$DAPT" restore workflows/etl.yaml nosuch
contains "$TMP/err" "nosuch" "restore names the revision"
expect_exit 2 "restore without a revision" "$DAPT" restore workflows/etl.yaml
expect_exit 2 "restore without arguments" "$DAPT" restore
expect_exit 2 "restore with an unknown option" "$DAPT" restore workflows/etl.yaml HEAD -f

# a folder that is not under git
mkdir -p "$TMP/plain/workflows"
wf_etl 2 dapt.echo >"$TMP/plain/workflows/etl.yaml"
cd "$TMP/plain" || exit 99
expect_exit 1 "apply outside a repository" "$DAPT" apply workflows/etl.yaml
contains "$TMP/err" "run \`dapt init\` there" "apply says to run dapt init"
expect_exit 1 "history outside a repository" "$DAPT" history workflows/etl.yaml
expect_exit 1 "diff outside a repository" "$DAPT" diff
expect_exit 1 "restore outside a repository" "$DAPT" restore workflows/etl.yaml HEAD
check "restore left the file alone" test -s workflows/etl.yaml

# the workspace in a subfolder of a larger repository
cd "$TMP/big/sub/ws" || exit 99
wf_etl 3 dapt.echo >workflows/etl.yaml
expect_exit 0 "apply in a subfolder workspace" "$DAPT" apply workflows/etl.yaml
gitequal "the file is committed at its repository path" "sub/ws/workflows/etl.yaml" \
    show --format= --name-only HEAD
expect_exit 0 "history in a subfolder workspace" "$DAPT" history workflows/etl.yaml
contains "$TMP/out" "add workflow etl (3 stages)" "history finds the commit"
wf_etl 4 dapt.echo >workflows/etl.yaml
expect_exit 0 "diff --stages in a subfolder workspace" "$DAPT" diff --stages workflows/etl.yaml
same "$TMP/out" "~ stage extract: args.n: 3 -> 4" "the stage diff of the subfolder's file"

# ------------------------------------------------------------------
# help
# ------------------------------------------------------------------

for c in init apply history diff restore; do
    expect_exit 0 "help $c" "$DAPT" help $c
    contains "$TMP/out" "usage: dapt $c" "help $c shows the usage"
    contains "$TMP/out" "Exit status" "help $c explains the exit status"
done
done_testing
