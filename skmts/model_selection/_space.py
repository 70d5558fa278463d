"""The search space of a comparison: mode x backbone x head, and the settings of each branch.

A configuration is a flat dict of plain values (what Optuna stores as a trial's
parameters); :meth:`SearchSpace.suggest` samples one define-by-run, so a parameter is
sampled only on the branch that uses it, and :func:`build_estimator` turns one into the
estimator it describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["MODES", "SearchSpace", "build_estimator", "make_backbone"]

#: Training modes: the backbone pretrained then frozen under a head, pretrained then
#: fine-tuned with the head, or trained with the head from random weights.
MODES = ("modular", "end-to-end", "scratch")

_SKMTS_HEADS = ("linear", "mlp")
#: scikit-learn heads (modular mode only): LogisticRegression for classification,
#: Ridge for regression, each after a StandardScaler.
_SKLEARN_HEADS = {"classification": "logreg", "regression": "ridge"}


def _backbone_names() -> tuple:
    from ..backbones import BACKBONES

    return ("dmae", *sorted(BACKBONES))


@dataclass
class SearchSpace:
    """What a comparison searches over.

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"
        Decides the heads' kind and the score (accuracy or R²).
    modes : sequence of str, default=("modular", "end-to-end")
        Any of "modular" (pretrained backbone, frozen, under a head), "end-to-end"
        (pretrained, then fine-tuned jointly with the head) and "scratch" (backbone and
        head trained jointly from random weights).
    backbones : sequence of str, default=("dmae",)
        "dmae" (:class:`~skmts.DMAETransformer`) and any backbone name of
        :class:`~skmts.FrozenImputerTransformer` ("saits", "brits", ...).
    heads : sequence of str, default=("linear", "mlp", "logreg")
        "linear" and "mlp" are skmts heads (usable in every mode); "logreg"
        (classification) and "ridge" (regression) are scikit-learn heads after a
        StandardScaler, modular only.
    backbone_params : dict, default={}
        Fixed settings per backbone name, e.g. ``{"dmae": {"d_model": 32}}``. Backbone
        settings are not searched: each backbone is pretrained once per fold and
        reused by every trial.
    head_max_epochs : int, default=200
        The skmts heads' (and the joint training's) epoch budget; early stopping on a
        validation split ends most runs sooner.

    Notes
    -----
    The define-by-run order is: ``backbone``, ``head``, then ``mode`` (only for an
    skmts head: a scikit-learn head is modular), then the branch's settings — ``lr``,
    ``weight_decay`` and, for "mlp", ``hidden_size`` and ``dropout``; ``C`` or
    ``alpha`` for a scikit-learn head; ``backbone_lr`` for "end-to-end" and "scratch".
    A choice with a single option is recorded without being sampled.

    Examples
    --------
    >>> import optuna
    >>> from skmts.model_selection import SearchSpace
    >>> space = SearchSpace(modes=["modular"], heads=["logreg"])
    >>> study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    >>> config = space.suggest(study.ask())
    >>> config["mode"], config["backbone"], config["head"], sorted(config)
    ('modular', 'dmae', 'logreg', ['C', 'backbone', 'head', 'mode'])
    """

    task: str = "classification"
    modes: tuple = ("modular", "end-to-end")
    backbones: tuple = ("dmae",)
    heads: tuple = ("linear", "mlp", "logreg")
    backbone_params: dict = field(default_factory=dict)
    head_max_epochs: int = 200

    def __post_init__(self):
        if self.task not in _SKLEARN_HEADS:
            raise ValueError(
                f"task must be 'classification' or 'regression', got {self.task!r}."
            )
        self.modes = _choices("modes", self.modes, MODES)
        self.backbones = _choices("backbones", self.backbones, _backbone_names())
        sk_head = _SKLEARN_HEADS[self.task]
        self.heads = _choices("heads", self.heads, (*_SKMTS_HEADS, sk_head))
        if set(self.heads) == {sk_head} and "modular" not in self.modes:
            raise ValueError(
                f"heads={list(self.heads)} is modular only, but modes={list(self.modes)} "
                f"has no 'modular'; add an skmts head ('linear' or 'mlp') or the mode."
            )
        unknown = set(self.backbone_params) - set(self.backbones)
        if unknown:
            raise ValueError(
                f"backbone_params names {sorted(unknown)}, which are not among "
                f"backbones={list(self.backbones)}."
            )

    def suggest(self, trial) -> dict:
        """Sample one configuration on ``trial`` (an ``optuna.Trial``), define-by-run."""
        config = {"backbone": _pick(trial, "backbone", self.backbones)}
        heads = self.heads
        if "modular" not in self.modes:
            heads = tuple(h for h in heads if h in _SKMTS_HEADS)
        config["head"] = _pick(trial, "head", heads)
        if config["head"] in _SKMTS_HEADS:
            config["mode"] = _pick(trial, "mode", self.modes)
            config["lr"] = trial.suggest_float("lr", 1e-3, 3e-2, log=True)
            config["weight_decay"] = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
            if config["head"] == "mlp":
                config["hidden_size"] = trial.suggest_categorical("hidden_size", [32, 64, 128])
                config["dropout"] = trial.suggest_float("dropout", 0.0, 0.5)
            if config["mode"] != "modular":
                config["backbone_lr"] = trial.suggest_float("backbone_lr", 1e-5, 1e-3, log=True)
        else:
            config["mode"] = "modular"
            name = "C" if self.task == "classification" else "alpha"
            config[name] = trial.suggest_float(name, 1e-3, 1e2, log=True)
        return config

    def grid_label(self, config: dict) -> tuple:
        """The (mode, backbone, head) a configuration belongs to."""
        return config["mode"], config["backbone"], config["head"]


def _choices(name, values, allowed) -> tuple:
    if isinstance(values, str):
        values = (values,)
    values = tuple(dict.fromkeys(values))
    if not values:
        raise ValueError(f"{name} must name at least one of {list(allowed)}; got none.")
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ValueError(f"{name}: unknown {bad}; expected any of {list(allowed)}.")
    return values


def _pick(trial, name, choices):
    if len(choices) == 1:
        trial.set_user_attr(name, choices[0])
        return choices[0]
    return trial.suggest_categorical(name, list(choices))


def make_backbone(name: str, *, random_state, device="auto", params=None):
    """An unfitted backbone: "dmae" or a FrozenImputerTransformer backbone name."""
    from .. import DMAETransformer, FrozenImputerTransformer

    params = {"random_state": random_state, "device": device, **(params or {})}
    if name == "dmae":
        return DMAETransformer(**params)
    return FrozenImputerTransformer(name, **params)


def build_estimator(config: dict, space: SearchSpace, *, backbone=None, backbone_params=None,
                    random_state=0, device="auto"):
    """The estimator ``config`` describes.

    For "modular" it is the head alone (it is fitted on the backbone's features); for
    "end-to-end" an end-to-end estimator around ``backbone`` (fitted; kept through
    clones in a ``FrozenEstimator``); for "scratch" one around a new, unfitted
    backbone (with ``backbone_params``) that is only built (``pretrain=False``).
    """
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .. import end_to_end, heads

    classification = space.task == "classification"
    head_name = config["head"]
    if head_name == "logreg":
        from sklearn.linear_model import LogisticRegression

        return make_pipeline(StandardScaler(), LogisticRegression(C=config["C"], max_iter=2000))
    if head_name == "ridge":
        from sklearn.linear_model import Ridge

        return make_pipeline(StandardScaler(), Ridge(alpha=config["alpha"]))
    kind = "Classifier" if classification else "Regressor"
    head_cls = getattr(heads, ("Linear" if head_name == "linear" else "MLP") + "Head" + kind)
    head_params = dict(lr=config["lr"], weight_decay=config["weight_decay"],
                       max_epochs=space.head_max_epochs, random_state=random_state,
                       device=device)
    if head_name == "mlp":
        head_params.update(hidden_size=config["hidden_size"], dropout=config["dropout"])
    head = head_cls(**head_params)
    if config["mode"] == "modular":
        return head
    e2e_cls = getattr(end_to_end, "EndToEnd" + kind)
    common = dict(head=head, backbone_lr=config["backbone_lr"], random_state=random_state,
                  device=device)
    if config["mode"] == "end-to-end":
        return e2e_cls(FrozenEstimator(backbone), **common)
    fresh = make_backbone(config["backbone"], random_state=random_state, device=device,
                          params=backbone_params)
    return e2e_cls(fresh, pretrain=False, **common)
