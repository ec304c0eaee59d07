# tests of the engine: engine (issue 4)
