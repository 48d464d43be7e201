"""``python -m tbreport`` is the ``tbreport`` command."""

from __future__ import annotations

import sys

from tbreport.cli import main

if __name__ == "__main__":
    sys.exit(main())
