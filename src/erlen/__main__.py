"""``python -m erlen run``: the same command line as the ``erlen`` script."""

from __future__ import annotations

from erlen.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
