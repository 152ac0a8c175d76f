"""`python -m bk ...`: the command-line entry point."""

import sys

from bk.cli import main

sys.exit(main())
