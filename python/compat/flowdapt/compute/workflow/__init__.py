"""dapt compatibility package (see flowdapt/__init__.py)."""
