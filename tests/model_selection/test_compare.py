"""skmts.model_selection: search space, objective, study budget, resume, pruning."""

import json
import os
import signal

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState
from sklearn.base import clone

from skmts.heads import LinearHeadClassifier
from skmts.model_selection import (
    Objective,
    PruningCallback,
    SearchSpace,
    compare,
    labelled_subset,
    open_storage,
    redact_url,
    run_trials,
)
from skmts.model_selection._study import interrupt_guard
from skmts.training import extra_callbacks

from .conftest import TINY_DMAE

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _space(**kw):
    kw.setdefault("heads", ["linear", "logreg"])
    return SearchSpace(backbone_params={"dmae": TINY_DMAE}, head_max_epochs=5, **kw)


def _states(storage_url, name_part):
    storage = open_storage(storage_url)
    (summary,) = [s for s in optuna.get_all_study_summaries(storage)
                  if name_part in s.study_name]
    study = optuna.load_study(study_name=summary.study_name, storage=storage)
    return study, [t.state for t in study.trials]


def test_labelled_subset_is_stratified_and_nested():
    y = np.array(["a"] * 30 + ["b"] * 10)
    small, large = labelled_subset(y, 0.1, 3), labelled_subset(y, 0.5, 3)
    assert set(small) <= set(large)
    assert sorted(np.unique(y[small], return_counts=True)[1]) == [1, 3]
    assert len(labelled_subset(y, 1.0)) == 40
    y3 = np.array(["a"] * 40 + ["b"] * 8 + ["c"] * 2)
    idx = labelled_subset(y3, 0.1, 0)  # ceil per class, every class kept
    assert {c: int((y3[idx] == c).sum()) for c in "abc"} == {"a": 4, "b": 1, "c": 1}
    assert len(set(idx)) == len(idx)
    np.testing.assert_array_equal(idx, labelled_subset(y3, 0.1, 0))
    with pytest.raises(ValueError, match=r"label fraction must be in \(0, 1\]; got 1.5"):
        labelled_subset(y, 1.5)


def test_space_samples_only_the_chosen_branch():
    space = SearchSpace(modes=["modular", "end-to-end", "scratch"], heads=["mlp", "logreg"])
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(40):
        config = space.suggest(study.ask())
        seen.add((config["mode"], config["head"]))
        if config["head"] == "logreg":
            assert config["mode"] == "modular" and "lr" not in config and "C" in config
        else:
            assert {"lr", "hidden_size", "dropout"} <= set(config)
            assert ("backbone_lr" in config) == (config["mode"] != "modular")
    assert ("modular", "logreg") in seen and ("scratch", "mlp") in seen
    assert not any(mode != "modular" and head == "logreg" for mode, head in seen)


@pytest.mark.parametrize("kwargs, message", [
    ({"modes": ["sideways"]}, r"modes: unknown \['sideways'\]"),
    ({"backbones": ["resnet"]}, r"backbones: unknown \['resnet'\]"),
    ({"heads": ["logreg"], "modes": ["end-to-end"]}, "modular only"),
    ({"backbone_params": {"saits": {}}}, "not among backbones"),
    ({"task": "ranking"}, "task must be"),
])
def test_space_rejects_bad_choices(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SearchSpace(**kwargs)


def test_redact_url_hides_passwords():
    assert redact_url("postgresql+psycopg://u:p%40ss@h:5/db") == "postgresql+psycopg://u:***@h:5/db"
    assert redact_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_compare_end_to_end_on_a_tiny_panel(tiny, tmp_path):
    X, y, X_test, y_test = tiny
    result = compare(X, y, X_test, y_test, space=_space(), label_fractions=[0.5, 1.0],
                     n_trials=3, cv=2, output_dir=tmp_path, verbose=False)
    res = result.results
    assert set(res.label_fraction) == {0.5, 1.0}
    assert (res[res["mode"] == "reference"].backbone == "minirocket").sum() == 2
    assert res.test_score.between(0, 1).all() and (res.infer_ms > 0).all()
    assert (res.n_parameters > 0).all()
    assert list(res[res.label_fraction == 0.5].n_labelled.unique()) == [16]
    # exactly the budget of trials per study
    assert result.trials.groupby("label_fraction").size().tolist() == [3, 3]
    assert (tmp_path / "study.db").exists() and (tmp_path / "evaluations.jsonl").exists()


def test_rerun_resumes_without_losing_trials(tiny, tmp_path):
    X, y, X_test, y_test = tiny
    kw = dict(space=_space(), cv=2, output_dir=tmp_path, verbose=False, reference=False)
    first = compare(X, y, X_test, y_test, n_trials=2, **kw).trials
    again = compare(X, y, X_test, y_test, n_trials=4, **kw).trials
    assert len(again) == 4
    kept = again[again.trial.isin(first.trial)]
    np.testing.assert_allclose(kept.cv_score.to_numpy(), first.cv_score.to_numpy())
    assert (kept.params.to_numpy() == first.params.to_numpy()).all()
    # the same budget again runs nothing new
    assert len(compare(X, y, X_test, y_test, n_trials=4, **kw).trials) == 4


def test_interrupt_keeps_finished_trials_and_resume_completes_the_budget(tiny, tmp_path,
                                                                         monkeypatch):
    X, y, X_test, y_test = tiny
    kw = dict(space=_space(heads=["linear"], modes=["modular"]), cv=2, output_dir=tmp_path,
              verbose=False, reference=False, n_trials=3)
    calls = {"n": 0}
    original = Objective.fit_fold

    def interrupted_on_second_trial(self, config, fold, *, trial=None):
        if trial is not None and trial.number == 1 and fold == 1:
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, during the trial
        calls["n"] += 1
        return original(self, config, fold, trial=trial)

    monkeypatch.setattr(Objective, "fit_fold", interrupted_on_second_trial)
    with pytest.raises(KeyboardInterrupt):
        compare(X, y, X_test, y_test, **kw)
    study, states = _states(f"sqlite:///{tmp_path / 'study.db'}", "skmts")
    assert states == [TrialState.COMPLETE, TrialState.FAIL]
    first_value = study.trials[0].value
    monkeypatch.setattr(Objective, "fit_fold", original)
    result = compare(X, y, X_test, y_test, **kw)
    done = result.trials[result.trials.state == "COMPLETE"]
    assert len(done) == 3
    assert done.cv_score.iloc[0] == pytest.approx(first_value)


def test_interrupt_guard_turns_skorch_swallowed_ctrl_c_into_an_interrupt():
    """skorch ends training quietly on KeyboardInterrupt; inside the guard it propagates."""
    from skorch.callbacks import Callback

    class CtrlC(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                os.kill(os.getpid(), signal.SIGINT)

    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.array([0, 1] * 20)
    with extra_callbacks(CtrlC()):
        # without the guard, fit returns the head trained so far (with a warning)
        with pytest.warns(UserWarning, match="interrupted at epoch 2"):
            head = LinearHeadClassifier(max_epochs=20, patience=None, random_state=0).fit(X, y)
        assert len(head.net_.history) == 2
        with pytest.raises(KeyboardInterrupt), interrupt_guard():
            LinearHeadClassifier(max_epochs=20, patience=None, random_state=0).fit(X, y)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_pruning_stops_a_bad_trial(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)
    study = optuna.create_study(
        direction="maximize", storage=open_storage(f"sqlite:///{tmp_path / 's.db'}"),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=2),
    )
    for lr in (0.05, 0.05, 1e-7):  # two good trials, then a learning rate that learns nothing
        study.enqueue_trial({"lr": lr})

    def objective(trial):
        head = LinearHeadClassifier(lr=trial.suggest_float("lr", 1e-8, 1.0, log=True),
                                    max_epochs=30, patience=None, standardize=False,
                                    random_state=0)
        with extra_callbacks(PruningCallback(trial)):
            head.fit(X, y)
        return head.score(X, y)

    run_trials(study, objective, 3)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.PRUNED]
    assert len(study.trials[0].intermediate_values) == 30


