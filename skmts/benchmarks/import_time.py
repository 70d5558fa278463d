"""Measure what ``import skmts`` costs beyond ``import torch, sklearn.base``.

Run ``python -m skmts.benchmarks.import_time [--repeats N] [--docs PATH]``. Each import
runs in a fresh interpreter, alternating the two statements, ``--repeats`` times; the
table reports the median wall time of each, the difference, whether ``import skmts``
printed anything and which heavy optional packages it loaded.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import statistics
import subprocess
import sys

from . import _report

_PROBE = r"""
import io, json, sys, time, contextlib
buf = io.StringIO()
t = time.perf_counter()
with contextlib.redirect_stdout(buf):
    {stmt}
elapsed = time.perf_counter() - t
heavy = [m for m in ("pypots", "sktime", "optuna", "matplotlib", "skorch") if m in sys.modules]
sys.__stdout__.write(json.dumps({{"s": elapsed, "printed": buf.getvalue(), "heavy": heavy}}))
"""

STATEMENTS = {
    "torch + sklearn.base": "import torch, sklearn.base",
    "skmts": "import skmts",
}


def _run(stmt: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(stmt=stmt)],
        capture_output=True, text=True, check=True,
    )
    return {**json.loads(out.stdout), "stderr": out.stderr}


def measure(repeats: int = 5) -> dict:
    """Median import seconds per statement, plus what ``import skmts`` printed or loaded."""
    times = {name: [] for name in STATEMENTS}
    last = {}
    for _ in range(repeats):
        for name, stmt in STATEMENTS.items():
            res = _run(stmt)
            times[name].append(res["s"])
            last[name] = res
    med = {name: statistics.median(v) for name, v in times.items()}
    return {
        "median_s": med,
        "extra_s": med["skmts"] - med["torch + sklearn.base"],
        "printed": last["skmts"]["printed"] + last["skmts"]["stderr"],
        "heavy_loaded": last["skmts"]["heavy"],
        "repeats": repeats,
    }


def table(res: dict) -> str:
    rows = [f"| `{STATEMENTS[n]}` | {s:.2f} |" for n, s in res["median_s"].items()]
    return "\n".join([
        "| statement (fresh interpreter) | median seconds |",
        "|---|---|",
        *rows,
        "",
        f"- `import skmts` costs **{res['extra_s']:+.2f} s** beyond `import torch, sklearn.base` "
        "(target: < 0.5 s).",
        f"- Output printed by `import skmts`: {repr(res['printed']) if res['printed'] else 'none'}.",
        "- Optional packages loaded by `import skmts` (of pypots, sktime, optuna, matplotlib, "
        f"skorch): {', '.join(res['heavy_loaded']) or 'none'}.",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skmts.benchmarks.import_time",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--docs", metavar="PATH", help="also write the section into this page")
    args = parser.parse_args(argv)
    res = measure(args.repeats)
    body = table(res)
    print(body)
    if args.docs:
        command = shlex.join(["python", "-m", "skmts.benchmarks.import_time",
                              *(argv if argv is not None else sys.argv[1:])])
        begin, end = _report._markers("import")
        date = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        section = "\n".join([
            begin, "## Import time", "", f"- Command: `{command}`", f"- Date: {date}",
            f"- Repeats: {res['repeats']} fresh interpreters per statement, alternating", "",
            body, end,
        ])
        _report.write_docs(args.docs, "import", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
