"""Stages of the first module."""
import json  # an import: json.dumps is not one of this module's targets
from json import dumps


def my_stage(city: str, days: int = 7, verbose: bool = False) -> dict:
    """Fetch a forecast for a city.

    Args:
        city: The name of the city.
        days: How many days to forecast,
            counted from today.
        verbose (bool): Log each request.

    Returns:
        The forecast as a mapping.
    """
    return {"city": city, "days": days, "verbose": verbose, "text": dumps(city)}


def _helper(x):
    return json.loads(x)
