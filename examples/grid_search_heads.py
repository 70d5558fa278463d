"""Tune the head with GridSearchCV while the backbone pretrains once per fold.

With Pipeline(memory=...), scikit-learn caches each fitted transformer (joblib.Memory):
when only the head's settings change, the fitted DMAE backbone of that fold is loaded
from the cache instead of being pretrained again. Here 4 head settings x 3 folds cost
3 pretrainings (+1 for the final refit on all the data) instead of 13.

Run: python examples/grid_search_heads.py  (under a minute on 2 CPU cores)
"""

import tempfile
import time

from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skmts import DMAETransformer, LinearHeadClassifier, MLPHeadClassifier
from skmts.datasets import load_dataset

X_train, y_train = load_dataset("BasicMotions", split="train")  # (40, 100, 6)
X_test, y_test = load_dataset("BasicMotions", split="test")

# Small budget (defaults: d_model=64, n_layers=3, max_epochs=100, patience=10). A fixed
# random_state makes the backbone's parameters, and so its cache key, the same each time.
dmae = DMAETransformer(d_model=32, n_heads=4, n_layers=2, d_ff=64, max_epochs=40,
                       random_state=0)
param_grid = [
    {"clf": [LinearHeadClassifier(random_state=0)], "clf__weight_decay": [0.0, 1e-2]},
    {"clf": [MLPHeadClassifier(random_state=0)], "clf__hidden_size": [16, 64]},
]

with tempfile.TemporaryDirectory() as cache:
    pipe = Pipeline([("emb", dmae), ("scale", StandardScaler()),
                     ("clf", LinearHeadClassifier())], memory=cache)
    search = GridSearchCV(pipe, param_grid, cv=StratifiedKFold(3), n_jobs=1)
    start = time.perf_counter()
    search.fit(X_train, y_train)
    print(f"grid search over {len(search.cv_results_['params'])} head settings x 3 folds "
          f"in {time.perf_counter() - start:.1f} s")
    # the first setting pretrains in each fold; the others find the backbone in the cache
    for params, seconds, score in zip(search.cv_results_["params"],
                                      search.cv_results_["mean_fit_time"],
                                      search.cv_results_["mean_test_score"]):
        setting = {k: v for k, v in params.items() if k != "clf"}
        print(f"  {type(params['clf']).__name__:<20} {setting}  "
              f"fit {seconds:5.1f} s per fold, CV accuracy {score:.3f}")
    best = {k: v for k, v in search.best_params_.items() if k != "clf"}
    print(f"best: {type(search.best_params_['clf']).__name__} {best}, "
          f"test accuracy {search.score(X_test, y_test):.3f}")
