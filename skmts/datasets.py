"""Offline datasets in skmts's layout, and synthetic missingness.

:func:`load_dataset` reads the time-series datasets that ship inside sktime (no network)
and returns them in skmts's ``(n_samples, n_timesteps, n_channels)`` layout: a 3-D float
array when every series has the same length, a list of ``(n_timesteps_i, n_channels)``
arrays when they differ (JapaneseVowels, PLAID). :func:`load_file` reads a user's own
``.ts``, ``.npz``, ``.npy``, ``.csv`` or ``.parquet`` file into the same layout.
:func:`inject_missing` hides a share of the observed values with PyGrinder, reproducibly,
without touching the caller's data.

sktime, pandas and PyGrinder are imported inside the functions, so
``import skmts.datasets`` stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._files import _as_panel, _nested_to_list, load_file
from ._missing import inject_missing

__all__ = ["load_dataset", "load_file", "inject_missing", "list_datasets"]


@dataclass(frozen=True)
class _DatasetInfo:
    name: str  # canonical spelling, as the UCR/UEA archive writes it
    loader: str  # function in sktime.datasets
    task: str  # "classification" or "regression"
    ragged: bool  # series of different lengths
    return_type: bool = True  # whether the sktime loader takes ``return_type``


_DATASETS = {
    info.name.lower(): info
    for info in (
        _DatasetInfo("ACSF1", "load_acsf1", "classification", False),
        _DatasetInfo("ArrowHead", "load_arrow_head", "classification", False),
        _DatasetInfo("BasicMotions", "load_basic_motions", "classification", False),
        _DatasetInfo("GunPoint", "load_gunpoint", "classification", False),
        _DatasetInfo("ItalyPowerDemand", "load_italy_power_demand", "classification", False),
        _DatasetInfo("JapaneseVowels", "load_japanese_vowels", "classification", True),
        _DatasetInfo("OSULeaf", "load_osuleaf", "classification", False),
        _DatasetInfo("PLAID", "load_plaid", "classification", True),
        _DatasetInfo("UnitTest", "load_unit_test", "classification", False),
        _DatasetInfo("Covid3Month", "load_covid_3month", "regression", False, False),
        _DatasetInfo("Tecator", "load_tecator", "regression", False),
    )
}


def list_datasets(task=None):
    """Names of the datasets :func:`load_dataset` can read.

    Parameters
    ----------
    task : {"classification", "regression"} or None, default=None
        Only the datasets of this task; None lists all of them.

    Returns
    -------
    names : list of str
        Dataset names in alphabetical order.

    Examples
    --------
    >>> from skmts.datasets import list_datasets
    >>> "JapaneseVowels" in list_datasets("classification")
    True
    """
    if task not in (None, "classification", "regression"):
        raise ValueError(
            f"task must be 'classification', 'regression' or None, got {task!r}."
        )
    return sorted(
        info.name for info in _DATASETS.values() if task is None or info.task == task
    )


def _dataset_info(name) -> _DatasetInfo:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}.")
    try:
        return _DATASETS[name.lower()]
    except KeyError:
        raise ValueError(
            f"name={name!r} is not a shipped dataset; expected one of {list_datasets()}."
        ) from None


def load_dataset(name, split=None):
    """Load a time-series dataset shipped with sktime, in skmts's NTC layout.

    The data come from the ``.ts`` files inside the installed sktime package: nothing
    is downloaded. Classification labels are strings (as in the archive files);
    regression targets are floats.

    Parameters
    ----------
    name : str
        The dataset, case-insensitive: "ACSF1", "ArrowHead", "BasicMotions", "GunPoint",
        "ItalyPowerDemand", "JapaneseVowels", "OSULeaf", "PLAID", "UnitTest"
        (classification) or "Covid3Month", "Tecator" (regression).
    split : {"train", "test"} or None, default=None
        The archive's default train or test split; None returns train followed by test.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, n_channels) or list of ndarray
        float64 series. A list of ``(n_timesteps_i, n_channels)`` arrays when the series
        have different lengths (JapaneseVowels, PLAID); univariate datasets have one channel.
    y : ndarray of shape (n_samples,)
        Labels (str) or regression targets (float64).

    Raises
    ------
    ValueError
        If ``name`` is not a shipped dataset or ``split`` is not "train", "test" or None.

    See Also
    --------
    inject_missing : Hide a share of the observed values, reproducibly.

    Examples
    --------
    >>> from skmts.datasets import load_dataset
    >>> X, y = load_dataset("BasicMotions", split="train")
    >>> X.shape, y.shape
    ((40, 100, 6), (40,))
    >>> X, y = load_dataset("JapaneseVowels", split="test")
    >>> len(X), X[0].shape[1]
    (370, 12)
    """
    info = _dataset_info(name)
    if split not in (None, "train", "test"):
        raise ValueError(f"split must be 'train', 'test' or None, got {split!r}.")
    try:
        import sktime.datasets
    except ImportError as err:
        raise ImportError(
            "load_dataset reads the datasets shipped inside sktime, which is not installed; "
            "install it with `pip install sktime` (or `pip install skmts[sktime]`)."
        ) from err

    loader = getattr(sktime.datasets, info.loader)
    kwargs = {"split": split, "return_X_y": True}
    if info.return_type:
        kwargs["return_type"] = "nested_univ"
    X, y = loader(**kwargs)
    X_out = _as_panel(_nested_to_list(X))
    y = np.asarray(y)
    y = y.astype(np.float64) if info.task == "regression" else y.astype(str)
    return X_out, y
