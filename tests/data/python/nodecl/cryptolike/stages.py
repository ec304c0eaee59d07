def fetch(symbol: str, days: int = 7) -> dict:
    """Prices of a symbol."""
    return {"symbol": symbol, "days": days}


def pair(symbol: str, other: str, days: int = 7) -> dict:
    """Prices of two symbols."""
    return {"symbols": [symbol, other], "days": days}
