"""Hooks that sphinx-gallery calls while it runs the gallery (see conf.py).

They live in a module, not in conf.py, so that Sphinx can pickle the configuration
(sphinx-gallery imports them by their dotted names).
"""

import os


def reset_torch(gallery_conf, fname):
    """Before each example: torch on the build's thread count, gradients enabled."""
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    torch.set_grad_enabled(True)
