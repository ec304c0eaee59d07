# dapt's own Python code (python/): the worker (dapt_worker, run as
# `INTERPRETER -m dapt_worker`, and its scanner scan.py), the `dapt`
# package a stage imports (run context, object store, dapt.testing) and
# the Flowdapt compatibility package (compat/flowdapt).  Installed as it
# is, every *.py file under python/, to $(pkgdatadir)/python (the folder
# engine/libexec.c looks in); a build tree uses the source tree's.
#
# The files are found when installing, not listed here, so a new module
# needs no change to this file; the whole folder goes into the tarball.
# At install time python/dapt/_paths.py records where the dapt program
# and its helpers are, for dapt.testing.
daptpythondir = $(pkgdatadir)/python
EXTRA_DIST += %reldir%

install-data-local: python-install
python-install:
	@$(MKDIR_P) '$(DESTDIR)$(daptpythondir)/dapt'
	@cd '$(srcdir)/%reldir%' && find . \( -name __pycache__ -o -path ./tests -o -path ./bench \) -prune -o -type f -name '*.py' -print | sed 's|^\./||' | \
	  LC_ALL=C sort | while read -r f; do \
	    d=`dirname "$$f"`; \
	    $(MKDIR_P) "$(DESTDIR)$(daptpythondir)/$$d" || exit 1; \
	    echo " $(INSTALL_DATA) $$f '$(DESTDIR)$(daptpythondir)/$$d'"; \
	    $(INSTALL_DATA) "$$f" "$(DESTDIR)$(daptpythondir)/$$d" || exit 1; \
	  done
	$(AM_V_GEN){ \
	  echo '"""Where dapt was installed (written by make install: do not edit)."""'; \
	  echo; \
	  echo 'BINDIR = "$(bindir)"'; \
	  echo 'DAPT = "$(bindir)/dapt$(EXEEXT)"'; \
	  echo 'PKGLIBEXECDIR = "$(pkglibexecdir)"'; \
	  echo 'PKGDATADIR = "$(pkgdatadir)"'; \
	  echo 'PLUGINDIR = "$(pkglibdir)/plugins"'; \
	} >'$(DESTDIR)$(daptpythondir)/dapt/_paths.py'
	@# bytecode now (best effort): a worker then starts in ~11 ms, not ~17
	-@command -v python3 >/dev/null 2>&1 && python3 -m compileall -q '$(DESTDIR)$(daptpythondir)' >/dev/null 2>&1 || true
uninstall-local: python-uninstall
python-uninstall:
	rm -rf '$(DESTDIR)$(daptpythondir)'

# No bytecode in the tarball (a test run in the source tree leaves some).
dist-hook: python-dist-hook
python-dist-hook:
	find '$(distdir)/%reldir%' -name __pycache__ -prune -exec rm -rf {} +
.PHONY: python-install python-uninstall python-dist-hook
