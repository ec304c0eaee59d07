"""flowdapt.lib.errors, served by dapt.errors."""
from dapt.errors import DaptError as FlowdaptError  # noqa: F401
from dapt.errors import ResourceNotFoundError  # noqa: F401

__all__ = ["ResourceNotFoundError", "FlowdaptError"]
