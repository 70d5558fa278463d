"""What skmts does when training or inference goes wrong: Ctrl-C, diverging losses, GPU
memory, a user's callbacks.

* :func:`fit_net`: ``net.fit`` that tells a user's Ctrl-C (a real SIGINT, recorded by
  :func:`record_interrupt`) from skorch's own "stop training" (``EarlyStopping`` raises
  ``KeyboardInterrupt``, which skorch swallows): an interrupted fit returns the net
  trained so far with a ``UserWarning``; early stopping returns quietly;
* :func:`unfit_on_error`: a ``fit`` that raises (a diverging loss, a ``KeyboardInterrupt``
  that propagates) leaves the estimator unfitted rather than half-fitted;
* :func:`retry_on_oom`: inference that runs out of GPU memory is retried with half the
  batch size, down to 1;
* :func:`user_callbacks`: a ``callbacks`` parameter checked and cloned for one fit.

Nothing here imports skorch at import time (``import skmts`` stays light); the skorch
callbacks are in :mod:`skmts.training._callbacks`.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import signal
import threading
import warnings

import torch

__all__ = [
    "collect_interrupts",
    "discard_fitted",
    "fit_net",
    "record_interrupt",
    "retry_on_oom",
    "unfit_on_error",
    "user_callbacks",
]


# ---- Ctrl-C ------------------------------------------------------------------------------
class _Interrupt:
    """Whether a SIGINT arrived inside :func:`record_interrupt`."""

    hit = False


@contextlib.contextmanager
def record_interrupt():
    """Within: a SIGINT (Ctrl-C) is recorded, then handled as before.

    The handler in place (Python's default raises ``KeyboardInterrupt``; the one of
    :func:`skmts.model_selection._study.interrupt_guard` also marks the trial) still runs,
    so Ctrl-C behaves as without this context; only its arrival is remembered, which
    skorch's swallowing of ``KeyboardInterrupt`` would otherwise erase. Signals reach the
    main thread only: elsewhere, and when the SIGINT handler is not a Python callable
    (ignored, or the OS default), nothing is recorded.
    """
    state = _Interrupt()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):
        yield state
        return

    def handler(signum, frame):
        state.hit = True
        previous(signum, frame)

    signal.signal(signal.SIGINT, handler)
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)


_COLLECT: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "skmts_collect_interrupts", default=None
)


@contextlib.contextmanager
def collect_interrupts():
    """Within: interrupted fits are listed (as messages) instead of warning.

    For an estimator that trains another inside its own ``fit`` (an end-to-end
    estimator pretraining its backbone) and decides itself what an interrupt means.
    """
    found: list = []
    token = _COLLECT.set(found)
    try:
        yield found
    finally:
        _COLLECT.reset(token)


def fit_net(net, X, y=None, *, owner: str) -> bool:
    """``net.fit(X, y)``; returns whether the user interrupted it (Ctrl-C).

    skorch ends training on ``KeyboardInterrupt`` and returns normally, both for its
    ``EarlyStopping`` and for Ctrl-C. Only a real SIGINT counts as an interrupt here: then
    a ``UserWarning`` says at which epoch, and the net holds the weights trained so far
    (the best epoch's when early stopping restores them). A ``KeyboardInterrupt`` raised
    by a callback (skorch's way to stop) is no interrupt. A ``KeyboardInterrupt`` that
    leaves ``net.fit`` (e.g. re-raised by model selection's interrupt guard) propagates.
    """
    with record_interrupt() as state:
        net.fit(X, y)
    if not state.hit:
        return False
    epoch, planned = len(net.history), net.max_epochs
    message = (
        f"{owner}.fit interrupted at epoch {epoch} of {planned}; the estimator holds the "
        "weights trained so far"
    )
    found = _COLLECT.get()
    if found is not None:
        found.append(message)
    else:
        warnings.warn(message, UserWarning, stacklevel=2)
    return True


# ---- a failed fit leaves no half-fitted estimator ------------------------------------
def discard_fitted(estimator) -> None:
    """Delete ``estimator``'s fitted attributes (public names ending in "_", and
    ``_n_features_out``), so that it reads as unfitted."""
    for name in [k for k in vars(estimator) if k.endswith("_") and not k.startswith("__")]:
        delattr(estimator, name)
    estimator.__dict__.pop("_n_features_out", None)


def unfit_on_error(method):
    """Decorator: if ``method`` (a fit) raises anything, KeyboardInterrupt included, the
    estimator is left unfitted (:func:`discard_fitted`) and the exception propagates."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            discard_fitted(self)
            raise

    return wrapper


# ---- GPU out of memory at inference ----------------------------------------------------
def retry_on_oom(run, batch_size: int, *, what: str, setting: str | None = "batch_size"):
    """``run(batch_size)``, retried with half the batch size on CUDA out-of-memory.

    ``torch.cuda.OutOfMemoryError`` (defined on CPU builds too) makes the whole call run
    again with ``batch_size // 2``, down to 1, after freeing PyTorch's cached GPU memory;
    a ``UserWarning`` then names the batch size that worked. If one series at a time
    still does not fit, a ``RuntimeError`` says so. ``what`` names the call in messages
    (e.g. ``"DMAETransformer.transform"``); ``setting`` the parameter that sets this batch
    size, suggested in the warning (None: there is none to suggest).
    """
    size = int(max(batch_size, 1))
    while True:
        failed = False
        try:
            result = run(size)
        except torch.cuda.OutOfMemoryError as err:
            if size <= 1:
                raise RuntimeError(
                    f"{what} ran out of GPU memory even with batch_size=1 (one series at "
                    f"a time; it started at batch_size={batch_size}): the model and one "
                    "series do not fit in the free GPU memory. Free GPU memory (other "
                    "processes, other models), use shorter series, or run on the CPU "
                    "(device='cpu')."
                ) from err
            failed = True
        if not failed:
            break
        # outside the except block: the exception's frames (and their tensors) are gone
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        size = max(size // 2, 1)
    if size != batch_size:
        advice = f"; set {setting}={size} (or lower) to avoid the retries" if setting else ""
        warnings.warn(
            f"{what} ran out of GPU memory with batch_size={batch_size} and was run again "
            f"with batch_size={size}{advice}.",
            UserWarning,
            stacklevel=3,
        )
    return result


# ---- the callbacks parameter -----------------------------------------------------------
def user_callbacks(callbacks, *, owner: str) -> list:
    """Fresh copies (``sklearn.base.clone``) of a ``callbacks`` parameter, checked.

    Each element is a skorch callback instance or a ``(name, callback)`` pair; None is
    no callback. Cloning makes every fit start from unused callbacks, so one list serves
    several fits and ``GridSearchCV``'s clones stay independent.
    """
    if callbacks is None:
        return []
    from sklearn.base import clone
    from skorch.callbacks import Callback

    from .._compat import InvalidParameterError

    out = []
    for i, item in enumerate(callbacks):
        name, cb = (item if isinstance(item, tuple) and len(item) == 2
                    and isinstance(item[0], str) else (None, item))
        if not isinstance(cb, Callback):
            hint = ""
            if isinstance(cb, type) and issubclass(cb, Callback):
                hint = f" (an instance such as {cb.__name__}(), not the class)"
            raise InvalidParameterError(
                f"The 'callbacks' parameter of {owner} must be None or a list of skorch "
                f"callbacks (instances of skorch.callbacks.Callback) or (name, callback) "
                f"pairs; callbacks[{i}] is {item!r}{hint}."
            )
        cb = clone(cb)
        out.append(cb if name is None else (name, cb))
    return out
