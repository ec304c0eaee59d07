# Documentation: the man pages (dapt.1, dapt-plugin.7) and the user guide (in $(docdir)).
# README.md, at the top, is listed in Makefile.am.
dist_man_MANS = %reldir%/dapt.1 %reldir%/dapt-plugin.7
dist_doc_DATA = %reldir%/guide.md
