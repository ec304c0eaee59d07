#!/bin/sh
# plugins-new.sh - `dapt plugins new NAME [DIR]`: the project it writes
# builds with -Wall -Wextra -Werror against this build tree (through
# PKG_CONFIG_PATH and dapt-uninstalled.pc), its own test passes, `make
# install` puts NAME.so and its data folder into a private user plugin
# folder where dapt finds it, and `make uninstall` and `make clean` undo
# their part; bad names and unusable folders fail with clear messages.
. "$top_srcdir/tests/cli/lib.sh"

XDG_DATA_HOME="$TMP/xdg"
XDG_CACHE_HOME="$TMP/cache"
export XDG_DATA_HOME XDG_CACHE_HOME
PKG_CONFIG_PATH="$top_builddir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
userdir="$XDG_DATA_HOME/dapt/plugins"
proj="$TMP/proj"
MAKE=${MAKE:-make}
# the generated project is not part of this build: no sanitizer flags
unset CFLAGS LDFLAGS CPPFLAGS MAKEFLAGS MFLAGS 2>/dev/null || true

# exists DESCRIPTION PATH...: every PATH is there
exists() {
    d=$1; shift
    for p in "$@"; do
        if [ ! -e "$p" ]; then not_ok "$d ($p missing)"; return; fi
    done
    ok "$d"
}

# --- the project ------------------------------------------------------------

expect_exit 0 "new writes a project" "$DAPT" plugins new hello_x "$proj"
contains "$TMP/out" "created the plugin project \`hello_x\` in $proj:" "says what it made"
contains "$TMP/out" "make check" "says what to do next"
exists "every file of the template" "$proj/Makefile" "$proj/README.md" "$proj/hello_x.c" \
    "$proj/tests/test_hello_x.c" "$proj/hello_x/workflows/hello.yaml" "$proj/.gitignore"
if grep -r -l '@NAME@' "$proj" >"$TMP/left"; then
    not_ok "no placeholder left"; sed 's/^/# /' "$TMP/left"
else ok "no placeholder left"; fi
contains "$proj/hello_x.c" 'DAPT_PLUGIN(.name = "hello_x"' "the descriptor names the plugin"
contains "$proj/hello_x/workflows/hello.yaml" "target: hello_x.stages.hello" "the workflow names the stage"
check "no temporary folder left" sh -c "! ls -d '$TMP'/*.new-* 2>/dev/null"

strict="-O2 -Wall -Wextra -Werror"
expect_exit 0 "make builds it (-Wall -Wextra -Werror)" $MAKE -C "$proj" CFLAGS="$strict"
exists "hello_x.so built" "$proj/hello_x.so"
if command -v nm >/dev/null 2>&1; then
    nm -D --defined-only "$proj/hello_x.so" | awk '$2 == "T" { print $3 }' >"$TMP/syms"
    check "it exports only the descriptor" test "$(cat "$TMP/syms")" = dapt_plugin_describe
    nm -D --undefined-only "$proj/hello_x.so" | grep -v -e '@' -e ' w ' >"$TMP/undef" || true
    if grep -q 'dapt_' "$TMP/undef"; then not_ok "it needs no dapt symbol"; else ok "it needs no dapt symbol"; fi
else
    ok "it exports only the descriptor # SKIP no nm"
    ok "it needs no dapt symbol # SKIP no nm"
fi

expect_exit 0 "make check passes" $MAKE -C "$proj" check CFLAGS="$strict"
contains "$TMP/out" "test_hello" "make check ran the stage's test"
exists "the test program built" "$proj/tests/test_hello_x"

expect_exit 0 "dapt validates the bundled workflow with the plugin on its path" \
    env DAPT_PLUGIN_PATH="$proj" "$DAPT" validate "$proj/hello_x/workflows/hello.yaml"

expect_exit 0 "make install" $MAKE -C "$proj" install
exists "NAME.so in the user plugin folder" "$userdir/hello_x.so"
exists "the data folder beside it" "$userdir/hello_x/workflows/hello.yaml"
perm=$(ls -l "$userdir/hello_x.so" | cut -c6,9)
check "installed not writable by group or others" test "$perm" = "--"
expect_exit 0 "dapt finds the installed plugin" "$DAPT" targets --json
contains "$TMP/out" '"hello_x.stages.hello"' "its stage is a target"

