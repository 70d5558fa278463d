"""scikit-learn's shared estimator checks for skmts's transformers (tiny settings)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skmts import DMAETransformer

# Reasons shared by every panel transformer: a 2-D input is a univariate panel with
# time on axis 1, so its second axis is not "features".
PANEL_EXPECTED_FAILURES = {
    "check_n_features_in": "n_features_in_ counts channels; a 2-D input is univariate "
    "with time on axis 1",
    "check_n_features_in_after_fitting": "series length may differ between fit and "
    "transform by design; n_features_in_ counts channels",
    "check_transformer_general": "it ends by requiring transform to reject a 2-D input "
    "with one column less, i.e. a shorter univariate series, which skmts accepts by design "
    "(fit_transform == fit().transform is tested in tests/representation)",
}


def _expected_failures(estimator):
    return PANEL_EXPECTED_FAILURES


@parametrize_with_checks(
    [DMAETransformer(d_model=4, n_heads=1, n_layers=1, d_ff=8, max_epochs=1, batch_size=16)],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
