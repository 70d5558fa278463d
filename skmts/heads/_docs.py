"""The heads' shared parameter documentation (numpydoc blocks filled into each class)."""

_TRAINING_DOC = """standardize : bool or "trainable", default=True
        Standardise the input features inside the head. Linear probing on frozen
        features needs centred, unit-variance features; with True, ``fit`` computes
        each feature's mean and standard deviation on the training features ``X``
        (a zero or tiny standard deviation becomes 1, as in ``StandardScaler``) and
        makes ``(x - mean) / std`` the first layer of the torch head, fixed.
        "trainable" starts from the same layer and trains its effective mean and
        scale with the head, as a per-feature affine map in standardised units
        (initialised to the identity, without weight decay). False feeds ``X`` as
        it is (then scale it beforehand). The layer is part of ``net_.module_``, so an
        end-to-end estimator with this head starts from the same function (see
        :class:`skmts.end_to_end.EndToEndClassifier`): no ``StandardScaler`` is
        needed in front of the head.
    lr : float, default={lr}
        Learning rate of the AdamW optimizer.
    max_epochs : int, default=200
        Maximum number of passes over the training data. Ctrl-C during ``fit`` ends
        training early with a ``UserWarning``: the head keeps the weights trained so
        far (the best epoch's when early stopping restores them) and is usable.
    batch_size : int, default=64
        Mini-batch size, for training and prediction.
    weight_decay : float, default=1e-4
        AdamW's (decoupled) weight decay; 0 switches it off.
    validation_fraction : float, default=0.1
        Fraction of the training samples held out (stratified for classifiers) to
        monitor ``valid_loss`` for early stopping; the weights of the best epoch are
        restored at the end. 0 trains on everything and early stopping then watches
        ``train_loss``. The split is skipped when it would leave fewer than 2
        training samples and, for classifiers, when a stratified split is impossible
        (a class with a single sample, or more classes than held-out samples).
    patience : int or None, default=10
        Stop after this many epochs without improvement of the monitored loss;
        None trains for ``max_epochs``.
    callbacks : list or None, default=None
        Extra skorch callbacks: callback instances (e.g.
        ``skorch.callbacks.Checkpoint(dirname=...)``) or ``(name, callback)``
        pairs. They run after skmts's own callbacks (a guard that stops training
        with a ``RuntimeError`` when the loss becomes NaN or infinite, early
        stopping, the progress bar), in the order given, and before any added by
        :func:`skmts.training.extra_callbacks`; early stopping ends training only
        once every callback has seen the epoch. Each ``fit`` trains with fresh
        copies (``sklearn.base.clone`` of each callback), so one list serves
        several fits and the clones of ``GridSearchCV``; the copies used are in
        ``net_.callbacks_``. An end-to-end estimator with this head uses them too.
    device : str or torch.device, default="auto"
        "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the validation split. The global
        torch and numpy random states are left as they were.
    verbose : int, default=0
        0 is silent; >= 1 shows a progress bar and logs one line per epoch to the
        ``"skmts"`` logger (INFO)."""

_MLP_DOC = """hidden_size : int, default=64
        Width of the hidden layers.
    n_layers : int, default=5
        Number of linear layers, the output layer included (ReLU between them): the
        default is the 5-layer MLP head of arXiv 2411.03941; 1 is a linear head.
    dropout : float, default=0.0
        Dropout after each hidden ReLU (training only)."""