expect_exit 0 "make uninstall" $MAKE -C "$proj" uninstall
check "the plugin and its data folder are gone" \
    sh -c "[ ! -e '$userdir/hello_x.so' ] && [ ! -e '$userdir/hello_x' ]"
expect_exit 0 "make clean" $MAKE -C "$proj" clean
check "clean removes what the build made" \
    sh -c "[ ! -e '$proj/hello_x.so' ] && [ ! -e '$proj/tests/test_hello_x' ]"

# Without dapt for pkg-config, the build says what to do.
expect_exit 2 "make without pkg-config dapt fails" \
    env PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$TMP/nowhere" $MAKE -C "$proj"
contains "$TMP/err" "hello_x: pkg-config cannot find dapt: install dapt, or build against a dapt" \
    "and says why"
contains "$TMP/err" "PKG_CONFIG_PATH=/path/to/dapt/build make" "and how to fix it"

# --- where it goes ----------------------------------------------------------

(cd "$TMP" && "$DAPT" plugins new greeter >"$TMP/out" 2>"$TMP/err")
check "DIR defaults to ./NAME" test -f "$TMP/greeter/greeter.c"
expect_exit 0 "missing parent folders are made" "$DAPT" plugins new nest "$TMP/a/b/nest/"
exists "nested project" "$TMP/a/b/nest/nest.c" "$TMP/a/b/nest/nest/workflows/hello.yaml"
mkdir "$TMP/empty"
expect_exit 0 "an existing empty folder is filled" "$DAPT" plugins new filled "$TMP/empty"
exists "filled in place" "$TMP/empty/filled.c"

expect_exit 1 "a non-empty folder is refused" "$DAPT" plugins new other "$proj"
contains "$TMP/err" "dapt: $proj already exists and is not empty: choose another DIR, or remove it first" \
    "refusal says why"
check "and left alone" sh -c "[ ! -e '$proj/other.c' ] && [ -f '$proj/hello_x.c' ]"
: >"$TMP/afile"
expect_exit 1 "a file as DIR is refused" "$DAPT" plugins new other "$TMP/afile"
contains "$TMP/err" "dapt: $TMP/afile exists and is not a folder: choose another DIR" "file refusal says why"

# --- names ------------------------------------------------------------------

expect_exit 2 "a bad name is a usage error" "$DAPT" plugins new My-Plugin "$TMP/bad1"
contains "$TMP/err" "dapt: \`My-Plugin\` is not a valid plugin name: use at most 64 lower-case letters, digits and _, not starting with a digit (e.g. \`my_plugin\`)" \
    "bad name explained, with a valid one"
contains "$TMP/err" "usage: dapt plugins new NAME [DIR]" "usage shown"
check "nothing written for a bad name" test ! -e "$TMP/bad1"
expect_exit 2 "a name starting with a digit" "$DAPT" plugins new 9lives "$TMP/bad2"
contains "$TMP/err" "(e.g. \`p9lives\`)" "digit: suggestion"
expect_exit 2 "a dotted name" "$DAPT" plugins new a.b "$TMP/bad3"
long=$(printf 'x%.0s' $(seq 1 65))
expect_exit 2 "a name too long" "$DAPT" plugins new "$long" "$TMP/bad4"
expect_exit 1 "the builtin plugin's name is refused" "$DAPT" plugins new dapt "$TMP/bad5"
contains "$TMP/err" "dapt: \`dapt\` is the name of dapt's builtin plugin: choose another name" \
    "reserved name explained"
expect_exit 1 "user_modules is refused" "$DAPT" plugins new user_modules "$TMP/bad6"
check "nothing written for refused names" sh -c "[ ! -e '$TMP/bad5' ] && [ ! -e '$TMP/bad6' ]"

# --- usage ------------------------------------------------------------------

expect_exit 2 "no NAME" "$DAPT" plugins new
contains "$TMP/err" "dapt: plugins new needs the NAME of the plugin" "missing NAME said"
expect_exit 2 "too many arguments" "$DAPT" plugins new a b c
contains "$TMP/err" "dapt: unexpected argument c" "extra argument named"
expect_exit 2 "unknown option" "$DAPT" plugins new --force x
expect_exit 0 "--help" "$DAPT" plugins new --help
contains "$TMP/out" "dapt plugins new NAME [DIR]" "help shows the usage"

done_testing
