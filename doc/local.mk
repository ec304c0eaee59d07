# Documentation: the man page (man1) and the user guide (in $(docdir)).
# README.md, at the top, is listed in Makefile.am.
dist_man_MANS = %reldir%/dapt.1
dist_doc_DATA = %reldir%/guide.md
