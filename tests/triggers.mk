# Trigger rules (issue 7): the condition language and cron with zones
# (unit, in unit.mk: test-rule, test-cron), and the rules at work through
# the command line: `dapt triggers`, `dapt daemon` (tests/cli/triggers.sh).
TESTS += %reldir%/cli/triggers.sh
EXTRA_DIST += %reldir%/cli/triggers.sh
