"""Tests for the benchmark command's harness, report and suite helpers.

The jobs here run a trivial stand-in method (``stand_in`` below) in real child processes.
This module imports only light packages at the top: each child imports it to find
``stand_in``, and must not pay for torch.
"""

import json
import os
import time

import numpy as np
import pytest


def stand_in(job):
    """A trivial 'method': behaviour chosen by the job's params."""
    mode = job["params"].get("mode", "ok")
    if mode == "raise":
        raise RuntimeError("boom")
    if mode == "crash":
        os._exit(3)
    if mode == "sleep":
        time.sleep(30)
    print("this goes to stderr, not to the tables")
    return {"accuracy": 0.5 + 0.1 * job["seed"], "fit_s": 0.01, "pid": os.getpid()}


def _job(method="m", seed=0, mode="ok", suite="classification", dataset="D", setting="default"):
    from skmts.benchmarks._harness import Job

    return Job(suite, dataset, method, setting, seed, f"{__name__}:stand_in", {"mode": mode})


def test_jobs_run_in_fresh_processes_and_failures_stay_local(tmp_path):
    from skmts.benchmarks._harness import ResultStore, run_jobs

    store = ResultStore(tmp_path / "r.jsonl")
    jobs = [_job("a"), _job("b", mode="raise"), _job("c", mode="crash"), _job("e", seed=1)]
    assert run_jobs(jobs, store, timeout=120) == {"ok": 2, "failed": 2, "skipped": 0}
    assert run_jobs([_job("d", mode="sleep")], store, timeout=1.5)["failed"] == 1
    recs = {r["method"]: r for r in store.records()}
    assert [recs[m]["status"] for m in "abcde"] == ["ok", "error", "crashed", "timeout", "ok"]
    assert "RuntimeError: boom" in recs["b"]["error"]
    assert "exit code 3" in recs["c"]["error"]
    pids = {recs["a"]["metrics"]["pid"], recs["e"]["metrics"]["pid"], os.getpid()}
    assert len(pids) == 3  # one fresh process per job
    assert recs["a"]["peak_rss_mib"] > 1 and recs["e"]["metrics"]["accuracy"] == 0.6


def test_rerun_skips_finished_jobs_and_retries_failed_ones(tmp_path):
    from skmts.benchmarks._harness import Job, ResultStore, run_jobs

    store = ResultStore(tmp_path / "r.jsonl")
    assert run_jobs([_job("a"), _job("b", mode="raise")], store)["ok"] == 1
    n_lines = len(store.records())
    # "a" is done; "b" failed and runs again (now fixed: same key, new params -> new config)
    counts = run_jobs([_job("a"), _job("b")], store)
    assert counts == {"ok": 1, "failed": 0, "skipped": 1}
    assert len(store.records()) == n_lines + 1
    assert run_jobs([_job("a"), _job("b")], store)["skipped"] == 2
    assert run_jobs([_job("a")], store, force=True)["ok"] == 1
    # a changed configuration is a different measurement
    changed = Job("classification", "D", "a", "default", 0, f"{__name__}:stand_in",
                  {"mode": "ok", "epochs": 3})
    assert run_jobs([changed], store)["ok"] == 1


def test_store_survives_a_line_cut_by_a_kill(tmp_path):
    from skmts.benchmarks._harness import ResultStore

    path = tmp_path / "r.jsonl"
    good = {"key": "k", "config": "c", "status": "ok"}
    path.write_text(json.dumps(good) + "\n" + '{"key": "k2", "conf')
    store = ResultStore(path)
    assert store.done() == {("k", "c")}


SECTION_TEXT = """# Benchmarks

Intro written by hand.

<!-- skmts-benchmarks:classification:begin -->
## old classification
old numbers
<!-- skmts-benchmarks:classification:end -->

Text between sections.

<!-- skmts-benchmarks:missing:begin -->
## missing
missing numbers
<!-- skmts-benchmarks:missing:end -->
"""


