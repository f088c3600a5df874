"""``python -m studio.cli`` (and ``torchrun ... -m studio.cli train``): the `studio` command."""

import sys

from . import main

sys.exit(main())
