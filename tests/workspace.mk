# tests of workspaces under git (issue 6)
