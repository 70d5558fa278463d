"""Prediction heads on feature vectors, and an encoder joined to a head.

Pure ``torch.nn.Module`` s (no sklearn, no numpy): the estimators in
:mod:`skmts.heads` and :mod:`skmts.end_to_end` train them through skorch.
"""

from __future__ import annotations

from torch import nn

__all__ = ["LinearHead", "MLPHead", "EncoderWithHead"]


class LinearHead(nn.Module):
    """One linear layer: ``(B, n_in) -> (B, n_out)`` logits or values.

    The "single-layer" head of arXiv 2411.03941.
    """

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)

    def forward(self, x):
        return self.linear(x)


class MLPHead(nn.Module):
    """A multi-layer perceptron with ReLU: ``(B, n_in) -> (B, n_out)``.

    ``n_layers`` counts the linear layers, the output layer included: the default
    ``n_layers=5`` is the "complex 5-layer MLP with ReLU" head of arXiv 2411.03941
    (``n_layers - 1`` hidden layers of width ``hidden_size``, each followed by ReLU
    and, when ``dropout > 0``, dropout). ``n_layers=1`` is a linear head.
    """

    def __init__(self, n_in: int, n_out: int, hidden_size: int = 64, n_layers: int = 5,
                 dropout: float = 0.0):
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1, got n_layers={n_layers}.")
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
        return self.layers(x)


class EncoderWithHead(nn.Module):
    """``head(encoder(**inputs))``: a trainable feature encoder followed by a head.

    ``encoder`` is a representation transformer's ``feature_module()`` (its
    ``forward`` takes the named inputs of ``feature_inputs`` and returns
    ``(B, n_features)``); ``head`` maps those features to ``(B, n_out)``. The two
    sub-modules are named ``encoder`` and ``head`` so that optimizer parameter
    groups can address them as ``"encoder.*"`` and ``"head.*"``.
    """

    def __init__(self, encoder: nn.Module, head: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.head = head

    def forward(self, **inputs):
        return self.head(self.encoder(**inputs))  # (B, n_features) -> (B, n_out)
