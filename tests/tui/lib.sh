# lib.sh - drive the studio inside tmux for tests (TAP, through
# tests/cli/lib.sh).  Every test file gets its own tmux server (a private
# socket under $TMP), a fixed window size, TERM=tmux-256color and
# LANG=C.UTF-8, and a copy of the examples workspace.
#
#   . "$top_srcdir/tests/tui/lib.sh"
#   tui_workspace                  # $WS: a fresh copy of examples/
#   tui_start [DAPT ARGS...]       # dapt -C $WS ARGS in tmux; waits for the header
#   tui_stop                       # end the tmux server and the studio in it, and
#                                  # wait until both are gone (before tui_start again)
#   tui_keys KEY...                # tmux send-keys names: Enter Escape Tab C-s Up ...
#   tui_type TEXT                  # literal text
#   tui_wait TEXT [SECONDS]        # poll the screen until TEXT shows (0), else 1
#   tui_gone TEXT [SECONDS]        # poll until TEXT is no longer shown
#   tui_expect DESC TEXT [SECONDS] # ok/not ok on tui_wait (screen dumped on failure)
#   tui_screen                     # the screen as text
#   tui_golden NAME                # compare the settled screen to golden/NAME.txt
#                                  # (GENERATE=1 rewrites it); TUI_NORMALIZE is a
#                                  # sed script applied first (times, ids)
#   tui_resize COLS ROWS
#   tui_pid                        # the studio's process id
#   tui_exited                     # 0 when dapt has exited ("[dapt exited N]" shown)
#
# Never sleep blindly: wait for text.  Volatile parts (clock times,
# durations, run ids) are normalised before golden comparison.
. "$top_srcdir/tests/cli/lib.sh"

TUI_COLS=${TUI_COLS:-100}
TUI_ROWS=${TUI_ROWS:-30}
TUI_SOCK=$TMP/tmux.sock
TUI_GOLDEN=$top_srcdir/tests/tui/golden
export LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC
# The time normalisation every golden screen gets.
TUI_NORMALIZE_BASE='s/[0-9][0-9]:[0-9][0-9]:[0-9][0-9]/HH:MM:SS/g
s/[0-9][0-9]*\.[0-9]s/N.Ns/g
s/[0-9][0-9]*m[0-9][0-9]s/NmNNs/g'
TUI_NORMALIZE=${TUI_NORMALIZE:-}
# The studio puts the workspace's trigger rules to work: their clock
# (engine/triggers.c) is fixed far from the examples' cron slots, so that
# no rule fires during a test that is not about them (a test may set its
# own: DAPT_CLOCK=... tui_start).
DAPT_CLOCK=${DAPT_CLOCK:-2026-03-29T12:00:00Z}
export DAPT_CLOCK

tui_tmux() { tmux -S "$TUI_SOCK" "$@"; }

# kill-server returns before the server is gone: a new-session sent at
# once can reach the dying server and vanish with it.  So wait for the
# server to stop answering, and for the studio (it gets SIGHUP) to end.
tui_stop() {
    ts_pid=$(tui_pid 2>/dev/null)
    tui_tmux kill-server 2>/dev/null
    n=200
    while [ "$n" -gt 0 ] && tui_tmux list-sessions >/dev/null 2>&1; do
        sleep 0.05
        n=$((n - 1))
    done
    rm -f "$TUI_SOCK"
    n=200
    while [ "$n" -gt 0 ] && [ -n "$ts_pid" ] && kill -0 "$ts_pid" 2>/dev/null; do
        sleep 0.05
        n=$((n - 1))
    done
}

tui_cleanup() {
    tmux -S "$TUI_SOCK" kill-server 2>/dev/null
    rm -rf "$TMP"
}
trap tui_cleanup EXIT

if ! command -v tmux >/dev/null 2>&1; then
    echo "Bail out! tmux is needed for the studio tests (apt-get install -y tmux)"
    exit 1
fi

tui_workspace() {
    WS=$TMP/ws
    rm -rf "$WS"
    cp -R "$top_srcdir/examples" "$WS"
    rm -rf "$WS/.dapt" "$WS/local.mk"
    # The workflow that mixes C and Python stages needs the example's
    # Python plugin installed in a venv; the studio tests (their counts
    # and golden screens) keep to the C plugins.
    rm -rf "$WS/workflows/mixed.yaml" "$WS/python"
    chmod -R u+w "$WS"
}

