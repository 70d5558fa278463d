"""Linear and MLP heads: scikit-learn estimators on 2-D features, trained with skorch.

The heads are what sits on top of a representation transformer
(``Pipeline([("emb", DMAETransformer()), ("clf", LinearHeadClassifier())])``) and what
an end-to-end estimator puts on top of the same backbone when both train together
(:class:`skmts.end_to_end.EndToEndClassifier`). A head carries its own training recipe
(``lr``, ``max_epochs``, ``batch_size``, ``weight_decay``, ``validation_fraction``,
``patience``); the end-to-end estimators reuse it, so "the same head" means the same
architecture *and* the same recipe on both sides of the modular/end-to-end comparison.

The skorch net lives in the fitted attribute ``net_``: the estimators do not subclass
skorch, so ``get_params`` lists exactly the parameters below.
"""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from .._compat import Interval, _fit_context
from .._utils import RUNTIME_CONSTRAINTS, resolve_device, seed_from, torch_seed_scope
from ..nn._heads import LinearHead, MLPHead
from ..training._recipe import encode_labels, scale_targets, train_net, unscale_targets

__all__ = [
    "LinearHeadClassifier",
    "LinearHeadRegressor",
    "MLPHeadClassifier",
    "MLPHeadRegressor",
]

_TRAINING_CONSTRAINTS: dict = {
    "lr": [Interval(Real, 0, None, closed="neither")],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "patience": [Interval(Integral, 1, None, closed="left"), None],
    **RUNTIME_CONSTRAINTS,
}

