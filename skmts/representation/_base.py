"""The shared face of skmts's representation transformers.

A representation transformer turns a panel into one feature vector per series. Besides
sklearn's ``fit``/``transform`` every subclass implements the small public protocol that
the end-to-end estimators (``skmts.EndToEndClassifier``) build on, so that a third party
can write a backbone by subclassing :class:`BaseSeriesTransformer`:

``fit_panel(panel, *, train)``
    Learn everything from a validated :class:`~skmts.representation.Panel`: scaling,
    the network and, when ``train`` is True, its self-supervised training. With
    ``train=False`` the network is built (randomly initialised) but not trained.
``encode_panel(panel) -> ndarray (n_samples, n_features_out)``
    Pure inference: float32 features, in batches, under ``torch.no_grad()``.
``feature_inputs(panel) -> dict[str, ndarray]``
    The tensors (as arrays, first axis = samples) that :meth:`feature_module`
    consumes: scaled, missing values handled, ready for a skorch ``Dataset``.
``feature_module() -> torch.nn.Module``
    A trainable copy of the fitted encoder plus pooling whose ``forward(**inputs)``
    returns ``(batch, n_features_out)``; with the copy's weights unchanged its output
    equals :meth:`transform`'s. Fine-tuning works on this copy, never on ``self``.
``encode_with(module, panel, *, batch_size, device) -> ndarray`` (inherited)
    Features of ``panel`` from a fine-tuned copy of :meth:`feature_module`; the default
    runs it on ``feature_inputs(panel)``. A backbone that encodes some series in pieces
    (a fixed-length PyPOTS model cuts longer ones into windows) overrides it.
``impute_panel(panel) -> ndarray (n_samples, n_timesteps, n_channels)`` (optional)
    The panel with every missing value filled, in the data's units; :meth:`impute`
    returns it in the input's layout.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_is_fitted

from .._validation import Panel, check_panel, restore_layout
from ..nn._pooling import POOLINGS
from ..training._recipe import run_batched

__all__ = ["BaseSeriesTransformer", "POOLINGS"]


class BaseSeriesTransformer(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Base class: validation, pandas output and feature names for panel transformers.

    Output wrapping is done here rather than by sklearn's automatic wrapper because a
    MultiIndex (instance, time) input has one row per time step, while the output has
    one row per instance.
    """

    # ---- sklearn API -------------------------------------------------------------
    def fit(self, X, y=None):
        """Learn the representation from ``X`` (self-supervised; ``y`` is ignored).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), list or DataFrame
            The panel; NaN marks a missing value. A 2-D array is a panel of univariate
            series; a list of 2-D arrays may hold series of different lengths.
        y : None
            Ignored; present for Pipeline compatibility.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._validate_params()
        panel = check_panel(self, X, reset=True)
        self.fit_panel(panel, train=True)
        return self

    def transform(self, X):
        """Encode each series of ``X`` into one feature vector.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), list or DataFrame
            The panel, with the same channels as in ``fit``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out), dtype float32
            The features (a DataFrame after ``set_output(transform="pandas")``).
        """
        check_is_fitted(self)
        panel = check_panel(self, X, reset=False)
        return self._wrap_output(self.encode_panel(panel), X)

    def fit_transform(self, X, y=None):
        """Fit to ``X``, then transform it. Same result as ``fit(X).transform(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), list or DataFrame
            The panel.
        y : None
            Ignored.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out), dtype float32
            The features.
        """
        self._validate_params()
        panel = check_panel(self, X, reset=True)
        self.fit_panel(panel, train=True)
        return self._wrap_output(self.encode_panel(panel), X)

    def get_feature_names_out(self, input_features=None):
        """Output feature names: ``"<classname>0"``, ``"<classname>1"``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored; the features are learned, not derived from input columns.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output feature.
        """
        check_is_fitted(self, "_n_features_out")
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(self._n_features_out)], dtype=object)

    def impute(self, X):
        """Fill the missing values of ``X`` with the fitted model's reconstruction.

        DMAE reconstructs with its decoder; a frozen PyPOTS imputer imputes with its
        own model. Values are returned in the data's units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), list or DataFrame
            The panel; NaN marks a missing value.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_timesteps, n_channels) or list
            A new panel in the input's layout (a list for a list input, a 2-D array for a
            2-D input, a DataFrame for a MultiIndex DataFrame): observed values returned
            as they were (float32), missing ones filled, no padding added.

        Examples
        --------
        >>> import numpy as np
        >>> from skmts import DMAETransformer
        >>> X = np.random.default_rng(0).normal(size=(8, 16, 2)); X[0, 5, 1] = np.nan
        >>> emb = DMAETransformer(d_model=8, n_heads=2, n_layers=1, max_epochs=1,
        ...                       random_state=0).fit(X)
        >>> bool(np.isnan(emb.impute(X)).any())
        False
        """
        panel = self._check_panel(X)
        return restore_layout(self.impute_panel(panel), panel, X)

    def set_output(self, *, transform=None):
        """Set the output container of ``transform`` and ``fit_transform``.

        Parameters
        ----------
        transform : {"default", "pandas"} or None, default=None
            "pandas" returns a DataFrame indexed by instance; "default" a numpy array;
            None leaves the setting unchanged.

        Returns
        -------
        self : estimator instance
            The estimator.
        """
        if transform is None:
            return self
        if transform not in ("default", "pandas"):
            raise ValueError(
                f"set_output(transform={transform!r}) is not supported; use 'default' or 'pandas'."
            )
        if not hasattr(self, "_sklearn_output_config"):
            self._sklearn_output_config = {}
        self._sklearn_output_config["transform"] = transform
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.non_deterministic = False
        return tags

    # ---- helpers for subclasses -------------------------------------------------
    def _wrap_output(self, features: np.ndarray, X):
        if _get_output_config("transform", self)["dense"] != "pandas":
            return features
        import pandas as pd

        index = None
        if isinstance(X, pd.DataFrame):
            if X.index.nlevels > 1:
                level0 = X.index.get_level_values(0)
                _, first = np.unique(level0, return_index=True)
                index = level0[np.sort(first)]
            else:
                index = X.index
        return pd.DataFrame(features, columns=self.get_feature_names_out(), index=index)

    def _check_panel(self, X) -> Panel:
        """Validate ``X`` after fit (for subclass methods such as ``impute``)."""
        check_is_fitted(self)
        return check_panel(self, X, reset=False)

    # ---- the backbone protocol (see the module docstring) ------------------------
    # What EndToEndClassifier / EndToEndRegressor call. A third-party backbone subclasses
    # BaseSeriesTransformer and implements the four methods (impute_panel is optional);
    # fit, transform, fit_transform and impute then come from this class.
    def fit_panel(self, panel: Panel, *, train: bool = True) -> None:  # pragma: no cover
        """Learn everything from a validated panel (the work of ``fit``).

        Parameters
        ----------
        panel : Panel
            The output of :func:`skmts.representation.check_panel` with ``reset=True``.
        train : bool, default=True
            Run the self-supervised training; False only builds the network (randomly
            initialised), for training from scratch.

        Examples
        --------
        >>> import numpy as np
        >>> from skmts import DMAETransformer
        >>> from skmts.representation import check_panel
        >>> emb = DMAETransformer(d_model=8, n_heads=2, n_layers=1, max_epochs=1)
        >>> panel = check_panel(emb, np.zeros((4, 10, 2)), reset=True)
        >>> emb.fit_panel(panel, train=False)
        >>> emb.encode_panel(panel).shape
        (4, 32)
        """
        raise NotImplementedError

    def encode_panel(self, panel: Panel) -> np.ndarray:  # pragma: no cover
        """Features of a validated panel: float32 (n_samples, n_features_out), in
        batches, under ``torch.no_grad()`` (the work of ``transform``).

        Parameters
        ----------
        panel : Panel
            A panel validated with ``reset=False``.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out), dtype float32
        """
        raise NotImplementedError

    def feature_inputs(self, panel: Panel) -> dict:  # pragma: no cover
        """The arrays :meth:`feature_module` reads: scaled, missing values handled.

        Parameters
        ----------
        panel : Panel
            A validated panel.

        Returns
        -------
        inputs : dict of str to ndarray
            Keyword arguments of the feature module's ``forward``; first axis = samples,
            so they batch like any skorch input.
        """
        raise NotImplementedError

    def feature_module(self):  # pragma: no cover
        """A trainable copy of the fitted encoder plus pooling, for fine-tuning.

        Returns
        -------
        module : torch.nn.Module
            ``module(**feature_inputs(panel))`` returns (batch, n_features_out); with the
            copy's weights unchanged (eval mode) it equals :meth:`encode_panel`.
            Fine-tuning works on this copy, never on ``self``.
        """
        raise NotImplementedError

    def encode_with(self, module, panel: Panel, *, batch_size: int, device,
                    what: str = "inference", setting: str = "batch_size") -> np.ndarray:
        """Features of ``panel`` from ``module``, a (fine-tuned) :meth:`feature_module`.

        The end-to-end estimators encode through this method, so a backbone that
        encodes some series in pieces (a fixed-length PyPOTS model cuts longer ones
        into windows) does the same with its fine-tuned copy. The default runs
        ``module(**feature_inputs(panel))`` in batches under ``torch.no_grad()``.

        Parameters
        ----------
        module : torch.nn.Module
            A copy of :meth:`feature_module`, in eval mode.
        panel : Panel
            A validated panel.
        batch_size : int
            Series per batch.
        device : str or torch.device
            Where ``module`` is.
        what, setting : str
            The call and the parameter named in an out-of-memory message.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out), dtype float32
        """
        return run_batched(module, self.feature_inputs(panel), batch_size, device,
                           what=what, setting=setting)

    def impute_panel(self, panel: Panel) -> np.ndarray:  # pragma: no cover
        """The panel with every missing value filled, in the data's units (optional).

        Parameters
        ----------
        panel : Panel
            A validated panel.

        Returns
        -------
        filled : ndarray of shape (n_samples, n_timesteps, n_channels), dtype float32
        """
        raise NotImplementedError(f"{type(self).__name__} does not impute.")
