"""Linear and MLP heads: scikit-learn estimators on 2-D features, trained with skorch.

The heads are what sits on top of a representation transformer
(``Pipeline([("emb", DMAETransformer()), ("clf", LinearHeadClassifier())])``) and what
an end-to-end estimator puts on top of the same backbone when both train together
(:class:`skmts.end_to_end.EndToEndClassifier`). A head carries its own training recipe
(``lr``, ``max_epochs``, ``batch_size``, ``weight_decay``, ``validation_fraction``,
``patience``); the end-to-end estimators reuse it, so "the same head" means the same
architecture *and* the same recipe on both sides of the modular/end-to-end comparison.

A head standardises its input itself (``standardize=True``, the default): the mean and
standard deviation of each training feature become a fixed first layer of the torch
head, because linear probing needs standardised features and because a layer inside
the head, unlike a ``StandardScaler`` step in a ``Pipeline``, is carried into joint
training, where the end-to-end estimator starts from the same statistics (see
:mod:`skmts.heads._base`).

The skorch net lives in the fitted attribute ``net_``: the estimators do not subclass
skorch, so ``get_params`` lists exactly the parameters below. The shared machinery
(fit, predict, the recipe, the standardisation) is in :mod:`skmts.heads._base`.
"""

from __future__ import annotations

from ._base import (
    _MLP_CONSTRAINTS,
    _TRAINING_CONSTRAINTS,
    _HeadClassifier,
    _HeadRegressor,
    _LinearMixin,
    _MLPMixin,
)
from ._docs import _MLP_DOC, _TRAINING_DOC

__all__ = [
    "LinearHeadClassifier",
    "LinearHeadRegressor",
    "MLPHeadClassifier",
    "MLPHeadRegressor",
]


class LinearHeadClassifier(_LinearMixin, _HeadClassifier):
    __doc__ = f"""A linear classification head trained with skorch (softmax regression).

    One linear layer from the features to the class logits, trained with cross-entropy,
    AdamW and early stopping on a validation split. It runs on a GPU when one is there.
    The features are standardised inside the head (``standardize``, on by default):
    no ``StandardScaler`` is needed in front of it.

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
        The trained net; ``net_.module_`` is the :class:`skmts.nn.LinearHead` (its
        ``.standardize`` the standardisation layer, or None) and ``net_.history``
        its training history.
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
    >>> clf.net_.module_.standardize  # the training features' mean and std, fixed
    Standardize(n_features=5, trainable=False)
    """

    _parameter_constraints: dict = {**_TRAINING_CONSTRAINTS}

    def __init__(self, *, standardize=True, lr=1e-2, max_epochs=200, batch_size=64,
                 weight_decay=1e-4, validation_fraction=0.1, patience=10, callbacks=None,
                 device="auto", random_state=None, verbose=0):
        self.standardize = standardize
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose


class LinearHeadRegressor(_LinearMixin, _HeadRegressor):
    __doc__ = f"""A linear regression head trained with skorch.

    One linear layer from the features to the targets, trained with the mean squared
    error on standardised targets, AdamW and early stopping on a validation split.
    The features are standardised inside the head (``standardize``).

    Parameters
    ----------
    {_TRAINING_DOC.format(lr="1e-2")}

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen in ``fit``.
    net_ : skorch.NeuralNetRegressor
        The trained net; ``net_.module_`` is the :class:`skmts.nn.LinearHead`
        (``.standardize``: the standardisation layer, or None).
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

    def __init__(self, *, standardize=True, lr=1e-2, max_epochs=200, batch_size=64,
                 weight_decay=1e-4, validation_fraction=0.1, patience=10, callbacks=None,
                 device="auto", random_state=None, verbose=0):
        self.standardize = standardize
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose


class MLPHeadClassifier(_MLPMixin, _HeadClassifier):
    __doc__ = f"""A multi-layer perceptron classification head trained with skorch.

    By default 5 linear layers with ReLU (the "complex" head of arXiv 2411.03941),
    trained with cross-entropy, AdamW and early stopping on a validation split.
    The features are standardised inside the head (``standardize``).

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
        The trained net; ``net_.module_`` is the :class:`skmts.nn.MLPHead`
        (``.standardize``: the standardisation layer, or None).
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

    def __init__(self, hidden_size=64, *, n_layers=5, dropout=0.0, standardize=True,
                 lr=1e-3, max_epochs=200, batch_size=64, weight_decay=1e-4,
                 validation_fraction=0.1, patience=10, callbacks=None, device="auto",
                 random_state=None, verbose=0):
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.dropout = dropout
        self.standardize = standardize
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose


class MLPHeadRegressor(_MLPMixin, _HeadRegressor):
    __doc__ = f"""A multi-layer perceptron regression head trained with skorch.

    By default 5 linear layers with ReLU (the "complex" head of arXiv 2411.03941,
    which it found clearly better than a linear head for regression), trained with
    the mean squared error on standardised targets, AdamW and early stopping.
    The features are standardised inside the head (``standardize``).

    Parameters
    ----------
    {_MLP_DOC}
    {_TRAINING_DOC.format(lr="1e-3")}

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen in ``fit``.
    net_ : skorch.NeuralNetRegressor
        The trained net; ``net_.module_`` is the :class:`skmts.nn.MLPHead`
        (``.standardize``: the standardisation layer, or None).
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

    def __init__(self, hidden_size=64, *, n_layers=5, dropout=0.0, standardize=True,
                 lr=1e-3, max_epochs=200, batch_size=64, weight_decay=1e-4,
                 validation_fraction=0.1, patience=10, callbacks=None, device="auto",
                 random_state=None, verbose=0):
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.dropout = dropout
        self.standardize = standardize
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
