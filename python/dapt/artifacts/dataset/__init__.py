"""Dataset artifact hooks (pandas DataFrames: dataframes.py)."""
