"""Run benchmark jobs one at a time, each in a fresh spawned process, and keep every result.

A job is one (suite, dataset, method, setting, seed) measurement. Each runs in its own
fresh interpreter (``_child.py``, like a ``spawn`` child but importing nothing of the parent)
so that its peak memory (``getrusage`` in the child) is its own, and a crash, an
out-of-memory kill or a timeout loses that job only. Every finished job is appended to a
JSON-lines file at once; a rerun skips the jobs already done with the same configuration.
Jobs run sequentially: timings are not disturbed by a concurrent job.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

logger = logging.getLogger("skmts.benchmarks")

__all__ = ["Job", "ResultStore", "run_jobs", "machine_info"]


@dataclasses.dataclass(frozen=True)
class Job:
    """One measurement.

    ``target`` is ``"module:function"``; the child imports it and calls it with the job as
    a dict, and the function returns a dict of JSON-serialisable metrics. ``params`` holds
    everything else that defines the measurement (budgets, variants); it is part of the
    job's configuration hash, so changing it makes the job run again.
    """

    suite: str
    dataset: str
    method: str
    setting: str
    seed: int
    target: str
    params: dict = dataclasses.field(default_factory=dict)
    workdir: str = ""  # where jobs may cache shared work; not part of the configuration

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.dataset}/{self.method}/{self.setting}/seed={self.seed}"

    @property
    def config(self) -> str:
        blob = json.dumps({"target": self.target, "params": self.params}, sort_keys=True)
        return hashlib.sha1(blob.encode()).hexdigest()[:12]

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class ResultStore:
    """Append-only JSON-lines file of job records; the last record of a key wins."""

    def __init__(self, path):
        self.path = Path(path)

    def records(self) -> list[dict]:
        if not self.path.exists():
            return []
        out = []
        with self.path.open() as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    # a line cut short by a kill mid-write: skip it, keep the rest
                    logger.warning("skipping an unreadable line in %s", self.path)
        return out

    def latest(self) -> dict[tuple[str, str], dict]:
        """Latest record per (key, config)."""
        latest = {}
        for rec in self.records():
            latest[(rec["key"], rec["config"])] = rec
        return latest

    def done(self) -> set[tuple[str, str]]:
        return {k for k, rec in self.latest().items() if rec.get("status") == "ok"}

    def append(self, record: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            f.write(json.dumps(record, default=_json_default) + "\n")
            f.flush()
            os.fsync(f.fileno())


def _json_default(obj):
    try:
        import numpy as np

        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
    except ImportError:  # pragma: no cover
        pass
    return str(obj)


def machine_info() -> dict:
    """Cores, CPU model, torch version, threads and device of this machine."""
    info = {
        "cores": os.cpu_count(),
        "cores_available": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "host": platform.node(),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        info["device"] = (
            f"cuda ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else "cpu"
        )
    except ImportError:  # pragma: no cover
        info["torch"] = None
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            info[var] = os.environ[var]
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


_CHILD = Path(__file__).with_name("_child.py")


def _run_one(job: Job, timeout: float) -> dict:
    """Run ``job`` in a fresh interpreter (``_child.py``) and return its message."""
    with tempfile.TemporaryDirectory(prefix="skmts-job-") as tmp:
        payload = Path(tmp) / "payload.json"
        result = Path(tmp) / "result.json"
        payload.write_text(json.dumps(
            {"job": job.as_dict(), "sys_path": sys.path, "result_path": str(result)},
            default=_json_default,
        ))
        start = time.perf_counter()
        # stdout/stderr are inherited; the child sends its stdout to stderr itself
        proc = subprocess.Popen([sys.executable, str(_CHILD), str(payload)])
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return {"status": "timeout", "error": f"no result within {timeout:g} s",
                    "wall_s": time.perf_counter() - start}
        finally:
            if proc.poll() is None:  # interrupted (Ctrl-C): do not leave the job running
                proc.kill()
                proc.wait()
        wall = time.perf_counter() - start
        if not result.exists():
            return {"status": "crashed", "wall_s": wall,
                    "error": f"the job process died with exit code {proc.returncode} "
                             "(e.g. killed for memory) before reporting a result"}
        msg = json.loads(result.read_text())
    msg["wall_s"] = wall
    return msg


def run_jobs(jobs, store: ResultStore, *, force=False, timeout=3600.0, extra=None) -> dict:
    """Run the jobs not yet done, one at a time, appending each result to ``store``.

    Parameters
    ----------
    jobs : list of Job
    store : ResultStore
    force : bool, default=False
        Run every job again, even those with a finished result.
    timeout : float, default=3600
        Seconds a job may run before its process is killed.
    extra : dict or None
        Fields added to every record (e.g. the command line and the machine).

    Returns
    -------
    counts : dict
        How many jobs ran ok, failed, and were skipped.
    """
    done = set() if force else store.done()
    counts = {"ok": 0, "failed": 0, "skipped": 0}
    n = len(jobs)
    for i, job in enumerate(jobs, 1):
        if (job.key, job.config) in done:
            counts["skipped"] += 1
            logger.debug("[%d/%d] %s: already done, skipped", i, n, job.key)
            continue
        logger.info("[%d/%d] %s ...", i, n, job.key)
        started = datetime.datetime.now(datetime.timezone.utc)
        msg = _run_one(job, timeout)
        record = {
            "key": job.key,
            "config": job.config,
            **job.as_dict(),
            **msg,
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"
            ),
            **(extra or {}),
        }
        store.append(record)
        if msg["status"] == "ok":
            counts["ok"] += 1
            shown = ", ".join(
                f"{k}={_fmt(v)}"
                for k, v in msg["metrics"].items()
                if k in ("accuracy", "fit_s", "imputation_mae", "latency_ms")
            )
            logger.info(
                "[%d/%d] %s: ok in %.1f s (%s; peak %.0f MiB)",
                i, n, job.key, msg["wall_s"], shown, msg.get("peak_rss_mib", float("nan")),
            )
        else:
            counts["failed"] += 1
            logger.warning(
                "[%d/%d] %s: %s: %s", i, n, job.key, msg["status"], msg.get("error", "")
            )
    if counts["skipped"]:
        logger.info(
            "%d of %d jobs already had results in %s (use --force to redo them)",
            counts["skipped"], n, store.path,
        )
    return counts


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)
