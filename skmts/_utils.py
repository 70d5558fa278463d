"""Small shared helpers: device choice, private seeding, scaling, pooling on arrays."""

from __future__ import annotations

import contextlib
import logging
import sys

import numpy as np
import torch
from sklearn.utils import check_random_state

logger = logging.getLogger("skmts")

__all__ = [
    "RUNTIME_CONSTRAINTS",
    "is_cuda",
    "resolve_device",
    "seed_from",
    "torch_seed_scope",
    "verbose_logging",
    "unwrap_frozen",
    "NanStandardScaler",
]


#: ``_parameter_constraints`` rows every skmts estimator shares
RUNTIME_CONSTRAINTS: dict = {
    "device": [str, torch.device],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


def unwrap_frozen(estimator):
    """The estimator inside an ``sklearn.frozen.FrozenEstimator``, else ``estimator``.

    A fitted estimator given as a parameter is unfitted by ``sklearn.base.clone``; wrapped
    in ``FrozenEstimator`` it survives the clones of searches and cross-validation.
    """
    from sklearn.frozen import FrozenEstimator

    return estimator.estimator if isinstance(estimator, FrozenEstimator) else estimator


def is_cuda(device) -> bool:
    """Whether ``device`` (a string or ``torch.device``) names a CUDA device."""
    return str(device).startswith("cuda")


def resolve_device(device) -> str:
    """Turn ``device`` ("auto", "cpu", "cuda", "cuda:N" or a torch.device) into a string.

    "auto" picks CUDA when it is available, else the CPU. Asking for CUDA on a machine
    without it is a clear ``ValueError`` rather than a torch error deep inside fit.
    """
    if isinstance(device, torch.device):
        device = str(device)
    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(device, str):
        raise TypeError(f"device must be a str or torch.device, got {type(device).__name__}.")
    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(
            f"device={device!r} is not a device name torch knows; use 'auto', 'cpu', 'cuda' "
            "or 'cuda:N'."
        ) from None
    if is_cuda(device) and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this machine; "
            "use device='auto' or 'cpu'."
        )
    if parsed.type == "cuda" and (parsed.index or 0) >= torch.cuda.device_count():
        raise ValueError(
            f"device={device!r} was requested but this machine has "
            f"{torch.cuda.device_count()} CUDA device(s); use 'cuda' or 'cuda:0'."
        )
    return device


def seed_from(random_state) -> int:
    """A 31-bit integer seed drawn from ``random_state`` (None, int or RandomState)."""
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


@contextlib.contextmanager
def torch_seed_scope(seed: int, device: str = "cpu"):
    """Seed torch for the duration of the block and restore the global RNG state after.

    Weight initialisation, dropout and DataLoader shuffling use torch's global generator;
    forking it keeps ``random_state`` repeatable without touching the caller's RNG state.
    """
    devices = [torch.device(device).index or 0] if is_cuda(device) else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


@contextlib.contextmanager
def verbose_logging(verbose: int):
    """Let ``verbose >= 1`` be seen even when the application configured no logging.

    skmts reports progress through ``logging.getLogger("skmts")`` at INFO. When neither
    that logger nor the root logger has a handler, a stderr handler is attached for the
    duration of the block, so ``verbose=1`` shows its per-epoch lines; an application
    that configured logging keeps full control.
    """
    if verbose < 1 or logger.hasHandlers():
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


class NanStandardScaler:
    """Per-channel standardisation learned from observed values only (NaN ignored).

    A channel with no observed value or zero spread keeps scale 1 so nothing divides
    by zero. ``transform`` returns a new float32 array and keeps NaN where it was.
    """

    def fit(self, values: np.ndarray, observed: np.ndarray) -> "NanStandardScaler":
        c = values.shape[-1]
        flat = values.reshape(-1, c)
        obs = observed.reshape(-1, c)
        count = obs.sum(axis=0)
        filled = np.where(obs, flat, 0.0).astype(np.float64)
        mean = filled.sum(axis=0) / np.maximum(count, 1)
        var = (np.where(obs, flat - mean, 0.0) ** 2).sum(axis=0) / np.maximum(count, 1)
        std = np.sqrt(var)
        std[(std < 1e-8) | (count == 0)] = 1.0
        self.mean_ = mean.astype(np.float32)
        self.scale_ = std.astype(np.float32)
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        return ((values - self.mean_) / self.scale_).astype(np.float32, copy=False)

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        return (values * self.scale_ + self.mean_).astype(np.float32, copy=False)
