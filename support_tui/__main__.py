"""``python -m support_tui`` runs the command line."""

import sys

from support_tui.cli import main

sys.exit(main())
