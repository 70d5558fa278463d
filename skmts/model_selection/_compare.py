"""The comparison: one Optuna study per label fraction, then the best of each setup on test.

:func:`compare` is what ``skmts compare`` runs. For each label fraction it keeps a
stratified, nested subset of the training labels (the 10 % subset lies inside the 25 %
one), runs the study-wide trial budget of a study named after the data and the options
(so running the same comparison again resumes it, and changing an option starts a new
study), then refits the best configuration of every (mode, backbone, head) on all the
labelled series and scores it on the test series, beside MiniRocket. Evaluations are
appended to ``evaluations.jsonl`` in the output folder as they finish, so an interrupted
run keeps them too.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._objective import Objective, count_parameters, take
from ._reference import MiniRocketReference
from ._space import SearchSpace, build_estimator
from ._study import default_storage_url, interrupt_guard, open_storage, run_trials, spent_budget

__all__ = ["Comparison", "compare", "labelled_subset"]


@dataclass
class Comparison:
    """What :func:`compare` returns.

    Attributes
    ----------
    results : pandas.DataFrame
        One row per label fraction and setup (see :func:`compare`).
    trials : pandas.DataFrame
        Every trial of the studies: state, cv score, configuration, error if any.
    study_names : list of str
        The Optuna studies, one per label fraction, in the storage.
    """

    results: object
    trials: object
    study_names: list

    def table(self, score_name="score") -> str:
        """The results as a plain-text table."""
        from ._report import format_table

        return format_table(self.results, score_name)


def labelled_subset(y, fraction: float, random_state=0, task="classification"):
    """Indices of a stratified ``fraction`` of ``y``; nested across fractions.

    Every class keeps at least one series; for a given ``random_state`` the subset of a
    smaller fraction is contained in that of a larger one.

    Examples
    --------
    >>> import numpy as np
    >>> from skmts.model_selection import labelled_subset
    >>> y = np.array(["a"] * 8 + ["b"] * 4)
    >>> small, large = labelled_subset(y, 0.25), labelled_subset(y, 0.5)
    >>> len(small), len(large), set(small) <= set(large)
    (3, 6, True)
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"label fraction must be in (0, 1]; got {fraction}.")
    y = np.asarray(y)
    rng = np.random.default_rng(random_state)
    if fraction == 1:
        return np.arange(len(y))
    if task != "classification":
        order = rng.permutation(len(y))
        return np.sort(order[: max(1, int(np.ceil(fraction * len(y))))])
    chosen = []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        chosen.append(members[: max(1, int(np.ceil(fraction * len(members))))])
    return np.sort(np.concatenate(chosen))


