"""What the four heads share: training recipe, input standardisation, fit and predict.

A head standardises its input itself. Frozen features (a pretrained backbone's
``transform``) come in arbitrary units and offsets, and a linear probe trained by
gradient descent needs them centred and of unit variance to train well with one
learning rate for every feature. So, with ``standardize=True`` (the default), ``fit``
computes the mean and standard deviation of each feature of the training features
``X`` (as ``sklearn.preprocessing.StandardScaler`` does: a constant feature keeps
scale 1) and puts them in front of the torch head as a fixed affine layer,
:class:`skmts.nn._heads.Standardize`; ``standardize="trainable"`` starts from the
same layer and trains its effective mean and scale with the head (an affine map in
standardised units, so that a step means the same whatever the features' units);
``standardize=False`` feeds the features as they are. Because the layer is part of the head's torch module, an
end-to-end estimator (:class:`skmts.end_to_end.EndToEndClassifier`) that puts the
same head on the same backbone starts from the same function: it computes the
statistics on the backbone's frozen features of its training panel, or starts from
a fitted head's module, standardisation layer included. No ``StandardScaler`` is
needed in a ``Pipeline``, and none could be carried into joint training.
"""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d
from torch import nn

from .._compat import Interval, StrOptions, _fit_context
from .._utils import RUNTIME_CONSTRAINTS, resolve_device, seed_from, torch_seed_scope
from .._validation import check_features, check_y
from ..nn._heads import LinearHead, MLPHead, Standardize
from ..training._faults import unfit_on_error
from ..training._recipe import (
    encode_labels, run_batched, scale_targets, softmax, train_net, unscale_targets,
)

_TRAINING_CONSTRAINTS: dict = {
    "standardize": ["boolean", StrOptions({"trainable"})],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "patience": [Interval(Integral, 1, None, closed="left"), None],
    "callbacks": [list, None],
    **RUNTIME_CONSTRAINTS,
}

