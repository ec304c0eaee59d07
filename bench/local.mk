# Benchmarks: `make bench` builds and runs them; never part of `make check`.
# The programs are EXTRA_PROGRAMS, so a plain `make` does not build them.
EXTRA_PROGRAMS = %reldir%/gen-workflow %reldir%/bench-validate %reldir%/bench-run \
	%reldir%/bench-engine %reldir%/bench-log

%canon_reldir%_gen_workflow_SOURCES = %reldir%/gen-workflow.c

%canon_reldir%_bench_validate_SOURCES = %reldir%/bench-validate.c
%canon_reldir%_bench_validate_LDADD = libdapt-core.la $(JANSSON_LIBS)
%canon_reldir%_bench_validate_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)

%canon_reldir%_bench_run_SOURCES = %reldir%/bench-run.c

%canon_reldir%_bench_engine_SOURCES = %reldir%/bench-engine.c
%canon_reldir%_bench_engine_LDADD = libdapt-core.la $(JANSSON_LIBS) $(LIBUV_LIBS)
%canon_reldir%_bench_engine_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(LIBUV_CFLAGS)

# bench-log loads the builtin plugin as dapt would, without libdapt.
%canon_reldir%_bench_log_SOURCES = %reldir%/bench-log.c
%canon_reldir%_bench_log_LDADD = $(JANSSON_LIBS) -ldl
%canon_reldir%_bench_log_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)

EXTRA_DIST += %reldir%/validate %reldir%/discovery %reldir%/engine %reldir%/engine-anchor.py
CLEANFILES += %reldir%/gen-workflow$(EXEEXT) %reldir%/bench-validate$(EXEEXT) \
	%reldir%/workflow-*.yaml %reldir%/bench-run$(EXEEXT) \
	%reldir%/bench-engine$(EXEEXT) %reldir%/bench-log$(EXEEXT)

# STAGES, RUNS, SEED and PYTHON3 may be set on the command line or in the
# environment: make bench STAGES=50000 RUNS=5
# One after the other, whatever -j says: each times its own runs.
bench:
	$(MAKE) $(AM_MAKEFLAGS) bench-validate
	@echo
	$(MAKE) $(AM_MAKEFLAGS) bench-discovery
	@echo
	$(MAKE) $(AM_MAKEFLAGS) bench-engine
	@echo
	$(MAKE) $(AM_MAKEFLAGS) bench-studio-complete
	@echo
	$(MAKE) $(AM_MAKEFLAGS) bench-studio
	@echo
	$(MAKE) $(AM_MAKEFLAGS) bench-python
bench-validate: %reldir%/gen-workflow$(EXEEXT) %reldir%/bench-validate$(EXEEXT)
	PYTHON3='$(PYTHON3)' $(SHELL) $(srcdir)/%reldir%/validate $(top_builddir)

# bench/discovery: 500 generated plugins of 20 targets (built once into
# bench/discovery-data/), `dapt targets --json` cold and warm beside
# Python's entry points.  PLUGINS, TARGETS, RUNS, COLD_RUNS, JOBS as for
# the script: make bench-discovery RUNS=50
bench-discovery: %reldir%/bench-run$(EXEEXT) dapt$(EXEEXT)
	PYTHON3='$(PYTHON3)' CC='$(CC)' $(SHELL) $(srcdir)/%reldir%/discovery \
	  $(top_builddir) $(abs_top_srcdir)
clean-local: bench-discovery-clean
bench-discovery-clean:
	rm -rf %reldir%/discovery-data

# bench/engine: the engine's scheduling and log throughput beside Python's
# concurrent.futures.  CHAIN, ITEMS, FAN, LINES, WIDTH, RUNS, WORKERS as for
# the script: make bench-engine RUNS=5 WORKERS=4
bench-engine: %reldir%/bench-engine$(EXEEXT) %reldir%/bench-log$(EXEEXT) \
	%reldir%/bench-run$(EXEEXT) dapt$(EXEEXT) dapt-worker$(EXEEXT) plugins-stage
	PYTHON3='$(PYTHON3)' $(SHELL) $(srcdir)/%reldir%/engine $(top_builddir) $(abs_top_srcdir)
