"""The one training recipe of skmts's skorch-trained estimators.

Heads, end-to-end estimators and DMAE build their skorch nets from these pieces, so
that a validation split, early stopping, progress display and inference mean the same
everywhere:

* :func:`split_indices`: ``validation_fraction`` -> ``ceil(fraction * n)`` held-out
  samples (stratified for classifiers), no split when it would leave fewer than 2
  training samples or take away a class's only examples;
* :func:`training_callbacks`: early stopping on ``valid_loss`` (``train_loss`` without a
  validation part; the best weights are restored only when there is one) and a
  progress bar with ``verbose >= 1``; skorch's messages go to the ``"skmts"`` logger;
  a guard that stops training on a NaN or infinite loss; then an estimator's own
  ``callbacks`` (cloned for each fit), then the :func:`extra_callbacks`;
* :func:`train_net`: a classifier or regressor net around a module (Ctrl-C: the net
  trained so far, with a warning; see :mod:`skmts.training._faults`);
* :func:`batches` and :func:`run_batched`: a module over a dict of arrays, a batch at a
  time, under ``torch.no_grad()`` (bfloat16 autocast on CUDA where asked; no DataLoader,
  so the global torch RNG is left as found); both retry with half the batch size when
  CUDA runs out of memory; :func:`softmax` of the logits;
* :func:`extra_callbacks`: a context in which every net trained also gets the given
  skorch callbacks (model selection's pruning and interrupt guard use it, so that no
  estimator parameter has to carry an Optuna trial through ``clone``).
"""

from __future__ import annotations

import contextlib
import contextvars

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d
from torch import nn

from .._utils import is_cuda, logger, torch_seed_scope, verbose_logging
from ._faults import fit_net, retry_on_oom

__all__ = [
    "autocast",
    "batches",
    "encode_labels",
    "extra_callbacks",
    "in_chunks",
    "noop",
    "run_batched",
    "scale_targets",
    "softmax",
    "split_indices",
    "take_rows",
    "train_net",
    "training_callbacks",
    "unscale_targets",
]


_EXTRA_CALLBACKS: contextvars.ContextVar[tuple] = contextvars.ContextVar(
    "skmts_extra_callbacks", default=()
)


@contextlib.contextmanager
def extra_callbacks(*callbacks):
    """Add skorch ``callbacks`` to every net :func:`training_callbacks` builds inside.

    The callbacks come after skmts's own (early stopping, progress bar) and after an
    estimator's ``callbacks`` parameter, in the order given, and are used as they are
    (not cloned); nested contexts add to the outer ones. The context is local to the
    current thread (a :class:`contextvars.ContextVar`).
    """
    token = _EXTRA_CALLBACKS.set(_EXTRA_CALLBACKS.get() + tuple(callbacks))
    try:
        yield
    finally:
        _EXTRA_CALLBACKS.reset(token)


def training_callbacks(verbose: int, *, valid: bool, patience, callbacks=None,
                       owner: str = "skmts", hint=None):
    """skorch callbacks: skmts's own, then the user's ``callbacks``, then any
    :func:`extra_callbacks`.

    skmts's own are a guard against a NaN or infinite loss (``RuntimeError`` naming
    ``owner``; ``hint`` names the learning rate to lower), early stopping and a progress
    bar; ``callbacks`` (an estimator's parameter: skorch callbacks or ``(name,
    callback)`` pairs) are checked and cloned (:func:`~skmts.training._faults.user_callbacks`).
    Early stopping takes effect after every callback has seen the epoch (a last
    ``StopTraining`` callback ends training).
    """
    from skorch.callbacks import ProgressBar

    from ._callbacks import DeferredEarlyStopping, FiniteLossGuard, StopTraining
    from ._faults import user_callbacks

    out = [("finite_loss", FiniteLossGuard(owner=owner, hint=hint))]
    if patience is not None:
        out.append(
            (
                "early_stopping",
                DeferredEarlyStopping(
                    monitor="valid_loss" if valid else "train_loss",
                    patience=patience,
                    load_best=valid,
                    sink=logger.info if verbose >= 1 else noop,
                ),
            )
        )
    if verbose >= 1:
        out.append(("progress_bar", ProgressBar()))
    out += user_callbacks(callbacks, owner=owner)
    out += [(f"extra_{i}", cb) for i, cb in enumerate(_EXTRA_CALLBACKS.get())]
    if patience is not None:
        out.append(("stop_training", StopTraining("early_stopping")))
    return out


