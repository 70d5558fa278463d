"""Heads: linear and MLP classifiers / regressors on 2-D features, trained with skorch."""

from ._heads import (
    LinearHeadClassifier,
    LinearHeadRegressor,
    MLPHeadClassifier,
    MLPHeadRegressor,
)

__all__ = [
    "LinearHeadClassifier",
    "LinearHeadRegressor",
    "MLPHeadClassifier",
    "MLPHeadRegressor",
]
