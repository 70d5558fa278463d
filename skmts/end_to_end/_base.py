"""The shared machinery of the end-to-end estimators: components, fit, inference.

The modular way is ``Pipeline([("emb", backbone), ("clf", head)])``: the backbone is
pretrained self-supervised and frozen, and only the head sees the labels. The
end-to-end estimators take the *same* two objects and, by default, fine-tune the
backbone together with the head (the DMAE protocol: pretrain, then fine-tune), so
that both sides of the question "modular or end-to-end?" are asked with one backbone
and one head. The head's input standardisation (its ``standardize`` parameter) is
part of its torch module, so the joint module starts from the pipeline's function:
its statistics come from the backbone's frozen features of the training panel, or,
for a fitted head (``from_pipeline``), with its weights from that head.
"""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
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
from .._validation import Panel, check_panel, check_y
from ..heads._base import standardize_param_groups
from ..nn._heads import EncoderWithHead
from ..representation._base import BaseSeriesTransformer
from ..training._faults import collect_interrupts, unfit_on_error, user_callbacks
from ..training._recipe import run_batched, train_net
from ._pipeline import pipeline_components

_PROTOCOL = ["fit_panel", "encode_panel", "feature_inputs", "feature_module", "encode_with"]
_HEAD_PROTOCOL = ["fit_from", "make_module", "training_params", "build_module"]  # BaseHead

