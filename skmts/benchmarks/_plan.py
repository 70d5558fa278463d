"""Planning: which jobs each benchmark suite runs, from what the command line asked for."""

from __future__ import annotations

import dataclasses
import fnmatch
import inspect

from ..backbones._pypots import BACKBONES
from ._harness import Job

SUITES = ("classification", "ablation", "missing", "e2e", "long", "inference", "regression",
          "transfer", "sktime")
CLASSIFICATION_DATASETS = (
    "BasicMotions", "JapaneseVowels", "ArrowHead", "GunPoint", "ItalyPowerDemand", "OSULeaf",
)
ABLATION_DATASETS = CLASSIFICATION_DATASETS
MISSING_DATASETS = ("BasicMotions", "JapaneseVowels")
E2E_DATASETS = ("JapaneseVowels", "BasicMotions")
QUICK_DATASETS = {
    # one univariate and the ragged one: the two input paths beside the 3-D one
    "classification": ("ItalyPowerDemand", "JapaneseVowels"),
    "ablation": ("BasicMotions", "JapaneseVowels"),
    "missing": ("BasicMotions", "JapaneseVowels"),
    "e2e": ("BasicMotions", "JapaneseVowels"),
    "regression": ("Covid3Month",),
    "transfer": ("GunPoint", "ItalyPowerDemand"),
    "sktime": ("BasicMotions",),
}
DEFAULT_SEEDS = {"classification": 3, "ablation": 3, "missing": 3, "e2e": 5, "long": 1,
                 "inference": 1, "regression": 3, "transfer": 3, "sktime": 1}
# the long-series check: a panel of univariate random walks, (n_samples, n_timesteps)
LONG_PANEL = (100, 2000)
QUICK_LONG_PANEL = (20, 300)
# the inference-scale check: transform of (n_samples, n_timesteps, n_channels) after a fit
# on the first INFERENCE_FIT series; the quick variant is for smoke tests
INFERENCE_PANEL = (100_000, 64, 3)
QUICK_INFERENCE_PANEL = (2_000, 64, 3)
INFERENCE_FIT = 256
INFERENCE_METHODS = ("dmae", "saits")
FROZEN_BACKBONES = tuple(BACKBONES)  # every row of the PyPOTS table
QUICK_FROZEN_BACKBONES = ("saits", "brits")
MISSING_SETTINGS = ("complete", "mcar-0.1", "mcar-0.3", "block-0.1", "block-0.3")
# settings where the missing suite also runs the random-initialisation twins, and the
# RNN backbones with their final hidden state (pooling="last") instead of the mean
TWIN_SETTINGS = ("complete",)
POOLING_SETTINGS = ("complete",)
RNN_BACKBONES = tuple(k for k, spec in BACKBONES.items() if spec.latent != "per_step")
QUICK_MISSING_SETTINGS = ("mcar-0.3", "block-0.3")
E2E_MISSING = ("complete", "mcar-0.3")
E2E_FRACTIONS = (0.1, 0.25, 1.0)
QUICK_E2E_FRACTIONS = (0.25,)
E2E_BACKBONES = ("dmae",)
E2E_KINDS = ("modular", "e2e", "scratch")
HEADS = ("linear", "mlp")

# regression: the modular paper's claim that regression needs a deeper head than
# classification; every backbone, modular (RidgeCV / linear / MLP head) and end-to-end
REGRESSION_DATASETS = ("Covid3Month", "Tecator")
REGRESSION_SETTINGS = ("complete", "mcar-0.3")
QUICK_REGRESSION_SETTINGS = ("mcar-0.3",)
# transfer: pretrain on one univariate dataset, classify another; every series is
# resampled to TRANSFER_LENGTH steps so that one fixed-length PyPOTS model reads them all
TRANSFER_DATASETS = ("ArrowHead", "GunPoint", "ItalyPowerDemand", "OSULeaf")
TRANSFER_LENGTH = 128
# sktime: skmts's adapters beside sktime's MiniRocket and its torch FCN, in sktime's
# ClassificationBenchmark on shuffled K folds of train + test
SKTIME_METHODS = ("dmae-modular", "dmae-e2e", "saits-modular", "saits-e2e", "minirocket",
                  "fcn-torch")
QUICK_SKTIME_METHODS = ("dmae-modular", "saits-e2e", "fcn-torch")
SKTIME_FOLDS = 3
# FCN's default is 2000 epochs (hours per dataset on 2 CPU cores); 200 is still about
# 10x the optimiser steps skmts's backbones take
SKTIME_FCN_EPOCHS = 200

