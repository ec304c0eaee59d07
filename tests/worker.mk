# tests of the engine: worker (issue 4)
