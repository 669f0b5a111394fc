"""Layer classes of ``unigrad.nn``."""
