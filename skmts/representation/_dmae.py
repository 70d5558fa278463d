"""DMAETransformer: self-supervised Dual-Masked Autoencoder features (arXiv 2509.16078).

The estimator; how it trains is in :mod:`._dmae_train`, its label-free score in
:mod:`._dmae_score`, the network in :mod:`skmts.nn._dmae`.
"""

from __future__ import annotations

import copy
import functools
from numbers import Integral, Real

import numpy as np
from torch import nn

from .._compat import Interval, StrOptions
from .._utils import (
    RUNTIME_CONSTRAINTS,
    NanStandardScaler,
    resolve_device,
    seed_from,
    torch_seed_scope,
    verbose_logging,
)
from .._validation import Panel
from ..nn._dmae import DMAEFeatures, DMAEModule
from ..nn._pooling import POOLINGS
from ..training._faults import unfit_on_error
from ._base import BaseSeriesTransformer
from ._dmae_score import masked_error, reference_task, score_mask
from ._dmae_train import build_net, check_params, plan_training, recalibrate

__all__ = ["DMAETransformer"]

#: The feature module's class under its former name (pickles made before it moved).
_DMAEFeatures = DMAEFeatures


class DMAETransformer(BaseSeriesTransformer):
    """Self-supervised Dual-Masked Autoencoder features for multivariate time series.

    A Transformer encoder with BatchNorm (the TST design) is trained without labels on
    two tasks at once [1]_: (1) reconstruct values hidden by span masks from the visible
    ones, and (2) predict, through a feature-query cross-attention module, the latent
    that a stop-gradient teacher computes from the complementary view (the hidden
    values only). After training, each series is encoded whole and its latents are
    pooled over observed, unpadded positions into one feature vector.

    Three departures from the paper's design are defaults because they won the
    ablation in ``docs/benchmarks.md`` (each can be switched off): a stem of residual
    dilated convolutions (TS2Vec's blocks) sees local shape before the Transformer;
    ``patch_len`` consecutive steps form one token, with masks drawn over whole
    patches; and a TS2Vec-style contrastive loss ties the student's latents of the two
    complementary views together. ``patch_len=1, n_conv_blocks=0, mask_ratio=0.15,
    mean_span=3, contrastive_weight=0`` is the paper's recipe.

    Missing values (NaN) are allowed anywhere: they are never shown to the encoder as
    values (a mask channel marks them) and never enter a loss. Series may have
    different lengths (pass a list); padding is kept out of attention, BatchNorm
    statistics, losses and pooling. Series longer than those seen in fit are encoded
    too (positions are sinusoidal).

    Parameters
    ----------
    d_model : int, default=64
        Width of the encoder (must be divisible by ``n_heads``).
    n_heads : int, default=8
        Attention heads.
    n_layers : int, default=3
        Encoder layers.
    d_ff : int, default=256
        Width of the feed-forward block.
    dropout : float, default=0.1
        Dropout on the input embedding and after attention and feed-forward blocks.
    norm : {"batch", "layer"}, default="batch"
        Normalisation in the encoder layers.
    patch_len : int or "auto", default="auto"
        Steps per token. "auto" gives about 32 tokens to the longest training series:
        ``ceil(n_timesteps / 32)`` (1, one token per step, for series of up to 32 steps).
    n_conv_blocks : int, default=3
        Residual dilated convolution blocks (dilations 1, 2, 4, ...) before the
        Transformer; 0 embeds each patch's values linearly (PatchTST, TST).
    mask_ratio : float, default=0.6
        Expected fraction of patches hidden from the student, in (0, 1).
    mean_span : float, default=2
        Mean length, in patches, of a hidden span (geometric distribution), >= 1.
    mask_per_channel : bool, default=False
        Draw masks per channel (TST) rather than hide all channels of a patch at once.
    alignment_weight : float, default=1.0
        Weight of the latent alignment loss; 0 trains reconstruction only (no teacher).
    contrastive_weight : float, default=1.0
        Weight of a TS2Vec-style hierarchical contrastive loss between the student's
        tokens of the two complementary views (the student also encodes the hidden
        values, with gradient: one more student pass per batch); 0 leaves it out, as
        the paper does.
    teacher : {"ema", "shared"}, default="ema"
        The teacher's weights: an exponential moving average of the student's, or the
        student's own. Either way it runs without gradient.
    teacher_view : {"complement", "full"}, default="complement"
        What the teacher encodes: the values hidden from the student (the paper's dual
        masks) or the whole series (a data2vec-style target).
    ema_momentum : float, default=0.99
        Starting momentum of the EMA teacher, in [0, 1); it rises to 1 over the run
        (cosine schedule, BYOL).
    pooling : {"mean", "max", "meanmax", "last", "segments", "segmentsmax", \
            "meanmaxppv", "multiscale"}, default="meanmax"
        How latents become one vector over the observed, unpadded positions: "meanmax"
        concatenates mean and max; "segments" is the mean over each of 4 consecutive
        segments plus the max (coarse order kept); "segmentsmax" adds the mean;
        "meanmaxppv" adds to "meanmax" the proportion of positive values (MiniRocket's
        PPV); "multiscale" is the mean and the max over the series, its halves and its
        quarters (TS2Vec-style multi-scale max pooling).
    layers : {"all", "last"}, default="all"
        Pool the stem's output and every encoder layer's and concatenate (features at
        several depths), or the last layer's only.
    max_epochs : int or "auto", default="auto"
        Training epochs. "auto" gives about 200 optimiser steps (600 when the panel has
        over 100 000 observed values, TS2Vec's rule), at least one epoch. 0 trains
        nothing: a randomly initialised encoder whose BatchNorm statistics are set from
        the data (the "twin" a trained model is compared with).
    batch_size : int or "auto", default="auto"
        Series per batch; "auto" is ``n_samples // 8`` clipped to [8, 64].
    lr : float, default=1e-3
        Peak AdamW learning rate.
    weight_decay : float, default=0.01
        AdamW weight decay.
    lr_schedule : {"cosine", "constant"}, default="cosine"
        "cosine": linear warm-up over 5 % of the steps, then cosine decay to 0.
    validation_fraction : float, default=0.0
        Fraction of the series (``ceil(fraction * n)``) held out to monitor the masked
        loss for early stopping (with ``patience``); 0 holds nothing out. Skipped when
        it would leave fewer than 2 training series.
    patience : int or None, default=None
        Epochs without improvement of the monitored loss (``valid_loss``, or
        ``train_loss`` without a validation part) before training stops; the best
        epoch's weights are restored when there is a validation part. None trains for
        ``max_epochs`` (the schedule decays to 0 anyway).
    callbacks : list or None, default=None
        Extra skorch callbacks for the training: callback instances (e.g.
        ``skorch.callbacks.Checkpoint(dirname=...)``) or ``(name, callback)`` pairs.
        They run after skmts's own callbacks (gradient clipping, the learning-rate
        schedule, the EMA teacher, a guard that stops training with a
        ``RuntimeError`` when the loss becomes NaN or infinite, early stopping, the
        progress bar), in the order given, and before any added by
        :func:`skmts.training.extra_callbacks`; early stopping ends training only once
        every callback has seen the epoch. Each ``fit`` trains with fresh copies
        (``sklearn.base.clone`` of each callback), so one list serves several fits and
        the clones of ``GridSearchCV``; the copies used are in ``net_.callbacks_``.
        Parameters a callback loads into ``net_`` after ``fit`` skip the BatchNorm
        recalibration described in the Notes.
    device : str, default="auto"
        "auto" (CUDA when available), "cpu", "cuda" or "cuda:N".
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, masks, shuffling and the validation split.
        Global RNG state is left as found.
    verbose : int, default=0
        0 is silent; >= 1 shows a progress bar and logs one line per epoch to the
        ``"skmts"`` logger (shown on stderr when the application configured no logging).

    Attributes
    ----------
    n_features_in_ : int
        Number of channels seen in fit (``n_channels_in_``).
    n_channels_in_ : int
        Number of channels seen in fit.
    n_timesteps_in_ : int
        Length of the longest series seen in fit.
    feature_names_in_ : ndarray of str objects
        The column names of a DataFrame seen in fit, when all are strings: the
        channels of an (instance, time) MultiIndex frame, the time steps of a plain
        (wide) frame. Only set then; later DataFrames must have the same columns.
    patch_len_ : int
        Steps per token used.
    batch_size_ : int
        Series per training batch used.
    max_epochs_ : int
        Epochs the training was planned for.
    scaler_ : NanStandardScaler
        Per-channel mean and scale learned from observed values.
    net_ : skorch.NeuralNet
        The trained network and its training loop.
    module_ : DMAEModule
        The trained torch module (``net_.module_``).
    history_ : skorch.History
        Per-epoch training (and validation) loss.

    See Also
    --------
    FrozenImputerTransformer : Embeddings from a frozen PyPOTS imputer.

    Notes
    -----
    After training, BatchNorm running statistics are recomputed from the whole,
    unmasked training series, so ``transform`` normalises with the statistics of what
    it encodes (during training they followed masked inputs and moving weights).

    Ctrl-C (``KeyboardInterrupt``) during ``fit`` ends the training early with a
    ``UserWarning`` naming the epoch: the estimator keeps the weights trained so far
    (the best epoch's when early stopping restores them), recalibrates its BatchNorm
    statistics and is fully usable. Early stopping gives no warning. A NaN or infinite
    training loss stops ``fit`` with a ``RuntimeError`` naming the epoch and batch (try
    a lower ``lr``), and the estimator is left unfitted. If the GPU runs out of memory
    in ``transform``, ``impute`` or ``score``, the batch size is halved (down to 1, with
    a warning) before a ``RuntimeError`` is raised.

    References
    ----------
    .. [1] "MTS-DMAE: Dual-Masked Autoencoder for Unsupervised Multivariate Time
       Series Representation Learning", arXiv:2509.16078.
    .. [2] G. Zerveas et al., "A Transformer-based Framework for Multivariate Time
       Series Representation Learning", KDD 2021.
    .. [3] Z. Yue et al., "TS2Vec: Towards Universal Representation of Time Series",
       AAAI 2022.
    .. [4] Y. Nie et al., "A Time Series is Worth 64 Words", ICLR 2023 (PatchTST).

    Examples
    --------
    >>> import numpy as np
    >>> from skmts import DMAETransformer
    >>> X = np.random.default_rng(0).normal(size=(8, 16, 3))
    >>> X[0, 3, 1] = np.nan
    >>> emb = DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16, n_conv_blocks=1,
    ...                       max_epochs=1, random_state=0).fit(X)
    >>> emb.transform(X).shape
    (8, 32)
    """

    _parameter_constraints: dict = {
        "d_model": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "d_ff": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "norm": [StrOptions({"batch", "layer"})],
        "patch_len": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_conv_blocks": [Interval(Integral, 0, None, closed="left")],
        "mask_ratio": [Interval(Real, 0, 1, closed="neither")],
        "mean_span": [Interval(Real, 1, None, closed="left")],
        "mask_per_channel": ["boolean"],
        "alignment_weight": [Interval(Real, 0, None, closed="left")],
        "contrastive_weight": [Interval(Real, 0, None, closed="left")],
        "teacher": [StrOptions({"ema", "shared"})],
        "teacher_view": [StrOptions({"complement", "full"})],
        "ema_momentum": [Interval(Real, 0, 1, closed="left")],
        "pooling": [StrOptions(set(POOLINGS))],
        "layers": [StrOptions({"last", "all"})],
        "max_epochs": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "lr_schedule": [StrOptions({"cosine", "constant"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "callbacks": [list, None],
        **RUNTIME_CONSTRAINTS,
    }

    def __init__(
        self,
        d_model=64,
        *,
        n_heads=8,
        n_layers=3,
        d_ff=256,
        dropout=0.1,
        norm="batch",
        patch_len="auto",
        n_conv_blocks=3,
        mask_ratio=0.6,
        mean_span=2,
        mask_per_channel=False,
        alignment_weight=1.0,
        contrastive_weight=1.0,
        teacher="ema",
        teacher_view="complement",
        ema_momentum=0.99,
        pooling="meanmax",
        layers="all",
        max_epochs="auto",
        batch_size="auto",
        lr=1e-3,
        weight_decay=0.01,
        lr_schedule="cosine",
        validation_fraction=0.0,
        patience=None,
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.d_model = d_model
        self.n_heads = n_heads
        self.n_layers = n_layers
        self.d_ff = d_ff
        self.dropout = dropout
        self.norm = norm
        self.patch_len = patch_len
        self.n_conv_blocks = n_conv_blocks
        self.mask_ratio = mask_ratio
        self.mean_span = mean_span
        self.mask_per_channel = mask_per_channel
        self.alignment_weight = alignment_weight
        self.contrastive_weight = contrastive_weight
        self.teacher = teacher
        self.teacher_view = teacher_view
        self.ema_momentum = ema_momentum
        self.pooling = pooling
        self.layers = layers
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.lr_schedule = lr_schedule
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ---- fitting ---------------------------------------------------------------
    @unfit_on_error
    def fit_panel(self, panel: Panel, *, train: bool = True) -> None:
        from ..training._faults import fit_net
        from ..training._recipe import take_rows

        check_params(self)
        device = resolve_device(self.device)
        seed = seed_from(self.random_state)
        self.patch_len_, self.batch_size_, self.max_epochs_, train_idx, valid_idx = (
            plan_training(self, panel, seed)
        )
        self.scaler_ = NanStandardScaler().fit(panel.values, panel.observed)
        inputs = self.feature_inputs(panel)
        valid = None if valid_idx is None else take_rows(inputs, valid_idx)
        steps = self.max_epochs_ * -(-len(train_idx) // self.batch_size_)
        self.net_ = self._build_net(panel, device, seed, valid, steps)
        with torch_seed_scope(seed, device), verbose_logging(self.verbose):
            if train and self.max_epochs_ > 0:
                fit_net(self.net_, take_rows(inputs, train_idx), owner=type(self).__name__)
            else:
                self.net_.initialize()
            recalibrate(self.net_.module_,
                        ((b["x"], b["observed"], b["valid"]) for b in self._batches(panel)))
        self.net_.module_.eval()
        self._n_features_out = self.net_.module_.encoder.n_features(self.pooling, self.layers)
        self._seed = seed

    def _build_net(self, panel: Panel, device: str, seed: int, valid: dict | None, steps: int):
        """The skorch net (:func:`._dmae_train.build_net`); ``valid`` holds the validation
        inputs (None: no validation). Also rebuilds the net of a loaded estimator."""
        return build_net(self, panel, device, seed, valid, steps)

    # ---- inference -------------------------------------------------------------
    def feature_inputs(self, panel: Panel) -> dict:
        scaled = self.scaler_.transform(panel.values)
        return {
            "x": np.where(panel.observed, scaled, 0.0).astype(np.float32),
            "observed": panel.observed.copy(),
            "valid": panel.valid,
        }

    def _batches(self, panel: Panel):
        """Model inputs as tensors on the device, a batch at a time."""
        from ..training._recipe import batches

        return batches(self.feature_inputs(panel), self._inference_batch, self.net_.device)

    @property
    def _inference_batch(self) -> int:
        return max(getattr(self, "batch_size_", 64), 256)

    def _run(self, fn, panel: Panel, what: str = "transform") -> np.ndarray:
        """``fn(x, observed, valid)`` of the eval-mode module over ``panel``, batched."""
        from ..training._recipe import in_chunks, run_batched

        self.net_.module_.eval()
        return in_chunks(lambda part: run_batched(
            fn, self.feature_inputs(part), self._inference_batch, self.net_.device,
            mixed_precision=True, what=f"{type(self).__name__}.{what}", setting=None), panel)

    def encode_panel(self, panel: Panel) -> np.ndarray:
        module = self.net_.module_
        return self._run(functools.partial(module.features, pooling=self.pooling,
                                           layers=self.layers), panel)

    def feature_module(self) -> nn.Module:
        encoder = copy.deepcopy(self.net_.module_.encoder).cpu()
        return DMAEFeatures(encoder, self.pooling, self.layers)

    @property
    def module_(self) -> DMAEModule:
        """The trained :class:`~skmts.nn._dmae.DMAEModule`."""
        return self.net_.module_

    @property
    def history_(self):
        """Per-epoch losses recorded by skorch."""
        return self.net_.history

    # ---- extra methods ---------------------------------------------------------
    def impute_panel(self, panel: Panel) -> np.ndarray:
        """Missing values filled with the decoder's reconstruction (data units)."""
        module = self.net_.module_

        def reconstruct(x, observed, valid):
            return module.decode(module.encode(x, observed, valid), x.shape[1])

        recon = self.scaler_.inverse_transform(self._run(reconstruct, panel, "impute"))
        return np.where(panel.observed, panel.values, recon).astype(np.float32)

    def score(self, X, y=None, *, mask_ratio=None, mean_span=None, per_channel=False,
              random_state=None):
        """Minus the masked reconstruction error on ``X``, on a fixed reference task.

        The values to reconstruct are hidden by a reference mask that depends only on
        ``X`` and on the arguments here, never on the estimator's own masking
        parameters (``mask_ratio``, ``mean_span``, ``patch_len``, ``mask_per_channel``)
        nor on its ``random_state`` or ``batch_size``: two fitted estimators score the
        same hidden values of the same ``X``, so ``GridSearchCV`` over the masking
        parameters compares the candidates on one task. The mask is drawn once for
        the whole panel: geometric spans of time steps (the span masking of Zerveas
        et al., TST), by default hiding all channels of a step together, with at least
        one observed value hidden. Higher is better, which lets ``GridSearchCV``
        choose DMAE settings without labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), list or DataFrame
            The panel.
        y : None
            Ignored.
        mask_ratio : float or None, default=None
            Expected fraction of the values hidden, in (0, 1); None is 0.3 (between
            the paper's 0.15 and skmts's default training ratio 0.6, so that neither
            end of a usual grid is scored on its own training task).
        mean_span : float or None, default=None
            Mean length of a hidden span in time steps, >= 1; None is 3 (Zerveas et
            al.'s), whatever ``patch_len`` the estimator tokenises with.
        per_channel : bool, default=False
            Draw the spans independently in each channel. The default hides whole
            steps, which cannot be read off the other channels at the same step, so
            the score measures what the model learned about time; it is also the
            layout of the default training masks (``mask_per_channel=False``).
        random_state : int, RandomState instance or None, default=None
            Seeds the reference mask; None is 0, fixed (not the estimator's
            ``random_state``).

        Returns
        -------
        score : float
            ``-MSE`` over the hidden, observed values, in the scaled units of the
            estimator's per-channel standardisation (``scaler_``).
        """
        panel = self._check_panel(X)
        ratio, span, seed = reference_task(mask_ratio, mean_span, random_state)
        hidden_all = score_mask(panel, ratio, span, seed, bool(per_channel))
        return -masked_error(self.net_.module_, self.feature_inputs(panel), hidden_all,
                             self._inference_batch, self.net_.device,
                             what=f"{type(self).__name__}.score")