def noop(*args, **kwargs):
    pass


def split_indices(n: int, fraction: float, seed: int, stratify=None):
    """Train / validation indices; ``valid`` is None when no split is made."""
    all_idx = np.arange(n)
    if fraction <= 0:
        return all_idx, None
    n_valid = int(np.ceil(fraction * n))
    if n - n_valid < 2:
        return all_idx, None
    if stratify is not None:
        _, counts = np.unique(stratify, return_counts=True)
        # a stratified split needs every class twice and room for one of each class;
        # without one, a split could take away a class's only examples: train on all
        if counts.min() < 2 or n_valid < len(counts) or n - n_valid < len(counts):
            return all_idx, None
    train, valid = train_test_split(
        all_idx, test_size=n_valid, random_state=seed, stratify=stratify
    )
    return np.sort(train), np.sort(valid)


def take_rows(X, idx):
    """Rows ``idx`` of an array or of every array in a dict."""
    if isinstance(X, dict):
        return {k: v[idx] for k, v in X.items()}
    return X[idx]


def train_net(kind, module, X, y, *, lr, max_epochs, batch_size, weight_decay,
               validation_fraction, patience, device, seed, verbose, n_classes=None,
               param_groups=None, callbacks=None, owner="skmts", hint=None):
    """Train ``module`` on ``(X, y)`` with skorch and return the fitted net.

    ``kind`` is "classifier" (``y`` int64 class indices, cross-entropy on logits) or
    "regressor" (``y`` float32 of shape (n, n_outputs), mean squared error). ``X`` is
    a float32 array or a dict of arrays passed to ``module.forward`` by name.
    ``param_groups`` is skorch's ``optimizer__param_groups`` (e.g. a smaller learning
    rate for ``"encoder.*"``). Everything random runs under ``seed``. ``callbacks`` are
    the user's skorch callbacks, after skmts's own (:func:`training_callbacks`);
    ``owner`` names the estimator in warnings and errors. Ctrl-C ends training with a
    warning and returns the net trained so far (:func:`~skmts.training._faults.fit_net`).
    """
    from skorch import NeuralNetClassifier, NeuralNetRegressor
    from skorch.dataset import Dataset
    from skorch.helper import predefined_split

    n = len(y)
    train_idx, valid_idx = split_indices(
        n, validation_fraction, seed, stratify=y if kind == "classifier" else None
    )
    valid = valid_idx is not None
    X_train, y_train = take_rows(X, train_idx), y[train_idx]
    n_train = len(train_idx)
    batch_size = min(batch_size, n_train)
    kwargs = dict(
        module=module,
        optimizer=torch.optim.AdamW,
        lr=lr,
        optimizer__weight_decay=weight_decay,
        max_epochs=max_epochs,
        batch_size=batch_size,
        iterator_train__shuffle=True,
        # a last batch of one sample breaks BatchNorm in training mode
        iterator_train__drop_last=bool(n_train % batch_size == 1 and n_train > 1),
        train_split=(
            predefined_split(Dataset(take_rows(X, valid_idx), y[valid_idx])) if valid else None
        ),
        callbacks=training_callbacks(verbose, valid=valid, patience=patience,
                                     callbacks=callbacks, owner=owner, hint=hint),
        callbacks__print_log__sink=logger.info if verbose >= 1 else noop,
        device=device,
        verbose=int(verbose >= 1),
    )
    if param_groups:
        kwargs["optimizer__param_groups"] = param_groups
    if kind == "classifier":
        net = NeuralNetClassifier(
            criterion=nn.CrossEntropyLoss, classes=list(range(n_classes)), **kwargs
        )
    else:
        net = NeuralNetRegressor(criterion=nn.MSELoss, **kwargs)
    with torch_seed_scope(seed, device), verbose_logging(verbose):
        fit_net(net, X_train, y_train, owner=owner)
    return net


