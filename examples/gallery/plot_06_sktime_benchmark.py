"""
skmts in sktime's benchmarking
==============================

:class:`skmts.sktime.SktimeClassifier` makes any classifier that reads skmts panels --
an :class:`~skmts.EndToEndClassifier`, a ``Pipeline`` that starts with an skmts
transformer -- an sktime classifier, so sktime's ``ClassificationBenchmark`` runs it on
the same folds as sktime's own estimators. sktime hands over ``numpy3D`` input
``(n_instances, n_channels, n_timesteps)``; the adapter transposes it to skmts's layout.

MiniRocket is left out to keep this page quick (numba compiles it on first use, about
90 s); ``examples/sktime_benchmark.py`` puts it beside the skmts estimators.
"""

# %%
# Estimators and a task
# ---------------------
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sktime.benchmarking.classification import ClassificationBenchmark
from sktime.classification.dummy import DummyClassifier
from sktime.datasets import load_basic_motions

from skmts import DMAETransformer, EndToEndClassifier, LinearHeadClassifier
from skmts.sktime import SktimeClassifier


def backbone():
    # a tiny budget for the build; the defaults train for about 200 optimiser steps
    return DMAETransformer(d_model=16, n_heads=2, n_layers=1, d_ff=32, max_epochs=10,
                           random_state=0)


bench = ClassificationBenchmark()
bench.add_estimator(
    SktimeClassifier(Pipeline([("emb", backbone()), ("scale", StandardScaler()),
                               ("clf", LogisticRegression(max_iter=1000))])),
    estimator_id="dmae-modular-logreg")
bench.add_estimator(
    SktimeClassifier(EndToEndClassifier(backbone(), head=LinearHeadClassifier(max_epochs=30),
                                        random_state=0)),
    estimator_id="dmae-end-to-end-linear")
bench.add_estimator(DummyClassifier(), estimator_id="dummy")
bench.add_task(dataset_loader=load_basic_motions,
               cv_splitter=KFold(n_splits=2, shuffle=True, random_state=0),
               scorers=[accuracy_score], task_id="basic_motions_kfold2")

# %%
# Run
# ---
# The benchmark keeps finished (task, estimator) pairs in its output file: run it again
# with the same file and only what is missing runs.
out = Path(tempfile.mkdtemp(prefix="skmts-bench-")) / "results.csv"
results = bench.run(output_file=str(out))
columns = ["model_id", "accuracy_score_mean", "accuracy_score_std", "fit_time_mean"]
print(results[columns].to_string(index=False))

fig, ax = plt.subplots(figsize=(5, 2.5))
ax.barh(results["model_id"], results["accuracy_score_mean"],
        xerr=results["accuracy_score_std"], color="C0")
ax.set_xlabel("accuracy, mean over 2 folds")
ax.set_xlim(0, 1.05)
fig.tight_layout()

# %%
# sktime pipelines
# ----------------
# :class:`skmts.sktime.SktimeTransformer` makes an skmts transformer an sktime
# series-to-features transformer, so that ``*`` builds an sktime pipeline with any
# scikit-learn classifier.
from skmts.sktime import SktimeTransformer

X, y = load_basic_motions(split="train", return_X_y=True, return_type="numpy3D")
X_test, y_test = load_basic_motions(split="test", return_X_y=True, return_type="numpy3D")
pipe = SktimeTransformer(backbone()) * LogisticRegression(max_iter=1000)
print(type(pipe).__name__, f"test accuracy {pipe.fit(X, y).score(X_test, y_test):.3f}")
