# The studio (tui/): a convenience library linked into the dapt program
# (dapt with no command runs app_main) and into the studio's unit tests.
noinst_LTLIBRARIES += libdapt-tui.la
libdapt_tui_la_SOURCES = \
	%reldir%/tui.h \
	%reldir%/key.c \
	%reldir%/action.c \
	%reldir%/draw.c \
	%reldir%/theme.c \
	%reldir%/fuzzy.c \
	%reldir%/widget-list.c \
	%reldir%/logring.c \
	%reldir%/run-model.c \
	%reldir%/complete.c \
	%reldir%/app.c \
	%reldir%/cmdline.c \
	%reldir%/view-help.c \
	%reldir%/view-text.c \
	%reldir%/view-history.c \
	%reldir%/vcs.c \
	%reldir%/view-workflows.c \
	%reldir%/view-plugins.c \
	%reldir%/view-targets.c \
	%reldir%/view-target.c \
	%reldir%/textbuf.c \
	%reldir%/syntax.c \
	%reldir%/view-editor.c \
	%reldir%/view-run.c \
	%reldir%/view-runs.c \
	%reldir%/view-triggers.c
libdapt_tui_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/engine $(NCURSES_CFLAGS) \
	$(JANSSON_CFLAGS) $(LIBUV_CFLAGS) $(YAML_CFLAGS) \
	-DDAPT_THEMEDIR='"$(pkgdatadir)/themes"' \
	-DDAPT_SOURCE_THEMEDIR='"$(abs_top_srcdir)/themes"'
libdapt_tui_la_LIBADD = libdapt-core.la $(NCURSES_LIBS) $(JANSSON_LIBS) $(LIBUV_LIBS) \
	$(YAML_LIBS)

# Flags for a program or test that includes tui.h.
TUI_INCLUDES = $(AM_CPPFLAGS) -I$(top_srcdir)/engine -I$(top_srcdir)/tui $(NCURSES_CFLAGS) \
	$(JANSSON_CFLAGS) $(LIBUV_CFLAGS) $(YAML_CFLAGS)
TUI_LIBS = libdapt-tui.la libdapt-core.la $(NCURSES_LIBS) $(JANSSON_LIBS) $(LIBUV_LIBS)
