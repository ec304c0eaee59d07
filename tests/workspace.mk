# tests of workspaces under git (issue 6)

# stagediff (engine/stagediff.c) and the workspace commands (cli/cmd-workspace.c).
check_PROGRAMS += tests/unit/test-stagediff
TESTS += tests/unit/test-stagediff tests/cli/workspace.sh
EXTRA_DIST += tests/cli/workspace.sh
tests_unit_test_stagediff_CPPFLAGS = $(UNIT_INCLUDES)
tests_unit_test_stagediff_LDADD = $(UNIT_LIBS)

# The git layer: engine/workspace.c running the helper cli/dapt-git.c of
# the build tree on temporary repositories (the test links libgit2 only to
# make a bare repository).
check_PROGRAMS += tests/unit/test-workspace
TESTS += tests/unit/test-workspace
tests_unit_test_workspace_CPPFLAGS = $(UNIT_INCLUDES) $(LIBGIT2_CFLAGS) \
	-DTOP_BUILDDIR='"$(abs_top_builddir)"'
tests_unit_test_workspace_LDADD = $(UNIT_LIBS) $(LIBGIT2_LIBS)
