"""Tests of @NAME@.

``import dapt`` (the run context, ``dapt.testing``) is dapt's own Python
package: it ships with the dapt program, not on PyPI, and dapt puts it on
the path of the stages it runs.  For the tests, when it is not importable
already, it is found through the ``dapt`` program (``$DAPT`` or ``dapt``
in PATH): ``dapt plugins python --json`` says where it is.
"""

import json
import os
import shutil
import subprocess
import sys


def _add_dapt_to_path():
    try:
        import dapt  # noqa: F401
        return
    except ImportError:
        pass
    where = os.environ.get("DAPT_PYTHON_DIR")
    program = os.environ.get("DAPT") or shutil.which("dapt")
    if not where and program:
        out = subprocess.run([program, "plugins", "python", "--json"],
                             capture_output=True, text=True, check=False).stdout
        try:
            where = json.loads(out).get("dapt_python_dir")
        except ValueError:
            where = None
    if where:
        sys.path.append(where)


_add_dapt_to_path()
