"""`skmts compare` from Python: modular vs end-to-end on a ragged panel with missing values.

JapaneseVowels (series of 7 to 29 steps, 12 channels) with 20 % of its values hidden
(PyGrinder, MCAR). One Optuna study per label fraction (10 % and all of the training
labels) searches over the mode (frozen DMAE + head, or DMAE fine-tuned with the head), the
head (skmts linear head or LogisticRegression) and their settings; each backbone is
pretrained once per fold on the fold's training series only. The best setup of each kind
is then refitted on the labelled series and scored on the test split, beside MiniRocket.

The study lives in a SQLite file in the output folder: run the script again and it
resumes (finished trials are kept). The command-line equivalent is
``skmts compare JapaneseVowels --missing-rate 0.2 --label-fractions 0.1 1 ...``.

Run: python examples/compare_from_python.py  (a few minutes on 2 CPU cores)
"""

import tempfile

from skmts.datasets import inject_missing, load_dataset
from skmts.model_selection import SearchSpace, compare

X_train, y_train = load_dataset("JapaneseVowels", split="train")
X_test, y_test = load_dataset("JapaneseVowels", split="test")
X_train = inject_missing(X_train, 0.2, random_state=0)
X_test = inject_missing(X_test, 0.2, random_state=1)

space = SearchSpace(
    modes=["modular", "end-to-end"],
    backbones=["dmae"],
    heads=["linear", "logreg"],
    # fixed backbone settings (not searched): a small, quick DMAE for this example
    backbone_params={"dmae": {"d_model": 32, "n_layers": 2, "max_epochs": 30}},
    head_max_epochs=100,
)
result = compare(X_train, y_train, X_test, y_test, space=space, label_fractions=[0.1, 1.0],
                 n_trials=6, cv=2, output_dir=tempfile.mkdtemp(prefix="skmts-compare-"),
                 random_state=0)
print(result.table("accuracy"))
