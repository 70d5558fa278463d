"""Backbone adapters: PyPOTS imputation models behind one table (see :mod:`._pypots`)."""

from ._pypots import (
    BACKBONES,
    BackboneSpec,
    PyPOTSFeatureModule,
    build_inputs,
    build_pypots_model,
    get_spec,
    import_pypots,
)

__all__ = [
    "BACKBONES",
    "BackboneSpec",
    "PyPOTSFeatureModule",
    "build_inputs",
    "build_pypots_model",
    "get_spec",
    "import_pypots",
]
