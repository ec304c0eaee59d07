# The example workspace ships in the tarball and is used by tests.
EXTRA_DIST += %reldir%
