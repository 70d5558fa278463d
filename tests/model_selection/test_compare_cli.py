"""``skmts compare``: a real run and every bad input (one line on stderr, exit status 2)."""

import subprocess
import sys

import numpy as np
import pytest

from skmts.model_selection._cli import main

from .conftest import cli_env, make_panel, tiny_args


def _error(capsys, argv):
    status = main(argv)
    err = capsys.readouterr().err.strip()
    assert status == 2, err
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert err.startswith("skmts compare: error: ")
    return err


def test_a_file_run_writes_every_output(data_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([str(data_file), *tiny_args(out)]) == 0
    captured = capsys.readouterr()
    assert "modular" in captured.out and "minirocket" in captured.out
    for name in ("results.csv", "results.json", "trials.csv", "report.html",
                 "score_per_setup.png", "score_vs_labels.png", "latency.png", "study.db"):
        assert (out / name).stat().st_size > 0, name


def test_unequal_length_ts_files_with_a_test_file(tmp_path, capsys):
    from sktime.datasets import write_panel_to_tsfile

    import pandas as pd

    def write(name, n, seed):
        X, y = make_panel(n, seed)
        cut = [x[: 12 + (i % 5)] for i, x in enumerate(X)]  # 12 to 16 steps
        nested = pd.DataFrame({f"dim_{c}": [pd.Series(s[:, c]) for s in cut] for c in (0, 1)})
        write_panel_to_tsfile(nested, str(tmp_path), target=y, problem_name=name)
        return tmp_path / name / f"{name}.ts"

    train, test = write("Train", 32, 0), write("Test", 16, 1)
    assert main([str(train), str(test), *tiny_args(tmp_path / "out")]) == 0
    assert "minirocket" in capsys.readouterr().out


def test_unknown_dataset(capsys):
    assert "unknown dataset 'NoSuchSet'" in _error(capsys, ["NoSuchSet"])


def test_missing_file(capsys, tmp_path):
    path = tmp_path / "absent.npz"
    assert f"{path}: no such file" in _error(capsys, [str(path)])


def test_unreadable_file(capsys, tmp_path):
    path = tmp_path / "broken.npz"
    path.write_bytes(b"not a zip file")
    assert str(path) in _error(capsys, [str(path)])


def test_no_labels(capsys, tmp_path):
    path = tmp_path / "unlabelled.npy"
    np.save(path, make_panel(8)[0])
    assert "holds no labels; give them with --labels" in _error(capsys, [str(path)])


def test_one_class(capsys, tmp_path):
    path = tmp_path / "one.npz"
    X, _ = make_panel(8)
    np.savez(path, X=X, y=np.array(["a"] * 8))
    assert "needs at least 2 classes" in _error(capsys, [str(path)])


@pytest.mark.parametrize("fraction", ["0", "1.5", "-0.2"])
def test_label_fraction_out_of_range(capsys, data_file, fraction):
    err = _error(capsys, [str(data_file), "--label-fractions", fraction])
    assert "--label-fractions must lie in (0, 1]" in err


def test_too_few_labels_for_folds(capsys, data_file, tmp_path):
    err = _error(capsys, [str(data_file), "--label-fractions", "0.01",
                          "--output", str(tmp_path / "o")])
    assert "at least 2 labelled series" in err


def test_unreachable_storage_hides_its_password(capsys, data_file, tmp_path):
    err = _error(capsys, [str(data_file), "--output", str(tmp_path / "o"), "--storage",
                          "postgresql+psycopg://me:topsecret@127.0.0.1:9/studies"])
    assert "cannot open the storage postgresql+psycopg://me:***@127.0.0.1:9/studies" in err
    assert "topsecret" not in err


def test_output_folder_that_cannot_be_written(capsys, data_file, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    err = _error(capsys, [str(data_file), "--output", str(blocker / "sub")])
    assert f"output folder {blocker / 'sub'} cannot be written" in err


def test_unknown_backbone_and_bad_json(capsys, data_file, tmp_path):
    assert "backbones: unknown ['resnet']" in _error(
        capsys, [str(data_file), "--backbones", "resnet", "--output", str(tmp_path)])
    assert "--backbone-params is not JSON" in _error(
        capsys, [str(data_file), "--backbone-params", "{nope"])


def test_usage_errors_are_one_line(capsys):
    assert "unrecognized arguments: --frobnicate" in _error(capsys, ["X", "--frobnicate"])


def test_the_console_command_exits_2_without_a_traceback():
    proc = subprocess.run([sys.executable, "-m", "skmts", "compare", "NoSuchSet"],
                          capture_output=True, text=True, env=cli_env(), timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("skmts compare: error: unknown dataset")
    assert "Traceback" not in proc.stderr
