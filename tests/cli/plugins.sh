#!/bin/sh
# plugins.sh - `dapt plugins list|show|files`: the staged builtin and
# cities plugins (on DAPT_PLUGIN_SYSTEM_PATH), fixture plugins copied into a
# private DAPT_PLUGIN_PATH (a broken one, a shadowed one, one with a data
# folder), text and --json, exit statuses, unknown names.
. "$top_srcdir/tests/cli/lib.sh"

fixtures="$top_builddir/tests/plugins/.libs"
system="$DAPT_PLUGIN_SYSTEM_PATH"
XDG_CACHE_HOME="$TMP/cache" # what is scanned here is cached nowhere else
export XDG_CACHE_HOME

# json FILE PYTHON-CODE DESCRIPTION: the code sees the parsed file as `d`
json() {
    if python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
$2" "$1" 2>"$TMP/py"; then ok "$3"; else not_ok "$3"; sed 's/^/# /' "$TMP/py" | tail -5; fi
}

# --- the staged plugins -------------------------------------------------
expect_exit 0 "plugins list" "$DAPT" plugins list
contains "$TMP/out" "NAME    VERSION  STATUS  TARGETS  PATH" "list has a header"
if grep -Eq "^dapt +[^ ]+ +ok +[0-9]+ +$system/dapt.so\$" "$TMP/out"; then ok "dapt listed ok with its path"
else not_ok "dapt listed ok with its path"; sed 's/^/# /' "$TMP/out"; fi
if grep -Eq "^cities +[^ ]+ +ok +6 +$system/cities.so\$" "$TMP/out"; then ok "cities listed with 6 targets"
else not_ok "cities listed with 6 targets"; sed 's/^/# /' "$TMP/out"; fi
[ ! -s "$TMP/err" ] && ok "no warnings" || { not_ok "no warnings"; sed 's/^/# /' "$TMP/err"; }

expect_exit 0 "plugins list --json" "$DAPT" plugins list --json
json "$TMP/out" "
by = {p['name']: p for p in d}
assert isinstance(d, list) and {'dapt', 'cities'} <= set(by), list(by)
for key in ('name', 'version', 'description', 'author', 'license', 'url', 'requirements',
            'path', 'status', 'error', 'targets'):
    assert key in by['dapt'], key
assert by['dapt']['status'] == 'ok' and by['dapt']['error'] is None
assert by['dapt']['path'] == '$system/dapt.so', by['dapt']['path']
names = {t['target'] for t in by['dapt']['targets']}
want = {'dapt.' + n for n in 'echo range square add sum sleep fail crash log shell'.split()}
assert want <= names, want - names
rng = [t for t in by['dapt']['targets'] if t['target'] == 'dapt.range'][0]
assert rng['plugin'] == 'dapt' and rng['kind'] == 'stage', rng
assert [(p['name'], p['type'], p['required']) for p in rng['params']] == [('n', 'integer', True)]
assert by['cities']['data_dir'] == '$system/cities', by['cities']['data_dir']
" "list --json: the builtin plugin's contract targets, path, status"

# --- show ----------------------------------------------------------------
expect_exit 0 "plugins show dapt" "$DAPT" plugins show dapt
contains "$TMP/out" "name:        dapt" "show: name"
contains "$TMP/out" "path:        $system/dapt.so" "show: path"
contains "$TMP/out" "status:      ok" "show: status"
contains "$TMP/out" "data folder: - (none)" "show: no data folder"
contains "$TMP/out" "  dapt.range(n: integer) -> " "show: a signature"
contains "$TMP/out" "  dapt.echo(*args, **kwargs) -> " "show: *args and **kwargs"
contains "$TMP/out" "  dapt.sleep(*args, seconds: number = 1, value: any = null)" "show: named-only parameters with defaults"
contains "$TMP/out" "The integers from 0 to n-1." "show: a target's doc"
if grep -Eq '^        n +How many numbers' "$TMP/out"; then ok "show: parameter docs"
else not_ok "show: parameter docs"; fi

expect_exit 0 "plugins show cities" "$DAPT" plugins show cities
contains "$TMP/out" "data folder: $system/cities" "show: data folder"
contains "$TMP/out" "  cities.stages.weather(city: object|string, days: integer = 14," "show: cities signature"
contains "$TMP/out" "files (" "show: the bundled files"
if grep -Eq '^  data/cities.csv +[0-9]+$' "$TMP/out"; then ok "show: a file with its size"
else not_ok "show: a file with its size"; fi

