"""Persistence internals behind :mod:`skmts.io` (and the pickling of PyPOTS models).

``_codec`` turns an estimator into JSON plus named tensors and back (the value tags, the
allow-list of classes, the generic walk over fitted attributes); ``_nets`` rebuilds the
skorch nets of each estimator family; ``_pypots`` describes a PyPOTS model by its table
row, its constructor arguments and its ``state_dict``, and rebuilds it from them. Nothing
here unpickles or imports a name read from a file.
"""
