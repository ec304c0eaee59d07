"""Needs a module that is not installed."""