expect_exit 0 "plugins show --json" "$DAPT" plugins show cities --json
csv_size=$(wc -c <"$system/cities/data/cities.csv" | tr -d ' ')
json "$TMP/out" "
assert d['name'] == 'cities' and d['status'] == 'ok'
assert len(d['targets']) == 6, len(d['targets'])
files = {f['path']: f['size'] for f in d['files']}
assert files.get('data/cities.csv') == $csv_size, files
assert 'workflows/forecast.yaml' in files, files
" "show --json: the plugin object plus files with sizes"

# --- files ---------------------------------------------------------------
expect_exit 0 "plugins files cities" "$DAPT" plugins files cities
(cd "$system/cities/" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) >"$TMP/want"
awk '{print $1}' "$TMP/out" >"$TMP/got"
if cmp -s "$TMP/want" "$TMP/got"; then ok "files: every file, relative, sorted"
else not_ok "files: every file, relative, sorted"; diff "$TMP/want" "$TMP/got" | sed 's/^/# /'; fi
expect_exit 0 "plugins files --json" "$DAPT" plugins files --json cities
json "$TMP/out" "
paths = [f['path'] for f in d]
assert paths == open('$TMP/want').read().split(), paths
assert all(set(f) == {'path', 'size'} for f in d)
" "files --json: an array of {path, size}"

expect_exit 0 "files of a plugin without a data folder" "$DAPT" plugins files dapt
[ ! -s "$TMP/out" ] && ok "no files printed" || not_ok "no files printed"
contains "$TMP/err" "plugin \`dapt\` has no data folder" "says there is no data folder"
expect_exit 0 "files --json without a data folder" "$DAPT" plugins files dapt --json
json "$TMP/out" "assert d == []" "an empty array"

# --- unknown names and usage ----------------------------------------------
expect_exit 1 "show an unknown plugin" "$DAPT" plugins show citie
contains "$TMP/err" "unknown plugin \`citie\`; did you mean \`cities\`?" "nearest name suggested"
contains "$TMP/err" "dapt plugins list" "points at the list"
expect_exit 1 "files of an unknown plugin" "$DAPT" plugins files nothing_like_it
contains "$TMP/err" "unknown plugin \`nothing_like_it\`" "unknown name said"
expect_exit 2 "plugins without a subcommand" "$DAPT" plugins
contains "$TMP/err" "usage: dapt plugins" "usage shown"
expect_exit 2 "an unknown subcommand" "$DAPT" plugins lst
contains "$TMP/err" "did you mean 'plugins list'?" "subcommand suggested"
expect_exit 2 "show without a name" "$DAPT" plugins show
expect_exit 2 "show with two names" "$DAPT" plugins show dapt cities
expect_exit 2 "list takes no name" "$DAPT" plugins list dapt
expect_exit 2 "an unknown option" "$DAPT" plugins list --frob
expect_exit 0 "help plugins" "$DAPT" help plugins
contains "$TMP/out" "files NAME" "help documents files"
contains "$TMP/out" "{path, size}" "help documents the files JSON"

# --- a private plugin path: broken, shadowed, a data folder ---------------
pp="$TMP/pp" pp2="$TMP/pp2"
mkdir -p "$pp" "$pp2"
cp "$fixtures/good.so" "$fixtures/ctor_segv.so" "$fixtures/abi_major.so" "$pp/"
cp "$fixtures/good.so" "$pp2/"
mkdir -p "$pp/good/workflows" "$pp/good/deep/er/est" "$pp/good/empty"
printf 'name: x\n' >"$pp/good/workflows/x.yaml"
printf '12345' >"$pp/good/deep/er/est/five.txt"
printf 'top\n' >"$pp/good/README"
ln -s .. "$pp/good/deep/up"               # a link back up: not followed twice
ln -s ../README "$pp/good/deep/readme-link" # a link to a file: listed
chmod -R go-w "$pp" "$pp2"
DAPT_PLUGIN_PATH="$pp:$pp2"
export DAPT_PLUGIN_PATH

expect_exit 0 "list with broken plugins exits 0" "$DAPT" plugins list
if grep -Eq "^ctor_segv +- +broken +0 +$pp/ctor_segv.so\$" "$TMP/out"; then ok "broken plugin listed as broken"
else not_ok "broken plugin listed as broken"; sed 's/^/# /' "$TMP/out"; fi
if grep -A1 '^ctor_segv ' "$TMP/out" | grep -q '^    crashed while loading (SIGSEGV'; then
    ok "its reason on an indented line below"
