"""The skorch nets of skmts's estimators: what is saved, and how each is rebuilt.

A net is saved as its module's ``state_dict``, its device, batch size, train/eval mode
and its history. It is rebuilt as the estimator builds it: the same module
architecture (from the estimator's restored parameters and fitted attributes) inside the
same kind of net, initialised (``initialize()``), then the weights loaded. The optimizer state and a
validation split are not saved: they only matter to continue training a net, which skmts
never does (``fit`` builds a new one; fine-tuning starts from a copy of the module).
"""

from __future__ import annotations

import contextlib
import logging
import types

import torch
from torch import nn

__all__ = ["describe_net", "rebuild_net"]


def describe_net(writer, net, path: str) -> dict:
    from ._codec import _plain

    return {
        "class": type(net).__name__,
        "device": str(net.device),
        "batch_size": int(net.batch_size),
        "training": bool(net.module_.training),
        "history": writer.value(_plain(net.history.to_list()), f"{path}.history"),
        "module": writer.state_dict(net.module_.state_dict(), path),
    }


class _DropAll(logging.Filter):
    def filter(self, record):
        return False


@contextlib.contextmanager
def _quiet_skmts_log():
    """Hide the "no validation series" INFO line that rebuilding a DMAE net logs."""
    from .._utils import logger

    drop = _DropAll()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def _standardize_like(state: dict, prefix: str):
    """A placeholder :class:`Standardize` with the keys of ``state`` (None without one);
    its statistics come with the weights."""
    from ..nn._heads import Standardize

    mean = state.get(f"{prefix}standardize.mean")
    if mean is None:
        return None
    n = mean.shape[0]
    return Standardize(torch.zeros(n), torch.ones(n),
                       trainable=f"{prefix}standardize.weight" in state)


def _head_net(kind, module, recipe: dict, *, batch_size, device, n_classes=None):
    """The net :func:`skmts.training.train_net` builds (without its training-only
    pieces: validation split, early stopping, progress bar), initialised."""
    from skorch import NeuralNetClassifier, NeuralNetRegressor

    from ..training._recipe import noop

    kwargs = dict(
        module=module,
        optimizer=torch.optim.AdamW,
        lr=recipe["lr"],
        optimizer__weight_decay=recipe["weight_decay"],
        max_epochs=recipe["max_epochs"],
        batch_size=batch_size,
        iterator_train__shuffle=True,
        train_split=None,
        callbacks__print_log__sink=noop,
        device=device,
        verbose=0,
    )
    if kind == "classifier":
        net = NeuralNetClassifier(criterion=nn.CrossEntropyLoss,
                                  classes=list(range(n_classes)), **kwargs)
    else:
        net = NeuralNetRegressor(criterion=nn.MSELoss, **kwargs)
    return net.initialize()


def _n_outputs(est) -> int:
    return len(est.classes_) if est._kind == "classifier" else len(est._y_mean)


def _dmae(est, info, device):
    steps = sum(int(epoch.get("train_batch_count", 0)) for epoch in info["history"])
    panel = types.SimpleNamespace(n_channels=int(est.n_channels_in_), n_samples=0)
    with _quiet_skmts_log():
        net = est._build_net(panel, device, int(est._seed), None, max(steps, 1))
    return net.initialize()


def _head(est, info, device):
    state = info["module"]
    module = est.build_module(int(est.n_features_in_), _n_outputs(est),
                              standardize=_standardize_like(state, ""))
    n_classes = _n_outputs(est) if est._kind == "classifier" else None
    return _head_net(est._kind, module, est.training_params(),
                     batch_size=int(info["batch_size"]), device=device, n_classes=n_classes)


def _end_to_end(est, info, device):
    head = est._make_head()  # the head's architecture and recipe, as in fit
    backbone = est.backbone_
    encoder = backbone.feature_module()
    head_module = head.build_module(int(backbone._n_features_out), _n_outputs(est),
                                    standardize=_standardize_like(info["module"], "head."))
    module = est._encoder_with_head(encoder, head_module)
    recipe = head.training_params()
    if est.max_epochs is not None:
        recipe["max_epochs"] = est.max_epochs
    n_classes = _n_outputs(est) if est._kind == "classifier" else None
    return _head_net(est._kind, module, recipe, batch_size=int(info["batch_size"]),
                     device=device, n_classes=n_classes)


def rebuild_net(est, info: dict, reader):
    """The skorch net ``info`` describes, for the restored estimator ``est``."""
    from skorch.history import History

    from ..end_to_end._base import BaseEndToEnd
    from ..heads import BaseHead
    from ..representation._dmae import DMAETransformer

    if isinstance(est, DMAETransformer):
        build = _dmae
    elif isinstance(est, BaseHead):
        build = _head
    elif isinstance(est, BaseEndToEnd):
        build = _end_to_end
    else:
        raise ValueError(f"{type(est).__name__} has no skorch net to restore.")
    device = reader.device(info["device"])
    with torch.random.fork_rng(devices=[]):  # building draws random initial weights
        net = build(est, info, device)
    if type(net).__name__ != info.get("class", type(net).__name__):
        raise ValueError(f"the saved net is a {info['class']}, but {type(est).__name__} "
                         f"builds a {type(net).__name__}.")
    try:
        net.module_.load_state_dict(info["module"])
    except RuntimeError as err:
        raise ValueError(f"the saved weights do not fit {type(est).__name__}'s network: "
                         f"{err}") from err
    net.module_.train(bool(info.get("training", False)))
    net.history = History(info["history"])
    return net
