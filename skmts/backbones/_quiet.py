"""PyPOTS imported lazily and quietly; its loggers and global RNG kept in check.

PyPOTS itself is imported on first use (:func:`import_pypots`), with its banner sent to
``os.devnull`` and its loggers disabled. The first import of PyPOTS (or PyGrinder) in an
environment makes TSDB write ``~/.pypots/config.ini``; the path is a module constant that
TSDB computes from ``HOME`` at import time, so skmts cannot move it without changing
``HOME`` for the whole process (which would also move TSDB's dataset cache). skmts leaves
it alone; the write is silent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys
import warnings

import numpy as np

from .._utils import torch_seed_scope

__all__ = ["import_pypots", "pypots_logging", "rng_scope"]

_PYPOTS_LOGGERS = ("PyPOTS running log", "TSDB running log")


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
