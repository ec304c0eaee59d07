"""The exceptions of dapt's Python API (flowdapt.lib.errors re-exports them)."""


class DaptError(Exception):
    """Base of dapt's own errors."""


class ResourceNotFoundError(DaptError, LookupError):
    """No such object (object store) or artifact.  A LookupError, as the
    KeyError Flowdapt's cluster memory raises is."""


class ObjectStoreError(DaptError):
    """The object store refused a request (a bad key, no workspace, ...)."""


class NoRunContext(DaptError, RuntimeError):
    """dapt's run context was asked for outside a stage."""


class WorkflowFailed(DaptError):
    """dapt.testing.execute_workflow: the run failed (the message says
    which stage and why; .record is the run record)."""

    def __init__(self, message, record=None):
        super().__init__(message)
        self.record = record
