"""The end-to-end estimators' shared documentation (numpydoc blocks filled into each class)."""

_PARAMS_DOC = """backbone : BaseSeriesTransformer or FrozenEstimator
        Any skmts representation transformer (``DMAETransformer``,
        ``FrozenImputerTransformer``, ...), fitted or not. It is never modified: an
        unfitted backbone is cloned and fitted, a fitted one is deep-copied.
        ``sklearn.base.clone`` (used by ``GridSearchCV``, ``cross_val_score``, sktime's
        benchmarking, ...) unfits estimator parameters: to keep a pretrained backbone
        through a clone, pass it as ``sklearn.frozen.FrozenEstimator(backbone)``.
    head : {{"linear", "mlp"}}, head estimator or FrozenEstimator, default="linear"
        The head: "linear" is ``{linear}()``, "mlp" is ``{mlp}()`` (5 layers), each
        with this estimator's ``device``, ``random_state`` and ``verbose``. A head
        estimator from :mod:`skmts.heads` is cloned; its architecture, its
        ``standardize`` *and* its training recipe (``lr``, ``max_epochs``,
        ``batch_size``, ``weight_decay``, ``validation_fraction``, ``patience``) are
        used, so the same head object can be compared in a modular ``Pipeline`` and
        here. Its standardisation statistics are computed on the backbone's frozen
        features of the training panel, so that the joint module starts from the
        function of ``Pipeline([("emb", backbone), ("clf", head)])`` with the same
        head weights. A *fitted* head wrapped in ``sklearn.frozen.FrozenEstimator``
        (what :meth:`from_pipeline` passes) is the starting point instead: training
        starts from a copy of its torch module (standardisation layer and weights),
        with its recipe, its ``classes_`` (classifier) or target scaling
        (regressor); a fitted head not wrapped is cloned, i.e. trained anew.
    pretrain : bool, default=True
        For an unfitted backbone: run its self-supervised pretraining first (True),
        or only build it with random weights (False: training from scratch). Ignored
        for a fitted backbone.
    freeze : bool, default=False
        True trains only the head, on the backbone's ``transform`` output: the
        predictions then equal those of ``Pipeline([("emb", backbone), ("clf",
        head)])`` with the same fitted backbone and head. False fine-tunes backbone
        and head jointly on the labels.
    max_epochs : int or None, default=None
        Epochs of training (joint with ``freeze=False``, of the head alone with
        ``freeze=True``): None uses the head's ``max_epochs``, an int overrides it
        (early stopping, the head's ``patience``, still applies). 0 trains nothing:
        the head (a fitted head's module, or one built with its standardisation
        statistics and random weights) is used as it is, so
        ``from_pipeline(fitted_pipeline, max_epochs=0).fit(X, y)`` predicts what the
        fitted pipeline predicts (to float32 rounding; on CUDA a backbone whose
        ``transform`` runs under bfloat16 autocast, as DMAE's does, differs by that
        rounding, since the joint net computes in float32).
    backbone_lr : float or None, default=None
        Learning rate of the backbone's parameters during joint training (a separate
        optimizer parameter group); None uses one tenth of the head's ``lr``.
    backbone_mode : {{"train", "eval"}}, default="train"
        The mode of the backbone's layers during joint training. "train": dropout
        on, BatchNorm normalising with batch statistics and updating its running
        ones, as in pretraining. "eval": dropout off and BatchNorm on its running
        statistics, frozen (as ``transform`` computes the features), while the
        backbone's weights still train; the head then trains on the features its
        standardisation statistics were computed on. On small panels, whose
        fine-tuning "train" can make unstable, try "eval" with a head that trains
        for its whole ``max_epochs`` (``validation_fraction=0.0, patience=None``).
        Ignored with ``freeze=True``.
    callbacks : list or None, default=None
        Extra skorch callbacks for the training on the labels (joint, or of the
        head alone with ``freeze=True``): callback instances (e.g.
        ``skorch.callbacks.Checkpoint(dirname=...)``) or ``(name, callback)``
        pairs. They run after skmts's own callbacks (a guard that stops training
        with a ``RuntimeError`` when the loss becomes NaN or infinite, early
        stopping, the progress bar) and after the head's ``callbacks`` (part of its
        recipe), in the order given, and before any added by
        :func:`skmts.training.extra_callbacks`; early stopping ends training only
        once every callback has seen the epoch. Each ``fit`` trains with fresh
        copies (``sklearn.base.clone`` of each callback), so one list serves
        several fits and the clones of ``GridSearchCV``; the copies used are in
        ``net_.callbacks_`` (``head_.net_.callbacks_`` with ``freeze=True``).
        The backbone's own ``callbacks`` apply to its pretraining only. Ctrl-C
        during the training on the labels ends it with a ``UserWarning`` and a
        usable estimator (the weights trained so far); Ctrl-C while the backbone
        pretrains raises ``KeyboardInterrupt`` and leaves this estimator unfitted
        (there is no trained head yet).
    device : str or torch.device, default="auto"
        Device of the joint training: "auto" (CUDA when available), "cpu", "cuda" or
        "cuda:N". Also given to a head named by a string.
    random_state : int, RandomState instance or None, default=None
        Seeds the joint training (head initialisation, shuffling, validation split);
        it is also given to the backbone's clone and to the head when their own
        ``random_state`` is None. The global random states are left as found.
    verbose : int, default=0
        0 is silent; >= 1 shows a progress bar during joint training and logs one
        line per epoch (and the phases) to the ``"skmts"`` logger at INFO."""

