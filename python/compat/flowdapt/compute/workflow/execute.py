"""flowdapt.compute.workflow.execute, served by dapt.testing: the workflow
runs through dapt's engine."""
from dapt.testing import execute_workflow  # noqa: F401

__all__ = ["execute_workflow"]
