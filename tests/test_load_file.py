"""Tests for skmts.datasets.load_file: a user's own .ts/.npz/.npy/.csv/.parquet file."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from skmts.datasets import load_file

TS_HEADER = "@problemName t\n@timeStamps false\n@missing true\n@univariate {uni}\n"


def _ts(tmp_path, body, name="data.ts"):
    path = tmp_path / name
    path.write_text(body)
    return path


def _long_frame():
    """Two instances, 2 channels, rows shuffled in time, instance 'b' first, NaN cells."""
    return pd.DataFrame({
        "instance": ["b", "a", "b", "a", "a", "b", "b"],
        "time": [2, 1, 0, 0, 2, 1, 3],
        "hr": [12.0, 1.0, 10.0, 0.0, 2.0, np.nan, 13.0],
        "label": ["well", "sick", "well", "sick", "sick", "well", "well"],
        "spo2": [0.2, 0.1, 0.0, 0.0, np.nan, 0.1, 0.3],
    })


def _expect_error(path, err_type=ValueError, **kwargs):
    with pytest.raises(err_type) as info:
        load_file(path, **kwargs)
    msg = str(info.value)
    assert "\n" not in msg, msg
    return msg


# ---- .ts ----------------------------------------------------------------------------------
def test_ts_unequal_length_written_by_sktime(tmp_path):
    from sktime.datasets import write_panel_to_tsfile

    series = [np.arange(5.0), np.arange(3.0) + 0.5, np.arange(4.0) * 1.25]
    nested = pd.DataFrame({
        "dim_0": [pd.Series(s) for s in series],
        "dim_1": [pd.Series(-s) for s in series],
    })
    write_panel_to_tsfile(nested, str(tmp_path), target=np.array(["x", "y", "x"]),
                          problem_name="rag")
    X, y = load_file(tmp_path / "rag" / "rag.ts")
    assert isinstance(X, list) and [s.shape for s in X] == [(5, 2), (3, 2), (4, 2)]
    for got, s in zip(X, series):
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, np.column_stack([s, -s]))
    assert y.dtype.kind == "U" and y.tolist() == ["x", "y", "x"]


def test_ts_equal_length_classification_with_missing_values(tmp_path):
    body = TS_HEADER.format(uni="false") + (
        "@dimensions 2\n@equalLength true\n@seriesLength 3\n@classLabel true a b\n@data\n"
        "1.0,2.0,3.0:4.0,?,6.0:a\n7.0,8.0,9.0:0.5,0.25,0.125:b\n")
    X, y = load_file(_ts(tmp_path, body, "UPPER.TS"))  # extension is case-insensitive
    assert X.shape == (2, 3, 2) and X.dtype == np.float64
    expected = np.array([[[1, 4], [2, np.nan], [3, 6]], [[7, 0.5], [8, 0.25], [9, 0.125]]])
    np.testing.assert_allclose(X, expected)
    assert y.tolist() == ["a", "b"]


def test_ts_regression_targets_are_float64(tmp_path):
    body = TS_HEADER.format(uni="true") + (
        "@equalLength true\n@seriesLength 3\n@targetLabel true\n@data\n"
        "1,2,3:0.123456789012345\n4,5,6:-2.5\n")
    X, y = load_file(_ts(tmp_path, body))
    assert X.shape == (2, 3, 1)
    assert y.dtype == np.float64 and y.tolist() == [0.123456789012345, -2.5]  # exact


def test_ts_without_labels(tmp_path):
    body = TS_HEADER.format(uni="false") + (
        "@dimensions 2\n@equalLength false\n@classLabel false\n@data\n"
        "1,2,3:4,5,6\n7,8:9,10\n")
    X, y = load_file(_ts(tmp_path, body))
    assert y is None and [s.shape for s in X] == [(3, 2), (2, 2)]
    np.testing.assert_allclose(X[1], [[7, 9], [8, 10]])


# ---- .npz / .npy --------------------------------------------------------------------------
def test_npz_roundtrip_with_y(tmp_path, panel):
    y = np.arange(12) % 3
    np.savez(tmp_path / "p.npz", X=panel, y=y)
    X, y_out = load_file(tmp_path / "p.npz")
    assert X.shape == panel.shape and X.dtype == np.float64
    np.testing.assert_allclose(X, panel)  # NaN in the same places
    np.testing.assert_array_equal(y_out, y)


def test_npz_lengths_gives_a_list(tmp_path):
    X = np.random.default_rng(0).normal(size=(3, 6, 2)).astype(np.float32)
    np.savez(tmp_path / "p.npz", X=X, lengths=np.array([6, 2, 4]))
    out, y = load_file(tmp_path / "p.npz")
    assert y is None and [s.shape for s in out] == [(6, 2), (2, 2), (4, 2)]
    for s, full, k in zip(out, X, (6, 2, 4)):
        assert s.dtype == np.float64
        np.testing.assert_allclose(s, full[:k])
    np.savez(tmp_path / "q.npz", X=X, lengths=np.array([4, 4, 4]))  # all equal: 3-D
    assert load_file(tmp_path / "q.npz")[0].shape == (3, 4, 2)


def test_npy_univariate_2d_and_input_untouched(tmp_path):
    X = np.arange(12.0).reshape(3, 4)
    path = tmp_path / "u.npy"
    np.save(path, X)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    out, y = load_file(str(path))
    assert y is None and out.shape == (3, 4, 1)
    np.testing.assert_allclose(out[:, :, 0], X)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


# ---- .csv / .parquet ----------------------------------------------------------------------
def test_csv_long_format_sorted_ragged_with_nan(tmp_path):
    df = _long_frame()
    df.to_csv(tmp_path / "long.csv", index=False)
    text = (tmp_path / "long.csv").read_text()
    assert ",," in text  # the NaN cells are written as empty cells
    X, y = load_file(tmp_path / "long.csv")
    assert isinstance(X, list) and [s.shape for s in X] == [(4, 2), (3, 2)]  # 'b' first
    np.testing.assert_allclose(X[0], [[10, 0.0], [np.nan, 0.1], [12, 0.2], [13, 0.3]])
    np.testing.assert_allclose(X[1], [[0, 0.0], [1, 0.1], [2, np.nan]])
    assert y.tolist() == ["well", "sick"] and y.dtype.kind == "U"


def test_csv_custom_columns_float_labels_and_label_column_none(tmp_path):
    df = pd.DataFrame({"id": [7, 7, 3, 3], "t": [0.0, 0.5, 0.0, 0.5],
                       "x": [1.0, 2.0, 3.0, 4.0], "target": [0.1234, 0.1234, 9.87, 9.87]})
    df.to_csv(tmp_path / "t.csv", index=False)
    X, y = load_file(tmp_path / "t.csv", instance_column="id", time_column="t",
                     label_column="target")
    assert X.shape == (2, 2, 1) and y.dtype == np.float64 and y.tolist() == [0.1234, 9.87]
    X, y = load_file(tmp_path / "t.csv", instance_column="id", time_column="t",
                     label_column=None)
    assert X.shape == (2, 2, 2) and y is None  # 'target' is read as a channel


@pytest.mark.parametrize("ext", [".parquet", ".pq"])
def test_parquet(tmp_path, ext):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(3, 5, 2))
    rows = [(i, t, *values[i, t], i % 2) for i in range(3) for t in range(5)]
    df = pd.DataFrame(rows, columns=["instance", "time", "c0", "c1", "label"])
    df.sample(frac=1.0, random_state=0).to_parquet(tmp_path / f"p{ext}")
    X, y = load_file(tmp_path / f"p{ext}")
    assert X.shape == (3, 5, 2)
    order = pd.unique(df.sample(frac=1.0, random_state=0)["instance"])
    np.testing.assert_allclose(X, values[order])
    np.testing.assert_array_equal(y, order % 2)


# ---- labels= ------------------------------------------------------------------------------
@pytest.mark.parametrize("name, content, expected", [
    ("l.txt", "cat\ndog\ncat\n\n", ["cat", "dog", "cat"]),
    ("l.txt", "1\n2\n3\n", [1, 2, 3]),
    ("l.csv", "label\n0.5\n1.5\n2.5\n", [0.5, 1.5, 2.5]),
    ("l.csv", "cat\ndog\nemu\n", ["cat", "dog", "emu"]),
])
def test_labels_file_text(tmp_path, name, content, expected):
    np.save(tmp_path / "X.npy", np.zeros((3, 4, 1)))
    (tmp_path / name).write_text(content)
    _, y = load_file(tmp_path / "X.npy", labels=tmp_path / name)
    assert y.tolist() == expected


def test_labels_file_npy_replaces_y(tmp_path):
    np.savez(tmp_path / "p.npz", X=np.zeros((3, 4)), y=np.array([0, 0, 0]))
    np.save(tmp_path / "l.npy", np.array(["a", "b", "c"]))
    _, y = load_file(tmp_path / "p.npz", labels=str(tmp_path / "l.npy"))
    assert y.tolist() == ["a", "b", "c"]
    np.save(tmp_path / "col.npy", np.array([[0.5], [1.5], [2.5]]))  # one column is fine
    _, y = load_file(tmp_path / "p.npz", labels=tmp_path / "col.npy")
    assert y.tolist() == [0.5, 1.5, 2.5]
    np.save(tmp_path / "wide.npy", np.zeros((3, 2)))
    msg = _expect_error(tmp_path / "p.npz", labels=tmp_path / "wide.npy")
    assert msg.startswith(f"{tmp_path / 'wide.npy'}: labels have shape (3, 2)"), msg


# ---- errors -------------------------------------------------------------------------------
def test_missing_file(tmp_path):
    msg = _expect_error(tmp_path / "nope.npz", FileNotFoundError)
    assert msg == f"{tmp_path / 'nope.npz'}: no such file"
    np.save(tmp_path / "X.npy", np.zeros((3, 4)))
    msg = _expect_error(tmp_path / "X.npy", FileNotFoundError, labels=tmp_path / "nolabels.txt")
    assert "nolabels.txt: no such file" in msg


def _write_bad(tmp_path, case):
    """Write the bad file for ``case``; return (path, expected text in the message)."""
    p = tmp_path / {"ext": "data.xlsx", "npy_obj": "d.npy", "npy_junk": "d.npy",
                    "npz_obj": "d.npz", "npz_corrupt": "d.npz", "npz_no_X": "d.npz",
                    "npz_4d": "d.npz", "npz_1d": "d.npz", "npz_y": "d.npz",
                    "npz_lengths": "d.npz", "npz_lengths_range": "d.npz",
                    "npz_no_series": "d.npz", "npz_str": "d.npz", "npz_as_npy": "d.npy",
                    }.get(case, "d.csv" if case.startswith("csv") else "d.ts")
    ragged = np.array([np.ones(3), np.ones(2)], dtype=object)
    frame = _long_frame()
    if case == "ext":
        p.write_text("x")
        return p, ".ts, .npz, .npy, .csv, .parquet, .pq"
    if case == "empty":
        p.write_text("")
        return p, "empty file"
    if case == "npy_obj":
        np.save(p, ragged, allow_pickle=True)
        return p, "padded numeric X plus an int array 'lengths'"
    if case == "npy_junk":
        p.write_text("not numpy")
        return p, "not a NumPy .npy file"
    if case == "npz_as_npy":
        np.savez(tmp_path / "real.npz", X=np.ones((2, 3)))
        p.write_bytes((tmp_path / "real.npz").read_bytes())
        return p, "found an .npz archive"
    arrays = {"npz_obj": {"X": ragged}, "npz_no_X": {"data": np.ones((2, 3))},
              "npz_4d": {"X": np.ones((2, 3, 4, 5))}, "npz_1d": {"X": np.ones(5)},
              "npz_y": {"X": np.ones((2, 3)), "y": np.arange(3)},
              "npz_lengths": {"X": np.ones((2, 3)), "lengths": np.array([3])},
              "npz_lengths_range": {"X": np.ones((2, 3)), "lengths": np.array([3, 4])},
              "npz_no_series": {"X": np.ones((0, 3, 2))},
              "npz_str": {"X": np.array([["a", "b"]])}}
    if case in arrays:
        np.savez(p, **arrays[case])
        return p, {"npz_obj": "object array", "npz_no_X": "no array 'X' (found ['data'])",
                   "npz_4d": "shape (2, 3, 4, 5)", "npz_1d": "shape (5,)",
                   "npz_y": "expected (2,)", "npz_lengths": "expected (2,) integers",
                   "npz_lengths_range": "lengths must lie in [1, 3]",
                   "npz_no_series": "no series", "npz_str": "expected numbers"}[case]
    if case == "npz_corrupt":
        p.write_bytes(b"PK\x03\x04 truncated")
        return p, "not a readable .npz file"
    if case == "csv_no_instance":
        frame.rename(columns={"instance": "id"}).to_csv(p, index=False)
        return p, "no instance column 'instance' (columns found: ['id', 'time'"
    if case == "csv_no_time":
        frame.drop(columns="time").to_csv(p, index=False)
        return p, "no time column 'time'"
    if case == "csv_non_numeric":
        frame.assign(hr=["high"] + frame["hr"].tolist()[1:]).to_csv(p, index=False)
        return p, "channel column 'hr' is not numeric"
    if case == "csv_label":
        frame.loc[6, "label"] = "sick"
        frame.to_csv(p, index=False)
        return p, "not constant within instance 'b'"
    if case == "csv_empty_label":
        frame.loc[4, "label"] = None
        frame.to_csv(p, index=False)
        return p, "empty label cell for instance 'a'"
    if case == "csv_empty_time":
        frame.loc[2, "time"] = None
        frame.to_csv(p, index=False)
        return p, "empty cell in the time column at data row 3"
    if case == "csv_no_rows":
        p.write_text("instance,time,x\n")
        return p, "no rows"
    if case == "csv_duplicate":
        frame.loc[0, "time"] = 0
        frame.to_csv(p, index=False)
        return p, "instance 'b' has two rows at time 0"
    if case == "csv_garbage":
        p.write_bytes(b'instance,time,x\n"a,0,1\n\xff\xfe')
        return p, "not a readable table"
    if case == "ts_garbage":
        p.write_text("@problemName t\n@data\n1,2:a\n")
        return p, "not a readable .ts file"
    if case == "ts_channels":
        p.write_text(TS_HEADER.format(uni="false") + "@classLabel true a\n@data\n1,2,3:1,2:a\n")
        return p, "different lengths [3, 2]"
    if case == "ts_target":
        p.write_text(TS_HEADER.format(uni="true") + "@targetLabel true\n@data\n1,2:abc\n")
        return p, "a target is not a number"
    raise AssertionError(case)


@pytest.mark.parametrize("case", [
    "ext", "empty", "npy_obj", "npy_junk", "npz_as_npy", "npz_obj", "npz_no_X", "npz_4d",
    "npz_1d", "npz_y", "npz_lengths", "npz_lengths_range", "npz_no_series", "npz_str",
    "npz_corrupt", "csv_no_instance", "csv_no_time", "csv_non_numeric", "csv_label",
    "csv_empty_label", "csv_empty_time", "csv_no_rows", "csv_duplicate", "csv_garbage",
    "ts_garbage", "ts_channels", "ts_target",
])
def test_bad_file_gives_one_line_naming_the_file(tmp_path, case):
    path, expected = _write_bad(tmp_path, case)
    before = path.read_bytes()
    msg = _expect_error(path)
    assert msg.startswith(f"{path}: "), msg
    assert expected in msg, msg
    assert path.read_bytes() == before  # never modified


@pytest.mark.parametrize("name, content, expected", [
    ("l.txt", "a\nb\n", "holds 2 labels, but"),
    ("l.csv", "a,b\nc,d\n", "single column"),
    ("l.txt", "a\n\nb\n", "empty label at entry 2"),
    ("l.json", "[1, 2, 3]", ".npy, .csv, .txt"),
    ("l.txt", "", "empty file"),
])
def test_bad_labels_file(tmp_path, name, content, expected):
    np.save(tmp_path / "X.npy", np.zeros((3, 4)))
    (tmp_path / name).write_text(content)
    msg = _expect_error(tmp_path / "X.npy", labels=tmp_path / name)
    assert msg.startswith(f"{tmp_path / name}: ") and expected in msg, msg


def test_directory_is_refused(tmp_path):
    (tmp_path / "folder.npz").mkdir()
    assert "is a directory" in _expect_error(tmp_path / "folder.npz")
