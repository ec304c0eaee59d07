# The studio's Run and Runs views (issue 5): the log ring (unit), and the
# views driven in tmux (tests/tui/lib.sh).
run_view_tests = tests/unit/test-logring
check_PROGRAMS += $(run_view_tests)
TESTS += $(run_view_tests)

tests_unit_test_logring_CPPFLAGS = $(TUI_INCLUDES) $(CMOCKA_CFLAGS) \
	-DTESTS_SRCDIR='"$(abs_top_srcdir)/tests"'
tests_unit_test_logring_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)
