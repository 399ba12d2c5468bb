"""`python -m playground ...`: the headless command line (see playground/cli.py)."""
import sys

from playground.cli import main

sys.exit(main())
