"""The benchmark jobs: what each one measures (planning is in ``_plan``).

Job functions (``*_job``) run inside a fresh spawned process (see ``_harness``); they
import what they need lazily so that a MiniRocket job does not pay for torch or PyPOTS in
its peak memory, and they return plain dicts of metrics.
"""

from __future__ import annotations

import numpy as np

from ._data import (
    _fit_length_guard,
    _length_params,
    _n,
    injected_mae,
    load_setting,
)
from ..model_selection import labelled_subset
from ..model_selection._objective import take as _take
from ..model_selection._reference import interpolate_linear
from ._methods import (
    _add_preprocessing,
    _backbone,
    _minirocket_run,
    _pipeline_run,
    _pretrained,
    _ridge_accuracy,
    _Timer,
    _torch_info,
)
from ._plan import _ABLATED, TWIN
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


def e2e_job(job: dict) -> dict:
    """Modular (frozen backbone + head) vs end-to-end vs from scratch vs MiniRocket,
    with a stratified fraction of the training labels."""
    from sklearn.metrics import accuracy_score

    seed, p = job["seed"], job["params"]
    X_train, y_train, X_test, y_test, _, _ = load_setting(job["dataset"], p["missing"], seed)
    lab = labelled_subset(y_train, p["label_fraction"], seed)
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
        # EndToEndClassifier(freeze=True) trains; the head standardises its input with
        # the training features' statistics on both sides (standardize=True)
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


def inference_job(job: dict) -> dict:
    """Transform throughput on a large panel against a bare ``torch.no_grad()`` forward.

    The backbone is fitted on the first ``n_fit`` series; then ``transform`` of the whole
    float32 panel is timed (validation, scaling, batching and the copy back included),
    and so is the same feature module run directly on ready-made input tensors, a batch
    at a time, with nothing else around it. The job's peak memory comes from the harness.
    """
    import torch

    from ..training._recipe import batches

    seed, p = job["seed"], job["params"]
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(p["n_samples"], p["n_timesteps"], p["n_channels"]))
    X = X.cumsum(axis=1).astype(np.float32)
    emb = _backbone(job["method"], seed, p.get("budget", {}))
    with _Timer() as fit:
        emb.fit(X[: p["n_fit"]])
    emb.transform(X[:8])  # first-call costs outside the timing
    with _Timer() as tr:
        F = emb.transform(X)
    import resource

    # peak resident memory so far (fit + transform), before the bare forward builds its
    # whole-panel input tensors; Linux reports KiB
    transform_peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from ..representation import check_panel

    panel = check_panel(emb, X, reset=False)
    inputs = emb.feature_inputs(panel)
    module = emb.feature_module().eval().to(emb.device_ if hasattr(emb, "device_") else "cpu")
    batch = 256 if job["method"] == "dmae" else emb.batch_size
    device = next(module.parameters()).device
    with _Timer() as bare, torch.no_grad():
        for b in batches(inputs, batch, device):
            module(**b)
    n = p["n_samples"]
    return {"fit_s": fit.seconds, "transform_s": tr.seconds, "bare_s": bare.seconds,
            "series_per_s": n / tr.seconds, "bare_series_per_s": n / bare.seconds,
            "throughput_ratio": bare.seconds / tr.seconds, "n_features": int(F.shape[1]),
            "input_mib": X.nbytes / 2**20, "transform_peak_mib": transform_peak_mib,
            "bare_batch": batch, **_torch_info()}