def _study_key(X_train, y_train, X_test, space, cv, random_state, transductive, extra) -> str:
    from ._objective import _fingerprint

    spec = {
        "data": _fingerprint(X_train, *([] if X_test is None else [X_test])),
        "y": hashlib.sha1(np.asarray(y_train).astype(str).tobytes()).hexdigest()[:12],
        "space": [space.task, list(space.modes), list(space.backbones), list(space.heads),
                  space.backbone_params, space.head_max_epochs],
        "cv": cv, "seed": random_state, "transductive": transductive, "extra": extra,
    }
    return hashlib.sha1(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:8]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def compare(X_train, y_train, X_test, y_test, *, space=None, label_fractions=(1.0,),
            n_trials=12, cv=3, storage=None, study_name="skmts", output_dir="skmts-compare",
            random_state=0, device="auto", timeout=None, transductive=False,
            reference=True, run=True, evaluate=True, worker=False, verbose=True,
            extra_key=None):
    """Compare modular, end-to-end and from-scratch setups on one dataset.

    Parameters
    ----------
    X_train, y_train : panel and array
        Training series (all used, unlabelled, for pretraining) and their labels.
    X_test, y_test : panel and array
        Test series, scored once per setup at the end.
    space : SearchSpace or None, default=None
        What to search; None is ``SearchSpace()`` (DMAE; modular and end-to-end;
        linear, MLP and LogisticRegression heads).
    label_fractions : sequence of float in (0, 1], default=(1.0,)
        Share of the training labels each study may use (stratified, nested).
    n_trials : int, default=12
        Trials per label fraction, study-wide (shared by every worker).
    cv : int, default=3
        Folds of the labelled series scoring a trial (1: one holdout).
    storage : str or None, default=None
        An Optuna storage URL (see :func:`~skmts.model_selection.open_storage`); None
        is a SQLite file ``study.db`` in ``output_dir``.
    study_name : str, default="skmts"
        Prefix of the studies' names; a hash of the data and options and the label
        fraction complete each name.
    output_dir : path, default="skmts-compare"
        Where the study (by default), cached backbones and evaluations are kept.
    random_state : int, default=0
        Seeds labels subsets, folds, backbones, heads and the sampler.
    device : str, default="auto"
        Where backbones and heads train.
    timeout : float or None, default=None
        Seconds after which this process starts no new trial (per label fraction).
    transductive : bool, default=False
        Pretrain backbones on the test series too (and on every validation fold):
        the test series' values are then seen before scoring — say so when reporting.
    reference : bool, default=True
        Also evaluate MiniRocket + ridge.
    run, evaluate : bool, default=True
        Run trials; refit and score the best setups on the test series.
    worker : bool, default=False
        This process is one of several on the same studies: its sampler seed also
        depends on the process id, so concurrent workers do not draw the same
        configurations.
    verbose : bool, default=True
        Progress lines on stderr.
    extra_key : object, default=None
        Anything else that should start new studies when it changes (e.g. the
        missingness added by the command line).

    Returns
    -------
    comparison : Comparison
        ``comparison.results`` has one row per label fraction and setup: ``label_fraction``, ``n_labelled``,
        ``mode``, ``backbone``, ``head``, ``cv_score``, ``cv_std``, ``test_score``
        (and ``test_rmse``, in the targets' units, for regression),
        ``fit_s`` (pretraining + training), ``infer_ms`` (per test series),
        ``n_parameters``, ``trial``, ``n_trials`` (complete trials of the setup) and
        ``params``; ``comparison.trials`` lists every trial.

    See Also
    --------
    SearchSpace : What the trials sample.
    Objective : How a trial is scored.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from skmts.model_selection import SearchSpace, compare
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(24, 16, 2)); y = np.array(["a", "b"] * 12)
    >>> X[y == "b"] += 1.0
    >>> space = SearchSpace(modes=["modular"], heads=["logreg"], backbone_params={
    ...     "dmae": {"d_model": 8, "n_heads": 2, "n_layers": 1, "d_ff": 16, "max_epochs": 2}})
    >>> result = compare(X[:16], y[:16], X[16:], y[16:], space=space, n_trials=2, cv=2,
    ...                  output_dir=tempfile.mkdtemp(), reference=False, verbose=False)
    >>> result.results[["mode", "backbone", "head", "n_trials"]].values.tolist()
    [['modular', 'dmae', 'logreg', 2]]
    >>> result.trials.state.tolist()
    ['COMPLETE', 'COMPLETE']
    """
    import optuna
    import pandas as pd

    space = SearchSpace() if space is None else space
    out = Path(output_dir)
    _writable(out)
    storage_url = storage or default_storage_url(out)
    storage_obj = open_storage(storage_url)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    key = _study_key(X_train, y_train, X_test if transductive else None, space, cv,
                     random_state, transductive, extra_key)
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    done = _read_evaluations(out / "evaluations.jsonl")
    rows, studies = [], []
    for fraction in label_fractions:
        idx = labelled_subset(y_train, fraction, random_state, space.task)
        objective = Objective(
            space, X_train, idx, y_train[idx], cv=cv, random_state=random_state,
            extra_pretraining=X_test if transductive else None, transductive=transductive,
            device=device, cache_dir=out / "cache",
        )
        name = f"{study_name}-{key}-f{fraction:g}"
        study = optuna.create_study(
            study_name=name, storage=storage_obj, load_if_exists=True, direction="maximize",
            sampler=optuna.samplers.TPESampler(
                seed=(random_state + spent_budget_safe(storage_obj, name)
                      + (os.getpid() if worker else 0)) % 2**32),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=5),
        )
        study.set_user_attr("label_fraction", float(fraction))
        study.set_user_attr("n_labelled", int(len(idx)))
        studies.append(study)
        if run:
            with interrupt_guard():
                run_trials(study, objective, n_trials, timeout=timeout,
                           progress=_progress(fraction, n_trials) if verbose else None)
        if evaluate:
            rows += _evaluate(study, objective, X_test, y_test, fraction, done,
                              out / "evaluations.jsonl", reference, verbose)
    from ._report import trials_frame

    return Comparison(pd.DataFrame(rows), trials_frame(studies), [s.study_name for s in studies])


