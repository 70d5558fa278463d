"""Backbone adapters: PyPOTS imputation models behind one table (see :mod:`._pypots`).

``_pypots`` holds the table (what skmts knows about each architecture) and the model
builder, ``_quiet`` the lazy and silent import of PyPOTS, ``_inputs`` the arrays each
core reads, and ``_latent`` the hooks that read a core's latent state.
"""

from ._inputs import build_inputs
from ._latent import PyPOTSFeatureModule
from ._pypots import BACKBONES, BackboneSpec, build_pypots_model, get_spec
from ._quiet import import_pypots

__all__ = [
    "BACKBONES",
    "BackboneSpec",
    "PyPOTSFeatureModule",
    "build_inputs",
    "build_pypots_model",
    "get_spec",
    "import_pypots",
]
