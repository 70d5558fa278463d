"""PyPOTS imputation models as skmts backbones.

Everything skmts knows about a PyPOTS architecture lives in :data:`BACKBONES`, one row per
model: its small CPU-friendly constructor defaults, where its latent state lives (the
sub-module of the PyPOTS core ``pm.model`` that a torch hook reads), what kind of latent
that is, and how its inputs are built. Adding a backbone is adding a row (plus an input
builder if its inputs are new).

Latent kinds
------------
``"per_step"``
    A pre-hook reads the input of a projection layer: ``(B, T, d)``. It is pooled over the
    steps with at least one observed value (padding never enters).
``"rnn"``
    A forward hook on the recurrent cell collects its output at every step; the feature is
    the hidden state after the last real step of each series: ``(B, H)``.
``"birnn"``
    As ``"rnn"`` for the forward and the backward cell, concatenated: ``(B, 2H)``. The
    backward input of a shorter series is reversed within its own length, so padding comes
    after the series in both directions and never reaches the features.

PyPOTS itself is imported lazily (:func:`import_pypots`), with its banner sent to
``os.devnull`` and its loggers disabled. The first import of PyPOTS (or PyGrinder) in an
environment makes TSDB write ``~/.pypots/config.ini``; the path is a module constant that
TSDB computes from ``HOME`` at import time, so skmts cannot move it without changing
``HOME`` for the whole process (which would also move TSDB's dataset cache). skmts leaves
it alone; the write is silent.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import random
import sys
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn

from .._utils import torch_seed_scope
from ..nn._pooling import masked_pool, pooled_width

__all__ = [
    "BACKBONES",
    "BackboneSpec",
    "PyPOTSFeatureModule",
    "build_inputs",
    "build_pypots_model",
    "get_spec",
    "import_pypots",
    "pypots_logging",
    "rng_scope",
    "spec_for_model",
]

_PYPOTS_LOGGERS = ("PyPOTS running log", "TSDB running log")

# parameters the estimator sets itself; a backbone_params entry for them is an error
_RESERVED = {
    "n_steps": "it is the fitted series length",
    "n_features": "it is the number of channels of X",
    "epochs": "use the estimator's `max_epochs`",
    "patience": "use the estimator's `patience`",
    "batch_size": "use the estimator's `batch_size`",
    "optimizer": "use the estimator's `lr`",
    "device": "use the estimator's `device`",
    "verbose": "use the estimator's `verbose`",
    "saving_path": "skmts does not write checkpoints",
    "model_saving_strategy": "skmts does not write checkpoints",
    "num_workers": "data loading runs in the main process",
}


# ---------------------------------------------------------------------------------------
# Quiet, lazy import
# ---------------------------------------------------------------------------------------
def _silence_loggers() -> None:
    # `.disabled` survives PyPOTS's own `set_level` calls, which a `verbose=False`
    # constructor makes globally (ecosystem-facts §1.2)
    for name in _PYPOTS_LOGGERS:
        logging.getLogger(name).disabled = True


def import_pypots():
    """Import ``pypots.imputation`` and ``pygrinder`` silently and return ``pypots.imputation``.

    The loggers are disabled before the first import (TSDB logs the creation of its config
    file during the import), and the banner that ``ai4ts`` prints to stdout goes to
    ``os.devnull``: a real file, because the banner code reads ``sys.stdout.encoding``,
    which ``io.StringIO`` lacks.
    """
    if "pypots.imputation" not in sys.modules or "pygrinder" not in sys.modules:
        _silence_loggers()
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import pygrinder  # noqa: F401
                import pypots.imputation  # noqa: F401
    return sys.modules["pypots.imputation"]


class _ErrorRecorder(logging.Handler):
    """Keeps PyPOTS's ERROR messages, so a failed fit can say what went wrong."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def pypots_logging(verbose: int):
    """Route PyPOTS's log during a fit: per-epoch lines on stderr at ``verbose>=1``, else none.

    Yields the list that collects PyPOTS's ERROR messages. Everything is restored after.
    """
    import_pypots()
    log = logging.getLogger("PyPOTS running log")
    saved = (log.disabled, log.level, list(log.handlers))
    recorder = _ErrorRecorder()
    log.disabled = False
    handlers = [recorder]
    if verbose:
        # a fresh handler on the current stderr (PyPOTS's own one holds the stream that
        # was current at its import)
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter("%(asctime)s [PyPOTS] %(message)s", "%H:%M:%S"))
        handlers.append(stream)
    log.handlers = handlers
    log.setLevel(logging.INFO if verbose else logging.ERROR)
    try:
        with warnings.catch_warnings():
            if not verbose:
                # e.g. torch's "enable_nested_tensor is True, but ..." from CSAI's encoder
                warnings.simplefilter("ignore", UserWarning)
            yield recorder.messages
    finally:
        log.disabled, level, log.handlers = saved
        log.setLevel(level)