.PHONY: bench bench-validate bench-discovery bench-discovery-clean bench-engine

# bench/bench-store: the run store's write path (1,000,000 log lines of 80
# characters in batches of 1000, queued then flushed) and its reads (first
# grep, which builds the index, later greps, every line).  LINES and BATCH
# may be set: make bench-store LINES=5000000
EXTRA_PROGRAMS += %reldir%/bench-store
%canon_reldir%_bench_store_SOURCES = %reldir%/bench-store.c
%canon_reldir%_bench_store_LDADD = libdapt-core.la $(JANSSON_LIBS)
%canon_reldir%_bench_store_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/engine $(JANSSON_CFLAGS)
CLEANFILES += %reldir%/bench-store$(EXEEXT)
bench-store: %reldir%/bench-store$(EXEEXT)
	%reldir%/bench-store $${LINES:-1000000} $${BATCH:-1000}
.PHONY: bench-store

# bench/studio-complete: the studio's completion per keystroke with 100,000
# targets (issue 5, benchmark (b) inside the process), beside a strstr +
# qsort anchor: first over names made in memory, then over the catalog the
# studio builds from 2000 real plugins (bench/studio-plugin makes them in
# bench/studio-plugins/, once; bench/studio drives the studio over the same
# folder).  PLUGINS (x 50 targets) and MAX may be set:
# make bench-studio-complete PLUGINS=4000
EXTRA_PROGRAMS += %reldir%/studio-complete
%canon_reldir%_studio_complete_SOURCES = %reldir%/studio-complete.c %reldir%/studio-names.h
%canon_reldir%_studio_complete_LDADD = $(TUI_LIBS)
%canon_reldir%_studio_complete_CPPFLAGS = $(TUI_INCLUDES)
EXTRA_DIST += %reldir%/studio-plugin %reldir%/studio-plugin.c
CLEANFILES += %reldir%/studio-complete$(EXEEXT)
bench-studio-complete: %reldir%/studio-complete$(EXEEXT)
	%reldir%/studio-complete -p $${PLUGINS:-2000} -k $${MAX:-50}
	@echo
	CC='$(CC)' $(SHELL) $(srcdir)/%reldir%/studio-plugin %reldir%/studio-plugins \
	  $${PLUGINS:-2000} >/dev/null
	%reldir%/studio-complete -r %reldir%/studio-plugins -k $${MAX:-50}
clean-local: bench-studio-plugins-clean
bench-studio-plugins-clean:
	rm -rf %reldir%/studio-plugins
.PHONY: bench-studio-complete bench-studio-plugins-clean

# bench/studio: the studio itself in tmux (issue 5): (a) key press to
# effect while a stage streams 1,000,000 log lines, beside the idle studio;
# (b) Tab to the completion popup with 100,000 targets (the plugins of
# bench/studio-plugin); (c) the studio's peak memory after a
# 1,000,000-line run.  PRESSES, COLS, ROWS, PLUGINS and KEEP=1 may be set:
# make bench-studio PRESSES=500
EXTRA_DIST += %reldir%/studio
bench-studio: dapt$(EXEEXT) plugins-stage
	py='$(PYTHON3)'; CC='$(CC)' $${py:-python3} $(srcdir)/%reldir%/studio \
	  $(abs_top_builddir) $(abs_top_srcdir)
.PHONY: bench-studio

# bench/python: Python stages and Python plugins (issue 13) in a venv of
# generated distributions: (a) a 10,000-item parameterized Python stage
# beside ProcessPoolExecutor.map, (b) a 1,000-stage chain of Python stages
# beside chained submit().result(), (c) a warm `dapt targets --json` with
# 50 Python plugins beside importlib.metadata.entry_points.  ITEMS, CHAIN,
# PLUGINS, TARGETS, RUNS, WORKERS as for the script:
# make bench-python RUNS=10
EXTRA_DIST += %reldir%/python %reldir%/python-anchor.py
bench-python: %reldir%/bench-run$(EXEEXT) dapt$(EXEEXT) dapt-worker$(EXEEXT) plugins-stage
	PYTHON3='$(PYTHON3)' $(SHELL) $(srcdir)/%reldir%/python $(top_builddir) $(abs_top_srcdir)
.PHONY: bench-python
