"""Sphinx configuration of the skmts documentation.

Build with ``make -C docs html`` (warnings are errors; see docs/Makefile). The gallery
scripts in ``examples/gallery/`` run during the build; ``make -C docs html-noplot`` skips
running them.
"""

import contextlib
import io
import os
import sys
import warnings
from pathlib import Path

# One torch/OpenMP thread: on a machine shared with other work (CI, 2 cores), spin-waiting
# threads make the gallery several times slower. A value set by the caller wins.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("COLUMNS", "88")  # argparse's --help width in the generated pages

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS))  # gallery_hooks

import skmts  # noqa: E402

project = "skmts"
author = "skmts developers"
copyright = "skmts developers"
version = release = skmts.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    # the raw JSON-lines results behind benchmarks.md's tables: data, not documents
    "benchmark-data",
    # sphinx-gallery writes these next to the generated pages; they are not documents
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.codeobj.json",
    "auto_examples/*.json",
]

# -- MyST (the user guide and benchmarks.md are Markdown) --------------------------------
# Heading anchors as GitHub writes them, so that links such as
# ``cli.md#sweeps-on-one-machine-and-on-many`` work on GitHub and in the built site.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence"]

# -- autodoc, autosummary, numpydoc ------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_member_order = "groupwise"
autodoc_typehints = "none"  # the numpydoc sections state the types
numpydoc_show_class_members = False  # autodoc documents the members; no duplicate tables
numpydoc_class_members_toctree = False
numpydoc_show_inherited_class_members = False
numpydoc_attributes_as_param_list = True

def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document a class's own members (skmts's), not those it inherits from others.

    scikit-learn's, skorch's, torch's and sktime's base classes bring dozens of methods
    (``get_params``, ``set_output``, ``nn.Module.cuda``, sktime's tag API, ...) that are
    documented in those projects; their docstrings also point to labels of their own
    sites. Methods that skmts defines, including those of skmts base classes, are kept.
    """
    if what != "class" or skip:
        return None
    target = obj
    if isinstance(target, property):
        target = target.fget
    target = getattr(target, "__func__", target)
    module = getattr(target, "__module__", None)
    if module is None or not callable(target):
        return None
    if not module.startswith("skmts"):
        return True
    return None


# -- generated pages: the command line's --help --------------------------------------------


def _write_cli_help(app):
    """Write ``skmts --help`` and ``skmts <subcommand> --help`` to generated/cli/."""
    from skmts.__main__ import main

    out = DOCS / "generated" / "cli"
    out.mkdir(parents=True, exist_ok=True)
    for name, argv in [("skmts", ["--help"]), ("compare", ["compare", "--help"]),
                       ("benchmark", ["benchmark", "--help"])]:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                main(argv)
            except SystemExit:
                pass
        text = buffer.getvalue()
        path = out / f"{name}.txt"
        if not path.exists() or path.read_text() != text:  # keep mtimes: no rebuild
            path.write_text(text)


# -- sphinx-gallery ------------------------------------------------------------------------


sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples" / "gallery"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # every plot_*.py runs in the build
    "within_subsection_order": "FileNameSortKey",
    "reset_modules": ("matplotlib", "gallery_hooks.reset_torch"),
    "doc_module": ("skmts",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skmts": None},
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 0,
    "plot_gallery": "True",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}

# -- HTML ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skmts {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "benchmarks": []}
html_show_sourcelink = False
html_copy_source = False


def setup(app):
    app.connect("builder-inited", _write_cli_help)
    app.connect("autodoc-skip-member", _skip_foreign_members)
