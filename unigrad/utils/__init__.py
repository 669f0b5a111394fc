"""``unigrad.utils``: data loading and logging."""
