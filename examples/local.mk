# The example workspace ships in the tarball and is used by tests; not
# what running it leaves behind (its run store and the venv of its Python
# plugin in .dapt/, pip's build folders in python/*/).
EXTRA_DIST += %reldir%
dist-hook: examples-dist-hook
examples-dist-hook:
	rm -rf '$(distdir)/%reldir%/.dapt'
	find '$(distdir)/%reldir%' \( -name __pycache__ -o -name '*.egg-info' -o -path '*/python/*/build' \) \
	  -prune -exec rm -rf {} +
.PHONY: examples-dist-hook
