"""Turn measured job records into a docs section and the e2e plot.

Every number printed here is read from a job record (the JSON-lines results file): the
report never computes a result of its own beyond means, standard deviations and ratios.
The tables themselves are built in ``_tables`` (with the helpers of ``_format``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from ._format import _ordered
from ._tables import suite_tables

__all__ = ["suite_tables", "suite_section", "replace_section", "write_docs", "plot_e2e"]

TITLES = {
    "classification": "Classification: DMAE vs MiniRocket",
    "ablation": "DMAE ablation",
    "missing": "Missing values: frozen imputers, DMAE and MiniRocket on interpolated data",
    "e2e": "Modular vs end-to-end, by fraction of labelled training data",
    "long": "Long series: DMAE's fit time and memory",
    "inference": "Inference at scale: transform throughput and memory",
    "regression": "Regression: which head a frozen backbone needs",
    "transfer": "Transfer: pretrained on one dataset, classifying another",
    "sktime": "sktime's benchmarking: skmts adapters beside sktime's classifiers",
}

_DOCS_HEADER = """# Benchmarks

Every table on this page is written by `python -m skmts.benchmarks` from measured results
(the JSON-lines files in its `--results-dir`); each section states the command, date,
machine and number of seeds that produced it. Rerunning a suite replaces its section only.
"""


def _markers(suite: str) -> tuple[str, str]:
    return f"<!-- skmts-benchmarks:{suite}:begin -->", f"<!-- skmts-benchmarks:{suite}:end -->"


def _machine_line(machine: dict) -> str:
    cores = machine.get("cores")
    avail = machine.get("cores_available")
    core_txt = f"{cores} cores" if avail in (None, cores) else f"{avail} of {cores} cores"
    parts = [f"{core_txt} ({machine.get('cpu', 'unknown CPU')})",
             f"torch {machine.get('torch')}",
             f"{machine.get('torch_threads')} torch threads",
             f"device {machine.get('device')}"]
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if machine.get(var):
            parts.append(f"{var}={machine[var]}")
    return ", ".join(parts)


def suite_section(suite: str, records: list[dict], *, command: str, n_seeds: int,
                  date: str, image: str | None = None, quick: bool = False,
                  n_planned: int | None = None, report_only: bool = False) -> str:
    """The docs section of a suite, with its markers.

    With ``report_only`` the section is rebuilt from stored results by ``command``, which
    measured nothing: the commands that measured them are named instead."""
    begin, end = _markers(suite)
    ok = [r for r in records if r.get("status") == "ok"]
    machines = []
    for rec in ok:
        line = _machine_line(rec.get("machine", {}))
        if line not in machines:
            machines.append(line)
    finished = sorted(r["finished"] for r in ok if r.get("finished"))
    span = f"{finished[0][:10]} to {finished[-1][:10]}" if finished else "–"
    earlier = []
    for rec in ok:
        cmd = rec.get("command")
        if cmd and cmd != command and cmd not in earlier:
            earlier.append(cmd)
    if report_only:
        head = ["- Measured by: " + (", ".join(f"`{c}`" for c in earlier) or "–"),
                f"- Tables rebuilt from the stored results by: `{command}`"]
    else:
        head = [f"- Command: `{command}`",
                *(["- Some of these results were measured by earlier runs of: "
                   + ", ".join(f"`{c}`" for c in earlier)] if earlier else [])]
    lines = [
        begin,
        f"## {TITLES.get(suite, suite)}",
        "",
        *(["> **Smoke run with `--quick` budgets: not a measurement.**", ""] if quick else []),
        *head,
        f"- Date: {date} (jobs finished {span}, UTC)",
        f"- Machine: {'; '.join(machines) if machines else '–'}",
        f"- Seeds: {n_seeds}; jobs: {len(ok)} finished, {len(records) - len(ok)} failed"
        + (f", {n_planned - len(records)} not run yet" if n_planned and n_planned > len(records)
           else ""),
        "",
        suite_tables(suite, records),
    ]
    if image:
        lines += ["", f"![Accuracy against fraction of labelled training data]({image})"]
    lines.append(end)
    return "\n".join(lines)


def replace_section(text: str, suite: str, section: str) -> str:
    """``text`` with the suite's section replaced (or appended); other text untouched."""
    begin, end = _markers(suite)
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: section, text, count=1)
    if not text.strip():
        text = _DOCS_HEADER
    return text.rstrip("\n") + "\n\n" + section + "\n"


def write_docs(path, suite: str, section: str) -> None:
    path = Path(path)
    text = path.read_text() if path.exists() else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(replace_section(text, suite, section))


def plot_e2e(records: list[dict], path) -> Path | None:
    """Accuracy (mean ± std over seeds) against label fraction, one panel per
    (dataset, missingness), one line per method. Returns the path, or None if empty."""
    ok = [r for r in records if r.get("status") == "ok" and "accuracy" in r.get("metrics", {})]
    if not ok:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = _ordered(ok, "dataset")
    missing = _ordered([r["params"] for r in ok], "missing")
    methods = _ordered(ok, "method")
    fig, axes = plt.subplots(len(datasets), len(missing), squeeze=False,
                             figsize=(5 * len(missing), 3.6 * len(datasets)), sharex=True)
    for i, d in enumerate(datasets):
        for j, miss in enumerate(missing):
            ax = axes[i][j]
            for m in methods:
                pts = defaultdict(list)
                for r in ok:
                    if r["dataset"] == d and r["method"] == m and r["params"]["missing"] == miss:
                        pts[r["params"]["label_fraction"]].append(r["metrics"]["accuracy"])
                if not pts:
                    continue
                xs = sorted(pts)
                ys = [np.mean(pts[x]) for x in xs]
                es = [np.std(pts[x], ddof=1) if len(pts[x]) > 1 else 0.0 for x in xs]
                ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, label=m,
                            linestyle="--" if m == "minirocket" else "-")
            ax.set_xscale("log")
            ticks = sorted({r["params"]["label_fraction"] for r in ok})
            ax.set_xticks(ticks, [f"{x:.0%}" for x in ticks])
            ax.set_xlim(min(ticks) / 1.3, max(ticks) * 1.3)
            ax.minorticks_off()
            ax.set_title(f"{d}, {miss}")
            ax.set_xlabel("fraction of training labels")
            ax.set_ylabel("test accuracy")
            ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
