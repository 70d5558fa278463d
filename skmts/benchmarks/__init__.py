"""Benchmarks of skmts against MiniRocket and its own variants, on sktime's shipped datasets.

Run ``python -m skmts.benchmarks --suite {classification,ablation,missing,e2e,all}``
(``--help`` lists the options; ``--quick`` is a smoke test). Every job runs in its own
process and is saved as soon as it finishes, so an interrupted run resumes where it
stopped; the tables go to stdout and to the suite's section of ``docs/benchmarks.md``.

Nothing heavy is imported here: sktime, PyPOTS and matplotlib load inside the jobs.
"""

from ._cli import main

__all__ = ["main"]
