"""The ``skmts`` command line.

``skmts compare ARGS`` compares modular, end-to-end and from-scratch setups on a dataset
(see :mod:`skmts.model_selection`); ``skmts benchmark ARGS`` is ``python -m skmts.benchmarks ARGS`` and ``skmts import-time ARGS`` is
``python -m skmts.benchmarks.import_time ARGS``; ``skmts --help`` lists the subcommands.
"""

from __future__ import annotations

import sys

_USAGE = """usage: skmts {compare,benchmark,import-time} [ARGS ...]

subcommands:
  compare       modular vs end-to-end vs from scratch on a dataset or your file (skmts compare --help)
  benchmark     measure skmts against MiniRocket and its own variants (skmts benchmark --help)
  import-time   measure what `import skmts` costs (skmts import-time --help)
"""


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, end="")
        return 0
    command, rest = argv[0], argv[1:]
    if command == "compare":
        from .model_selection._cli import main as run

        return run(rest)
    if command == "benchmark":
        from .benchmarks import main as run

        return run(rest)
    if command == "import-time":
        from .benchmarks.import_time import main as run

        return run(rest)
    print(f"skmts: unknown subcommand {command!r}\n\n{_USAGE}", end="", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
