"""The only importer of scikit-learn private helpers, so a rename is fixed in one place."""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions, HasMethods

__all__ = ["_fit_context", "Interval", "StrOptions", "HasMethods"]
