"""End-to-end estimators: a representation backbone and a head trained on the labels.

The modular way is ``Pipeline([("emb", backbone), ("clf", head)])``: the backbone is
pretrained self-supervised and frozen, and only the head sees the labels. The
end-to-end estimators take the *same* two objects and, by default, fine-tune the
backbone together with the head (the DMAE protocol: pretrain, then fine-tune), so
that both sides of the question "modular or end-to-end?" are asked with one backbone
and one head. ``from_pipeline`` builds the end-to-end twin of a (fitted) modular
pipeline; with ``max_epochs=0`` the twin predicts what the pipeline predicts, and
every epoch of joint training starts from there. The shared machinery is in
:mod:`skmts.end_to_end._base`.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from ..heads import (
    LinearHeadClassifier,
    LinearHeadRegressor,
    MLPHeadClassifier,
    MLPHeadRegressor,
)
from ..heads._base import class_indices, scaled_targets
from ..training._recipe import softmax, unscale_targets
from ._base import BaseEndToEnd
from ._docs import _ATTRS_DOC, _FROM_PIPELINE_DOC, _PARAMS_DOC

__all__ = ["EndToEndClassifier", "EndToEndRegressor"]


class EndToEndClassifier(ClassifierMixin, BaseEndToEnd):
    __doc__ = f"""A backbone and a classification head trained together on the labels.

    The end-to-end counterpart of ``Pipeline([("emb", backbone), ("clf", head)])``.
    If ``backbone`` is not fitted, its self-supervised pretraining runs first
    (``pretrain=True``) or it is only built (``pretrain=False``, from scratch). Then,
    with ``freeze=False``, backbone and head are fine-tuned jointly through skorch
    with cross-entropy, AdamW, a smaller learning rate for the backbone, and early
    stopping on a validation split; with ``freeze=True`` only the head is trained,
    exactly as in the modular pipeline. The head's input standardisation (its
    ``standardize``) is part of the joint module, with the statistics of the
    backbone's frozen features, so joint training starts from the pipeline's
    function. :meth:`from_pipeline` builds the twin of a (fitted) pipeline: with
    ``max_epochs=0`` it predicts what the pipeline predicts.

    Parameters
    ----------
    {_PARAMS_DOC.format(linear="LinearHeadClassifier", mlp="MLPHeadClassifier")}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    {_ATTRS_DOC}

    See Also
    --------
    EndToEndRegressor : The same for regression.
    LinearHeadClassifier : The default head, usable in a modular Pipeline.

    References
    ----------
    .. [1] "Modular Deep Learning for Multivariate Time-Series: Decoupling
       Imputation and Downstream Tasks", arXiv 2411.03941.
    .. [2] DMAE, arXiv 2509.16078 (pretrain, then fine-tune).

    Examples
    --------
    >>> import numpy as np
    >>> from skmts.end_to_end import EndToEndClassifier
    >>> from skmts.heads import LinearHeadClassifier
    >>> from skmts.representation._dmae import DMAETransformer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(12, 16, 3)); y = np.array(["a", "b"] * 6)
    >>> backbone = DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16, max_epochs=1)
    >>> clf = EndToEndClassifier(backbone, head=LinearHeadClassifier(max_epochs=2),
    ...                          random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape, clf.classes_.tolist()
    ((12, 2), ['a', 'b'])
    """

    _kind = "classifier"
    _heads = {"linear": LinearHeadClassifier, "mlp": MLPHeadClassifier}

    @classmethod
    def from_pipeline(cls, pipeline, **params):
        return cls._from_pipeline(pipeline, params)

    from_pipeline.__func__.__doc__ = _FROM_PIPELINE_DOC.format(
        step="clf", kind="classification", name="EndToEndClassifier",
        sk_head="LogisticRegression",
    ) + """

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.pipeline import Pipeline
        >>> from skmts import DMAETransformer, EndToEndClassifier, LinearHeadClassifier
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(12, 16, 3)); y = np.array(["a", "b"] * 6)
        >>> pipe = Pipeline([
        ...     ("emb", DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16,
        ...                             max_epochs=1, random_state=0)),
        ...     ("clf", LinearHeadClassifier(max_epochs=3, random_state=0)),
        ... ]).fit(X, y)
        >>> twin = EndToEndClassifier.from_pipeline(pipe, max_epochs=0).fit(X, y)
        >>> bool(np.allclose(twin.predict_proba(X), pipe.predict_proba(X), atol=1e-5))
        True
        >>> tuned = EndToEndClassifier.from_pipeline(pipe, max_epochs=2, random_state=0)
        >>> tuned.fit(X, y).predict(X).shape
        (12,)
        """

    def _check_targets(self, y, start=None):
        self.classes_, y_idx = class_indices(y, start)
        return y_idx

    def _n_outputs(self, targets) -> int:
        return len(self.classes_)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), list or DataFrame
            The panel.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        panel = self._panel(X)
        if self.freeze:
            return self.head_.predict_proba(self.backbone_.encode_panel(panel))
        return softmax(self._joint_outputs(panel, "predict_proba"))

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), list or DataFrame
            The panel.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class EndToEndRegressor(RegressorMixin, BaseEndToEnd):
    __doc__ = f"""A backbone and a regression head trained together on the targets.

    The end-to-end counterpart of ``Pipeline([("emb", backbone), ("reg", head)])``;
    see :class:`EndToEndClassifier` for the flow, the head's standardisation and
    :meth:`from_pipeline`. Joint training minimises the mean squared error on
    standardised targets (predictions are transformed back); starting from a fitted
    head, its target scaling is kept.

    Parameters
    ----------
    {_PARAMS_DOC.format(linear="LinearHeadRegressor", mlp="MLPHeadRegressor")}

    Attributes
    ----------
    {_ATTRS_DOC}

    See Also
    --------
    EndToEndClassifier : The same for classification.
    MLPHeadRegressor : A 5-layer MLP head, usable in a modular Pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from skmts.end_to_end import EndToEndRegressor
    >>> from skmts.heads import LinearHeadRegressor
    >>> from skmts.representation._dmae import DMAETransformer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(12, 16, 3)); y = X[:, :, 0].mean(axis=1)
    >>> backbone = DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16, max_epochs=1)
    >>> reg = EndToEndRegressor(backbone, head=LinearHeadRegressor(max_epochs=2),
    ...                         random_state=0).fit(X, y)
    >>> reg.predict(X).shape
    (12,)
    """

    _kind = "regressor"
    _heads = {"linear": LinearHeadRegressor, "mlp": MLPHeadRegressor}

    @classmethod
    def from_pipeline(cls, pipeline, **params):
        return cls._from_pipeline(pipeline, params)

    from_pipeline.__func__.__doc__ = _FROM_PIPELINE_DOC.format(
        step="reg", kind="regression", name="EndToEndRegressor", sk_head="Ridge",
    ) + """

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.pipeline import Pipeline
        >>> from skmts import DMAETransformer, EndToEndRegressor, LinearHeadRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(12, 16, 3)); y = X[:, :, 0].mean(axis=1)
        >>> pipe = Pipeline([
        ...     ("emb", DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16,
        ...                             max_epochs=1, random_state=0)),
        ...     ("reg", LinearHeadRegressor(max_epochs=3, random_state=0)),
        ... ]).fit(X, y)
        >>> twin = EndToEndRegressor.from_pipeline(pipe, max_epochs=0).fit(X, y)
        >>> bool(np.allclose(twin.predict(X), pipe.predict(X), atol=1e-5))
        True
        """

    def _check_targets(self, y, start=None):
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim > 2:
            raise ValueError(f"y must be 1-D or 2-D; got shape {y.shape}.")
        self._y_1d = y.ndim == 1
        y_scaled, self._y_mean, self._y_scale = scaled_targets(y, start)
        return y_scaled

    def _n_outputs(self, targets) -> int:
        return targets.shape[1]

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), list or DataFrame
            The panel.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            float64, 1-D when ``y`` was 1-D in ``fit``.
        """
        panel = self._panel(X)
        if self.freeze:
            return self.head_.predict(self.backbone_.encode_panel(panel))
        pred = self._joint_outputs(panel, "predict")
        return unscale_targets(pred, self._y_mean, self._y_scale, self._y_1d)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
