"""``python -m synthetic_probes``: the probe-runner component."""

import sys

from synthetic_probes.service import main

sys.exit(main())
