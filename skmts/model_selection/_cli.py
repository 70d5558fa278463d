"""``skmts compare``: modular vs end-to-end vs from scratch, on a shipped dataset or a file.

Every problem with the command's input is one line on stderr and exit status 2; Ctrl-C
keeps every finished trial (exit status 130) and running the same command again resumes.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np

__all__ = ["main"]

_EPILOG = """examples:
  skmts compare BasicMotions
  skmts compare train.ts test.ts --label-fractions 0.1 0.25 1 --backbones dmae saits
  skmts compare panel.csv --test-size 0.3 --missing-rate 0.2 --modes modular end-to-end scratch

several workers on one study (one database, N machines; the trial budget is shared):
  skmts compare DATA --storage postgresql://USER:PASSWORD@HOST/DB --worker   # on each machine
  skmts compare DATA --storage postgresql://USER:PASSWORD@HOST/DB --report-only
"""


class UsageError(Exception):
    """A problem with the command's input: one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not the usage block
        raise UsageError(f"{message} (see skmts compare --help)")


def _parser():
    p = _Parser(prog="skmts compare", description=__doc__.splitlines()[0],
                epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="a shipped dataset name (e.g. BasicMotions) or a file: "
                   ".ts, .npz, .npy, .csv or .parquet (long format: instance, time, "
                   "one column per channel, label)")
    p.add_argument("test", nargs="?", help="a test file (a shipped dataset uses its own "
                   "test split; without either, --test-size of DATA is held out)")
    p.add_argument("--labels", help="labels of DATA's series (.npy, .csv, .txt)")
    p.add_argument("--test-labels", help="labels of TEST's series")
    p.add_argument("--test-size", type=float, default=0.3,
                   help="share of DATA held out for testing when no test split is given "
                   "(stratified, seeded; default 0.3)")
    p.add_argument("--label-fractions", type=float, nargs="+", default=[0.25, 1.0],
                   metavar="F", help="shares of the training labels to compare at "
                   "(in (0, 1]; default 0.25 1)")
    p.add_argument("--missing-rate", type=float, default=0.0,
                   help="share of the observed values to hide, train and test (PyGrinder)")
    p.add_argument("--missing-pattern", default="mcar", choices=["mcar", "seq", "block"])
    p.add_argument("--backbones", nargs="+", default=["dmae"],
                   help="dmae and/or PyPOTS imputers: saits transformer timesnet brits "
                   "grud csai (default dmae)")
    p.add_argument("--heads", nargs="+", default=None,
                   help="linear mlp logreg (classification) / linear mlp ridge "
                   "(regression); default all three")
    p.add_argument("--modes", nargs="+", default=["modular", "end-to-end"],
                   help="modular end-to-end scratch (default modular end-to-end)")
    p.add_argument("--trials", type=int, default=10,
                   help="trials per label fraction, shared by all workers (default 10)")
    p.add_argument("--cv", type=int, default=3, help="folds scoring a trial (1: holdout)")
    p.add_argument("--storage", help="Optuna storage URL: sqlite:///PATH, "
                   "postgresql://..., mysql+pymysql://..., journal:PATH "
                   "(default: sqlite in the output folder)")
    p.add_argument("--study-name", default=None, help="prefix of the studies' names "
                   "(default: the dataset's name)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds per label fraction after which no new trial starts")
    p.add_argument("--output", default=None, help="output folder "
                   "(default: skmts-compare/<dataset>)")
    p.add_argument("--backbone-params", default=None, metavar="JSON",
                   help='fixed backbone settings, e.g. \'{"dmae": {"d_model": 32}}\'')
    p.add_argument("--head-epochs", type=int, default=200,
                   help="epoch budget of the skmts heads and of joint training")
    p.add_argument("--transductive", action="store_true",
                   help="pretrain backbones on the test series too (reported as such)")
    p.add_argument("--no-reference", action="store_true", help="skip MiniRocket")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--worker", action="store_true",
                      help="run trials only (one of several workers); no report")
    mode.add_argument("--report-only", action="store_true",
                      help="run no trial: refit the best setups and write the report")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def _load(args):
    """(name, X_train, y_train, X_test, y_test, task)."""
    from sklearn.model_selection import train_test_split
    from sklearn.utils.multiclass import type_of_target

    from ..datasets import list_datasets, load_dataset, load_file

    path = Path(args.data)
    if path.suffix or path.exists():
        if not path.exists():
            raise UsageError(f"{args.data}: no such file")
        X, y = load_file(path, labels=args.labels)
        name = path.stem
        if args.test:
            X_test, y_test = load_file(args.test, labels=args.test_labels)
        else:
            X_test = y_test = None
    else:
        name = {n.lower(): n for n in list_datasets()}.get(args.data.lower())
        if name is None:
            raise UsageError(
                f"unknown dataset {args.data!r}: not a file and not one of the shipped "
                f"datasets ({', '.join(list_datasets())})")
        if args.test:
            raise UsageError("a shipped dataset has its own test split; give no TEST file")
        X, y = load_dataset(name, split="train")
        X_test, y_test = load_dataset(name, split="test")
    if y is None:
        raise UsageError(f"{args.data} holds no labels; give them with --labels FILE")
    if X_test is not None and y_test is None:
        raise UsageError(f"{args.test} holds no labels; give them with --test-labels FILE")
    task = "regression" if type_of_target(y) == "continuous" else "classification"
    if task == "classification" and len(np.unique(y)) < 2:
        raise UsageError(f"{args.data}: every series has the label {y[0]!r}; "
                         f"a comparison needs at least 2 classes")
    if X_test is None:
        if not 0 < args.test_size < 1:
            raise UsageError(f"--test-size must be in (0, 1); got {args.test_size}")
        idx = np.arange(len(y))
        try:
            tr, te = train_test_split(idx, test_size=args.test_size, random_state=args.seed,
                                      stratify=y if task == "classification" else None)
        except ValueError as err:
            raise UsageError(f"{args.data}: cannot hold out a stratified test split "
                             f"({err})") from None
        from ._objective import take

        X, X_test, y, y_test = take(X, tr), take(X, te), y[tr], y[te]
    if args.missing_rate:
        from ..datasets import inject_missing

        X = inject_missing(X, args.missing_rate, args.missing_pattern, random_state=args.seed)
        X_test = inject_missing(X_test, args.missing_rate, args.missing_pattern,
                                random_state=args.seed + 1)
    return name, X, np.asarray(y), X_test, np.asarray(y_test), task


