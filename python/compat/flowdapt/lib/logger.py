"""flowdapt.lib.logger, served by dapt.logger (structlog style)."""
from dapt.logger import BoundLogger, get_logger  # noqa: F401

__all__ = ["get_logger", "BoundLogger"]
