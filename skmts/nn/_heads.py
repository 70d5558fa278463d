"""Prediction heads on feature vectors, their input standardisation, and an encoder
joined to a head.

Pure ``torch.nn.Module`` s (no sklearn, no numpy): the estimators in
:mod:`skmts.heads` and :mod:`skmts.end_to_end` train them through skorch.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["Standardize", "LinearHead", "MLPHead", "EncoderWithHead"]


class Standardize(nn.Module):
    """Per-feature standardisation ``(x - mean) / scale``: ``(B, n) -> (B, n)``.

    The first layer of a head estimator's torch head (``standardize=True`` or
    ``"trainable"`` in :mod:`skmts.heads`), with ``mean`` and ``scale`` computed from
    the training features as ``sklearn.preprocessing.StandardScaler`` would. They are
    buffers: they follow ``.to(device or dtype)`` and the ``state_dict``, and no
    optimizer sees them, so with ``trainable=False`` the layer is a fixed affine map.

    ``trainable=True`` adds a per-feature affine map in the standardised units,
    ``(x - mean) / scale * weight + bias``, with ``weight`` (ones) and ``bias``
    (zeros) ``nn.Parameter`` s: the layer starts as the plain standardisation and its
    effective mean ``mean - bias * scale / weight`` and scale ``scale / weight`` are
    trained with the head. Training ``mean`` and ``scale`` themselves would make an
    optimizer's step depend on the features' units (Adam moves each parameter by
    about ``lr`` per step: a scale of 1e-3 would turn negative at once, one of 1e3
    would never move); in standardised units a step means the same for every feature.

    Parameters
    ----------
    mean, scale : array-like or tensor of shape (n,)
        Stored as float32 copies; every ``scale`` must be positive.
    trainable : bool, default=False
        Whether the layer has the trainable ``weight`` and ``bias``.
    """

    def __init__(self, mean, scale, *, trainable: bool = False):
        super().__init__()
        mean = torch.as_tensor(mean, dtype=torch.float32).detach().clone()
        scale = torch.as_tensor(scale, dtype=torch.float32).detach().clone()
        if mean.ndim != 1 or scale.shape != mean.shape:
            raise ValueError(
                f"mean and scale must be 1-D of the same length; got shapes "
                f"{tuple(mean.shape)} and {tuple(scale.shape)}."
            )
        if not bool((scale > 0).all()):
            raise ValueError("every scale must be positive (a constant feature gets 1).")
        self.register_buffer("mean", mean)
        self.register_buffer("scale", scale)
        if trainable:
            self.weight = nn.Parameter(torch.ones_like(mean))
            self.bias = nn.Parameter(torch.zeros_like(mean))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    @property
    def trainable(self) -> bool:
        """Whether the layer has the trainable affine map (``weight``, ``bias``)."""
        return self.weight is not None

    def forward(self, x):
        z = (x - self.mean) / self.scale
        return z if self.weight is None else z * self.weight + self.bias

    def extra_repr(self) -> str:
        return f"n_features={self.mean.shape[0]}, trainable={self.trainable}"


def _standardized(standardize, x):
    return x if standardize is None else standardize(x)


class LinearHead(nn.Module):
    """One linear layer: ``(B, n_in) -> (B, n_out)`` logits or values.

    The "single-layer" head of arXiv 2411.03941. ``standardize`` (a
    :class:`Standardize` of width ``n_in``, or None) runs first, as ``.standardize``.
    """

    def __init__(self, n_in: int, n_out: int, *, standardize: nn.Module | None = None):
        super().__init__()
        self.standardize = standardize
        self.linear = nn.Linear(n_in, n_out)

    def forward(self, x):
        return self.linear(_standardized(self.standardize, x))


class MLPHead(nn.Module):
    """A multi-layer perceptron with ReLU: ``(B, n_in) -> (B, n_out)``.

    ``n_layers`` counts the linear layers, the output layer included: the default
    ``n_layers=5`` is the "complex 5-layer MLP with ReLU" head of arXiv 2411.03941
    (``n_layers - 1`` hidden layers of width ``hidden_size``, each followed by ReLU
    and, when ``dropout > 0``, dropout). ``n_layers=1`` is a linear head.
    ``standardize`` (a :class:`Standardize` of width ``n_in``, or None) runs first,
    as ``.standardize``.
    """

    def __init__(self, n_in: int, n_out: int, hidden_size: int = 64, n_layers: int = 5,
                 dropout: float = 0.0, *, standardize: nn.Module | None = None):
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1, got n_layers={n_layers}.")
        self.standardize = standardize
        layers: list[nn.Module] = []
        width = n_in
        for _ in range(n_layers - 1):
            layers += [nn.Linear(width, hidden_size), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = hidden_size
        layers.append(nn.Linear(width, n_out))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(_standardized(self.standardize, x))


class EncoderWithHead(nn.Module):
    """``head(encoder(**inputs))``: a trainable feature encoder followed by a head.

    ``encoder`` is a representation transformer's ``feature_module()`` (its
    ``forward`` takes the named inputs of ``feature_inputs`` and returns
    ``(B, n_features)``); ``head`` maps those features to ``(B, n_out)``. The two
    sub-modules are named ``encoder`` and ``head`` so that optimizer parameter
    groups can address them as ``"encoder.*"`` and ``"head.*"``.

    ``encoder_eval=True`` keeps the encoder in eval mode whatever mode the whole
    module is set to (no dropout; BatchNorm normalises with, and does not update, its
    running statistics), so that fine-tuning sees the features the head's
    standardisation was computed on; its weights still train.
    """

    def __init__(self, encoder: nn.Module, head: nn.Module, encoder_eval: bool = False):
        super().__init__()
        self.encoder = encoder
        self.head = head
        self.encoder_eval = encoder_eval

    def train(self, mode: bool = True):
        super().train(mode)
        if self.encoder_eval:
            self.encoder.eval()
        return self

    def forward(self, **inputs):
        return self.head(self.encoder(**inputs))  # (B, n_features) -> (B, n_out)
