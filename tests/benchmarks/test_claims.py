"""The regression, transfer and sktime suites: plans, jobs (quick budgets) and tables."""

import numpy as np
import pytest

from skmts.benchmarks._claims_tables import regression_tables, sktime_tables, transfer_tables
from skmts.benchmarks._data import resample
from skmts.benchmarks._plan import Options, plan


def test_plans_cover_backbones_heads_and_settings():
    jobs = plan("regression", Options())
    assert {j.dataset for j in jobs} == {"Covid3Month", "Tecator"}
    assert {j.setting for j in jobs} == {"complete", "mcar-0.3"}
    assert {j.seed for j in jobs} == {0, 1, 2}
    methods = {j.method for j in jobs}
    for name in ("dmae", "saits", "transformer", "timesnet", "brits", "grud", "csai"):
        assert {f"{name}-modular", f"{name}-e2e"} <= methods
    assert "minirocket" in methods

    transfer = plan("transfer", Options())
    # one job per (source, backbone, seed), each scoring every target
    assert len(transfer) == 4 * 7 * 3
    assert all(j.params["targets"] == ["ArrowHead", "GunPoint", "ItalyPowerDemand", "OSULeaf"]
               for j in transfer)

    sk = plan("sktime", Options())
    assert {j.method for j in sk} == {"dmae-modular", "dmae-e2e", "saits-modular",
                                      "saits-e2e", "minirocket", "fcn-torch"}
    assert len({j.dataset for j in sk}) == 6
    fcn = [j for j in sk if j.method == "fcn-torch"][0]
    assert fcn.params["budget"] == {"num_epochs": 200}


def test_resample_keeps_ends_and_is_linear():
    X = np.arange(5, dtype=float).reshape(1, 5, 1) * 2
    out = resample(X, 9)
    np.testing.assert_allclose(out[0, :, 0], np.arange(9, dtype=float))
    np.testing.assert_allclose(resample(out, 5), X)
    assert resample(X, 5) is not X


def _rec(dataset, method, setting, seed, metrics, status="ok"):
    return {"dataset": dataset, "method": method, "setting": setting, "seed": seed,
            "status": status, "metrics": metrics, "key": f"{dataset}/{method}/{seed}"}


def test_regression_tables_name_the_winning_head():
    recs = []
    for seed in range(2):
        recs.append(_rec("T", "minirocket", "complete", seed,
                         {"rmse_ridgecv": 1.0, "mae_ridgecv": 0.8, "fit_s_ridgecv": 1,
                          "baseline_rmse": 5.0}))
        recs.append(_rec("T", "dmae-modular", "complete", seed,
                         {"rmse_ridgecv": 2.0, "mae_ridgecv": 1.5, "rmse_linear": 3.0,
                          "mae_linear": 2, "rmse_mlp": 0.9 + seed / 10, "mae_mlp": 0.7,
                          "baseline_rmse": 5.0}))
        recs.append(_rec("T", "dmae-e2e", "complete", seed,
                         {"rmse_e2e-linear": 4.0, "mae_e2e-linear": 3, "rmse_e2e-mlp": 1.2,
                          "mae_e2e-mlp": 1, "baseline_rmse": 5.0}))
    text = regression_tables(recs)
    assert "| DMAE | 2.0000 ± 0.0000 / 1.5000" in text
    assert "0.9500 ± 0.0707" in text  # the MLP head's mean ± std over the two seeds
    # best pipeline: DMAE + MLP head, 0.95 against MiniRocket's 1.0
    assert "| T | complete | 1.0000 | DMAE + MLP head | 0.9500 | -0.0500 | MLP head: 1 |" in text


def test_transfer_table_reads_accuracy_kept():
    recs = [_rec("A", "dmae", "length=8", 0, {"accuracy": {"A": 0.8, "B": 0.45}}),
            _rec("B", "dmae", "length=8", 0, {"accuracy": {"A": 0.6, "B": 0.9}})]
    text = transfer_tables(recs)
    # on A: own 0.8, from B 0.6 -> 75 % kept; on B: own 0.9, from A 0.45 -> 50 %
    assert "| A | DMAE | 0.800 | – | 0.600 | 75.0 % |" in text
    assert "| B | DMAE | 0.900 | 0.450 | – | 50.0 % |" in text
    assert "| DMAE | 62.5 % | 2 |" in text


def test_sktime_table_ranks_only_where_every_estimator_ran():
    recs = [_rec("D1", "a", "k", 0, {"fold_accuracy": [0.9, 1.0], "fit_s": 1}),
            _rec("D1", "b", "k", 0, {"fold_accuracy": [0.5, 0.7], "fit_s": 2}),
            _rec("D2", "a", "k", 0, {"fold_accuracy": [0.5, 0.5], "fit_s": 1}),
            _rec("D2", "b", "k", 0, {"fold_accuracy": [0.8, 0.8], "fit_s": 2}),
            _rec("D3", "a", "k", 0, {"fold_accuracy": [0.9], "fit_s": 1}),
            _rec("D3", "b", "k", 0, {}, status="failed")]
    text = sktime_tables(recs)
    assert "| D1 | 0.950 ± 0.071 | 0.600 ± 0.141 |" in text
    assert "| **average rank** | **1.50** | **1.50** |" in text
    assert "over the 2 dataset(s) where every estimator ran (D1, D2)" in text


@pytest.mark.parametrize("suite", ["regression", "transfer", "sktime"])
def test_quick_job_runs_on_shipped_data(suite, tmp_path):
    pytest.importorskip("pypots")
    pytest.importorskip("sktime")
    from skmts.benchmarks import _claims

    jobs = plan(suite, Options(quick=True, workdir=str(tmp_path)))
    pick = {"regression": "dmae-modular", "transfer": "saits", "sktime": "dmae-modular"}
    job = next(j for j in jobs if j.method == pick[suite])
    out = getattr(_claims, job.target.split(":")[1])(job.as_dict())
    if suite == "regression":
        for head in ("ridgecv", "linear", "mlp"):
            assert np.isfinite(out[f"rmse_{head}"]) and out[f"mae_{head}"] > 0
    elif suite == "transfer":
        assert set(out["accuracy"]) == {"GunPoint", "ItalyPowerDemand"}
        assert all(0 <= a <= 1 for a in out["accuracy"].values())
    else:
        assert len(out["fold_accuracy"]) == 3 and 0 <= out["accuracy"] <= 1