class BaseEndToEnd(BaseEstimator):
    _kind: str = ""
    _heads: dict = {}

    _parameter_constraints: dict = {
        "backbone": [HasMethods(_PROTOCOL)],
        "head": [StrOptions({"linear", "mlp"}), HasMethods(_HEAD_PROTOCOL)],
        "pretrain": ["boolean"],
        "freeze": ["boolean"],
        "max_epochs": [Interval(Integral, 0, None, closed="left"), None],
        "backbone_lr": [Interval(Real, 0, None, closed="neither"), None],
        "backbone_mode": [StrOptions({"train", "eval"})],
        "callbacks": [list, None],
        **RUNTIME_CONSTRAINTS,
    }

    def __init__(self, backbone, head="linear", *, pretrain=True, freeze=False,
                 max_epochs=None, backbone_lr=None, backbone_mode="train", callbacks=None,
                 device="auto", random_state=None, verbose=0):
        self.backbone = backbone
        self.head = head
        self.pretrain = pretrain
        self.freeze = freeze
        self.max_epochs = max_epochs
        self.backbone_lr = backbone_lr
        self.backbone_mode = backbone_mode
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @classmethod
    def _from_pipeline(cls, pipeline, params: dict):
        for key in ("backbone", "head"):
            if key in params:
                raise TypeError(f"{cls.__name__}.from_pipeline takes {key} from the "
                                f"pipeline; got {key}= as well.")
        backbone, head = pipeline_components(
            pipeline, owner=cls.__name__, kind=cls._kind, heads=cls._heads
        )
        return cls(backbone, head, **params)

    # ---- fit ---------------------------------------------------------------------------
    def _check_components(self):
        """The user's backbone and, for a fitted head in a FrozenEstimator, that head
        (else None), each out of its FrozenEstimator and checked."""
        backbone = unwrap_frozen(self.backbone)
        if not isinstance(backbone, BaseSeriesTransformer):
            raise TypeError(
                f"backbone must be an skmts representation transformer (a subclass of "
                f"BaseSeriesTransformer such as DMAETransformer), or one wrapped in "
                f"sklearn.frozen.FrozenEstimator; got {type(backbone).__name__}."
            )
        if backbone is not self.backbone:
            check_is_fitted(backbone)
        head = unwrap_frozen(self.head)
        if not isinstance(head, str) and getattr(head, "_kind", None) != self._kind:
            raise ValueError(
                f"head must be 'linear', 'mlp' or a {self._kind} head from skmts.heads "
                f"(e.g. {self._heads['linear'].__name__}), possibly a fitted one in "
                f"sklearn.frozen.FrozenEstimator; got {type(head).__name__}."
            )
        start = None
        if head is not self.head:
            check_is_fitted(head)
            start = head
        return backbone, start

    def _make_head(self):
        """An unfitted head estimator with the head's architecture and recipe."""
        if isinstance(self.head, str):
            head = self._heads[self.head](
                device=self.device, random_state=self.random_state, verbose=self.verbose
            )
        else:
            head = clone(unwrap_frozen(self.head))
            if head.random_state is None and self.random_state is not None:
                head.set_params(random_state=self.random_state)
        if self.callbacks:  # after the head's own: the training on the labels gets both
            head.set_params(callbacks=[*(getattr(head, "callbacks", None) or []),
                                       *self.callbacks])
        head._validate_params()
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
    @unfit_on_error
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
        user_backbone, start = self._check_components()
        user_callbacks(self.callbacks, owner=type(self).__name__)  # fail before pretraining
        panel = check_panel(self, X, reset=True)
        y = check_y(self, y, panel.n_samples, classifier=self._kind == "classifier")
        targets = self._check_targets(y, start)
        head = self._make_head()
        with collect_interrupts() as interrupted:
            backbone, bb_panel = self._fit_backbone(user_backbone, X)
        if interrupted:
            raise KeyboardInterrupt(
                f"{type(self).__name__}.fit was interrupted while pretraining its backbone "
                f"({interrupted[0]}); nothing was trained on the labels, so the estimator "
                "is left unfitted."
            )
        if start is not None and start.n_features_in_ != backbone._n_features_out:
            raise ValueError(
                f"The fitted head was trained on {start.n_features_in_} features but the "
                f"backbone {type(backbone).__name__} gives {backbone._n_features_out}."
            )
        for attr in ("net_", "head_"):
            if hasattr(self, attr):
                delattr(self, attr)
        if self.freeze:
            logger.log(20 if self.verbose else 10, "%s: training the head on frozen features",
                       type(self).__name__)
            self.head_ = head.fit_from(backbone.encode_panel(bb_panel), y, start=start,
                                       max_epochs=self.max_epochs)
            self.n_epochs_ = self.head_.n_epochs_
        else:
            self._fit_joint(backbone, head, start, bb_panel, targets)
            self.n_epochs_ = len(self.net_.history)
        self.backbone_ = backbone
        return self

    def _joint_module(self, backbone, head, start, panel: Panel, n_out: int, seed, device):
        """``EncoderWithHead(backbone's feature module, head module)`` before training.

        The head module is a copy of the fitted head ``start``'s, or ``head``'s own
        (:meth:`make_module`, the code path of the heads' ``fit``) with its
        standardisation statistics from the frozen features of ``panel``.
        """
        features = None
        if start is None and head.standardize:
            with torch_seed_scope(seed, device):  # leaves the global RNG as found
                features = backbone.encode_panel(panel)
        with torch_seed_scope(seed, device):
            encoder = backbone.feature_module()
            if start is not None:
                head_module = copy.deepcopy(start.net_.module_)
            else:
                head_module = head.make_module(backbone._n_features_out, n_out, features)
            return self._encoder_with_head(encoder, head_module)

    def _encoder_with_head(self, encoder, head_module):
        """The joint module, ``backbone_mode`` applied (also used when it is loaded)."""
        return EncoderWithHead(encoder, head_module,
                               encoder_eval=self.backbone_mode == "eval")

    def _fit_joint(self, backbone, head, start, panel: Panel, targets) -> None:
        device = resolve_device(self.device)
        seed = seed_from(self.random_state)
        n_out = self._n_outputs(targets)
        module = self._joint_module(backbone, head, start, panel, n_out, seed, device)
        params = head.training_params()
        if self.max_epochs is not None:
            params["max_epochs"] = self.max_epochs
        if params["max_epochs"] == 0:
            params["patience"] = None  # skorch's EarlyStopping needs at least one epoch
        backbone_lr = self.backbone_lr if self.backbone_lr is not None else params["lr"] / 10
        if params["max_epochs"]:
            logger.log(20 if self.verbose else 10,
                       "%s: fine-tuning backbone (lr=%g) and head (lr=%g) jointly",
                       type(self).__name__, backbone_lr, params["lr"])
        else:
            logger.log(20 if self.verbose else 10,
                       "%s: max_epochs=0, the joint module is used untrained",
                       type(self).__name__)
        self.net_ = train_net(
            self._kind,
            module,
            backbone.feature_inputs(panel),
            targets,
            device=device,
            seed=seed,
            verbose=self.verbose,
            n_classes=n_out if self._kind == "classifier" else None,
            param_groups=[("encoder.*", {"lr": backbone_lr}),
                          *standardize_param_groups(module.head, "head.")],
            owner=type(self).__name__,
            hint="Set a lower lr for the head (it is {lr:g}; try {lower:g}) or a "
                 f"lower backbone_lr (it is {backbone_lr:g}).",
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
            The encoder's output: what the head sees (before its standardisation).
        """
        panel = self._panel(X)
        if self.freeze:
            return self.backbone_.encode_panel(panel)
        return self._encode(panel, "transform")

    def _encode(self, panel: Panel, method: str) -> np.ndarray:
        """The fine-tuned encoder's features of ``panel`` (the backbone's ``encode_with``)."""
        encoder = self.net_.module_.encoder.eval()
        return self.backbone_.encode_with(
            encoder, panel, batch_size=self.net_.batch_size, device=self.net_.device,
            what=f"{type(self).__name__}.{method}", setting="the head's batch_size")

    def _joint_outputs(self, panel: Panel, method: str) -> np.ndarray:
        """The fine-tuned net's outputs (logits or scaled targets), float64: the encoder's
        features (:meth:`_encode`), then the head."""
        head = self.net_.module_.head.eval()
        features = self._encode(panel, method)
        return run_batched(lambda x: head(x), {"x": features}, self.net_.batch_size,
                           self.net_.device, what=f"{type(self).__name__}.{method}",
                           setting="the head's batch_size", dtype=np.float64)

    def __sklearn_tags__(self):
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        # `transform` gives the encoder's output (what the head sees), in float32
        tags.transformer_tags = TransformerTags(preserves_dtype=["float32"])
        return tags