# Budgets for --quick: a smoke test of every code path, not a measurement.
QUICK_BUDGET = {
    "dmae": {"max_epochs": 2},
    "frozen": {"max_epochs": 2},
    "head": {"max_epochs": 5},
    "e2e": {},  # end-to-end fine-tuning follows the head's recipe (its max_epochs)
    "fcn": {"num_epochs": 2},
}

# (label, DMAETransformer parameters, with a random-initialisation twin) of the ablation;
# variants equal to the defaults are folded into "default" when the plan is made. A twin
# (same architecture and pooling, ``max_epochs=0``: no optimiser step, BatchNorm statistics
# from the data) is run where the variant changes the architecture or the pooling; the
# variants that change training only share the default's twin.
# the paper's recipe: point tokens, TST's masks, no stem and no contrastive term
PAPER_DESIGN = {"patch_len": 1, "n_conv_blocks": 0, "mask_ratio": 0.15, "mean_span": 3,
                "mask_per_channel": True, "contrastive_weight": 0.0}
ABLATION_VARIANTS = (
    ("default", {}, True),
    ("paper design", PAPER_DESIGN, True),
    ("n_conv_blocks=0", {"n_conv_blocks": 0}, True),
    ("alignment_weight=0", {"alignment_weight": 0.0}, False),
    ("teacher_view=full", {"teacher_view": "full"}, False),
    ("mask_ratio=0.4", {"mask_ratio": 0.4}, False),
    ("mask_ratio=0.6", {"mask_ratio": 0.6}, False),
    ("global mean pooling", {"pooling": "mean", "layers": "last"}, True),
    ("pooling=meanmaxppv", {"pooling": "meanmaxppv"}, True),
    ("pooling=multiscale", {"pooling": "multiscale"}, True),
    ("contrastive_weight=0", {"contrastive_weight": 0.0}, False),
    ("n_conv_blocks=6", {"n_conv_blocks": 6}, True),
)
TWIN = " (twin)"

_ABLATED = ("alignment_weight", "contrastive_weight", "patch_len", "n_conv_blocks",
            "mask_ratio", "mean_span", "teacher_view", "pooling")
# job functions live in _suites (their "module:function" is part of each job's
# configuration hash, so moving them would make every stored result look undone)
_TARGET = "skmts.benchmarks._suites:"
_CLAIMS = "skmts.benchmarks._claims:"


@dataclasses.dataclass
class Options:
    """What the command line asked for."""

    datasets: tuple | None = None
    seeds: int | None = None
    quick: bool = False
    methods: tuple | None = None
    backbones: tuple | None = None
    settings: tuple | None = None
    label_fractions: tuple | None = None
    device: str | None = None
    workdir: str = "benchmark-results"

    def n_seeds(self, suite: str) -> int:
        if self.seeds is not None:
            return self.seeds
        return 1 if self.quick else DEFAULT_SEEDS[suite]

    def datasets_for(self, suite: str, default: tuple) -> tuple:
        if self.datasets:
            return tuple(self.datasets)
        return QUICK_DATASETS[suite] if self.quick else default

    def budget(self, kind: str) -> dict:
        budget = dict(QUICK_BUDGET[kind]) if self.quick else {}
        if self.device is not None:
            budget["device"] = self.device
        return budget

    def settings_for(self, default: tuple) -> tuple:
        return tuple(s for s in default if not self.settings or s in self.settings)

    def keep(self, method: str) -> bool:
        return not self.methods or any(fnmatch.fnmatch(method, pat) for pat in self.methods)


# ---- planning -------------------------------------------------------------------------
def plan(suite: str, opts: Options) -> list[Job]:
    """The jobs of ``suite`` in run order (dataset, then seed, then method)."""
    planner = {
        "classification": _plan_classification,
        "ablation": _plan_ablation,
        "missing": _plan_missing,
        "e2e": _plan_e2e,
        "long": _plan_long,
        "inference": _plan_inference,
        "regression": _plan_regression,
        "transfer": _plan_transfer,
        "sktime": _plan_sktime,
    }[suite]
    jobs = [job for job in planner(opts) if opts.keep(job.method)]
    return [dataclasses.replace(job, workdir=str(opts.workdir)) for job in jobs]


def _plan_classification(opts: Options) -> list[Job]:
    jobs = []
    for dataset in opts.datasets_for("classification", CLASSIFICATION_DATASETS):
        for seed in range(opts.n_seeds("classification")):
            jobs.append(Job("classification", dataset, "dmae", "default", seed,
                            _TARGET + "classification_job",
                            {"dmae_params": {}, "budget": opts.budget("dmae")}))
            jobs.append(Job("classification", dataset, "minirocket", "default", seed,
                            _TARGET + "classification_job", {}))
    return jobs


