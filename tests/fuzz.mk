# tests/fuzz.mk - the fuzz targets: libFuzzer entries in tests/fuzz/.
#
#   fuzz-load     the resource loader: any YAML file (fuzz-load.c)
#   fuzz-trigger  trigger rules: the loader's checks of kind: trigger_rule,
#                 the workspace checks, the rules evaluated (fuzz-trigger.c)
#   fuzz-input    a run's --input-json / --input K=V (fuzz-input.c)
#
# `make fuzz` runs them under libFuzzer; it is not part of `make check`.
# The fuzzers are built with $(CLANG) from the engine's sources directly
# (instrumented, with ASan, UBSan and LeakSanitizer), not from
# libdapt-core.la, which the project's compiler built without coverage.
#
#   make fuzz                      each target for FUZZ_SECONDS (default 60)
#   make fuzz FUZZ_SECONDS=300
#   make fuzz FUZZ_TARGETS=fuzz-trigger    only some of them
#   make fuzz-build                build the fuzzers, run nothing
#   make fuzz-clean                forget the corpus grown so far
#
# Each target's corpus lives in the build tree (tests/fuzz/corpus/TARGET):
# its seeds are copied into it on every run and what libFuzzer finds stays
# there, so the next run starts from where this one stopped.  Crashes,
# leaks and timeouts are written to tests/fuzz/artifacts/.
# DAPT_FUZZ_LAX_MESSAGES=1 in the environment skips fuzz-load's
# one-line-message check (see fuzz-load.c).
#
# `make check` builds the same entries with the project's compiler and
# tests/fuzz/replay.c as main() (tests/fuzz/replay-TARGET), and
# tests/fuzz/replay.sh replays every target's seeds and the inputs of
# tests/data/fuzz-crashes/ through them: in the sanitized build of
# ./bootstrap check, under ASan and UBSan.

FUZZ_SECONDS = 60
FUZZ_TARGETS = fuzz-load fuzz-trigger fuzz-input
FUZZ_CFLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1
FUZZ_OPTIONS = -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
FUZZ_CORPUS = %reldir%/fuzz/corpus
FUZZ_ARTIFACTS = %reldir%/fuzz/artifacts
# Seeds: folders (their *.yaml / *.yml files) or, for fuzz-input, files.
FUZZ_SEEDS_fuzz_load = tests/data/good tests/data/bad tests/data/fuzz-crashes \
	examples/workflows examples/configs examples/triggers
FUZZ_SEEDS_fuzz_trigger = examples/triggers tests/fuzz/seeds/trigger \
	tests/data/good/catalog-triggers.yaml tests/data/good/trigger-condition-params.yaml \
	tests/data/good/trigger-cron-forms.yaml tests/data/good/multi-doc-all-kinds.yaml \
	tests/data/bad/trigger-action-missing.yaml \
	tests/data/bad/trigger-condition-unknown-operator.yaml \
	tests/data/bad/trigger-cron-out-of-range.yaml
FUZZ_SEEDS_fuzz_input = tests/fuzz/seeds/input

EXTRA_DIST += %reldir%/fuzz/fuzz-load.c %reldir%/fuzz/fuzz-load.dict \
	%reldir%/fuzz/fuzz-trigger.c %reldir%/fuzz/fuzz-trigger.dict \
	%reldir%/fuzz/fuzz-input.c %reldir%/fuzz/fuzz-input.dict \
	%reldir%/fuzz/replay.c %reldir%/fuzz/replay.sh %reldir%/fuzz/seeds
CLEANFILES += %reldir%/fuzz/fuzz-load$(EXEEXT) %reldir%/fuzz/fuzz-trigger$(EXEEXT) \
	%reldir%/fuzz/fuzz-input$(EXEEXT)

# The fuzzer of tests/fuzz/$@.c, linked with everything libdapt-core links.
FUZZ_LINK = \
	if test -z "$(CLANG)"; then \
	  echo "make fuzz: needs clang with libFuzzer:" >&2; \
	  echo "  apt-get install -y clang libclang-rt-14-dev  and run configure again" >&2; \
	  exit 1; \
	fi; \
	$(MKDIR_P) %reldir%/fuzz; \
	srcs=; \
	for f in $(libdapt_core_la_SOURCES); do \
	  case $$f in *.c) srcs="$$srcs $(srcdir)/$$f";; esac; \
	done; \
	$(CLANG) $(FUZZ_CFLAGS) -DHAVE_CONFIG_H $(libdapt_core_la_CPPFLAGS) -I$(srcdir)/engine \
	  -o $@ $(srcdir)/$@.c $$srcs $(libdapt_core_la_LIBADD) \
	|| { echo "make fuzz: $@ did not build; is libFuzzer installed?" \
	  "(apt-get install -y libclang-rt-14-dev)" >&2; exit 1; }

