"""The methods the benchmark jobs measure: skmts backbones and pipelines, MiniRocket, timers."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import time
from pathlib import Path

import numpy as np

from ..model_selection._reference import minirocket_for, to_sktime, warm_minirocket
from ._data import _fit_length_guard

def _preload(name: str) -> None:
    """Import the libraries a backbone loads lazily, so that fit timings exclude imports."""
    import skorch.callbacks  # noqa: F401 - DMAE and the heads train with skorch
    import skorch.dataset  # noqa: F401

    if name != "dmae":
        from skmts.backbones import import_pypots

        import_pypots()


def _backbone(name: str, seed: int, budget: dict, extra: dict | None = None):
    """An unfitted skmts backbone: "dmae" or a FrozenImputerTransformer backbone name.

    ``budget`` (e.g. ``--quick``'s ``max_epochs``, ``--device``) applies to every method;
    ``extra`` is the method's own settings and wins over it.
    """
    from skmts import DMAETransformer, FrozenImputerTransformer

    _preload(name)
    params = {"random_state": seed, **budget, **(extra or {})}
    if name == "dmae":
        return DMAETransformer(**params)
    return FrozenImputerTransformer(name, **params)


def _torch_info() -> dict:
    import sys

    torch = sys.modules.get("torch")
    return {"torch_threads": torch.get_num_threads()} if torch is not None else {}


class _Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


# ---- MiniRocket ----------------------------------------------------------------------
def _minirocket_run(X_unlabelled, X_train, y_train, X_test, y_test, seed):
    """MiniRocket fitted on ``X_unlabelled`` + RidgeClassifierCV on (X_train, y_train).

    sktime transformers are used outside any sklearn Pipeline (sklearn 1.9's callback
    context breaks on skbase objects).
    """
    from sklearn.linear_model import RidgeClassifierCV

    warm_minirocket(X_train, seed)
    trf = minirocket_for(X_train, seed)
    clf = RidgeClassifierCV(alphas=np.logspace(-3, 3, 10))
    with _Timer() as fit:
        trf.fit(to_sktime(X_unlabelled))
        clf.fit(np.asarray(trf.transform(to_sktime(X_train))), y_train)
    with _Timer() as tr:
        F = np.asarray(trf.transform(to_sktime(X_test)))
    with _Timer() as pr:
        pred = clf.predict(F)
    return {
        **_scores(y_test, pred, fit, tr, pr, F),
        "estimator": type(trf).__name__,
        "alpha": float(clf.alpha_),
    }


def _scores(y_test, pred, fit, tr, pr, F) -> dict:
    """Accuracy, timings and latency per test series of one fitted method."""
    from sklearn.metrics import accuracy_score

    return {
        "accuracy": float(accuracy_score(y_test, pred)),
        "fit_s": fit.seconds,
        "transform_s": tr.seconds,
        "predict_s": pr.seconds,
        "latency_ms": 1000 * (tr.seconds + pr.seconds) / len(pred),
        "n_features": int(F.shape[1]),
    }


def _add_preprocessing(out: dict, fit_s: float, test_s: float, n_test: int) -> dict:
    """Count a preprocessing step (interpolation) in the fit and inference timings."""
    out["fit_s"] += fit_s
    out["transform_s"] += test_s
    out["latency_ms"] += 1000 * test_s / n_test
    out["interpolation_s"] = fit_s + test_s
    return out


def _pipeline_run(emb, X_train, y_train, X_test, y_test, *, fixed_length) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = Pipeline([("emb", emb), ("scale", StandardScaler()),
                     ("clf", LogisticRegression(max_iter=1000))])
    with _Timer() as fit:
        pipe.fit(X_train, y_train)
    X_test, n_cut = _fit_length_guard(pipe.named_steps["emb"], X_test, fixed=fixed_length)
    with _Timer() as tr:
        F = pipe[:-1].transform(X_test)
    with _Timer() as pr:
        pred = pipe[-1].predict(F)
    fitted = pipe.named_steps["emb"]
    history = getattr(fitted, "history_", None)
    out = {**_scores(y_test, pred, fit, tr, pr, F), **_torch_info()}
    if history is not None:
        try:
            out["epochs"] = len(history)
        except TypeError:
            pass
    if n_cut:
        out["n_test_cut"] = n_cut
    out["_emb"] = fitted  # removed by the caller; lets the missing suite impute with it
    return out


def _ridge_accuracy(emb, X_train, y_train, X_test, y_test) -> float:
    """Accuracy of RidgeClassifierCV (MiniRocket's head) on the same fitted features."""
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.metrics import accuracy_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    head = make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)))
    head.fit(emb.transform(X_train), y_train)
    return float(accuracy_score(y_test, head.predict(emb.transform(X_test))))


def _pretrained(name: str, job: dict, X_unlabelled, budget: dict):
    """Backbone fitted without labels on the whole training set, cached per
    (dataset, missingness, seed, backbone, budget) so the modular and end-to-end jobs of
    every label fraction share one pretraining. Returns (backbone, seconds, from_cache)."""
    spec = {"dataset": job["dataset"], "missing": job["params"]["missing"],
            "seed": job["seed"], "backbone": name, "budget": budget}
    digest = hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    cache = Path(job.get("workdir") or "benchmark-results") / "cache"
    path = cache / f"{job['dataset']}-{name}-seed{job['seed']}-{digest}.pkl"
    if path.exists():
        with path.open("rb") as f:
            blob = pickle.load(f)
        return blob["backbone"], blob["pretrain_s"], True
    backbone = _backbone(name, job["seed"], budget)
    with _Timer() as t:
        backbone.fit(X_unlabelled)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with tmp.open("wb") as f:
        pickle.dump({"backbone": backbone, "pretrain_s": t.seconds, "spec": spec}, f)
    os.replace(tmp, path)
    return backbone, t.seconds, False
