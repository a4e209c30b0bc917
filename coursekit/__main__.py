"""``python -m coursekit``: the instructor command line."""

from .cli import main

raise SystemExit(main())
