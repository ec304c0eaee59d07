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

# Trusted only as plugins are: not compiled from a folder others could
# write (or a folder above it), from a file others could write or own.
rm -f user_modules/broken.c
cp "$top_srcdir/examples/user_modules/textutil.c" user_modules/
chmod 755 user_modules
chmod 644 user_modules/textutil.c
expect_exit 0 "a trusted module" "$DAPT" targets user_modules
contains "$TMP/out" "user_modules.textutil.words" "a trusted module is listed"
rm -rf "$objects"
chmod o+w user_modules
"$DAPT" targets user_modules >"$TMP/out" 2>"$TMP/err"
contains "$TMP/err" "user_modules: error: not compiled: user_modules is writable by others: chmod go-w user_modules, or set DAPT_PLUGIN_INSECURE=1" "a world-writable user_modules/ is refused, with the fix"
[ -d "$objects" ] && ls "$objects" | grep -q . && not_ok "nothing compiled from a world-writable folder" ||
    ok "nothing compiled from a world-writable folder"
DAPT_PLUGIN_INSECURE=1 "$DAPT" targets user_modules >"$TMP/out" 2>&1
contains "$TMP/out" "user_modules.textutil.words" "DAPT_PLUGIN_INSECURE=1 accepts it"
chmod o-w user_modules
chmod g+w "$ws"
"$DAPT" targets user_modules >"$TMP/out" 2>"$TMP/err"
contains "$TMP/err" "the folder $ws above user_modules is writable by group: chmod go-w $ws" "a group-writable folder above user_modules/ is refused"
chmod g-w "$ws"
chmod 666 user_modules/textutil.c
"$DAPT" targets user_modules >"$TMP/out" 2>"$TMP/err"
contains "$TMP/err" "user_modules/textutil.c: error: not compiled: user_modules/textutil.c is writable by group and others: chmod go-w user_modules/textutil.c" "a 666 module is refused, with the fix"
if grep -q "user_modules.textutil.words" "$TMP/out"; then not_ok "a 666 module is not listed"; else ok "a 666 module is not listed"; fi
chmod 644 user_modules/textutil.c
printf '#define X 1\n' >user_modules/common.h
chmod 646 user_modules/common.h
"$DAPT" targets user_modules >"$TMP/out" 2>"$TMP/err"
contains "$TMP/err" "user_modules/common.h is writable by others" "a world-writable header is refused"
rm user_modules/common.h
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
    chown nobody user_modules/textutil.c
    "$DAPT" targets user_modules >"$TMP/out" 2>"$TMP/err"
    contains "$TMP/err" "user_modules/textutil.c is owned by user nobody" "a module owned by another user is refused"
    contains "$TMP/err" "chown root user_modules/textutil.c" "with the fix"
    chown 0 user_modules/textutil.c
else
    ok "# SKIP a module owned by another user: needs root"
    ok "# SKIP with the fix: needs root"
fi
# The compiled object in the cache is checked as a plugin file is.
expect_exit 0 "trusted again" "$DAPT" targets user_modules
contains "$TMP/out" "user_modules.textutil.words" "listed again once fixed"
chmod o+w "$objects"
"$DAPT" targets user_modules >"$TMP/out" 2>"$TMP/err"
contains "$TMP/err" "the folder $objects above" "a world-writable cache folder is refused"
chmod o-w "$objects"

done_testing