def spent_budget_safe(storage, name) -> int:
    import optuna

    try:
        return spent_budget(optuna.load_study(study_name=name, storage=storage))
    except KeyError:
        return 0


def _writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise ValueError(f"output folder {out} cannot be written: {err.strerror or err}") from None


def _progress(fraction, n_trials):
    start = time.perf_counter()

    def show(study, frozen):
        from optuna.trial import TrialState

        config = frozen.user_attrs.get("config", {})
        label = " ".join(str(config.get(k, "?")) for k in ("mode", "backbone", "head"))
        if frozen.state == TrialState.COMPLETE:
            outcome = f"{frozen.value:.3f}"
        elif frozen.state == TrialState.PRUNED:
            outcome = "pruned"
        else:
            outcome = f"failed ({frozen.user_attrs.get('error', frozen.state.name)})"
        try:
            best = f"best {study.best_value:.3f}"
        except ValueError:
            best = "no best yet"
        _say(f"[labels {fraction:g}] trial {spent_budget(study)}/{n_trials}: {label}: "
             f"{outcome} | {best} | {time.perf_counter() - start:.0f} s")

    return show


def _read_evaluations(path: Path) -> dict:
    done = {}
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # a line cut by a killed run
                continue
            done[(row["study"], str(row["trial"]))] = row
    return done


def _append(path: Path, row: dict) -> None:
    with path.open("a") as f:
        f.write(json.dumps(row, default=float) + "\n")


def best_per_setup(study, space) -> list:
    """The best complete trial of each (mode, backbone, head), best first."""
    from optuna.trial import TrialState

    best = {}
    counts = {}
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        config = t.user_attrs.get("config")
        if config is None:
            continue
        label = space.grid_label(config)
        counts[label] = counts.get(label, 0) + 1
        if label not in best or t.value > best[label].value:
            best[label] = t
    return sorted(((t, counts[lab]) for lab, t in best.items()), key=lambda p: -p[0].value)


def _evaluate(study, objective, X_test, y_test, fraction, done, path, reference, verbose):
    space = objective.space
    X_lab = take(objective.X_unlabelled, objective.labelled)
    y_lab = objective.y
    base = {"study": study.study_name, "label_fraction": float(fraction),
            "n_labelled": int(len(y_lab))}
    rows = []
    for trial, n_done in best_per_setup(study, space):
        key = (study.study_name, str(trial.number))
        if key not in done:
            config = trial.user_attrs["config"]
            if verbose:
                _say(f"[labels {fraction:g}] refitting the best {' '.join(space.grid_label(config))}"
                     f" (trial {trial.number}) on {len(y_lab)} labelled series")
            with interrupt_guard():
                row = _refit(config, objective, X_lab, y_lab, X_test, y_test)
            row.update(base, trial=trial.number, cv_score=float(trial.value),
                       cv_std=float(trial.user_attrs.get("score_std", np.nan)),
                       params=json.dumps(config, sort_keys=True))
            _append(path, row)
            done[key] = row
        rows.append({**done[key], "n_trials": n_done})
    if reference:
        key = (study.study_name, "minirocket")
        if key not in done:
            if verbose:
                _say(f"[labels {fraction:g}] MiniRocket reference")
            row = {**base, **_minirocket(objective, X_lab, y_lab, X_test, y_test),
                   "trial": "minirocket"}
            _append(path, row)
            done[key] = row
        rows.append({**done[key], "n_trials": 0})
    return rows


