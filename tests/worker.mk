# tests of the engine: worker (issue 4): the frames (wire.c) and a real
# dapt-worker driven over a socketpair (worker.c, cli/dapt-worker.c).
worker_tests = tests/unit/test-wire tests/unit/test-worker
check_PROGRAMS += $(worker_tests)
TESTS += $(worker_tests)

tests_unit_test_wire_CPPFLAGS = $(UNIT_INCLUDES)
tests_unit_test_wire_LDADD = $(UNIT_LIBS)
tests_unit_test_worker_CPPFLAGS = $(UNIT_INCLUDES)
tests_unit_test_worker_LDADD = $(UNIT_LIBS)
# test-worker runs this build's dapt-worker and builtin plugin (both built
# by `make all`, which `make check` does first), found through
# $top_builddir from TESTS_ENVIRONMENT.
