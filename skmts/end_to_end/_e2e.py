"""End-to-end estimators: a representation backbone and a head trained on the labels.

The modular way is ``Pipeline([("emb", backbone), ("clf", head)])``: the backbone is
pretrained self-supervised and frozen, and only the head sees the labels. The
end-to-end estimators take the *same* two objects and, by default, fine-tune the
backbone together with the head (the DMAE protocol: pretrain, then fine-tune), so
that both sides of the question "modular or end-to-end?" are asked with one backbone
and one head.
"""

from __future__ import annotations

import copy
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils.validation import check_is_fitted

from .._compat import HasMethods, Interval, StrOptions, _fit_context
from .._utils import (
    RUNTIME_CONSTRAINTS,
    logger,
    resolve_device,
    seed_from,
    torch_seed_scope,
    unwrap_frozen,
)
from .._validation import Panel, check_panel
from ..heads import (
    LinearHeadClassifier,
    LinearHeadRegressor,
    MLPHeadClassifier,
    MLPHeadRegressor,
)
from ..nn._heads import EncoderWithHead
from ..representation._base import BaseSeriesTransformer
from ..training._recipe import (
    encode_labels,
    infer,
    run_batched,
    scale_targets,
    train_net,
    unscale_targets,
)

__all__ = ["EndToEndClassifier", "EndToEndRegressor"]

_PROTOCOL = ["fit_panel", "encode_panel", "feature_inputs", "feature_module"]

_PARAMS_DOC = """backbone : BaseSeriesTransformer or FrozenEstimator
        Any skmts representation transformer (``DMAETransformer``,
        ``FrozenImputerTransformer``, ...), fitted or not. It is never modified: an
        unfitted backbone is cloned and fitted, a fitted one is deep-copied.
        ``sklearn.base.clone`` (used by ``GridSearchCV``, ``cross_val_score``, sktime's
        benchmarking, ...) unfits estimator parameters: to keep a pretrained backbone
        through a clone, pass it as ``sklearn.frozen.FrozenEstimator(backbone)``.
    head : {{"linear", "mlp"}} or head estimator, default="linear"
        The head: "linear" is ``{linear}()``, "mlp" is ``{mlp}()`` (5 layers), each
        with this estimator's ``device``, ``random_state`` and ``verbose``. A head
        estimator from :mod:`skmts.heads` is cloned; its architecture *and* training
        recipe (``lr``, ``max_epochs``, ``batch_size``, ``weight_decay``,
        ``validation_fraction``, ``patience``) are used, so the same head object
        can be compared in a modular ``Pipeline`` and here.
    pretrain : bool, default=True
        For an unfitted backbone: run its self-supervised pretraining first (True),
        or only build it with random weights (False: training from scratch). Ignored
        for a fitted backbone.
    freeze : bool, default=False
        True trains only the head, on the backbone's ``transform`` output: the
        predictions then equal those of ``Pipeline([("emb", backbone), ("clf",
        head)])`` with the same fitted backbone and head. False fine-tunes backbone
        and head jointly on the labels.
    backbone_lr : float or None, default=None
        Learning rate of the backbone's parameters during joint training (a separate
        optimizer parameter group); None uses one tenth of the head's ``lr``.
    device : str or torch.device, default="auto"
        Device of the joint training: "auto" (CUDA when available), "cpu", "cuda" or
        "cuda:N". Also given to a head named by a string.
    random_state : int, RandomState instance or None, default=None
        Seeds the joint training (head initialisation, shuffling, validation split);
        it is also given to the backbone's clone and to the head when their own
        ``random_state`` is None. The global random states are left as found.
    verbose : int, default=0
        0 is silent; >= 1 shows a progress bar during joint training and logs one
        line per epoch (and the phases) to the ``"skmts"`` logger at INFO."""

_ATTRS_DOC = """backbone_ : BaseSeriesTransformer
        The fitted copy of the backbone, before fine-tuning (its ``transform`` gives
        the frozen features; :meth:`transform` gives the fine-tuned ones).
    net_ : skorch.NeuralNet
        With ``freeze=False``: the jointly trained net; ``net_.module_`` is an
        :class:`skmts.nn.EncoderWithHead` (``.encoder``, ``.head``) and
        ``net_.history`` the fine-tuning history.
    head_ : head estimator
        With ``freeze=True``: the head fitted on the backbone's features.
    n_features_in_ : int
        Number of channels seen in ``fit``.
    n_channels_in_ : int
        Number of channels seen in ``fit``.
    n_timesteps_in_ : int
        Length of the longest series seen in ``fit``."""