def test_pruning_callback_survives_clone():
    trial = optuna.create_study().ask()
    cb = PruningCallback(trial, "valid_loss", sign=-1.0)
    copy = clone(cb)
    assert copy is not cb and copy.trial is trial and copy.sign == -1.0


def test_budget_is_study_wide_and_failures_stop(tmp_path):
    study = optuna.create_study(storage=open_storage(f"sqlite:///{tmp_path / 'b.db'}"))
    assert run_trials(study, lambda t: t.suggest_float("x", 0, 1), 4) == 4
    assert run_trials(study, lambda t: t.suggest_float("x", 0, 1), 4) == 0  # spent

    def broken(trial):
        raise RuntimeError("always")

    fresh = optuna.create_study(storage=open_storage(f"sqlite:///{tmp_path / 'c.db'}"))
    with pytest.raises(RuntimeError, match="3 trials in a row failed; the last with "
                                           "RuntimeError: always"):
        run_trials(fresh, broken, 5)


def test_open_storage_errors_hide_the_password():
    with pytest.raises(ValueError) as err:
        open_storage("postgresql+psycopg://me:hunter2@127.0.0.1:9/none")
    message = str(err.value)
    assert "hunter2" not in message and "me:***@127.0.0.1" in message
    assert "\n" not in message


def test_results_json_has_no_password_and_a_self_contained_report(data_file, tmp_path,
                                                                  capsys):
    from skmts.model_selection._cli import main

    out = tmp_path / "out"
    journal = tmp_path / "j.log"
    from .conftest import tiny_args

    assert main([str(data_file), *tiny_args(out), "--storage", f"journal:{journal}"]) == 0
    table = capsys.readouterr().out
    assert "minirocket" in table and "cv accuracy" in table
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3
    meta = json.loads((out / "results.json").read_text())["meta"]
    assert meta["storage"] == f"journal:{journal}"
    for name in ("results.csv", "trials.csv", "score_per_setup.png", "latency.png"):
        assert (out / name).exists()


def test_compare_on_regression_targets(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(36, 16, 2)).cumsum(axis=1)
    y = X[:, -4:, 0].mean(axis=1)
    space = _space(task="regression", heads=["linear", "ridge"], modes=["modular", "end-to-end"])
    result = compare(X[:24], y[:24], X[24:], y[24:], space=space, n_trials=3, cv=2,
                     output_dir=tmp_path, verbose=False)
    res = result.results
    assert set(res["head"]) <= {"linear", "ridge"} and "minirocket" in set(res.backbone)
    assert np.isfinite(res.test_score).all()  # R², may be negative on 12 test series
    # RMSE in the targets' units, consistent with R² = 1 - MSE / Var(y_test)
    mse = (1 - res.test_score) * np.var(y[24:])
    np.testing.assert_allclose(res.test_rmse, np.sqrt(mse), rtol=1e-6)
    assert "test RMSE" in result.table("R2")
    assert len(result.trials) == 3
