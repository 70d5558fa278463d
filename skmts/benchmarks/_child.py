"""Body of one benchmark job's process: ``python _child.py PAYLOAD.json``.

Run as a script in a fresh interpreter, standard library only, so that the job's peak
memory counts what the job imports and nothing else. The payload names the job's target
(``"module:function"``), the parent's ``sys.path`` and where to write the result.
"""

import importlib
import json
import logging
import os
import resource
import sys
import time
import traceback


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _json_default(obj):
    if hasattr(obj, "item") and getattr(obj, "ndim", None) == 0:
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


def run(payload_path: str) -> None:
    with open(payload_path) as f:
        payload = json.load(f)
    sys.path[:] = payload["sys_path"]
    # Keep the parent's stdout for the result tables: whatever the job's libraries
    # print (PyPOTS's banner) goes to stderr.
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="  [job] %(name)s: %(message)s")
    job = payload["job"]
    start = time.perf_counter()
    try:
        module, _, func = job["target"].partition(":")
        fn = getattr(importlib.import_module(module), func)
        rss_start = _peak_rss_mib()
        metrics = fn(job)
        msg = {"status": "ok", "metrics": dict(metrics), "peak_rss_mib": _peak_rss_mib(),
               "rss_before_job_mib": rss_start}
    except BaseException as err:  # noqa: BLE001 - any failure is this job's result
        msg = {"status": "error", "error": f"{type(err).__name__}: {err}",
               "traceback": traceback.format_exc(limit=20), "peak_rss_mib": _peak_rss_mib()}
    msg["job_s"] = time.perf_counter() - start
    try:
        text = json.dumps(msg, default=_json_default)
    except (TypeError, ValueError) as err:
        text = json.dumps({"status": "error", "error": f"result not serialisable: {err}"})
    tmp = payload["result_path"] + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, payload["result_path"])


if __name__ == "__main__":
    run(sys.argv[1])
