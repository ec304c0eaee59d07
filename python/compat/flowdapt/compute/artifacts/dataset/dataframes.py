"""flowdapt.compute.artifacts.dataset.dataframes, served by dapt (pandas
is imported when a hook runs)."""
from dapt.artifacts.dataset.dataframes import (  # noqa: F401
    dataframe_from_artifact,
    dataframe_to_artifact,
)
