"""Masked-imputation pretraining with PyGrinder's missingness patterns.

PyPOTS trains SAITS, Transformer and TimesNet on its own MCAR masks (``DatasetForSAITS``
hides 20 % of the observed values of each sample, drawn anew at every fetch). skmts
replaces only that dataset: :func:`fit_masked` hides values with
:func:`skmts.datasets.inject_missing` (PyGrinder's ``mcar``, ``seq_missing`` or
``block_missing``) — a fresh draw of the whole training set at every epoch, seeded — and
then runs PyPOTS's own training loop (``_train_model``: loss, optimiser, validation,
early stopping) unchanged.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from .._missing import inject_missing

__all__ = ["PatternMaskedDataset", "fit_masked", "training_masks"]


def training_masks(values: np.ndarray, rate: float, pattern: str, seed: int, epoch: int):
    """``values`` with the values of one training epoch hidden (NaN), as a new array.

    Epoch ``e`` of a fit seeded ``seed`` always draws the same masks, and two epochs
    draw different ones.
    """
    rng = np.random.SeedSequence([seed, epoch]).generate_state(1)[0]
    return inject_missing(values, rate, pattern, random_state=int(rng))


class PatternMaskedDataset(Dataset):
    """Training samples of PyPOTS's masked-imputation models with PyGrinder masks.

    Items have the layout of PyPOTS's ``DatasetForSAITS`` in training mode: ``[index,
    X (hidden values filled with 0), missing_mask, X_ori (filled), indicating_mask]``.
    The masks of the whole set are redrawn whenever a new epoch starts, i.e. after every
    ``len(self)`` fetches (PyPOTS's loaders use every sample once per epoch and load in
    the main process).
    """

    def __init__(self, values: np.ndarray, rate: float, pattern: str, seed: int):
        self.values = values
        self.rate = rate
        self.pattern = pattern
        self.seed = seed
        self.n_fetched = 0
        self.epoch = -1
        self.X_ori, ori_mask = _fill_and_mask(values)
        self._ori_mask = ori_mask
        self._hidden = None
        self._mask = None

    def __len__(self) -> int:
        return len(self.values)

    def hidden(self, epoch: int) -> np.ndarray:
        """The training set as the model sees it in ``epoch`` (hidden values are NaN)."""
        return training_masks(self.values, self.rate, self.pattern, self.seed, epoch)

    def __getitem__(self, idx):
        epoch = self.n_fetched // len(self)
        self.n_fetched += 1
        if epoch != self.epoch:
            self._hidden, self._mask = _fill_and_mask(self.hidden(epoch))
            self.epoch = epoch
        indicating = self._ori_mask[idx] - self._mask[idx]
        return [torch.tensor(idx), self._hidden[idx], self._mask[idx], self.X_ori[idx],
                indicating]


def _fill_and_mask(values: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    observed = ~np.isnan(values)
    filled = np.where(observed, values, 0.0)
    return (torch.from_numpy(filled.astype(np.float32)),
            torch.from_numpy(observed.astype(np.float32)))


def fit_masked(model, train_values: np.ndarray, val_set: dict | None, *, rate: float,
               pattern: str, seed: int) -> PatternMaskedDataset:
    """Pretrain a PyPOTS masked-imputation model on PyGrinder masks; returns the dataset.

    The same steps as the model's own ``fit`` (loaders, ``_train_model``, best weights
    loaded), with :class:`PatternMaskedDataset` as the training set; ``val_set`` is
    PyPOTS's ``{"X": with hidden values, "X_ori": ...}`` dict or None.
    """
    from pypots.imputation.saits.data import DatasetForSAITS

    train = PatternMaskedDataset(train_values, rate, pattern, seed)
    train_loader = DataLoader(train, batch_size=model.batch_size, shuffle=True,
                              num_workers=0)
    val_loader = None
    if val_set is not None:
        val = DatasetForSAITS(val_set, return_X_ori=True, return_y=False)
        val_loader = DataLoader(val, batch_size=model.batch_size, shuffle=False,
                                num_workers=0)
    model._train_model(train_loader, val_loader)
    if model.best_model_dict is None:
        raise ValueError("no pretraining epoch gave a finite loss")
    model.model.load_state_dict(model.best_model_dict)
    return train
