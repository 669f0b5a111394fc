"""``python -m unigrad``: print the backends found, then train a tiny model."""
import sys

from .cli import main

sys.exit(main())
