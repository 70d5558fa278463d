"""Run every script in examples/ as a user would, and check that it succeeds.

Marked slow (each example trains real models for up to a minute): CI deselects them with
``-m "not slow"``; run them on demand with ``pytest -m slow tests/test_examples.py``.
The gallery in examples/gallery/ runs in the documentation build (``make -C docs html``);
the slow tests here run its scripts one by one too.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.py"))
GALLERY_DIR = EXAMPLES_DIR / "gallery"
GALLERY = sorted(GALLERY_DIR.glob("plot_*.py"))


def test_examples_are_found():
    # guards against the parametrization below silently collecting nothing
    assert {p.name for p in EXAMPLES} >= {
        "checkpoint_callback.py",
        "compare_from_python.py",
        "dmae_classification.py",
        "frozen_imputer.py",
        "grid_search_heads.py",
        "modular_vs_end_to_end.py",
        "optuna_modular_vs_end_to_end.py",
        "ragged_series.py",
        "sktime_benchmark.py",
    }


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(script, tmp_path):
    env = dict(os.environ)
    # On a machine shared with other jobs, torch's OpenMP threads spin-wait for each
    # other and a 2-thread run can be several times slower than a 1-thread run; one
    # thread keeps the examples within their time budget there (a user's setting wins).
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MPLBACKEND", "Agg")
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,  # examples must not depend on the working directory
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (
        f"{script.name} exited with {result.returncode}\n--- stdout\n{result.stdout}"
        f"\n--- stderr\n{result.stderr}"
    )
    assert "accuracy" in result.stdout, f"{script.name} printed no result:\n{result.stdout}"


def test_gallery_is_found():
    # the topics the documentation's gallery must cover (issue 13)
    assert {p.name for p in GALLERY} >= {
        "plot_01_quick_start.py",
        "plot_02_missing_data.py",
        "plot_03_variable_length.py",
        "plot_04_modular_vs_end_to_end.py",
        "plot_05_optuna_sweep.py",
        "plot_06_sktime_benchmark.py",
        "plot_07_transfer.py",
        "plot_08_save_load.py",
    }
    assert (GALLERY_DIR / "README.rst").is_file()  # sphinx-gallery's index page


@pytest.mark.parametrize("script", GALLERY, ids=lambda p: p.stem)
def test_gallery_script_has_a_title(script):
    # sphinx-gallery takes the page title from the module docstring's first lines
    lines = script.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '"""', f"{script.name} must start with a docstring"
    title, underline = lines[1], lines[2]
    assert title.strip() and set(underline) == {"="} and len(underline) >= len(title), (
        f"{script.name}: the docstring must open with a title underlined by '='"
    )


@pytest.mark.slow
@pytest.mark.parametrize("script", GALLERY, ids=lambda p: p.stem)
def test_gallery_script_runs(script, tmp_path):
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MPLBACKEND", "Agg")
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=300,
    )
    assert result.returncode == 0, (
        f"{script.name} exited with {result.returncode}\n--- stdout\n{result.stdout}"
        f"\n--- stderr\n{result.stderr}"
    )
