"""DMAETransformer: self-supervised Dual-Masked Autoencoder features (arXiv 2509.16078)."""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
import torch
from torch import nn

from .._compat import Interval, StrOptions
from .._utils import (
    NanStandardScaler,
    logger,
    resolve_device,
    seed_from,
    torch_seed_scope,
    verbose_logging,
)
from .._validation import Panel, restore_layout
from ..nn._dmae import DMAEModule, dmae_losses
from ..nn._masking import geometric_span_mask
from ..nn._pooling import masked_pool
from ._base import POOLINGS, BaseSeriesTransformer

__all__ = ["DMAETransformer"]


class _DMAEFeatures(nn.Module):
    """Student encoder + pooling: the trainable feature extractor for fine-tuning."""

    def __init__(self, encoder: nn.Module, pooling: str, layers: str):
        super().__init__()
        self.encoder = encoder
        self.pooling = pooling
        self.layers = layers

    def forward(self, x, observed, valid):
        valid = valid.to(torch.bool)
        hs = self.encoder(x * observed.to(x.dtype), observed, valid, all_layers=True)
        return _pool_layers(hs, _pooled_steps(valid, observed), self.pooling, self.layers)


def _pooled_steps(valid, observed) -> torch.Tensor:
    """(B, T): unpadded steps with at least one observed value: those that are pooled."""
    return valid.to(torch.bool) & observed.to(torch.bool).any(-1)


def _pool_layers(hs: list, valid, pooling: str, layers: str) -> torch.Tensor:
    """Pool the last layer's output, or every layer's, concatenated: (B, n_features_out)."""
    chosen = hs if layers == "all" else hs[-1:]
    return torch.cat([masked_pool(h.float(), valid, pooling) for h in chosen], dim=-1)


