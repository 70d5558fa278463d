"""
Modular or end-to-end?
======================

One pretrained backbone and one head, trained two ways on a share of the labels:

* **modular** -- ``Pipeline([("emb", FrozenEstimator(backbone)), ("clf", head)])``:
  the backbone stays frozen, only the head learns;
* **end-to-end** -- ``EndToEndClassifier(backbone, head=head)``: backbone and head are
  fine-tuned together (the backbone with ``backbone_lr``, by default the head's ``lr``
  / 10).

Both start from the same pretrained weights and the same head object (architecture and
training recipe), so the comparison changes one thing only.
"""

# %%
# Pretrain once, without labels
# -----------------------------
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline

from skmts import DMAETransformer, EndToEndClassifier, LinearHeadClassifier
from skmts.datasets import load_dataset
from skmts.model_selection import labelled_subset

X_train, y_train = load_dataset("BasicMotions", split="train")
X_test, y_test = load_dataset("BasicMotions", split="test")
backbone = DMAETransformer(d_model=16, n_heads=2, n_layers=1, d_ff=32, max_epochs=10,
                           random_state=0).fit(X_train)  # every training series, no labels
head = LinearHeadClassifier(max_epochs=50, random_state=0)

# %%
# Train both ways at three label fractions
# ----------------------------------------
# :func:`skmts.model_selection.labelled_subset` keeps a stratified share of the labels
# (nested: the 25 % subset lies inside the 50 % one).
fractions = [0.25, 0.5, 1.0]
results = {"modular": [], "end-to-end": []}
for fraction in fractions:
    idx = labelled_subset(y_train, fraction, random_state=0)
    models = {
        "modular": Pipeline([("emb", FrozenEstimator(backbone)), ("clf", head)]),
        "end-to-end": EndToEndClassifier(FrozenEstimator(backbone), head=head,
                                         random_state=0),
    }
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(X_train[idx], y_train[idx])
        results[name].append(model.score(X_test, y_test))
        print(f"{fraction:>4.0%} labels ({len(idx):>2} series) {name:>10}: "
              f"test accuracy {results[name][-1]:.3f}, fit {time.perf_counter() - start:.1f} s")

fig, ax = plt.subplots(figsize=(4.5, 3))
for name, marker in [("modular", "o"), ("end-to-end", "s")]:
    ax.plot([100 * f for f in fractions], results[name], marker=marker, label=name)
ax.set_xlabel("labelled training series (%)")
ax.set_ylabel("test accuracy")
ax.set_title("BasicMotions, one seed, tiny budget")
ax.legend()
fig.tight_layout()

# %%
# The two sides start from the same function
# ------------------------------------------
# :meth:`~skmts.EndToEndClassifier.from_pipeline` turns a fitted modular pipeline into
# an end-to-end estimator whose joint training starts from the pipeline's head; with
# ``max_epochs=0`` nothing is trained and it predicts what the pipeline predicts.
modular = Pipeline([("emb", FrozenEstimator(backbone)), ("clf", head)]).fit(X_train, y_train)
start_point = EndToEndClassifier.from_pipeline(modular, max_epochs=0).fit(X_train, y_train)
print("same predictions before fine-tuning:",
      np.array_equal(start_point.predict(X_test), modular.predict(X_test)))

# %%
# One seed on a tiny budget is an illustration, not a result: the benchmark's ``e2e``
# suite (:doc:`/benchmarks`) pairs 5 seeds per label fraction, and ``skmts compare``
# (:doc:`/user_guide/cli`) runs the comparison on your own data with cross-validation.
