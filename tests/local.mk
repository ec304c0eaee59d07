# Tests: cmocka unit tests (one group per binary, TAP), CLI tests in shell
# (TAP too, through tests/cli/lib.sh).  The tests get a HOME, cache and
# config apart from the user's, and a fixed TZ and locale; a shell test
# then takes a home of its own (tests/cli/lib.sh), as make check runs
# tests side by side.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
# No test may hang the suite (a run that never ends, a lost wake-up): one
# that takes 15 minutes is killed, and so fails.
LOG_COMPILER = timeout --kill-after=10 900
TESTS_ENVIRONMENT = \
	export TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 \
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	DAPT='$(abs_top_builddir)/dapt' DOT='$(DOT)' \
	HOME='$(abs_top_builddir)/tests/home' \
	XDG_CACHE_HOME='$(abs_top_builddir)/tests/home/.cache' \
	XDG_CONFIG_HOME='$(abs_top_builddir)/tests/home/.config' \
	XDG_DATA_HOME='$(abs_top_builddir)/tests/home/.local/share' \
	DAPT_PLUGIN_PATH= DAPT_PLUGIN_INSECURE= DAPT_PYTHON=none \
	DAPT_PLUGIN_SYSTEM_PATH='$(abs_top_builddir)/plugins/uninstalled' \
	DAPT_INCLUDE_DIR='$(abs_top_srcdir)/include' \
	DAPT_THEME_SYSTEM_PATH='$(abs_top_srcdir)/themes' \
	CMOCKA_MESSAGE_OUTPUT=TAP;

UNIT_INCLUDES = $(AM_CPPFLAGS) -I$(top_srcdir)/engine $(JANSSON_CFLAGS) $(YAML_CFLAGS) \
	$(CMOCKA_CFLAGS) $(LIBUV_CFLAGS) -DTESTS_SRCDIR='"$(abs_top_srcdir)/tests"'
UNIT_LIBS = libdapt-core.la $(CMOCKA_LIBS) $(JANSSON_LIBS) $(LIBUV_LIBS)

EXTRA_DIST += %reldir%/cli/lib.sh %reldir%/data
# The HOME the unit tests share (caches, installed plugins).
clean-local: tests-home-clean
tests-home-clean:
	rm -rf %reldir%/home
.PHONY: tests-home-clean

# Each area of the tests keeps its list in its own fragment.
include %reldir%/unit.mk
include %reldir%/graph.mk
include %reldir%/fuzz.mk
include %reldir%/corpus.mk
include %reldir%/plugins.mk
include %reldir%/registry.mk
include %reldir%/user-modules.mk
include %reldir%/builtin.mk
include %reldir%/engine.mk
include %reldir%/worker.mk
include %reldir%/store.mk
include %reldir%/objects.mk
include %reldir%/workspace.mk
include %reldir%/tui.mk
include %reldir%/run-view.mk
include %reldir%/browse.mk
include %reldir%/editor.mk
include %reldir%/complete.mk
include %reldir%/triggers.mk
include %reldir%/python.mk
