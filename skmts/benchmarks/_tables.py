"""The markdown tables of each benchmark suite, from its job records."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ._claims_tables import regression_tables, sktime_tables, transfer_tables
from ._format import _group, _label, _mean_std, _metric, _ordered, _seconds, _table

__all__ = ["suite_tables"]


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
        "inference": _inference_tables,
        "regression": regression_tables,
        "transfer": transfer_tables,
        "sktime": sktime_tables,
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


def _inference_tables(records) -> str:
    rows = []
    for (d, m), rs in _group(records, "dataset", "method").items():
        last = rs[-1]["metrics"]
        rows.append([d, _label(m), _seconds(_metric(rs, "fit_s")),
                     _seconds(_metric(rs, "transform_s")),
                     f"{np.mean(_metric(rs, 'series_per_s')):,.0f}",
                     f"{np.mean(_metric(rs, 'bare_series_per_s')):,.0f}",
                     f"{100 * np.mean(_metric(rs, 'throughput_ratio')):.0f} %",
                     _mean_std(_metric(rs, "transform_peak_mib"), 0, False),
                     _mean_std(_metric(rs, "peak_rss_mib"), 0, False),
                     f"{last['input_mib']:.0f}", str(len(rs))])
    return _table(["panel", "backbone", "fit (s)", "transform (s)", "series/s",
                   "bare forward series/s", "of bare", "peak memory, fit + transform (MiB)",
                   "peak memory, job (MiB)", "input (MiB)", "runs"], rows) + (
        "\n\nThe backbone (defaults; SAITS as `FrozenImputerTransformer('saits')`) is "
        "fitted on the first 256 series of a float32 panel of Gaussian random walks, then "
        "`transform` runs on the whole panel: validation, scaling, batching and the copy "
        "back are included. `bare forward` is the same feature module "
        "(`feature_module()`, eval mode) run under `torch.no_grad()` on ready-made input "
        "tensors, a batch at a time (256 series for DMAE, the estimator's `batch_size` "
        "for SAITS), nothing else. Peak memory = peak resident set size of the job's "
        "process (interpreter, libraries, the input panel and the features included): up "
        "to the end of `transform`, and for the whole job (the bare forward's whole-panel "
        "input tensors included)."
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
        "MLPHeadClassifier, default settings, as EndToEndClassifier(freeze=True) would "
        "train it) is trained on its features of the labelled subset; the head standardises "
        "its input with the training features' statistics (`standardize=True`). `-e2e-`: "
        "EndToEndClassifier with the same pretrained backbone and the same head, fine-tuned "
        "together on the labelled subset, starting from the same standardisation (computed "
        "on the frozen features). `-scratch-`: "
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
