"""
Missing values
==============

NaN marks a missing value, anywhere in any series. skmts never shows a missing value to
an encoder as a number and never puts it in a loss, so no imputation step goes before
the pipeline. Here 0 % to 60 % of BasicMotions' values are hidden with
:func:`skmts.datasets.inject_missing` (PyGrinder), and DMAE's decoder fills them in.
"""

# %%
# Classification as values go missing
# ------------------------------------
# The same pipeline is trained and tested on data with a growing share of values hidden
# completely at random (``pattern="mcar"``; ``"seq"`` hides runs of steps in one channel,
# ``"block"`` runs across neighbouring channels).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmts import DMAETransformer
from skmts.datasets import inject_missing, load_dataset

X_train, y_train = load_dataset("BasicMotions", split="train")
X_test, y_test = load_dataset("BasicMotions", split="test")


def small_dmae():
    # a tiny budget for the build; the defaults are what docs/benchmarks.md measures
    return DMAETransformer(d_model=16, n_heads=2, n_layers=1, d_ff=32, max_epochs=10,
                           random_state=0)


rates, scores = [0.0, 0.3, 0.6], []
for rate in rates:
    X_tr = inject_missing(X_train, rate, random_state=0) if rate else X_train
    X_te = inject_missing(X_test, rate, random_state=1) if rate else X_test
    clf = make_pipeline(small_dmae(), StandardScaler(), LogisticRegression(max_iter=1000))
    scores.append(clf.fit(X_tr, y_train).score(X_te, y_test))
    print(f"{rate:.0%} missing ({np.isnan(X_tr).mean():.1%} measured): "
          f"test accuracy {scores[-1]:.3f}")

fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([100 * r for r in rates], scores, marker="o")
ax.set_xlabel("values missing (%)")
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1.05)
ax.set_title("DMAE + LogisticRegression, BasicMotions")
fig.tight_layout()

# %%
# Imputation
# ----------
# A fitted DMAE reconstructs every value from its token; ``impute`` returns the input's
# layout with the missing values filled (observed values unchanged, as float32).
# :class:`~skmts.FrozenImputerTransformer` has the same method, with a PyPOTS model
# trained for imputation. DMAE is trained for its features, and imputation is a
# by-product: here runs of missing steps in one channel (``pattern="seq"``), compared
# with two naive fills (DMAE with a larger budget than above, still small).
import pandas as pd

X_missing = inject_missing(X_train, 0.3, pattern="seq", random_state=2)
dmae = DMAETransformer(d_model=16, n_heads=2, n_layers=1, d_ff=32, patch_len=1,
                       max_epochs=40, random_state=0).fit(X_missing)
X_filled = dmae.impute(X_missing)
hidden = np.isnan(X_missing)
channel_mean = np.broadcast_to(np.nanmean(X_missing, axis=1, keepdims=True), X_train.shape)
interpolated = np.stack([pd.DataFrame(s).interpolate(limit_direction="both").to_numpy()
                         for s in X_missing])
for name, filled in [("DMAE impute", X_filled), ("channel mean", channel_mean),
                     ("linear interpolation", interpolated)]:
    print(f"MAE on the hidden values, {name:<20}: {np.abs(filled - X_train)[hidden].mean():.3f}")

# %%
# One series of each activity, its first channel: the gaps and what DMAE put there.
# With 40 training series and this budget the fill is rough; measure it, as above, before
# relying on it.
fig, axes = plt.subplots(2, 2, figsize=(9, 4), sharex=True)
t = np.arange(X_train.shape[1])
for ax, label in zip(axes.flat, np.unique(y_train)):
    series, channel = np.flatnonzero(y_train == label)[0], 0
    gap = hidden[series, :, channel]
    ax.plot(t, X_train[series, :, channel], color="0.75", label="true")
    ax.plot(t, X_missing[series, :, channel], color="C0", label="observed")
    ax.plot(t[gap], X_filled[series, gap, channel], "o", color="C3", markersize=2.5,
            label="imputed")
    ax.set_title(label, fontsize="medium")
axes[0, 0].legend(loc="upper right", fontsize="small")
for ax in axes[1]:
    ax.set_xlabel("time step")
fig.tight_layout()

# %%
# Data are checked, not repaired
# ------------------------------
# A series with no observed value at all is refused up front, with its index; so is an
# infinite value. The caller's arrays are never modified.
X_bad = X_train.copy()
X_bad[3] = np.nan
try:
    small_dmae().fit(X_bad)
except ValueError as error:
    print("ValueError:", error)