def _refit(config, objective, X_lab, y_lab, X_test, y_test) -> dict:
    """Fit ``config`` on every labelled series; score and time it on the test series."""
    space = objective.space
    name = config["backbone"]
    backbone = None
    pretrain_s = 0.0
    if config["mode"] != "scratch":
        backbone, _ = objective.backbone(name, None)
        pretrain_s = objective.pretraining_seconds(name, None)
    estimator = build_estimator(config, space, backbone=backbone,
                                backbone_params=objective.backbone_params(name),
                                random_state=objective.random_state, device=objective.device)
    start = time.perf_counter()
    if config["mode"] == "modular":
        estimator.fit(objective.features(name, None, "labelled", X_lab), y_lab)
    else:
        estimator.fit(X_lab, y_lab)
    fit_s = time.perf_counter() - start

    def predict(X):
        return estimator.predict(backbone.transform(X) if config["mode"] == "modular" else X)

    predict(take(X_test, np.arange(min(2, len(y_test)))))  # warm-up: first-call costs untimed
    start = time.perf_counter()
    pred = predict(X_test)
    infer_s = time.perf_counter() - start
    return {
        "mode": config["mode"], "backbone": name, "head": config["head"],
        **_test_scores(space.task, y_test, pred),
        "fit_s": pretrain_s + fit_s, "infer_ms": 1000 * infer_s / len(y_test),
        "n_parameters": count_parameters(estimator,
                                         backbone if config["mode"] == "modular" else None),
    }


def _test_scores(task, y_test, pred) -> dict:
    """``test_score`` as the estimators' own ``score`` computes it (accuracy; R² averaged
    over outputs) from one set of predictions, plus ``test_rmse`` (targets' units) for
    regression."""
    from sklearn.metrics import accuracy_score, r2_score

    if task != "regression":
        return {"test_score": float(accuracy_score(y_test, pred))}
    y = np.asarray(y_test, dtype=np.float64).reshape(len(y_test), -1)
    pred = np.asarray(pred, dtype=np.float64).reshape(y.shape)
    return {"test_score": float(r2_score(y, pred)),
            "test_rmse": float(np.sqrt(np.mean((pred - y) ** 2)))}


def _minirocket(objective, X_lab, y_lab, X_test, y_test) -> dict:
    """MiniRocket + ridge: scored on the same folds as the trials, then on the test set."""
    task = objective.space.task
    scores = []
    for fold in range(len(objective.folds)):
        X_tr, y_tr, X_va, y_va = objective.fold_data(fold)
        X_pre = take(objective.X_unlabelled, objective.pretraining_indices(fold))
        ref = MiniRocketReference(task, objective.random_state).fit(X_pre, X_tr, y_tr)
        scores.append(ref.score(X_va, y_va))
    start = time.perf_counter()
    ref = MiniRocketReference(task, objective.random_state).fit(objective.X_unlabelled, X_lab,
                                                                y_lab)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    pred = ref.predict(X_test)
    infer_s = time.perf_counter() - start
    return {"mode": "reference", "backbone": "minirocket", "head": "ridge",
            "cv_score": float(np.mean(scores)), "cv_std": float(np.std(scores)),
            **_test_scores(task, y_test, pred), "fit_s": fit_s, "infer_ms": 1000 * infer_s / len(y_test),
            "n_parameters": ref.n_parameters, "params": "{}"}
