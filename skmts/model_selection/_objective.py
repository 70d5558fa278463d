"""Scoring a configuration: folds, backbones pretrained once per fold, pruning.

:class:`Objective` is an Optuna objective over a :class:`~skmts.model_selection.SearchSpace`.
The labelled series are split into stratified folds (a holdout when ``cv=1``); for each
fold, each backbone is pretrained without labels on every training series *except* the
fold's validation series (``transductive=True`` pretrains once on all series, the
validation and test series included, and says so), cached in memory and on disk, and
reused by every trial. Modular heads train on the cached features; end-to-end trials
fine-tune a copy of the cached backbone; scratch trials build their own.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
from skorch.callbacks import Callback

from ..training._recipe import extra_callbacks
from ._space import SearchSpace, build_estimator, make_backbone

__all__ = ["Objective", "PruningCallback", "count_parameters", "take"]


def take(X, idx):
    """Rows ``idx`` of a panel (3-D array or list of series)."""
    if isinstance(X, np.ndarray):
        return X[idx]
    return [X[i] for i in idx]


def _fingerprint(*arrays) -> str:
    h = hashlib.sha1()
    for a in arrays:
        for s in ([a] if isinstance(a, np.ndarray) else a):
            s = np.ascontiguousarray(s)
            h.update(str(s.shape).encode())
            h.update(s.tobytes())
    return h.hexdigest()[:16]


class PruningCallback(Callback):
    """A skorch callback that reports a per-epoch score to an Optuna trial and prunes.

    Each epoch end, ``net.history[-1, monitor]`` (times ``sign``) is reported at step
    ``step_offset + epoch``; when the study's pruner says so, ``optuna.TrialPruned`` is
    raised (skorch lets it through, so the trial ends as pruned). Epochs whose history
    lacks ``monitor`` (no validation split) are skipped.

    Unlike optuna-integration's ``SkorchPruningCallback`` it survives
    ``sklearn.base.clone``: its parameters are public attributes and the clone shares
    the same trial (the trial is not deep-copied, so reports are not lost with an
    in-memory storage).

    Parameters
    ----------
    trial : optuna.Trial
        The trial to report to.
    monitor : str, default="valid_acc"
        The history key ("valid_acc" for classifiers, "valid_loss" for regressors).
    sign : float, default=1.0
        Multiplies the value (-1 turns a loss into a score for a maximising study).
    step_offset : int, default=0
        Added to the epoch number (to keep several folds' reports apart).

    Examples
    --------
    >>> import numpy as np, optuna
    >>> from skmts.heads import LinearHeadClassifier
    >>> from skmts.model_selection import PruningCallback
    >>> from skmts.training import extra_callbacks
    >>> trial = optuna.create_study(direction="maximize").ask()
    >>> X = np.random.default_rng(0).normal(size=(40, 3)); y = np.array([0, 1] * 20)
    >>> with extra_callbacks(PruningCallback(trial)):
    ...     _ = LinearHeadClassifier(max_epochs=3, random_state=0).fit(X, y)
    >>> sorted(trial.storage.get_trial(trial._trial_id).intermediate_values)
    [1, 2, 3]
    """

    def __init__(self, trial, monitor="valid_acc", sign=1.0, step_offset=0):
        self.trial = trial
        self.monitor = monitor
        self.sign = sign
        self.step_offset = step_offset

    def __sklearn_clone__(self):
        return type(self)(**self.get_params())

    def on_epoch_end(self, net, **kwargs):
        import optuna

        row = net.history[-1]
        if self.monitor not in row:
            return
        step = self.step_offset + len(net.history)
        self.trial.report(self.sign * float(row[self.monitor]), step)
        if self.trial.should_prune():
            raise optuna.TrialPruned(
                f"pruned at epoch {len(net.history)} ({self.monitor}={row[self.monitor]:.4g})"
            )


def count_parameters(estimator, backbone=None) -> int:
    """Torch parameters of a fitted estimator (and of a backbone beneath it)."""
    total = 0
    seen = set()

    def add(module):
        nonlocal total
        for p in module.parameters():
            if id(p) not in seen:
                seen.add(id(p))
                total += p.numel()

    if backbone is not None:  # a backbone's features: its encoder, not its pretext heads
        add(backbone.feature_module())
    net = getattr(estimator, "net_", None)
    if net is not None and hasattr(net, "module_"):
        add(net.module_)
    steps = getattr(estimator, "steps", None)
    if steps:  # a scikit-learn linear head
        last = steps[-1][1]
        coef = getattr(last, "coef_", None)
        if coef is not None:
            total += int(np.size(coef) + np.size(getattr(last, "intercept_", 0)))
    return int(total)


class Objective:
    """Optuna objective: mean validation score of a sampled configuration over folds.

    Parameters
    ----------
    space : SearchSpace
        The configurations.
    X_unlabelled : panel
        Every training series (labelled or not): the pretraining data.
    labelled : ndarray of int
        Indices into ``X_unlabelled`` of the labelled series.
    y : ndarray
        Their labels or targets (same order as ``labelled``).
    cv : int, default=3
        Folds (stratified for classification); 1 is one stratified holdout of a
        quarter. Reduced to the smallest class's count when it is larger.
    extra_pretraining : panel or None, default=None
        Series added to every pretraining set (``transductive`` mode: the test series).
    transductive : bool, default=False
        Pretrain once on all series (validation folds included) instead of per fold.
    random_state : int, default=0
        Seeds folds, backbones and heads.
    device : str, default="auto"
        Where backbones and heads train.
    cache_dir : path or None, default=None
        Where pretrained backbones are kept between runs and shared between workers
        on the same file system; None keeps them in memory only.

    Notes
    -----
    Each trial records, as user attributes: ``config`` (the full configuration),
    ``fold_scores``, ``score_std``, ``fit_s`` (mean training seconds per fold, cached
    pretraining excluded) and ``pretrain_s`` (pretraining seconds this trial waited
    for).

    Examples
    --------
    >>> import numpy as np, optuna
    >>> from skmts.model_selection import Objective, SearchSpace
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20, 16, 2)); y = np.array(["a", "b"] * 10)
    >>> space = SearchSpace(modes=["modular"], heads=["logreg"], backbone_params={
    ...     "dmae": {"d_model": 8, "n_heads": 2, "n_layers": 1, "d_ff": 16, "max_epochs": 1}})
    >>> objective = Objective(space, X, labelled=np.arange(12), y=y[:12], cv=2)
    >>> study = optuna.create_study(direction="maximize")
    >>> study.optimize(objective, n_trials=2)
    >>> len(study.trials[0].user_attrs["fold_scores"])
    2
    """

    def __init__(self, space: SearchSpace, X_unlabelled, labelled, y, *, cv=3,
                 extra_pretraining=None, transductive=False, random_state=0,
                 device="auto", cache_dir=None):
        self.space = space
        self.X_unlabelled = X_unlabelled
        self.labelled = np.asarray(labelled)
        self.y = np.asarray(y)
        self.extra_pretraining = extra_pretraining
        self.transductive = transductive
        self.random_state = random_state
        self.device = device
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.folds = make_folds(self.y, cv, random_state, space.task)
        self._data_key = _fingerprint(X_unlabelled, *(
            [] if extra_pretraining is None else [extra_pretraining]))
        self._backbones: dict = {}
        self._features: dict = {}
        self.n_steps = _max_length(X_unlabelled, extra_pretraining)

    # ---- backbones --------------------------------------------------------------------
    def pretraining_indices(self, fold: int | None):
        """Indices into ``X_unlabelled`` a fold's backbone is pretrained on (None: all)."""
        n = len(self.X_unlabelled)
        if fold is None or self.transductive:
            return np.arange(n)
        valid = self.labelled[self.folds[fold][1]]
        return np.setdiff1d(np.arange(n), valid)

    def _key(self, name: str, fold: int | None) -> str:
        spec = {"backbone": name, "params": self.backbone_params(name),
                "seed": self.random_state, "data": self._data_key,
                "rows": _fingerprint(self.pretraining_indices(fold)),
                "extra": self.extra_pretraining is not None, "device": self.device}
        return hashlib.sha1(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def backbone(self, name: str, fold: int | None):
        """The backbone ``name`` pretrained for ``fold`` (None: on every training series),
        from the cache when there; returns (backbone, seconds spent pretraining now)."""
        key = self._key(name, fold)
        if key in self._backbones:
            return self._backbones[key][0], 0.0
        path = None if self.cache_dir is None else self.cache_dir / f"{name}-{key}.joblib"
        if path is not None and path.exists():
            import joblib

            self._backbones[key] = joblib.load(path)
            return self._backbones[key][0], 0.0
        X = take(self.X_unlabelled, self.pretraining_indices(fold))
        if self.extra_pretraining is not None:
            X = _concat(X, self.extra_pretraining)
        start = time.perf_counter()
        backbone = make_backbone(name, random_state=self.random_state, device=self.device,
                                 params=self.backbone_params(name)).fit(X)
        seconds = time.perf_counter() - start
        if path is not None:
            import joblib

            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            joblib.dump((backbone, seconds), tmp)
            os.replace(tmp, path)  # atomic: a killed run leaves no half-written backbone
        self._backbones[key] = (backbone, seconds)
        return backbone, seconds

    def backbone_params(self, name: str) -> dict:
        """A backbone's fixed settings; PyPOTS backbones get the longest series' length
        (they are built for one length, and a validation or test series may be longer
        than every series they are pretrained on)."""
        params = dict(self.space.backbone_params.get(name, {}))
        if name != "dmae":
            params.setdefault("n_steps", self.n_steps)
        return params

    def pretraining_seconds(self, name: str, fold: int | None) -> float:
        """How long the backbone of ``name`` for ``fold`` took to pretrain (cached or not)."""
        self.backbone(name, fold)
        return float(self._backbones[self._key(name, fold)][1])

    def features(self, name: str, fold: int | None, rows: str, X_rows):
        """The frozen features of some series under a fold's backbone (cached)."""
        key = (name, fold, rows)
        if key not in self._features:
            backbone, _ = self.backbone(name, fold)
            self._features[key] = backbone.transform(X_rows)
        return self._features[key]

    # ---- one configuration ------------------------------------------------------------
    def fold_data(self, fold: int):
        train, valid = self.folds[fold]
        X_lab = take(self.X_unlabelled, self.labelled)
        return (take(X_lab, train), self.y[train], take(X_lab, valid), self.y[valid])

    def fit_fold(self, config: dict, fold: int, *, trial=None):
        """Fit ``config`` on a fold's training part; returns (score, fit seconds, pretrain s)."""
        X_tr, y_tr, X_va, y_va = self.fold_data(fold)
        pretrain_s = 0.0
        backbone = None
        if config["mode"] != "scratch":
            backbone, pretrain_s = self.backbone(config["backbone"], fold)
        estimator = build_estimator(config, self.space, backbone=backbone,
                                    backbone_params=self.backbone_params(config["backbone"]),
                                    random_state=self.random_state, device=self.device)
        callbacks = []
        if trial is not None:
            regression = self.space.task == "regression"
            callbacks.append(PruningCallback(
                trial, "valid_loss" if regression else "valid_acc",
                sign=-1.0 if regression else 1.0, step_offset=1000 * fold,
            ))
        start = time.perf_counter()
        with extra_callbacks(*callbacks):
            if config["mode"] == "modular":
                F_tr = self.features(config["backbone"], fold, f"train{fold}", X_tr)
                estimator.fit(F_tr, y_tr)
            else:
                estimator.fit(X_tr, y_tr)
        fit_s = time.perf_counter() - start
        if config["mode"] == "modular":
            score = estimator.score(self.features(config["backbone"], fold, f"valid{fold}", X_va),
                                    y_va)
        else:
            score = estimator.score(X_va, y_va)
        return float(score), fit_s, pretrain_s

    def __call__(self, trial) -> float:
        config = self.space.suggest(trial)
        trial.set_user_attr("config", config)
        scores, fit_s, pretrain_s = [], [], 0.0
        for fold in range(len(self.folds)):
            score, seconds, waited = self.fit_fold(config, fold, trial=trial)
            scores.append(score)
            fit_s.append(seconds)
            pretrain_s += waited
        trial.set_user_attr("fold_scores", scores)
        trial.set_user_attr("score_std", float(np.std(scores)))
        trial.set_user_attr("fit_s", float(np.mean(fit_s)))
        trial.set_user_attr("pretrain_s", pretrain_s)
        return float(np.mean(scores))


def make_folds(y, cv: int, seed: int, task: str):
    """(train, valid) index pairs into ``y``: stratified K folds, or one holdout."""
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    n = len(y)
    classification = task == "classification"
    if classification:
        _, counts = np.unique(y, return_counts=True)
        if counts.min() < 2:
            raise ValueError(
                f"every class needs at least 2 labelled series to be scored on held-out "
                f"ones; the smallest class has {counts.min()} (use a larger label fraction)."
            )
        cv = min(cv, int(counts.min()))
    elif n < 4:
        raise ValueError(f"at least 4 labelled series are needed to score on held-out ones; "
                         f"got {n}.")
    if cv <= 1:
        idx = np.arange(n)
        n_valid = max(int(np.ceil(0.25 * n)), len(np.unique(y)) if classification else 1)
        train, valid = train_test_split(idx, test_size=n_valid, random_state=seed,
                                        stratify=y if classification else None)
        return [(np.sort(train), np.sort(valid))]
    splitter = (StratifiedKFold if classification else KFold)(cv, shuffle=True,
                                                             random_state=seed)
    return [(tr, va) for tr, va in splitter.split(np.zeros(n), y)]


def _concat(a, b):
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape[1:] == b.shape[1:]:
        return np.concatenate([a, b])
    return [*a, *b]


def _max_length(*panels) -> int:
    lengths = []
    for p in panels:
        if p is None:
            continue
        lengths += [p.shape[1]] if isinstance(p, np.ndarray) else [len(s) for s in p]
    return int(max(lengths))
