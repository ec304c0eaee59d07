# tests/corpus.mk - the loader against the YAML corpus: every file of
# tests/data/bad/ must give exactly the diagnostics its `# expect:` lines
# list, every file of tests/data/good/ none (tests/unit/test-corpus.c).
# The data folder itself is in EXTRA_DIST through tests/local.mk.
check_PROGRAMS += %reldir%/unit/test-corpus
TESTS += %reldir%/unit/test-corpus
%canon_reldir%_unit_test_corpus_CPPFLAGS = $(UNIT_INCLUDES)
%canon_reldir%_unit_test_corpus_LDADD = $(UNIT_LIBS)
