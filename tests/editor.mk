# tests/editor.mk - the studio's editor: unit tests of tui/textbuf.c and
# tui/syntax.c, and the studio test of the editor (tmux, tests/tui/lib.sh).
check_PROGRAMS += %reldir%/unit/test-textbuf %reldir%/unit/test-syntax
TESTS += %reldir%/unit/test-textbuf %reldir%/unit/test-syntax
%canon_reldir%_unit_test_textbuf_CPPFLAGS = $(TUI_INCLUDES) $(CMOCKA_CFLAGS) \
	-DTESTS_SRCDIR='"$(abs_top_srcdir)/tests"'
%canon_reldir%_unit_test_textbuf_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)
%canon_reldir%_unit_test_syntax_CPPFLAGS = $(TUI_INCLUDES) $(CMOCKA_CFLAGS) \
	-DTESTS_SRCDIR='"$(abs_top_srcdir)/tests"'
%canon_reldir%_unit_test_syntax_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)
# The studio test (its golden screens are under tests/tui/golden, which
# tests/tui.mk distributes whole).
TESTS += %reldir%/tui/editor.sh %reldir%/tui/typecheck.sh
EXTRA_DIST += %reldir%/tui/editor.sh %reldir%/tui/typecheck.sh
