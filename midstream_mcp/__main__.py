"""``python -m midstream_mcp``: see :mod:`midstream_mcp.cli`."""

import sys

from midstream_mcp.cli import main

sys.exit(main())
