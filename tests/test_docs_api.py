"""Every public name of skmts is in the API reference (docs/api.rst).

The public modules are ``skmts`` and its submodules whose names do not start with an
underscore; their public names are their ``__all__``. A name counts as documented when
``docs/api.rst`` lists it (in an ``autosummary`` table or a ``data``/``auto*`` directive)
under its own module, or lists the same object under another module (the estimators that
``skmts.representation``, ``skmts.heads`` and ``skmts.end_to_end`` re-export are
documented once, as ``skmts.<name>``). The reference is parsed as text: Sphinx is not
needed.
"""

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import skmts

API_RST = Path(__file__).resolve().parents[1] / "docs" / "api.rst"

_DIRECTIVE = re.compile(r"^\.\.\s+([\w:-]+)::\s*(\S*)\s*$")
_OBJECT_DIRECTIVES = {
    "autoclass", "autofunction", "autodata", "automethod", "autoattribute",
    "class", "function", "data", "py:class", "py:function", "py:data",
}


def documented_names(text: str) -> tuple[set, set]:
    """(fully qualified names of the objects, modules) that api.rst documents."""
    names, modules = set(), set()
    module = None
    in_autosummary = False
    for raw in text.splitlines():
        line = raw.rstrip()
        match = _DIRECTIVE.match(line.strip()) if not raw.startswith((" ", "\t")) else None
        if match:
            directive, argument = match.groups()
            in_autosummary = directive == "autosummary"
            if directive in ("currentmodule", "py:currentmodule"):
                module = argument
            elif directive in ("automodule", "module", "py:module"):
                modules.add(argument)
                module = argument
            elif directive in _OBJECT_DIRECTIVES and argument:
                names.add(_qualify(argument, module))
            continue
        if in_autosummary:
            if not line.strip() or line.strip().startswith(":"):
                continue  # blank lines and the directive's options
            if not raw.startswith((" ", "\t")):
                in_autosummary = False  # dedented text ends the table
                continue
            names.add(_qualify(line.strip().lstrip("~"), module))
    return names, modules


def _qualify(name: str, module) -> str:
    if module is None or name.startswith("skmts.") or name == "skmts":
        return name
    return f"{module}.{name}"


def public_modules() -> list[str]:
    """``skmts`` and its public submodules (one level: the public subpackages)."""
    found = ["skmts"]
    for info in pkgutil.iter_modules(skmts.__path__):
        if not info.name.startswith("_"):
            found.append(f"skmts.{info.name}")
    return sorted(found)


def _resolve(qualified: str):
    module_name, _, attr = qualified.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


@pytest.fixture(scope="module")
def reference():
    return documented_names(API_RST.read_text(encoding="utf-8"))


def test_parser_reads_the_reference(reference):
    # guards against the parametrized tests below passing on an empty parse
    names, modules = reference
    assert "skmts.DMAETransformer" in names
    assert "skmts.datasets.load_dataset" in names
    assert "skmts.__version__" in names
    assert {"skmts", "skmts.io", "skmts.model_selection"} <= modules


def test_parser_on_a_sample():
    text = """
.. currentmodule:: skmts.sub

.. autosummary::
   :toctree: generated/

   Alpha
   ~skmts.other.beta

Prose that ends the table mentions Gamma.

.. data:: CONSTANT
   :type: int

.. automodule:: skmts.mod
   :no-members:
"""
    names, modules = documented_names(text)
    assert names == {"skmts.sub.Alpha", "skmts.other.beta", "skmts.sub.CONSTANT"}
    assert modules == {"skmts.mod"}


def test_public_modules_are_found():
    assert set(public_modules()) >= {
        "skmts", "skmts.datasets", "skmts.io", "skmts.model_selection", "skmts.sktime",
        "skmts.heads", "skmts.end_to_end", "skmts.representation", "skmts.training",
    }


@pytest.mark.parametrize("module_name", public_modules())
def test_public_names_are_in_the_reference(module_name, reference):
    module = importlib.import_module(module_name)
    names, modules = reference
    assert module_name in modules, (
        f"{module_name} has no `.. automodule:: {module_name}` in {API_RST.name}"
    )
    public = getattr(module, "__all__", None)
    assert public is not None, f"{module_name} has no __all__: list its public names"
    # the same object documented elsewhere (a re-exported class or function) counts
    elsewhere = {}
    for qualified in names:
        try:
            obj = _resolve(qualified)
        except (ImportError, AttributeError):
            continue
        if isinstance(obj, type) or callable(obj):
            elsewhere.setdefault(id(obj), qualified)
    missing = []
    for name in public:
        qualified = f"{module_name}.{name}"
        if qualified in names:
            continue
        obj = getattr(module, name)
        if (isinstance(obj, type) or callable(obj)) and id(obj) in elsewhere:
            continue
        missing.append(name)
    assert not missing, (
        f"public names of {module_name} missing from docs/{API_RST.name}: {missing}; "
        "add them to an autosummary table there"
    )


def test_documented_names_exist(reference):
    names, modules = reference
    stale = []
    for qualified in sorted(names):
        try:
            _resolve(qualified)
        except (ImportError, AttributeError):
            stale.append(qualified)
    for module_name in sorted(modules):
        try:
            importlib.import_module(module_name)
        except ImportError:
            stale.append(module_name)
    assert not stale, f"docs/{API_RST.name} documents names that do not exist: {stale}"
