"""FrozenImputerTransformer: a pretrained, frozen PyPOTS imputer as a feature extractor."""

from __future__ import annotations

import copy
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._compat import HasMethods, Interval, StrOptions
from .._persist._pypots import SavedModel, load_saved_model, save_model
from .._utils import RUNTIME_CONSTRAINTS, resolve_device, seed_from
from .._validation import Panel
from ..backbones._inputs import build_inputs, fit_state_from_data
from ..backbones._latent import PyPOTSFeatureModule, feature_width
from ..backbones._pretrain import scoring_mask
from ..backbones._pypots import BACKBONES
from ..training._faults import unfit_on_error
from ._base import POOLINGS, BaseSeriesTransformer
from ._frozen_source import frozen_source
from ._windows import encode_in_windows

__all__ = ["FrozenImputerTransformer"]

# pickles written by skmts 0.1 name this class here
_SavedModel = SavedModel

_PUBLIC = {"forward": "transform"}  # feature-module method -> the public method, in messages


class FrozenImputerTransformer(BaseSeriesTransformer):
    """Embeddings from a frozen PyPOTS imputation model.

    ``fit`` pretrains a PyPOTS imputer (SAITS, Transformer, TimesNet, BRITS, GRU-D or CSAI)
    on ``X``, validating its imputation on a held-out part into which PyGrinder injects
    extra missing values, then freezes it. ``transform`` reads the model's latent state
    with torch hooks and returns one vector per series: attention and CNN models give a
    per-step latent pooled over the observed steps; the RNNs (GRU-D, and the bidirectional
    BRITS and CSAI, directions concatenated) give their hidden states pooled over the
    real steps, or with ``pooling="last"`` the final ones.
    This is the modular approach of [1]_: pretrain, freeze, and fit a light head.

    A pretrained PyPOTS model, or a fitted ``FrozenImputerTransformer``, can be passed as
    ``backbone``: it is used as is (copied, never modified) and ``fit`` only checks shapes,
    so a model pretrained on one data set serves another.

    Parameters
    ----------
    backbone : str, PyPOTS imputation model or FrozenImputerTransformer, default="saits"
        "saits", "transformer", "timesnet", "brits", "grud" or "csai" (case-insensitive)
        to pretrain a new model; or a pretrained PyPOTS model of one of these classes; or
        a fitted ``FrozenImputerTransformer`` (``sklearn.base.clone`` unfits estimator
        parameters, so wrap it in ``sklearn.frozen.FrozenEstimator`` when the transformer
        will be cloned, e.g. in a grid search).
    backbone_params : dict, default=None
        Constructor arguments of the PyPOTS model (e.g. ``{"d_model": 32}``), overriding
        skmts's small defaults. Ignored when ``backbone`` is a model. ``d_k``/``d_v`` of
        SAITS and Transformer default to ``d_model // n_heads``.
    missing_rate : float, default=0.2
        Share of the observed values PyGrinder hides: in every pretraining epoch of
        SAITS, Transformer and TimesNet (the values they learn to impute; PyPOTS's own
        rate is 0.2 too) and in the validation part of every backbone. :meth:`score`
        uses its own fixed task (10 % MCAR by default), not this one, so that candidates
        with different ``missing_rate`` are scored alike.
    missing_pattern : {"mcar", "seq", "block"}, default="mcar"
        PyGrinder pattern, as :func:`skmts.datasets.inject_missing` draws it: ``mcar``
        (values), ``seq`` (runs of 10 % of the series length, at least 2 steps, in one
        channel) or ``block`` (such runs across a quarter of the channels, at least 1).
        SAITS, Transformer and TimesNet pretrain on these masks, drawn afresh for the
        whole training set at every epoch (seeded by ``random_state``), in place of
        PyPOTS's own MCAR masks; PyPOTS's training loop is otherwise unchanged. BRITS,
        GRU-D and CSAI train, as in PyPOTS, on reconstructing the values they see (their
        loss has no hidden-value target), so for them the pattern shapes only the
        validation part that early stopping watches.
    n_steps : int or None, default=None
        Series length the PyPOTS model is built for (PyPOTS models have a fixed length).
        None uses the longest series seen in ``fit``. Shorter series are padded to it;
        ``transform`` encodes a longer one in half-overlapping windows of ``n_steps_``
        steps and combines their features (mean; max for ``pooling="max"``; the last
        window for ``pooling="last"``), while ``impute`` and end-to-end training refuse
        it: set ``n_steps`` larger when longer series will come later and should be seen
        whole. Ignored when ``backbone`` is a model.
    max_epochs : int, default=100
        Maximum number of pretraining epochs. 0 pretrains nothing: the randomly
        initialised model is frozen as it is (the "twin" a pretrained backbone is
        compared with).
    patience : int or None, default=10
        Early stopping: epochs without improvement of the validation imputation error
        (the training loss when there is no validation part). None disables it.
    batch_size : int, default=32
        Batch size for pretraining and inference.
    lr : float, default=1e-3
        Adam learning rate.
    validation_fraction : float, default=0.2
        Fraction of the series held out to validate imputation; 0 trains on all of them.
    pooling : {"mean", "max", "meanmax", "last", "segments", "segmentsmax", \
            "meanmaxppv", "multiscale"}, default="mean"
        Pooling of per-step latents (SAITS, Transformer, TimesNet) over the observed
        steps, and of the RNN backbones' hidden states (GRU-D, BRITS, CSAI; each
        direction) over the real steps; "last" takes an RNN's hidden state after the
        last real step (the paper's choice; the mean won the missing-values benchmark).
        The other choices are those of :class:`DMAETransformer`'s ``pooling``.
    device : str, default="auto"
        "auto" (CUDA when available), "cpu", "cuda" or "cuda:N".
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the synthetic missingness; global RNG
        state is left as found.
    verbose : int, default=0
        0 is silent; 1 shows PyPOTS's per-epoch log lines.
    epochs : int, default="deprecated"
        Old name of ``max_epochs`` (the name every skmts estimator uses); setting it
        warns and overrides ``max_epochs``. It will be removed in skmts 0.3.

    Attributes
    ----------
    model_ : PyPOTS imputation model
        The frozen model (a copy when ``backbone`` was a model).
    backbone_name_ : str
        Table key of the backbone ("saits", ...).
    n_steps_ : int
        The model's fixed series length: shorter series are padded to it, longer ones
        are encoded in windows of this length (see ``n_steps``).
    device_ : str
        Device of ``model_``.
    scaler_ : NanStandardScaler or None
        Per-channel scaling learned at fit (None for a PyPOTS model passed in, which sees
        the data as given).
    best_epoch_ : int or None
        Epoch whose weights were kept (None for a model passed in).
    n_features_in_ : int
        Number of channels seen during fit.
    n_channels_in_ : int
        Number of channels seen during fit.
    n_timesteps_in_ : int
        Length of the longest series seen during fit.
    feature_names_in_ : ndarray of str objects
        The column names of a DataFrame seen in fit, when all are strings: the
        channels of an (instance, time) MultiIndex frame, the time steps of a plain
        (wide) frame. Only set then; later DataFrames must have the same columns.

    See Also
    --------
    DMAETransformer : Self-supervised dual-masked autoencoder embeddings.

    Notes
    -----
    PyPOTS has no latent API; skmts reads the input of a projection layer (SAITS:
    ``encoder.reduce_dim_beta``; Transformer: ``output_projection``; TimesNet:
    ``projection``) or the recurrent cells' outputs (GRU-D, BRITS, CSAI) with hooks that
    are removed after each call. Inference calls the model's core directly, so CSAI's
    predict-time random removal of values does not apply and outputs are deterministic.
    TimesNet chooses its periods from the spectrum of a whole batch, and CSAI's initial
    hidden state comes from an attention layer that mixes the samples of a batch, so these
    two are run one series at a time at inference (features never depend on which other
    series are transformed alongside). The first import of PyPOTS takes several seconds.

    PyPOTS runs the pretraining loop itself, with no per-epoch hook, so this estimator
    has no ``callbacks`` parameter (unlike the skorch-trained ones). Ctrl-C
    (``KeyboardInterrupt``) during ``fit`` raises ``KeyboardInterrupt`` and leaves the
    estimator unfitted: PyPOTS ends its loop quietly on Ctrl-C, which skmts detects and
    turns back into the interrupt, so that a model trained for an arbitrary number of
    epochs is never kept unnoticed. ``fit`` checks that the fitted model's features of
    (the first 64) training series are finite and raises ``RuntimeError`` otherwise
    (e.g. a diverged training: try a lower ``lr``). If the GPU runs out of memory at
    inference, the batch size is halved (down to 1, with a warning) before a
    ``RuntimeError`` is raised.

    References
    ----------
    .. [1] Modular Deep Learning for Multivariate Time-Series: Decoupling Imputation and
       Downstream Tasks, arXiv:2411.03941.

    Examples
    --------
    >>> import numpy as np
    >>> from skmts.representation._frozen import FrozenImputerTransformer
    >>> X = np.random.default_rng(0).normal(size=(8, 16, 3))
    >>> X[0, 2, 1] = np.nan
    >>> emb = FrozenImputerTransformer(backbone_params={"d_model": 8, "n_heads": 2, "d_ffn": 16},
    ...                                max_epochs=1, random_state=0)
    >>> emb.fit_transform(X).shape
    (8, 8)
    >>> emb.impute(X).shape
    (8, 16, 3)
    """

    _parameter_constraints: dict = {
        "backbone": [str, HasMethods(["fit"])],
        "backbone_params": [dict, None],
        "missing_rate": [Interval(Real, 0, 1, closed="neither")],
        "missing_pattern": [StrOptions({"mcar", "seq", "block"})],
        "n_steps": [Interval(Integral, 2, None, closed="left"), None],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "pooling": [StrOptions(set(POOLINGS))],
        **RUNTIME_CONSTRAINTS,
        "epochs": [Interval(Integral, 0, None, closed="left"), StrOptions({"deprecated"})],
    }

    def __init__(
        self,
        backbone="saits",
        backbone_params=None,
        *,
        missing_rate=0.2,
        missing_pattern="mcar",
        n_steps=None,
        max_epochs=100,
        patience=10,
        batch_size=32,
        lr=1e-3,
        validation_fraction=0.2,
        pooling="mean",
        device="auto",
        random_state=None,
        verbose=0,
        epochs="deprecated",
    ):
        self.backbone = backbone
        self.backbone_params = backbone_params
        self.missing_rate = missing_rate
        self.missing_pattern = missing_pattern
        self.n_steps = n_steps
        self.max_epochs = max_epochs
        self.patience = patience
        self.batch_size = batch_size
        self.lr = lr
        self.validation_fraction = validation_fraction
        self.pooling = pooling
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.epochs = epochs

    # ---- fit --------------------------------------------------------------------------
    @unfit_on_error
    def fit_panel(self, panel: Panel, *, train: bool = True) -> None:
        self._epochs = self._check_epochs()
        device = resolve_device(self.device)
        key, model, scaler, empirical_mean, best_epoch = frozen_source(
            self, panel, device, self._epochs, train)

        # freeze: features come from the pretrained weights only
        model.model.eval()
        for p in model.model.parameters():
            p.requires_grad_(False)

        if empirical_mean is None:
            vals = panel.values if scaler is None else scaler.transform(panel.values)
            empirical_mean = fit_state_from_data(key, vals, panel.observed)

        self.model_ = model
        self.backbone_name_ = key
        self.scaler_ = scaler
        self.empirical_mean_ = empirical_mean
        self.n_steps_ = int(model.n_steps)
        self.device_ = device
        self.best_epoch_ = best_epoch
        self._n_features_out = feature_width(key, model.model, self.pooling)
        self._check_finite_features(panel)

    def _check_finite_features(self, panel: Panel, n: int = 64) -> None:
        """``RuntimeError`` if the features of the first ``n`` fit series are not finite.

        PyPOTS trains on through NaN losses (keeping its best epoch) and some
        architectures give NaN on degenerate inputs; skmts never returns NaN features
        silently.
        """
        sub = Panel(panel.values[:n], panel.observed[:n], panel.lengths[:n])
        feats = self.encode_panel(sub)
        if not np.isfinite(feats).all():
            name = BACKBONES[self.backbone_name_].name
            raise RuntimeError(
                f"{type(self).__name__}: the fitted PyPOTS {name} "
                f"gives non-finite features on the training series (first {len(feats)} "
                f"checked): training diverged or the model does not suit these series. Try "
                f"a lower lr (it is {self.lr:g}; try {self.lr / 10:g}), fewer max_epochs, "
                "or another backbone."
            )

    def _check_epochs(self) -> int:
        """``max_epochs``, or the deprecated ``epochs`` when it was set (with a warning)."""
        if isinstance(self.epochs, str):  # "deprecated": not set
            return self.max_epochs
        warnings.warn(
            "FrozenImputerTransformer's `epochs` was renamed `max_epochs` (the name every "
            "skmts estimator uses) and will be removed in skmts 0.3; "
            f"use max_epochs={self.epochs}.",
            FutureWarning,
            stacklevel=4,
        )
        return self.epochs

    # ---- inference --------------------------------------------------------------------
    def _scaled_padded(self, panel: Panel) -> np.ndarray:
        """Scale and right-pad with NaN to the model's fixed length ``n_steps_``."""
        if panel.n_timesteps > self.n_steps_:
            raise ValueError(
                f"X has series of length {int(panel.lengths.max())}, but "
                f"{type(self).__name__} was fitted on series of length n_steps_="
                f"{self.n_steps_}; PyPOTS models have a fixed length, so series may be "
                "shorter (they are padded) but not longer (fit with a larger `n_steps` to "
                "accept them)."
            )
        values = panel.values if self.scaler_ is None else self.scaler_.transform(panel.values)
        pad = self.n_steps_ - panel.n_timesteps
        if pad:
            values = np.pad(values, ((0, 0), (0, pad), (0, 0)), constant_values=np.nan)
        return values.astype(np.float32, copy=False)

    def _module(self, core) -> PyPOTSFeatureModule:
        return PyPOTSFeatureModule(
            core,
            self.backbone_name_,
            self.pooling,
            empirical_mean=self.empirical_mean_,
            intervals=getattr(self.model_, "intervals", None),
        ).to(self.device_)

    def _run(self, method: str, inputs: dict) -> np.ndarray:
        """Run ``module.<method>`` over ``inputs`` in batches, eval mode, no gradient."""
        from ..training._recipe import run_batched

        module = self._module(self.model_.model)
        module.eval()
        bs = self.batch_size if BACKBONES[self.backbone_name_].batch_independent else 1
        return run_batched(getattr(module, method), inputs, bs, self.device_,
                           what=f"{type(self).__name__}.{_PUBLIC.get(method, method)}")

    def encode_panel(self, panel: Panel) -> np.ndarray:
        from ..training._recipe import in_chunks

        if panel.n_timesteps > self.n_steps_:
            return encode_in_windows(
                panel, self.n_steps_, self.pooling,
                lambda part: self._run("forward", self.feature_inputs(part)))
        return in_chunks(lambda part: self._run("forward", self.feature_inputs(part)), panel)

    def encode_with(self, module, panel: Panel, **kwargs) -> np.ndarray:
        """Features from a fine-tuned :meth:`feature_module`; series longer than
        ``n_steps_`` in windows, as :meth:`transform` encodes them."""
        def run(part):
            return super(FrozenImputerTransformer, self).encode_with(module, part, **kwargs)

        if panel.n_timesteps > self.n_steps_:
            return encode_in_windows(panel, self.n_steps_, self.pooling, run)
        return run(panel)

    def feature_inputs(self, panel: Panel) -> dict:
        values = self._scaled_padded(panel)
        return build_inputs(self.backbone_name_, values, panel.lengths, within_length=True)

    def feature_module(self):
        """A trainable copy of the fitted core plus latent capture and pooling.

        ``forward(**self.feature_inputs(panel))`` returns ``(batch, n_features_out)``; with
        the copy's weights unchanged (and in eval mode) it equals :meth:`transform`.
        """
        check_is_fitted(self)
        core = copy.deepcopy(self.model_.model)
        for p in core.parameters():
            p.requires_grad_(True)
        return self._module(core).eval()

    def impute_panel(self, panel: Panel) -> np.ndarray:
        """Imputed values (n, T, C) in data units: observed kept, padding NaN."""
        values = self._scaled_padded(panel)
        inputs = build_inputs(self.backbone_name_, values, panel.lengths, within_length=False)
        imputed = self._run("impute", inputs)[:, : panel.n_timesteps]
        if self.scaler_ is not None:
            imputed = self.scaler_.inverse_transform(imputed)
        out = np.where(panel.observed, panel.values, imputed)
        out[~panel.valid] = np.nan
        return out.astype(np.float32, copy=False)

    def score(self, X, y=None, *, missing_rate=None, missing_pattern=None,
              random_state=None):
        """Minus the imputation MAE on observed values hidden on purpose, on a fixed
        reference task.

        PyGrinder (:func:`skmts.datasets.inject_missing`) hides a fraction
        ``missing_rate`` of the values with ``missing_pattern``; the model imputes them;
        the score is ``-mean(|imputed - true|)`` over the observed values hidden, in the
        data's units. Higher is better. The hidden values depend only on ``X`` and on
        the arguments here, never on the estimator's own ``missing_rate``,
        ``missing_pattern`` (its validation task) or ``random_state``: two fitted
        estimators score the same hidden values of the same ``X``, so ``GridSearchCV``
        compares candidates on one task.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), list or DataFrame
            The panel.
        y : None
            Ignored.
        missing_rate : float or None, default=None
            Fraction of the values hidden, in (0, 1); None is 0.1 (at least one
            observed value is always hidden).
        missing_pattern : {"mcar", "seq", "block"} or None, default=None
            PyGrinder pattern (see the ``missing_pattern`` parameter); None is "mcar".
        random_state : int or None, default=None
            Seeds the hidden values; None is 0, fixed (not the estimator's
            ``random_state``).

        Returns
        -------
        score : float
            Minus the mean absolute imputation error.
        """
        panel = self._check_panel(X)
        rate = 0.1 if missing_rate is None else float(missing_rate)
        pattern = "mcar" if missing_pattern is None else missing_pattern
        if not 0.0 < rate < 1.0:
            raise ValueError(f"missing_rate must be in (0, 1); got {missing_rate!r}.")
        if pattern not in ("mcar", "seq", "block"):
            raise ValueError(
                f"missing_pattern must be 'mcar', 'seq' or 'block'; got {missing_pattern!r}."
            )
        seed = seed_from(0 if random_state is None else random_state)
        masked = scoring_mask(panel.values, pattern, rate, seed)
        hidden = panel.observed & np.isnan(masked)
        masked_panel = Panel(masked, ~np.isnan(masked), panel.lengths)
        imputed = self.impute_panel(masked_panel)
        return -float(np.mean(np.abs(imputed[hidden] - panel.values[hidden])))

    # ---- persistence ------------------------------------------------------------------
    def __getstate__(self):
        state = super().__getstate__()
        if "model_" in state:
            # torch.save keeps tensors with their device; __setstate__ maps them to the
            # CPU when the training device is absent, so a GPU-trained model loads anywhere
            state = dict(state)
            state["model_"] = save_model(state["model_"], state.get("device_", "cpu"))
        return state

    def __setstate__(self, state):
        saved = state.get("model_")
        if isinstance(saved, SavedModel):
            state = dict(state)
            state["model_"], state["device_"] = load_saved_model(saved)
        super().__setstate__(state)
