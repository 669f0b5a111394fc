"""A unigrad backend over the Python Array API standard."""
from .backend import ArrayApiBackend

__all__ = ["ArrayApiBackend"]
