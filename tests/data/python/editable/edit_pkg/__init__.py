def first(x: int) -> int:
    """The first version."""
    return x
