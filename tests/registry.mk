# tests/registry.mk - discovery: the cache file (engine/plugin-cache.c) and
# the registry (engine/registry.c: search path, security, shadowing, warm
# start, target resolution).  The registry test copies the fixture plugins
# of tests/plugins.mk into private plugin folders.
check_PROGRAMS += %reldir%/unit/test-plugin-cache %reldir%/unit/test-registry
TESTS += %reldir%/unit/test-plugin-cache %reldir%/unit/test-registry
%canon_reldir%_unit_test_plugin_cache_CPPFLAGS = $(UNIT_INCLUDES)
%canon_reldir%_unit_test_plugin_cache_LDADD = $(UNIT_LIBS)
%canon_reldir%_unit_test_registry_CPPFLAGS = $(UNIT_INCLUDES) \
	-DFIXTURES_DIR='"$(abs_top_builddir)/%reldir%/plugins/.libs"' \
	-DDAPT_SYSTEM_PLUGINDIR='"$(pkglibdir)/plugins"' \
	-DDAPT_BUILD_PLUGINDIR='"$(abs_top_builddir)/plugins/uninstalled"'
%canon_reldir%_unit_test_registry_LDADD = $(UNIT_LIBS)
# Not linked, but copied and loaded at run time: built first.
EXTRA_%canon_reldir%_unit_test_registry_DEPENDENCIES = $(fixture_plugins)
