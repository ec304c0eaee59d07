# Benchmarks: `make bench` builds and runs them; never part of `make check`.
# The programs are EXTRA_PROGRAMS, so a plain `make` does not build them.
EXTRA_PROGRAMS = %reldir%/gen-workflow %reldir%/bench-validate %reldir%/bench-run

%canon_reldir%_gen_workflow_SOURCES = %reldir%/gen-workflow.c

%canon_reldir%_bench_validate_SOURCES = %reldir%/bench-validate.c
%canon_reldir%_bench_validate_LDADD = libdapt-core.la $(JANSSON_LIBS)
%canon_reldir%_bench_validate_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)

%canon_reldir%_bench_run_SOURCES = %reldir%/bench-run.c

EXTRA_DIST += %reldir%/validate %reldir%/discovery
CLEANFILES += %reldir%/gen-workflow$(EXEEXT) %reldir%/bench-validate$(EXEEXT) \
	%reldir%/workflow-*.yaml %reldir%/bench-run$(EXEEXT)

# STAGES, RUNS, SEED and PYTHON3 may be set on the command line or in the
# environment: make bench STAGES=50000 RUNS=5
# One after the other, whatever -j says: each times its own runs.
bench:
	$(MAKE) $(AM_MAKEFLAGS) bench-validate
	@echo
	$(MAKE) $(AM_MAKEFLAGS) bench-discovery
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
.PHONY: bench bench-validate bench-discovery bench-discovery-clean
