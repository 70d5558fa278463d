"""Jobs that check the modular paper's remaining claims, and sktime's benchmarking.

- ``regression_job``: which head a frozen backbone needs for regression (RidgeCV, linear,
  MLP; and end-to-end fine-tuning with the linear and MLP heads) beside MiniRocket + RidgeCV.
- ``transfer_job``: a backbone pretrained on one dataset, frozen, with a classifier
  trained on another.
- ``sktime_job``: skmts's sktime adapters, sktime's MiniRocket and one of sktime's torch
  classifiers in sktime's own ``ClassificationBenchmark`` on the same folds.

Planning is in ``_plan``; jobs run in fresh processes (``_harness``) and return dicts.
"""

from __future__ import annotations

import logging

import numpy as np

from ..model_selection._reference import (
    interpolate_linear,
    minirocket_for,
    to_sktime,
    warm_minirocket,
)
from ._data import load_setting, resample
from ._methods import _backbone, _pretrained, _Timer, _torch_info

ALPHAS = np.logspace(-3, 3, 10)


def _errors(y_true, pred) -> dict:
    """RMSE and MAE in the targets' own units."""
    y_true = np.asarray(y_true, dtype=np.float64)
    err = np.asarray(pred, dtype=np.float64).reshape(y_true.shape) - y_true
    return {"rmse": float(np.sqrt(np.mean(err ** 2))), "mae": float(np.mean(np.abs(err)))}


# ---- regression -----------------------------------------------------------------------
def regression_job(job: dict) -> dict:
    """One method on a regression dataset: ``minirocket`` (+ RidgeCV, on linearly
    interpolated data when values are missing), ``<backbone>-modular`` (the pretrained,
    frozen backbone with StandardScaler + RidgeCV, ``LinearHeadRegressor`` and
    ``MLPHeadRegressor``) or ``<backbone>-e2e`` (``EndToEndRegressor`` fine-tuning the same
    pretrained backbone with the linear and the MLP head). Metrics per head are suffixed
    ``_<head>``; the pretraining is shared by the modular and end-to-end jobs (cache)."""
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    seed, p = job["seed"], job["params"]
    X_train, y_train, X_test, y_test, _, _ = load_setting(job["dataset"], p["missing"], seed)
    out = {"n_train": int(len(y_train)), "n_test": int(len(y_test)),
           "baseline_rmse": _errors(y_test, np.full(len(y_test), np.mean(y_train)))["rmse"]}
    if p["kind"] == "minirocket":
        if p["missing"] != "complete":
            X_train, X_test = interpolate_linear(X_train), interpolate_linear(X_test)
        warm_minirocket(X_train, seed)
        trf = minirocket_for(X_train, seed)
        head = RidgeCV(alphas=ALPHAS)
        with _Timer() as fit:
            trf.fit(to_sktime(X_train))
            head.fit(np.asarray(trf.transform(to_sktime(X_train))), y_train)
        pred = head.predict(np.asarray(trf.transform(to_sktime(X_test))))
        return {**out, **_suffixed(_errors(y_test, pred), "ridgecv"),
                "fit_s_ridgecv": fit.seconds}

    from skmts import EndToEndRegressor, LinearHeadRegressor, MLPHeadRegressor

    name = p["backbone"]
    backbone, pre_s, cached = _pretrained(name, job, X_train, p.get("budget", {}))
    out.update(pretrain_s=pre_s, pretrain_cached=cached, **_torch_info())
    heads = {"linear": LinearHeadRegressor, "mlp": MLPHeadRegressor}
    if p["kind"] == "modular":
        F_train, F_test = backbone.transform(X_train), backbone.transform(X_test)
        candidates = {"ridgecv": make_pipeline(StandardScaler(), RidgeCV(alphas=ALPHAS)),
                      **{h: cls(random_state=seed, **p.get("head_budget", {}))
                         for h, cls in heads.items()}}
        for label, head in candidates.items():
            with _Timer() as fit:
                head.fit(F_train, y_train)
            out.update(_suffixed(_errors(y_test, head.predict(F_test)), label))
            out[f"fit_s_{label}"] = pre_s + fit.seconds
        return out
    for h, cls in heads.items():
        est = EndToEndRegressor(backbone, cls(random_state=seed, **p.get("head_budget", {})),
                                pretrain=True, freeze=False, random_state=seed)
        with _Timer() as fit:
            est.fit(X_train, y_train)
        out.update(_suffixed(_errors(y_test, est.predict(X_test)), f"e2e-{h}"))
        out[f"fit_s_e2e-{h}"] = pre_s + fit.seconds
    return out


def _suffixed(metrics: dict, label: str) -> dict:
    return {f"{k}_{label}": v for k, v in metrics.items()}