else not_ok "its reason on an indented line below"; sed 's/^/# /' "$TMP/out"; fi
if grep -A1 '^abi_major ' "$TMP/out" | grep -q '^    built for plugin ABI 2'; then ok "ABI mismatch reason"
else not_ok "ABI mismatch reason"; fi
if grep -Eq "^good +- +shadowed +0 +$pp2/good.so\$" "$TMP/out" &&
    grep -A1 "^good .*$pp2/good.so" "$TMP/out" | grep -q "^    shadowed by $pp/good.so\$"; then
    ok "shadowed plugin names its winner"
else not_ok "shadowed plugin names its winner"; sed 's/^/# /' "$TMP/out"; fi
if grep -Eq "^good +1.2.3 +ok +3 +$pp/good.so\$" "$TMP/out"; then ok "the winner is ok"
else not_ok "the winner is ok"; fi
# search order: the private path before the system folder
n_pp=$(grep -n "^good .*ok .*$pp/good.so\$" "$TMP/out" | cut -d: -f1)
n_sys=$(grep -n "$system/dapt.so\$" "$TMP/out" | cut -d: -f1)
[ "$n_pp" -lt "$n_sys" ] && ok "listed in search order" || not_ok "listed in search order"

expect_exit 0 "list --json with broken plugins" "$DAPT" plugins list --json
json "$TMP/out" "
by = {}
for p in d:
    by.setdefault(p['name'], []).append(p)
segv = by['ctor_segv'][0]
assert segv['status'] == 'broken' and segv['error'].startswith('crashed while loading (SIGSEGV'), segv
assert segv['targets'] == [] and segv['path'] == '$pp/ctor_segv.so'
good = by['good']
assert [g['status'] for g in good] == ['ok', 'shadowed'], good
assert good[1]['error'] == 'shadowed by $pp/good.so', good[1]['error']
assert good[0]['version'] == '1.2.3' and good[0]['license'] == 'MIT'
assert good[0]['requirements'] == ['jansson >= 2.13']
" "list --json: broken and shadowed entries with their reasons"

expect_exit 0 "show a broken plugin" "$DAPT" plugins show ctor_segv
contains "$TMP/out" "status:      broken" "show: broken status"
contains "$TMP/out" "    crashed while loading (SIGSEGV" "show: the reason"
contains "$TMP/out" "targets: none" "show: no targets"

expect_exit 0 "show the fixture plugin" "$DAPT" plugins show good
contains "$TMP/out" "  good.math.add(a: number, b: integer|number = 0) -> number" "signature with a default"
contains "$TMP/out" "  good.stages.hello(who: string = \"world\") -> string" "a string default as JSON"
contains "$TMP/out" "  good.echo(*args, **kwargs)" "no return: no arrow"
contains "$TMP/out" "        a  The first term (required)" "required parameter marked"
contains "$TMP/out" "license:     MIT" "metadata shown"
contains "$TMP/out" "requires:    jansson >= 2.13" "requirements shown"

expect_exit 0 "files: nested, links" "$DAPT" plugins files good --json
json "$TMP/out" "
assert [f['path'] for f in d] == ['README', 'deep/er/est/five.txt', 'deep/readme-link',
                                  'workflows/x.yaml'], d
assert d[1]['size'] == 5 and d[0]['size'] == 4
" "files: recursive, sorted, directories left out, a link back up not followed"

# --- nothing on the search path --------------------------------------------
mkdir -p "$TMP/none"
expect_exit 0 "list with no plugins" env DAPT_PLUGIN_PATH= DAPT_PLUGIN_SYSTEM_PATH="$TMP/none" \
    XDG_DATA_HOME="$TMP/none" "$DAPT" plugins list
contains "$TMP/out" "No plugins found." "says none were found"
contains "$TMP/out" "  $TMP/none" "shows where it looked"
expect_exit 0 "list --json with no plugins" env DAPT_PLUGIN_PATH= DAPT_PLUGIN_SYSTEM_PATH="$TMP/none" \
    XDG_DATA_HOME="$TMP/none" "$DAPT" plugins list --json
json "$TMP/out" "assert d == []" "an empty array"

done_testing