_ATTRS_DOC = """backbone_ : BaseSeriesTransformer
        The fitted copy of the backbone, before fine-tuning (its ``transform`` gives
        the frozen features; :meth:`transform` gives the fine-tuned ones).
    net_ : skorch.NeuralNet
        With ``freeze=False``: the jointly trained net; ``net_.module_`` is an
        :class:`skmts.nn.EncoderWithHead` (``.encoder``, ``.head``, the head's
        standardisation layer in ``.head.standardize``) and ``net_.history`` the
        fine-tuning history.
    head_ : head estimator
        With ``freeze=True``: the head fitted on the backbone's features.
    n_epochs_ : int
        Number of epochs trained (jointly, or of the head with ``freeze=True``); 0
        with ``max_epochs=0``.
    n_features_in_ : int
        Number of channels seen in ``fit``.
    n_channels_in_ : int
        Number of channels seen in ``fit``.
    n_timesteps_in_ : int
        Length of the longest series seen in ``fit``.
    feature_names_in_ : ndarray of str objects
        The column names of a DataFrame seen in fit, when all are strings: the
        channels of an (instance, time) MultiIndex frame, the time steps of a plain
        (wide) frame. Only set then; later DataFrames must have the same columns."""

_FROM_PIPELINE_DOC = """The end-to-end twin of a modular ``Pipeline([("emb", backbone), ("{step}", head)])``.

        Parameters
        ----------
        pipeline : sklearn.pipeline.Pipeline
            Exactly two steps: an skmts backbone (a ``BaseSeriesTransformer``), then
            a {kind} head from :mod:`skmts.heads`, each fitted or not, each possibly
            in ``sklearn.frozen.FrozenEstimator``. No ``StandardScaler`` between
            them: the heads standardise their input themselves (``standardize``).
        **params
            The other parameters of {name} (``freeze``, ``max_epochs``,
            ``backbone_lr``, ``device``, ``random_state``, ``verbose``, ...).

        Returns
        -------
        estimator : {name}
            Unfitted. Its ``backbone`` and ``head`` are the pipeline's, each in a
            ``FrozenEstimator`` when fitted (so that ``clone`` keeps it): training
            then starts from the fitted backbone and from a copy of the fitted
            head's torch module, with the head's recipe.

        Raises
        ------
        TypeError
            ``pipeline`` is not a ``Pipeline``, or a step is not what is expected
            (a scaler, an sklearn estimator such as ``{sk_head}``, a head of the
            other kind).
        ValueError
            ``pipeline`` does not have exactly two steps."""
