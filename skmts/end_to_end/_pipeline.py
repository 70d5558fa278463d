"""From a modular pipeline to its end-to-end twin: the checks of ``from_pipeline``.

``Pipeline([("emb", backbone), ("clf", head)])`` is the modular side of skmts's
comparison; :meth:`EndToEndClassifier.from_pipeline` takes it apart into the
``backbone`` and ``head`` parameters of the end-to-end side. Only that shape is
accepted: an skmts backbone then an skmts head of the estimator's kind, each fitted or
not, each possibly in ``sklearn.frozen.FrozenEstimator``. A fitted component is
passed on in a ``FrozenEstimator`` so that ``sklearn.base.clone`` keeps it.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from .._utils import unwrap_frozen
from ..heads import BaseHead
from ..representation._base import BaseSeriesTransformer

__all__ = ["pipeline_components"]

_SCALER_HINT = (
    " Drop the scaler: skmts heads standardise their input themselves (see their "
    "`standardize` parameter, on by default), and that layer, unlike a pipeline step, "
    "is carried into joint training."
)


def _describe(step) -> str:
    name, estimator = step
    return f"{name!r}: {type(unwrap_frozen(estimator)).__name__}"


def _is_preprocessing(estimator) -> bool:
    module = type(unwrap_frozen(estimator)).__module__ or ""
    return module.startswith("sklearn.preprocessing") or "Scaler" in type(estimator).__name__


def keep_fitted(estimator):
    """``estimator`` wrapped in a ``FrozenEstimator`` when it is fitted (and not yet
    wrapped), so that ``clone`` does not unfit it; else as it is."""
    from sklearn.frozen import FrozenEstimator

    if isinstance(estimator, FrozenEstimator):
        return estimator
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return estimator
    return FrozenEstimator(estimator)


def pipeline_components(pipeline, *, owner: str, kind: str, heads: dict):
    """(backbone, head) parameters of the end-to-end twin of ``pipeline``.

    ``owner`` names the end-to-end class in messages, ``kind`` is "classifier" or
    "regressor", ``heads`` maps "linear"/"mlp" to that kind's head classes.
    """
    from sklearn.pipeline import Pipeline

    names = " or ".join(h.__name__ for h in heads.values())
    expected = (
        f"{owner}.from_pipeline expects a sklearn.pipeline.Pipeline of exactly two steps: "
        f"an skmts backbone (a BaseSeriesTransformer such as DMAETransformer), then an "
        f"skmts {kind} head ({names}), each fitted or not, possibly in "
        f"sklearn.frozen.FrozenEstimator"
    )
    if not isinstance(pipeline, Pipeline):
        raise TypeError(f"{expected}; got {type(pipeline).__name__}.")
    steps = list(pipeline.steps)
    if len(steps) != 2:
        hint = _SCALER_HINT if any(_is_preprocessing(e) for _, e in steps) else ""
        raise ValueError(
            f"{expected}; got {len(steps)} step(s): "
            f"[{', '.join(_describe(s) for s in steps)}].{hint}"
        )
    (b_name, backbone), (h_name, head) = steps
    if not isinstance(unwrap_frozen(backbone), BaseSeriesTransformer):
        hint = _SCALER_HINT if _is_preprocessing(backbone) else ""
        raise TypeError(
            f"{expected}; its first step {_describe(steps[0])} is not an skmts "
            f"backbone.{hint}"
        )
    inner = unwrap_frozen(head)
    if not isinstance(inner, BaseHead) or inner._kind != kind:
        if isinstance(inner, BaseHead):
            why = (f" It is an skmts {inner._kind} head: use "
                   f"EndToEnd{inner._kind.capitalize()}.from_pipeline.")
        elif _is_preprocessing(head):
            why = _SCALER_HINT
        else:
            why = (" Only an skmts head has the torch module that joint training needs "
                   "(an sklearn estimator such as LogisticRegression has none).")
        raise TypeError(
            f"{expected}; its last step {_describe(steps[1])} is not an skmts {kind} "
            f"head.{why}"
        )
    return keep_fitted(backbone), keep_fitted(head)
