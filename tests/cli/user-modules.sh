#!/bin/sh
# user-modules.sh - user_modules/FILE.c in a workspace: compiled on demand,
# listed as the plugin `user_modules` with targets user_modules.FILE.PATH,
# compile errors shown at FILE:LINE:COL, the cache reused until a change.
. "$top_srcdir/tests/cli/lib.sh"

# A private cache: what is compiled here is seen nowhere else.
XDG_CACHE_HOME="$TMP/cache"
export XDG_CACHE_HOME
objects="$XDG_CACHE_HOME/dapt/user_modules"

ws="$TMP/ws"
mkdir -p "$ws/user_modules"
cp "$top_srcdir/examples/user_modules/textutil.c" "$ws/user_modules/"

cd "$ws" || exit 1
expect_exit 0 "targets of a user module" "$DAPT" targets user_modules
contains "$TMP/out" "user_modules.textutil.words" "FILE.PATH target listed"
contains "$TMP/out" "user_modules.textutil.count" "every target listed"
n=$(ls "$objects" | grep -c '^textutil-[0-9a-f]*\.so$')
[ "$n" -eq 1 ] && ok "compiled once into the cache" || not_ok "compiled once into the cache ($n objects)"
first=$(ls "$objects")

expect_exit 0 "targets --json" "$DAPT" targets --json user_modules
contains "$TMP/out" '"target": "user_modules.textutil.upper"' "JSON names the full target"

# Unchanged: the same object, untouched.
before=$(ls -l --time-style=full-iso "$objects/$first")
"$DAPT" targets user_modules >/dev/null 2>&1
after=$(ls -l --time-style=full-iso "$objects/$first")
[ "$before" = "$after" ] && ok "not compiled again when unchanged" || not_ok "not compiled again when unchanged"

# Edited: compiled again, the old object replaced.
printf '/* edited */\n' >>user_modules/textutil.c
expect_exit 0 "targets after an edit" "$DAPT" targets user_modules
n=$(ls "$objects" | grep -c '^textutil-[0-9a-f]*\.so$')
second=$(ls "$objects")
[ "$n" -eq 1 ] && [ "$first" != "$second" ] && ok "recompiled after an edit, the old object removed" ||
    not_ok "recompiled after an edit ($first -> $second)"

# A compile error: shown with file and line; the good module still listed.
cat >user_modules/broken.c <<'C'
#include <dapt/plugin.h>
static json_t *f(dapt_ctx *c, json_t *a, json_t *k)
{
    int x = 1
    return json_integer(x);
}
static const dapt_target targets[] = {{.path = "f", .fn = f}, DAPT_TARGET_END};
DAPT_USER_MODULE(targets);
C
"$DAPT" targets user_modules >"$TMP/out" 2>"$TMP/err"
contains "$TMP/err" "user_modules/broken.c:5:5: error: expected ',' or ';' before 'return'" "compile error at FILE:LINE:COL"
contains "$TMP/out" "user_modules.textutil.words" "the other module still listed"
ls "$objects" | grep -q '^broken-' && not_ok "nothing cached for a failed compile" ||
    ok "nothing cached for a failed compile"

# Every module broken: the plugin is listed as broken, with the reason.
rm user_modules/textutil.c
expect_exit 0 "plugins list with only a broken module" "$DAPT" plugins list --json
contains "$TMP/out" "user_modules/broken.c:5:5: error:" "the broken plugin says where"

done_testing