def test_replace_section_keeps_other_sections():
    from skmts.benchmarks._report import replace_section

    new = ("<!-- skmts-benchmarks:classification:begin -->\nNEW\n"
           "<!-- skmts-benchmarks:classification:end -->")
    out = replace_section(SECTION_TEXT, "classification", new)
    assert "old numbers" not in out and "NEW" in out
    for kept in ("Intro written by hand.", "Text between sections.", "missing numbers"):
        assert kept in out
    assert out.index("NEW") < out.index("missing numbers")  # replaced in place
    e2e = "<!-- skmts-benchmarks:e2e:begin -->\nE2E\n<!-- skmts-benchmarks:e2e:end -->"
    out2 = replace_section(out, "e2e", e2e)
    assert out2.startswith(out.rstrip("\n")) and out2.rstrip().endswith(e2e)
    assert replace_section("", "e2e", e2e).startswith("# Benchmarks")


def test_section_names_the_measuring_commands():
    from skmts.benchmarks._report import suite_section

    recs = [dict(r, command="python -m skmts.benchmarks --suite e2e") for r in _records()]
    kw = dict(n_seeds=2, date="2026-01-01")
    measured = suite_section("e2e", recs, command="python -m skmts.benchmarks --suite e2e", **kw)
    assert "- Command: `python -m skmts.benchmarks --suite e2e`" in measured
    assert "earlier runs" not in measured and "rebuilt" not in measured
    rebuilt = suite_section("e2e", recs, report_only=True,
                            command="python -m skmts.benchmarks --suite e2e --report-only", **kw)
    assert "- Measured by: `python -m skmts.benchmarks --suite e2e`" in rebuilt
    assert "- Tables rebuilt from the stored results by: `python -m skmts.benchmarks --suite e2e --report-only`" in rebuilt
    assert "- Command:" not in rebuilt


def test_command_runs_resumes_and_writes_docs(tmp_path, monkeypatch, capsys):
    from skmts.benchmarks import _cli, _plan

    def fake_plan(suite, opts):
        return [_job(m, seed=s, suite=suite) for s in range(opts.n_seeds(suite))
                for m in ("dmae", "minirocket")]

    monkeypatch.setattr(_plan, "plan", fake_plan)
    docs = tmp_path / "docs" / "benchmarks.md"
    docs.parent.mkdir()
    docs.write_text(SECTION_TEXT)
    argv = ["--suite", "classification", "--seeds", "2", "--results-dir",
            str(tmp_path / "res"), "--docs", str(docs)]
    assert _cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "| D | 0.550 ± 0.071 | 0.550 ± 0.071 |" in out  # seeds 0 and 1: 0.5, 0.6
    assert "stderr, not to the tables" not in out
    text = docs.read_text()
    assert "old numbers" not in text and "missing numbers" in text
    assert f"`python -m skmts.benchmarks {' '.join(argv)}`" in text
    assert "- Seeds: 2; jobs: 4 finished, 0 failed" in text and "torch" in text
    lines = (tmp_path / "res" / "classification.jsonl").read_text().splitlines()
    assert len(lines) == 4
    assert _cli.main(argv) == 0  # rerun: nothing to do, same table
    assert len((tmp_path / "res" / "classification.jsonl").read_text().splitlines()) == 4
    assert "0.550 ± 0.071" in capsys.readouterr().out


def test_command_rejects_unknown_dataset(capsys):
    from skmts.benchmarks._cli import main

    with pytest.raises(SystemExit):
        main(["--suite", "classification", "--datasets", "Nope"])
    assert "'Nope' is not a shipped dataset" in capsys.readouterr().err


