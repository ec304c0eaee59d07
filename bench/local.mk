# Benchmarks: `make bench` builds and runs them; never part of `make check`.
# The programs are EXTRA_PROGRAMS, so a plain `make` does not build them.
EXTRA_PROGRAMS = %reldir%/gen-workflow %reldir%/bench-validate

%canon_reldir%_gen_workflow_SOURCES = %reldir%/gen-workflow.c

%canon_reldir%_bench_validate_SOURCES = %reldir%/bench-validate.c
%canon_reldir%_bench_validate_LDADD = libdapt-core.la $(JANSSON_LIBS)
%canon_reldir%_bench_validate_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)

EXTRA_DIST += %reldir%/validate
CLEANFILES += %reldir%/gen-workflow$(EXEEXT) %reldir%/bench-validate$(EXEEXT) \
	%reldir%/workflow-*.yaml

# STAGES, RUNS, SEED and PYTHON3 may be set on the command line or in the
# environment: make bench STAGES=50000 RUNS=5
bench: %reldir%/gen-workflow$(EXEEXT) %reldir%/bench-validate$(EXEEXT)
	PYTHON3='$(PYTHON3)' $(SHELL) $(srcdir)/%reldir%/validate $(top_builddir)
.PHONY: bench