@contextlib.contextmanager
def rng_scope(seed: int, device: str = "cpu"):
    """Seed torch, NumPy's and Python's global RNGs for the block; restore all three after.

    PyPOTS and PyGrinder have no seed argument: they draw from the global generators
    (torch for MIT masking and shuffling, ``np.random`` for CSAI and PyGrinder on arrays).
    """
    np_state = np.random.get_state()
    py_state = random.getstate()
    try:
        with torch_seed_scope(seed, device):
            np.random.seed(seed % 2**32)
            random.seed(seed)
            yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


# ---------------------------------------------------------------------------------------
# Synthetic missingness (PyGrinder)
# ---------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------
def _attention_params(params: dict, n_steps: int, n_features: int, user: set) -> dict:
    # PyPOTS silently resets d_model to n_heads * d_k; skmts derives d_k/d_v instead and
    # refuses a combination that does not divide.
    d_model, n_heads = params["d_model"], params["n_heads"]
    if "d_k" not in user:
        if d_model % n_heads:
            raise ValueError(
                f"backbone_params d_model={d_model} must be divisible by n_heads={n_heads}."
            )
        params["d_k"] = d_model // n_heads
    if "d_v" not in user:
        params["d_v"] = params["d_k"]
    if d_model != n_heads * params["d_k"]:
        raise ValueError(
            f"backbone_params need d_model == n_heads * d_k; got d_model={d_model}, "
            f"n_heads={n_heads}, d_k={params['d_k']}."
        )
    return params


