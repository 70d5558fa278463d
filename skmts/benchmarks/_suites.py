"""The benchmark suites: which jobs each one plans, and what each job measures.

Job functions (``*_job``) run inside a fresh spawned process (see ``_harness``); they
import what they need lazily so that a MiniRocket job does not pay for torch or PyPOTS in
its peak memory, and they return plain dicts of metrics.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import inspect
import json
import logging
import os
import pickle
import time
from pathlib import Path

import numpy as np

from ._harness import Job

logger = logging.getLogger("skmts.benchmarks")

SUITES = ("classification", "ablation", "missing", "e2e", "long")
CLASSIFICATION_DATASETS = (
    "BasicMotions", "JapaneseVowels", "ArrowHead", "GunPoint", "ItalyPowerDemand", "OSULeaf",
)
ABLATION_DATASETS = CLASSIFICATION_DATASETS
MISSING_DATASETS = ("BasicMotions", "JapaneseVowels")
E2E_DATASETS = ("JapaneseVowels", "BasicMotions")
QUICK_DATASETS = {
    # one univariate and the ragged one: the two input paths beside the 3-D one
    "classification": ("ItalyPowerDemand", "JapaneseVowels"),
    "ablation": ("BasicMotions", "JapaneseVowels"),
    "missing": ("BasicMotions", "JapaneseVowels"),
    "e2e": ("BasicMotions", "JapaneseVowels"),
}
DEFAULT_SEEDS = {"classification": 3, "ablation": 3, "missing": 3, "e2e": 5, "long": 1}
# the long-series check: a panel of univariate random walks, (n_samples, n_timesteps)
LONG_PANEL = (100, 2000)
QUICK_LONG_PANEL = (20, 300)
FROZEN_BACKBONES = ("saits", "transformer", "timesnet", "brits", "grud", "csai")
QUICK_FROZEN_BACKBONES = ("saits", "brits")
MISSING_SETTINGS = ("complete", "mcar-0.1", "mcar-0.3", "block-0.1", "block-0.3")
# settings where the missing suite also runs the random-initialisation twins, and those
# where it runs the RNN backbones with mean-pooled hidden states
TWIN_SETTINGS = ("complete",)
POOLING_SETTINGS = ("complete", "mcar-0.3")
RNN_BACKBONES = ("brits", "grud", "csai")
QUICK_MISSING_SETTINGS = ("mcar-0.3", "block-0.3")
E2E_MISSING = ("complete", "mcar-0.3")
E2E_FRACTIONS = (0.1, 0.25, 1.0)
QUICK_E2E_FRACTIONS = (0.25,)
E2E_BACKBONES = ("dmae",)
E2E_KINDS = ("modular", "e2e", "scratch")
HEADS = ("linear", "mlp")

# Budgets for --quick: a smoke test of every code path, not a measurement.
QUICK_BUDGET = {
    "dmae": {"max_epochs": 2},
    "frozen": {"max_epochs": 2},
    "head": {"max_epochs": 5},
    "e2e": {},  # end-to-end fine-tuning follows the head's recipe (its max_epochs)
}

# (label, DMAETransformer parameters, with a random-initialisation twin) of the ablation;
# variants equal to the defaults are folded into "default" when the plan is made. A twin
# (same architecture and pooling, ``max_epochs=0``: no optimiser step, BatchNorm statistics
# from the data) is run where the variant changes the architecture or the pooling; the
# variants that change training only share the default's twin.
PAPER_TOKENS = {"patch_len": 1, "n_conv_blocks": 0, "mask_ratio": 0.15, "mean_span": 3,
                "mask_per_channel": True}
ABLATION_VARIANTS = (
    ("default", {}, True),
    ("paper tokens and masks", PAPER_TOKENS, True),
    ("n_conv_blocks=0", {"n_conv_blocks": 0}, True),
    ("alignment_weight=0", {"alignment_weight": 0.0}, False),
    ("teacher_view=full", {"teacher_view": "full"}, False),
    ("mask_ratio=0.4", {"mask_ratio": 0.4}, False),
    ("mask_ratio=0.6", {"mask_ratio": 0.6}, False),
    ("global mean pooling", {"pooling": "mean", "layers": "last"}, True),
    ("pooling=meanmaxppv", {"pooling": "meanmaxppv"}, True),
)
TWIN = " (twin)"

_ABLATED = ("alignment_weight", "patch_len", "n_conv_blocks", "mask_ratio", "mean_span",
            "teacher_view", "pooling")
_TARGET = "skmts.benchmarks._suites:"


@dataclasses.dataclass
class Options:
    """What the command line asked for."""

    datasets: tuple | None = None
    seeds: int | None = None
    quick: bool = False
    methods: tuple | None = None
    backbones: tuple | None = None
    settings: tuple | None = None
    device: str | None = None
    workdir: str = "benchmark-results"

    def n_seeds(self, suite: str) -> int:
        if self.seeds is not None:
            return self.seeds
        return 1 if self.quick else DEFAULT_SEEDS[suite]

    def datasets_for(self, suite: str, default: tuple) -> tuple:
        if self.datasets:
            return tuple(self.datasets)
        return QUICK_DATASETS[suite] if self.quick else default

    def budget(self, kind: str) -> dict:
        budget = dict(QUICK_BUDGET[kind]) if self.quick else {}
        if self.device is not None:
            budget["device"] = self.device
        return budget

    def settings_for(self, default: tuple) -> tuple:
        return tuple(s for s in default if not self.settings or s in self.settings)

    def keep(self, method: str) -> bool:
        return not self.methods or any(fnmatch.fnmatch(method, pat) for pat in self.methods)


# ---- planning -------------------------------------------------------------------------
def plan(suite: str, opts: Options) -> list[Job]:
    """The jobs of ``suite`` in run order (dataset, then seed, then method)."""
    planner = {
        "classification": _plan_classification,
        "ablation": _plan_ablation,
        "missing": _plan_missing,
        "e2e": _plan_e2e,
        "long": _plan_long,
    }[suite]
    jobs = [job for job in planner(opts) if opts.keep(job.method)]
    return [dataclasses.replace(job, workdir=str(opts.workdir)) for job in jobs]


def _plan_classification(opts: Options) -> list[Job]:
    jobs = []
    for dataset in opts.datasets_for("classification", CLASSIFICATION_DATASETS):
        for seed in range(opts.n_seeds("classification")):
            jobs.append(Job("classification", dataset, "dmae", "default", seed,
                            _TARGET + "classification_job",
                            {"dmae_params": {}, "budget": opts.budget("dmae")}))
            jobs.append(Job("classification", dataset, "minirocket", "default", seed,
                            _TARGET + "classification_job", {}))
    return jobs


def ablation_variants() -> list[tuple[str, dict, bool]]:
    """Ablation variants, without those that repeat DMAETransformer's defaults."""
    defaults = _dmae_defaults()
    variants = []
    for label, params, twin in ABLATION_VARIANTS:
        if label != "default" and all(defaults.get(k) == v for k, v in params.items()):
            continue  # identical to "default": same seed, same result
        variants.append((label, params, twin))
    return variants