class _BaseEndToEnd(BaseEstimator):
    _kind: str = ""
    _heads: dict = {}

    _parameter_constraints: dict = {
        "backbone": [HasMethods(_PROTOCOL)],
        "head": [StrOptions({"linear", "mlp"}), HasMethods(["fit", "_build_module"])],
        "pretrain": ["boolean"],
        "freeze": ["boolean"],
        "backbone_lr": [Interval(Real, 0, None, closed="neither"), None],
        **RUNTIME_CONSTRAINTS,
    }

    def __init__(self, backbone, head="linear", *, pretrain=True, freeze=False,
                 backbone_lr=None, device="auto", random_state=None, verbose=0):
        self.backbone = backbone
        self.head = head
        self.pretrain = pretrain
        self.freeze = freeze
        self.backbone_lr = backbone_lr
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ---- fit ---------------------------------------------------------------------------
    def _check_components(self):
        """The user's backbone (out of a FrozenEstimator), checked, and the head checked."""
        backbone = unwrap_frozen(self.backbone)
        if not isinstance(backbone, BaseSeriesTransformer):
            raise TypeError(
                f"backbone must be an skmts representation transformer (a subclass of "
                f"BaseSeriesTransformer such as DMAETransformer), or one wrapped in "
                f"sklearn.frozen.FrozenEstimator; got {type(backbone).__name__}."
            )
        if backbone is not self.backbone:
            check_is_fitted(backbone)
        if not isinstance(self.head, str) and getattr(self.head, "_kind", None) != self._kind:
            raise ValueError(
                f"head must be 'linear', 'mlp' or a {self._kind} head from skmts.heads "
                f"(e.g. {self._heads['linear'].__name__}); got {type(self.head).__name__}."
            )
        return backbone

    def _make_head(self):
        if isinstance(self.head, str):
            return self._heads[self.head](
                device=self.device, random_state=self.random_state, verbose=self.verbose
            )
        head = clone(self.head)
        if head.random_state is None and self.random_state is not None:
            head.set_params(random_state=self.random_state)
        return head

    def _fit_backbone(self, backbone, X):
        """A fitted backbone that is not the user's ``backbone``: (backbone, its panel of X)."""
        try:
            check_is_fitted(backbone)
            fitted = True
        except NotFittedError:
            fitted = False
        if fitted:
            backbone = copy.deepcopy(backbone)
            return backbone, check_panel(backbone, X, reset=False)
        backbone = clone(backbone)
        if (
            "random_state" in backbone.get_params()
            and backbone.random_state is None
            and self.random_state is not None
        ):
            backbone.set_params(random_state=self.random_state)
        backbone._validate_params()
        panel = check_panel(backbone, X, reset=True)
        logger.log(
            20 if self.verbose else 10,
            "%s: %s the backbone %s",
            type(self).__name__,
            "pretraining" if self.pretrain else "building (untrained)",
            type(backbone).__name__,
        )
        backbone.fit_panel(panel, train=bool(self.pretrain))
        return backbone, panel

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the backbone (unless fitted) and train the head, or both jointly.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), list or DataFrame
            The panel; NaN marks a missing value. A 2-D array is a panel of
            univariate series; a list of 2-D arrays may hold series of different
            lengths.
        y : array-like of shape (n_samples,)
            The labels (classifier) or targets (regressor; also (n_samples,
            n_outputs)).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        user_backbone = self._check_components()
        panel = check_panel(self, X, reset=True)
        check_consistent_length(panel.values, y)
        targets = self._check_targets(y)
        head = self._make_head()
        backbone, bb_panel = self._fit_backbone(user_backbone, X)
        for attr in ("net_", "head_"):
            if hasattr(self, attr):
                delattr(self, attr)
        if self.freeze:
            logger.log(20 if self.verbose else 10, "%s: training the head on frozen features",
                       type(self).__name__)
            self.head_ = head.fit(backbone.encode_panel(bb_panel), y)
        else:
            self._fit_joint(backbone, head, bb_panel, targets)
        self.backbone_ = backbone
        return self

    def _fit_joint(self, backbone, head, panel: Panel, targets) -> None:
        device = resolve_device(self.device)
        seed = seed_from(self.random_state)
        n_out = self._n_outputs(targets)
        with torch_seed_scope(seed, device):
            module = EncoderWithHead(
                backbone.feature_module(), head._build_module(backbone._n_features_out, n_out)
            )
        params = head._training_params()
        backbone_lr = self.backbone_lr if self.backbone_lr is not None else params["lr"] / 10
        logger.log(20 if self.verbose else 10,
                   "%s: fine-tuning backbone (lr=%g) and head (lr=%g) jointly",
                   type(self).__name__, backbone_lr, params["lr"])
        self.net_ = train_net(
            self._kind,
            module,
            backbone.feature_inputs(panel),
            targets,
            device=device,
            seed=seed,
            verbose=self.verbose,
            n_classes=n_out if self._kind == "classifier" else None,
            param_groups=[("encoder.*", {"lr": backbone_lr})],
            **params,
        )
        self.net_.module_.eval()

    # ---- inference ---------------------------------------------------------------------
    def _panel(self, X) -> Panel:
        check_is_fitted(self)
        return check_panel(self, X, reset=False)

    def fit_transform(self, X, y):
        """Fit on ``(X, y)``, then return the features of ``X`` (see :meth:`transform`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), list or DataFrame
            The panel.
        y : array-like of shape (n_samples,)
            The labels or targets.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features), dtype float32
            The encoder's output on ``X`` after training.
        """
        return self.fit(X, y).transform(X)

    def transform(self, X):
        """The features of ``X``: fine-tuned (``freeze=False``) or frozen.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), list or DataFrame
            The panel.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features), dtype float32
            The encoder's output: what the head sees.
        """
        panel = self._panel(X)
        if self.freeze:
            return self.backbone_.encode_panel(panel)
        encoder = self.net_.module_.encoder
        encoder.eval()
        return run_batched(encoder, self.backbone_.feature_inputs(panel),
                           self.net_.batch_size, self.net_.device)

    def __sklearn_tags__(self):
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        # `transform` gives the encoder's output (what the head sees), in float32
        tags.transformer_tags = TransformerTags(preserves_dtype=["float32"])
        return tags


