"""skmts: scikit-learn compatible representation learning for multivariate time series.

Importing skmts loads torch and scikit-learn only; PyPOTS, sktime, Optuna and matplotlib
are imported where they are used.
"""

from .end_to_end import EndToEndClassifier, EndToEndRegressor
from .heads import LinearHeadClassifier, LinearHeadRegressor, MLPHeadClassifier, MLPHeadRegressor
from .representation import DMAETransformer, FrozenImputerTransformer

__version__ = "0.1.0"

__all__ = [
    "DMAETransformer",
    "EndToEndClassifier",
    "EndToEndRegressor",
    "FrozenImputerTransformer",
    "LinearHeadClassifier",
    "LinearHeadRegressor",
    "MLPHeadClassifier",
    "MLPHeadRegressor",
    "__version__",
]