def encode_labels(y):
    """Labels -> (LabelEncoder, int64 indices); at least two classes are needed."""
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    encoder = LabelEncoder().fit(y)
    if len(encoder.classes_) < 2:
        raise ValueError(
            f"y must contain at least 2 classes to train a classifier; got 1 class "
            f"({encoder.classes_[0]!r})."
        )
    return encoder, encoder.transform(y).astype(np.int64)


def scale_targets(y):
    """float targets (n,) or (n, k) -> (float32 (n, k) standardised, mean, scale)."""
    y = np.asarray(y, dtype=np.float64)
    y2 = y.reshape(len(y), -1)
    mean = y2.mean(axis=0)
    scale = y2.std(axis=0)
    scale[scale < 1e-12] = 1.0
    return ((y2 - mean) / scale).astype(np.float32), mean, scale


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64 (rows sum to 1)."""
    z = np.asarray(logits, dtype=np.float64)
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def unscale_targets(pred, mean, scale, one_d: bool):
    """Undo :func:`scale_targets` on predictions (float64; 1-D when ``one_d``)."""
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, len(mean)) * scale + mean
    return pred.ravel() if one_d else pred


#: rows of a panel turned into model inputs at a time at inference: the float copies made
#: for scaling and masking then stay bounded (~8 MB per step and channel) however large
#: the panel is
CHUNK_ROWS = 8192


def in_chunks(fn, panel, rows: int | None = None) -> np.ndarray:
    """``fn(panel[i:i + rows])`` over consecutive row chunks of ``panel``, concatenated.

    Inference streams through a large panel this way: each chunk's inputs (scaled,
    masked, padded copies) are built, run and dropped before the next one.
    """
    n = panel.n_samples
    rows = CHUNK_ROWS if rows is None else rows
    if n <= rows:
        return fn(panel)
    return np.concatenate([fn(panel[start : start + rows]) for start in range(0, n, rows)])


def autocast(device):
    """bfloat16 autocast on CUDA (no loss scaling needed); a no-op on the CPU."""
    if is_cuda(device):
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def batches(inputs: dict, batch_size: int, device):
    """The arrays of ``inputs`` (first axis = samples) as tensors on ``device``,
    ``batch_size`` rows at a time."""
    n = len(next(iter(inputs.values())))
    for start in range(0, n, batch_size):
        yield {k: torch.as_tensor(_writable(v[start : start + batch_size]), device=device)
               for k, v in inputs.items()}


def _writable(a: np.ndarray) -> np.ndarray:
    """``a``, or a copy of it when read-only (torch warns on sharing read-only memory)."""
    return a if a.flags.writeable else a.copy()


def run_batched(fn, inputs: dict, batch_size: int, device, *, mixed_precision=False,
                what="inference", setting="batch_size", dtype=np.float32):
    """``fn(**batch)`` over ``inputs`` a batch at a time, under ``torch.no_grad()``.

    Returns the outputs concatenated along the first axis as a numpy array of ``dtype``
    (float32 by default; float64 keeps a float64 module's outputs exact).
    ``mixed_precision`` runs under :func:`autocast` (bfloat16 on CUDA, nothing on the
    CPU). Modules are not switched to eval mode here: the caller does that. On CUDA
    out-of-memory the whole pass is retried with half the batch size, down to 1
    (:func:`~skmts.training._faults.retry_on_oom`; ``what`` names the call in messages,
    ``setting`` the parameter to suggest, None for none).
    """

    as_dtype = torch.float64 if np.dtype(dtype) == np.float64 else torch.float32

    def run(size):
        out = []
        context = autocast(device) if mixed_precision else contextlib.nullcontext()
        with torch.no_grad(), context:
            for batch in batches(inputs, size, device):  # bfloat16 under autocast: cast
                out.append(fn(**batch).detach().to(as_dtype).cpu().numpy())
        return np.concatenate(out)

    return retry_on_oom(run, batch_size, what=what, setting=setting)
