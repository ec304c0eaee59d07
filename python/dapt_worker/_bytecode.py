"""Bytecode for the worker's own modules when Python may not write it.

Compiling core.py costs a worker ~5 ms at every start.  Where dapt is
installed its modules are byte-compiled beside them; where they are not
(a build tree, or PYTHONDONTWRITEBYTECODE=1, which keeps __pycache__
folders out of source trees) their bytecode goes to dapt's cache,
$XDG_CACHE_HOME/dapt/pycache (~/.cache/dapt/pycache).  Only while
dapt_worker's modules are imported: the stages' modules are read and
written as the user's settings say.
"""
import os
import sys


class own:
    def __enter__(self):
        self.saved = None
        here = os.path.dirname(os.path.abspath(__file__))
        pyc = os.path.join(here, "__pycache__", "core.%s.pyc" % sys.implementation.cache_tag)
        if not sys.dont_write_bytecode or sys.pycache_prefix is not None or os.path.exists(pyc):
            return self
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        if not os.path.isabs(base):
            return self
        self.saved = (sys.dont_write_bytecode, sys.pycache_prefix)
        sys.pycache_prefix = os.path.join(base, "dapt", "pycache")
        sys.dont_write_bytecode = False
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            sys.dont_write_bytecode, sys.pycache_prefix = self.saved
        return False
