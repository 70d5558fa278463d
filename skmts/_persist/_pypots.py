"""A PyPOTS model as a description plus its ``state_dict``, and back, through the table.

PyPOTS's own ``save``/``load`` keep only the weights (and need an instance built with the
same hyperparameters); pickling keeps the whole object, code references included. Here a
model is described by its row in :data:`~skmts.backbones._pypots.BACKBONES`, the
constructor arguments it stores as attributes (JSON scalars only: PyPOTS keeps each one
under its own name), the training settings, and what its ``fit`` computed besides the
weights (CSAI's ``intervals`` and ``replacement_probabilities``). :func:`rebuild_model`
constructs the same model with :func:`~skmts.backbones._pypots.build_pypots_model`, which
accepts only the class's constructor arguments, and loads the weights into it.
"""

from __future__ import annotations

import inspect

import numpy as np
import torch

__all__ = ["describe_model", "rebuild_model"]

# set by PyPOTS's fit and used by its own predict (not by skmts's inference), kept so
# that a restored model behaves as the saved one in PyPOTS too
_FIT_STATE_EXTRA = ("replacement_probabilities",)
_SCALARS = (bool, int, float, str, type(None))


def _fit_state_names(key: str) -> tuple:
    from ..backbones._pypots import BACKBONES

    return (*BACKBONES[key].fit_state, *_FIT_STATE_EXTRA)


def describe_model(model) -> tuple[dict, dict]:
    """``(description, state_dict)`` of a PyPOTS imputation model that has a table row.

    The description holds Python scalars, lists, dicts and NumPy arrays only; the
    ``state_dict`` tensors are detached CPU copies.
    """
    from ..backbones._pypots import _RESERVED, spec_for_model

    key = spec_for_model(model)
    params = {}
    for name in inspect.signature(type(model).__init__).parameters:
        if name in ("self", "n_steps", "n_features") or name in _RESERVED:
            continue
        value = getattr(model, name, None)
        if isinstance(value, np.generic):
            value = value.item()
        if hasattr(model, name) and isinstance(value, _SCALARS):
            params[name] = value  # objects (training_loss, ...) only matter to training
    patience = getattr(model, "original_patience", None)
    core = model.model
    description = {
        "backbone": key,
        "n_steps": int(model.n_steps),
        "n_features": int(model.n_features),
        "params": params,
        "epochs": int(model.epochs),
        "patience": None if patience is None or patience < 0 else int(patience),
        "batch_size": int(model.batch_size),
        "lr": float(getattr(model.optimizer, "lr", 1e-3)),
        "device": str(model.device),
        "training": bool(core.training),
        "requires_grad": any(p.requires_grad for p in core.parameters()),
        "fit_state": {name: getattr(model, name) for name in _fit_state_names(key)
                      if getattr(model, name, None) is not None},
    }
    state = {k: v.detach().cpu() for k, v in core.state_dict().items()}
    return description, state


def rebuild_model(description: dict, state: dict, device: str = "cpu"):
    """The PyPOTS model of :func:`describe_model`'s output, with ``state`` loaded, on
    ``device``. Global random states are left as found; PyPOTS stays quiet.

    Raises ``ValueError`` for a backbone without a table row, constructor arguments the
    class does not accept, unknown fit state or weights that do not fit the model.
    """
    from ..backbones._pypots import BACKBONES, build_pypots_model
    from ..backbones._quiet import pypots_logging, rng_scope

    key = description["backbone"]
    if key not in BACKBONES:
        raise ValueError(f"the PyPOTS backbone {key!r} is not one of skmts's backbones "
                         f"({sorted(BACKBONES)}).")
    fit_state = dict(description.get("fit_state") or {})
    unknown = set(fit_state) - set(_fit_state_names(key))
    if unknown:
        raise ValueError(f"unknown fitted state {sorted(unknown)} for the {key!r} backbone.")
    with pypots_logging(0), rng_scope(0):  # construction draws random initial weights
        model = build_pypots_model(
            key,
            n_steps=int(description["n_steps"]),
            n_features=int(description["n_features"]),
            backbone_params=dict(description["params"]),
            epochs=int(description["epochs"]),
            patience=description["patience"],
            batch_size=int(description["batch_size"]),
            lr=float(description["lr"]),
            device="cpu",
            verbose=0,
        )
    try:
        model.model.load_state_dict(state)
    except RuntimeError as err:
        raise ValueError(f"the saved weights do not fit the {key!r} backbone: {err}") from err
    for name, value in fit_state.items():
        setattr(model, name, value)
    model.best_model_dict = None
    core = model.model.to(device)
    core.train(bool(description.get("training", False)))
    core.requires_grad_(bool(description.get("requires_grad", True)))
    model.device = torch.device(device)  # PyPOTS sends batches to model.device
    return model
