# tests of the engine: objects (issue 4) - settings (dapt.yaml and
# DAPT__ variables), configs (catalog 1.6), the object store and the
# builtin targets over it (dapt.put, get, delete, exists, executor.local).
objects_tests = \
	%reldir%/unit/test-settings \
	%reldir%/unit/test-configs \
	%reldir%/unit/test-objects
check_PROGRAMS += $(objects_tests)
TESTS += $(objects_tests)

%canon_reldir%_unit_test_settings_CPPFLAGS = $(UNIT_INCLUDES)
%canon_reldir%_unit_test_settings_LDADD = $(UNIT_LIBS)
%canon_reldir%_unit_test_configs_CPPFLAGS = $(UNIT_INCLUDES)
%canon_reldir%_unit_test_configs_LDADD = $(UNIT_LIBS)
# test-objects calls the builtin plugin's targets from the build tree.
%canon_reldir%_unit_test_objects_CPPFLAGS = $(UNIT_INCLUDES) \
	-DPLUGINS_BUILDDIR='"$(abs_top_builddir)/plugins"'
%canon_reldir%_unit_test_objects_LDADD = $(UNIT_LIBS) -lpthread -ldl
EXTRA_%canon_reldir%_unit_test_objects_DEPENDENCIES = $(plugin_LTLIBRARIES)
