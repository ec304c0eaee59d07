"""Stages of the second module."""
from typing import List, Optional


def summarize(values: List[float], *args, scale: Optional[float] = None, **kwargs) -> float:
    """Sum the values, scaled.

    :param values: The numbers to add.
    :param scale: A factor applied to the sum.
    :returns: the scaled sum
    """
    total = sum(values)
    return total * scale if scale is not None else total


async def wait_and_echo(value, delay: float = 0.1):
    """Echo a value after a delay (an async stage)."""
    return value
