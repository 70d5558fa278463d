"""Series of different lengths: JapaneseVowels as a list, DMAE features, impute.

JapaneseVowels holds 12-channel recordings of 7 to 29 time steps. skmts takes them as
they are, a list of (n_timesteps_i, n_channels) arrays: they are padded internally and
the padding is kept out of attention, BatchNorm statistics, losses and pooling, so a
series' features do not depend on how long the other series are.

Run: python examples/ragged_series.py  (under a minute on 2 CPU cores)
"""

import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmts import DMAETransformer
from skmts.datasets import inject_missing, load_dataset

X_train, y_train = load_dataset("JapaneseVowels", split="train")  # a list of 270 arrays
X_test, y_test = load_dataset("JapaneseVowels", split="test")  # a list of 370 arrays
lengths = [len(s) for s in X_train]
print(f"{len(X_train)} training series, {X_train[0].shape[1]} channels, "
      f"lengths {min(lengths)} to {max(lengths)}")

# Small budget for a quick run; the defaults (d_model=64, n_layers=3, max_epochs=100,
# patience=10) are what docs/benchmarks.md measures.
dmae = DMAETransformer(d_model=32, n_heads=4, n_layers=2, d_ff=64, max_epochs=30,
                       random_state=0)
clf = make_pipeline(dmae, StandardScaler(), LogisticRegression(max_iter=1000))
start = time.perf_counter()
clf.fit(X_train, y_train)
print(f"fit in {time.perf_counter() - start:.1f} s, "
      f"test accuracy {clf.score(X_test, y_test):.3f}")

# Test series longer than every training series are fine: positions are sinusoidal
longer = [np.concatenate([s, s]) for s in X_test[:3]]
print("features of series twice as long:", dmae.transform(longer).shape)

# impute: hide 10 % of the test values, let the trained network fill them in
X_missing = inject_missing(X_test, 0.1, random_state=0)
X_filled = dmae.impute(X_missing)  # a list again, each series with its own length
channel_mean = np.nanmean(np.concatenate(X_missing), axis=0)  # the naive alternative
err_dmae, err_mean, unchanged = [], [], True
for true, missing, filled in zip(X_test, X_missing, X_filled):
    hidden = np.isnan(missing)
    err_dmae.append(np.abs(filled - true)[hidden])
    err_mean.append(np.abs(channel_mean - true)[hidden])
    # observed values come back as they were (as float32, skmts's working precision)
    unchanged &= np.array_equal(filled[~hidden], missing[~hidden].astype(np.float32))
print(f"imputed {sum(map(len, err_dmae))} hidden values: MAE {np.concatenate(err_dmae).mean():.3f} "
      f"(channel mean: {np.concatenate(err_mean).mean():.3f}); observed unchanged: {unchanged}")
