"""Several worker processes on one study (SQLite, PostgreSQL), and scikit-learn/Optuna
searches over skmts pipelines with parallel jobs."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import optuna
import pytest

from skmts.model_selection import open_storage

from .conftest import TINY_DMAE, cli_env, make_panel, tiny_args

BUDGET = 8


def _run_two_workers(data_file, storage_url, tmp_path):
    # the schema is created once up front (two processes racing to create a fresh SQLite
    # schema fail, see ecosystem notes); the workers then create or load the study
    open_storage(storage_url)
    cmd = [sys.executable, "-m", "skmts", "compare", str(data_file), "--worker",
           "--storage", storage_url,
           *tiny_args(tmp_path / "out", "--trials", str(BUDGET))]
    procs = [subprocess.Popen(cmd, env=cli_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err
    storage = open_storage(storage_url)
    (summary,) = optuna.get_all_study_summaries(storage)
    study = optuna.load_study(study_name=summary.study_name, storage=storage)
    return study


def _check_budget(study):
    ran = [t for t in study.trials if not t.user_attrs.get("skmts_over_budget")]
    states = {t.state.name for t in ran}
    assert len(ran) == BUDGET and states <= {"COMPLETE", "PRUNED"}, states
    workers = {t.user_attrs["worker"] for t in ran}
    assert len(workers) == 2, workers  # both processes took trials


def test_two_workers_share_one_sqlite_study(data_file, tmp_path):
    study = _run_two_workers(data_file, f"sqlite:///{tmp_path / 'shared.db'}", tmp_path)
    _check_budget(study)


def _pg_binaries():
    found = {}
    for name in ("initdb", "pg_ctl"):
        path = shutil.which(name)
        if path is None:
            candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
            path = str(candidates[-1]) if candidates else None
        found[name] = path
    return found


@pytest.fixture
def postgres_url(tmp_path):
    """A throw-away PostgreSQL server on 127.0.0.1 (the URL carries a password, which
    trust authentication ignores, to check that it never leaks)."""
    required = os.environ.get("SKMTS_REQUIRE_POSTGRES") == "1"
    bins = _pg_binaries()
    reason = None
    if None in bins.values():
        reason = "PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql"
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            reason = "psycopg (3) is not installed: pip install 'psycopg[binary]'"
    if reason:
        if required:
            pytest.fail(reason)
        pytest.skip(reason)
    # not under tmp_path: pytest's folders are private to the user running the tests
    base = Path(tempfile.mkdtemp(prefix="skmts-pg-"))
    data = base / "pg"
    data.mkdir()
    run_as = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        os.chmod(base, 0o755)
        shutil.chown(data, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run([*run_as, bins["initdb"], "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run([*run_as, bins["pg_ctl"], "-D", str(data), "-o",
                    f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "-w", "start",
                    "-l", str(data / "log")], check=True, capture_output=True)
    try:
        import psycopg  # noqa: F811 - imported above only to test for it

        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute("create database skmts")
        yield f"postgresql://postgres:pg-secret-99@127.0.0.1:{port}/skmts"
    finally:
        subprocess.run([*run_as, bins["pg_ctl"], "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_two_workers_share_one_postgresql_study(data_file, tmp_path, postgres_url):
    study = _run_two_workers(data_file, postgres_url, tmp_path)
    _check_budget(study)
    # a report from the same storage, and the password appears nowhere
    out = tmp_path / "report"
    proc = subprocess.run(
        [sys.executable, "-m", "skmts", "compare", str(data_file), "--report-only",
         "--storage", postgres_url, *tiny_args(out, "--trials", str(BUDGET))],
        env=cli_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "pg-secret-99" not in proc.stdout + proc.stderr
    for path in out.iterdir():
        if path.suffix in (".json", ".csv", ".html", ".jsonl"):
            assert "pg-secret-99" not in path.read_text(), path
    assert "postgres:***@127.0.0.1" in (out / "results.json").read_text()


def test_grid_search_with_two_jobs_over_skmts_pipelines(capfd):
    """No deadlock, one torch thread per job on 2 cores, no PyPOTS banner per worker."""
    import torch
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    from skmts import DMAETransformer, FrozenImputerTransformer

    X, y = make_panel(24)
    pipe = Pipeline([("emb", DMAETransformer(**TINY_DMAE, random_state=0)),
                     ("clf", LogisticRegression(max_iter=500))])
    grid = {"emb": [DMAETransformer(**TINY_DMAE, random_state=0),
                    FrozenImputerTransformer("saits", backbone_params={"n_layers": 1,
                                             "d_model": 8, "n_heads": 2, "d_ffn": 16},
                                             max_epochs=1, random_state=0)]}

    def threads(estimator, X, y):  # the "score" is the torch thread count in the worker
        return float(torch.get_num_threads())

    search = GridSearchCV(pipe, grid, cv=2, n_jobs=2, scoring={"acc": "accuracy",
                          "threads": threads}, refit="acc").fit(X, y)
    assert search.best_score_ >= 0.5
    assert max(search.cv_results_["mean_test_threads"]) <= max(1, (os.cpu_count() or 2) // 2)
    captured = capfd.readouterr()
    assert "PyPOTS" not in captured.out + captured.err


def test_optuna_search_cv_over_a_dmae_pipeline():
    optuna_integration = pytest.importorskip("optuna_integration")
    from optuna.distributions import FloatDistribution
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from skmts import DMAETransformer

    X, y = make_panel(24)
    pipe = Pipeline([("emb", DMAETransformer(**TINY_DMAE, random_state=0)),
                     ("clf", LogisticRegression(max_iter=500))])
    search = optuna_integration.OptunaSearchCV(
        pipe, {"clf__C": FloatDistribution(1e-2, 1e2, log=True)}, n_trials=3, cv=2,
        random_state=0).fit(X, y)
    assert len(search.trials_) == 3 and 0 <= search.best_score_ <= 1
    assert np.isfinite(search.score(X, y))
