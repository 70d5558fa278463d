"""skmts: scikit-learn compatible representation learning for multivariate time series."""

from .representation._dmae import DMAETransformer

__version__ = "0.1.0"

__all__ = ["DMAETransformer", "__version__"]