def ablation_variants() -> list[tuple[str, dict, bool]]:
    """Ablation variants, without those that repeat DMAETransformer's defaults."""
    defaults = _dmae_defaults()
    variants = []
    for label, params, twin in ABLATION_VARIANTS:
        if label != "default" and all(defaults.get(k) == v for k, v in params.items()):
            continue  # identical to "default": same seed, same result
        variants.append((label, params, twin))
    return variants


def _dmae_defaults() -> dict:
    from skmts import DMAETransformer as cls
    return {
        name: p.default
        for name, p in inspect.signature(cls).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def _plan_ablation(opts: Options) -> list[Job]:
    jobs = []
    variants = ablation_variants()
    for dataset in opts.datasets_for("ablation", ABLATION_DATASETS):
        for seed in range(opts.n_seeds("ablation")):
            for label, params, twin in variants:
                jobs.append(Job("ablation", dataset, label, "default", seed,
                                _TARGET + "classification_job",
                                {"dmae_params": params, "budget": opts.budget("dmae")}))
                if twin:
                    jobs.append(Job("ablation", dataset, label + TWIN, "default", seed,
                                    _TARGET + "classification_job",
                                    {"dmae_params": {**params, "max_epochs": 0}}))
    return jobs


def _plan_missing(opts: Options) -> list[Job]:
    backbones = opts.backbones or (QUICK_FROZEN_BACKBONES if opts.quick else FROZEN_BACKBONES)
    settings = opts.settings_for(QUICK_MISSING_SETTINGS if opts.quick else MISSING_SETTINGS)
    jobs = []
    for dataset in opts.datasets_for("missing", MISSING_DATASETS):
        for seed in range(opts.n_seeds("missing")):
            for setting in settings:
                methods = [(f"frozen-{b}", _frozen_params(b, opts)) for b in backbones]
                methods += [("dmae", {"budget": opts.budget("dmae")}), ("minirocket", {})]
                methods += _missing_variants(backbones, opts, setting)
                if setting != "complete":
                    methods.append(("linear-interp", {}))
                for method, params in methods:
                    jobs.append(Job("missing", dataset, method, setting, seed,
                                    _TARGET + "missing_job", params))
    return jobs


def _plan_long(opts: Options) -> list[Job]:
    n, t = QUICK_LONG_PANEL if opts.quick else LONG_PANEL
    return [Job("long", f"random walks {n}x{t}", "dmae", "default", seed,
                _TARGET + "long_series_job",
                {"n_samples": n, "n_timesteps": t, "budget": opts.budget("dmae")})
            for seed in range(opts.n_seeds("long"))]


def _plan_inference(opts: Options) -> list[Job]:
    n, t, c = QUICK_INFERENCE_PANEL if opts.quick else INFERENCE_PANEL
    return [Job("inference", f"random {n}x{t}x{c}", method, "default", seed,
                _TARGET + "inference_job",
                {"n_samples": n, "n_timesteps": t, "n_channels": c, "n_fit": INFERENCE_FIT,
                 "budget": _backbone_budget(method, opts)})
            for seed in range(opts.n_seeds("inference")) for method in INFERENCE_METHODS]


def _frozen_params(backbone: str, opts: Options) -> dict:
    """A frozen backbone with its defaults. The RNN rows name their pooling ("mean",
    the default since 2026-12-01; "last" before) so that results measured with the old
    default are not read as the new one's."""
    params = {"backbone": backbone, "budget": opts.budget("frozen")}
    if backbone in RNN_BACKBONES:
        params["estimator_params"] = {"pooling": "mean"}
    return params


def _missing_variants(backbones, opts: Options, setting: str) -> list[tuple[str, dict]]:
    """Random-initialisation twins of every backbone (``TWIN_SETTINGS``), and the RNN
    backbones with their final hidden state instead of the mean over the steps
    (``POOLING_SETTINGS``)."""
    out = []
    if setting in TWIN_SETTINGS:
        # a twin pools as its trained backbone does
        out += [(f"frozen-{b}{TWIN}",
                 {"backbone": b, "estimator_params": {
                     **_frozen_params(b, opts).get("estimator_params", {}), "max_epochs": 0}})
                for b in backbones]
        out.append(("dmae" + TWIN, {"estimator_params": {"max_epochs": 0}}))
    if setting in POOLING_SETTINGS:
        out += [(f"frozen-{b} pooling=last", {"backbone": b, "budget": opts.budget("frozen"),
                                              "estimator_params": {"pooling": "last"}})
                for b in backbones if b in RNN_BACKBONES]
    return out


def _plan_e2e(opts: Options) -> list[Job]:
    backbones = opts.backbones or E2E_BACKBONES
    fractions = QUICK_E2E_FRACTIONS if opts.quick else E2E_FRACTIONS
    if opts.label_fractions:
        fractions = tuple(opts.label_fractions)
    jobs = []
    for dataset in opts.datasets_for("e2e", E2E_DATASETS):
        for seed in range(opts.n_seeds("e2e")):
            for missing in opts.settings_for(E2E_MISSING):
                for frac in fractions:
                    setting = f"{missing}/labels={frac:g}"
                    base = {"missing": missing, "label_fraction": frac}
                    for backbone in backbones:
                        budget = _backbone_budget(backbone, opts)
                        for kind in E2E_KINDS:
                            for head in HEADS:
                                params = {**base, "backbone": backbone, "kind": kind,
                                          "head": head, "budget": budget,
                                          "head_budget": opts.budget("head"),
                                          "e2e_budget": opts.budget("e2e")}
                                jobs.append(Job("e2e", dataset, f"{backbone}-{kind}-{head}",
                                                setting, seed, _TARGET + "e2e_job", params))
                    jobs.append(Job("e2e", dataset, "minirocket", setting, seed,
                                    _TARGET + "e2e_job", {**base, "kind": "minirocket"}))
    return jobs


def _backbone_budget(name: str, opts: Options) -> dict:
    return opts.budget("dmae" if name == "dmae" else "frozen")


def _plan_regression(opts: Options) -> list[Job]:
    backbones = opts.backbones or (("dmae", "saits") if opts.quick
                                   else ("dmae", *FROZEN_BACKBONES))
    settings = opts.settings_for(QUICK_REGRESSION_SETTINGS if opts.quick
                                 else REGRESSION_SETTINGS)
    jobs = []
    for dataset in opts.datasets_for("regression", REGRESSION_DATASETS):
        for seed in range(opts.n_seeds("regression")):
            for missing in settings:
                jobs.append(Job("regression", dataset, "minirocket", missing, seed,
                                _CLAIMS + "regression_job",
                                {"missing": missing, "kind": "minirocket"}))
                for name in backbones:
                    for kind in ("modular", "e2e"):
                        params = {"missing": missing, "kind": kind, "backbone": name,
                                  "budget": _backbone_budget(name, opts),
                                  "head_budget": opts.budget("head")}
                        jobs.append(Job("regression", dataset, f"{name}-{kind}", missing,
                                        seed, _CLAIMS + "regression_job", params))
    return jobs


def _plan_transfer(opts: Options) -> list[Job]:
    """One job per (source, backbone, seed); it scores every target dataset."""
    backbones = opts.backbones or (("dmae", "saits") if opts.quick
                                   else ("dmae", *FROZEN_BACKBONES))
    datasets = opts.datasets_for("transfer", TRANSFER_DATASETS)
    length = 32 if opts.quick else TRANSFER_LENGTH
    return [Job("transfer", source, name, f"length={length}", seed,
                _CLAIMS + "transfer_job",
                {"targets": list(datasets), "length": length,
                 "budget": _backbone_budget(name, opts)})
            for source in datasets for seed in range(opts.n_seeds("transfer"))
            for name in backbones]


def _plan_sktime(opts: Options) -> list[Job]:
    methods = QUICK_SKTIME_METHODS if opts.quick else SKTIME_METHODS
    jobs = []
    for dataset in opts.datasets_for("sktime", CLASSIFICATION_DATASETS):
        for seed in range(opts.n_seeds("sktime")):
            for method in methods:
                if method == "fcn-torch":
                    budget = dict(QUICK_BUDGET["fcn"] if opts.quick
                                  else {"num_epochs": SKTIME_FCN_EPOCHS})
                elif method == "minirocket":
                    budget = {}
                else:
                    name = method.partition("-")[0]
                    budget = {"backbone": _backbone_budget(name, opts),
                              "head": opts.budget("head")}
                jobs.append(Job("sktime", dataset, method, f"kfold={SKTIME_FOLDS}", seed,
                                _CLAIMS + "sktime_job",
                                {"n_folds": SKTIME_FOLDS, "budget": budget}))
    return jobs
