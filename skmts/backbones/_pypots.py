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
    A forward hook on the recurrent cell collects its output at every step: ``(B, T, H)``,
    pooled over the real steps of each series (``pooling="last"``: the hidden state after
    the last real step): ``(B, H)`` for the mean.
``"birnn"``
    As ``"rnn"`` for the forward and the backward cell, concatenated: ``(B, 2H)``. The
    backward input of a shorter series is reversed within its own length, so padding comes
    after the series in both directions and never reaches the features.

The other ideas live beside the table: the quiet, lazy import of PyPOTS (``_quiet``), the
input builders (``_inputs``) and the latent capture (``_latent``).
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._quiet import import_pypots

__all__ = ["BACKBONES", "RESERVED_PARAMS", "BackboneSpec", "build_pypots_model", "get_spec",
           "spec_for_model", "spec_key"]

# parameters the estimator sets itself; a backbone_params entry for them is an error
RESERVED_PARAMS = {
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
    fit_state : tuple of str
        Attributes that the PyPOTS model's ``fit`` computes and inference needs (CSAI's
        ``intervals``, which ``load()`` does not restore): a model passed in without them
        is refused.
    masked_training : bool
        True when PyPOTS pretrains the model to impute artificially hidden values
        (``DatasetForSAITS``'s masked-imputation task): skmts then draws those values
        with PyGrinder in ``missing_pattern`` (:func:`~._masked.fit_masked`). False: the
        model's own ``fit`` runs (the RNNs train on reconstructing the values they see,
        so hidden values would only be taken away, never be a target).
    label : str
        How the backbone is written in reports (its paper's spelling); the PyPOTS class
        name when empty.
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
    fit_state: tuple = ()
    masked_training: bool = False
    label: str = ""

    @property
    def display_name(self) -> str:
        return self.label or self.name


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
        masked_training=True,
    ),
    "transformer": BackboneSpec(
        name="Transformer",
        defaults=dict(n_layers=2, d_model=64, n_heads=4, d_ffn=128, dropout=0.1, attn_dropout=0.0),
        latent="per_step",
        hooks=("output_projection",),  # input = encoder output (B, T, d_model)
        inputs="masked",
        adapt=_attention_params,
        masked_training=True,
    ),
    "timesnet": BackboneSpec(
        name="TimesNet",
        defaults=dict(n_layers=2, top_k=3, d_model=32, d_ffn=64, n_kernels=3, dropout=0.1),
        latent="per_step",
        hooks=("projection",),  # input = TimesBlock stack output (B, T, d_model)
        inputs="masked",
        batch_independent=False,
        adapt=_timesnet_params,
        masked_training=True,
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
        label="GRU-D",
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
        fit_state=("intervals",),
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
        if name in RESERVED_PARAMS:
            raise ValueError(
                f"backbone_params may not set {name!r} for {spec.name}: "
                f"{RESERVED_PARAMS[name]}."
            )
        if name not in accepted:
            options = sorted(accepted - set(RESERVED_PARAMS))
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
