#!/bin/sh
# The studio's frame: start on a workspace, the header, help, the `:`
# command line with completion, unknown commands, the too-small screen and
# resizing, a live theme switch, and quitting.
. "$top_srcdir/tests/tui/lib.sh"

# Without a terminal the studio says what to use instead.
expect_exit 2 "no terminal: exit 2" sh -c "\"$DAPT\" </dev/null >/dev/null"
contains "$TMP/err" "the studio needs a terminal" "no terminal: says why"
expect_exit 2 "unknown option" "$DAPT" --bogus
contains "$TMP/err" "unknown option --bogus" "unknown option: named"
expect_exit 2 "-C to a missing folder" "$DAPT" -C "$TMP/nope" validate x.yaml
contains "$TMP/err" "nope" "-C: names the folder"

tui_workspace
tui_start
tui_expect "header names the workspace" " dapt  ws "
tui_expect "header names the executor" "exec:local/processes/2"
tui_expect "header: no runs" "no runs in progress"
tui_expect "footer: the view's key hints" "Enter open  r run  n new"
tui_expect "starts on the workflows view" "workflows"

# ? lists the keys of the current view and the global ones, from the table.
tui_keys '?'
tui_expect "help: the view's keys" "Keys of the workflows view"
tui_expect "help: the run key" "Run the selected workflow"
tui_keys End
tui_expect "help: the commands, at the end" ":theme [ARG]"
tui_expect "help: crumbs" "workflows › help: workflows"
tui_keys '/'
tui_type 'mouse'
tui_expect "help: filtered" "Toggle the mouse"
tui_expect_gone "help: filter hides the rest" "Run the selected workflow"
tui_keys Escape Home
tui_expect "help: filter cleared by Esc" "Run the selected workflow"
tui_keys Escape
tui_expect_gone "Esc leaves help" "Keys of the workflows view"

# The command line: Tab completes commands and their arguments.
tui_keys ':'
tui_type 'the'
tui_keys Tab
tui_expect "Tab completes a command" ":theme"
tui_keys ' ' Tab
tui_expect "Tab lists the themes" "high-contrast"
tui_keys C-u
tui_type 'theme light'
tui_keys Enter
tui_expect "theme switched live" "theme light"
tui_keys ':'
tui_type 'theme nosuch'
tui_keys Enter
tui_expect "unknown theme: an error" "nosuch"
tui_keys ':'
tui_type 'plugns'
tui_keys Enter
tui_expect "unknown command: did you mean" "no command \`:plugns\` (did you mean \`:plugins\`?)"
tui_keys ':'
tui_type 'plugins'
tui_keys Enter
tui_expect "a command opens a view (crumbs)" "workflows › plugins"
tui_keys ':' Up
tui_expect "command history: Up recalls the last command" ":plugins"
tui_keys Escape
tui_keys Escape
tui_expect_gone "Esc goes back" "workflows › plugins"

# Views by number keep one stack: 4 then 1 comes back to the root.
tui_keys 4
tui_expect "4 opens the runs view" "workflows › runs"
tui_keys 1
tui_expect_gone "1 goes back to the workflows view" "› runs"

# Resize below 80x24, then back.
tui_resize 60 20
tui_expect "too small: says so" "terminal too small: 60x20, dapt needs 80x24"
tui_resize 100 30
tui_expect_gone "resize back: the studio returns" "terminal too small"
tui_expect "resize back: header" "exec:local/processes/2"

# q at the root quits with status 0.
tui_keys q
if tui_wait "[dapt exited 0]" 10; then ok "q quits (status 0)"; else not_ok "q quits"; tui_dump; fi

# A theme from the environment, and NO_COLOR forcing mono.
tui_stop
DAPT_THEME=high-contrast tui_start
tui_keys ':'
tui_type 'theme'
tui_keys Enter
tui_expect "DAPT_THEME selects the theme" "theme: high-contrast"
tui_keys q
tui_wait "[dapt exited 0]" 10
tui_stop
NO_COLOR=1 tui_start
tui_keys ':'
tui_type 'theme'
tui_keys Enter
tui_expect "NO_COLOR forces mono" "theme: mono"
tui_keys q
tui_wait "[dapt exited 0]" 10

# SIGTERM leaves cleanly, restoring the terminal.
tui_stop
tui_start
pid=$(tui_pid)
kill -TERM "$pid"
if tui_wait "[dapt exited 143]" 10; then ok "SIGTERM: exit 143"; else not_ok "SIGTERM"; tui_dump; fi

# keys: and ui.theme from the user's config.yaml.
tui_stop
mkdir -p "$XDG_CONFIG_HOME/dapt"
printf 'ui:\n  theme: light\nkeys:\n  workflows.run: x F5\n' >"$XDG_CONFIG_HOME/dapt/config.yaml"
tui_start
tui_keys '?'
tui_expect "keys: remapped from the config" " x F5 "
tui_keys Escape ':'
tui_type 'theme'
tui_keys Enter
tui_expect "ui.theme from the config" "theme: light"
tui_keys q
tui_wait "[dapt exited 0]" 10
tui_stop
printf 'keys:\n  workflows.rnu: x\n' >"$XDG_CONFIG_HOME/dapt/config.yaml"
tui_start
tui_expect "keys: a bad entry is reported at start" "keys: no action \`workflows.rnu\`"
tui_keys q
tui_wait "[dapt exited 0]" 10
rm -f "$XDG_CONFIG_HOME/dapt/config.yaml"

done_testing
