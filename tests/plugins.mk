# tests/plugins.mk - fixture plugins, one per way a plugin file can fail
# (lilv's way), and the scanner's test (engine/plugin.c, plugin-scan.c).
#
# Each fixture is built as a third party builds a plugin: a libtool module
# that includes only <dapt/plugin.h>, links only jansson, and exports only
# the descriptor symbol.  `make check` builds them; NAME.la leaves the
# library at tests/plugins/.libs/NAME.so, and each declares the plugin NAME
# unless the name is what it is about.  The other two failure modes need no
# compiler: tests/data/plugins/notelf.so is a text file, and the test makes
# unreadable files itself.

fixture_plugins = \
	%reldir%/plugins/good.la \
	%reldir%/plugins/other.la \
	%reldir%/plugins/nosymbol.la \
	%reldir%/plugins/abi_major.la \
	%reldir%/plugins/abi_minor.la \
	%reldir%/plugins/noname.la \
	%reldir%/plugins/dup_targets.la \
	%reldir%/plugins/bad_path.la \
	%reldir%/plugins/ctor_segv.la \
	%reldir%/plugins/ctor_abort.la \
	%reldir%/plugins/ctor_exit.la \
	%reldir%/plugins/ctor_hang.la
check_LTLIBRARIES += $(fixture_plugins)

FIXTURE_PLUGIN_CPPFLAGS = -I$(top_srcdir)/include $(JANSSON_CFLAGS)
# -rpath makes libtool build a shared module instead of a convenience archive.
FIXTURE_PLUGIN_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -rpath $(abs_builddir) \
	-export-symbols-regex '^dapt_plugin_describe$$'

# a valid plugin (targets with parameters; its constructor leaves a mark)
%canon_reldir%_plugins_good_la_SOURCES = %reldir%/plugins/good.c
%canon_reldir%_plugins_good_la_CPPFLAGS = $(FIXTURE_PLUGIN_CPPFLAGS)
%canon_reldir%_plugins_good_la_LDFLAGS = $(FIXTURE_PLUGIN_LDFLAGS)
%canon_reldir%_plugins_good_la_LIBADD = $(JANSSON_LIBS)
# a second valid plugin
%canon_reldir%_plugins_other_la_SOURCES = %reldir%/plugins/other.c
%canon_reldir%_plugins_other_la_CPPFLAGS = $(FIXTURE_PLUGIN_CPPFLAGS)
%canon_reldir%_plugins_other_la_LDFLAGS = $(FIXTURE_PLUGIN_LDFLAGS)
%canon_reldir%_plugins_other_la_LIBADD = $(JANSSON_LIBS)
# a shared library without the descriptor symbol (it exports its own, as
# an export list may not be empty)
%canon_reldir%_plugins_nosymbol_la_SOURCES = %reldir%/plugins/nosymbol.c
%canon_reldir%_plugins_nosymbol_la_CPPFLAGS = $(FIXTURE_PLUGIN_CPPFLAGS)
%canon_reldir%_plugins_nosymbol_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version \
	-rpath $(abs_builddir) -export-symbols-regex '^nosymbol_'
