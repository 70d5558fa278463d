"""Optuna studies shared by processes and machines: storage, a study-wide budget, faults.

* :func:`open_storage` turns a URL into an Optuna storage: SQLite (the default, a file in
  the output folder), PostgreSQL or MySQL through SQLAlchemy, or a journal file
  (``journal:PATH``); relational storages keep a heartbeat, so a trial whose process was
  killed is marked failed after a grace period and its place in the budget is freed.
* :func:`run_trials` runs trials until the study holds ``n_trials`` (study-wide, whatever
  the number of workers): a trial runs only if fewer than ``n_trials`` trials were
  created before it and have not failed. Trial creation is serialised by the storage,
  so workers never run more than the budget together.
* :func:`interrupt_guard`: Ctrl-C (or SIGTERM) ends the current trial as failed (its
  place is freed) and keeps every finished one. skorch treats KeyboardInterrupt as "stop
  training" and returns normally, so without the guard an interrupted trial would be
  recorded as complete with a half-trained model.
* :func:`redact_url`: a storage URL with its password replaced by ``***``, for
  everything the command prints or writes.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import threading
import time
import warnings
from pathlib import Path

from skorch.callbacks import Callback

from ..training._recipe import extra_callbacks

__all__ = ["interrupt_guard", "open_storage", "redact_url", "run_trials", "spent_budget"]

_OVER_BUDGET = "skmts_over_budget"
_INTERRUPTED = threading.Event()


class StorageError(ValueError):
    """The storage URL cannot be opened (the message never holds the password)."""


def redact_url(url) -> str:
    """``url`` with any password replaced by ``***``.

    Examples
    --------
    >>> from skmts.model_selection import redact_url
    >>> redact_url("postgresql://me:s3cret@db.example:5432/studies")
    'postgresql://me:***@db.example:5432/studies'
    """
    if url is None:
        return ""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(url))


def _scrub(text: str, url: str) -> str:
    match = re.search(r"://[^:/@]*:([^@]*)@", url or "")
    text = str(text)
    if match and match.group(1):
        text = text.replace(match.group(1), "***")
    return redact_url(text)


def default_storage_url(output_dir) -> str:
    return f"sqlite:///{(Path(output_dir) / 'study.db').resolve()}"


def open_storage(url: str, *, heartbeat_interval=30, grace_period=120):
    """An Optuna storage for ``url``.

    Parameters
    ----------
    url : str
        ``sqlite:///PATH``, ``postgresql://USER:PASSWORD@HOST:PORT/DB`` (psycopg 3),
        ``mysql+pymysql://...``, any other SQLAlchemy URL, or ``journal:PATH`` for an
        Optuna journal file (no server; needs a file system with working locks).
    heartbeat_interval, grace_period : int
        Seconds; a relational storage marks a trial failed when its process has not
        written a heartbeat for ``grace_period`` seconds (a killed worker).

    Returns
    -------
    storage : optuna.storages.BaseStorage

    Raises
    ------
    StorageError
        When the storage cannot be opened or reached; the message names the URL with
        its password hidden.

    Examples
    --------
    >>> import tempfile, optuna
    >>> from skmts.model_selection import open_storage
    >>> storage = open_storage(f"sqlite:///{tempfile.mkdtemp()}/study.db")
    >>> study = optuna.create_study(study_name="demo", storage=storage)
    >>> optuna.load_study(study_name="demo", storage=storage).study_name
    'demo'
    """
    import optuna

    if url.startswith("journal:"):
        from optuna.storages.journal import JournalFileBackend

        path = url[len("journal:"):]
        path = path[2:] if path.startswith("//") else path
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            return optuna.storages.JournalStorage(JournalFileBackend(path))
        except OSError as err:
            raise StorageError(f"cannot open the journal file {path}: {err}") from None
    if url.startswith("sqlite:///"):
        folder = Path(url[len("sqlite:///"):]).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StorageError(f"cannot create {folder} for {url}: {err}") from None
    last = None
    for attempt in range(6):  # SQLite: workers racing to create a fresh schema
        try:
            with warnings.catch_warnings():  # heartbeats are "experimental" since optuna 2.9
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(
                    url, heartbeat_interval=heartbeat_interval, grace_period=grace_period,
                    engine_kwargs={"pool_pre_ping": True},
                )
        except Exception as err:  # SQLAlchemy, the driver, alembic: one line for the user
            last = err
            if not url.startswith("sqlite") or "already exists" not in str(err):
                break
            time.sleep(0.2 * (attempt + 1))
    reason = " ".join(str(last).split())[:300]
    raise StorageError(
        f"cannot open the storage {redact_url(url)}: {_scrub(reason, url)}"
    ) from None


def _counts(trial) -> bool:
    from optuna.trial import TrialState

    return (trial.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING,
                            TrialState.WAITING)
            and not trial.user_attrs.get(_OVER_BUDGET))


def spent_budget(study, before=None) -> int:
    """Trials that use up the budget (complete, pruned, running; and, below ``before``,
    waiting ones), optionally only those numbered below ``before``.

    A waiting (enqueued) trial takes a place only when it is ahead of the trial
    asking: the trial that runs it will count itself.
    """
    from optuna.trial import TrialState

    return sum(1 for t in study.get_trials(deepcopy=False)
               if _counts(t) and (t.number < before if before is not None
                                  else t.state != TrialState.WAITING))


class _OverBudget(Exception):
    pass


def run_trials(study, objective, n_trials: int, *, timeout=None, progress=None,
               max_failures=3):
    """Run ``objective`` on ``study`` until ``n_trials`` trials are spent, study-wide.

    Parameters
    ----------
    study : optuna.Study
    objective : callable
        ``objective(trial) -> float``.
    n_trials : int
        The study-wide budget: complete + pruned + running trials, by every worker.
    timeout : float or None
        Stop starting trials after this many seconds (this worker).
    progress : callable or None
        Called as ``progress(study, frozen_trial)`` after each trial.
    max_failures : int, default=3
        Stop with ``RuntimeError`` after this many failed trials in a row (an error
        in every configuration would otherwise never use up the budget).

    Returns
    -------
    n_run : int
        Trials this call ran (complete or pruned).

    Examples
    --------
    >>> import optuna
    >>> from skmts.model_selection import run_trials
    >>> study = optuna.create_study()
    >>> run_trials(study, lambda trial: trial.suggest_float("x", 0, 1), 3)
    3
    >>> run_trials(study, lambda trial: trial.suggest_float("x", 0, 1), 3)  # budget spent
    0
    """
    import optuna
    from optuna.trial import TrialState

    with contextlib.suppress(Exception), warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)  # free the places of killed workers' trials
    if spent_budget(study) >= n_trials:
        return 0
    failures = []
    n_run = 0

    def wrapped(trial):
        if spent_budget(study, before=trial.number) >= n_trials:
            trial.set_user_attr(_OVER_BUDGET, True)  # raced another worker: not run
            study.stop()
            raise _OverBudget()
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        try:
            return objective(trial)
        except optuna.TrialPruned:
            raise
        except Exception as err:
            trial.set_user_attr("error", f"{type(err).__name__}: {err}"[:500])
            raise

    def after(study, frozen):
        nonlocal n_run
        if frozen.user_attrs.get(_OVER_BUDGET):
            return
        if frozen.state == TrialState.FAIL:
            failures.append(frozen.user_attrs.get("error", "unknown error"))
            if len(failures) >= max_failures:
                study.stop()
        else:
            failures.clear()
            n_run += 1
        if progress is not None:
            progress(study, frozen)
        if spent_budget(study) >= n_trials:
            study.stop()

    study.optimize(wrapped, timeout=timeout, catch=(Exception,), callbacks=[after],
                   gc_after_trial=False)
    if len(failures) >= max_failures:
        raise RuntimeError(
            f"{len(failures)} trials in a row failed; the last with {failures[-1]}"
        )
    return n_run


class _InterruptGuard(Callback):
    """Re-raise an interrupt that skorch turned into the end of training."""

    def on_train_end(self, net, **kwargs):
        if _INTERRUPTED.is_set():
            raise KeyboardInterrupt


@contextlib.contextmanager
def interrupt_guard():
    """Within: SIGINT/SIGTERM end the current trial as interrupted, not as complete."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        _INTERRUPTED.set()
        raise KeyboardInterrupt

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with extra_callbacks(_InterruptGuard()):
            yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)
        _INTERRUPTED.clear()
