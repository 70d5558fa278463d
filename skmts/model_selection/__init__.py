"""Model selection for skmts: modular, end-to-end and from-scratch setups in one search.

* :class:`SearchSpace` — a define-by-run Optuna space over mode, backbone, head and the
  settings of the chosen branch only;
* :class:`Objective` — scores a configuration by cross-validation (or a holdout), each
  backbone pretrained once per fold without the fold's validation series and reused by
  every trial, with per-epoch pruning (:class:`PruningCallback`);
* :func:`open_storage`, :func:`run_trials` — a study on SQLite, PostgreSQL/MySQL or a
  journal file, shared by any number of workers under one study-wide trial budget;
* :func:`compare` — what ``skmts compare`` runs: one study per label fraction, then the
  best setup of each kind refitted and scored on the test series beside MiniRocket.

Optuna (``pip install skmts[optuna]``) is imported here, never by ``import skmts``.
"""

from ._compare import Comparison, compare, labelled_subset
from ._objective import Objective, PruningCallback
from ._reference import MiniRocketReference
from ._space import MODES, SearchSpace
from ._study import StorageError, open_storage, redact_url, run_trials

__all__ = [
    "MODES",
    "Comparison",
    "MiniRocketReference",
    "Objective",
    "PruningCallback",
    "SearchSpace",
    "StorageError",
    "compare",
    "labelled_subset",
    "open_storage",
    "redact_url",
    "run_trials",
]
