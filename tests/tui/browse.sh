#!/bin/sh
# The studio's browsing views: the workflows list (validation, a bad file's
# first error), the plugins list, one plugin's targets, a target's detail
# (gst-inspect as a screen), the fuzzy `/` filter and the kind filter, a
# bundled workflow opened as a copy, and themes switched live (a user
# theme with a typo is refused and named where it is wrong).
. "$top_srcdir/tests/tui/lib.sh"

# Golden screens show the plugin paths, and a description naming the
# workspace (cut where its length puts the edge).  The system plugins are
# reached through a short link, so that a long build folder (make
# distcheck's) does not wrap their paths on screen.
ln -s "$top_builddir/plugins/uninstalled" "$TMP/sys"
DAPT_PLUGIN_SYSTEM_PATH=$TMP/sys
export DAPT_PLUGIN_SYSTEM_PATH
TUI_NORMALIZE="s|$TMP/sys|SYS|g
s|$TMP/p1|P1|g
s|the C files of .*|the C files of ...|"

tui_workspace
# A workflow with a typo in a target: the list says so, and where.
cat >"$WS/workflows/broken.yaml" <<'EOF'
kind: workflow
metadata:
  name: broken
spec:
  stages:
    - name: a
      target: dapt.eho
EOF
# Plugins in every state: good.so on DAPT_PLUGIN_PATH, a second good.so
# in the workspace (shadowed by the first), and one with no descriptor.
fixtures=$top_builddir/tests/plugins/.libs
mkdir -p "$TMP/p1" "$WS/.dapt/plugins"
cp "$fixtures/good.so" "$TMP/p1/"
cp "$fixtures/good.so" "$fixtures/nosymbol.so" "$WS/.dapt/plugins/"
DAPT_PLUGIN_PATH=$TMP/p1
export DAPT_PLUGIN_PATH
# The bundled forecast.yaml is taken in the workspace: its copy gets
# another name.
cp "$top_builddir/plugins/uninstalled/cities/workflows/forecast.yaml" "$WS/workflows/"
tui_start

# --- workflows -------------------------------------------------------
tui_expect "workflows: the start view" "7 workflows, 1 with errors"
tui_expect "workflows: a valid one" "hello.yaml        hello        ok               2  never run"
tui_expect "workflows: the bad one" "broken.yaml       broken       1 error          1  never run"
tui_expect "workflows: the selected file's first error" \
    "workflows/broken.yaml:7:15: plugin \`dapt\` has no target \`eho\`"
tui_keys Down Down Down
tui_expect "workflows: the description of a valid one" \
    "workflows/hello.yaml: Say hello, wait half a second, and hand the greeting on."
tui_keys '/'
tui_type 'wcou'
tui_expect "workflows: / filters" "/wcou  1 of 7 workflows"
tui_expect_gone "workflows: the filter hides the rest" "etl.yaml"
tui_keys Escape
tui_expect "workflows: Esc clears the filter" "etl.yaml"

# --- plugins ---------------------------------------------------------
tui_keys 2
tui_expect "2 opens the plugins" "workflows › plugins"
tui_expect "plugins: counted" "6 plugins, 1 broken"
tui_expect "plugins: good" "good          1.2.3    ok              3"
tui_expect "plugins: shadowed" "good          -        shadowed        -"
tui_expect "plugins: broken" "nosymbol      -        broken          -"
tui_expect "plugins: cities" "cities        0.1.0    ok              6"
tui_expect "plugins: dapt" "dapt          0.1.0    ok             16"
tui_expect "plugins: user modules" "user_modules  -        ok              3"
tui_expect "plugins: the selected one's path" "$TMP/p1/good.so"
tui_golden browse-plugins
tui_keys Down
tui_expect "plugins: what shadows it" "shadowed by $TMP/p1/good.so"
tui_keys Down
tui_expect "plugins: why it is broken" \
    "broken: no dapt plugin descriptor (symbol dapt_plugin_describe)"
tui_keys Enter
tui_expect "plugins: Enter on a broken one says why" "nosymbol is broken: no dapt plugin descriptor"
tui_keys '/'
tui_type 'dapt'
tui_keys Enter
tui_expect "plugins: / filters" "/dapt  1 of 6 plugins"

