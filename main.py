"""Launch GAN Studio (same as the `gan-studio` command)."""

import sys

from studio.ui.app import main

if __name__ == "__main__":
    sys.exit(main())
