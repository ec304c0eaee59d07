def clean(rows: list, drop_empty: bool = True) -> list:
    """Drop the empty rows."""
    return [r for r in rows if r or not drop_empty]
