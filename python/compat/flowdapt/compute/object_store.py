"""flowdapt.compute.object_store, served by dapt's object store."""
from dapt.object_store import delete, exists, get, put  # noqa: F401

__all__ = ["put", "get", "delete", "exists"]
