# The dapt program: main() and the non-interactive subcommands.
bin_PROGRAMS += dapt
dapt_SOURCES = \
	%reldir%/cli.h \
	%reldir%/main.c \
	%reldir%/cmd-validate.c \
	%reldir%/cmd-graph.c \
	%reldir%/cmd-plugins.c \
	%reldir%/cmd-targets.c \
	%reldir%/cmd-plugins-new.c \
	%reldir%/cmd-plugins-install.c \
	%reldir%/cmd-plugins-python.c \
	%reldir%/cmd-run.c \
	%reldir%/cmd-runs.c \
	%reldir%/cmd-triggers.c \
	%reldir%/cmd-workspace.c
dapt_CPPFLAGS = $(TUI_INCLUDES)
dapt_LDADD = $(TUI_LIBS)

# dapt-git: all of dapt's git work (workspaces, `dapt plugins install`
# clones), a program of its own so that libgit2 is not loaded by every
# dapt command.
pkglibexec_PROGRAMS = dapt-git
dapt_git_SOURCES = %reldir%/dapt-git.c
dapt_git_CPPFLAGS = $(AM_CPPFLAGS) $(LIBGIT2_CFLAGS) $(JANSSON_CFLAGS)
dapt_git_LDADD = $(LIBGIT2_LIBS) $(JANSSON_LIBS)

# dapt-worker: runs stages for the engine's process pool (engine/worker.c).
pkglibexec_PROGRAMS += dapt-worker
dapt_worker_SOURCES = %reldir%/dapt-worker.c
dapt_worker_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/engine $(JANSSON_CFLAGS)
dapt_worker_LDADD = libdapt-core.la $(JANSSON_LIBS)
