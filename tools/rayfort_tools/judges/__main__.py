"""python -m rayfort_tools.judges: synthesize the shipped environments and run every judge."""

import sys

from rayfort_tools.judges.runner import main

sys.exit(main())
