"""python -m rayfort.judges: synthesize the shipped environments and run every judge."""

import sys

from rayfort.judges.runner import main

sys.exit(main())
