"""Representation transformers: a panel in, one feature vector per series out."""

from ._base import BaseSeriesTransformer
from ._dmae import DMAETransformer
from ._frozen import FrozenImputerTransformer

__all__ = ["BaseSeriesTransformer", "DMAETransformer", "FrozenImputerTransformer"]
