"""Representation transformers: a panel in, one feature vector per series out.

:class:`BaseSeriesTransformer` is the base of every backbone, with the public protocol the
end-to-end estimators call; :func:`check_panel` and :class:`Panel` are the one input layer
every estimator uses.
"""

from .._validation import Panel, check_panel
from ._base import BaseSeriesTransformer
from ._dmae import DMAETransformer
from ._frozen import FrozenImputerTransformer

__all__ = ["BaseSeriesTransformer", "DMAETransformer", "FrozenImputerTransformer", "Panel",
           "check_panel"]