_MLP_CONSTRAINTS: dict = {
    "hidden_size": [Interval(Integral, 1, None, closed="left")],
    "n_layers": [Interval(Integral, 1, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left")],
}

# ---- helpers shared with the end-to-end estimators ---------------------------------------
def feature_statistics(X):
    """(mean, scale) of each column of ``X``, computed in float64 as ``StandardScaler``
    does (a constant or near-constant column gets scale 1)."""
    scaler = StandardScaler().fit(np.asarray(X, dtype=np.float64))
    return scaler.mean_, scaler.scale_


def standardize_param_groups(module: nn.Module, prefix: str = "") -> list:
    """skorch ``param_groups`` exempting a trainable :class:`Standardize` of ``module``
    (a head, addressed as ``prefix + "standardize.*"``) from weight decay."""
    layer = getattr(module, "standardize", None)
    if isinstance(layer, Standardize) and layer.trainable:
        return [(f"{prefix}standardize.*", {"weight_decay": 0.0})]
    return []


def class_indices(y, start=None):
    """(classes, int64 indices) of the labels ``y``: their own classes, or those of the
    fitted head ``start``, which every label must then belong to."""
    if start is None:
        encoder, y_idx = encode_labels(y)
        return encoder.classes_, y_idx
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    classes = start.classes_
    unknown = ~np.isin(y, classes)
    if unknown.any():
        raise ValueError(
            f"y has labels the fitted head was not trained on ({np.unique(y[unknown])[:5]!r}); "
            f"a fitted head predicts its classes_ {classes.tolist()!r}."
        )
    return classes, np.searchsorted(classes, y).astype(np.int64)


def scaled_targets(y, start=None):
    """:func:`~skmts.training.scale_targets`, or with the fitted head ``start``'s
    scaling, so that its outputs keep their meaning."""
    if start is None:
        return scale_targets(y)
    y2 = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    if y2.shape[1] != len(start._y_mean):
        raise ValueError(
            f"y has {y2.shape[1]} output(s) but the fitted head predicts "
            f"{len(start._y_mean)}."
        )
    scaled = ((y2 - start._y_mean) / start._y_scale).astype(np.float32)
    return scaled, start._y_mean, start._y_scale


def _forward64(net, X, batch_size):
    """The trained head's outputs in float64, batch by batch, under ``no_grad``.

    A float64 copy of the (small) head, standardisation buffers included, makes each
    row's output independent of the other rows in its batch; in float32 the matrix
    kernels round differently for different batch shapes, so predictions would change
    with the order of samples.
    """
    module = copy.deepcopy(net.module_).to(dtype=torch.float64).eval()
    inputs = {"x": np.asarray(X, dtype=np.float64)}
    return run_batched(lambda x: module(x), inputs, batch_size, net.device, dtype=np.float64)


def _proba(net, X, batch_size):
    """float64 class probabilities from a trained head (rows sum to 1)."""
    return softmax(_forward64(net, X, batch_size))


# ---- the shared estimator machinery ---------------------------------------------------
class BaseHead(BaseEstimator):
    """Base of the heads: the protocol the end-to-end estimators and a saved model use.

    A head is a torch module on 2-D features, trained with the skorch recipe of
    :mod:`skmts.training`. :class:`~skmts.EndToEndClassifier` and
    :class:`~skmts.EndToEndRegressor` call these public methods only:

    - :meth:`build_module` -- the bare torch head, the one method a new head defines;
    - :meth:`make_module` -- that head with its standardisation layer in front;
    - :meth:`training_params` -- the training recipe (``lr``, ``max_epochs``, ...);
    - :meth:`fit_from` -- ``fit``, optionally from a fitted head's weights.

    To write a head of your own, subclass a shipped one and override
    :meth:`build_module`: everything else (validation, standardisation, training,
    ``predict``, saving, end-to-end training) comes with it.

    Examples
    --------
    >>> import numpy as np
    >>> from torch import nn
    >>> from skmts import LinearHeadClassifier
    >>> class TanhHead(LinearHeadClassifier):
    ...     def build_module(self, n_in, n_out, standardize=None):
    ...         layers = [standardize] if standardize is not None else []
    ...         return nn.Sequential(*layers, nn.Linear(n_in, 8), nn.Tanh(),
    ...                              nn.Linear(8, n_out))
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = TanhHead(max_epochs=5, random_state=0).fit(X, y)
    >>> clf.predict(X).shape
    (40,)
    """

    _kind: str = ""

    def build_module(self, n_in: int, n_out: int, standardize=None) -> nn.Module:  # pragma: no cover
        """The torch head ``(batch, n_in) -> (batch, n_out)``, randomly initialised.

        Parameters
        ----------
        n_in, n_out : int
            Input features and outputs (classes, or regression targets).
        standardize : torch.nn.Module or None
            The standardisation layer to put first, or None for the bare head.

        Returns
        -------
        module : torch.nn.Module
        """
        raise NotImplementedError

    def make_module(self, n_in: int, n_out: int, features=None) -> nn.Module:
        """The torch head to train on ``features``: standardisation layer, then the head.

        The one code path of the heads' ``fit`` and of the end-to-end estimators.

        Parameters
        ----------
        n_in, n_out : int
            Input features and outputs.
        features : array-like of shape (n_samples, n_in) or None
            The training features, whose mean and standard deviation make the
            standardisation layer; needed when ``standardize`` is on.

        Returns
        -------
        module : torch.nn.Module
        """
        layer = None
        if self.standardize:
            if features is None:
                raise ValueError("standardize needs the training features' statistics.")
            mean, scale = feature_statistics(features)
            layer = Standardize(mean, scale, trainable=isinstance(self.standardize, str))
        return self.build_module(n_in, n_out, standardize=layer)

    def training_params(self) -> dict:
        """The training recipe, as keyword arguments of :func:`skmts.training.train_net`.

        Returns
        -------
        params : dict
            ``lr``, ``max_epochs``, ``batch_size``, ``weight_decay``,
            ``validation_fraction``, ``patience`` and ``callbacks``.
        """
        return dict(
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            weight_decay=self.weight_decay,
            validation_fraction=self.validation_fraction,
            patience=self.patience,
            callbacks=getattr(self, "callbacks", None),
        )

    def _fit_module(self, X, y_train, n_out, *, start=None, max_epochs=None, **extra):
        """Build (or copy from the fitted head ``start``) and train the torch head.

        ``max_epochs`` overrides the recipe's; 0 builds the net without training it.
        """
        device = resolve_device(self.device)
        seed = seed_from(self.random_state)
        if start is not None:
            if X.shape[1] != start.n_features_in_:
                raise ValueError(f"X has {X.shape[1]} features but the fitted head was "
                                 f"trained on {start.n_features_in_}.")
            module = copy.deepcopy(start.net_.module_)
        else:
            with torch_seed_scope(seed, device):
                module = self.make_module(X.shape[1], n_out, X)
        params = self.training_params()
        if max_epochs is not None:
            params["max_epochs"] = max_epochs
        if params["max_epochs"] == 0:
            params["patience"] = None  # skorch's EarlyStopping needs at least one epoch
        self.net_ = train_net(
            self._kind, module, np.asarray(X, dtype=np.float32), y_train, device=device,
            seed=seed, verbose=self.verbose, param_groups=standardize_param_groups(module),
            owner=type(self).__name__, **params, **extra,
        )
        self.n_epochs_ = len(self.net_.history)

    def _check_X(self, X, reset: bool):
        X = check_features(self, X, reset=reset, dtype=[np.float64, np.float32])
        return np.asarray(X, dtype=np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


class _HeadClassifier(ClassifierMixin, BaseHead):
    _kind = "classifier"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the head on features ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The features (trained on in float32; the standardisation statistics are
            computed in float64).
        y : array-like of shape (n_samples,)
            Class labels (strings, integers, ...): at least two classes.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        return self.fit_from(X, y)

    @unfit_on_error
    def fit_from(self, X, y, *, start=None, max_epochs=None):
        """``fit``, optionally from a fitted head and for another number of epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The features.
        y : array-like of shape (n_samples,)
            Class labels.
        start : fitted head of the same kind, optional
            Training starts from its module (standardisation layer included) and
            keeps its classes.
        max_epochs : int, optional
            Instead of the recipe's ``max_epochs``; 0 builds the net untrained.

        Returns
        -------
        self : object
        """
        X = check_features(self, X, reset=True, dtype=[np.float64, np.float32])
        y = check_y(self, y, X.shape[0], classifier=True)
        self.classes_, y_idx = class_indices(y, start)
        n = len(self.classes_)
        self._fit_module(X, y_idx, n, start=start, max_epochs=max_epochs, n_classes=n)
        return self

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The features.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Softmax of the head's logits, columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        return _proba(self.net_, self._check_X(X, reset=False), self.batch_size)

    def predict(self, X):
        """Predicted class labels (the most probable class).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The features.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class _HeadRegressor(RegressorMixin, BaseHead):
    _kind = "regressor"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the head on features ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The features (trained on in float32; the standardisation statistics are
            computed in float64).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets. They are standardised internally (mean 0, variance 1 per
            output) and predictions are transformed back.

        Returns
        -------
        self : object
            The fitted regressor.
        """
        return self.fit_from(X, y)

    @unfit_on_error
    def fit_from(self, X, y, *, start=None, max_epochs=None):
        """``fit``, optionally from a fitted head and for another number of epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The features.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.
        start : fitted head of the same kind, optional
            Training starts from its module (standardisation layer included) and
            keeps its target scaling.
        max_epochs : int, optional
            Instead of the recipe's ``max_epochs``; 0 builds the net untrained.

        Returns
        -------
        self : object
        """
        X = check_features(self, X, reset=True, dtype=[np.float64, np.float32])
        y = check_y(self, y, X.shape[0], classifier=False)
        self._y_1d = np.ndim(y) == 1
        y_scaled, self._y_mean, self._y_scale = scaled_targets(y, start)
        self._fit_module(X, y_scaled, y_scaled.shape[1], start=start, max_epochs=max_epochs)
        return self

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The features.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            float64, 1-D when ``y`` was 1-D in ``fit``.
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        pred = _forward64(self.net_, X, self.batch_size)
        return unscale_targets(pred, self._y_mean, self._y_scale, self._y_1d)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class _LinearMixin:
    def build_module(self, n_in: int, n_out: int, standardize=None) -> nn.Module:
        return LinearHead(n_in, n_out, standardize=standardize)


class _MLPMixin:
    def build_module(self, n_in: int, n_out: int, standardize=None) -> nn.Module:
        return MLPHead(n_in, n_out, hidden_size=self.hidden_size, n_layers=self.n_layers,
                       dropout=self.dropout, standardize=standardize)
