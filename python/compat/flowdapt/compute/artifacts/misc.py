"""flowdapt.compute.artifacts.misc, served by dapt."""
from dapt.artifacts.misc import (  # noqa: F401
    json_from_artifact,
    json_to_artifact,
    pickle_from_artifact,
    pickle_to_artifact,
)
