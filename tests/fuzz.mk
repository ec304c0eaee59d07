# tests/fuzz.mk - `make fuzz`: libFuzzer on the resource loader.  Not part of
# `make check`.  The fuzzer is built with $(CLANG) from the engine's sources
# directly (instrumented, with ASan, UBSan and LeakSanitizer), not from
# libdapt-core.la, which the project's compiler built without coverage.
#
#   make fuzz                      run for FUZZ_SECONDS (default 60)
#   make fuzz FUZZ_SECONDS=300
#   make fuzz-clean                forget the corpus grown so far
#
# The corpus lives in the build tree (tests/fuzz/corpus): the seeds are
# copied into it on every run and what libFuzzer finds stays there, so the
# next run starts from where this one stopped.  Crashes, leaks and timeouts
# are written to tests/fuzz/artifacts/.  DAPT_FUZZ_LAX_MESSAGES=1 in the
# environment skips the one-line-message check (see fuzz-load.c).

FUZZ_SECONDS = 60
FUZZ_CFLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1
FUZZ_OPTIONS = -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
FUZZ_CORPUS = %reldir%/fuzz/corpus
FUZZ_ARTIFACTS = %reldir%/fuzz/artifacts
FUZZ_SEEDS = tests/data/good tests/data/bad examples/workflows examples/configs examples/triggers

EXTRA_DIST += %reldir%/fuzz/fuzz-load.c %reldir%/fuzz/fuzz-load.dict
CLEANFILES += %reldir%/fuzz/fuzz-load$(EXEEXT)

%reldir%/fuzz/fuzz-load$(EXEEXT): %reldir%/fuzz/fuzz-load.c $(libdapt_core_la_SOURCES) \
		include/dapt/dapt.h config.h
	@if test -z "$(CLANG)"; then \
	  echo "make fuzz: needs clang with libFuzzer:" >&2; \
	  echo "  apt-get install -y clang libclang-rt-14-dev  and run configure again" >&2; \
	  exit 1; \
	fi
	@$(MKDIR_P) %reldir%/fuzz
	$(AM_V_CC)srcs=; \
	for f in $(libdapt_core_la_SOURCES); do \
	  case $$f in *.c) srcs="$$srcs $(srcdir)/$$f";; esac; \
	done; \
	$(CLANG) $(FUZZ_CFLAGS) -DHAVE_CONFIG_H -I$(top_builddir) -I$(srcdir)/include \
	  -I$(srcdir)/engine $(YAML_CFLAGS) $(JANSSON_CFLAGS) \
	  -o $@ $(srcdir)/%reldir%/fuzz/fuzz-load.c $$srcs $(YAML_LIBS) $(JANSSON_LIBS) -lm \
	|| { echo "make fuzz: the fuzzer did not build; is libFuzzer installed?" \
	  "(apt-get install -y libclang-rt-14-dev)" >&2; exit 1; }

fuzz: %reldir%/fuzz/fuzz-load$(EXEEXT)
	@$(MKDIR_P) $(FUZZ_CORPUS) $(FUZZ_ARTIFACTS)
	@for d in $(FUZZ_SEEDS); do \
	  test -d $(srcdir)/$$d || continue; \
	  prefix=`echo $$d | tr / -`; \
	  for f in `find $(srcdir)/$$d -type f -name '*.y*ml'`; do \
	    cp "$$f" "$(FUZZ_CORPUS)/$$prefix-`basename $$f`"; \
	  done; \
	done
	@echo "fuzz: $(FUZZ_SECONDS) s on `ls $(FUZZ_CORPUS) | wc -l` corpus files"
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  %reldir%/fuzz/fuzz-load$(EXEEXT) $(FUZZ_OPTIONS) -max_total_time=$(FUZZ_SECONDS) \
	  -dict=$(srcdir)/%reldir%/fuzz/fuzz-load.dict -artifact_prefix=$(FUZZ_ARTIFACTS)/ \
	  $(FUZZ_CORPUS) \
	|| { echo "fuzz: found a problem; the input is in $(FUZZ_ARTIFACTS)/." >&2; \
	  echo "  reproduce: %reldir%/fuzz/fuzz-load FILE" >&2; \
	  echo "  minimise:  %reldir%/fuzz/fuzz-load -minimize_crash=1 -runs=20000 FILE" >&2; \
	  exit 1; }

fuzz-clean:
	rm -rf $(FUZZ_CORPUS) $(FUZZ_ARTIFACTS) %reldir%/fuzz/fuzz-load$(EXEEXT)

.PHONY: fuzz fuzz-clean
