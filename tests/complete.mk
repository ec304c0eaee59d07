# The studio's completion (issue 5): fuzzy ranking and complete_at.
complete_tests = tests/unit/test-fuzzy tests/unit/test-complete
check_PROGRAMS += $(complete_tests)
TESTS += $(complete_tests)

tests_unit_test_fuzzy_CPPFLAGS = $(TUI_INCLUDES) $(CMOCKA_CFLAGS) \
	-DTESTS_SRCDIR='"$(abs_top_srcdir)/tests"'
tests_unit_test_fuzzy_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)
tests_unit_test_complete_CPPFLAGS = $(TUI_INCLUDES) $(CMOCKA_CFLAGS) \
	-DTESTS_SRCDIR='"$(abs_top_srcdir)/tests"'
tests_unit_test_complete_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)
