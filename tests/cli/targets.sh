#!/bin/sh
# targets.sh - `dapt targets [PATTERN] [--json]`: the staged plugins'
# targets, sorted; PATTERN as substring and glob; --json, which dapt writes
# itself for speed, compared with the library's dapt_target_to_json (as
# `dapt plugins list --json` prints it), also for strings that need
# escaping and defaults that are not simple.
. "$top_srcdir/tests/cli/lib.sh"

fixtures="$top_builddir/tests/plugins/.libs"
XDG_CACHE_HOME="$TMP/cache"
export XDG_CACHE_HOME

json() {
    if python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
$2" "$1" 2>"$TMP/py"; then ok "$3"; else not_ok "$3"; sed 's/^/# /' "$TMP/py" | tail -5; fi
}

# same_as_library DESCRIPTION: $TMP/targets.json holds `targets --json`,
# $TMP/plugins.json `plugins list --json`; the first must be the targets of
# the usable plugins of the second, sorted, value for value.
same_as_library() {
    if python3 - "$TMP/targets.json" "$TMP/plugins.json" <<'PY' 2>"$TMP/py"; then ok "$1"; else not_ok "$1"; sed 's/^/# /' "$TMP/py" | tail -5; fi
import json, sys
mine = json.load(open(sys.argv[1]))
lib = [t for p in json.load(open(sys.argv[2])) if p["status"] == "ok" for t in p["targets"]]
lib.sort(key=lambda t: t["target"].encode())
assert len(mine) == len(lib), (len(mine), len(lib))
for a, b in zip(mine, lib):
    assert a == b, (a, b)
    assert list(a) == list(b), (list(a), list(b))  # the same key order
    for pa, pb in zip(a["params"], b["params"]):
        assert list(pa) == list(pb)
PY
}

# --- the staged plugins -------------------------------------------------
expect_exit 0 "targets" "$DAPT" targets
head -1 "$TMP/out" | grep -Eq '^TARGET +KIND +SUMMARY$' && ok "a header" || not_ok "a header"
if grep -Eq '^dapt\.range +stage +The integers from 0 to n-1\.$' "$TMP/out"; then ok "a target, its kind and summary"
else not_ok "a target, its kind and summary"; sed 's/^/# /' "$TMP/out"; fi
tail -n +2 "$TMP/out" | awk '{print $1}' >"$TMP/names"
LC_ALL=C sort -c "$TMP/names" 2>/dev/null && ok "sorted" || not_ok "sorted"
for t in dapt.echo dapt.range dapt.square dapt.add dapt.sum dapt.sleep dapt.fail dapt.crash \
    dapt.log dapt.shell cities.stages.list cities.stages.weather; do
    grep -qx "$t" "$TMP/names" || { not_ok "target $t listed"; continue; }
    ok "target $t listed"
done

expect_exit 0 "targets --json" "$DAPT" targets --json
cp "$TMP/out" "$TMP/targets.json"
json "$TMP/targets.json" "
assert isinstance(d, list) and d, d
keys = ['target', 'plugin', 'kind', 'doc', 'params', 'returns', 'varargs', 'kwargs']
assert all(list(t)[:8] == keys for t in d), list(d[0])
add = [t for t in d if t['target'] == 'dapt.add'][0]
assert add['plugin'] == 'dapt' and add['kind'] == 'stage' and add['varargs'] is False
assert [(p['name'], p['type'], p['required']) for p in add['params']] == \
    [('a', 'number', True), ('b', 'number', True)], add['params']
assert all(set(p) >= {'name', 'type', 'required', 'doc'} for t in d for p in t['params'])
echo = [t for t in d if t['target'] == 'dapt.echo'][0]
assert echo['varargs'] is True and echo['kwargs'] is True and echo['params'] == []
" "--json: target objects with their parameters"
"$DAPT" plugins list --json >"$TMP/plugins.json"
same_as_library "--json is exactly the library's target objects"

# --- PATTERN ---------------------------------------------------------------
expect_exit 0 "a substring" "$DAPT" targets cities
awk 'NR > 1 {print $1}' "$TMP/out" | tr '\n' ' ' >"$TMP/got"
[ "$(cat "$TMP/got")" = "cities.stages.features cities.stages.list cities.stages.predict cities.stages.report cities.stages.train cities.stages.weather " ] &&
    ok "substring selects the cities targets" || { not_ok "substring selects the cities targets"; cat "$TMP/got"; }
expect_exit 0 "a glob" "$DAPT" targets 'dapt.s*'
awk 'NR > 1 {print $1}' "$TMP/out" | tr '\n' ' ' >"$TMP/got"
[ "$(cat "$TMP/got")" = "dapt.shell dapt.sleep dapt.square dapt.sum " ] &&
    ok "a glob matches the whole target" || { not_ok "a glob matches the whole target"; cat "$TMP/got"; }
expect_exit 0 "a glob with --json" "$DAPT" targets --json '*.[lr]*'
json "$TMP/out" "
got = [t['target'] for t in d]
assert got == ['cities.stages.list', 'cities.stages.report', 'dapt.executor.local', 'dapt.log',
               'dapt.range'], got
