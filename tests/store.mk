# tests of the engine: store (issue 4)
# The run store (engine/store.c) and `dapt runs` (cli/cmd-runs.c).
store_tests = tests/unit/test-store
check_PROGRAMS += $(store_tests)
TESTS += $(store_tests) tests/cli/runs.sh tests/cli/hardening.sh
EXTRA_DIST += tests/cli/runs.sh tests/cli/hardening.sh

# test-store also reads the database itself (chunk counts).
tests_unit_test_store_CPPFLAGS = $(UNIT_INCLUDES) $(SQLITE_CFLAGS)
tests_unit_test_store_LDADD = $(UNIT_LIBS) $(SQLITE_LIBS) -lpthread
