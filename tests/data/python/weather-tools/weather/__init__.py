"""Weather stages."""
from __future__ import annotations


def fetch(city: str, days: int = 3, units: str = "metric") -> list[dict]:
    """Fetch hourly observations.

    Args:
        city: Where.
        days: How many days back.
    """
    return [{"city": city, "day": d, "units": units} for d in range(days)]
