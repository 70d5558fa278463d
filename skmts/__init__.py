"""skmts: scikit-learn compatible representation learning for multivariate time series."""

__version__ = "0.1.0"
