# tests/python.mk - Python plugins: discovery and the catalog, with real
# distributions (tests/data/python/) installed by the test into a venv of
# Debian's /usr/bin/python3 (skipped without python3-venv).  The suite
# runs with DAPT_PYTHON=none (tests/local.mk); these tests name their
# interpreter.
TESTS += %reldir%/cli/python-plugins.sh
EXTRA_DIST += %reldir%/cli/python-plugins.sh
# The studio with a Python plugin: its detail and completion.
TESTS += %reldir%/tui/python.sh
EXTRA_DIST += %reldir%/tui/python.sh
# dapt's own Python code (python/tests): the worker over real frames, the
# dapt package's API.
TESTS += %reldir%/cli/python-unit.sh
EXTRA_DIST += %reldir%/cli/python-unit.sh
# A plugin written for Flowdapt (its imports, config, object store,
# logging) runs unchanged.
TESTS += %reldir%/cli/python-flowdapt.sh
EXTRA_DIST += %reldir%/cli/python-flowdapt.sh
