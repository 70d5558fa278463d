"""Save and load skmts estimators as weights and JSON: loading runs no code from the file.

:func:`save` writes one file (a zip archive, ``.skmts`` by convention) with two members:

``meta.json``
    The format and versions (``format``, ``format_version``, ``skmts_version``,
    ``torch_version``) and the estimator: its class (a name from a fixed allow-list),
    its constructor parameters (nested estimators, e.g. an end-to-end estimator's
    ``backbone`` and ``head``, possibly in ``sklearn.frozen.FrozenEstimator``, the same
    way, recursively) and its fitted attributes, as JSON.
``tensors.safetensors``
    Every tensor and numeric array: network weights (module ``state_dict`` s), scaler
    statistics, ``classes_`` of numbers, target scaling, ...

:func:`load` reads the JSON, constructs only classes of the allow-list (skmts's public
estimators, ``sklearn.frozen.FrozenEstimator`` and ``sklearn.pipeline.Pipeline``),
rebuilds each network as the estimator builds it (a PyPOTS model from skmts's backbone
table, a skorch net by ``initialize()``) and loads the weights into it. Nothing is
unpickled, ``torch.load`` is not called, and no name read from the file is imported.
Tensors are read on the CPU; a model saved on a GPU loads on a machine without one (see
:func:`load`).
"""

from __future__ import annotations

import json
import os
import re
import warnings
import zipfile

__all__ = ["FORMAT_VERSION", "load", "save"]

#: Version of the file layout written by :func:`save`; :func:`load` reads this one only.
FORMAT_VERSION = 1
_FORMAT = "skmts-estimator"
_META, _TENSORS = "meta.json", "tensors.safetensors"
_MAX_META_BYTES = 256 * 2**20


def _name(path) -> str:
    if isinstance(path, (str, os.PathLike)):
        return os.fspath(path)
    return str(getattr(path, "name", repr(path)))


def _versions() -> dict:
    import torch

    from . import __version__

    return {"skmts_version": __version__, "torch_version": torch.__version__}


def _series(version) -> tuple | None:
    """(major, minor) of a version string; None when it has none."""
    match = re.match(r"\s*(\d+)\.(\d+)", str(version))
    return (int(match.group(1)), int(match.group(2))) if match else None


def save(estimator, path) -> None:
    """Save an skmts estimator, fitted or not, as weights (safetensors) and JSON.

    Parameters
    ----------
    estimator : estimator instance
        One of skmts's estimators (``DMAETransformer``, ``FrozenImputerTransformer``,
        the heads of :mod:`skmts.heads`, ``EndToEndClassifier``,
        ``EndToEndRegressor``), a ``sklearn.frozen.FrozenEstimator`` of one, or a
        ``sklearn.pipeline.Pipeline`` of them. Nested estimators are saved with it.
    path : str, os.PathLike or binary file object
        Where to write; ``.skmts`` is the conventional suffix (none is added). A file
        at ``path`` is replaced (a new file is written, then renamed).

    Raises
    ------
    TypeError
        The estimator, or something it holds (a parameter or fitted attribute, named
        in the message), is of a type this format does not store, e.g. a scikit-learn
        estimator outside the allow-list.

    See Also
    --------
    load : Read the file back.

    Notes
    -----
    Saved: the constructor parameters (``get_params(deep=False)``, recursively) and
    every fitted attribute (skorch nets as their module's weights, batch size, device
    and history; PyPOTS models as their table row, constructor arguments, fitted
    extras and weights). Not saved: optimizer states and validation splits, which
    only continuing a training run would need (skmts's ``fit`` always starts anew).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skmts import LinearHeadClassifier
    >>> from skmts.io import load, save
    >>> X = np.random.default_rng(0).normal(size=(20, 4)); y = np.array(["a", "b"] * 10)
    >>> clf = LinearHeadClassifier(max_epochs=3, random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     save(clf, os.path.join(tmp, "clf.skmts"))
    ...     loaded = load(os.path.join(tmp, "clf.skmts"))
    >>> bool(np.allclose(loaded.predict_proba(X), clf.predict_proba(X)))
    True
    """
    from safetensors.torch import save as save_tensors

    from ._persist._codec import Writer

    writer = Writer()
    node = writer.estimator(estimator, type(estimator).__name__)  # TypeError if not allowed
    meta = {"format": _FORMAT, "format_version": FORMAT_VERSION, **_versions(),
            "estimator": {"$estimator": node}}
    text = json.dumps(meta, allow_nan=False, indent=1)
    blob = save_tensors(writer.tensors, metadata={"format": "pt"})
    if not isinstance(path, (str, os.PathLike)):
        _write(path, text, blob)
        return
    target = os.fspath(path)
    tmp = f"{target}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            _write(f, text, blob)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _write(f, text: str, blob: bytes) -> None:
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_META, text)
        zf.writestr(_TENSORS, blob, compress_type=zipfile.ZIP_STORED)


