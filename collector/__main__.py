"""`python -m collector` runs the exporter."""

import sys

from collector.cli import main

sys.exit(main())
