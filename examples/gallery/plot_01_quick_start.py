"""
Quick start
===========

Learn a representation of multivariate time series without labels, then classify
with any scikit-learn estimator on top. :class:`~skmts.DMAETransformer` is a
scikit-learn transformer: ``fit`` trains a Dual-Masked Autoencoder on the series alone,
``transform`` returns one feature vector per series.
"""

# %%
# Data
# ----
# skmts reads panels as ``(n_samples, n_timesteps, n_channels)``, NaN for a missing
# value. :func:`skmts.datasets.load_dataset` returns the datasets that ship with sktime
# in that layout (no download). BasicMotions: 3-D accelerometer and gyroscope
# recordings (6 channels, 100 steps) of four activities.
import matplotlib.pyplot as plt
import numpy as np

from skmts.datasets import load_dataset

X_train, y_train = load_dataset("BasicMotions", split="train")
X_test, y_test = load_dataset("BasicMotions", split="test")
print("train:", X_train.shape, "test:", X_test.shape, "classes:", np.unique(y_train).tolist())

fig, axes = plt.subplots(1, 4, figsize=(10, 2.5), sharey=True)
for ax, label in zip(axes, np.unique(y_train)):
    ax.plot(X_train[np.flatnonzero(y_train == label)[0]], linewidth=0.8)
    ax.set_title(label)
    ax.set_xlabel("time step")
axes[0].set_ylabel("value (6 channels)")
fig.tight_layout()

# %%
# A pipeline
# ----------
# The transformer goes first in an ordinary :class:`~sklearn.pipeline.Pipeline`. The
# budget here is tiny so that the page builds in seconds; the defaults
# (``DMAETransformer(random_state=0)``: ``d_model=64``, three layers, about 200
# optimiser steps) are what the benchmarks measure.
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmts import DMAETransformer

dmae = DMAETransformer(d_model=16, n_heads=2, n_layers=1, d_ff=32, max_epochs=10,
                       random_state=0)
clf = make_pipeline(dmae, StandardScaler(), LogisticRegression(max_iter=1000))
clf.fit(X_train, y_train)  # DMAE pretrains on X_train (labels unused), then the head
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# The features
# ------------
# ``transform`` gives a float32 matrix, one row per series: with the defaults
# ``pooling="meanmax"`` and ``layers="all"``, the mean and max of the stem's and of
# every encoder layer's output, ``d_model x 2 x (n_layers + 1)`` columns. The
# transformers name their features and can return a DataFrame.
features = dmae.transform(X_test)
print("features:", features.shape, features.dtype)
print("names:", dmae.get_feature_names_out()[:3], "...")
print(type(dmae.set_output(transform="pandas").transform(X_test[:2])).__name__)
dmae.set_output(transform="default")

# %%
# What training bought
# --------------------
# ``max_epochs=0`` keeps the random weights (with BatchNorm statistics from the data):
# the random-initialisation twin that the benchmarks compare every trained model with.
twin = make_pipeline(DMAETransformer(d_model=16, n_heads=2, n_layers=1, d_ff=32,
                                     max_epochs=0, random_state=0),
                     StandardScaler(), LogisticRegression(max_iter=1000))
print(f"random-initialisation twin: {twin.fit(X_train, y_train).score(X_test, y_test):.3f}")
