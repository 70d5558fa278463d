"""Save the best epoch of a head's training with skorch's Checkpoint, then load it back.

Every skorch-trained skmts estimator (DMAETransformer, the heads, EndToEndClassifier and
EndToEndRegressor) takes ``callbacks``: skorch callbacks that run after skmts's own (a
NaN-loss guard, early stopping, the progress bar). Each fit uses fresh copies of them;
the copies used are in ``net_.callbacks_``. Here ``Checkpoint`` writes the head's
parameters to a folder whenever the validation loss improves; after training for a
fixed number of epochs, the best epoch's parameters are loaded back into the head.

Run: python examples/checkpoint_callback.py  (a few seconds on 2 CPU cores)
"""

import tempfile

from skorch.callbacks import Checkpoint

from skmts import DMAETransformer, LinearHeadClassifier
from skmts.datasets import load_dataset

X_train, y_train = load_dataset("BasicMotions", split="train")  # (40, 100, 6)
X_test, y_test = load_dataset("BasicMotions", split="test")

# frozen self-supervised features (a small, quick DMAE)
dmae = DMAETransformer(d_model=16, n_heads=2, n_layers=1, d_ff=32, max_epochs=10,
                       random_state=0)
F_train, F_test = dmae.fit_transform(X_train), dmae.transform(X_test)

with tempfile.TemporaryDirectory() as folder:
    checkpoint = Checkpoint(monitor="valid_loss_best", dirname=folder)
    # patience=None: no early stopping, so the last epoch is not necessarily the best
    head = LinearHeadClassifier(lr=0.3, max_epochs=60, patience=None,
                                validation_fraction=0.2, callbacks=[checkpoint],
                                random_state=0)
    head.fit(F_train, y_train)
    history = head.net_.history
    saved = [row["epoch"] for row in history if row["event_cp"]]
    print(f"trained {head.n_epochs_} epochs, {len(saved)} checkpoints written; the best "
          f"valid_loss {min(history[:, 'valid_loss']):.4f} at epoch {saved[-1]}")
    print(f"last epoch {head.n_epochs_} (valid_loss {history[-1, 'valid_loss']:.4f}): "
          f"test accuracy {head.score(F_test, y_test):.3f}")

    # the parameter `checkpoint` was copied for the fit, but names the same files
    head.net_.load_params(checkpoint=checkpoint)
    print(f"best epoch {saved[-1]} (loaded; the history now ends at epoch "
          f"{len(head.net_.history)}): test accuracy {head.score(F_test, y_test):.3f}")
