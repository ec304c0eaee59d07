# The studio's Run and Runs views (issue 5): the log ring (unit), and the
# views driven in tmux (tests/tui/lib.sh): a live run's log, follow, the
# filters, search, cancel, the end-of-run marker, :runs and a past run.
run_view_tests = tests/unit/test-logring
check_PROGRAMS += $(run_view_tests)
TESTS += $(run_view_tests) tests/tui/run.sh
EXTRA_DIST += tests/tui/run.sh

tests_unit_test_logring_CPPFLAGS = $(TUI_INCLUDES) $(CMOCKA_CFLAGS) \
	-DTESTS_SRCDIR='"$(abs_top_srcdir)/tests"'
tests_unit_test_logring_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)
