"""Modular or end-to-end? The same backbone and head, with 25 % of the labels.

Labels are often scarce while unlabelled series are not. DMAE pretrains on every training
series without labels; then, on the labelled quarter only:
  * modular:    Pipeline(frozen backbone, head): only the head learns;
  * end-to-end: EndToEndClassifier(backbone, head): backbone and head are fine-tuned
                together (the DMAE protocol: pretrain, then fine-tune), the backbone with
                a smaller learning rate (backbone_lr, default: the head's lr / 10).
Both use the same pretrained backbone and the same head object (architecture and recipe).

Run: python examples/modular_vs_end_to_end.py  (under a minute on 2 CPU cores)
"""

import time

from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from skmts import DMAETransformer, EndToEndClassifier, LinearHeadClassifier
from skmts.datasets import load_dataset

X_train, y_train = load_dataset("JapaneseVowels", split="train")  # 270 series, 9 speakers
X_test, y_test = load_dataset("JapaneseVowels", split="test")
# keep the labels of a stratified 25 % of the training series
X_lab, _, y_lab, _ = train_test_split(X_train, y_train, train_size=0.25, stratify=y_train,
                                      random_state=0)
print(f"{len(X_train)} series for pretraining, {len(X_lab)} of them labelled")

# Small budgets for a quick run (defaults: DMAE max_epochs=100, head max_epochs=200,
# both with early stopping, patience=10).
backbone = DMAETransformer(d_model=32, n_heads=4, n_layers=2, d_ff=64, max_epochs=30,
                           random_state=0)
head = LinearHeadClassifier(max_epochs=50, random_state=0)
start = time.perf_counter()
backbone.fit(X_train)  # self-supervised: no labels
print(f"pretrained in {time.perf_counter() - start:.1f} s")

# FrozenEstimator keeps Pipeline.fit from refitting the pretrained backbone. No scaler on
# either side, so that the head sees the same features in both.
modular = Pipeline([("emb", FrozenEstimator(backbone)), ("clf", head)])
# A fitted backbone is deep-copied and fine-tuned; `backbone` itself is left unchanged.
# An unfitted one would first be pretrained on X_lab (pretrain=True) or trained from
# scratch (pretrain=False). freeze=True would train the head only, exactly as `modular`.
end_to_end = EndToEndClassifier(backbone, head=head, random_state=0)

for name, model in [("modular", modular), ("end-to-end", end_to_end)]:
    start = time.perf_counter()
    model.fit(X_lab, y_lab)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    accuracy = model.score(X_test, y_test)
    per_sample_ms = 1000 * (time.perf_counter() - start) / len(X_test)
    print(f"{name:>10}: test accuracy {accuracy:.3f}, fit {fit_s:.1f} s, "
          f"inference {per_sample_ms:.2f} ms per series")
