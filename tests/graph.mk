# tests/graph.mk - the graph: unit tests of engine/graph.c and the CLI test
# of `dapt graph` (both formats, on the fixtures in tests/data/graph/).
check_PROGRAMS += %reldir%/unit/test-graph
TESTS += %reldir%/unit/test-graph %reldir%/cli/graph.sh
%canon_reldir%_unit_test_graph_CPPFLAGS = $(UNIT_INCLUDES)
%canon_reldir%_unit_test_graph_LDADD = $(UNIT_LIBS)
EXTRA_DIST += %reldir%/cli/graph.sh
