# Plugins shipped with dapt, each built exactly as a third party would
# build it: a libtool module that includes only include/ (no engine
# header, no config.h), links only jansson (and libm, part of the C
# library), and exports only the descriptor symbol.  They install into $(plugindir) (the `plugindir` of
# dapt.pc) with their data folders beside them.
#
# `make` also stages them, uninstalled, in plugins/uninstalled/ of the
# build tree (NAME.so and the data folder NAME/): the tests and
# `./bootstrap run` point DAPT_PLUGIN_SYSTEM_PATH there.

plugindir = $(pkglibdir)/plugins
plugin_LTLIBRARIES = \
	%reldir%/builtin/dapt.la \
	%reldir%/examples/cities/cities.la

PLUGIN_CPPFLAGS = -I$(top_srcdir)/include $(JANSSON_CFLAGS) \
	-DPLUGIN_VERSION='"$(PACKAGE_VERSION)"'
PLUGIN_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -no-undefined \
	-export-symbols-regex '^dapt_plugin_describe$$'

# dapt: the builtin stages (dapt.echo, dapt.range, ...)
%canon_reldir%_builtin_dapt_la_SOURCES = \
	%reldir%/builtin/builtin.h \
	%reldir%/builtin/builtin.c \
	%reldir%/builtin/args.c \
	%reldir%/builtin/numbers.c \
	%reldir%/builtin/control.c \
	%reldir%/builtin/shell.c \
	%reldir%/builtin/objects.c \
	%reldir%/builtin/actions.c
%canon_reldir%_builtin_dapt_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
%canon_reldir%_builtin_dapt_la_LDFLAGS = $(PLUGIN_LDFLAGS)
%canon_reldir%_builtin_dapt_la_LIBADD = $(JANSSON_LIBS)

# cities: the example plugin, and its data folder cities/
%canon_reldir%_examples_cities_cities_la_SOURCES = \
	%reldir%/examples/cities/cities.h \
	%reldir%/examples/cities/cities.c \
	%reldir%/examples/cities/citylist.c \
	%reldir%/examples/cities/weather.c \
	%reldir%/examples/cities/model.c \
	%reldir%/examples/cities/report.c \
	%reldir%/examples/cities/util.c
%canon_reldir%_examples_cities_cities_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
%canon_reldir%_examples_cities_cities_la_LDFLAGS = $(PLUGIN_LDFLAGS)
%canon_reldir%_examples_cities_cities_la_LIBADD = $(JANSSON_LIBS) -lm

citiesdatadir = $(plugindir)/cities/data
dist_citiesdata_DATA = %reldir%/examples/cities/cities/data/cities.csv
citiesworkflowsdir = $(plugindir)/cities/workflows
dist_citiesworkflows_DATA = \
	%reldir%/examples/cities/cities/workflows/forecast.yaml \
	%reldir%/examples/cities/cities/workflows/one_city.yaml
citiesconfigsdir = $(plugindir)/cities/configs
dist_citiesconfigs_DATA = %reldir%/examples/cities/cities/configs/cities_settings.yaml

# Installed: NAME.so only; a libtool archive has no use for a module that
# is dlopened.  Uninstall removes the .so that libtool's uninstall (which
# goes by the .la) no longer finds.
plugin_sonames = dapt.so cities.so
install-data-hook: plugins-install-hook
plugins-install-hook:
	for so in $(plugin_sonames); do \
	  rm -f "$(DESTDIR)$(plugindir)/$${so%.so}.la"; \
	done
uninstall-local: plugins-uninstall-hook
plugins-uninstall-hook:
	for so in $(plugin_sonames); do rm -f "$(DESTDIR)$(plugindir)/$$so"; done

