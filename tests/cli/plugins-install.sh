#!/bin/sh
# plugins-install.sh - `dapt plugins install SRC[@REF]` from a folder, a
# local repository and a file:// URL at a tag, branch or commit, with make,
# autotools and CMake projects; build failures with their log; `dapt
# plugins uninstall` of the user's plugins only.
. "$top_srcdir/tests/cli/lib.sh"

# A private user plugin folder, so the test sees only what it installed.
XDG_DATA_HOME="$TMP/data"
export XDG_DATA_HOME
PKG_CONFIG_PATH="$top_builddir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
userdir="$XDG_DATA_HOME/dapt/plugins"
# Debian's libgit2 leaks pcre2 match data on every clone (not dapt's
# memory): sanitizer builds suppress exactly that.
printf 'leak:libpcre2-8.so\n' >"$TMP/lsan.supp"
LSAN_OPTIONS="suppressions=$TMP/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

# The plugin project: one stage, a bundled workflow, a plain Makefile that
# uses pkg-config dapt and honours PLUGINDIR.
proj="$TMP/proj"
mkdir -p "$proj/workflows"
cat >"$proj/hello.c" <<'C'
#include <dapt/plugin.h>

static json_t *hi(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    return json_string("hi");
}

static const dapt_target targets[] = {
    {.path = "stages.hi", .kind = DAPT_TARGET_STAGE, .fn = hi, .doc = "Say hi."},
    DAPT_TARGET_END,
};

DAPT_PLUGIN(.name = "hello", .version = "1.0.0", .description = "Says hi",
            .targets = targets);
C
cat >"$proj/workflows/hi.yaml" <<'YAML'
name: hi
stages:
  - {name: hi, target: hello.stages.hi}
YAML
cat >"$proj/Makefile" <<'MAKE'
PLUGINDIR ?= $(or $(XDG_DATA_HOME),$(HOME)/.local/share)/dapt/plugins
CFLAGS ?= -O2
CFLAGS += -fPIC -Wall $(shell pkg-config --cflags dapt)
LDLIBS += $(shell pkg-config --libs jansson)

all: hello.so

hello.so: hello.c
	$(CC) $(CFLAGS) -shared -o $@ hello.c $(LDLIBS)

install: hello.so
	mkdir -p $(PLUGINDIR)/hello/workflows
	cp hello.so $(PLUGINDIR)/hello.so
	cp workflows/hi.yaml $(PLUGINDIR)/hello/workflows/

.PHONY: all install
MAKE

# --- from a folder -------------------------------------------------------
expect_exit 0 "install from a folder" "$DAPT" plugins install "$proj"
contains "$TMP/out" "installed hello 1.0.0 (1 target) into $userdir" "reports name, version, targets, folder"
[ -f "$userdir/hello.so" ] && ok "NAME.so in the user plugin folder" || not_ok "NAME.so in the user plugin folder"
[ -f "$userdir/hello/workflows/hi.yaml" ] && ok "data folder installed" || not_ok "data folder installed"
[ ! -e "$proj/hello.so" ] && ok "the source folder is left alone (built from a copy)" ||
    not_ok "the source folder is left alone (built from a copy)"
[ -f "$XDG_CACHE_HOME/dapt/install/proj.log" ] && ok "build log kept" || not_ok "build log kept"
expect_exit 0 "show a plugin installed from a folder" "$DAPT" plugins show hello
contains "$TMP/out" "source:      $proj (a folder)" "its source is the folder"
contains "$userdir/hello/.source.json" "\"installed_at\": \"" "the source file says when"

expect_exit 0 "installing again replaces it" "$DAPT" plugins install "$proj/"
contains "$TMP/out" "installed hello 1.0.0 (1 target)" "reinstall reported"

