# tests/user-modules.mk - user modules (engine/user-modules.c: compile on
# demand, the content-keyed cache, compiler messages, the merged plugin)
# and `dapt plugins install|uninstall` (cli/cmd-plugins-install.c).
check_PROGRAMS += %reldir%/unit/test-user-modules
TESTS += %reldir%/unit/test-user-modules %reldir%/cli/plugins-install.sh \
	%reldir%/cli/plugins-install-python.sh \
	%reldir%/cli/user-modules.sh
%canon_reldir%_unit_test_user_modules_CPPFLAGS = $(UNIT_INCLUDES)
%canon_reldir%_unit_test_user_modules_LDADD = $(UNIT_LIBS)
EXTRA_DIST += %reldir%/cli/user-modules.sh %reldir%/cli/plugins-install.sh \
	%reldir%/cli/plugins-install-python.sh
