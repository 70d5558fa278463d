"""Modular and end-to-end skmts classifiers in sktime's benchmarking, beside MiniRocket.

sktime's ClassificationBenchmark takes sktime estimators; skmts.sktime.SktimeClassifier
wraps any skmts classifier (a Pipeline or an EndToEndClassifier) as one. The benchmark
runs every estimator on the same cross-validation folds of BasicMotions (80 series, 6
channels, 4 activities) and keeps finished (task, estimator) pairs in its output file, so
an interrupted run resumes where it stopped.

Run: python examples/sktime_benchmark.py  (about a minute on 2 CPU cores; the first run in a
fresh environment also compiles MiniRocket with numba, about 90 s more)
"""

from pathlib import Path

from sklearn.metrics import accuracy_score
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression
from sktime.benchmarking.classification import ClassificationBenchmark
from sktime.classification.kernel_based import RocketClassifier
from sktime.datasets import load_basic_motions

from skmts import DMAETransformer, EndToEndClassifier, LinearHeadClassifier
from skmts.sktime import SktimeClassifier


def backbone():
    # small budget for a quick run; the defaults train up to 100 epochs
    return DMAETransformer(d_model=32, n_heads=4, n_layers=2, d_ff=64, max_epochs=20,
                           random_state=0)


bench = ClassificationBenchmark()
bench.add_estimator(
    SktimeClassifier(Pipeline([("emb", backbone()), ("scale", StandardScaler()),
                               ("clf", LogisticRegression(max_iter=1000))])),
    estimator_id="dmae-modular-logreg")
bench.add_estimator(
    SktimeClassifier(EndToEndClassifier(backbone(), head=LinearHeadClassifier(max_epochs=50),
                                        random_state=0)),
    estimator_id="dmae-end-to-end-linear")
bench.add_estimator(RocketClassifier(rocket_transform="minirocket", random_state=0),
                    estimator_id="minirocket")
bench.add_task(dataset_loader=load_basic_motions,
               cv_splitter=KFold(n_splits=3, shuffle=True, random_state=0),
               scorers=[accuracy_score], task_id="basic_motions_kfold3")

out = Path("sktime_benchmark_results.csv")
results = bench.run(output_file=str(out))
cols = ["model_id", "accuracy_score_mean", "accuracy_score_std", "fit_time_mean"]
print(results[cols].to_string(index=False))
print(f"mean accuracy over 3 folds per estimator above; results kept in {out.resolve()}")
