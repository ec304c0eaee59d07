# Unit tests of the engine's building blocks, one cmocka group per binary.
unit_tests = \
	tests/unit/test-units \
	tests/unit/test-suggest \
	tests/unit/test-diag \
	tests/unit/test-ynode \
	tests/unit/test-workflow \
	tests/unit/test-resource \
	tests/unit/test-rule \
	tests/unit/test-cron
check_PROGRAMS += $(unit_tests)
TESTS += $(unit_tests) tests/cli/validate.sh tests/cli/help.sh
EXTRA_DIST += tests/cli/validate.sh tests/cli/help.sh
# The plugin catalog's commands and validate's target checks (they copy
# the fixture plugins of tests/plugins.mk, built before any test runs).
TESTS += tests/cli/plugins.sh tests/cli/targets.sh tests/cli/validate-targets.sh
EXTRA_DIST += tests/cli/plugins.sh tests/cli/targets.sh tests/cli/validate-targets.sh

tests_unit_test_units_CPPFLAGS = $(UNIT_INCLUDES)
tests_unit_test_units_LDADD = $(UNIT_LIBS)
tests_unit_test_suggest_CPPFLAGS = $(UNIT_INCLUDES)
tests_unit_test_suggest_LDADD = $(UNIT_LIBS)
tests_unit_test_diag_CPPFLAGS = $(UNIT_INCLUDES)
tests_unit_test_diag_LDADD = $(UNIT_LIBS)
tests_unit_test_ynode_CPPFLAGS = $(UNIT_INCLUDES)
tests_unit_test_ynode_LDADD = $(UNIT_LIBS)
tests_unit_test_workflow_CPPFLAGS = $(UNIT_INCLUDES)
tests_unit_test_workflow_LDADD = $(UNIT_LIBS)
tests_unit_test_resource_CPPFLAGS = $(UNIT_INCLUDES)
tests_unit_test_resource_LDADD = $(UNIT_LIBS)
tests_unit_test_rule_CPPFLAGS = $(UNIT_INCLUDES)
tests_unit_test_rule_LDADD = $(UNIT_LIBS)
tests_unit_test_cron_CPPFLAGS = $(UNIT_INCLUDES)
tests_unit_test_cron_LDADD = $(UNIT_LIBS)