# ABI major from the future
%canon_reldir%_plugins_abi_major_la_SOURCES = %reldir%/plugins/abi_major.c
%canon_reldir%_plugins_abi_major_la_CPPFLAGS = $(FIXTURE_PLUGIN_CPPFLAGS)
%canon_reldir%_plugins_abi_major_la_LDFLAGS = $(FIXTURE_PLUGIN_LDFLAGS)
# a newer ABI minor
%canon_reldir%_plugins_abi_minor_la_SOURCES = %reldir%/plugins/abi_minor.c
%canon_reldir%_plugins_abi_minor_la_CPPFLAGS = $(FIXTURE_PLUGIN_CPPFLAGS)
%canon_reldir%_plugins_abi_minor_la_LDFLAGS = $(FIXTURE_PLUGIN_LDFLAGS)
# a descriptor without a name
%canon_reldir%_plugins_noname_la_SOURCES = %reldir%/plugins/noname.c
%canon_reldir%_plugins_noname_la_CPPFLAGS = $(FIXTURE_PLUGIN_CPPFLAGS)
%canon_reldir%_plugins_noname_la_LDFLAGS = $(FIXTURE_PLUGIN_LDFLAGS)
# a target path declared twice
%canon_reldir%_plugins_dup_targets_la_SOURCES = %reldir%/plugins/dup_targets.c
%canon_reldir%_plugins_dup_targets_la_CPPFLAGS = $(FIXTURE_PLUGIN_CPPFLAGS)
%canon_reldir%_plugins_dup_targets_la_LDFLAGS = $(FIXTURE_PLUGIN_LDFLAGS)
%canon_reldir%_plugins_dup_targets_la_LIBADD = $(JANSSON_LIBS)
# a target path that is not dotted words
%canon_reldir%_plugins_bad_path_la_SOURCES = %reldir%/plugins/bad_path.c
%canon_reldir%_plugins_bad_path_la_CPPFLAGS = $(FIXTURE_PLUGIN_CPPFLAGS)
%canon_reldir%_plugins_bad_path_la_LDFLAGS = $(FIXTURE_PLUGIN_LDFLAGS)
%canon_reldir%_plugins_bad_path_la_LIBADD = $(JANSSON_LIBS)
# a constructor that segfaults
%canon_reldir%_plugins_ctor_segv_la_SOURCES = %reldir%/plugins/ctor_segv.c
%canon_reldir%_plugins_ctor_segv_la_CPPFLAGS = $(FIXTURE_PLUGIN_CPPFLAGS)
%canon_reldir%_plugins_ctor_segv_la_LDFLAGS = $(FIXTURE_PLUGIN_LDFLAGS)
# a constructor that aborts
%canon_reldir%_plugins_ctor_abort_la_SOURCES = %reldir%/plugins/ctor_abort.c
%canon_reldir%_plugins_ctor_abort_la_CPPFLAGS = $(FIXTURE_PLUGIN_CPPFLAGS)
%canon_reldir%_plugins_ctor_abort_la_LDFLAGS = $(FIXTURE_PLUGIN_LDFLAGS)
# a constructor that calls exit(3)
%canon_reldir%_plugins_ctor_exit_la_SOURCES = %reldir%/plugins/ctor_exit.c
%canon_reldir%_plugins_ctor_exit_la_CPPFLAGS = $(FIXTURE_PLUGIN_CPPFLAGS)
%canon_reldir%_plugins_ctor_exit_la_LDFLAGS = $(FIXTURE_PLUGIN_LDFLAGS)
# a constructor that never returns
%canon_reldir%_plugins_ctor_hang_la_SOURCES = %reldir%/plugins/ctor_hang.c
%canon_reldir%_plugins_ctor_hang_la_CPPFLAGS = $(FIXTURE_PLUGIN_CPPFLAGS)
%canon_reldir%_plugins_ctor_hang_la_LDFLAGS = $(FIXTURE_PLUGIN_LDFLAGS)

# The scanner's test: every fixture in one plugin_scan() call, the
# in-process path of the workers, and hand-made descriptors.
check_PROGRAMS += %reldir%/unit/test-plugin-scan
TESTS += %reldir%/unit/test-plugin-scan
%canon_reldir%_unit_test_plugin_scan_CPPFLAGS = $(UNIT_INCLUDES) \
	-DFIXTURES_DIR='"$(abs_top_builddir)/%reldir%/plugins/.libs"'
%canon_reldir%_unit_test_plugin_scan_LDADD = $(UNIT_LIBS)
# Not linked, but loaded at run time: built first.
EXTRA_%canon_reldir%_unit_test_plugin_scan_DEPENDENCIES = $(fixture_plugins)