# ---- suites: plans and helpers --------------------------------------------------------------
def test_plans_cover_the_requested_grid():
    from skmts.benchmarks._plan import Options, plan

    jobs = plan("classification", Options())
    assert len(jobs) == 6 * 2 * 3
    assert {j.method for j in jobs} == {"dmae", "minirocket"}
    quick = plan("classification", Options(quick=True))
    assert {j.seed for j in quick} == {0} and len({j.dataset for j in quick}) == 2
    assert all(j.params["budget"]["max_epochs"] == 2 for j in quick if j.method == "dmae")
    missing = plan("missing", Options(seeds=1))
    assert {j.setting for j in missing} == {"complete", "mcar-0.1", "mcar-0.3", "block-0.1",
                                           "block-0.3"}
    assert {"frozen-saits", "frozen-csai", "dmae", "minirocket", "linear-interp"} <= {
        j.method for j in missing}
    assert not any(j.method == "linear-interp" and j.setting == "complete" for j in missing)
    twins = {(j.method, j.setting) for j in missing if j.method.endswith("(twin)")}
    assert ("frozen-saits (twin)", "complete") in twins and ("dmae (twin)", "complete") in twins
    assert {setting for _, setting in twins} == {"complete"}
    last = [j for j in missing if j.method == "frozen-brits pooling=last"]
    assert {j.setting for j in last} == {"complete"}
    assert last[0].params["estimator_params"] == {"pooling": "last"}
    default = next(j for j in missing if j.method == "frozen-brits")
    assert default.params["estimator_params"] == {"pooling": "mean"}
    twin = next(j for j in missing if j.method == "frozen-brits (twin)")
    assert twin.params["estimator_params"] == {"pooling": "mean", "max_epochs": 0}
    e2e = plan("e2e", Options())
    assert {j.seed for j in e2e} == set(range(5))
    assert {j.params["label_fraction"] for j in e2e} == {0.1, 0.25, 1.0}
    assert {j.method for j in e2e} == {"minirocket"} | {
        f"dmae-{k}-{h}" for k in ("modular", "e2e", "scratch") for h in ("linear", "mlp")}
    only = plan("e2e", Options(methods=("*-modular-*",), seeds=1))
    assert {j.method for j in only} == {"dmae-modular-linear", "dmae-modular-mlp"}
    few = plan("e2e", Options(label_fractions=(0.1, 0.25), seeds=1))
    assert {j.params["label_fraction"] for j in few} == {0.1, 0.25}
    assert {j.key for j in few} < {j.key for j in plan("e2e", Options(seeds=1))}
    inference = plan("inference", Options())
    assert [(j.method, j.params["n_samples"]) for j in inference] == [
        ("dmae", 100_000), ("saits", 100_000)]


def test_ablation_folds_variants_equal_to_the_defaults():
    from skmts.benchmarks._plan import ABLATION_VARIANTS, ablation_variants

    labels = [label for label, _, _ in ablation_variants()]
    assert labels[0] == "default"
    assert {"alignment_weight=0", "paper design", "n_conv_blocks=0"} <= set(labels)
    # exactly one of the two mask ratios repeats the default and is folded
    assert ("mask_ratio=0.4" in labels) != ("mask_ratio=0.6" in labels)
    assert len(labels) == len(ABLATION_VARIANTS) - 1


def test_ablation_plans_a_twin_for_each_architecture():
    from skmts.benchmarks._plan import TWIN, Options, plan

    jobs = plan("ablation", Options(datasets=("GunPoint",), seeds=1))
    methods = {j.method: j for j in jobs}
    assert {"default" + TWIN, "n_conv_blocks=0" + TWIN} <= set(methods)
    assert "alignment_weight=0" + TWIN not in methods  # training-only: default's twin
    twin = methods["n_conv_blocks=0" + TWIN].params["dmae_params"]
    assert twin == {"n_conv_blocks": 0, "max_epochs": 0}


