# tests/python.mk - Python plugins: discovery and the catalog, with real
# distributions (tests/data/python/) installed by the test into a venv of
# Debian's /usr/bin/python3 (skipped without python3-venv).  The suite
# runs with DAPT_PYTHON=none (tests/local.mk); these tests name their
# interpreter.
TESTS += %reldir%/cli/python-plugins.sh
EXTRA_DIST += %reldir%/cli/python-plugins.sh
