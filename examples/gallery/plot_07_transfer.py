"""
Transfer: pretrain on one dataset, reuse on another
===================================================

A backbone pretrained without labels on one collection of series can serve as a frozen
feature extractor for a different task. Here both backbones pretrain on GunPoint (200
univariate series of 150 steps; its labels are never used) and are then used, frozen, on
ItalyPowerDemand (24-step daily electricity profiles, 67 labelled training series),
beside backbones that only ever see ItalyPowerDemand's own training series.
"""

# %%
# Source and target
# -----------------
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmts import DMAETransformer, FrozenImputerTransformer, LinearHeadClassifier
from skmts.datasets import load_dataset

X_source, _ = load_dataset("GunPoint")  # train and test, labels unused
X_train, y_train = load_dataset("ItalyPowerDemand", split="train")
X_test, y_test = load_dataset("ItalyPowerDemand", split="test")
print("source", X_source.shape, "| target train", X_train.shape, "test", X_test.shape)

# %%
# DMAE pretrained on the source
# -----------------------------
# ``FrozenEstimator`` keeps ``Pipeline.fit`` (and every clone a search or
# ``cross_val_score`` makes) from refitting the pretrained backbone. DMAE's positions
# are sinusoidal and its patch length is fixed in fit, so shorter series encode as they
# are.
start = time.perf_counter()
source_dmae = DMAETransformer(d_model=16, n_heads=2, n_layers=1, d_ff=32, max_epochs=10,
                              random_state=0).fit(X_source)
print(f"DMAE pretrained on GunPoint in {time.perf_counter() - start:.1f} s, "
      f"patch_len_={source_dmae.patch_len_}")


def head():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


scores = {}
transferred = make_pipeline(FrozenEstimator(source_dmae), head())
scores["DMAE, GunPoint"] = transferred.fit(X_train, y_train).score(X_test, y_test)
cv = cross_val_score(transferred, X_train, y_train, cv=3)  # the backbone is not refitted
print(f"cross-validated on the target's labels: {cv.mean():.3f} ± {cv.std():.3f}")

own = make_pipeline(DMAETransformer(d_model=16, n_heads=2, n_layers=1, d_ff=32,
                                    max_epochs=10, random_state=0), head())
scores["DMAE, own 67"] = own.fit(X_train, y_train).score(X_test, y_test)

# %%
# A frozen PyPOTS imputer pretrained on the source
# ------------------------------------------------
# :class:`~skmts.FrozenImputerTransformer` takes a fitted transformer (or a pretrained
# PyPOTS model) as ``backbone``: it is used as is, a copy, and ``fit`` only checks the
# channel count and length (shorter series are padded to the fitted ``n_steps_``).
start = time.perf_counter()
saits = FrozenImputerTransformer("saits", max_epochs=5, random_state=0).fit(X_source)
print(f"SAITS pretrained on GunPoint in {time.perf_counter() - start:.1f} s, "
      f"n_steps_={saits.n_steps_}")
reused = make_pipeline(FrozenImputerTransformer(backbone=saits),
                       LinearHeadClassifier(random_state=0))
scores["SAITS, GunPoint"] = reused.fit(X_train, y_train).score(X_test, y_test)
print("same features as the source model:",
      np.allclose(reused[0].transform(X_test[:5]), saits.transform(X_test[:5])))

own_saits = make_pipeline(FrozenImputerTransformer("saits", max_epochs=5, random_state=0),
                          LinearHeadClassifier(random_state=0))
scores["SAITS, own 67"] = own_saits.fit(X_train, y_train).score(X_test, y_test)

# %%
# Results
# -------
for name, score in scores.items():
    print(f"{name:<16} test accuracy {score:.3f}")

fig, ax = plt.subplots(figsize=(5, 2.5))
ax.barh(list(scores), list(scores.values()), color=["C0", "C1", "C0", "C1"])
ax.set_xlabel("ItalyPowerDemand test accuracy")
ax.set_xlim(0, 1.05)
ax.set_title("pretrained on (blue: GunPoint, orange: the target)", fontsize="medium")
fig.tight_layout()

# %%
# One seed and tiny budgets: which source helps is a question for your own data. The
# pattern is the point -- pretrain where series are plentiful, freeze, and train a
# light head where labels are few.