_MLP_CONSTRAINTS: dict = {
    "hidden_size": [Interval(Integral, 1, None, closed="left")],
    "n_layers": [Interval(Integral, 1, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left")],
}

_TRAINING_DOC = """lr : float, default={lr}
        Learning rate of the AdamW optimizer.
    max_epochs : int, default=200
        Maximum number of passes over the training data.
    batch_size : int, default=64
        Mini-batch size, for training and prediction.
    weight_decay : float, default=1e-4
        AdamW's (decoupled) weight decay; 0 switches it off.
    validation_fraction : float, default=0.1
        Fraction of the training samples held out (stratified for classifiers) to
        monitor ``valid_loss`` for early stopping; the weights of the best epoch are
        restored at the end. 0 trains on everything and early stopping then watches
        ``train_loss``. The split is skipped when it would leave fewer than 2
        training samples and, for classifiers, when a stratified split is impossible
        (a class with a single sample, or more classes than held-out samples).
    patience : int or None, default=10
        Stop after this many epochs without improvement of the monitored loss;
        None trains for ``max_epochs``.
    device : str or torch.device, default="auto"
        "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the validation split. The global
        torch and numpy random states are left as they were.
    verbose : int, default=0
        0 is silent; >= 1 shows a progress bar and logs one line per epoch to the
        ``"skmts"`` logger (INFO)."""


# ---- prediction helpers ---------------------------------------------------------------
def _forward64(net, X, batch_size):
    """The trained head's outputs in float64, batch by batch, under ``no_grad``.

    A float64 copy of the (small) head makes each row's output independent of the
    other rows in its batch; in float32 the matrix kernels round differently for
    different batch shapes, so predictions would change with the order of samples.
    """
    module = copy.deepcopy(net.module_).to(dtype=torch.float64).eval()
    X = np.asarray(X, dtype=np.float64)
    out = []
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            xb = torch.as_tensor(X[start : start + batch_size], device=net.device)
            out.append(module(xb).cpu().numpy())
    return np.concatenate(out, axis=0)


def _proba(net, X, batch_size):
    """float64 class probabilities from a trained head (rows sum to 1)."""
    logits = _forward64(net, X, batch_size)
    logits -= logits.max(axis=1, keepdims=True)
    proba = np.exp(logits)
    return proba / proba.sum(axis=1, keepdims=True)


# ---- the estimators ---------------------------------------------------------------
class _BaseHead(BaseEstimator):
    """Shared fit machinery of the heads; subclasses define ``_build_module``."""

    _kind: str = ""

    def _build_module(self, n_in: int, n_out: int) -> nn.Module:  # pragma: no cover
        """The bare torch head ``(B, n_in) -> (B, n_out)`` (randomly initialised)."""
        raise NotImplementedError

    def _training_params(self) -> dict:
        """The training recipe, as keyword arguments of :func:`~skmts.training.train_net`."""
        return dict(
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            weight_decay=self.weight_decay,
            validation_fraction=self.validation_fraction,
            patience=self.patience,
        )

    def _fit_module(self, X, y_train, n_out, **extra):
        device = resolve_device(self.device)
        seed = seed_from(self.random_state)
        with torch_seed_scope(seed, device):
            module = self._build_module(X.shape[1], n_out)
        self.net_ = train_net(
            self._kind, module, X, y_train, device=device, seed=seed,
            verbose=self.verbose, **self._training_params(), **extra,
        )
        self.n_epochs_ = len(self.net_.history)

    def _check_X(self, X, reset: bool):
        X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
        return np.asarray(X, dtype=np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


class _HeadClassifier(ClassifierMixin, _BaseHead):
    _kind = "classifier"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the head on features ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The features (float64 is accepted and converted to float32).
        y : array-like of shape (n_samples,)
            Class labels (strings, integers, ...): at least two classes.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        X = np.array(X, dtype=np.float32)
        encoder, y_idx = encode_labels(y)
        self.classes_ = encoder.classes_
        self._fit_module(X, y_idx, len(self.classes_), n_classes=len(self.classes_))
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


class _HeadRegressor(RegressorMixin, _BaseHead):
    _kind = "regressor"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the head on features ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The features (float64 is accepted and converted to float32).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets. They are standardised internally (mean 0, variance 1 per
            output) and predictions are transformed back.

        Returns
        -------
        self : object
            The fitted regressor.
        """
        X, y = validate_data(
            self, X, y, dtype=[np.float64, np.float32], multi_output=True, y_numeric=True
        )
        X = np.array(X, dtype=np.float32)
        self._y_1d = np.ndim(y) == 1
        y_scaled, self._y_mean, self._y_scale = scale_targets(y)
        self._fit_module(X, y_scaled, y_scaled.shape[1])
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
    def _build_module(self, n_in: int, n_out: int) -> nn.Module:
        return LinearHead(n_in, n_out)


class _MLPMixin:
    def _build_module(self, n_in: int, n_out: int) -> nn.Module:
        return MLPHead(n_in, n_out, hidden_size=self.hidden_size, n_layers=self.n_layers,
                       dropout=self.dropout)


class LinearHeadClassifier(_LinearMixin, _HeadClassifier):
    __doc__ = f"""A linear classification head trained with skorch (softmax regression).

    One linear layer from the features to the class logits, trained with cross-entropy,
    AdamW and early stopping on a validation split. It runs on a GPU when one is there.
    Standardise the features first (``StandardScaler`` in a ``Pipeline``): the head
    does not scale its input.

    Parameters
    ----------
    {_TRAINING_DOC.format(lr="1e-2")}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    net_ : skorch.NeuralNetClassifier
        The trained net; ``net_.module_`` is the :class:`skmts.nn.LinearHead` and
        ``net_.history`` its training history.
    n_epochs_ : int
        Number of epochs trained.

    See Also
    --------
    MLPHeadClassifier : A 5-layer MLP head.
    EndToEndClassifier : The same head trained jointly with a backbone.

    References
    ----------
    .. [1] "Modular Deep Learning for Multivariate Time-Series: Decoupling
       Imputation and Downstream Tasks", arXiv 2411.03941.

    Examples
    --------
    >>> import numpy as np
    >>> from skmts.heads import LinearHeadClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(40, 5)); y = np.where(X[:, 0] > 0, "up", "down")
    >>> clf = LinearHeadClassifier(max_epochs=5, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:3]).shape, clf.classes_.tolist()
    ((3, 2), ['down', 'up'])
    """

    _parameter_constraints: dict = {**_TRAINING_CONSTRAINTS}

    def __init__(self, *, lr=1e-2, max_epochs=200, batch_size=64, weight_decay=1e-4,
                 validation_fraction=0.1, patience=10, device="auto", random_state=None,
                 verbose=0):
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose


class LinearHeadRegressor(_LinearMixin, _HeadRegressor):
    __doc__ = f"""A linear regression head trained with skorch.

    One linear layer from the features to the targets, trained with the mean squared
    error on standardised targets, AdamW and early stopping on a validation split.
    Standardise the features first (``StandardScaler`` in a ``Pipeline``).

    Parameters
    ----------
    {_TRAINING_DOC.format(lr="1e-2")}

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen in ``fit``.
    net_ : skorch.NeuralNetRegressor
        The trained net; ``net_.module_`` is the :class:`skmts.nn.LinearHead`.
    n_epochs_ : int
        Number of epochs trained.

    See Also
    --------
    MLPHeadRegressor : A 5-layer MLP head.
    EndToEndRegressor : The same head trained jointly with a backbone.

    Examples
    --------
    >>> import numpy as np
    >>> from skmts.heads import LinearHeadRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(40, 5)); y = 3 * X[:, 0] + 1
    >>> reg = LinearHeadRegressor(max_epochs=5, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {**_TRAINING_CONSTRAINTS}

    def __init__(self, *, lr=1e-2, max_epochs=200, batch_size=64, weight_decay=1e-4,
                 validation_fraction=0.1, patience=10, device="auto", random_state=None,
                 verbose=0):
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose


_MLP_DOC = """hidden_size : int, default=64
        Width of the hidden layers.
    n_layers : int, default=5
        Number of linear layers, the output layer included (ReLU between them): the
        default is the 5-layer MLP head of arXiv 2411.03941; 1 is a linear head.
    dropout : float, default=0.0
        Dropout after each hidden ReLU (training only)."""


class MLPHeadClassifier(_MLPMixin, _HeadClassifier):
    __doc__ = f"""A multi-layer perceptron classification head trained with skorch.

    By default 5 linear layers with ReLU (the "complex" head of arXiv 2411.03941),
    trained with cross-entropy, AdamW and early stopping on a validation split.
    Standardise the features first (``StandardScaler`` in a ``Pipeline``).

    Parameters
    ----------
    {_MLP_DOC}
    {_TRAINING_DOC.format(lr="1e-3")}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    net_ : skorch.NeuralNetClassifier
        The trained net; ``net_.module_`` is the :class:`skmts.nn.MLPHead`.
    n_epochs_ : int
        Number of epochs trained.

    See Also
    --------
    LinearHeadClassifier : A linear head.
    EndToEndClassifier : The same head trained jointly with a backbone.

    References
    ----------
    .. [1] "Modular Deep Learning for Multivariate Time-Series: Decoupling
       Imputation and Downstream Tasks", arXiv 2411.03941.

    Examples
    --------
    >>> import numpy as np
    >>> from skmts.heads import MLPHeadClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(40, 5)); y = (X[:, 0] > 0).astype(int)
    >>> clf = MLPHeadClassifier(hidden_size=8, max_epochs=5, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {**_MLP_CONSTRAINTS, **_TRAINING_CONSTRAINTS}

    def __init__(self, hidden_size=64, *, n_layers=5, dropout=0.0, lr=1e-3, max_epochs=200,
                 batch_size=64, weight_decay=1e-4, validation_fraction=0.1, patience=10,
                 device="auto", random_state=None, verbose=0):
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.dropout = dropout
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose


class MLPHeadRegressor(_MLPMixin, _HeadRegressor):
    __doc__ = f"""A multi-layer perceptron regression head trained with skorch.

    By default 5 linear layers with ReLU (the "complex" head of arXiv 2411.03941,
    which it found clearly better than a linear head for regression), trained with
    the mean squared error on standardised targets, AdamW and early stopping.
    Standardise the features first (``StandardScaler`` in a ``Pipeline``).

    Parameters
    ----------
    {_MLP_DOC}
    {_TRAINING_DOC.format(lr="1e-3")}

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen in ``fit``.
    net_ : skorch.NeuralNetRegressor
        The trained net; ``net_.module_`` is the :class:`skmts.nn.MLPHead`.
    n_epochs_ : int
        Number of epochs trained.

    See Also
    --------
    LinearHeadRegressor : A linear head.
    EndToEndRegressor : The same head trained jointly with a backbone.

    Examples
    --------
    >>> import numpy as np
    >>> from skmts.heads import MLPHeadRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(40, 5)); y = X[:, 0] ** 2
    >>> reg = MLPHeadRegressor(hidden_size=8, max_epochs=5, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {**_MLP_CONSTRAINTS, **_TRAINING_CONSTRAINTS}

    def __init__(self, hidden_size=64, *, n_layers=5, dropout=0.0, lr=1e-3, max_epochs=200,
                 batch_size=64, weight_decay=1e-4, validation_fraction=0.1, patience=10,
                 device="auto", random_state=None, verbose=0):
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.dropout = dropout
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
