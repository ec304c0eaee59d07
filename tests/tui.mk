# Studio tests driven through tmux (tests/tui/lib.sh): the app itself
# (header, help, the command line, resize, themes, quitting) and the
# Triggers view.  Each view's own studio tests live in its fragment
# (browse.mk, editor.mk, run-view.mk).
TESTS += tests/tui/basic.sh tests/tui/git.sh tests/tui/triggers.sh
EXTRA_DIST += tests/tui/lib.sh tests/tui/basic.sh tests/tui/git.sh tests/tui/triggers.sh \
	tests/tui/golden
