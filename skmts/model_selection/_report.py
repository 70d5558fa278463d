"""What a comparison leaves in its output folder: tables, plots and one HTML report.

* ``results.csv`` / ``results.json`` — one row per label fraction and setup (JSON also
  carries the run's metadata: command, storage with the password hidden, versions);
* ``trials.csv`` — every trial of the studies, with its state and configuration;
* ``score_per_setup.png``, ``score_vs_labels.png``, ``latency.png``;
* ``report.html`` — the tables and the plots in one self-contained file.
"""

from __future__ import annotations

import base64
import html
import io
import json
import platform
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

__all__ = ["results_table", "write_report"]

_COLUMNS = ["label_fraction", "n_labelled", "mode", "backbone", "head", "cv_score", "cv_std",
            "test_score", "test_rmse", "fit_s", "infer_ms", "n_parameters", "n_trials", "trial"]


def results_table(results):
    """The results sorted for reading: by label fraction, then test score."""
    # test_rmse only for regression (the error in the targets' units beside R²)
    columns = [c for c in _COLUMNS if c != "test_rmse" or c in results]
    if results.empty:
        return results.reindex(columns=columns)
    table = results.reindex(columns=columns + ["params"])
    return table.sort_values(["label_fraction", "test_score"],
                             ascending=[True, False]).reset_index(drop=True)


def format_table(results, score_name="score") -> str:
    """A plain-text table: score as mean ± std over folds, and the test score."""
    if results.empty:
        return "(no complete trial yet)"
    t = results_table(results)
    show = t[["label_fraction", "mode", "backbone", "head"]].copy()
    show.insert(0, "labels", show.pop("label_fraction").map(lambda f: f"{f:g}"))
    show[f"cv {score_name}"] = [f"{m:.3f} ± {s:.3f}" for m, s in zip(t.cv_score, t.cv_std)]
    show[f"test {score_name}"] = t.test_score.map(lambda v: f"{v:.3f}")
    if "test_rmse" in t:  # regression: the error in the targets' own units
        show["test RMSE"] = t.test_rmse.map(lambda v: f"{v:.4g}")
    show["fit s"] = t.fit_s.map(lambda v: f"{v:.1f}")
    show["ms/series"] = t.infer_ms.map(lambda v: f"{v:.2f}")
    show["parameters"] = t.n_parameters.map(lambda v: f"{int(v):,}")
    show["trials"] = t.n_trials.map(lambda v: "-" if v == 0 else str(int(v)))
    return show.to_string(index=False)


def _figures(table, score_name):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    figs = {}
    label = table["mode"] + " · " + table["backbone"] + " · " + table["head"]
    fractions = sorted(table.label_fraction.unique())

    fig, axes = plt.subplots(1, len(fractions), figsize=(5 * len(fractions), 0.45 * (
        table.groupby("label_fraction").size().max()) + 1.5), squeeze=False, sharex=True)
    for ax, f in zip(axes[0], fractions):
        part = table[table.label_fraction == f].iloc[::-1]
        lab = label[part.index]
        colors = ["#999999" if m == "reference" else "#1f77b4" if m == "modular" else "#d62728"
                  for m in part["mode"]]
        ax.barh(lab, part.test_score, color=colors)
        ax.errorbar(part.cv_score, lab, xerr=part.cv_std, fmt="k|", label="cv ± std")
        ax.set_title(f"labels {f:g} ({int(part.n_labelled.iloc[0])} series)")
        ax.set_xlabel(f"test {score_name} (bars), cv (marks)")
    fig.tight_layout()
    figs["score_per_setup"] = fig

    fig, ax = plt.subplots(figsize=(6, 4))
    for (mode, backbone), part in table.groupby(["mode", "backbone"]):
        # per label fraction, the setup chosen by its cv score (not by the test score)
        chosen = part.loc[part.groupby("label_fraction").cv_score.idxmax()]
        best = chosen.set_index("label_fraction").test_score.sort_index()
        style = "--" if mode == "reference" else "-" if mode == "modular" else ":"
        ax.plot(best.index, best.values, style, marker="o", label=f"{mode} · {backbone}")
    ax.set_xscale("log")
    ax.set_xticks(fractions, [f"{f:g}" for f in fractions])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("label fraction")
    ax.set_ylabel(f"test {score_name} (head chosen by cv)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    figs["score_vs_labels"] = fig

    last = table[table.label_fraction == fractions[-1]].iloc[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.4 * len(last) + 1.5))
    ax.barh(label[last.index], last.infer_ms, color="#2ca02c")
    ax.set_xlabel("inference ms per test series (backbone + head)")
    ax.set_title(f"labels {fractions[-1]:g}")
    fig.tight_layout()
    figs["latency"] = fig
    return figs