class DMAETransformer(BaseSeriesTransformer):
    """Self-supervised Dual-Masked Autoencoder features for multivariate time series.

    A Transformer encoder with BatchNorm (the TST design) is trained without labels on
    two tasks at once [1]_: (1) reconstruct values hidden by geometric span masks from
    the visible ones, and (2) predict, through a feature-query cross-attention module,
    the latent that a stop-gradient teacher computes from the complementary view (the
    hidden values only). After training, each series is encoded whole and its per-step
    latents are pooled over observed, unpadded steps into one feature vector.

    Missing values (NaN) are allowed anywhere: they are never shown to the encoder as
    values (a mask channel marks them) and never enter a loss. Series may have
    different lengths (pass a list); padding is kept out of attention, BatchNorm
    statistics, losses and pooling.

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
        Normalisation in the encoder layers; "layer" is for ablation.
    mask_ratio : float, default=0.15
        Expected fraction of values hidden from the student, in (0, 1).
    mean_span : float, default=3
        Mean length of a hidden span (geometric distribution), >= 1.
    alignment_weight : float, default=1.0
        Weight of the latent alignment loss; 0 trains reconstruction only (no teacher).
    teacher : {"ema", "shared"}, default="ema"
        The teacher's weights: an exponential moving average of the student's, or the
        student's own. Either way it runs without gradient.
    ema_momentum : float, default=0.99
        Momentum of the EMA teacher, in [0, 1).
    pooling : {"mean", "max", "meanmax", "last"}, default="meanmax"
        How per-step latents become one vector over the observed, unpadded steps;
        "meanmax" concatenates mean and max.
    layers : {"all", "last"}, default="all"
        Pool the output of every encoder layer and concatenate (features at several
        depths), or the last layer's only. There are
        ``d_model * (2 if pooling == "meanmax" else 1) * (n_layers if layers == "all" else 1)``
        output features.
    max_epochs : int, default=100
        Maximum training epochs.
    batch_size : int, default=64
        Series per batch.
    lr : float, default=1e-3
        Adam learning rate.
    validation_fraction : float, default=0.1
        Fraction of the series held out to monitor the masked reconstruction loss for
        early stopping; 0 monitors the training loss. Ignored (treated as 0) when it
        would leave fewer than one validation series.
    patience : int or None, default=10
        Epochs without improvement before training stops and the best weights are
        restored; None trains for ``max_epochs``.
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
    feature_names_in_ : ndarray of str
        Channel names, when fit on a DataFrame with string columns.
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

    References
    ----------
    .. [1] "MTS-DMAE: Dual-Masked Autoencoder for Unsupervised Multivariate Time
       Series Representation Learning", arXiv:2509.16078.
    .. [2] G. Zerveas et al., "A Transformer-based Framework for Multivariate Time
       Series Representation Learning", KDD 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skmts import DMAETransformer
    >>> X = np.random.default_rng(0).normal(size=(8, 16, 3))
    >>> X[0, 3, 1] = np.nan
    >>> emb = DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16, max_epochs=1,
    ...                       random_state=0).fit(X)
    >>> emb.transform(X).shape
    (8, 16)
    """

    _parameter_constraints: dict = {
        "d_model": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "d_ff": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "norm": [StrOptions({"batch", "layer"})],
        "mask_ratio": [Interval(Real, 0, 1, closed="neither")],
        "mean_span": [Interval(Real, 1, None, closed="left")],
        "alignment_weight": [Interval(Real, 0, None, closed="left")],
        "teacher": [StrOptions({"ema", "shared"})],
        "ema_momentum": [Interval(Real, 0, 1, closed="left")],
        "pooling": [StrOptions(set(POOLINGS))],
        "layers": [StrOptions({"last", "all"})],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
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
        mask_ratio=0.15,
        mean_span=3,
        alignment_weight=1.0,
        teacher="ema",
        ema_momentum=0.99,
        pooling="meanmax",
        layers="all",
        max_epochs=100,
        batch_size=64,
        lr=1e-3,
        validation_fraction=0.1,
        patience=10,
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
        self.mask_ratio = mask_ratio
        self.mean_span = mean_span
        self.alignment_weight = alignment_weight
        self.teacher = teacher
        self.ema_momentum = ema_momentum
        self.pooling = pooling
        self.layers = layers
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ---- fitting ---------------------------------------------------------------
    def _check_params(self) -> None:
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model={self.d_model} must be divisible by n_heads={self.n_heads}."
            )
        if self.mask_ratio > 0.5:
            import warnings

            warnings.warn(
                f"mask_ratio={self.mask_ratio} hides most values from the student; "
                "DMAE is designed for about 0.15.",
                UserWarning,
                stacklevel=3,
            )

    def _fit_panel(self, panel: Panel, *, train: bool) -> None:
        self._check_params()
        device = resolve_device(self.device)
        seed = seed_from(self.random_state)
        self.scaler_ = NanStandardScaler().fit(panel.values, panel.observed)
        self.net_ = self._build_net(panel, device, seed)
        with torch_seed_scope(seed, device), verbose_logging(self.verbose):
            if train:
                self.net_.fit(self._feature_inputs(panel))
            else:
                self.net_.initialize()
        self.net_.module_.eval()
        self._n_features_out = (
            self.d_model
            * (2 if self.pooling == "meanmax" else 1)
            * (self.n_layers if self.layers == "all" else 1)
        )
        self._seed = seed

    def _build_net(self, panel: Panel, device: str, seed: int):
        from skorch.callbacks import EarlyStopping, GradientNormClipping
        from skorch.dataset import ValidSplit

        from ..training._net import DMAENet, EMATeacher

        n_valid = int(np.ceil(self.validation_fraction * panel.n_samples))
        use_valid = self.validation_fraction > 0 and n_valid >= 1 and panel.n_samples - n_valid >= 2
        callbacks = [("clip", GradientNormClipping(4.0))]
        if self.teacher == "ema" and self.alignment_weight > 0:
            callbacks.append(("ema", EMATeacher()))
        if self.patience is not None:
            callbacks.append((
                "early_stopping",
                EarlyStopping(
                    monitor="valid_loss" if use_valid else "train_loss",
                    patience=self.patience,
                    load_best=True,
                ),
            ))
        if self.verbose >= 1:
            from skorch.callbacks import ProgressBar

            callbacks.append(("progress", ProgressBar()))
        if not use_valid and self.validation_fraction > 0:
            logger.info(
                "validation_fraction=%s leaves no validation series out of %d; "
                "monitoring the training loss.", self.validation_fraction, panel.n_samples
            )
        return DMAENet(
            DMAEModule,
            module__n_channels=panel.n_channels,
            module__d_model=self.d_model,
            module__n_heads=self.n_heads,
            module__n_layers=self.n_layers,
            module__d_ff=self.d_ff,
            module__dropout=self.dropout,
            module__norm=self.norm,
            module__teacher=self.teacher if self.alignment_weight > 0 else "shared",
            module__ema_momentum=self.ema_momentum,
            criterion=nn.MSELoss,  # unused: DMAENet.get_loss combines the named outputs
            optimizer=torch.optim.Adam,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=ValidSplit(self.validation_fraction, random_state=seed) if use_valid else None,
            iterator_train__shuffle=True,
            callbacks=callbacks,
            callbacks__print_log__sink=logger.info if self.verbose >= 1 else _noop,
            device=device,
            verbose=int(self.verbose >= 1),
            mask_ratio=self.mask_ratio,
            mean_span=float(self.mean_span),
            alignment_weight=float(self.alignment_weight),
            mask_seed=seed,
        )

    # ---- inference -------------------------------------------------------------
    def _feature_inputs(self, panel: Panel) -> dict:
        scaled = self.scaler_.transform(panel.values)
        return {
            "x": np.where(panel.observed, scaled, 0.0).astype(np.float32),
            "observed": panel.observed.copy(),
            "valid": panel.valid,
        }

    def _batches(self, panel: Panel):
        """Model inputs as tensors on the device, a batch at a time."""
        inputs = self._feature_inputs(panel)
        device = self.net_.device
        step = max(self.batch_size, 256)
        for start in range(0, panel.n_samples, step):
            yield {k: torch.as_tensor(v[start : start + step], device=device) for k, v in inputs.items()}

    def _encode(self, panel: Panel) -> np.ndarray:
        from ..training._net import autocast

        module = self.net_.module_
        module.eval()
        out = []
        with torch.no_grad(), autocast(self.net_.device):
            for b in self._batches(panel):
                hs = module.encode(b["x"], b["observed"], b["valid"], all_layers=True)
                steps = _pooled_steps(b["valid"], b["observed"])
                out.append(_pool_layers(hs, steps, self.pooling, self.layers).cpu())
        return torch.cat(out).numpy().astype(np.float32, copy=False)

    def _feature_module(self) -> nn.Module:
        encoder = copy.deepcopy(self.net_.module_.encoder).cpu()
        return _DMAEFeatures(encoder, self.pooling, self.layers)

    @property
    def module_(self) -> DMAEModule:
        """The trained :class:`~skmts.nn._dmae.DMAEModule`."""
        return self.net_.module_

    @property
    def history_(self):
        """Per-epoch losses recorded by skorch."""
        return self.net_.history

    # ---- extra methods ---------------------------------------------------------
    def impute(self, X):
        """Fill missing values with the network's reconstruction.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), list or DataFrame
            The panel; NaN marks a missing value.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_timesteps, n_channels) or list
            A new panel in the input's layout (a list for a list input, a 2-D array for a
            2-D input) where every missing value is filled; observed values are returned
            untouched and padding is not added.

        Examples
        --------
        >>> import numpy as np
        >>> from skmts import DMAETransformer
        >>> X = np.random.default_rng(0).normal(size=(8, 16, 2)); X[0, 5, 1] = np.nan
        >>> emb = DMAETransformer(d_model=8, n_heads=2, n_layers=1, max_epochs=1,
        ...                       random_state=0).fit(X)
        >>> bool(np.isnan(emb.impute(X)).any())
        False
        """
        from ..training._net import autocast

        panel = self._check_panel(X)
        module = self.net_.module_
        module.eval()
        recon = []
        with torch.no_grad(), autocast(self.net_.device):
            for b in self._batches(panel):
                h = module.encode(b["x"], b["observed"], b["valid"])
                recon.append(module.decoder(h).float().cpu())
        recon = self.scaler_.inverse_transform(torch.cat(recon).numpy())
        filled = np.where(panel.observed, panel.values, recon).astype(np.float32)
        return restore_layout(filled, panel, X)

    def score(self, X, y=None):
        """Minus the masked reconstruction error (MSE in scaled units) on ``X``.

        Values are hidden with the same span masks as in training, drawn from a
        generator seeded by ``random_state``, so the score is deterministic for a fitted
        estimator. Higher is better, which lets ``GridSearchCV`` choose DMAE settings
        without labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), list or DataFrame
            The panel.
        y : None
            Ignored.

        Returns
        -------
        score : float
            ``-MSE`` over hidden, observed values.
        """
        panel = self._check_panel(X)
        module = self.net_.module_
        module.eval()
        gen = torch.Generator().manual_seed(self._seed + 2)
        total, count = 0.0, 0.0
        with torch.no_grad():
            for b in self._batches(panel):
                hidden = geometric_span_mask(
                    tuple(b["x"].shape), self.mask_ratio, float(self.mean_span), generator=gen
                ).to(b["x"].device)
                out = module(b["x"], b["observed"], b["valid"], hidden, with_teacher=False)
                target = (b["observed"] & hidden & b["valid"][..., None]).sum().item()
                loss = dmae_losses(out, b["x"], b["observed"], b["valid"], hidden)
                total += loss["reconstruction"].item() * target
                count += target
        return -total / max(count, 1.0)


def _noop(*args, **kwargs):
    pass
