"""Stages that use only Flowdapt's API (served by dapt's compatibility
package when Flowdapt itself is not installed)."""
import logging

from flowdapt.compute import object_store
from flowdapt.compute.resources.workflow.context import get_run_context
from flowdapt.lib.errors import ResourceNotFoundError
from flowdapt.lib.logger import get_logger

logger = get_logger(__name__)
plain = logging.getLogger(__name__)


class Frame:
    """A stand-in for a pandas DataFrame: not JSON, pickled by dapt."""

    def __init__(self, rows):
        self.rows = rows

    def total(self):
        return sum(r["value"] for r in self.rows)


def create_frame(n: int = 3) -> dict:
    """Build a frame of `n` rows from the config and keep it in the store.

    Args:
        n: How many rows.
    """
    context = get_run_context()
    study = context.config["study_identifier"]
    frame = Frame([{"value": i * context.config["scale"]} for i in range(n)])
    object_store.put("frame", frame, namespace=study)
    object_store.put("meta", {"rows": n}, namespace=study, artifact_only=True)
    logger.info("Created frame", rows=n, study=study)
    plain.debug("debug detail %d", n)
    return {"rows": n, "run": str(context.run.uid)}


def use_frame(summary: dict) -> dict:
    """Read the frame back and the missing key Flowdapt's way."""
    context = get_run_context()
    study = context.config["study_identifier"]
    frame = object_store.get("frame", namespace=study)
    meta = object_store.get("meta", namespace=study, artifact_only=True)
    try:
        object_store.get("nothing", namespace=study)
        missing = "found?"
    except ResourceNotFoundError:
        missing = "ResourceNotFoundError"
    plain.info("frame total %s", frame.total())
    return {"total": frame.total(), "rows": meta["rows"], "missing": missing,
            "type": type(frame).__name__, "input": context.input.get("label"),
            "run": str(context.run.uid), "created_by": summary["run"]}


def pass_frame(n: int = 2):
    """Return the frame itself: a pickled reference to the next stage."""
    return Frame([{"value": 10}] * n)


def frame_total(frame) -> int:
    """Take the frame a Python stage returned."""
    return frame.total()
