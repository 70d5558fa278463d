"""Read a user's own dataset file (.ts, .npz, .npy, .csv, .parquet) into skmts's layout.

sktime and pandas are imported inside the readers, so importing this module is cheap.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

__all__ = ["load_file"]

_EXTENSIONS = (".ts", ".npz", ".npy", ".csv", ".parquet", ".pq")
_LABEL_EXTENSIONS = (".npy", ".csv", ".txt")


def load_file(path, *, labels=None, instance_column="instance", time_column="time",
              label_column="label"):
    """Read a panel of time series (and its labels) from a file, in skmts's layout.

    The format follows the file extension (case-insensitive):

    * ``.ts``: sktime/UEA text format, equal or unequal length, with class labels
      (``@classLabel true ...``, returned as str; sktime's reader lowercases them),
      regression targets (``@targetLabel true``, float64) or no labels.
    * ``.npz``: array ``X`` of shape (n_series, n_timesteps, n_channels), or
      (n_series, n_timesteps) for univariate series; optional ``y`` (one value per
      series) and ``lengths`` (one int per series: ``X`` is right-padded and each series
      is cut to its length). Store ragged panels this way: object arrays are refused.
    * ``.npy``: ``X`` alone, as in an ``.npz``.
    * ``.csv``, ``.parquet``, ``.pq``: a long table with one row per (instance, time step):
      an instance column, a time column, an optional label column (constant within an
      instance) and one numeric column per channel (every other column). Rows are sorted
      by time within an instance; instances keep the order in which they first appear.
      Empty cells (and pandas' NA markers such as ``NA``) are missing values (NaN).

    Parameters
    ----------
    path : str or path-like
        The file to read. It is never modified.
    labels : str, path-like or None, default=None
        A ``.npy``, ``.csv`` (one column, header allowed) or ``.txt`` (one label a line)
        file with one label per series, in the order of the series. It replaces the
        labels found in ``path``, if any. Text labels that all read as numbers are
        returned as int64 or float64.
    instance_column, time_column : str, default="instance", "time"
        Columns of a ``.csv``/``.parquet`` table that identify the series and order its
        time steps.
    label_column : str or None, default="label"
        Column of a ``.csv``/``.parquet`` table holding the labels, used when present;
        None reads every column but the instance and time columns as a channel.

    Returns
    -------
    X : ndarray of shape (n_series, n_timesteps, n_channels) or list of ndarray
        float64 series, NaN where a value is missing. A list of
        ``(n_timesteps_i, n_channels)`` arrays when the series have different lengths.
    y : ndarray of shape (n_series,) or None
        The labels or targets; None when neither the file nor ``labels`` holds any.

    Raises
    ------
    FileNotFoundError
        If ``path`` or ``labels`` does not exist.
    ValueError
        If a file has an unknown extension, cannot be read, holds no series or does not
        fit the format above. The message is one line that starts with the file's path.
    ImportError
        If a ``.ts`` file is read without sktime, or a parquet file without pyarrow.

    Examples
    --------
    >>> import os, shutil, tempfile
    >>> import numpy as np
    >>> from skmts.datasets import load_file
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "panel.npz")
    >>> np.savez(path, X=np.zeros((4, 10, 2)), y=np.array(["a", "b", "a", "b"]),
    ...          lengths=np.array([10, 7, 10, 5]))
    >>> X, y = load_file(path)
    >>> [s.shape for s in X], y.tolist()
    ([(10, 2), (7, 2), (10, 2), (5, 2)], ['a', 'b', 'a', 'b'])
    >>> path = os.path.join(folder, "long.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("instance,time,hr,spo2,label\\n"
    ...                 "p1,0,80,97,sick\\np1,1,82,,sick\\np2,0,70,99,well\\np2,1,71,98,well\\n")
    >>> X, y = load_file(path)
    >>> X.shape, y.tolist(), X[0, 1].tolist()
    ((2, 2, 2), ['sick', 'well'], [82.0, nan])
    >>> shutil.rmtree(folder)
    """
    path = _check_file(path, _EXTENSIONS, "file")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".ts":
        X, y = _read_ts(path)
    elif ext in (".npz", ".npy"):
        X, y = _read_numpy(path, ext)
    else:
        X, y = _read_table(path, instance_column, time_column, label_column)
    if labels is not None:
        y = _read_labels(labels, len(X), path)
    return X, y


# ---- helpers shared with load_dataset ------------------------------------------------------
def _nested_to_list(X) -> list[np.ndarray]:
    """sktime's nested_univ DataFrame (one pd.Series per cell) -> list of (T_i, C) arrays."""
    if isinstance(X, np.ndarray):  # numpy3D (n, C, T)
        return [np.ascontiguousarray(x.T, dtype=np.float64) for x in X]
    columns = [X.iloc[:, j] for j in range(X.shape[1])]
    series = []
    for i in range(X.shape[0]):
        cells = [np.asarray(col.iloc[i], dtype=np.float64) for col in columns]
        if len({len(c) for c in cells}) > 1:
            raise ValueError(f"series {i} has channels of different lengths "
                             f"{[len(c) for c in cells]}")
        series.append(np.column_stack(cells))
    return series


def _as_panel(series: list[np.ndarray]):
    """A 3-D array when every series has the same shape, else the list itself."""
    return np.stack(series) if len({s.shape for s in series}) == 1 else series


# ---- readers -------------------------------------------------------------------------------
def _check_file(path, extensions, what) -> str:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if os.path.isdir(path):
        raise ValueError(f"{path}: is a directory, expected a file.")
    ext = os.path.splitext(path)[1].lower()
    if ext not in extensions:
        raise ValueError(f"{path}: unknown {what} extension {ext or '(none)'!r}; expected one "
                         f"of {', '.join(extensions)}.")
    if os.path.getsize(path) == 0:
        raise ValueError(f"{path}: empty file.")
    return path


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _show(value) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def _read_ts(path):
    kind = None  # from the header: "class", "target" or None (no labels)
    try:
        with open(path, encoding="utf-8") as f:
            for words in (line.lower().split() for line in f):
                if words and words[0] == "@data":
                    break
                if words[:2] in (["@classlabel", "true"], ["@targetlabel", "true"]):
                    kind = "class" if words[0] == "@classlabel" else "target"
        import sktime.datasets as skd
    except ImportError as err:
        raise ImportError(f"{path}: reading .ts files needs sktime, which is not installed; "
                          "install it with `pip install sktime`.") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a readable .ts file ({_one_line(err)}).") from None
    try:
        if kind is None:  # sktime 1.2's load_from_tsfile fails on files without labels
            X, y = skd.load_from_tsfile_to_dataframe(path, return_separate_X_and_y=False), None
        else:
            X, y = skd.load_from_tsfile(path, return_data_type="nested_univ", y_dtype="str")
        series = _nested_to_list(X)
    except Exception as err:
        raise ValueError(f"{path}: not a readable .ts file ({_one_line(err)}).") from None
    if y is not None:
        y = np.asarray(y).astype(str)
        try:
            y = y.astype(np.float64) if kind == "target" else y
        except ValueError as err:
            raise ValueError(f"{path}: @targetLabel is true but a target is not a number "
                             f"({_one_line(err)}).") from None
    return _as_panel(series), y


def _np_load(path, ext: str) -> dict:
    """The arrays of an .npz file, or {"X": array} for an .npy file; no object arrays."""
    try:
        with open(path, "rb") as f:
            data = np.load(f, allow_pickle=False)
            if isinstance(data, np.ndarray):
                return {"X": data, "_kind": ".npy"}
            return {**{k: data[k] for k in data.files}, "_kind": ".npz"}
    except ValueError as err:
        if "Object arrays" in str(err):
            raise ValueError(f"{path}: holds an object array, which is refused (loading it "
                             "could run code); store a ragged panel as a padded numeric X "
                             "plus an int array 'lengths' in an .npz file.") from None
        why = "no NumPy header" if "pickled" in str(err) else _one_line(err)
        raise ValueError(f"{path}: not a NumPy {ext} file ({why}).") from None
    except (OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path}: not a readable {ext} file ({_one_line(err)}).") from None


def _read_numpy(path, ext):
    arrays = _np_load(path, ext)
    if arrays.pop("_kind") != ext:
        found = "an .npz archive" if ext == ".npy" else "a single .npy array"
        raise ValueError(f"{path}: expected a {ext} file, found {found}.")
    if "X" not in arrays:
        raise ValueError(f"{path}: no array 'X' (found {sorted(arrays) or 'none'}).")
    X, y, lengths = arrays["X"], arrays.get("y"), arrays.get("lengths")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{path}: X has dtype {X.dtype}; expected numbers.")
    X = X[:, :, None] if X.ndim == 2 else X
    if X.ndim != 3:
        raise ValueError(f"{path}: X has shape {X.shape}; expected 2-D (n_series, n_timesteps) "
                         "or 3-D (n_series, n_timesteps, n_channels).")
    n = X.shape[0]
    if 0 in X.shape:
        raise ValueError(f"{path}: X has shape {X.shape}: " + (
            "no series." if n == 0 else "no time steps or no channels."))
    X = X.astype(np.float64)
    if y is not None and y.shape != (n,):
        raise ValueError(f"{path}: y has shape {y.shape}; expected ({n},), one per series.")
    if lengths is None:
        return X, y
    if lengths.dtype.kind not in "iu" or lengths.shape != (n,):
        raise ValueError(f"{path}: lengths has shape {lengths.shape} and dtype "
                         f"{lengths.dtype}; expected ({n},) integers, one per series.")
    if (lengths < 1).any() or (lengths > X.shape[1]).any():
        raise ValueError(f"{path}: lengths must lie in [1, {X.shape[1]}] (X's n_timesteps), "
                         f"found {int(lengths.min())}..{int(lengths.max())}.")
    return _as_panel([X[i, :k].copy() for i, k in enumerate(lengths.tolist())]), y


def _read_table(path, instance_column, time_column, label_column):
    import pandas as pd

    try:
        df = pd.read_csv(path) if path.lower().endswith(".csv") else pd.read_parquet(path)
    except ImportError as err:
        raise ImportError(f"{path}: reading parquet needs pyarrow ({_one_line(err)}).") from err
    except Exception as err:
        raise ValueError(f"{path}: not a readable table ({_one_line(err)}).") from None
    for role, col in (("instance", instance_column), ("time", time_column)):
        if col not in df.columns:
            raise ValueError(f"{path}: no {role} column {col!r} (columns found: "
                             f"{list(df.columns)}); pass {role}_column= to name it.")
    if len(df) == 0:
        raise ValueError(f"{path}: the table has no rows, so no series.")
    has_label = label_column is not None and label_column in df.columns
    skip = {instance_column, time_column, label_column if has_label else instance_column}
    channels = [c for c in df.columns if c not in skip]
    if not channels:
        raise ValueError(f"{path}: no channel column besides {sorted(map(str, skip))}.")
    for c in channels:
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise ValueError(f"{path}: channel column {c!r} is not numeric (dtype "
                             f"{df[c].dtype}); every column other than the instance, time "
                             "and label columns is a channel.")
    codes0, instances = pd.factorize(df[instance_column], sort=False)  # first appearance
    time0 = df[time_column].to_numpy()
    for role, bad in (("instance", codes0 < 0), ("time", pd.isna(time0))):
        if bad.any():
            raise ValueError(f"{path}: empty cell in the {role} column at data row "
                             f"{int(np.flatnonzero(bad)[0]) + 1}.")
    try:
        order = pd.DataFrame({"i": codes0, "t": time0}).sort_values(
            ["i", "t"], kind="stable").index.to_numpy()
    except TypeError as err:
        raise ValueError(f"{path}: the time column {time_column!r} holds values that cannot "
                         f"be ordered ({_one_line(err)}).") from None
    codes, times = codes0[order], time0[order]
    dup = np.flatnonzero((codes[1:] == codes[:-1]) & (times[1:] == times[:-1]))
    if dup.size:
        raise ValueError(f"{path}: instance {_show(instances[codes[dup[0]]])} has two rows "
                         f"at time {_show(times[dup[0]])}.")
    values = df[channels].to_numpy(dtype=np.float64, na_value=np.nan)[order]
    starts = np.r_[0, np.flatnonzero(codes[1:] != codes[:-1]) + 1]
    y = None
    if has_label:
        lab = df[label_column]
        missing = lab.isna().to_numpy()
        if missing.any():
            raise ValueError(f"{path}: empty label cell for instance "
                             f"{_show(instances[codes0[np.flatnonzero(missing)[0]]])}.")
        varies = lab.groupby(codes0).nunique() > 1
        if varies.any():
            raise ValueError(f"{path}: the label column {label_column!r} is not constant "
                             f"within instance {_show(instances[varies.index[varies][0]])}.")
        y = lab.to_numpy()[order][starts]
        y = np.asarray(y) if pd.api.types.is_numeric_dtype(lab) else y.astype(str)
    return _as_panel(np.split(values, starts[1:])), y


def _parse_labels(items, path):
    items = [str(s).strip() for s in items]
    if "" in items:
        raise ValueError(f"{path}: empty label at entry {items.index('') + 1}.")
    arr = np.array(items, dtype=str)
    for dtype in (np.int64, np.float64):
        try:
            return arr.astype(dtype)
        except (ValueError, OverflowError):
            pass
    return arr


def _read_labels(labels, n: int, data_path: str) -> np.ndarray:
    path = _check_file(labels, _LABEL_EXTENSIONS, "labels file")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npy":
        arrays = _np_load(path, ext)
        if arrays["_kind"] != ".npy":
            raise ValueError(f"{path}: expected a .npy file, found an .npz archive.")
        y = arrays["X"][:, 0] if arrays["X"].shape[1:] == (1,) else arrays["X"]
        if y.ndim != 1:
            raise ValueError(f"{path}: labels have shape {y.shape}; expected ({n},).")
    elif ext == ".txt":
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().rstrip().splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise ValueError(f"{path}: not a readable text file ({_one_line(err)}).") from None
        y = _parse_labels(lines, path)
    else:
        import pandas as pd

        try:
            df = pd.read_csv(path, header=None, dtype=str, keep_default_na=False)
        except Exception as err:
            raise ValueError(f"{path}: not a readable csv file ({_one_line(err)}).") from None
        if df.shape[1] != 1:
            raise ValueError(f"{path}: expected a single column of labels, found "
                             f"{df.shape[1]} columns.")
        rows = df.iloc[:, 0].tolist()
        y = _parse_labels(rows[1:] if len(rows) == n + 1 else rows, path)  # drop a header
    if len(y) != n:
        raise ValueError(f"{path}: holds {len(y)} labels, but {data_path} holds {n} series.")
    return y
