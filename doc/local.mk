dist_man_MANS = %reldir%/dapt.1
