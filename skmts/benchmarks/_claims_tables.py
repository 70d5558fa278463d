"""Tables of the regression, transfer and sktime suites (jobs in ``_claims``)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from ._format import _group, _label, _mean_std, _metric, _ordered, _seconds, _table

__all__ = ["regression_tables", "transfer_tables", "sktime_tables"]

# (metric suffix, column label) of the regression suite, modular heads first
REGRESSION_HEADS = (("ridgecv", "+ RidgeCV"), ("linear", "+ linear head"),
                    ("mlp", "+ MLP head"), ("e2e-linear", "end-to-end, linear head"),
                    ("e2e-mlp", "end-to-end, MLP head"))


def _backbone_label(name: str) -> str:
    return _label(name if name in ("dmae", "minirocket") else f"frozen-{name}")


def regression_tables(records) -> str:
    ok = [r for r in records if r.get("status") == "ok"]
    if not ok:
        return "_No finished jobs._"
    # one run of a (dataset, setting, backbone, head) = one record's metrics with that suffix
    runs = defaultdict(list)  # (dataset, setting, backbone, head) -> [metrics]
    for rec in ok:
        backbone = rec["method"].rsplit("-", 1)[0] if rec["method"] != "minirocket" \
            else "minirocket"
        for head, _ in REGRESSION_HEADS:
            if f"rmse_{head}" in rec["metrics"]:
                runs[rec["dataset"], rec["setting"], backbone, head].append(rec["metrics"])
    datasets, settings = _ordered(ok, "dataset"), _ordered(ok, "setting")
    backbones = list(dict.fromkeys(k[2] for k in runs))
    backbones = [b for b in backbones if b != "minirocket"] + (
        ["minirocket"] if "minirocket" in backbones else [])
    parts, summary = [], []
    for d in datasets:
        for s in settings:
            if not any(k[:2] == (d, s) for k in runs):
                continue
            rows, cells = [], {}
            for b in backbones:
                row = [_backbone_label(b)]
                for head, _ in REGRESSION_HEADS:
                    ms = runs.get((d, s, b, head), [])
                    rmse = [m[f"rmse_{head}"] for m in ms]
                    mae = [m[f"mae_{head}"] for m in ms]
                    fit = [m[f"fit_s_{head}"] for m in ms if f"fit_s_{head}" in m]
                    if rmse:
                        cells[b, head] = float(np.mean(rmse))
                    row.append(f"{_mean_std(rmse, 4)} / {_mean_std(mae, 4, False)} "
                               f"({_seconds(fit)} s)" if rmse else "–")
                rows.append(row)
            base = [r["metrics"]["baseline_rmse"] for r in ok
                    if r["dataset"] == d and r["setting"] == s]
            parts.append(f"**{d}, {s}** (predicting the training mean: RMSE "
                         f"{_mean_std(base, 4, False)})\n\n"
                         + _table(["backbone", *(lab for _, lab in REGRESSION_HEADS)], rows))
            summary.append(_regression_summary(d, s, cells, backbones))
    header = ["dataset", "setting", "MiniRocket + RidgeCV", "best skmts pipeline",
              "its RMSE", "best − MiniRocket", "best head per backbone (count)"]
    return ("\n\n".join(parts) + "\n\nCells: test RMSE (mean ± std over seeds) / MAE (mean), "
            "in the target's own units, and fit seconds (pretraining included). Modular "
            "heads read the pretrained, frozen backbone's features (RidgeCV after "
            "StandardScaler, alphas logspace(-3, 3, 10); skmts's heads standardise their "
            "input and targets themselves); end-to-end fine-tunes that same pretrained "
            "backbone with the head (`EndToEndRegressor(freeze=False)`). MiniRocket reads "
            "linearly interpolated series when values are missing.\n\n**Which head wins** "
            "(lowest mean RMSE):\n\n" + _table(header, summary))


def _regression_summary(d, s, cells, backbones) -> list[str]:
    ref = cells.get(("minirocket", "ridgecv"))
    ours = {k: v for k, v in cells.items() if k[0] != "minirocket"}
    if not ours:
        return [d, s, _fmt(ref), "–", "–", "–", "–"]
    (b, h), best = min(ours.items(), key=lambda kv: kv[1])
    wins = defaultdict(int)
    for bb in backbones:
        mine = {hh: v for (b2, hh), v in ours.items() if b2 == bb}
        if mine:
            wins[min(mine, key=mine.get)] += 1
    labels = dict(REGRESSION_HEADS)
    win_txt = ", ".join(f"{labels[hh].lstrip('+ ')}: {n}"
                        for hh, n in sorted(wins.items(), key=lambda kv: -kv[1]))
    delta = "–" if ref is None else f"{best - ref:+.4f}"
    return [d, s, _fmt(ref), f"{_backbone_label(b)} {labels[h]}", _fmt(best), delta, win_txt]


def _fmt(v) -> str:
    return "–" if v is None else f"{v:.4f}"


def transfer_tables(records) -> str:
    ok = [r for r in records if r.get("status") == "ok"]
    if not ok:
        return "_No finished jobs._"
    sources = _ordered(ok, "dataset")
    targets = list(dict.fromkeys(t for r in ok for t in r["metrics"]["accuracy"]))
    methods = _ordered(ok, "method")
    acc = defaultdict(list)  # (target, method, source) -> [accuracy per seed]
    for r in ok:
        for t, a in r["metrics"]["accuracy"].items():
            acc[t, r["method"], r["dataset"]].append(a)
    rows, kept_by_method = [], defaultdict(list)
    for t in targets:
        for m in methods:
            own = acc.get((t, m, t), [])
            row = [t, _backbone_label(m), _mean_std(own)]
            kept = []
            for s in sources:
                vals = acc.get((t, m, s), [])
                row.append("–" if s == t else _mean_std(vals))
                if s != t and vals and own:
                    kept.append(np.mean(vals) / np.mean(own))
            row.append(f"{100 * np.mean(kept):.1f} %" if kept else "–")
            if kept:
                kept_by_method[m].append(np.mean(kept))
            rows.append(row)
    header = ["target", "backbone", "pretrained on the target",
              *(f"pretrained on {s}" for s in sources), "accuracy kept (mean over sources)"]
    summary = [[_backbone_label(m), f"{100 * np.mean(v):.1f} %", str(len(v))]
               for m, v in kept_by_method.items()]
    return (_table(header, rows) + "\n\nTest accuracy of StandardScaler + "
            "LogisticRegression(max_iter=1000) on the target's features from a backbone "
            "pretrained without labels on the source's training split and frozen (mean ± "
            "std over seeds; `–` on the diagonal: that is the reference column). Every "
            "series is linearly resampled to the same length first, so that one "
            "fixed-length PyPOTS model reads every dataset. Accuracy kept = transfer "
            "accuracy / accuracy when pretrained on the target itself.\n\n"
            + _table(["backbone", "accuracy kept (mean over targets and sources)",
                      "targets"], summary))


def sktime_tables(records) -> str:
    groups = _group(records, "dataset", "method")
    if not groups:
        return "_No finished jobs._"
    datasets = _ordered([r for r in records if r.get("status") == "ok"], "dataset")
    methods = _ordered(records, "method")
    mean = {}
    rows = []
    for d in datasets:
        row = [d]
        for m in methods:
            recs = groups.get((d, m), [])
            folds = [a for r in recs for a in r["metrics"]["fold_accuracy"]]
            row.append(_mean_std(folds))
            if folds:
                mean[d, m] = float(np.mean(folds))
        rows.append(row)
    complete = [d for d in datasets if all((d, m) in mean for m in methods)]
    ranks = pd.DataFrame([[mean[d, m] for m in methods] for d in complete],
                         columns=methods).rank(axis=1, ascending=False)
    rank_row = ["**average rank**"] + [
        f"**{ranks[m].mean():.2f}**" if complete else "–" for m in methods]
    fit = ["fit (s, mean)"] + [_seconds([s for d in datasets
                                         for s in _metric(groups.get((d, m), []), "fit_s")])
                               for m in methods]
    names = [_SKTIME_LABELS.get(m, m) for m in methods]
    note = (f"Average ranks over the {len(complete)} dataset(s) where every estimator ran "
            f"({', '.join(complete)}); rank 1 = highest mean accuracy, ties share a rank.")
    return (_table(["dataset", *names], rows + [rank_row, fit]) + "\n\nAccuracy on "
            "the test folds (mean ± std over folds) of sktime's `ClassificationBenchmark`: "
            "train and test splits together, rows shuffled once with the seed, "
            "`KFold(shuffle=True)`; skmts estimators enter through "
            "`skmts.sktime.SktimeClassifier` with their defaults. " + note)


_SKTIME_LABELS = {
    "dmae-modular": "DMAE + LogisticRegression", "dmae-e2e": "DMAE end-to-end",
    "saits-modular": "frozen SAITS + LogisticRegression",
    "saits-e2e": "SAITS end-to-end", "minirocket": "sktime MiniRocket",
    "fcn-torch": "sktime FCN (torch)",
}
