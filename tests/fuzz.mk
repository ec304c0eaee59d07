# tests/fuzz.mk
