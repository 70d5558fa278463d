"""A frozen PyPOTS imputer (SAITS) as a feature extractor, its imputation, and transfer.

FrozenImputerTransformer pretrains SAITS to impute values that PyGrinder hides on purpose,
freezes it, and returns its latent state pooled over the observed steps: the modular
approach of arXiv 2411.03941. A light head then learns the task from those features.

Run: python examples/frozen_imputer.py  (under a minute on 2 CPU cores)
"""

import time

import numpy as np
from sklearn.pipeline import make_pipeline

from skmts import FrozenImputerTransformer, LinearHeadClassifier
from skmts.datasets import inject_missing, load_dataset

X_train, y_train = load_dataset("BasicMotions", split="train")  # (40, 100, 6)
X_test, y_test = load_dataset("BasicMotions", split="test")
X_train = inject_missing(X_train, 0.2, random_state=0)  # the data arrive with 20 % gaps
X_test = inject_missing(X_test, 0.2, random_state=1)

# Pretraining needs no labels. Defaults: max_epochs=100, patience=10 on the held-out imputation
# error (validation_fraction=0.2; PyGrinder hides missing_rate=0.2 more, MCAR, in the held-out
# part and, for SAITS, in each training epoch); 30 epochs keep this quick.
saits = FrozenImputerTransformer("saits", max_epochs=30, random_state=0)
head = LinearHeadClassifier(random_state=0)  # max_epochs=200, early stopping, patience=10
clf = make_pipeline(saits, head)  # the head standardises its input (standardize=True)
start = time.perf_counter()
clf.fit(X_train, y_train)  # pretrains SAITS on X_train, freezes it, trains the head
print(f"fit in {time.perf_counter() - start:.1f} s (SAITS kept epoch {saits.best_epoch_}), "
      f"test accuracy {clf.score(X_test, y_test):.3f}")
features = saits.transform(X_test)
print("features:", features.shape)  # (40, d_model=64): per-step latents, mean-pooled

# The frozen model also imputes; score(X) = minus the MAE on values hidden on purpose
X_filled = saits.impute(X_test)
print(f"missing test values left after impute: {int(np.isnan(X_filled).sum())} "
      f"(were {int(np.isnan(X_test).sum())}); imputation score {saits.score(X_test):.3f}")

# Transfer: a fitted transformer passed as `backbone` is used as is (fit only checks
# shapes), so one pretraining serves a second task, here "moving fast or not".
y_fast = np.isin(y_train, ["running", "badminton"])
reused = FrozenImputerTransformer(backbone=saits)
start = time.perf_counter()
fast = make_pipeline(reused, LinearHeadClassifier(random_state=0))
fast.fit(X_train, y_fast)
print(f"second task on the same frozen backbone: fit in {time.perf_counter() - start:.1f} s, "
      f"test accuracy {fast.score(X_test, np.isin(y_test, ['running', 'badminton'])):.3f}")
print("same features as the original:", np.array_equal(reused.transform(X_test), features))
