# tests/graph.mk
