"""flowdapt.compute.resources.workflow.context, served by dapt."""
from dapt.context import RunContext as WorkflowRunContext  # noqa: F401
from dapt.context import get_run_context  # noqa: F401

__all__ = ["get_run_context", "WorkflowRunContext"]
