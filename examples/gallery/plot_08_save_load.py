"""
Saving and loading
==================

:func:`skmts.io.save` writes any skmts estimator -- fitted or not, alone, nested in an
end-to-end estimator or a ``FrozenEstimator``, or as the steps of a ``Pipeline`` -- to
one file of JSON and safetensors weights; :func:`skmts.io.load` reads it back without
running any code from the file (nothing is unpickled).
"""

# %%
# Fit, save, load
# ---------------
import io
import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from skmts import DMAETransformer, EndToEndClassifier, LinearHeadClassifier
from skmts.datasets import inject_missing, load_dataset
from skmts.io import load, save

X_train, y_train = load_dataset("BasicMotions", split="train")
X_test, _ = load_dataset("BasicMotions", split="test")
X_test = inject_missing(X_test, 0.2, random_state=0)

clf = Pipeline([
    ("emb", DMAETransformer(d_model=16, n_heads=2, n_layers=1, d_ff=32, max_epochs=10,
                            random_state=0)),
    ("clf", LinearHeadClassifier(max_epochs=50, random_state=0)),
]).fit(X_train, y_train)

path = Path(tempfile.mkdtemp(prefix="skmts-io-")) / "clf.skmts"
save(clf, path)
loaded = load(path)
print(f"{path.name}: {path.stat().st_size / 1024:.0f} KiB")
print("same predict_proba:",
      np.allclose(loaded.predict_proba(X_test), clf.predict_proba(X_test), rtol=1e-5))
print("same parameters:", loaded.get_params()["emb__d_model"] == clf.get_params()["emb__d_model"])
print("fitted attributes back:", loaded.named_steps["clf"].classes_.tolist())

# %%
# What the file holds
# -------------------
# A zip archive of ``meta.json`` (format and versions, the classes -- names from a fixed
# allow-list -- their parameters and fitted attributes) and ``tensors.safetensors``
# (every weight and numeric array).
with zipfile.ZipFile(path) as archive:
    print(archive.namelist())
    meta = json.loads(archive.read("meta.json"))
print({key: meta[key] for key in ("format", "format_version", "skmts_version")})

# %%
# File objects, unfitted estimators, nested estimators
# ----------------------------------------------------
# ``path`` may be a binary file object. An unfitted estimator is saved as its
# parameters. A loaded backbone is ready for inference, or to be fine-tuned:
# :meth:`~skmts.EndToEndClassifier.from_pipeline` starts joint training from the loaded
# pipeline's head.
buffer = io.BytesIO()
save(DMAETransformer(d_model=32), buffer)
print("unfitted:", load(io.BytesIO(buffer.getvalue())).d_model)

fine_tuned = EndToEndClassifier.from_pipeline(loaded, max_epochs=5).fit(X_train, y_train)
print("fine-tuned from the loaded pipeline:", type(fine_tuned).__name__,
      fine_tuned.predict(X_test[:3]).tolist())

# %%
# Files that are not skmts files are refused
# ------------------------------------------
# A corrupt file, another format, or a class outside the allow-list is a ``ValueError``
# naming the file; files of another skmts major.minor version are refused the same way.
bad = path.with_name("not-a-model.skmts")
bad.write_bytes(b"not a zip archive")
try:
    load(bad)
except ValueError as error:
    print("ValueError:", str(error).replace(str(bad.parent), "..."))
