# tests of the engine: objects (issue 4)
