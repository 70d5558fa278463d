"""An Optuna sweep whose search space holds both modular and end-to-end setups.

One DMAE backbone is pretrained without labels on every training series of JapaneseVowels.
Each trial then picks a training mode (modular: frozen backbone + head; end-to-end:
backbone fine-tuned with the head), a head (linear or 5-layer MLP) and the head's learning
rate — the backbone's learning rate only when it is fine-tuned — and is scored by 3-fold
cross-validation on a labelled quarter of the training series.

sklearn.frozen.FrozenEstimator keeps the pretrained backbone through the clones that
cross-validation makes, on both sides. The study lives in a journal file: an interrupted
sweep keeps its finished trials and resumes when run again.

This is the hand-written version of what ``skmts.model_selection`` packages (folds with
fold-wise pretraining, pruning, shared storage, a report): see ``compare_from_python.py``
and ``skmts compare --help``.

Run: python examples/optuna_modular_vs_end_to_end.py  (under a minute on 2 CPU cores)
"""

from pathlib import Path

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline

from skmts import DMAETransformer, EndToEndClassifier, LinearHeadClassifier, MLPHeadClassifier
from skmts.datasets import load_dataset

N_TRIALS = 8

X_train, y_train = load_dataset("JapaneseVowels", split="train")
X_test, y_test = load_dataset("JapaneseVowels", split="test")
X_lab, _, y_lab, _ = train_test_split(X_train, y_train, train_size=0.25, stratify=y_train,
                                      random_state=0)

# small budget for a quick run; the defaults train up to 100 epochs
backbone = DMAETransformer(d_model=32, n_heads=4, n_layers=2, d_ff=64, max_epochs=20,
                           random_state=0).fit(X_train)  # no labels
frozen = FrozenEstimator(backbone)


def build(params):
    """The model a set of parameters describes (used by the trials and for the final refit)."""
    head_cls = LinearHeadClassifier if params["head"] == "linear" else MLPHeadClassifier
    head = head_cls(lr=params["lr"], max_epochs=40, random_state=0)
    if params["mode"] == "modular":
        return Pipeline([("emb", frozen), ("clf", head)])
    return EndToEndClassifier(frozen, head=head, backbone_lr=params["backbone_lr"],
                              random_state=0)


def objective(trial):
    params = {
        "mode": trial.suggest_categorical("mode", ["modular", "end-to-end"]),
        "head": trial.suggest_categorical("head", ["linear", "mlp"]),
        "lr": trial.suggest_float("lr", 1e-3, 1e-1, log=True),
    }
    if params["mode"] == "end-to-end":  # a conditional parameter: only sampled when used
        params["backbone_lr"] = trial.suggest_float("backbone_lr", 1e-5, 1e-3, log=True)
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    return cross_val_score(build(params), X_lab, y_lab, cv=cv).mean()


optuna.logging.set_verbosity(optuna.logging.WARNING)
journal = Path("optuna_modular_vs_end_to_end.log")
study = optuna.create_study(
    study_name="modular-vs-end-to-end", direction="maximize", load_if_exists=True,
    storage=JournalStorage(JournalFileBackend(str(journal))),
    sampler=optuna.samplers.TPESampler(seed=0),
)
done = len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE])
study.optimize(objective, n_trials=max(0, N_TRIALS - done))

for t in study.trials:
    if t.state == optuna.trial.TrialState.COMPLETE:
        print(f"trial {t.number}: cv accuracy {t.value:.3f}  {t.params}")
best = build(study.best_params).fit(X_lab, y_lab)
print(f"best: {study.best_params}")
print(f"best setup refit on the labelled quarter: test accuracy {best.score(X_test, y_test):.3f}")
print(f"study kept in {journal.resolve()}")
