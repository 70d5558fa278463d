"""Turn measured job records into markdown tables, a docs section and the e2e plot.

Every number printed here is read from a job record (the JSON-lines results file): the
report never computes a result of its own beyond means, standard deviations and ratios.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from ..backbones._pypots import BACKBONES

__all__ = ["suite_tables", "suite_section", "replace_section", "write_docs", "plot_e2e"]

TITLES = {
    "classification": "Classification: DMAE vs MiniRocket",
    "ablation": "DMAE ablation",
    "missing": "Missing values: frozen imputers, DMAE and MiniRocket on interpolated data",
    "e2e": "Modular vs end-to-end, by fraction of labelled training data",
    "long": "Long series: DMAE's fit time and memory",
}

_DOCS_HEADER = """# Benchmarks

Every table on this page is written by `python -m skmts.benchmarks` from measured results
(the JSON-lines files in its `--results-dir`); each section states the command, date,
machine and number of seeds that produced it. Rerunning a suite replaces its section only.
"""

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
    out = defaultdict(list)
    for rec in records:
        if rec.get("status") == "ok":
            out[tuple(rec[f] for f in fields)].append(rec)
    return out


def _ordered(records, field) -> list:
    seen = []
    for rec in records:
        if rec[field] not in seen:
            seen.append(rec[field])
    return seen


# ---- per-suite tables -----------------------------------------------------------------
def suite_tables(suite: str, records: list[dict]) -> str:
    """Markdown tables of one suite from its job records (finished or failed)."""
    if not records:
        return "_No results._"
    body = {
        "classification": _classification_tables,
        "ablation": _ablation_tables,
        "missing": _missing_tables,
        "e2e": _e2e_tables,
        "long": _long_tables,
    }.get(suite, _generic_table)(records)
    failed = [r for r in records if r.get("status") != "ok"]
    if failed:
        lines = [f"- `{r['key']}`: {r.get('status')}: {str(r.get('error', ''))[:200]}"
                 for r in failed]
        body += f"\n\nFailed jobs ({len(failed)}), left out of the tables above:\n\n" + "\n".join(lines)
    return body


def _generic_table(records) -> str:
    groups = _group(records, "dataset", "method", "setting")
    rows = [[d, m, s, _mean_std(_metric(rs, "accuracy")), _seconds(_metric(rs, "fit_s")),
             str(len(rs))] for (d, m, s), rs in groups.items()]
    return _table(["dataset", "method", "setting", "accuracy", "fit (s)", "runs"], rows)


def _classification_tables(records) -> str:
    datasets = _ordered(records, "dataset")
    methods = _ordered(records, "method")
    groups = _group(records, "dataset", "method")
    ridge = [m for m in methods
             if any(_metric(groups.get((d, m), []), "accuracy_ridgecv") for d in datasets)]
    header = ["dataset"]
    header += [f"{_label(m)} accuracy" for m in methods]
    header += [f"{_label(m)} + RidgeClassifierCV accuracy" for m in ridge]
    header += [f"{_label(m)} fit (s)" for m in methods]
    header += [f"{_label(m)} transform (s)" for m in methods]
    header += [f"{_label(m)} peak memory (MiB)" for m in methods]
    rows, means = [], {m: defaultdict(list) for m in methods}
    cols = (("accuracy", methods), ("accuracy_ridgecv", ridge), ("fit_s", methods),
            ("transform_s", methods), ("peak_rss_mib", methods))
    fmts = {"accuracy": _mean_std, "accuracy_ridgecv": _mean_std, "fit_s": _seconds,
            "transform_s": _seconds, "peak_rss_mib": lambda v: _mean_std(v, 0, False)}
    for m in ridge:
        means.setdefault(m, defaultdict(list))
    for d in datasets:
        row = [d]
        for col, which in cols:
            fmt = fmts[col]
            for m in which:
                vals = _metric(groups.get((d, m), []), col)
                row.append(fmt(vals))
                if vals:
                    means[m][col].append(float(np.mean(vals)))
        rows.append(row)
    mean_row = ["**mean**"]
    mean_fmts = {**fmts, "accuracy": lambda v: _mean_std(v, 3, False),
                 "accuracy_ridgecv": lambda v: _mean_std(v, 3, False)}
    for col, which in cols:
        fmt = mean_fmts[col]
        for m in which:
            vals = means[m][col]
            cell = fmt(vals)
            if vals and len(vals) < len(datasets):
                cell += f" ({len(vals)} of {len(datasets)} datasets)"
            mean_row.append(f"**{cell}**")
    rows.append(mean_row)
    return _table(header, rows) + (
        "\n\nAccuracy on the test split (mean ± std over seeds). Fit = fitting the whole "
        "method on the training split (for DMAE: self-supervised pretraining, "
        "StandardScaler and LogisticRegression(max_iter=1000); the RidgeClassifierCV "
        "column puts StandardScaler + MiniRocket's head on the same DMAE features; for "
        "MiniRocket: the "
        "transform and RidgeClassifierCV(alphas=logspace(-3, 3, 10))). Transform = "
        "features of the test split. Each job imports its libraries before the clock "
        "starts, and MiniRocket's numba kernels are compiled on a tiny panel first. Peak memory = peak resident set size of the job's own "
        "process (interpreter and libraries included). The mean row averages the "
        "per-dataset means."
    )


def _ablation_tables(records) -> str:
    from ._plan import TWIN

    datasets = _ordered(records, "dataset")
    variants = [m for m in _ordered(records, "method") if not m.endswith(TWIN)]
    groups = _group(records, "dataset", "method")

    def acc(d, m):
        vals = _metric(groups.get((d, m), []), "accuracy")
        return float(np.mean(vals)) if vals else None

    header = ["variant", *datasets, "mean", "twin mean", "beats its twin"]
    rows, fit_rows = [], []
    for v in variants:
        twin = v + TWIN if any(m == v + TWIN for m in _ordered(records, "method")) else (
            "default" + TWIN)
        row, means, twin_means, wins, compared = [f"`{v}`"], [], [], 0, 0
        fit_row = [f"`{v}`"]
        for d in datasets:
            a, t = acc(d, v), acc(d, twin)
            cell = _mean_std(_metric(groups.get((d, v), []), "accuracy"))
            if t is not None:
                cell += f" ({t:.3f})"
            row.append(cell)
            fit_row.append(_seconds(_metric(groups.get((d, v), []), "fit_s")))
            if a is not None:
                means.append(a)
            if t is not None:
                twin_means.append(t)
            if a is not None and t is not None:
                compared += 1
                wins += a > t
        full = len(means) == len(datasets)
        row.append(_mean_std(means, 3, False) if full else "–")
        row.append(_mean_std(twin_means, 3, False) if len(twin_means) == len(datasets) else "–")
        row.append(f"{wins} of {compared}" if compared else "–")
        rows.append(row)
        fit_rows.append(fit_row)
    defaults = next((r["metrics"]["dmae_settings"] for r in records
                     if r["method"] == "default" and r.get("status") == "ok"
                     and r.get("metrics", {}).get("dmae_settings")), None)
    shown = ""
    if defaults:
        shown = " (`default`: " + ", ".join(f"{k}={v}" for k, v in sorted(defaults.items())) + ")"
    return _table(header, rows) + (
        f"\n\nAccuracy on the test split, mean ± std over seeds, of the trained encoder and, "
        "in brackets, of its random-initialisation twin (same architecture and pooling, "
        "`max_epochs=0`: no optimiser step, BatchNorm statistics from the training data; "
        "variants that change training only are compared with the default's twin). Each "
        f"variant changes DMAETransformer parameters from its defaults{shown}; "
        "StandardScaler + LogisticRegression(max_iter=1000) on top. `beats its twin`: "
        "datasets where the trained mean is above the twin's.\n\n"
        "Fit seconds (self-supervised training, scaler and head; mean over seeds):\n\n"
        + _table(["variant", *datasets], fit_rows)
    )


def _long_tables(records) -> str:
    groups = _group(records, "dataset")
    rows = []
    for (d,), rs in groups.items():
        m = rs[-1]["metrics"]
        rows.append([d, str(m["patch_len"]), str(m["batch_size"]), str(m["epochs"]),
                     _seconds(_metric(rs, "fit_s")), _seconds(_metric(rs, "transform_s")),
                     _mean_std(_metric(rs, "peak_rss_mib"), 0, False), str(len(rs))])
    return _table(["panel", "patch_len", "batch_size", "epochs", "fit (s)", "transform (s)",
                   "peak memory (MiB)", "runs"], rows) + (
        "\n\n`DMAETransformer(random_state=seed)` with its defaults (the automatic patch "
        "length, batch size and epochs are shown) on univariate Gaussian random walks. "
        "Peak memory = peak resident set size of the job's own process (interpreter and "
        "libraries included)."
    )


def _missing_tables(records) -> str:
    datasets = _ordered(records, "dataset")
    settings = _ordered(records, "setting")
    methods = _ordered(records, "method")
    groups = _group(records, "dataset", "method", "setting")
    parts = []
    for d in datasets:
        acc_rows, fit_rows, mae_rows = [], [], []
        for m in methods:
            cells = [groups.get((d, m, s), []) for s in settings]
            if any(_metric(rs, "accuracy") for rs in cells) or m != "linear-interp":
                acc_rows.append([_label(m)] + [_mean_std(_metric(rs, "accuracy")) for rs in cells])
                fit_rows.append([_label(m)] + [_seconds(_metric(rs, "fit_s")) for rs in cells])
            mae_cells = [groups.get((d, m, s), []) for s in settings if s != "complete"]
            if any(_metric(rs, "imputation_mae") for rs in mae_cells):
                mae_rows.append([_label(m)] + [_mean_std(_metric(rs, "imputation_mae"))
                                               for rs in mae_cells])
        acc_rows = [r for r in acc_rows if r[0] != _label("linear-interp")]
        fit_rows = [r for r in fit_rows if r[0] != _label("linear-interp")]
        parts.append(f"### {d}\n\nAccuracy (mean ± std over seeds):\n\n"
                     + _table(["method"] + settings, acc_rows))
        parts.append("Fit seconds (mean over seeds):\n\n" + _table(["method"] + settings, fit_rows))
        if mae_rows:
            parts.append(
                "Imputation MAE on the injected test values, original units (mean ± std over seeds):\n\n"
                + _table(["imputer"] + [s for s in settings if s != "complete"], mae_rows))
        cut = sorted({int(r["metrics"]["n_test_cut"]) for rs in groups.values() for r in rs
                      if r["dataset"] == d and r.get("metrics", {}).get("n_test_cut")})
        if cut:
            verb = "was" if cut == [1] else "were"
            parts.append(
                f"The frozen PyPOTS backbones fix the series length at fit; "
                f"{' or '.join(map(str, cut))} test series of {d} longer than the longest "
                f"training series {verb} cut to that length for them (DMAE, MiniRocket and "
                "interpolation see them whole).")
    parts.append(
        "Missingness (PyGrinder, `skmts.datasets.inject_missing`) is injected into train "
        "and test with the same masks for every method of a seed; `mcar-0.3` = 30 % of the "
        "values missing completely at random, `block-0.3` = about 30 % in blocks spanning "
        "steps and neighbouring channels. Frozen backbones and DMAE: "
        "StandardScaler + LogisticRegression(max_iter=1000) on the features; the PyPOTS "
        "backbones fix the series length when built, so on series of different lengths "
        "they get `n_steps` = the longest series of train and test. MiniRocket "
        "runs on linearly interpolated data (per channel along time, nearest value at the "
        "edges), interpolation time included in its fit and transform times. MAE compares each method's imputation "
        "of the test split with the values that were hidden. `(twin)`: the same "
        "backbone frozen at its random initialisation (`max_epochs=0`), the baseline "
        "a pretrained backbone has to beat; `pooling=last`: an RNN backbone's final hidden "
        "state instead of the mean of its hidden states over the real steps (the "
        "default).")
    return "\n\n".join(parts)


def _e2e_tables(records) -> str:
    datasets = _ordered(records, "dataset")
    methods = _ordered(records, "method")
    missing = _ordered([r["params"] for r in records], "missing") if records else []
    fractions = sorted({r["params"]["label_fraction"] for r in records})
    groups = defaultdict(list)
    for rec in records:
        if rec.get("status") == "ok":
            p = rec["params"]
            groups[(rec["dataset"], rec["method"], p["missing"], p["label_fraction"])].append(rec)
    parts = []
    for d in datasets:
        for miss in missing:
            rows = []
            for m in methods:
                rows.append([m] + [_mean_std(_metric(groups.get((d, m, miss, f), []), "accuracy"))
                                   for f in fractions])
            parts.append(f"### {d}, {miss}\n\nAccuracy (mean ± std over seeds) by fraction "
                         "of training labels:\n\n"
                         + _table(["method"] + [f"{f:.0%} labels" for f in fractions], rows))
        rows = []
        latency = {}
        for m in methods:
            rs = [r for (dd, mm, _, _), recs in groups.items() if dd == d and mm == m for r in recs]
            lat = _metric(rs, "latency_ms")
            latency[m] = float(np.mean(lat)) if lat else None
        for m in methods:
            full = [r for miss in missing for r in groups.get((d, m, miss, max(fractions)), [])]
            ratio = "–"
            for kind in ("-e2e-", "-scratch-"):
                if kind in m:
                    base = m.replace(kind, "-modular-")
                    if latency.get(m) and latency.get(base):
                        ratio = f"{latency[m] / latency[base]:.2f}"
            rows.append([m, _seconds(_metric(full, "fit_s")),
                         "–" if latency[m] is None else f"{latency[m]:.3f}", ratio])
        parts.append(f"### {d}: cost\n\n" + _table(
            ["method", f"fit (s), {max(fractions):.0%} labels", "inference latency (ms / sample)",
             "latency ratio vs modular"], rows))
    duels = _e2e_duels(groups, datasets, missing, fractions, methods)
    if duels:
        parts.append(duels)
    parts.append(
        "`<backbone>-modular-<head>`: the backbone is pretrained without labels on the whole "
        "training split, frozen, and an skmts head (LinearHeadClassifier or "
        "MLPHeadClassifier, default settings, no feature scaling, as "
        "EndToEndClassifier(freeze=True) would train it) is trained on its features of the "
        "labelled subset. `-e2e-`: EndToEndClassifier with the same pretrained backbone and "
        "the same head, fine-tuned together on the labelled subset. `-scratch-`: "
        "EndToEndClassifier(pretrain=False) on the labelled subset only. MiniRocket: "
        "transform fitted on the whole training split, RidgeClassifierCV on the labelled "
        "subset (linear interpolation first when values are missing). Labelled subsets "
        "are stratified, at least one series per class. Fit seconds include pretraining "
        "(measured once per dataset, missingness and seed and shared by the modular and "
        "end-to-end jobs). Latency = predicting the test split, per series.")
    return "\n\n".join(parts)


# (name of the comparison, kind that wins when the difference is positive, kind it is compared with)
_DUELS = (("end-to-end vs modular", "-e2e-", "-modular-"),
          ("end-to-end vs from scratch", "-e2e-", "-scratch-"))


def _e2e_duels(groups, datasets, missing, fractions, methods) -> str:
    """Paired, per-seed accuracy differences between the sides of the e2e suite.

    A cell reads ``+0.035 (4/5)``: the mean over seeds of accuracy(first) - accuracy(second)
    for the same dataset, missingness, label fraction and seed (so the same labelled subset
    and, for pretrained sides, the same pretraining), and in how many of the paired seeds the
    first side was strictly better.
    """
    rows = []
    for d in datasets:
        for miss in missing:
            for title, win, lose in _DUELS:
                for m in methods:
                    if win not in m or m.replace(win, lose) not in methods:
                        continue
                    other = m.replace(win, lose)
                    cells = []
                    for f in fractions:
                        a = {r["seed"]: r["metrics"].get("accuracy")
                             for r in groups.get((d, m, miss, f), [])}
                        b = {r["seed"]: r["metrics"].get("accuracy")
                             for r in groups.get((d, other, miss, f), [])}
                        diffs = [a[s] - b[s] for s in sorted(a.keys() & b.keys())
                                 if a[s] is not None and b[s] is not None]
                        if not diffs:
                            cells.append("–")
                            continue
                        better = sum(x > 0 for x in diffs)
                        cells.append(f"{float(np.mean(diffs)):+.3f} ({better}/{len(diffs)})")
                    head = m.split(win, 1)[1]
                    rows.append([d, miss, f"{title}, {head} head"] + cells)
    if not rows:
        return ""
    return ("### Which side wins\n\nPaired by seed (same labelled subset, same pretraining): "
            "mean accuracy difference first side − second side, and in parentheses the number "
            "of seeds where the first side was strictly better.\n\n"
            + _table(["dataset", "missingness", "comparison"]
                     + [f"{f:.0%} labels" for f in fractions], rows))

# ---- docs -----------------------------------------------------------------------------
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