def _dmae_defaults() -> dict:
    from skmts import DMAETransformer as cls
    return {
        name: p.default
        for name, p in inspect.signature(cls).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def _plan_ablation(opts: Options) -> list[Job]:
    jobs = []
    variants = ablation_variants()
    for dataset in opts.datasets_for("ablation", ABLATION_DATASETS):
        for seed in range(opts.n_seeds("ablation")):
            for label, params, twin in variants:
                jobs.append(Job("ablation", dataset, label, "default", seed,
                                _TARGET + "classification_job",
                                {"dmae_params": params, "budget": opts.budget("dmae")}))
                if twin:
                    jobs.append(Job("ablation", dataset, label + TWIN, "default", seed,
                                    _TARGET + "classification_job",
                                    {"dmae_params": {**params, "max_epochs": 0}}))
    return jobs


def _plan_missing(opts: Options) -> list[Job]:
    backbones = opts.backbones or (QUICK_FROZEN_BACKBONES if opts.quick else FROZEN_BACKBONES)
    settings = opts.settings_for(QUICK_MISSING_SETTINGS if opts.quick else MISSING_SETTINGS)
    jobs = []
    for dataset in opts.datasets_for("missing", MISSING_DATASETS):
        for seed in range(opts.n_seeds("missing")):
            for setting in settings:
                methods = [(f"frozen-{b}", {"backbone": b, "budget": opts.budget("frozen")})
                           for b in backbones]
                methods += [("dmae", {"budget": opts.budget("dmae")}), ("minirocket", {})]
                methods += _missing_variants(backbones, opts, setting)
                if setting != "complete":
                    methods.append(("linear-interp", {}))
                for method, params in methods:
                    jobs.append(Job("missing", dataset, method, setting, seed,
                                    _TARGET + "missing_job", params))
    return jobs


def _plan_long(opts: Options) -> list[Job]:
    n, t = QUICK_LONG_PANEL if opts.quick else LONG_PANEL
    return [Job("long", f"random walks {n}x{t}", "dmae", "default", seed,
                _TARGET + "long_series_job",
                {"n_samples": n, "n_timesteps": t, "budget": opts.budget("dmae")})
            for seed in range(opts.n_seeds("long"))]


def _missing_variants(backbones, opts: Options, setting: str) -> list[tuple[str, dict]]:
    """Random-initialisation twins of every backbone (``TWIN_SETTINGS``), and the RNN
    backbones with every step's hidden state mean-pooled instead of the final state
    (``POOLING_SETTINGS``)."""
    out = []
    if setting in TWIN_SETTINGS:
        out += [(f"frozen-{b}{TWIN}", {"backbone": b, "estimator_params": {"max_epochs": 0}})
                for b in backbones]
        out.append(("dmae" + TWIN, {"estimator_params": {"max_epochs": 0}}))
    if setting in POOLING_SETTINGS:
        out += [(f"frozen-{b} pooling=mean", {"backbone": b, "budget": opts.budget("frozen"),
                                              "estimator_params": {"pooling": "mean"}})
                for b in backbones if b in RNN_BACKBONES]
    return out


def _plan_e2e(opts: Options) -> list[Job]:
    backbones = opts.backbones or E2E_BACKBONES
    fractions = QUICK_E2E_FRACTIONS if opts.quick else E2E_FRACTIONS
    jobs = []
    for dataset in opts.datasets_for("e2e", E2E_DATASETS):
        for seed in range(opts.n_seeds("e2e")):
            for missing in opts.settings_for(E2E_MISSING):
                for frac in fractions:
                    setting = f"{missing}/labels={frac:g}"
                    base = {"missing": missing, "label_fraction": frac}
                    for backbone in backbones:
                        budget = opts.budget("dmae" if backbone == "dmae" else "frozen")
                        for kind in E2E_KINDS:
                            for head in HEADS:
                                params = {**base, "backbone": backbone, "kind": kind,
                                          "head": head, "budget": budget,
                                          "head_budget": opts.budget("head"),
                                          "e2e_budget": opts.budget("e2e")}
                                jobs.append(Job("e2e", dataset, f"{backbone}-{kind}-{head}",
                                                setting, seed, _TARGET + "e2e_job", params))
                    jobs.append(Job("e2e", dataset, "minirocket", setting, seed,
                                    _TARGET + "e2e_job", {**base, "kind": "minirocket"}))
    return jobs


# ---- data helpers ---------------------------------------------------------------------
def load_setting(dataset: str, setting: str, seed: int):
    """Train/test data with the setting's missingness injected (same masks for every method).

    Returns ``(X_train, y_train, X_test, y_test, X_train_complete, X_test_complete)``.
    """
    from skmts.datasets import inject_missing, load_dataset

    X_train, y_train = load_dataset(dataset, split="train")
    X_test, y_test = load_dataset(dataset, split="test")
    if setting == "complete":
        return X_train, y_train, X_test, y_test, X_train, X_test
    pattern, rate = _parse_missing(setting)
    X_train_m = inject_missing(X_train, rate, pattern, random_state=10_000 * seed + 1)
    X_test_m = inject_missing(X_test, rate, pattern, random_state=10_000 * seed + 2)
    return X_train_m, y_train, X_test_m, y_test, X_train, X_test


def _parse_missing(setting: str) -> tuple[str, float]:
    pattern, _, rate = setting.partition("-")
    if pattern not in ("mcar", "seq", "block") or not rate:
        raise ValueError(f"unknown missingness setting {setting!r}; expected e.g. 'mcar-0.3'.")
    return pattern, float(rate)


def _series(X) -> list[np.ndarray]:
    """A panel (3-D array or list of (T_i, C) arrays) as a list of 2-D arrays."""
    if isinstance(X, np.ndarray):
        return list(X if X.ndim == 3 else X[:, :, None])
    return [np.asarray(s) if np.ndim(s) == 2 else np.asarray(s)[:, None] for s in X]


def _like(series: list[np.ndarray], X):
    return np.stack(series) if isinstance(X, np.ndarray) else series


def _take(X, idx):
    return X[idx] if isinstance(X, np.ndarray) else [X[i] for i in idx]


def _n(X) -> int:
    return X.shape[0] if isinstance(X, np.ndarray) else len(X)


def interpolate_linear(X):
    """Fill NaN by linear interpolation along time, per series and channel.

    Leading and trailing gaps take the nearest observed value; a channel with no
    observed value in a series becomes 0.
    """
    out = []
    for s in _series(X):
        s = np.array(s, dtype=np.float64)
        t = np.arange(s.shape[0])
        for c in range(s.shape[1]):
            obs = ~np.isnan(s[:, c])
            if obs.all():
                continue
            s[:, c] = np.interp(t, t[obs], s[obs, c]) if obs.any() else 0.0
        out.append(s)
    return _like(out, X)


def injected_mae(X_complete, X_missing, X_imputed) -> tuple[float, int, int]:
    """MAE of ``X_imputed`` on the values that were observed in ``X_complete`` and hidden
    in ``X_missing``, in the data's own units.

    Returns ``(mae, n_values, n_left_missing)``; values the imputer left NaN are counted
    apart and kept out of the mean. A padded 3-D ``X_imputed`` is cut to each length.
    """
    errors, left = [], 0
    for orig, miss, imp in zip(_series(X_complete), _series(X_missing), _series(X_imputed)):
        t = min(len(orig), len(miss))
        hidden = ~np.isnan(orig[:t]) & np.isnan(miss[:t])
        vals = np.asarray(imp, dtype=np.float64)[:t][hidden]
        left += int(np.isnan(vals).sum())
        errors.append(np.abs(vals - orig[:t][hidden])[~np.isnan(vals)])
    errors = np.concatenate(errors) if errors else np.empty(0)
    mae = float(errors.mean()) if errors.size else float("nan")
    return mae, int(errors.size + left), left


def label_subset(y, fraction: float, seed: int) -> np.ndarray:
    """Sorted indices of a stratified ``fraction`` of ``y``, at least one per class."""
    y = np.asarray(y)
    if fraction >= 1:
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    picked = []
    for cls in np.unique(y):
        members = np.flatnonzero(y == cls)
        k = max(1, int(round(fraction * len(members))))
        picked.append(rng.choice(members, size=min(k, len(members)), replace=False))
    return np.sort(np.concatenate(picked))


def _length_params(name: str, *panels) -> dict:
    """``n_steps`` for a fixed-length (PyPOTS) backbone on ragged data: the longest series
    of train and test, as a user serving such series would set it. {} otherwise."""
    if name == "dmae" or all(isinstance(X, np.ndarray) for X in panels):
        return {}
    return {"n_steps": int(max(len(s) for X in panels for s in _series(X)))}


def _fit_length_guard(estimator, X, *extra, fixed=True):
    """Cut test series longer than a fixed-length backbone's fitted length.

    PyPOTS backbones fix the series length at fit (JapaneseVowels' test split has series
    up to 29 steps, its training split up to 26); DMAE (``fixed=False``) takes any length.
    Returns the (possibly cut) panels and the number of series that were cut.
    """
    length = getattr(estimator, "n_steps_", getattr(estimator, "n_timesteps_in_", None))
    if not fixed or length is None or isinstance(X, np.ndarray):
        return (X, *extra, 0)
    n_cut = sum(len(s) > length for s in X)
    if not n_cut:
        return (X, *extra, 0)
    cut = [[s[:length] for s in panel] for panel in (X, *extra)]
    return (*cut, int(n_cut))


# ---- estimator helpers ----------------------------------------------------------------
def _preload(name: str) -> None:
    """Import the libraries a backbone loads lazily, so that fit timings exclude imports."""
    import skorch.callbacks  # noqa: F401 - DMAE and the heads train with skorch
    import skorch.dataset  # noqa: F401

    if name != "dmae":
        from skmts.backbones._pypots import import_pypots

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


# ---- MiniRocket -----------------------------------------------------------------------
def _to_sktime(X):
    """NTC panel -> sktime: numpy3D (n, C, T) or, for ragged panels, a df-list."""
    if isinstance(X, np.ndarray):
        return np.ascontiguousarray(np.transpose(X, (0, 2, 1)))
    import pandas as pd

    return [pd.DataFrame(s) for s in _series(X)]


def _minirocket_for(X, seed: int):
    from sktime.transformations.rocket import (
        MiniRocket,
        MiniRocketMultivariate,
        MiniRocketMultivariateVariable,
    )

    if not isinstance(X, np.ndarray):
        # JapaneseVowels has series of 7 steps; MiniRocket's kernels need 9
        return MiniRocketMultivariateVariable(pad_value_short_series=0.0, random_state=seed)
    if X.shape[2] == 1:
        return MiniRocket(random_state=seed)
    return MiniRocketMultivariate(random_state=seed)


def _warm_minirocket(X, seed: int) -> None:
    """Compile (or load from numba's cache) MiniRocket's kernels outside the timings."""
    rng = np.random.default_rng(0)
    if isinstance(X, np.ndarray):
        tiny = rng.normal(size=(4, 16, X.shape[2]))
    else:
        c = _series(X)[0].shape[1]
        tiny = [rng.normal(size=(12, c)), rng.normal(size=(16, c)), rng.normal(size=(14, c))]
    trf = _minirocket_for(tiny, seed)
    trf.fit(_to_sktime(tiny))
    trf.transform(_to_sktime(tiny))


def _minirocket_run(X_unlabelled, X_train, y_train, X_test, y_test, seed):
    """MiniRocket fitted on ``X_unlabelled`` + RidgeClassifierCV on (X_train, y_train).

    sktime transformers are used outside any sklearn Pipeline (sklearn 1.9's callback
    context breaks on skbase objects).
    """
    from sklearn.linear_model import RidgeClassifierCV

    _warm_minirocket(X_train, seed)
    trf = _minirocket_for(X_train, seed)
    clf = RidgeClassifierCV(alphas=np.logspace(-3, 3, 10))
    with _Timer() as fit:
        trf.fit(_to_sktime(X_unlabelled))
        clf.fit(np.asarray(trf.transform(_to_sktime(X_train))), y_train)
    with _Timer() as tr:
        F = np.asarray(trf.transform(_to_sktime(X_test)))
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


# ---- jobs -----------------------------------------------------------------------------
def classification_job(job: dict) -> dict:
    """DMAE (+ StandardScaler + LogisticRegression) or MiniRocket (+ RidgeClassifierCV)."""
    seed, params = job["seed"], job["params"]
    X_train, y_train, X_test, y_test, _, _ = load_setting(job["dataset"], "complete", seed)
    if job["method"] == "minirocket":
        return _minirocket_run(X_train, X_train, y_train, X_test, y_test, seed)
    emb = _backbone("dmae", seed, params.get("budget", {}), params.get("dmae_params", {}))
    settings = {k: v for k, v in emb.get_params().items() if k in _ABLATED}
    out = _pipeline_run(emb, X_train, y_train, X_test, y_test, fixed_length=False)
    out["accuracy_ridgecv"] = _ridge_accuracy(out.pop("_emb"), X_train, y_train, X_test, y_test)
    out["dmae_settings"] = settings
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


def missing_job(job: dict) -> dict:
    """Accuracy with injected missingness, and imputation MAE on the injected values."""
    seed, params, setting, method = job["seed"], job["params"], job["setting"], job["method"]
    X_train, y_train, X_test, y_test, _, X_test_full = load_setting(
        job["dataset"], setting, seed
    )
    if method == "linear-interp":
        with _Timer() as t:
            X_imp = interpolate_linear(X_test)
        mae, n_vals, n_left = injected_mae(X_test_full, X_test, X_imp)
        return {"imputation_mae": mae, "impute_s": t.seconds, "n_injected": n_vals,
                "n_left_missing": n_left}
    if method == "minirocket":
        with _Timer() as t_train:
            X_train_i = interpolate_linear(X_train)
        with _Timer() as t_test:
            X_test_i = interpolate_linear(X_test)
        out = _minirocket_run(X_train_i, X_train_i, y_train, X_test_i, y_test, seed)
        # interpolation is part of this method, at fit and at inference
        return _add_preprocessing(out, t_train.seconds, t_test.seconds, _n(X_test))
    name = params.get("backbone", "dmae")
    emb = _backbone(name, seed, {**params.get("budget", {}),
                                 **_length_params(name, X_train, X_test)},
                    params.get("estimator_params"))
    fixed = name != "dmae"
    out = _pipeline_run(emb, X_train, y_train, X_test, y_test, fixed_length=fixed)
    if getattr(emb, "n_steps", None):
        out["n_steps"] = int(emb.n_steps)
    fitted = out.pop("_emb")
    if setting != "complete" and not method.endswith(TWIN):  # an untrained imputer: no MAE
        X_used, X_full_used, _ = _fit_length_guard(fitted, X_test, X_test_full, fixed=fixed)
        with _Timer() as t:
            X_imp = fitted.impute(X_used)
        mae, n_vals, n_left = injected_mae(X_full_used, X_used, X_imp)
        out.update(imputation_mae=mae, impute_s=t.seconds, n_injected=n_vals,
                   n_left_missing=n_left)
    return out


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


def e2e_job(job: dict) -> dict:
    """Modular (frozen backbone + head) vs end-to-end vs from scratch vs MiniRocket,
    with a stratified fraction of the training labels."""
    from sklearn.metrics import accuracy_score

    seed, p = job["seed"], job["params"]
    X_train, y_train, X_test, y_test, _, _ = load_setting(job["dataset"], p["missing"], seed)
    lab = label_subset(y_train, p["label_fraction"], seed)
    X_lab, y_lab = _take(X_train, lab), y_train[lab]
    out = {"n_labelled": int(len(lab))}
    if p["kind"] == "minirocket":
        if p["missing"] == "complete":
            out.update(_minirocket_run(X_train, X_lab, y_lab, X_test, y_test, seed))
            return out
        with _Timer() as t_train:
            X_train = interpolate_linear(X_train)
        with _Timer() as t_test:
            X_test_i = interpolate_linear(X_test)
        out.update(_minirocket_run(X_train, _take(X_train, lab), y_lab, X_test_i, y_test, seed))
        return _add_preprocessing(out, t_train.seconds, t_test.seconds, _n(X_test))

    name, kind = p["backbone"], p["kind"]
    budget = {**p.get("budget", {}), **_length_params(name, X_train, X_test)}
    # one head configuration on both sides; EndToEndClassifier clones it
    from skmts import EndToEndClassifier, LinearHeadClassifier, MLPHeadClassifier

    head_cls = {"linear": LinearHeadClassifier, "mlp": MLPHeadClassifier}[p["head"]]
    head = head_cls(random_state=seed, **p.get("head_budget", {}))
    if kind == "modular":
        backbone, pre_s, cached = _pretrained(name, job, X_train, budget)
        X_test, n_cut = _fit_length_guard(backbone, X_test, fixed=name != "dmae")
        # Pipeline([backbone, head]) with the backbone frozen, which is what
        # EndToEndClassifier(freeze=True) trains: no feature scaling on either side
        with _Timer() as fit:
            head.fit(backbone.transform(X_lab), y_lab)
        with _Timer() as inf:
            pred = head.predict(backbone.transform(X_test))
        out.update(pretrain_s=pre_s, head_s=fit.seconds, fit_s=pre_s + fit.seconds,
                   pretrain_cached=cached)
    else:
        if kind == "e2e":
            backbone, pre_s, cached = _pretrained(name, job, X_train, budget)
            est = EndToEndClassifier(backbone, head, pretrain=True, freeze=False,
                                     random_state=seed, **p.get("e2e_budget", {}))
            out.update(pretrain_s=pre_s, pretrain_cached=cached)
        else:
            pre_s = 0.0
            est = EndToEndClassifier(_backbone(name, seed, budget), head, pretrain=False,
                                     random_state=seed, **p.get("e2e_budget", {}))
        with _Timer() as fit:
            est.fit(X_lab, y_lab)
        fitted_backbone = getattr(est, "backbone_", None)
        if fitted_backbone is None:
            fitted_backbone = est.backbone
        X_test, n_cut = _fit_length_guard(fitted_backbone, X_test, fixed=name != "dmae")
        with _Timer() as inf:
            pred = est.predict(X_test)
        out.update(finetune_s=fit.seconds, fit_s=pre_s + fit.seconds)
    out.update(
        accuracy=float(accuracy_score(y_test, pred)),
        inference_s=inf.seconds,
        latency_ms=1000 * inf.seconds / _n(X_test),
        **_torch_info(),
    )
    if n_cut:
        out["n_test_cut"] = n_cut
    return out


def long_series_job(job: dict) -> dict:
    """DMAE with its defaults on a panel of long univariate random walks: fit and
    transform seconds (the job's peak memory is measured by the harness)."""
    seed, p = job["seed"], job["params"]
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(p["n_samples"], p["n_timesteps"], 1)).cumsum(axis=1)
    emb = _backbone("dmae", seed, p.get("budget", {}))
    with _Timer() as fit:
        emb.fit(X)
    with _Timer() as tr:
        F = emb.transform(X)
    return {"fit_s": fit.seconds, "transform_s": tr.seconds, "n_features": int(F.shape[1]),
            "patch_len": int(emb.patch_len_), "batch_size": int(emb.batch_size_),
            "epochs": int(emb.max_epochs_), **_torch_info()}