def write_report(results, trials, out, *, meta: dict, score_name="accuracy") -> dict:
    """Write the tables, plots and HTML report of a comparison to ``out``.

    Returns the paths written, by kind.
    """
    import matplotlib.pyplot as plt

    out = Path(out)
    table = results_table(results)
    paths = {"csv": out / "results.csv", "json": out / "results.json",
             "trials": out / "trials.csv", "html": out / "report.html"}
    table.to_csv(paths["csv"], index=False)
    trials.to_csv(paths["trials"], index=False)
    payload = {"meta": meta, "results": json.loads(table.to_json(orient="records"))}
    paths["json"].write_text(json.dumps(payload, indent=2))
    images = {}
    if not table.empty:
        for name, fig in _figures(table, score_name).items():
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=110)
            plt.close(fig)
            (out / f"{name}.png").write_bytes(buf.getvalue())
            paths[name] = out / f"{name}.png"
            images[name] = base64.b64encode(buf.getvalue()).decode()
    paths["html"].write_text(_html(table, trials, images, meta, score_name))
    return paths


def run_metadata(command: str, storage: str, **extra) -> dict:
    import optuna
    import sklearn
    import torch

    from .. import __version__

    return {"command": command, "storage": storage,
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": {"skmts": __version__, "torch": torch.__version__,
                         "scikit-learn": sklearn.__version__, "optuna": optuna.__version__,
                         "python": platform.python_version()},
            "machine": platform.platform(), **extra}


def _html(table, trials, images, meta, score_name) -> str:
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>skmts compare</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:75em}"
        "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;"
        "padding:.2em .5em;text-align:right}th{background:#eee}img{max-width:100%}"
        "code{background:#f4f4f4;padding:.1em .3em}</style></head><body>",
        "<h1>skmts compare</h1>",
        f"<p><code>{esc(meta.get('command', ''))}</code></p>",
        "<ul>" + "".join(f"<li>{esc(str(k))}: {esc(str(v))}</li>" for k, v in meta.items()
                         if k not in ("command", "versions")) + "</ul>",
        f"<p>versions: {esc(json.dumps(meta.get('versions', {})))}</p>",
        f"<h2>Results (test {esc(score_name)}; cv = mean ± std over folds)</h2>",
        table.drop(columns=["params"], errors="ignore").to_html(
            index=False, float_format=lambda v: f"{v:.4g}", na_rep="-"),
    ]
    titles = {"score_per_setup": "Score per setup", "score_vs_labels":
              "Score against label fraction", "latency": "Inference latency"}
    for name, data in images.items():
        parts.append(f"<h2>{titles[name]}</h2><img alt='{name}' "
                     f"src='data:image/png;base64,{data}'>")
    parts.append("<h2>Trials</h2>")
    parts.append(trials.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="-")
                 if len(trials) else "<p>none</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def trials_frame(studies):
    """Every trial of ``studies`` as one DataFrame (configuration flattened)."""
    import pandas as pd

    rows = []
    for study in studies:
        fraction = study.user_attrs.get("label_fraction", np.nan)
        for t in study.get_trials(deepcopy=False):
            if t.user_attrs.get("skmts_over_budget"):
                continue
            config = t.user_attrs.get("config", {})
            rows.append({
                "label_fraction": fraction, "trial": t.number, "state": t.state.name,
                "cv_score": t.value, "cv_std": t.user_attrs.get("score_std"),
                "fit_s": t.user_attrs.get("fit_s"),
                **{k: config.get(k) for k in ("mode", "backbone", "head")},
                "params": json.dumps({k: v for k, v in config.items()
                                      if k not in ("mode", "backbone", "head")},
                                     sort_keys=True),
                "error": t.user_attrs.get("error", ""),
            })
    return pd.DataFrame(rows)
