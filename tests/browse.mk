# The studio's browsing side (helper "browse"): themes, the list widget,
# and the workflows / plugins / targets views driven through tmux.
browse_unit_tests = %reldir%/unit/test-theme %reldir%/unit/test-list
check_PROGRAMS += $(browse_unit_tests)
TESTS += $(browse_unit_tests) %reldir%/tui/browse.sh
EXTRA_DIST += %reldir%/tui/browse.sh %reldir%/tui/golden/browse-plugins.txt \
	%reldir%/tui/golden/browse-target.txt
%canon_reldir%_unit_test_theme_CPPFLAGS = $(TUI_INCLUDES) $(CMOCKA_CFLAGS) \
	-DTESTS_SRCDIR='"$(abs_top_srcdir)/tests"'
%canon_reldir%_unit_test_theme_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)
%canon_reldir%_unit_test_list_CPPFLAGS = $(TUI_INCLUDES) $(CMOCKA_CFLAGS) \
	-DTESTS_SRCDIR='"$(abs_top_srcdir)/tests"'
%canon_reldir%_unit_test_list_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)