class EndToEndClassifier(ClassifierMixin, _BaseEndToEnd):
    __doc__ = f"""A backbone and a classification head trained together on the labels.

    The end-to-end counterpart of ``Pipeline([("emb", backbone), ("clf", head)])``.
    If ``backbone`` is not fitted, its self-supervised pretraining runs first
    (``pretrain=True``) or it is only built (``pretrain=False``, from scratch). Then,
    with ``freeze=False``, backbone and head are fine-tuned jointly through skorch
    with cross-entropy, AdamW, a smaller learning rate for the backbone, and early
    stopping on a validation split; with ``freeze=True`` only the head is trained,
    exactly as in the modular pipeline.

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

    def _check_targets(self, y):
        encoder, y_idx = encode_labels(y)
        self.classes_ = encoder.classes_
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
        inputs = self.backbone_.feature_inputs(panel)
        proba = np.asarray(infer(self.net_, inputs, "predict_proba"), dtype=np.float64)
        return proba / proba.sum(axis=1, keepdims=True)

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


class EndToEndRegressor(RegressorMixin, _BaseEndToEnd):
    __doc__ = f"""A backbone and a regression head trained together on the targets.

    The end-to-end counterpart of ``Pipeline([("emb", backbone), ("reg", head)])``;
    see :class:`EndToEndClassifier` for the flow. Joint training minimises the mean
    squared error on standardised targets (predictions are transformed back).

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

    def _check_targets(self, y):
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim > 2:
            raise ValueError(f"y must be 1-D or 2-D; got shape {y.shape}.")
        self._y_1d = y.ndim == 1
        y_scaled, self._y_mean, self._y_scale = scale_targets(y)
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
        pred = infer(self.net_, self.backbone_.feature_inputs(panel), "predict")
        return unscale_targets(pred, self._y_mean, self._y_scale, self._y_1d)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
