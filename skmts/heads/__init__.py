"""Heads: linear and MLP classifiers / regressors on 2-D features, trained with skorch.

Each head standardises its input itself (``standardize=True``): the training features'
mean and standard deviation are the first layer of its torch head, so a modular
``Pipeline([("emb", backbone), ("clf", head)])`` needs no ``StandardScaler`` and an
end-to-end estimator with the same head starts from the same function.

:class:`BaseHead` is the protocol the end-to-end estimators call; a head of your own
subclasses a shipped head and overrides :meth:`BaseHead.build_module`.
"""

from ._base import BaseHead
from ._heads import (
    LinearHeadClassifier,
    LinearHeadRegressor,
    MLPHeadClassifier,
    MLPHeadRegressor,
)

__all__ = [
    "BaseHead",
    "LinearHeadClassifier",
    "LinearHeadRegressor",
    "MLPHeadClassifier",
    "MLPHeadRegressor",
]
