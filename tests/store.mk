# tests of the engine: store (issue 4)