def _read(path, name: str) -> tuple[dict, bytes]:
    try:
        with zipfile.ZipFile(path) as zf:
            members = {info.filename: info for info in zf.infolist()}
            if set(members) != {_META, _TENSORS}:
                raise ValueError(f"its members are {sorted(members)}, not "
                                 f"{[_META, _TENSORS]}")
            if members[_META].file_size > _MAX_META_BYTES:
                raise ValueError(f"{_META} is implausibly large")
            meta = json.loads(zf.read(_META).decode("utf-8"))
            blob = zf.read(_TENSORS)
    except (zipfile.BadZipFile, ValueError, UnicodeDecodeError, EOFError,
            RecursionError) as err:
        raise ValueError(f"{name} is not an skmts estimator file (written by "
                         f"skmts.io.save): {err}") from err
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise ValueError(f"{name} is not an skmts estimator file (written by skmts.io.save).")
    return meta, blob


def _check_versions(meta: dict, name: str) -> None:
    ours = _versions()["skmts_version"]
    theirs = meta.get("skmts_version")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{name} uses skmts file format version {meta.get('format_version')!r} "
            f"(written by skmts {theirs}); this skmts {ours} reads format version "
            f"{FORMAT_VERSION} only."
        )
    if _series(theirs) is None or _series(theirs) != _series(ours):
        raise ValueError(
            f"{name} was saved by skmts {theirs}; this is skmts {ours}, which loads files "
            f"saved by skmts {'.'.join(map(str, _series(ours)))}.x only (an estimator's "
            f"fitted state may change between minor versions). Load it with skmts=={theirs} "
            "and refit, or refit with this version."
        )


def load(path):
    """Load an estimator saved by :func:`save`, without running code from the file.

    Parameters
    ----------
    path : str, os.PathLike or binary file object
        A file written by :func:`save`.

    Returns
    -------
    estimator : estimator instance
        The estimator, with the saved parameters (``get_params()`` as saved, ``device``
        included) and, when it was fitted, its fitted state: ``transform``,
        ``predict`` and ``predict_proba`` give what the saved estimator gave (to the
        rounding of the device they now run on).

    Raises
    ------
    ValueError
        ``path`` is not a file written by :func:`save` or is corrupt; it names a class
        outside the allow-list; or it was written by an skmts whose major.minor version
        differs from this one, or in another format version. The message names the
        file (and the versions).

    Warns
    -----
    UserWarning
        A network saved on a CUDA device was placed on the CPU, because this machine
        has no CUDA (or on the default CUDA device, when it lacks the saved GPU index).
        The ``device`` parameter keeps its saved value: inference runs on the CPU,
        while a new ``fit`` would ask for CUDA again (set ``device="cpu"`` or
        ``"auto"`` to refit here).

    See Also
    --------
    save : Write the file.

    Notes
    -----
    The file is a zip archive of ``meta.json`` (JSON) and ``tensors.safetensors``;
    only the classes of skmts's allow-list are constructed, and every network is
    rebuilt by skmts and filled with the saved weights. A file from an untrusted
    source may still hold weights that make a model predict badly, but reading it
    runs no code of its author. Pickle and joblib files are not safe that way.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from skmts import DMAETransformer
    >>> from skmts.io import load, save
    >>> X = np.random.default_rng(0).normal(size=(8, 16, 2))
    >>> emb = DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16, max_epochs=1,
    ...                       random_state=0).fit(X)
    >>> buffer = io.BytesIO()
    >>> save(emb, buffer)
    >>> loaded = load(io.BytesIO(buffer.getvalue()))
    >>> loaded.get_params() == emb.get_params()
    True
    >>> bool(np.allclose(loaded.transform(X), emb.transform(X), rtol=1e-5, atol=1e-6))
    True
    """
    from safetensors import SafetensorError
    from safetensors.torch import load as load_tensors

    from ._persist._codec import Reader

    name = _name(path)
    meta, blob = _read(path, name)
    _check_versions(meta, name)
    try:
        root = meta["estimator"]
        if not isinstance(root, dict) or "$estimator" not in root:
            raise ValueError("it holds no estimator")
        reader = Reader(load_tensors(blob))
        estimator = reader.value(root)
    except (SafetensorError, ValueError, TypeError, KeyError, AttributeError, IndexError,
            RuntimeError) as err:
        raise ValueError(f"{name} is not a valid skmts estimator file: {err}") from err
    if reader.mapped:
        if set(reader.mapped.values()) == {"cpu"}:
            where = (f"on {', '.join(sorted(reader.mapped))}; this machine has no CUDA, so "
                     "they were loaded on the CPU")
        else:
            where = ("on devices this machine lacks, so they were loaded elsewhere ("
                     + ", ".join(f"{a} -> {b}" for a, b in sorted(reader.mapped.items()))
                     + ")")
        warnings.warn(
            f"{name} was saved with networks {where}. The estimators' `device` parameter "
            "keeps its saved value (a new fit would ask for it again; set device='auto' "
            "or 'cpu' to refit here).",
            UserWarning,
            stacklevel=2,
        )
    return estimator
