"""
Model selection with GridSearchCV
=================================

Every skmts estimator works in scikit-learn's model selection. Two things make searches
cheap and meaningful:

* ``Pipeline(memory=...)`` caches each fitted transformer, so a grid over the head's
  settings pretrains the backbone once per fold, not once per setting;
* the representation transformers' ``score`` needs no labels (minus a reconstruction
  error on a fixed reference task), so a grid over the backbone's own settings can run
  on unlabelled series.
"""

# %%
# A grid over heads, the backbone cached
# --------------------------------------
# Give the backbone a fixed ``random_state``: its parameters, and so the cache key, are
# then the same in every candidate.
import tempfile
import time

import matplotlib.pyplot as plt
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from skmts import DMAETransformer, LinearHeadClassifier, MLPHeadClassifier
from skmts.datasets import load_dataset

X_train, y_train = load_dataset("BasicMotions", split="train")
X_test, y_test = load_dataset("BasicMotions", split="test")
dmae = DMAETransformer(d_model=16, n_heads=2, n_layers=1, d_ff=32, max_epochs=10,
                       random_state=0)
param_grid = [
    {"clf": [LinearHeadClassifier(max_epochs=50, random_state=0)],
     "clf__lr": [1e-3, 1e-2, 1e-1]},
    {"clf": [MLPHeadClassifier(max_epochs=50, random_state=0)], "clf__hidden_size": [16, 64]},
]
with tempfile.TemporaryDirectory() as cache:
    pipe = Pipeline([("emb", dmae), ("clf", LinearHeadClassifier())], memory=cache)
    search = GridSearchCV(pipe, param_grid, cv=StratifiedKFold(2))
    start = time.perf_counter()
    search.fit(X_train, y_train)
    print(f"{len(search.cv_results_['params'])} settings x 2 folds in "
          f"{time.perf_counter() - start:.1f} s")
    print("best:", {k: v for k, v in search.best_params_.items() if k != "clf"},
          type(search.best_params_["clf"]).__name__,
          f"test accuracy {search.score(X_test, y_test):.3f}")

labels = [f"{type(p['clf']).__name__[:-14]}\n" + ", ".join(
    f"{k[5:]}={v:g}" for k, v in p.items() if k != "clf") for p in search.cv_results_["params"]]
fig, ax = plt.subplots(figsize=(6, 2.8))
ax.bar(labels, search.cv_results_["mean_fit_time"], color="C0")
ax.set_ylabel("mean fit time per fold (s)")
ax.set_title("the first setting pretrains; the others find the backbone cached",
             fontsize="medium")
ax.tick_params(axis="x", labelsize="small")
fig.tight_layout()

# %%
# A grid over the backbone, without labels
# ----------------------------------------
# ``DMAETransformer.score`` hides the same values for every candidate (they depend only
# on ``X`` and on ``score``'s own arguments, never on the estimator's masking
# parameters), so candidates with different ``mask_ratio`` are compared on one task.
search = GridSearchCV(dmae, {"mask_ratio": [0.3, 0.6]}, cv=2).fit(X_train)
for params, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"]):
    print(params, f"score (minus masked MSE) {score:.3f}")