def _timesnet_params(params: dict, n_steps: int, n_features: int, user: set) -> dict:
    # TimesNet picks top_k periods among the n_steps // 2 non-zero FFT frequencies
    limit = max(1, n_steps // 2)
    if "top_k" not in user:
        params["top_k"] = min(params["top_k"], limit)
    elif params["top_k"] > limit:
        raise ValueError(
            f"backbone_params top_k={params['top_k']} is too large for series of "
            f"{n_steps} steps; TimesNet needs top_k <= n_steps // 2 = {limit}."
        )
    return params


def _csai_params(params: dict, n_steps: int, n_features: int, user: set) -> dict:
    sc = params["step_channels"]
    if sc % 8:
        raise ValueError(
            f"backbone_params step_channels={sc} must be a multiple of 8 (CSAI's internal "
            "transformer has 8 heads)."
        )
    rp = params["removal_percent"]
    if not 0 < rp < 1:
        raise ValueError(
            f"backbone_params removal_percent={rp} must be a fraction in (0, 1) "
            "(PyPOTS annotates it as a percentage, but uses it as a fraction)."
        )
    return params


@dataclass(frozen=True)
class BackboneSpec:
    """One row of the table: what skmts knows about one PyPOTS imputation model.

    Attributes
    ----------
    name : str
        The PyPOTS class name in ``pypots.imputation``.
    defaults : dict
        Constructor defaults: small and fast on a CPU.
    latent : {"per_step", "rnn", "birnn"}
        Kind of latent (see the module docstring).
    hooks : tuple of str
        Sub-modules of the core (``pm.model``) that the hooks read; for ``"per_step"`` a
        pre-hook takes the layer's input, for RNNs a forward hook takes the cell's output
        (forward cell first, then backward cell).
    inputs : {"masked", "grud", "brits", "csai"}
        Which input builder (:func:`build_inputs`) feeds the core.
    min_steps : int
        The shortest fitted series length the model supports.
    batch_independent : bool
        False when a sample's output depends on the other samples of its batch: TimesNet
        picks its periods from the batch-mean spectrum, and CSAI's initial-state encoder
        (a ``batch_first=False`` ``nn.TransformerEncoderLayer`` fed (B, 2T, C)) attends
        across the batch. Such models are run one series at a time at inference, so that
        features never depend on batch composition.
    adapt : callable or None
        ``adapt(params, n_steps, n_features, user_keys) -> params``: derives dependent
        parameters and rejects combinations PyPOTS would silently change or crash on.
    untrained : callable or None
        ``untrained(model, values)``: sets what the model's own ``fit`` would have
        computed from the data besides the weights, for a model frozen untrained
        (``max_epochs=0``); CSAI's observation intervals.
    """

    name: str
    defaults: dict
    latent: str
    hooks: tuple
    inputs: str
    min_steps: int = 2
    batch_independent: bool = True
    adapt: Callable | None = field(default=None, repr=False)
    untrained: Callable | None = field(default=None, repr=False)


def _csai_untrained(model, values: np.ndarray) -> None:
    """CSAI's fit computes per-channel median observation intervals from the data."""
    from pypots.imputation.csai.data import compute_intervals

    model.intervals = compute_intervals(values)


BACKBONES: dict[str, BackboneSpec] = {
    "saits": BackboneSpec(
        name="SAITS",
        defaults=dict(n_layers=1, d_model=64, n_heads=4, d_ffn=128, dropout=0.1, attn_dropout=0.0),
        latent="per_step",
        hooks=("encoder.reduce_dim_beta",),  # input = 2nd DMSA block output (B, T, d_model)
        inputs="masked",
        adapt=_attention_params,
    ),
    "transformer": BackboneSpec(
        name="Transformer",
        defaults=dict(n_layers=2, d_model=64, n_heads=4, d_ffn=128, dropout=0.1, attn_dropout=0.0),
        latent="per_step",
        hooks=("output_projection",),  # input = encoder output (B, T, d_model)
        inputs="masked",
        adapt=_attention_params,
    ),
    "timesnet": BackboneSpec(
        name="TimesNet",
        defaults=dict(n_layers=2, top_k=3, d_model=32, d_ffn=64, n_kernels=3, dropout=0.1),
        latent="per_step",
        hooks=("projection",),  # input = TimesBlock stack output (B, T, d_model)
        inputs="masked",
        batch_independent=False,
        adapt=_timesnet_params,
    ),
    "brits": BackboneSpec(
        name="BRITS",
        defaults=dict(rnn_hidden_size=64),
        latent="birnn",
        hooks=("model.rits_f.rnn_cell", "model.rits_b.rnn_cell"),  # LSTMCell -> (h, c)
        inputs="brits",
    ),
    "grud": BackboneSpec(
        name="GRUD",
        defaults=dict(rnn_hidden_size=64),
        latent="rnn",
        hooks=("backbone.rnn_cell",),  # GRUCell -> h
        inputs="grud",
    ),
    "csai": BackboneSpec(
        name="CSAI",
        defaults=dict(
            rnn_hidden_size=64,
            imputation_weight=0.3,
            consistency_weight=0.1,
            removal_percent=0.1,
            increase_factor=0.1,
            step_channels=16,
        ),
        latent="birnn",
        hooks=("model.model_f.gru", "model.model_b.gru"),  # GRUCell -> h
        inputs="csai",
        batch_independent=False,
        adapt=_csai_params,
        untrained=_csai_untrained,
    ),
}


def get_spec(name: str) -> BackboneSpec:
    """The table row for a backbone name (case-insensitive); ValueError for an unknown one."""
    key = name.lower() if isinstance(name, str) else name
    if key == "gru-d":
        key = "grud"
    if key not in BACKBONES:
        raise ValueError(
            f"backbone={name!r} is not a known backbone; expected one of "
            f"{sorted(BACKBONES)} (case-insensitive), a PyPOTS imputation model or a "
            "fitted FrozenImputerTransformer."
        )
    return BACKBONES[key]


def spec_key(name: str) -> str:
    """The table key of a backbone name."""
    spec = get_spec(name)
    return next(k for k, v in BACKBONES.items() if v is spec)


def spec_for_model(model) -> str:
    """The table key for a PyPOTS imputation model instance; ValueError if it has no row."""
    cls = type(model)
    if not cls.__module__.startswith("pypots.imputation"):
        raise TypeError(
            f"backbone must be a backbone name, a PyPOTS imputation model or a fitted "
            f"FrozenImputerTransformer; got an instance of {cls.__module__}.{cls.__name__}."
        )
    for key, spec in BACKBONES.items():
        if spec.name == cls.__name__:
            return key
    supported = sorted(s.name for s in BACKBONES.values())
    raise ValueError(
        f"backbone is a PyPOTS {cls.__name__} model, which skmts cannot read a latent "
        f"from; supported PyPOTS models: {supported}."
    )


def build_pypots_model(
    key: str,
    *,
    n_steps: int,
    n_features: int,
    backbone_params: dict | None,
    epochs: int,
    patience: int | None,
    batch_size: int,
    lr: float,
    device: str,
    verbose: int,
):
    """Construct a fresh PyPOTS model for table row ``key``.

    Unknown or reserved ``backbone_params`` and values PyPOTS rejects raise a
    ``ValueError`` that names the backbone and the parameters. Each model gets its own
    ``Adam`` instance: PyPOTS's default optimizer argument is a single shared object for
    several models, so two models built with it would train neither (ecosystem-facts §9).
    """
    imputation = import_pypots()
    from pypots.optim import Adam

    spec = BACKBONES[key]
    cls = getattr(imputation, spec.name)
    user = dict(backbone_params or {})
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    for name in user:
        if name in _RESERVED:
            raise ValueError(
                f"backbone_params may not set {name!r} for {spec.name}: {_RESERVED[name]}."
            )
        if name not in accepted:
            options = sorted(accepted - set(_RESERVED))
            raise ValueError(
                f"backbone_params has {name!r}, which PyPOTS {spec.name} does not accept; "
                f"its parameters are {options}."
            )
    params = {**spec.defaults, **user}
    if spec.adapt is not None:
        params = spec.adapt(params, n_steps, n_features, set(user))
    if n_steps < spec.min_steps:
        raise ValueError(
            f"{spec.name} needs series of at least {spec.min_steps} timesteps; "
            f"got n_steps={n_steps}."
        )
    try:
        with warnings.catch_warnings():
            if not verbose:
                # torch's "enable_nested_tensor is True, but ..." from CSAI's encoder
                warnings.simplefilter("ignore", UserWarning)
            return cls(
                n_steps=n_steps,
                n_features=n_features,
                **params,
                epochs=epochs,
                patience=None if patience is None else min(patience, epochs),
                batch_size=batch_size,
                optimizer=Adam(lr=lr),
                num_workers=0,
                device=device,
                saving_path=None,
                model_saving_strategy=None,
                verbose=bool(verbose),
            )
    except (AssertionError, ValueError, TypeError, RuntimeError) as err:
        raise ValueError(
            f"PyPOTS {spec.name} rejected backbone_params {user}: {err}"
        ) from err


# ---------------------------------------------------------------------------------------
# Inputs: arrays in (first axis = samples), the core's nested dict out
# ---------------------------------------------------------------------------------------
def _deltas(mask: np.ndarray) -> np.ndarray:
    """GRU-D time gaps (PyPOTS ``parse_delta``), vectorised over samples and channels.

    ``d[0] = 0``, ``d[t] = 1 + (1 - m[t-1]) * d[t-1]``.
    """
    d = np.zeros_like(mask, dtype=np.float32)
    for t in range(1, mask.shape[1]):
        d[:, t] = 1.0 + (1.0 - mask[:, t - 1]) * d[:, t - 1]
    return d


def _last_obs(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """CSAI's ``compute_last_obs``, vectorised: last value observed strictly before t, else 0."""
    out = np.zeros_like(values, dtype=np.float32)
    cur = np.zeros(values.shape[::2], dtype=np.float32)  # (n, C)
    seen = np.zeros(values.shape[::2], dtype=bool)
    for t in range(1, values.shape[1]):
        m = mask[:, t - 1] > 0
        cur = np.where(m, values[:, t - 1], cur)
        seen |= m
        out[:, t] = np.where(seen, cur, 0.0)
    return out


def _reverse(a: np.ndarray, lengths: np.ndarray, within_length: bool) -> np.ndarray:
    """Reverse the time axis; with ``within_length`` only the first ``lengths[i]`` steps."""
    if not within_length:
        return np.ascontiguousarray(a[:, ::-1])
    t = np.arange(a.shape[1])
    idx = lengths[:, None] - 1 - t[None, :]
    idx = np.where(idx >= 0, idx, t[None, :])  # padding stays where it is (at the end)
    idx = idx.reshape(idx.shape + (1,) * (a.ndim - 2))
    return np.take_along_axis(a, np.broadcast_to(idx, a.shape), axis=1)


def build_inputs(
    key: str, values: np.ndarray, lengths: np.ndarray, *, within_length: bool = True
) -> dict:
    """The arrays a backbone's core needs, computed as PyPOTS's Dataset classes do.

    Parameters
    ----------
    key : str
        Table key.
    values : ndarray of shape (n_samples, n_steps, n_channels)
        Scaled values, NaN = missing or padding; ``n_steps`` = the model's length.
    lengths : ndarray of shape (n_samples,)
        Real length of each series.
    within_length : bool, default=True
        For bidirectional models: reverse a shorter series within its own length (for
        latents) rather than over the padded length (as PyPOTS does; for imputation).

    Returns
    -------
    inputs : dict of str to ndarray
        Float32 arrays plus ``step_mask`` (bool, steps with an observed value) and
        ``lengths`` (int64); the keys are the keyword arguments of
        :meth:`PyPOTSFeatureModule.forward`.
    """
    spec = BACKBONES[key]
    observed = ~np.isnan(values)
    mask = observed.astype(np.float32)
    X = np.where(observed, values, 0.0).astype(np.float32)
    out = {"X": X, "missing_mask": mask}
    if spec.inputs == "grud":
        out["deltas"] = _deltas(mask)
    elif spec.inputs in ("brits", "csai"):
        out["deltas"] = _deltas(mask)
        X_b = _reverse(X, lengths, within_length)
        mask_b = _reverse(mask, lengths, within_length)
        out.update(X_b=X_b, missing_mask_b=mask_b, deltas_b=_deltas(mask_b))
        if spec.inputs == "csai":
            out["last_obs"] = _last_obs(X, mask)
            out["last_obs_b"] = _last_obs(X_b, mask_b)
    out["step_mask"] = observed.any(axis=2)
    out["lengths"] = np.asarray(lengths, dtype=np.int64)
    return out


def _core_inputs(kind: str, t: dict, empirical_mean, intervals) -> dict:
    """Flat tensors -> the nested dict that a PyPOTS core's ``forward`` reads."""
    if kind == "masked":
        return {"X": t["X"], "missing_mask": t["missing_mask"]}
    if kind == "grud":
        return {
            "X": t["X"],
            # PyPOTS's DatasetForGRUD applies LOCF to the already zero-filled X, so its
            # models are trained with X_filledLOCF == X; feed them the same.
            "X_filledLOCF": t["X"],
            "missing_mask": t["missing_mask"],
            "deltas": t["deltas"],
            "empirical_mean": empirical_mean.expand(t["X"].shape[0], -1),
        }
    forward = {"X": t["X"], "missing_mask": t["missing_mask"], "deltas": t["deltas"]}
    backward = {"X": t["X_b"], "missing_mask": t["missing_mask_b"], "deltas": t["deltas_b"]}
    if kind == "brits":
        return {"forward": forward, "backward": backward}
    forward["last_obs"] = t["last_obs"]
    backward["last_obs"] = t["last_obs_b"]
    return {
        "forward": forward,
        "backward": backward,
        "intervals": intervals,
        # CSAI's core copies these into its output in eval mode; nothing is evaluated
        "X_ori": t["X"],
        "indicating_mask": torch.zeros_like(t["missing_mask"]),
    }


# ---------------------------------------------------------------------------------------
# Latent capture
# ---------------------------------------------------------------------------------------
class _Recorder:
    """A hook that keeps what it sees (a class, not a lambda: picklable if ever stored)."""

    def __init__(self):
        self.items: list[torch.Tensor] = []

    def pre(self, module, args):
        self.items.append(args[0])

    def out(self, module, args, output):
        self.items.append(output[0] if isinstance(output, tuple) else output)


class PyPOTSFeatureModule(nn.Module):
    """A PyPOTS core plus latent capture and pooling: ``forward(**inputs) -> (B, d)``.

    Parameters
    ----------
    core : torch.nn.Module
        The PyPOTS core (``pm.model``); used as given (copy it first to fine-tune).
    backbone : str
        Table key.
    pooling : {"auto", "mean", "max", "meanmax", "last", "segments", "segmentsmax"}
        Pooling of the latents over the steps (see :func:`resolve_pooling`): per-step
        latents over the steps with an observed value, RNN hidden states over the
        real steps ("last": the final state).
    empirical_mean : array-like of shape (n_channels,) or None
        GRU-D's fallback value per channel (learned at fit, stored as a buffer).
    intervals : dict or None
        CSAI's median observation interval per channel (``pm.intervals``).
    """

    def __init__(self, core, backbone: str, pooling: str = "auto", empirical_mean=None,
                 intervals=None):
        super().__init__()
        self.core = core
        self.backbone = backbone
        self.pooling = pooling
        self.intervals = intervals
        if empirical_mean is not None:
            self.register_buffer(
                "empirical_mean", torch.as_tensor(np.asarray(empirical_mean, np.float32))
            )
        else:
            self.empirical_mean = None

    def _core_inputs(self, inputs: dict) -> dict:
        return _core_inputs(BACKBONES[self.backbone].inputs, inputs, self.empirical_mean,
                            self.intervals)

    def latent(self, **inputs):
        """The raw latent: (B, T, d) per-step, or a list of (B, T, H) per direction."""
        spec = BACKBONES[self.backbone]
        recorders, handles = [], []
        try:
            for path in spec.hooks:
                module = self.core.get_submodule(path)
                rec = _Recorder()
                if spec.latent == "per_step":
                    handles.append(module.register_forward_pre_hook(rec.pre))
                else:
                    handles.append(module.register_forward_hook(rec.out))
                recorders.append(rec)
            self.core(self._core_inputs(inputs))
        finally:
            for h in handles:
                h.remove()
        if spec.latent == "per_step":
            return recorders[0].items[-1]
        return [torch.stack(rec.items, dim=1) for rec in recorders]

    def forward(self, **inputs):
        spec = BACKBONES[self.backbone]
        lat = self.latent(**inputs)
        how = resolve_pooling(self.backbone, self.pooling)
        if spec.latent == "per_step":
            return masked_pool(lat, inputs["step_mask"], how)
        lengths = inputs["lengths"].long().to(lat[0].device)
        if how == "last":
            # hidden state after the last real step of each series, in each direction
            last = (lengths - 1).clamp(min=0)
            rows = torch.arange(last.shape[0], device=last.device)
            return torch.cat([h[rows, last] for h in lat], dim=-1)
        # every real step's hidden state, pooled (the backward direction is reversed
        # within each series' length, so its real steps come first too)
        steps = torch.arange(lat[0].shape[1], device=lengths.device)[None, :] < lengths[:, None]
        return torch.cat([masked_pool(h, steps, how) for h in lat], dim=-1)

    def impute(self, **inputs):
        """The core's imputation (B, T, C) in the scaled space."""
        return self.core(self._core_inputs(inputs))["imputation"]


def latent_width(key: str, core) -> int:
    """Width of one direction's latent: the hooked layer's input or hidden size."""
    spec = BACKBONES[key]
    module = core.get_submodule(spec.hooks[0])
    if spec.latent == "per_step":
        return int(module.in_features)
    return int(module.hidden_size)


def resolve_pooling(key: str, pooling: str) -> str:
    """``pooling="auto"``: the mean of per-step latents, the final state of an RNN."""
    if pooling != "auto":
        return pooling
    return "mean" if BACKBONES[key].latent == "per_step" else "last"


def feature_width(key: str, core, pooling: str) -> int:
    """Number of features a backbone gives with ``pooling``."""
    directions = 1 if BACKBONES[key].latent == "per_step" else len(BACKBONES[key].hooks)
    return directions * pooled_width(latent_width(key, core), resolve_pooling(key, pooling))
