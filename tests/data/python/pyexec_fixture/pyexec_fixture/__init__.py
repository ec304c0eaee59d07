"""Python stages for the engine's execution tests."""
