"""Statement parsers: every format yields the same normalised rows (see base.py)."""
