"""End-to-end estimators: a representation backbone and a head trained together."""

from ._e2e import EndToEndClassifier, EndToEndRegressor

__all__ = ["EndToEndClassifier", "EndToEndRegressor"]
