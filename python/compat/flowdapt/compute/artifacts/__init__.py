"""flowdapt.compute.artifacts, served by dapt's artifacts."""
from dapt.artifacts import (  # noqa: F401
    Artifact,
    ArtifactFile,
    check_if_artifact_exists,
    get_artifact,
    list_artifacts,
    new_artifact,
)

__all__ = ["Artifact", "ArtifactFile", "get_artifact", "new_artifact", "list_artifacts",
           "check_if_artifact_exists"]
