"""Estimators as JSON plus named tensors, and back: no pickle, no name imported from a file.

A value is written as itself when JSON has it (None, bool, int, finite float, str, list,
dict with str keys), else as a one-key object whose key starts with ``$``:

``$float`` (nan, inf), ``$np`` (a NumPy scalar: dtype and value), ``$array`` and
``$tensor`` (the key of a tensor in the safetensors part), ``$strarray`` and
``$objarray`` (arrays of strings or of JSON-able objects, such as ``classes_``),
``$tuple``, ``$dict`` (keys that are not strings), ``$device``, ``$random_state``,
``$state_dict`` (ordered ``[name, tensor key]`` pairs), ``$object`` (a helper object of
:data:`_OBJECTS`), ``$estimator`` (a class of :func:`estimator_classes`: its constructor
parameters and its fitted attributes), ``$net`` (a skorch net: device, batch size,
history and module weights; rebuilt by :mod:`._nets` once the estimator holding it is
restored) and ``$pypots`` (a PyPOTS model, rebuilt by :mod:`._pypots`).

An estimator's fitted state is every attribute that is not a constructor parameter
(``vars(est)``): a new attribute of a supported type is saved without code here, and one
of an unsupported type makes :func:`save` fail with its name rather than be left out.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import torch

from .._utils import is_cuda

__all__ = ["Reader", "Writer", "estimator_classes"]

_NUMERIC_KINDS = "biuf"  # bool, int, unsigned, float: stored as tensors


def estimator_classes() -> dict:
    """The allow-list: the only classes :func:`skmts.io.load` constructs, by file name."""
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline

    from .. import (
        DMAETransformer,
        EndToEndClassifier,
        EndToEndRegressor,
        FrozenImputerTransformer,
        LinearHeadClassifier,
        LinearHeadRegressor,
        MLPHeadClassifier,
        MLPHeadRegressor,
    )

    skmts = (DMAETransformer, FrozenImputerTransformer, LinearHeadClassifier,
             LinearHeadRegressor, MLPHeadClassifier, MLPHeadRegressor, EndToEndClassifier,
             EndToEndRegressor)
    classes = {f"skmts.{cls.__name__}": cls for cls in skmts}
    classes["sklearn.frozen.FrozenEstimator"] = FrozenEstimator
    classes["sklearn.pipeline.Pipeline"] = Pipeline
    return classes


def check_params(name: str, params: dict) -> None:
    """Parameters the format refuses although JSON could hold them: a Pipeline's
    ``memory`` would make a later ``fit`` unpickle from a directory the file names."""
    if name == "sklearn.pipeline.Pipeline" and params.get("memory") is not None:
        raise ValueError("a Pipeline with memory= (a joblib cache, which unpickles) is not "
                         "stored; set memory=None.")


def _objects() -> dict:
    """Plain helper objects (attributes only) that fitted estimators hold."""
    from .._utils import NanStandardScaler

    return {"NanStandardScaler": NanStandardScaler}


def _is_pypots_model(value) -> bool:
    return type(value).__module__.startswith("pypots.") and isinstance(
        getattr(value, "model", None), torch.nn.Module
    )


def _is_skorch_net(value) -> bool:
    import sys

    skorch = sys.modules.get("skorch")  # no skorch imported: no skorch net to save
    return skorch is not None and isinstance(value, skorch.NeuralNet)


def _plain(value):
    """NumPy scalars inside lists and dicts (skorch's history) as Python scalars."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _is_attribute_name(name) -> bool:
    return isinstance(name, str) and name.isidentifier() and not name.startswith("__")


class Writer:
    """Collects the tensors while :meth:`value` turns objects into JSON."""

    def __init__(self):
        self.tensors: dict[str, torch.Tensor] = {}

    def tensor(self, t: torch.Tensor, path: str) -> str:
        key, i = path, 1
        while key in self.tensors:
            key, i = f"{path}#{i}", i + 1
        # a CPU copy: never shares memory with another tensor (safetensors refuses that)
        self.tensors[key] = t.detach().to("cpu", copy=True).contiguous()
        return key

    def state_dict(self, state: dict, path: str) -> dict:
        return {"$state_dict": [[k, self.tensor(v, f"{path}:{k}")] for k, v in state.items()]}

    def estimator(self, est, path: str) -> dict:
        names = {cls: name for name, cls in estimator_classes().items()}
        name = names.get(type(est))
        if name is None:
            raise TypeError(
                f"skmts.io saves skmts estimators ({', '.join(sorted(names.values()))}); "
                f"{path} is a {type(est).__module__}.{type(est).__qualname__}."
            )
        params = est.get_params(deep=False)
        try:
            check_params(name, params)
        except ValueError as err:
            raise TypeError(f"skmts.io cannot save {path}: {err}") from None
        return {
            "class": name,
            "params": {k: self.value(v, f"{path}.{k}") for k, v in params.items()},
            "state": {k: self.value(v, f"{path}.{k}") for k, v in vars(est).items()
                      if k not in params},
        }

    def value(self, v, path: str):  # noqa: C901 - one branch per supported type
        from sklearn.base import BaseEstimator

        if isinstance(v, (np.bool_, np.number, np.str_)):  # before float: np.float64 is one
            return {"$np": v.dtype.str, "value": self.value(v.item(), path)}
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return int(v)
        if isinstance(v, float):
            return float(v) if math.isfinite(v) else {"$float": repr(float(v))}
        if isinstance(v, np.ndarray):
            if v.dtype.kind in _NUMERIC_KINDS:
                native = np.array(v, dtype=v.dtype.newbyteorder("="), order="C", copy=True)
                return {"$array": self.tensor(torch.from_numpy(native), path)}
            if v.dtype.kind == "U":
                return {"$strarray": v.tolist(), "dtype": v.dtype.str, "shape": list(v.shape)}
            if v.dtype.kind == "O":
                return {"$objarray": [self.value(x, path) for x in v.ravel().tolist()],
                        "shape": list(v.shape)}
        elif isinstance(v, torch.Tensor):
            return {"$tensor": self.tensor(v, path)}
        elif isinstance(v, torch.device):
            return {"$device": str(v)}
        elif isinstance(v, list):
            return [self.value(x, f"{path}.{i}") for i, x in enumerate(v)]
        elif isinstance(v, tuple):
            return {"$tuple": [self.value(x, f"{path}.{i}") for i, x in enumerate(v)]}
        elif isinstance(v, dict):
            if all(isinstance(k, str) and not k.startswith("$") for k in v):
                return {k: self.value(x, f"{path}.{k}") for k, x in v.items()}
            return {"$dict": [[self.value(k, path), self.value(x, f"{path}.{i}")]
                              for i, (k, x) in enumerate(v.items())]}
        elif isinstance(v, np.random.RandomState):
            _, keys, pos, has_gauss, cached = v.get_state()
            return {"$random_state": [self.value(keys, path), int(pos), int(has_gauss),
                                      float(cached)]}
        elif _is_skorch_net(v):  # before BaseEstimator: skorch nets are estimators too
            from ._nets import describe_net

            return {"$net": describe_net(self, v, path)}
        elif isinstance(v, BaseEstimator):
            return {"$estimator": self.estimator(v, path)}
        elif type(v) in _objects().values():
            name = next(k for k, cls in _objects().items() if type(v) is cls)
            return {"$object": name, "attrs": self.value(vars(v), path)}
        elif _is_pypots_model(v):
            from ._pypots import describe_model

            description, state = describe_model(v)
            return {"$pypots": {"model": self.value(description, path),
                                "state": self.state_dict(state, path)}}
        raise TypeError(
            f"skmts.io cannot save {path}: an object of type "
            f"{type(v).__module__}.{type(v).__qualname__}. The file stores JSON values, "
            "arrays, tensors and skmts estimators only; set such a parameter to a value "
            "of those kinds before saving (e.g. callbacks=None: callbacks only matter to "
            "training)."
        )


class NetRecord:
    """A skorch net read from a file, rebuilt once the estimator holding it is restored."""

    def __init__(self, info: dict):
        self.info = info


class Reader:
    """Turns :class:`Writer`'s JSON back into objects, with the tensors of the file.

    ``mapped`` records the saved devices this machine lacks and what replaced them:
    the CPU without CUDA, the default CUDA device for a missing GPU index.
    """

    def __init__(self, tensors: dict):
        self.tensors = tensors
        self.mapped: dict[str, str] = {}

    def device(self, device) -> str:
        """``device`` if this machine has it, else "cpu" (no CUDA) or "cuda"."""
        device = str(device)
        if not is_cuda(device):
            return device
        if not torch.cuda.is_available():
            self.mapped[device] = "cpu"
            return "cpu"
        index = torch.device(device).index
        if index is not None and index >= torch.cuda.device_count():
            self.mapped[device] = "cuda"
            return "cuda"
        return device

    def tensor(self, key) -> torch.Tensor:
        if not isinstance(key, str) or key not in self.tensors:
            raise ValueError(f"the tensor {key!r} is missing from the file.")
        return self.tensors[key]

    def state_dict(self, pairs) -> OrderedDict:
        return OrderedDict((str(k), self.tensor(key)) for k, key in pairs)

    def value(self, v):
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if not isinstance(v, dict):
            raise ValueError(f"unexpected JSON value {v!r}.")
        tags = [k for k in v if k.startswith("$")]
        if not tags:
            return {k: self.value(x) for k, x in v.items()}
        if len(tags) != 1 or tags[0] not in _TAGS:
            raise ValueError(f"unknown value tag(s) {tags}.")
        return getattr(self, _TAGS[tags[0]])(v)

    # ---- one method per tag ------------------------------------------------------------
    def _float(self, v):
        if v["$float"] not in ("nan", "inf", "-inf"):
            raise ValueError(f"bad $float {v['$float']!r}.")
        return float(v["$float"])

    def _np(self, v):
        dtype = np.dtype(str(v["$np"]))
        if dtype.kind not in _NUMERIC_KINDS + "U":
            raise ValueError(f"unsupported NumPy scalar type {dtype}.")
        return dtype.type(self.value(v["value"]))

    def _array(self, v):
        return self.tensor(v["$array"]).numpy()

    def _strarray(self, v):
        dtype = np.dtype(str(v["dtype"]))
        if dtype.kind != "U":
            raise ValueError(f"unsupported string array type {dtype}.")
        return np.array(v["$strarray"], dtype=dtype).reshape(v["shape"])

    def _objarray(self, v):
        items = [self.value(x) for x in v["$objarray"]]
        out = np.empty(len(items), dtype=object)
        for i, item in enumerate(items):
            out[i] = item
        return out.reshape(v["shape"])

    def _tensor(self, v):
        return self.tensor(v["$tensor"])

    def _device(self, v):
        return torch.device(str(v["$device"]))

    def _tuple(self, v):
        return tuple(self.value(x) for x in v["$tuple"])

    def _dict(self, v):
        return {self.value(k): self.value(x) for k, x in v["$dict"]}

    def _random_state(self, v):
        keys, pos, has_gauss, cached = v["$random_state"]
        rs = np.random.RandomState()
        rs.set_state(("MT19937", self.value(keys), int(pos), int(has_gauss), float(cached)))
        return rs

    def _state_dict(self, v):
        return self.state_dict(v["$state_dict"])

    def _object(self, v):
        cls = _objects().get(v["$object"])
        attrs = self.value(v["attrs"])
        if cls is None or not isinstance(attrs, dict) or not all(map(_is_attribute_name,
                                                                     attrs)):
            raise ValueError(f"unknown object {v['$object']!r}.")
        obj = cls.__new__(cls)
        vars(obj).update(attrs)
        return obj

    def _pypots(self, v):
        from ._pypots import rebuild_model

        description = self.value(v["$pypots"]["model"])
        state = self.state_dict(v["$pypots"]["state"]["$state_dict"])
        return rebuild_model(description, state, device=self.device(description["device"]))

    def _net(self, v):
        info = dict(v["$net"])
        info["history"] = self.value(info.get("history", []))
        info["module"] = self.state_dict(info["module"]["$state_dict"])
        return NetRecord(info)

    def _estimator(self, v):
        from ._nets import rebuild_net

        node = v["$estimator"]
        classes = estimator_classes()
        cls = classes.get(node.get("class"))
        if cls is None:
            raise ValueError(
                f"the class {node.get('class')!r} is not one that skmts.io loads "
                f"({', '.join(sorted(classes))})."
            )
        params = node.get("params") or {}
        allowed = set(cls._get_param_names())
        if not isinstance(params, dict) or set(params) - allowed:
            raise ValueError(f"unknown parameters {sorted(set(params) - allowed)} for "
                             f"{node['class']}.")
        params = {k: self.value(x) for k, x in params.items()}
        check_params(node["class"], params)
        est = cls(**params)
        nets = {}
        for name, raw in (node.get("state") or {}).items():
            if not _is_attribute_name(name) or name in allowed:
                raise ValueError(f"bad fitted attribute name {name!r} for {node['class']}.")
            value = self.value(raw)
            if isinstance(value, NetRecord):
                nets[name] = value
            else:
                vars(est)[name] = value
        if isinstance(vars(est).get("device_"), str):  # FrozenImputerTransformer's device
            est.device_ = self.device(est.device_)
        for name, record in nets.items():  # after the rest: nets are built from it
            vars(est)[name] = rebuild_net(est, record.info, self)
        return est


_TAGS = {f"${name}": f"_{name}" for name in (
    "float", "np", "array", "strarray", "objarray", "tensor", "device", "tuple", "dict",
    "random_state", "state_dict", "object", "pypots", "net", "estimator")}
