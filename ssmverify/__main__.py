"""``python -m ssmverify``: the same as the ``ssmverify`` command."""

import sys

from .checks.cli import main

sys.exit(main())
