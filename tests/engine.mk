# tests of the engine (issue 4): runs end to end through dapt_execute in
# thread and process mode, with the builtin plugin and the fixture `probe`.
check_LTLIBRARIES += %reldir%/plugins/probe.la
%canon_reldir%_plugins_probe_la_SOURCES = %reldir%/plugins/probe.c
%canon_reldir%_plugins_probe_la_CPPFLAGS = $(FIXTURE_PLUGIN_CPPFLAGS)
%canon_reldir%_plugins_probe_la_LDFLAGS = $(FIXTURE_PLUGIN_LDFLAGS)
%canon_reldir%_plugins_probe_la_LIBADD = $(JANSSON_LIBS)

engine_tests = %reldir%/unit/test-engine %reldir%/unit/test-callargs %reldir%/unit/test-textdiff \
	%reldir%/unit/test-typecheck \
	%reldir%/unit/test-python-run
check_PROGRAMS += $(engine_tests)
TESTS += $(engine_tests)
%canon_reldir%_unit_test_engine_CPPFLAGS = $(UNIT_INCLUDES) \
	-DTESTS_BUILDDIR='"$(abs_top_builddir)/tests"'
%canon_reldir%_unit_test_engine_LDADD = $(UNIT_LIBS)
%canon_reldir%_unit_test_python_run_CPPFLAGS = $(UNIT_INCLUDES) \
	-DTESTS_SRCDIR='"$(abs_top_srcdir)/tests"'
%canon_reldir%_unit_test_python_run_LDADD = $(UNIT_LIBS)
EXTRA_DIST += %reldir%/data/python/pyexec_fixture/pyproject.toml \
	%reldir%/data/python/pyexec_fixture/pyexec_fixture/__init__.py \
	%reldir%/data/python/pyexec_fixture/pyexec_fixture/stages.py
%canon_reldir%_unit_test_callargs_CPPFLAGS = $(UNIT_INCLUDES)
%canon_reldir%_unit_test_callargs_LDADD = $(UNIT_LIBS)
%canon_reldir%_unit_test_typecheck_CPPFLAGS = $(UNIT_INCLUDES)
%canon_reldir%_unit_test_typecheck_LDADD = $(UNIT_LIBS)
%canon_reldir%_unit_test_textdiff_CPPFLAGS = $(UNIT_INCLUDES)
%canon_reldir%_unit_test_textdiff_LDADD = $(UNIT_LIBS)
TESTS += tests/cli/run.sh
EXTRA_DIST += tests/cli/run.sh
# Flowdapt's workflow semantics, validated and run in both executor modes
TESTS += %reldir%/cli/flowdapt.sh
EXTRA_DIST += %reldir%/cli/flowdapt.sh

# values against the declared parameter types: validate, run, --input
TESTS += %reldir%/cli/typecheck.sh
EXTRA_DIST += %reldir%/cli/typecheck.sh

# Python stages through dapt run (a venv with the fixture pyexec_fixture)
TESTS += %reldir%/cli/python-run.sh
EXTRA_DIST += %reldir%/cli/python-run.sh

# run provenance under git: dapt run, runs show --definition, runs diff
TESTS += %reldir%/cli/provenance.sh
EXTRA_DIST += %reldir%/cli/provenance.sh