# ---- transfer -------------------------------------------------------------------------
def transfer_job(job: dict) -> dict:
    """Pretrain a backbone on the training split of ``job["dataset"]`` (the source),
    freeze it, and for every target dataset train StandardScaler + LogisticRegression on
    the target's training features and score its test split. Every series (source and
    targets) is linearly resampled to ``length`` steps, so one fixed-length PyPOTS model
    reads every dataset; the source equal to a target is the "pretrained on the target
    itself" reference. Labels of the source are never used."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skmts.datasets import load_dataset

    seed, p = job["seed"], job["params"]
    length = p["length"]
    X_source, _ = load_dataset(job["dataset"], split="train")
    backbone = _backbone(job["method"], seed, p.get("budget", {}))
    with _Timer() as pre:
        backbone.fit(resample(X_source, length))
    accuracy, head_s = {}, {}
    for target in p["targets"]:
        X_tr, y_tr = load_dataset(target, split="train")
        X_te, y_te = load_dataset(target, split="test")
        head = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        with _Timer() as fit:
            head.fit(backbone.transform(resample(X_tr, length)), y_tr)
        pred = head.predict(backbone.transform(resample(X_te, length)))
        accuracy[target] = float(accuracy_score(y_te, pred))
        head_s[target] = fit.seconds
    return {"accuracy": accuracy, "head_s": head_s, "pretrain_s": pre.seconds,
            "n_source": int(len(X_source)), **_torch_info()}


# ---- sktime's benchmarking --------------------------------------------------------------
class _SktimeFailures(logging.Handler):
    """Collects the "Validation failed: ..." lines sktime's benchmark logs."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        msg = record.getMessage()
        if "failed:" in msg:
            self.messages.append(msg.split("failed:", 1)[1].strip())


def sktime_estimator(method: str, seed: int, budget: dict):
    """The sktime estimator behind a method name of the sktime suite."""
    if method == "minirocket":
        from sktime.classification.kernel_based import RocketClassifier

        return RocketClassifier(rocket_transform="minirocket", random_state=seed)
    if method == "fcn-torch":
        from sktime.classification.deep_learning import FCNClassifierTorch

        return FCNClassifierTorch(random_state=seed, **budget)
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from skmts import EndToEndClassifier, LinearHeadClassifier
    from skmts.sktime import SktimeClassifier

    name, _, kind = method.partition("-")
    backbone = _backbone(name, seed, budget.get("backbone", {}))
    if kind == "modular":
        return SktimeClassifier(Pipeline([("emb", backbone), ("scale", StandardScaler()),
                                          ("clf", LogisticRegression(max_iter=1000))]))
    head = LinearHeadClassifier(random_state=seed, **budget.get("head", {}))
    return SktimeClassifier(EndToEndClassifier(backbone, head, random_state=seed))


def sktime_job(job: dict) -> dict:
    """One estimator on one dataset in sktime's ``ClassificationBenchmark``: accuracy on
    each of ``n_folds`` shuffled K-fold splits of train + test together (the rows are
    shuffled once with the seed first: sktime's torch classifiers do not shuffle their
    training batches, and the shipped training splits are sorted by class)."""
    from pathlib import Path

    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import KFold
    from sktime.benchmarking.classification import ClassificationBenchmark

    from skmts.datasets import _dataset_info

    seed, p = job["seed"], job["params"]
    info = _dataset_info(job["dataset"])

    def loader():
        import sktime.datasets

        X, y = getattr(sktime.datasets, info.loader)(return_X_y=True)
        order = np.random.default_rng(seed).permutation(len(y))
        X = X.iloc[order].reset_index(drop=True) if hasattr(X, "iloc") else X[order]
        return X, np.asarray(y)[order]

    loader.__name__ = f"load_{job['dataset']}_shuffled"
    if job["method"] == "minirocket":  # numba compiles outside the timing
        from skmts.datasets import load_dataset

        warm_minirocket(load_dataset(job["dataset"], split="train")[0], seed)
    bench = ClassificationBenchmark()
    bench.add_estimator(sktime_estimator(job["method"], seed, p.get("budget", {})),
                        estimator_id=job["method"])
    bench.add_task(dataset_loader=loader,
                   cv_splitter=KFold(n_splits=p["n_folds"], shuffle=True, random_state=seed),
                   scorers=[accuracy_score], task_id=job["dataset"])
    workdir = Path(job.get("workdir") or "benchmark-results") / "sktime-benchmark"
    workdir.mkdir(parents=True, exist_ok=True)
    out_file = workdir / f"{job['dataset']}-{job['method']}-seed{seed}.csv"
    failures = _SktimeFailures()
    log = logging.getLogger("sktime.benchmarking.benchmarks")
    log.addHandler(failures)
    try:
        df = bench.run(output_file=str(out_file), force_rerun="all")
    finally:
        log.removeHandler(failures)
    if df.empty or f"accuracy_score_fold_{p['n_folds'] - 1}_test" not in df:
        # sktime logs a failed estimator and returns no row: fail with its reason
        raise RuntimeError("; ".join(failures.messages)
                           or "sktime's ClassificationBenchmark returned no result")
    row = df.iloc[0]
    folds = [float(row[f"accuracy_score_fold_{i}_test"]) for i in range(p["n_folds"])]
    fit = [float(row[f"fit_time_fold_{i}_test"]) for i in range(p["n_folds"])
           if f"fit_time_fold_{i}_test" in row]
    return {"fold_accuracy": folds, "accuracy": float(np.mean(folds)),
            "fit_s": float(np.mean(fit)) if fit else float("nan"), **_torch_info()}
