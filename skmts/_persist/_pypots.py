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
import io

import numpy as np
import torch

from .._utils import is_cuda

__all__ = ["SavedModel", "describe_model", "load_saved_model", "rebuild_model", "save_model"]

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
    from ..backbones._pypots import RESERVED_PARAMS, spec_for_model

    key = spec_for_model(model)
    params = {}
    for name in inspect.signature(type(model).__init__).parameters:
        if name in ("self", "n_steps", "n_features") or name in RESERVED_PARAMS:
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


# ---- pickling of FrozenImputerTransformer.model_ -----------------------------------
class SavedModel:
    """A PyPOTS model as pickling stores it: ``spec``, its description (table row,
    constructor arguments, fitted extras; see :func:`describe_model`), and
    ``data``, its weights as ``torch.save(state_dict)`` bytes, which load with
    ``weights_only=True`` on any machine. Pickles written before skmts stored ``spec``
    hold the whole model in ``data`` (``spec`` is None)."""

    def __init__(self, data: bytes, device: str, spec: dict | None = None):
        self.data = data
        self.device = device
        self.spec = spec


def save_model(model, device: str) -> "SavedModel":
    spec, state = describe_model(model)
    buf = io.BytesIO()
    torch.save(state, buf)
    return SavedModel(buf.getvalue(), device, spec)


def load_saved_model(saved: "SavedModel", map_location=None):
    """Load a saved model on ``saved.device`` when present, else on the CPU.

    ``map_location`` (anything ``torch.load`` accepts) overrides that choice. Returns the
    model and the device it now lives on: a model trained on a GPU loads on a machine
    without one. The model is rebuilt from skmts's backbone table and the weights are
    read with ``torch.load(weights_only=True)``.
    """
    if map_location is None:
        dev = str(saved.device)
        map_location = dev if is_cuda(dev) and torch.cuda.is_available() else "cpu"
    spec = getattr(saved, "spec", None)
    if spec is None:
        # a pickle from an skmts that stored the whole model (cached backbones, e.g.
        # benchmark-results/cache): unpickling it trusts the file anyway
        model = torch.load(io.BytesIO(saved.data), map_location=map_location,
                           weights_only=False)
        param = next(model.model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
    else:
        state = torch.load(io.BytesIO(saved.data), map_location=map_location,
                           weights_only=True)
        first = next(iter(state.values()), None)
        device = first.device if first is not None else torch.device("cpu")
        model = rebuild_model(spec, state, device=str(device))
    model.device = device  # PyPOTS sends batches to model.device
    return model, str(device)
