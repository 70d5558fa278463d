"""Pure torch building blocks: tensors in, tensors (or named outputs) out. No sklearn, no I/O."""

from ._dmae import DMAEModule, FeatureQuery, dmae_losses
from ._encoder import SeriesEncoder, sinusoidal_positions
from ._heads import EncoderWithHead, LinearHead, MLPHead
from ._masking import geometric_span_mask
from ._pooling import masked_pool

__all__ = [
    "DMAEModule",
    "EncoderWithHead",
    "FeatureQuery",
    "LinearHead",
    "MLPHead",
    "SeriesEncoder",
    "dmae_losses",
    "geometric_span_mask",
    "masked_pool",
    "sinusoidal_positions",
]