def test_interpolation_and_injected_mae():
    from skmts.benchmarks._data import injected_mae
    from skmts.model_selection._reference import interpolate_linear

    full = np.array([[[0.0], [1.0], [2.0], [3.0], [4.0]]])
    miss = np.array([[[np.nan], [1.0], [np.nan], [3.0], [np.nan]]])
    filled = interpolate_linear(miss)
    np.testing.assert_allclose(filled[0, :, 0], [1.0, 1.0, 2.0, 3.0, 3.0])  # edges: nearest
    assert not np.isnan(miss[0, 1, 0]) and np.isnan(miss[0, 0, 0])  # input untouched
    mae, n, left = injected_mae(full, miss, filled)
    assert (mae, n, left) == (pytest.approx(2 / 3), 3, 0)
    ragged = [np.array([[np.nan, 1.0], [2.0, np.nan]]), np.array([[np.nan, np.nan]])]
    out = interpolate_linear(ragged)
    np.testing.assert_allclose(out[0], [[2.0, 1.0], [2.0, 1.0]])
    np.testing.assert_allclose(out[1], [[0.0, 0.0]])  # nothing observed: 0


def _records():
    recs = []
    for seed in range(2):
        for miss in ("complete", "mcar-0.3"):
            for frac in (0.1, 1.0):
                for m, acc, lat in (("dmae-modular-linear", 0.8, 1.0),
                                    ("dmae-e2e-linear", 0.9, 3.0), ("minirocket", 0.85, 0.5)):
                    recs.append({
                        "key": f"e2e/D/{m}/{miss}/labels={frac}/seed={seed}", "status": "ok",
                        "dataset": "D", "method": m, "setting": f"{miss}/labels={frac:g}",
                        "seed": seed, "params": {"missing": miss, "label_fraction": frac},
                        "metrics": {"accuracy": acc + 0.01 * seed, "fit_s": 2.0,
                                    "latency_ms": lat}})
    return recs


def test_e2e_tables_and_plot(tmp_path):
    from skmts.benchmarks._report import plot_e2e, suite_tables

    text = suite_tables("e2e", _records())
    assert "| dmae-e2e-linear | 0.905 ± 0.007 | 0.905 ± 0.007 |" in text
    assert "| dmae-e2e-linear | 2.00 | 3.000 | 3.00 |" in text  # latency ratio e2e/modular
    # paired by seed: e2e beats modular by 0.1 on both seeds, at both label fractions
    assert "| D | complete | end-to-end vs modular, linear head | +0.100 (2/2) | +0.100 (2/2) |" in text
    assert "end-to-end vs from scratch" not in text  # no scratch method in these records
    png = plot_e2e(_records(), tmp_path / "img" / "e2e.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_missing_tables_separate_accuracy_and_imputation():
    from skmts.benchmarks._report import suite_tables

    recs = [
        {"key": "k1", "status": "ok", "dataset": "D", "method": "frozen-saits",
         "setting": "mcar-0.3", "metrics": {"accuracy": 0.9, "fit_s": 3.0, "imputation_mae": 0.4}},
        {"key": "k2", "status": "ok", "dataset": "D", "method": "linear-interp",
         "setting": "mcar-0.3", "metrics": {"imputation_mae": 0.5}},
        {"key": "k3", "status": "error", "dataset": "D", "method": "frozen-csai",
         "setting": "mcar-0.3", "error": "ValueError: nope"},
    ]
    text = suite_tables("missing", recs)
    assert "| frozen SAITS | 0.900 |" in text and "| linear interpolation | 0.500 |" in text
    assert "| frozen SAITS | 0.400 |" in text
    assert "`k3`: error: ValueError: nope" in text


def test_inference_job_measures_transform_against_a_bare_forward():
    from skmts.benchmarks._suites import inference_job

    job = {"seed": 0, "method": "dmae", "params": {
        "n_samples": 300, "n_timesteps": 16, "n_channels": 2, "n_fit": 32,
        "budget": {"max_epochs": 1, "d_model": 8, "n_heads": 2, "n_layers": 1, "d_ff": 16}}}
    out = inference_job(job)
    assert out["n_features"] > 0 and out["series_per_s"] > 0 and out["bare_series_per_s"] > 0
    assert out["throughput_ratio"] == pytest.approx(out["bare_s"] / out["transform_s"])
