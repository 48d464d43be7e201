"""``python -m tbreport`` is the ``tbreport`` command."""

from __future__ import annotations

from tbreport.cli import program

if __name__ == "__main__":
    program()