tui_start() {
    : "${WS:=$TMP/ws}"
    [ -d "$WS" ] || tui_workspace
    # The command runs in the pane; when dapt ends the pane stays, saying how.
    cat >"$TMP/run-studio.sh" <<EOS
#!/bin/sh
cd "$WS" || exit 1
"$DAPT" -v "$TMP/studio.log" "\$@"
echo "[dapt exited \$?]"
exec sleep 3600
EOS
    chmod +x "$TMP/run-studio.sh"
    tui_tmux -f /dev/null new-session -d -s studio -x "$TUI_COLS" -y "$TUI_ROWS" \
        "$TMP/run-studio.sh" "$@" || return 1
    tui_tmux set-option -g default-terminal tmux-256color >/dev/null
    tui_tmux set-option -g status off >/dev/null
    tui_tmux set-option -g escape-time 0 >/dev/null
    if ! tui_wait " dapt " 30; then
        echo "# the studio did not start within 30 s"
        tui_dump
        return 1
    fi
}

tui_screen() { tui_tmux capture-pane -p -t studio; }
# Esc followed at once by a key is how terminals send Alt-key, so an Esc
# is sent on its own, a moment before what follows (as a person types).
tui_keys() {
    for k in "$@"; do
        if [ "$k" = Escape ]; then
            tui_tmux send-keys -t studio Escape
            sleep 0.05
        else
            tui_tmux send-keys -t studio "$k"
        fi
    done
}
tui_type() { tui_tmux send-keys -t studio -l "$1"; }
tui_resize() { tui_tmux resize-window -t studio -x "$1" -y "$2"; }

tui_pid() {
    pane=$(tui_tmux display-message -p -t studio '#{pane_pid}')
    pgrep -P "$pane" -x dapt || pgrep -P "$pane" | head -n 1
}

# Poll every 50 ms (about 20 times a second) for at most SECONDS.
tui_wait() {
    want=$1 limit=${2:-15}
    tries=$((limit * 20))
    while [ "$tries" -gt 0 ]; do
        if tui_screen | grep -qF -- "$want"; then
            return 0
        fi
        sleep 0.05
        tries=$((tries - 1))
    done
    return 1
}

tui_gone() {
    want=$1 limit=${2:-15}
    tries=$((limit * 20))
    while [ "$tries" -gt 0 ]; do
        if ! tui_screen | grep -qF -- "$want"; then
            return 0
        fi
        sleep 0.05
        tries=$((tries - 1))
    done
    return 1
}

tui_dump() {
    echo "# screen:"
    tui_screen | sed 's/^/# |/'
    if [ -f "$TMP/studio.log" ]; then
        echo "# studio log (tail):"
        tail -n 15 "$TMP/studio.log" | sed 's/^/# /'
    fi
}

tui_expect() {
    if tui_wait "$2" "${3:-15}"; then
        ok "$1"
    else
        not_ok "$1 (no '$2' on screen)"
        tui_dump
    fi
}

tui_expect_gone() {
    if tui_gone "$2" "${3:-15}"; then
        ok "$1"
    else
        not_ok "$1 ('$2' still on screen)"
        tui_dump
    fi
}

tui_exited() { tui_screen | grep -q '^\[dapt exited [0-9]*\]'; }

# The screen once two captures 100 ms apart agree (at most 5 s).
tui_settled() {
    prev=$(tui_screen)
    n=50
    while [ "$n" -gt 0 ]; do
        sleep 0.1
        cur=$(tui_screen)
        [ "$cur" = "$prev" ] && break
        prev=$cur
        n=$((n - 1))
    done
    printf '%s\n' "$prev"
}

tui_golden() {
    name=$1
    file=$TUI_GOLDEN/$name.txt
    tui_settled | sed -e "$TUI_NORMALIZE_BASE" ${TUI_NORMALIZE:+-e "$TUI_NORMALIZE"} \
        -e "s|$WS|WS|g" -e 's/[[:space:]]*$//' >"$TMP/golden.txt"
    if [ "${GENERATE:-}" = 1 ]; then
        mkdir -p "$TUI_GOLDEN"
        cp "$TMP/golden.txt" "$file"
        ok "golden $name (written)"
    elif [ ! -f "$file" ]; then
        not_ok "golden $name: no $file (run with GENERATE=1 to write it)"
    elif diff -u "$file" "$TMP/golden.txt" >"$TMP/golden.diff"; then
        ok "golden $name"
    else
        not_ok "golden $name differs (GENERATE=1 rewrites it)"
        sed 's/^/# /' "$TMP/golden.diff" | head -40
    fi
}
