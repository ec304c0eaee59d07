# The shipped colour themes (tui/theme.c reads them; "default" and "mono"
# are also compiled in, so the studio works without any file).
themesdir = $(pkgdatadir)/themes
dist_themes_DATA = \
	%reldir%/default.yaml \
	%reldir%/light.yaml \
	%reldir%/high-contrast.yaml \
	%reldir%/mono.yaml
