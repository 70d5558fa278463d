"""The only importer of scikit-learn private helpers, so a rename is fixed in one place."""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, InvalidParameterError, StrOptions
from sklearn.utils.validation import _check_feature_names

__all__ = ["_fit_context", "Interval", "StrOptions", "HasMethods", "InvalidParameterError",
           "_check_feature_names"]