# --- uninstall -----------------------------------------------------------
expect_exit 0 "uninstall" "$DAPT" plugins uninstall hello
contains "$TMP/out" "uninstalled hello (removed $userdir/hello.so and $userdir/hello)" "says what it removed"
[ ! -e "$userdir/hello.so" ] && [ ! -e "$userdir/hello" ] && ok "files gone" || not_ok "files gone"
expect_exit 1 "uninstall again: nothing to remove" "$DAPT" plugins uninstall hello
contains "$TMP/err" "no plugin named \`hello\` is installed in $userdir" "unknown plugin named"

# --- usage ---------------------------------------------------------------
expect_exit 2 "install without a source is a usage error" "$DAPT" plugins install
contains "$TMP/err" "usage: dapt plugins install SRC[@REF]" "install usage shown"
expect_exit 2 "install with an unknown option" "$DAPT" plugins install --frobnicate "$proj"
expect_exit 2 "uninstall without a name is a usage error" "$DAPT" plugins uninstall
contains "$TMP/err" "usage: dapt plugins uninstall NAME" "uninstall usage shown"
expect_exit 1 "uninstall of a malformed name" "$DAPT" plugins uninstall ../../etc
contains "$TMP/err" "is not a plugin name" "malformed name refused"

# --- sources that cannot be used -----------------------------------------
expect_exit 1 "a missing folder" "$DAPT" plugins install "$TMP/nowhere"
contains "$TMP/err" "$TMP/nowhere is not a folder, nor a git URL" "missing folder explained"
mkdir "$TMP/empty"
expect_exit 1 "a folder with no build system" "$DAPT" plugins install "$TMP/empty"
contains "$TMP/err" "no build system in $TMP/empty" "no build system explained"
expect_exit 1 "an unreachable URL fails clearly" "$DAPT" plugins install "https://127.0.0.1:9/hello.git"
contains "$TMP/err" "cannot clone https://127.0.0.1:9/hello.git" "clone failure names the URL"

# A compile error: the compiler's message with its position, and the log.
cp -R "$proj" "$TMP/badproj"
sed 's/return json_string("hi");/return json_string("hi")/' "$proj/hello.c" >"$TMP/badproj/hello.c"
expect_exit 1 "a build that fails exits 1" "$DAPT" plugins install "$TMP/badproj"
contains "$TMP/err" "the build failed: \`make\` exited with status 2" "the failed step"
contains "$TMP/err" "hello.c:5:29: error: expected" "the compiler's message, with line"
contains "$TMP/err" "The whole log: $XDG_CACHE_HOME/dapt/install/badproj.log" "the log's path"
grep -q "hello.c:5:29: error: expected" "$XDG_CACHE_HOME/dapt/install/badproj.log" && ok "the log holds the error" ||
    not_ok "the log holds the error"
[ ! -e "$userdir/hello.so" ] && ok "nothing installed" || not_ok "nothing installed"

# A build whose install rule installs nothing.
cp -R "$proj" "$TMP/lazy"
printf 'all:\ninstall:\n\t@echo nothing to do\n' >"$TMP/lazy/Makefile"
expect_exit 1 "an install rule that installs nothing" "$DAPT" plugins install "$TMP/lazy"
contains "$TMP/err" "the build succeeded but installed no plugin into $userdir" "nothing installed explained"

# An install that puts something unusable in place: said, with the fix.
mkdir "$TMP/junk"
printf 'all:\ninstall:\n\tmkdir -p $(PLUGINDIR)\n\techo junk >$(PLUGINDIR)/junk.so\n' >"$TMP/junk/Makefile"
expect_exit 1 "an installed plugin that cannot load" "$DAPT" plugins install "$TMP/junk"
contains "$TMP/err" "installed $userdir/junk.so, but it cannot be used:" "broken plugin reported"
contains "$TMP/err" "dapt plugins uninstall junk" "with how to remove it"
expect_exit 0 "a broken plugin can be uninstalled" "$DAPT" plugins uninstall junk
[ ! -e "$userdir/junk.so" ] && ok "junk.so removed" || not_ok "junk.so removed"

