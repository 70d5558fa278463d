"""Formatting helpers of the benchmark report: labels, metrics, means, markdown tables.

Records are grouped with pandas; every number shown is read from a job record.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..backbones._pypots import BACKBONES

_METHOD_LABELS = {"dmae": "DMAE", "minirocket": "MiniRocket", "linear-interp": "linear interpolation"}


def _label(method: str) -> str:
    if method in _METHOD_LABELS:
        return _METHOD_LABELS[method]
    if method.startswith("frozen-"):
        name, sep, rest = method[len("frozen-"):].partition(" ")
        spec = BACKBONES.get(name)
        return f"frozen {spec.display_name if spec else name.upper()}{sep}{rest}"
    if method.startswith("dmae "):
        return "DMAE " + method[len("dmae "):]
    return method


def _metric(records, name) -> list[float]:
    vals = []
    for rec in records:
        v = rec.get("metrics", {}).get(name) if name != "peak_rss_mib" else rec.get(name)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            vals.append(float(v))
    return vals


def _mean_std(vals, digits=3, std=True) -> str:
    if not vals:
        return "–"
    m = float(np.mean(vals))
    if std and len(vals) > 1:
        return f"{m:.{digits}f} ± {float(np.std(vals, ddof=1)):.{digits}f}"
    return f"{m:.{digits}f}"


def _seconds(vals) -> str:
    if not vals:
        return "–"
    m = float(np.mean(vals))
    return f"{m:.2f}" if m < 10 else f"{m:.1f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _group(records, *fields) -> dict:
    """Finished records grouped by ``fields`` (pandas ``groupby``), in order of first
    appearance: ``{(value, ...): [record, ...]}``."""
    ok = [rec for rec in records if rec.get("status") == "ok"]
    if not ok:
        return {}
    keys = pd.DataFrame({f: [rec[f] for rec in ok] for f in fields})
    groups = keys.groupby(list(fields), sort=False).indices
    return {k if isinstance(k, tuple) else (k,): [ok[i] for i in idx]
            for k, idx in groups.items()}


def _ordered(records, field) -> list:
    """The distinct values of ``field`` in order of first appearance."""
    return list(pd.unique(pd.Series([rec[field] for rec in records], dtype=object)))
