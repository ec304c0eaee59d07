"""Acme's tools."""