# --- git: a repository with two versions ---------------------------------
if command -v git >/dev/null 2>&1; then
    repo="$TMP/repo"
    cp -R "$proj" "$repo"
    g() { git -C "$repo" -c user.name=test -c user.email=test@example.invalid "$@" >/dev/null 2>&1; }
    g init -q -b main && g add -A && g commit -q -m v1 && g tag v1
    v1=$(git -C "$repo" rev-parse HEAD)
    sed 's/"1.0.0"/"2.0.0"/' "$proj/hello.c" >"$repo/hello.c"
    g commit -q -a -m v2

    expect_exit 0 "install from a local repository (its working tree)" "$DAPT" plugins install "$repo"
    contains "$TMP/out" "installed hello 2.0.0 (1 target)" "working tree version"
    expect_exit 0 "install a local repository at a tag" "$DAPT" plugins install "$repo@v1"
    contains "$TMP/out" "installed hello 1.0.0 (1 target)" "tag v1 checked out"
    contains "$TMP/err" "cloning $repo at v1" "cloned, not copied"
    expect_exit 0 "install from a file:// URL at a tag" "$DAPT" plugins install "file://$repo@v1"
    contains "$TMP/out" "installed hello 1.0.0 (1 target)" "file:// at v1 gives v1"
    expect_exit 0 "install from a file:// URL at a branch" "$DAPT" plugins install "file://$repo@main"
    contains "$TMP/out" "installed hello 2.0.0 (1 target)" "branch main gives v2"
    expect_exit 0 "install from a file:// URL at a commit" "$DAPT" plugins install "file://$repo@$v1"
    contains "$TMP/out" "installed hello 1.0.0 (1 target)" "commit of v1 gives v1"
    expect_exit 0 "show a plugin installed from git" "$DAPT" plugins show hello
    contains "$TMP/out" "source:      file://$repo @ $v1 (ref $v1)" "source URL and commit shown"
    expect_exit 0 "show --json a plugin installed from git" "$DAPT" plugins show hello --json
    contains "$TMP/out" "\"url\": \"file://$repo\"" "--json: source url"
    contains "$TMP/out" "\"commit\": \"$v1\"" "--json: source commit"
    expect_exit 0 "install from a file:// URL, default branch" "$DAPT" plugins install "file://$repo"
    contains "$TMP/out" "installed hello 2.0.0 (1 target)" "default branch gives v2"
    v2=$(git -C "$repo" rev-parse HEAD)
    "$DAPT" plugins show hello >"$TMP/out" 2>&1
    contains "$TMP/out" "source:      file://$repo @ $v2" "source: the default branch's commit"
    bare="$TMP/bare.git"
    git clone -q --bare "$repo" "$bare" >/dev/null 2>&1
    expect_exit 0 "install from a bare repository over file:// at a tag" "$DAPT" plugins install "file://$bare@v1"
    contains "$TMP/out" "installed hello 1.0.0 (1 target)" "bare repository at v1 gives v1"
    "$DAPT" plugins show hello >"$TMP/out" 2>&1
    contains "$TMP/out" "source:      file://$bare @ $v1 (ref v1)" "source: the bare repository at v1"
    expect_exit 1 "an unknown ref" "$DAPT" plugins install "file://$repo@nope"
    contains "$TMP/err" "file://$repo has no branch, tag or commit \`nope\`" "unknown ref explained"
    expect_exit 1 "an empty ref" "$DAPT" plugins install "file://$repo@"
    contains "$TMP/err" "nothing after '@'" "empty ref explained"
else
    ok "# SKIP git not found"
fi

# --- the user's plugins only ---------------------------------------------
expect_exit 1 "uninstall suggests the closest name" "$DAPT" plugins uninstall helo
contains "$TMP/err" "(did you mean \`hello\`?)" "suggestion given"

mkdir -p "$TMP/ext"
mv "$userdir/hello.so" "$TMP/ext/hello.so"
rm -rf "$userdir/hello"
expect_exit 1 "uninstall refuses a plugin of DAPT_PLUGIN_PATH" env DAPT_PLUGIN_PATH="$TMP/ext" "$DAPT" plugins uninstall hello
contains "$TMP/err" "hello is not in your plugin folder $userdir: it lives in $TMP/ext/hello.so (a folder of \$DAPT_PLUGIN_PATH)" "says where it lives and why"
[ -f "$TMP/ext/hello.so" ] && ok "left in place" || not_ok "left in place"

