"""M1Classifier: the VAE's latent space and the classifier on top of it."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading

from sklearn_ssvae import M1Classifier
from sklearn_ssvae.datasets import make_semi_supervised

PARAMS = dict(latent_dim=8, hidden_sizes=(128,), batch_size=64, max_epochs=30, random_state=0)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.3, stratify=y, random_state=0
    )
    return X_train, make_semi_supervised(y_train, 100, random_state=0), X_test, y_test, y_train


@pytest.fixture(scope="module")
def fitted(digits):
    X_train, y_semi = digits[:2]
    return M1Classifier(**PARAMS).fit(X_train, y_semi)


def test_latent_space_separates_classes(fitted, digits):
    X_train, y_semi, X_test, y_test, _ = digits
    chance = DummyClassifier(strategy="most_frequent").fit(X_train, y_semi).score(X_test, y_test)
    assert fitted.score(X_test, y_test) > chance + 0.5
    knn = KNeighborsClassifier(5).fit(fitted.transform(X_train), digits[4])
    assert knn.score(fitted.transform(X_test), y_test) > 0.85


def test_inverse_transform_reconstructs(fitted, digits):
    X_test = digits[2]
    X_rec = fitted.inverse_transform(fitted.transform(X_test))
    assert X_rec.shape == X_test.shape
    error = np.mean((X_rec - X_test) ** 2)
    baseline = np.mean((X_test.mean(axis=0) - X_test) ** 2)  # the mean image for every row
    assert error < 0.5 * baseline


def test_semi_supervised_classifier_receives_unlabelled_rows(digits):
    X_train, y_semi = digits[:2]
    clf = M1Classifier(**{**PARAMS, "max_epochs": 2},
                       classifier=LabelSpreading(kernel="knn", n_neighbors=10))
    clf.fit(X_train, y_semi)
    assert len(clf.classifier_.transduction_) == len(X_train)


def test_supervised_classifier_sees_labelled_rows_only(digits):
    X_train, y_semi = digits[:2]
    clf = M1Classifier(**{**PARAMS, "max_epochs": 2},
                       classifier=make_pipeline(StandardScaler(), KNeighborsClassifier(3)))
    clf.fit(X_train, y_semi)
    assert clf.classifier_[-1].n_samples_fit_ == np.sum(y_semi != -1)


def test_sample_labels_are_predictions(fitted):
    X_new, y_new = fitted.sample(20, random_state=0)
    assert X_new.shape == (20, 64)
    np.testing.assert_array_equal(y_new, fitted.predict(X_new))
    np.testing.assert_array_equal(X_new, fitted.sample(20, random_state=0)[0])


def test_inverse_transform_checks_shape(fitted):
    with pytest.raises(ValueError, match="shape"):
        fitted.inverse_transform(np.zeros((2, 3)))


@pytest.mark.parametrize("network", [{}, {"network": "cnn", "image_shape": (12, 12)}])
def test_heteroscedastic_gaussian_decodes_to_one_value_per_feature(network):
    rng = np.random.RandomState(0)
    X = rng.randn(120, 144).astype(np.float32)
    y = np.where(np.arange(120) < 30, np.arange(120) % 3, -1)
    clf = M1Classifier(likelihood="gaussian_heteroscedastic", latent_dim=2, hidden_sizes=(8,),
                       max_epochs=2, random_state=0, **network).fit(X, y)
    assert clf.likelihood_ == "gaussian_heteroscedastic"
    assert clf.inverse_transform(clf.transform(X[:5])).shape == (5, 144)
    assert clf.sample(3, random_state=0)[0].shape == (3, 144)
    assert np.isfinite(clf.score_samples(X[:5])).all()
