# tests/builtin.mk - the plugins that ship with dapt (plugins/): their
# targets called through the descriptor with a test host, and `dapt
# plugins new` (a generated project built and tested with make).
check_PROGRAMS += %reldir%/unit/test-builtin
TESTS += %reldir%/unit/test-builtin %reldir%/cli/plugins-new.sh %reldir%/cli/plugins-new-python.sh
EXTRA_DIST += %reldir%/cli/plugins-new.sh %reldir%/cli/plugins-new-python.sh
# Like a host, the test sees only <dapt/plugin.h>; it loads the modules
# from the build tree and the cities data from the source tree.
%canon_reldir%_unit_test_builtin_CPPFLAGS = -I$(top_srcdir)/include $(JANSSON_CFLAGS) \
	$(CMOCKA_CFLAGS) -DPLUGINS_BUILDDIR='"$(abs_top_builddir)/plugins"' \
	-DCITIES_DATA_DIR='"$(abs_top_srcdir)/plugins/examples/cities/cities"'
%canon_reldir%_unit_test_builtin_LDADD = $(CMOCKA_LIBS) $(JANSSON_LIBS) -lm
EXTRA_%canon_reldir%_unit_test_builtin_DEPENDENCIES = $(plugin_LTLIBRARIES)
