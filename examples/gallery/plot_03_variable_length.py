"""
Series of different lengths
===========================

JapaneseVowels holds 12-channel recordings of 7 to 29 time steps. skmts takes them as a
list of ``(n_timesteps_i, n_channels)`` arrays (or a pandas DataFrame with an
``(instance, time)`` MultiIndex): they are padded internally and the padding is kept out
of attention, BatchNorm statistics, losses and pooling.
"""

# %%
# A ragged panel
# --------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmts import DMAETransformer
from skmts.datasets import load_dataset

X_train, y_train = load_dataset("JapaneseVowels", split="train")  # a list of 270 arrays
X_test, y_test = load_dataset("JapaneseVowels", split="test")
lengths = [len(s) for s in X_train]
print(type(X_train).__name__, len(X_train), "series,", X_train[0].shape[1], "channels")

fig, ax = plt.subplots(figsize=(4, 2.5))
ax.hist(lengths, bins=range(min(lengths), max(lengths) + 2), color="C0")
ax.set_xlabel("series length (time steps)")
ax.set_ylabel("training series")
fig.tight_layout()

# %%
# Classification
# --------------
dmae = DMAETransformer(d_model=16, n_heads=2, n_layers=1, d_ff=32, max_epochs=10,
                       random_state=0)
clf = make_pipeline(dmae, StandardScaler(), LogisticRegression(max_iter=1000))
clf.fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# Padding does not leak
# ---------------------
# A series' features do not depend on the other series it is transformed with (up to
# float32 rounding), nor on how far it was padded.
alone = dmae.transform([X_test[0]])
in_batch = dmae.transform(X_test[:50])[:1]
print("same features alone and in a batch:", np.allclose(alone, in_batch, atol=1e-5))

# %%
# Longer series than in fit
# -------------------------
# Positions are sinusoidal, so series longer than every training series still encode.
longer = [np.concatenate([s, s]) for s in X_test[:3]]
print("lengths", [len(s) for s in longer], "->", dmae.transform(longer).shape)

# %%
# The same panel as a DataFrame
# -----------------------------
# sktime's ``pd-multiindex`` layout, one row per (instance, time step) and one column
# per channel, is read as it is. (Had the frame string column names and been passed to
# ``fit``, they would become ``feature_names_in_`` and be checked at ``transform``.)
frame = pd.concat({i: pd.DataFrame(s) for i, s in enumerate(X_test[:20])},
                  names=["instance", "time"])
print(frame.shape, frame.index.names)
print("same features from the frame:",
      np.allclose(dmae.transform(frame), dmae.transform(X_test[:20]), atol=1e-5))
