"""Classify BasicMotions with DMAE features when 20 % of the values are missing.

DMAETransformer learns a representation without labels; StandardScaler and
LogisticRegression sit on top in an ordinary scikit-learn Pipeline. NaN marks a
missing value: skmts never shows it to the encoder as a value and never puts it
in a loss, so no imputation step is needed before the pipeline.

Run: python examples/dmae_classification.py  (under a minute on 2 CPU cores)
"""

import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skmts import DMAETransformer
from skmts.datasets import inject_missing, load_dataset

# BasicMotions ships with sktime; skmts returns it as (n_samples, n_timesteps, n_channels)
X_train, y_train = load_dataset("BasicMotions", split="train")  # (40, 100, 6)
X_test, y_test = load_dataset("BasicMotions", split="test")  # (40, 100, 6)

# hide 20 % of the values (completely at random) in both splits; the inputs stay intact
X_train_missing = inject_missing(X_train, 0.2, random_state=0)
X_test_missing = inject_missing(X_test, 0.2, random_state=1)
print(f"missing values: {np.isnan(X_train_missing).mean():.1%} of train, "
      f"{np.isnan(X_test_missing).mean():.1%} of test")

# A small budget so that the example runs in well under a minute on a laptop CPU. The
# defaults are d_model=64, n_layers=3, max_epochs=100 with early stopping (patience=10);
# use them (DMAETransformer(random_state=0)) for the best accuracy.
dmae = DMAETransformer(d_model=32, n_heads=4, n_layers=2, d_ff=64, max_epochs=40,
                       random_state=0)
clf = Pipeline([
    ("emb", dmae),
    ("scale", StandardScaler()),
    ("clf", LogisticRegression(max_iter=1000)),
])

start = time.perf_counter()
clf.fit(X_train_missing, y_train)  # self-supervised pretraining, then the linear head
fit_s = time.perf_counter() - start

emb = clf.named_steps["emb"]
print(f"DMAE trained {len(emb.history_)} epochs, {emb.transform(X_test_missing[:1]).shape[1]} "
      f"features per series, fit in {fit_s:.1f} s")
print(f"test accuracy with 20 % missing values: {clf.score(X_test_missing, y_test):.3f}")
print(f"test accuracy on the complete test set: {clf.score(X_test, y_test):.3f}")
