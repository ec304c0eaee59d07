"""dapt's Python API for stages: `import dapt` inside a stage run by dapt.

    dapt.get_run_context()   the run: input, config, namespace, run, ...
    dapt.object_store        put / get / delete / exists
    dapt.artifacts           persistent artifacts (folders of files)
    dapt.logger.get_logger   structlog-style logging
    dapt.testing             execute_workflow for a plugin's tests
    dapt.errors              ResourceNotFoundError, WorkflowFailed

Submodules are imported when first used, so `import dapt` costs little.
"""

from dapt.context import RunContext, get_run_context  # noqa: F401
from dapt.errors import ResourceNotFoundError, WorkflowFailed  # noqa: F401

__all__ = ["get_run_context", "RunContext", "object_store", "artifacts", "logger", "testing",
           "errors", "ResourceNotFoundError", "WorkflowFailed"]

_LAZY = ("object_store", "artifacts", "logger", "testing")


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module("dapt." + name)
    raise AttributeError("module 'dapt' has no attribute %r" % name)
