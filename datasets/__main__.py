"""Command line entry: `python -m datasets mnist [folder]` downloads an IDX set ahead of time."""

import sys

from .idx import main

sys.exit(main())