# The uninstalled plugin folder: copies of the modules (mode 755: the
# registry refuses files others can write) and a link to each data
# folder.  A module is copied only when it changed, so the registry's
# cache stays warm between builds.
plugin_stage = $(abs_top_builddir)/plugins/uninstalled
plugin_stage_data = cities:$(abs_top_srcdir)/%reldir%/examples/cities/cities
all-local: plugins-stage
plugins-stage: $(plugin_LTLIBRARIES)
	@$(MKDIR_P) '$(plugin_stage)' && chmod 755 '$(plugin_stage)'
	@for la in $(plugin_LTLIBRARIES); do \
	  name=`basename "$$la" .la`; \
	  so=`dirname "$$la"`/.libs/$$name.so; \
	  dst='$(plugin_stage)'/$$name.so; \
	  if ! cmp -s "$$so" "$$dst"; then \
	    cp "$$so" "$$dst.tmp" && chmod 755 "$$dst.tmp" && mv -f "$$dst.tmp" "$$dst" || exit 1; \
	  fi; \
	done
	@for pair in $(plugin_stage_data); do \
	  name=$${pair%%:*}; src=`cd "$${pair#*:}" && pwd`; \
	  dst='$(plugin_stage)'/$$name; \
	  if [ "`readlink "$$dst" 2>/dev/null`" != "$$src" ]; then \
	    rm -rf "$$dst" && ln -s "$$src" "$$dst" || exit 1; \
	  fi; \
	done
clean-local: plugins-stage-clean
plugins-stage-clean:
	rm -rf '$(plugin_stage)'
.PHONY: plugins-stage plugins-stage-clean plugins-install-hook plugins-uninstall-hook

# The project `dapt plugins new` writes.  The template's files are real
# files here (SRC:DEST pairs below; @NAME@ stands for the plugin's name),
# embedded into dapt as a generated header so an installed dapt needs no
# source tree.
plugin_template_map = \
	Makefile:Makefile \
	README.md:README.md \
	plugin.c:@NAME@.c \
	tests/test_plugin.c:tests/test_@NAME@.c \
	data/workflows/hello.yaml:@NAME@/workflows/hello.yaml \
	gitignore:.gitignore
plugin_template_files = \
	%reldir%/template/Makefile \
	%reldir%/template/README.md \
	%reldir%/template/plugin.c \
	%reldir%/template/tests/test_plugin.c \
	%reldir%/template/data/workflows/hello.yaml \
	%reldir%/template/gitignore
EXTRA_DIST += $(plugin_template_files) %reldir%/template/embed.awk
%reldir%/template/files.h: $(plugin_template_files) %reldir%/template/embed.awk
	$(AM_V_GEN)$(MKDIR_P) %reldir%/template && \
	$(AWK) -v srcdir='$(srcdir)/%reldir%/template' -v files='$(plugin_template_map)' \
	  -f '$(srcdir)/%reldir%/template/embed.awk' >$@.tmp && mv -f $@.tmp $@
CLEANFILES += %reldir%/template/files.h

# The Python project `dapt plugins new --python` writes: a distribution
# with the flowdapt.plugins entry point, a package of stages, a bundled
# workflow and tests.  Embedded the same way, as python_template_files[].
python_template_map = \
	pyproject.toml:pyproject.toml \
	README.md:README.md \
	package/__init__.py:@NAME@/__init__.py \
	package/stages.py:@NAME@/stages.py \
	package/workflows/words.yaml:@NAME@/workflows/words.yaml \
	tests/__init__.py:tests/__init__.py \
	tests/test_stages.py:tests/test_stages.py \
	gitignore:.gitignore
python_template_files = \
	%reldir%/template-python/pyproject.toml \
	%reldir%/template-python/README.md \
	%reldir%/template-python/package/__init__.py \
	%reldir%/template-python/package/stages.py \
	%reldir%/template-python/package/workflows/words.yaml \
	%reldir%/template-python/tests/__init__.py \
	%reldir%/template-python/tests/test_stages.py \
	%reldir%/template-python/gitignore
EXTRA_DIST += $(python_template_files)
%reldir%/template-python/files.h: $(python_template_files) %reldir%/template/embed.awk
	$(AM_V_GEN)$(MKDIR_P) %reldir%/template-python && \
	$(AWK) -v srcdir='$(srcdir)/%reldir%/template-python' -v files='$(python_template_map)' \
	  -v prefix=python_template -f '$(srcdir)/%reldir%/template/embed.awk' >$@.tmp && \
	mv -f $@.tmp $@
CLEANFILES += %reldir%/template-python/files.h
# cmd-plugins-new.c includes them: make them first.
cli/dapt-cmd-plugins-new.$(OBJEXT): %reldir%/template/files.h %reldir%/template-python/files.h
