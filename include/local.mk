# Public headers: the plugin ABI and the embedding API.
daptincludedir = $(includedir)/dapt
daptinclude_HEADERS = %reldir%/dapt/dapt.h %reldir%/dapt/plugin.h
