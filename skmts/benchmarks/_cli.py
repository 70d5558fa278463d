"""Command line of ``python -m skmts.benchmarks``."""

from __future__ import annotations

import argparse
import datetime
import logging
import shlex
import sys
from pathlib import Path

from . import _plan, _report
from ._harness import ResultStore, machine_info, run_jobs

logger = logging.getLogger("skmts.benchmarks")

_DESCRIPTION = """\
Measure skmts against MiniRocket and its own variants on the datasets shipped with sktime.
Each job (suite, dataset, method, setting, seed) runs in a fresh process, one at a time; its
result is appended to a JSON-lines file in --results-dir at once, and a rerun skips the jobs
already done (--force redoes them). At the end each suite's markdown table is printed and its
section of the docs page is rewritten (other sections are kept)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m skmts.benchmarks", description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--suite", required=True, choices=[*_plan.SUITES, "all"],
                        help="which suite to run ('all' runs them all in turn)")
    parser.add_argument("--datasets", nargs="+", metavar="NAME",
                        help="datasets to use instead of the suite's own list")
    parser.add_argument("--seeds", type=int, metavar="N",
                        help="number of seeds (0..N-1); default: classification 3, "
                             "ablation 3, missing 3, e2e 5, long 1; 1 with --quick")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: tiny budgets (2 epochs), 1 seed, 2 small datasets, "
                             "fewer settings; results go to <suite>-quick.jsonl")
    parser.add_argument("--results-dir", default="benchmark-results", metavar="DIR",
                        help="where the JSON-lines results live (default: %(default)s)")
    parser.add_argument("--docs", metavar="PATH",
                        help="markdown page whose suite sections are rewritten (default: "
                             "docs/benchmarks.md; with --quick only when given)")
    parser.add_argument("--no-docs", action="store_true", help="do not write the docs page")
    parser.add_argument("--force", action="store_true", help="rerun jobs already done")
    parser.add_argument("--report-only", action="store_true",
                        help="run nothing; rebuild tables and docs from the results files")
    parser.add_argument("--methods", nargs="+", metavar="PATTERN",
                        help="only methods matching these shell patterns (e.g. 'frozen-*')")
    parser.add_argument("--backbones", nargs="+", metavar="NAME",
                        help="missing suite: frozen backbones (default: saits transformer "
                             "timesnet brits grud csai); e2e suite: backbones (default: dmae); "
                             "regression and transfer suites: dmae and/or frozen backbones "
                             "(default: all seven)")
    parser.add_argument("--settings", nargs="+", metavar="SETTING",
                        help="missing, e2e and regression suites: only these missingness "
                             "settings (missing: complete mcar-0.1 mcar-0.3 block-0.1 "
                             "block-0.3; e2e and regression: complete mcar-0.3)")
    parser.add_argument("--label-fractions", nargs="+", type=float, metavar="F",
                        help="e2e suite: only these fractions of the training labels "
                             "(default: 0.1 0.25 1; 0.25 with --quick)")
    parser.add_argument("--device", help="device for skmts estimators (default: theirs, 'auto')")
    parser.add_argument("--timeout", type=float, default=3600.0, metavar="SECONDS",
                        help="seconds one job may run before it is killed (default: %(default)s)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False


def main(argv=None) -> int:
    """Run the command; returns 0 when every job ran, 1 when some failed."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)

    datasets = None
    if args.datasets:
        from skmts.datasets import _dataset_info

        try:
            datasets = tuple(_dataset_info(name).name for name in args.datasets)
        except ValueError as err:
            parser.error(str(err))
    if args.label_fractions and not all(0 < f <= 1 for f in args.label_fractions):
        parser.error(f"--label-fractions must be in (0, 1], got {args.label_fractions}")
    if args.seeds is not None and args.seeds < 1:
        parser.error(f"--seeds must be >= 1, got {args.seeds}")
    results_dir = Path(args.results_dir)
    docs = None
    if not args.no_docs:
        docs = Path(args.docs) if args.docs else (None if args.quick else Path("docs/benchmarks.md"))

    opts = _plan.Options(datasets=datasets, seeds=args.seeds, quick=args.quick,
                           methods=tuple(args.methods) if args.methods else None,
                           backbones=tuple(args.backbones) if args.backbones else None,
                           settings=tuple(args.settings) if args.settings else None,
                           label_fractions=(tuple(args.label_fractions)
                                            if args.label_fractions else None),
                           device=args.device, workdir=str(results_dir))
    machine = machine_info()
    command = shlex.join(["python", "-m", "skmts.benchmarks", *argv])
    logger.info("machine: %s", _report._machine_line(machine))
    suites = _plan.SUITES if args.suite == "all" else (args.suite,)
    failed = 0
    for suite in suites:
        jobs = _plan.plan(suite, opts)
        store = ResultStore(results_dir / f"{suite}{'-quick' if args.quick else ''}.jsonl")
        logger.info("suite %s: %d jobs, results in %s", suite, len(jobs), store.path)
        if args.force and not args.report_only and suite == "e2e":
            # pretrained backbones shared by the e2e jobs are measurements too: redo them
            for stale in (results_dir / "cache").glob("*.pkl"):
                stale.unlink()
        if not args.report_only:
            try:
                counts = run_jobs(jobs, store, force=args.force, timeout=args.timeout,
                                  extra={"machine": machine, "command": command})
            except KeyboardInterrupt:
                logger.warning("interrupted: the finished jobs are kept in %s; run the same "
                               "command again to continue", store.path)
                return 130
            failed += counts["failed"]
        latest = store.latest()
        records = [latest[(j.key, j.config)] for j in jobs if (j.key, j.config) in latest]
        print(f"\n## {_report.TITLES[suite]}\n\n{_report.suite_tables(suite, records)}\n",
              flush=True)
        if docs is None:
            continue
        image = None
        if suite == "e2e":
            png = docs.parent / "img" / "e2e_label_fraction.png"
            if _report.plot_e2e(records, png) is not None:
                image = "img/e2e_label_fraction.png"
                logger.info("plot written to %s", png)
        section = _report.suite_section(
            suite, records, command=command, n_seeds=opts.n_seeds(suite),
            date=datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
            image=image, quick=args.quick, n_planned=len(jobs), report_only=args.report_only,
        )
        _report.write_docs(docs, suite, section)
        logger.info("section %r of %s rewritten", suite, docs)
    return 1 if failed else 0