FUZZ_DEPS = $(libdapt_core_la_SOURCES) include/dapt/dapt.h config.h
%reldir%/fuzz/fuzz-load$(EXEEXT): %reldir%/fuzz/fuzz-load.c $(FUZZ_DEPS)
	$(AM_V_CC)$(FUZZ_LINK)
%reldir%/fuzz/fuzz-trigger$(EXEEXT): %reldir%/fuzz/fuzz-trigger.c $(FUZZ_DEPS)
	$(AM_V_CC)$(FUZZ_LINK)
%reldir%/fuzz/fuzz-input$(EXEEXT): %reldir%/fuzz/fuzz-input.c $(FUZZ_DEPS)
	$(AM_V_CC)$(FUZZ_LINK)

fuzz-build:
	@for t in $(FUZZ_TARGETS); do \
	  $(MAKE) $(AM_MAKEFLAGS) %reldir%/fuzz/$$t$(EXEEXT) || exit 1; \
	done

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  corpus=$(FUZZ_CORPUS)/$$t; \
	  $(MKDIR_P) $$corpus $(FUZZ_ARTIFACTS) || exit 1; \
	  case $$t in \
	    fuzz-load) seeds="$(FUZZ_SEEDS_fuzz_load)";; \
	    fuzz-trigger) seeds="$(FUZZ_SEEDS_fuzz_trigger)";; \
	    fuzz-input) seeds="$(FUZZ_SEEDS_fuzz_input)";; \
	    *) seeds=;; \
	  esac; \
	  for d in $$seeds; do \
	    prefix=`echo $$d | tr / -`; \
	    if test -f $(srcdir)/$$d; then \
	      cp "$(srcdir)/$$d" "$$corpus/$$prefix"; \
	    elif test -d $(srcdir)/$$d; then \
	      for f in `find $(srcdir)/$$d -type f`; do \
	        cp "$$f" "$$corpus/$$prefix-`basename $$f`"; \
	      done; \
	    fi; \
	  done; \
	  echo "fuzz: $$t, $(FUZZ_SECONDS) s on `ls $$corpus | wc -l` corpus files"; \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    %reldir%/fuzz/$$t$(EXEEXT) $(FUZZ_OPTIONS) -max_total_time=$(FUZZ_SECONDS) \
	    -dict=$(srcdir)/%reldir%/fuzz/$$t.dict -artifact_prefix=$(FUZZ_ARTIFACTS)/$$t- \
	    $$corpus \
	  || { echo "fuzz: $$t found a problem; the input is in $(FUZZ_ARTIFACTS)/." >&2; \
	    echo "  reproduce: %reldir%/fuzz/$$t FILE" >&2; \
	    echo "  minimise:  %reldir%/fuzz/$$t -minimize_crash=1 -runs=20000 FILE" >&2; \
	    exit 1; }; \
	done

fuzz-clean:
	rm -rf $(FUZZ_CORPUS) $(FUZZ_ARTIFACTS) %reldir%/fuzz/fuzz-load$(EXEEXT) \
	  %reldir%/fuzz/fuzz-trigger$(EXEEXT) %reldir%/fuzz/fuzz-input$(EXEEXT)

.PHONY: fuzz fuzz-build fuzz-clean

# make check: the same entries, built by the project's compiler with a
# main() that replays files (no libFuzzer), and replay.sh.
check_PROGRAMS += %reldir%/fuzz/replay-load %reldir%/fuzz/replay-trigger \
	%reldir%/fuzz/replay-input
TESTS += %reldir%/fuzz/replay.sh
%canon_reldir%_fuzz_replay_load_SOURCES = %reldir%/fuzz/fuzz-load.c %reldir%/fuzz/replay.c
%canon_reldir%_fuzz_replay_load_CPPFLAGS = $(UNIT_INCLUDES)
%canon_reldir%_fuzz_replay_load_LDADD = $(UNIT_LIBS)
%canon_reldir%_fuzz_replay_trigger_SOURCES = %reldir%/fuzz/fuzz-trigger.c %reldir%/fuzz/replay.c
%canon_reldir%_fuzz_replay_trigger_CPPFLAGS = $(UNIT_INCLUDES)
%canon_reldir%_fuzz_replay_trigger_LDADD = $(UNIT_LIBS)
%canon_reldir%_fuzz_replay_input_SOURCES = %reldir%/fuzz/fuzz-input.c %reldir%/fuzz/replay.c
%canon_reldir%_fuzz_replay_input_CPPFLAGS = $(UNIT_INCLUDES)
%canon_reldir%_fuzz_replay_input_LDADD = $(UNIT_LIBS)