" "--json with a glob"
expect_exit 1 "no match exits 1" "$DAPT" targets nothing_like_it
contains "$TMP/err" "no target matches \`nothing_like_it\`" "says nothing matched"
[ ! -s "$TMP/out" ] && ok "nothing on stdout" || not_ok "nothing on stdout"
expect_exit 1 "no match with --json" "$DAPT" targets --json 'zz*'
json "$TMP/out" "assert d == []" "an empty array"
expect_exit 2 "two patterns" "$DAPT" targets a b
expect_exit 2 "unknown option" "$DAPT" targets --frob
expect_exit 0 "help targets" "$DAPT" help targets
contains "$TMP/out" "usage: dapt targets [PATTERN] [--json]" "usage"

# --- private plugins: broken ones have no targets; escaping ---------------
pp="$TMP/pp"
mkdir -p "$pp"
cp "$fixtures/good.so" "$fixtures/ctor_segv.so" "$pp/"
CC=${CC:-cc}
cat >"$TMP/weird.c" <<'C'
#include <dapt/plugin.h>
static json_t *f(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    (void)ctx; (void)args; (void)kwargs;
    return json_null();
}
static const dapt_param params[] = {
    DAPT_PARAM("list", "array", DAPT_OPTIONAL, "[1, {\"a\": [null, true]}, \"x\"]", "nested"),
    DAPT_PARAM("obj", "object", DAPT_OPTIONAL, "{}", "empty object"),
    DAPT_PARAM("esc", "string", DAPT_OPTIONAL, "\"tab\\there \\u00e9\"", "escapes"),
    DAPT_PARAM("num", "number", DAPT_OPTIONAL, "-1.5e3", "a number"),
    DAPT_PARAM("big", "integer", DAPT_OPTIONAL, "9007199254740993", "a big integer"),
    DAPT_PARAM("utf", "string", DAPT_OPTIONAL, "\"h\xc3\xa9llo\"", "UTF-8 in a default"),
    DAPT_PARAM("none", "any", DAPT_REQUIRED, NULL, ""),
    DAPT_PARAM_END,
};
static const dapt_target targets[] = {
    {.path = "quotes", .fn = f, .params = params,
     .doc = "say \"hi\" \\ back\tslash\nline two\r\x01\x1f\x7f caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
     .returns = "</script> & more"},
    {.path = "latin1", .fn = f, .doc = "caf\xe9 na\xefve", .returns = "\xff\xfe"},
    {.path = "empty", .fn = f},
    DAPT_TARGET_END,
};
DAPT_PLUGIN(.name = "weird", .version = "1", .targets = targets);
C
if command -v "$CC" >/dev/null 2>&1 &&
    "$CC" -shared -fPIC -o "$pp/weird.so" -I"$top_srcdir/include" $(pkg-config --cflags jansson 2>/dev/null) \
        "$TMP/weird.c" $(pkg-config --libs jansson 2>/dev/null) 2>"$TMP/cc"; then
    ok "a plugin with strange strings compiles"
else
    not_ok "a plugin with strange strings compiles"; sed 's/^/# /' "$TMP/cc" | head
fi
chmod -R go-w "$pp"
DAPT_PLUGIN_PATH="$pp"
export DAPT_PLUGIN_PATH

expect_exit 0 "targets with broken plugins" "$DAPT" targets
grep -q '^ctor_segv' "$TMP/out" && not_ok "a broken plugin has no targets" || ok "a broken plugin has no targets"
grep -q '^good.math.add ' "$TMP/out" && ok "a private plugin's targets listed" || not_ok "a private plugin's targets listed"
grep -q '^weird.quotes ' "$TMP/out" && ok "the strange plugin loaded" || { not_ok "the strange plugin loaded"; "$DAPT" plugins show weird | sed 's/^/# /'; }

expect_exit 0 "targets --json with strange strings" "$DAPT" targets --json
cp "$TMP/out" "$TMP/targets.json"
"$DAPT" plugins list --json >"$TMP/plugins.json"
same_as_library "--json equals the library's, escapes and defaults included"
json "$TMP/targets.json" "
by = {t['target']: t for t in d}
q = by['weird.quotes']
assert q['doc'] == 'say \"hi\" \\\\ back\tslash\nline two\r\x01\x1f\x7f caf\u00e9 \u2713 \U0001F600', repr(q['doc'])
assert q['returns'] == '</script> & more'
p = {x['name']: x for x in q['params']}
assert p['list']['default'] == [1, {'a': [None, True]}, 'x'], p['list']
assert p['obj']['default'] == {} and p['esc']['default'] == 'tab\there \u00e9'
assert p['num']['default'] == -1500.0 and p['big']['default'] == 9007199254740993
assert p['utf']['default'] == 'h\u00e9llo' and p['none']['default'] is None
assert p['none']['required'] is True and p['none']['doc'] == ''
l = by['weird.latin1']
assert l['doc'] == 'caf? na?ve' and l['returns'] == '??', (l['doc'], l['returns'])
e = by['weird.empty']
assert e['doc'] == '' and e['returns'] == '' and e['params'] == []
" "strings escaped, bad UTF-8 as '?', defaults as JSON values"
json "$TMP/targets.json" "
raw = open(sys.argv[1], encoding='utf-8').read()
# jansson writes hex digits in capitals; a simple default is copied as written
raw = raw.replace('\\\\u001F', '\\\\u001f').replace('-1.5e3', '-1500.0')
assert json.dumps(d, indent=2, ensure_ascii=False) + '\n' == raw
" "laid out as jansson's JSON_INDENT(2)"

done_testing
