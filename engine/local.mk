# libdapt: the engine.  Built once as a convenience library (all symbols,
# for the dapt program and the unit tests) and wrapped as the installed
# shared libdapt, which exports only the public dapt_* API.

noinst_LTLIBRARIES = libdapt-core.la
libdapt_core_la_SOURCES = \
	%reldir%/engine.h \
	%reldir%/version.c \
	%reldir%/xmalloc.c \
	%reldir%/hash.c \
	%reldir%/strbuf.c \
	%reldir%/suggest.c \
	%reldir%/diag.c \
	%reldir%/ynode.c \
	%reldir%/units.c \
	%reldir%/resource.c \
	%reldir%/workflow.c \
	%reldir%/config.c \
	%reldir%/trigger.c \
	%reldir%/run-input.c \
	%reldir%/cron.c \
	%reldir%/tzone.c \
	%reldir%/triggers.c \
	%reldir%/trigger-service.c \
	%reldir%/store-trigger.c \
	%reldir%/rule.c \
	%reldir%/graph.c \
	%reldir%/plugin.c \
	%reldir%/plugin-scan.c \
	%reldir%/plugin-cache.c \
	%reldir%/registry.c \
	%reldir%/registry-check.c \
	%reldir%/user-modules.c \
	%reldir%/python-env.c \
	%reldir%/python-dist.c \
	%reldir%/python-scan.c \
	%reldir%/python.c \
	%reldir%/libexec.c \
	%reldir%/runtime.c \
	%reldir%/fs.c \
	%reldir%/state.c \
	%reldir%/wire.c \
	%reldir%/loader.c \
	%reldir%/host.c \
	%reldir%/callargs.c \
	%reldir%/typecheck.c \
	%reldir%/bus.c \
	%reldir%/run.c \
	%reldir%/execute.c \
	%reldir%/exec-thread.c \
	%reldir%/exec-process.c \
	%reldir%/worker.c \
	%reldir%/settings.c \
	%reldir%/configs.c \
	%reldir%/objstore.c \
	%reldir%/store.c \
	%reldir%/workspace.c \
	%reldir%/textdiff.c \
	%reldir%/stagediff.c
libdapt_core_la_CPPFLAGS = $(AM_CPPFLAGS) $(YAML_CFLAGS) $(JANSSON_CFLAGS) \
	$(LIBUV_CFLAGS) $(SQLITE_CFLAGS) \
	-DDAPT_SYSTEM_PLUGINDIR='"$(pkglibdir)/plugins"' \
	-DDAPT_INCLUDEDIR='"$(includedir)"' \
	-DDAPT_PKGLIBEXECDIR='"$(pkglibexecdir)"' \
	-DDAPT_BUILDDIR='"$(abs_top_builddir)"' \
	-DDAPT_PKGDATADIR='"$(pkgdatadir)"' \
	-DDAPT_SOURCEDIR='"$(abs_top_srcdir)"' \
	-DDAPT_BUILD_PLUGINDIR='"$(abs_top_builddir)/plugins/uninstalled"' \
	-DDAPT_SOURCE_INCLUDEDIR='"$(abs_top_srcdir)/include"' \
	-DDAPT_JANSSON_CFLAGS='"$(JANSSON_CFLAGS)"'
libdapt_core_la_LIBADD = $(YAML_LIBS) $(JANSSON_LIBS) $(LIBUV_LIBS) $(SQLITE_LIBS) \
	-lpthread -ldl -lm

lib_LTLIBRARIES += libdapt.la
libdapt_la_SOURCES =
libdapt_la_LIBADD = libdapt-core.la
libdapt_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 -export-symbols-regex '^dapt_'