# A copy in the user folder shadows the other: uninstall removes the
# user's and says the other remains.
"$DAPT" plugins install "$proj" >/dev/null 2>&1
expect_exit 0 "uninstall the user's copy of a shadowing plugin" env DAPT_PLUGIN_PATH="$TMP/ext" "$DAPT" plugins uninstall hello
contains "$TMP/out" "hello is still available from $TMP/ext/hello.so" "the remaining one named"

# --- a project from `dapt plugins new` installs as it is ------------------
expect_exit 0 "plugins new writes a project" "$DAPT" plugins new greeter "$TMP/greeter"
expect_exit 0 "install the new project" "$DAPT" plugins install "$TMP/greeter"
contains "$TMP/out" "installed greeter " "the template's plugin installed"
[ -d "$userdir/greeter/workflows" ] && ok "with its bundled workflows" || not_ok "with its bundled workflows"

# --- other build systems -------------------------------------------------
if command -v cmake >/dev/null 2>&1; then
    cm="$TMP/cmakeproj"
    mkdir -p "$cm"
    sed 's/"hello"/"hello_cmake"/; s/"1.0.0"/"3.0.0"/' "$proj/hello.c" >"$cm/hello.c"
    cat >"$cm/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.13)
project(hello_cmake C)
find_package(PkgConfig REQUIRED)
pkg_check_modules(DAPT REQUIRED dapt)
pkg_check_modules(JANSSON REQUIRED jansson)
set(DAPT_PLUGINDIR "" CACHE PATH "where to install the plugin")
add_library(hello_cmake MODULE hello.c)
set_target_properties(hello_cmake PROPERTIES PREFIX "")
target_include_directories(hello_cmake PRIVATE ${DAPT_INCLUDE_DIRS})
target_link_libraries(hello_cmake ${JANSSON_LINK_LIBRARIES})
install(TARGETS hello_cmake DESTINATION ${DAPT_PLUGINDIR})
CMAKE
    expect_exit 0 "install a CMake project" "$DAPT" plugins install "$cm"
    contains "$TMP/out" "installed hello_cmake 3.0.0 (1 target) into $userdir" "CMake project installed"
else
    ok "# SKIP cmake not found"
fi

if command -v autoreconf >/dev/null 2>&1; then
    at="$TMP/autoproj"
    mkdir -p "$at"
    sed 's/"hello"/"hello_auto"/; s/"1.0.0"/"4.0.0"/' "$proj/hello.c" >"$at/hello.c"
    cat >"$at/configure.ac" <<'AC'
AC_INIT([hello_auto], [4.0.0])
AM_INIT_AUTOMAKE([foreign])
AC_PROG_CC
PKG_CHECK_MODULES([DAPT], [dapt])
PKG_CHECK_MODULES([JANSSON], [jansson])
AC_ARG_WITH([plugindir], [AS_HELP_STRING([--with-plugindir=DIR], [plugin folder])],
  [plugindir=$withval], [plugindir='${datadir}/dapt/plugins'])
AC_SUBST([plugindir])
AC_CONFIG_FILES([Makefile])
AC_OUTPUT
AC
    cat >"$at/Makefile.am" <<'AM'
plugin_DATA = hello_auto.so
hello_auto.so: hello.c
	$(CC) $(CFLAGS) $(DAPT_CFLAGS) -fPIC -shared -o $@ $(srcdir)/hello.c $(JANSSON_LIBS)
CLEANFILES = hello_auto.so
EXTRA_DIST = hello.c
AM
    expect_exit 0 "install an autotools project" "$DAPT" plugins install "$at"
    contains "$TMP/out" "installed hello_auto 4.0.0 (1 target) into $userdir" "autotools project installed"
else
    ok "# SKIP autoreconf not found"
fi

done_testing
