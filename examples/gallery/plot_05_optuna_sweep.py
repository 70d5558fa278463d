"""
An Optuna sweep over modular and end-to-end setups
==================================================

:mod:`skmts.model_selection` is what ``skmts compare`` runs, as Python functions: a
define-by-run :class:`~skmts.model_selection.SearchSpace` over the training mode, the
head and the settings of the chosen branch only, an
:class:`~skmts.model_selection.Objective` that scores a configuration by
cross-validation (each backbone pretrained once per fold, without the fold's validation
series, and reused by every trial), and a study-wide trial budget that any number of
workers share through one storage.

This example runs a tiny sweep the way several machines would: two "workers" on one
storage, then a report that refits the best setup of each kind and scores it on the test
split.
"""

# %%
# The search space
# ----------------
# Backbone settings are fixed (here a tiny DMAE), not searched; the trials choose the
# head (an skmts linear head or LogisticRegression), the mode and their learning rates.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from skmts.datasets import load_dataset
from skmts.model_selection import SearchSpace, compare

X_train, y_train = load_dataset("BasicMotions", split="train")
X_test, y_test = load_dataset("BasicMotions", split="test")
space = SearchSpace(
    modes=["modular", "end-to-end"],
    heads=["linear", "logreg"],
    backbone_params={"dmae": {"d_model": 16, "n_heads": 2, "n_layers": 1, "d_ff": 32,
                              "max_epochs": 10}},
    head_max_epochs=40,
)

# %%
# Two workers, one study
# ----------------------
# The storage is an Optuna journal file here (no server). On many machines it would be a
# database every machine reaches, e.g. ``postgresql://user:password@host/db``, and each
# machine would run the same call (or ``skmts compare ... --storage URL --worker``).
# ``n_trials`` is the budget of the study, not of a worker: the second worker runs only
# what the first left. (Workers that run at the same time pass ``worker=True``, which
# mixes the process id into the sampler's seed so that they draw different
# configurations; these two run one after the other, so the page is reproducible.)
folder = Path(tempfile.mkdtemp(prefix="skmts-sweep-"))
settings = dict(space=space, label_fractions=[0.5], n_trials=8, cv=2,
                storage=f"journal:{folder / 'study.journal'}", output_dir=folder,
                reference=False, verbose=False, random_state=0)
first = compare(X_train, y_train, X_test, y_test, evaluate=False,
                **{**settings, "n_trials": 5})
second = compare(X_train, y_train, X_test, y_test, evaluate=False, **settings)
print("trials after worker 1:", len(first.trials), "| after worker 2:", len(second.trials))

# %%
# The report
# ----------
# ``run=False`` runs no trial: it refits the best configuration of each (mode, backbone,
# head) on all the labelled series and scores it once on the test split, as ``skmts
# compare --report-only`` does.
report = compare(X_train, y_train, X_test, y_test, run=False, **settings)
print(report.table("accuracy"))

# %%
# Every trial, and the refitted setups
# ------------------------------------
# ``report.trials`` holds every trial (state, cv score, configuration), and
# ``report.results`` one row per setup.
trials = report.trials[report.trials["state"] == "COMPLETE"]
results = report.results
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3), width_ratios=[3, 2])
for mode, marker in [("modular", "o"), ("end-to-end", "s")]:
    rows = trials[trials["mode"] == mode]
    left.scatter(rows["trial"], rows["cv_score"], marker=marker, label=mode)
left.set_xlabel("trial")
left.set_ylabel("cv accuracy (2 folds)")
left.set_ylim(0, 1.05)
left.legend(loc="lower right")
labels = [f"{m}\n{h}" for m, h in zip(results["mode"], results["head"])]
right.bar(labels, results["test_score"], color="C2")
right.set_ylabel("test accuracy")
right.set_ylim(0, 1.05)
fig.tight_layout()

# %%
# Running the study again finds it (its name is a hash of the data and options) and
# resumes: finished trials are kept, and a spent budget runs nothing. The command line
# does the same with ``skmts compare BasicMotions --trials 8 ...``; see
# :doc:`/user_guide/cli`.