# Enter on dapt: its targets, in the plugin's order.
tui_keys Enter
tui_expect "plugin: its targets" "workflows › plugins › dapt targets"
tui_expect "targets: kind all" "kind: all  16 targets"
tui_expect "targets: a short signature" "(a: number, b: number) -> number: a + b"
tui_expect "targets: optional parameters and defaults" "(*args, seconds?: number = 1, value?: any = null)"

# A fuzzy filter: "dsq" is d(apt.)s(q)uare only.
tui_keys '/'
tui_type 'dsq'
tui_expect "targets: / filters fuzzily" "/dsq  kind: all  1 of 16 targets"
tui_expect_gone "targets: the others are hidden" "dapt.echo"
tui_keys Enter Enter
tui_expect "target detail: opened" "dapt targets › dapt.square"
tui_expect "target detail: the plugin" "Plugin     dapt 0.1.0"
tui_expect "target detail: the signature" "Signature  dapt.square(x: number) -> number: x * x"
tui_expect "target detail: the parameters table" "NAME  TYPE    DEFAULT   DOC"
tui_expect "target detail: a parameter" "x     number  required"
tui_expect "target detail: what it returns" "number: x * x"
tui_keys Escape
tui_expect "Esc: back to the filtered targets" "/dsq  kind: all  1 of 16 targets"
tui_keys Escape Escape
tui_expect_gone "Esc Esc: back to the workflows" "› plugins"

# --- all targets, by kind ----------------------------------------------
tui_keys 3
tui_expect "3 opens every target" "kind: all  28 targets"
tui_keys K
tui_expect "K: stages only" "kind: stage  26 targets"
tui_expect_gone "K: no executor" "dapt.executor.local"
tui_keys K
tui_expect "K: executors only" "kind: executor  1 target"
tui_expect "K: the executor" "dapt.executor.local"
tui_keys K
tui_expect "K: actions only" "kind: action  1 target"
tui_expect "K: the action" "dapt.append_event"
tui_keys K
tui_expect "K: all again" "kind: all  28 targets"

# A target with bundled workflows, at 80x24.
tui_resize 80 24
tui_keys '/'
tui_type 'weather'
tui_keys Enter
tui_expect "targets: filtered to weather" "1 of 28 targets"
tui_keys Enter
tui_expect "target detail: cities' weather" "cities.stages.weather  [stage]"
tui_expect "target detail: bundled workflows" "Bundled workflows of cities (2)"
tui_expect "target detail: forecast.yaml" "forecast.yaml"
tui_golden browse-target
tui_keys PgDn
tui_expect "target detail: scrolls" "Parameters"
tui_expect "target detail: a default" "days   integer        14            How many days of hours (1 to 3660)."
tui_resize 100 30

# --- themes ------------------------------------------------------------
tui_keys ':'
tui_type 'theme light'
tui_keys Enter
tui_expect "theme light: switched" "theme light"
tui_expect "theme light: the view still draws" "Bundled workflows of cities (2)"
tui_keys ':'
tui_type 'theme'
tui_keys Enter
tui_expect "theme light: the current theme" "theme: light"
mkdir -p "$XDG_CONFIG_HOME/dapt/themes"
printf 'name: typo\nslots:\n  error: {fg: bleu}\n' >"$XDG_CONFIG_HOME/dapt/themes/typo.yaml"
tui_keys ':'
tui_type 'theme typo'
tui_keys Enter
tui_expect "a bad user theme: where and what" \
    "~/.config/dapt/themes/typo.yaml:3:15: unknown colour \`bleu\` (did you mean \`blue\`?)"
tui_keys ':'
tui_type 'theme'
tui_keys Enter
tui_expect "a bad user theme: the current one is kept" "theme: light"
rm -f "$XDG_CONFIG_HOME/dapt/themes/typo.yaml"

# --- a bundled workflow as a copy --------------------------------------
# forecast.yaml is taken in the workspace: the copy is forecast-copy.yaml,
# not written until saved.
tui_keys Tab Enter
tui_expect "copy: opened in the editor" "workflows/forecast-copy.yaml"
tui_expect "copy: says what it is" "copy of cities/forecast.yaml"
tui_expect "copy: the bundled text" "name: forecast"
if [ -e "$WS/workflows/forecast-copy.yaml" ]; then
    not_ok "copy: nothing written before a save"
else
    ok "copy: nothing written before a save"
fi

tui_stop
done_testing
