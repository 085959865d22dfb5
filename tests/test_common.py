"""scikit-learn's estimator checks on every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ssvae import M1Classifier, M2Classifier, StackedM1M2Classifier

# Default networks, shorter training: the checks fit dozens of times on tiny data.
ESTIMATORS = [
    M1Classifier(max_epochs=20),
    M2Classifier(max_epochs=20),
    StackedM1M2Classifier(m1=M1Classifier(max_epochs=20), max_epochs=20),
]

# sklearn's check_classifiers_classes trains on the labels [-1, 1]; here -1 means
# "unlabelled" (the sklearn.semi_supervised convention), so one class would vanish.
# String and object labels are covered by tests/test_m2.py instead.
EXPECTED_FAILED_CHECKS = {
    "check_classifiers_classes": "-1 marks unlabelled rows, so the labels [-1, 1] leave one "
    "class; see test_m2.py for string and object labels",
}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
