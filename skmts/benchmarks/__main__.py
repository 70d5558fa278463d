"""``python -m skmts.benchmarks``: see ``python -m skmts.benchmarks --help``."""

import sys

from skmts.benchmarks._cli import main

if __name__ == "__main__":
    sys.exit(main())
