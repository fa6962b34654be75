"""Entry point for ``python -m xcert_app``."""

import sys

from xcert_app.cli import main

sys.exit(main())