def _check(args):
    for f in args.label_fractions:
        if not 0 < f <= 1:
            raise UsageError(f"--label-fractions must lie in (0, 1]; got {f:g}")
    if args.trials < 1:
        raise UsageError(f"--trials must be at least 1; got {args.trials}")
    if args.cv < 1:
        raise UsageError(f"--cv must be at least 1; got {args.cv}")
    if not 0 <= args.missing_rate < 1:
        raise UsageError(f"--missing-rate must be in [0, 1); got {args.missing_rate:g}")
    if args.backbone_params:
        try:
            params = json.loads(args.backbone_params)
        except json.JSONDecodeError as err:
            raise UsageError(f"--backbone-params is not JSON: {err}") from None
        if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
            raise UsageError('--backbone-params must map backbone names to settings, '
                             'e.g. {"dmae": {"d_model": 32}}')
        args.backbone_params = params


def _preflight(args, y, task, out) -> None:
    """The checks that need no training, before anything is printed or run."""
    from ._compare import _writable, labelled_subset
    from ._objective import make_folds
    from ._study import StorageError, default_storage_url, open_storage

    try:
        for fraction in args.label_fractions:
            idx = labelled_subset(y, fraction, args.seed, task)
            make_folds(y[idx], args.cv, args.seed, task)
        _writable(out)
        open_storage(args.storage or default_storage_url(out))
    except (ValueError, StorageError) as err:
        raise UsageError(" ".join(str(err).split())) from None


def _command_line(argv) -> str:
    from . import redact_url

    return "skmts compare " + " ".join(shlex.quote(redact_url(a)) for a in argv)


def main(argv=None) -> int:
    """Run ``skmts compare``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
        _check(args)
        return _run(args, argv)
    except UsageError as err:
        print(f"skmts compare: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("skmts compare: interrupted; finished trials are kept in the storage: run the "
              "same command again to resume", file=sys.stderr)
        return 130


def _run(args, argv) -> int:
    from . import SearchSpace, StorageError, compare, redact_url
    from ._report import run_metadata, write_report

    try:
        name, X, y, X_test, y_test, task = _load(args)
    except (ValueError, TypeError, FileNotFoundError, OSError) as err:
        raise UsageError(" ".join(str(err).split())) from None
    try:
        space = SearchSpace(task=task, modes=args.modes, backbones=args.backbones,
                            heads=args.heads or (("linear", "mlp", "logreg")
                                                 if task == "classification"
                                                 else ("linear", "mlp", "ridge")),
                            backbone_params=args.backbone_params or {},
                            head_max_epochs=args.head_epochs)
    except ValueError as err:
        raise UsageError(str(err)) from None
    out = Path(args.output or Path("skmts-compare") / name)
    score_name = "accuracy" if task == "classification" else "R2"
    _preflight(args, y, task, out)
    if not args.quiet:
        n_test = len(y_test)
        print(f"skmts compare: {name} ({task}, {len(y)} training / {n_test} test series); "
              f"{args.trials} trials per label fraction {args.label_fractions}; "
              f"output in {out}", file=sys.stderr)
    try:
        result = compare(
            X, y, X_test, y_test, space=space, label_fractions=args.label_fractions,
            n_trials=args.trials, cv=args.cv, storage=args.storage,
            study_name=args.study_name or name, output_dir=out, random_state=args.seed,
            device=args.device, timeout=args.timeout, transductive=args.transductive,
            reference=not args.no_reference, run=not args.report_only,
            evaluate=not args.worker, worker=args.worker, verbose=not args.quiet,
            extra_key=[args.missing_rate, args.missing_pattern, args.test_size],
        )
    except StorageError as err:
        raise UsageError(str(err)) from None
    except ValueError as err:  # bad output folder, too few labels for the folds, ...
        raise UsageError(" ".join(str(err).split())) from None
    if args.worker:
        print(f"skmts compare: worker done ({len(result.trials)} trials in the studies)",
              file=sys.stderr)
        return 0
    meta = run_metadata(_command_line(argv), redact_url(args.storage) or "sqlite (output "
                        "folder)", dataset=name, task=task, n_train=len(y),
                        n_test=len(y_test), missing_rate=args.missing_rate,
                        missing_pattern=args.missing_pattern,
                        transductive=args.transductive, studies=result.study_names)
    paths = write_report(result.results, result.trials, out, meta=meta, score_name=score_name)
    print(result.table(score_name))
    if args.transductive:
        print("note: backbones were pretrained on the test series too (--transductive)")
    print(f"\nwritten: {', '.join(str(p) for p in paths.values())}")
    return 0
