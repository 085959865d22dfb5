"""Early stopping on a held-out share of the labelled rows, with the best weights kept."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from sklearn_ssvae import M1Classifier, M2Classifier, StackedM1M2Classifier
from sklearn_ssvae.datasets import make_semi_supervised


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    return X, make_semi_supervised(y, 200, random_state=0)


def validation_callback(clf):
    return dict(clf.net_.callbacks_)["valid_acc"]


def test_stops_after_n_iter_no_change_and_keeps_the_best_weights(digits, capsys):
    X, y_semi = digits
    clf = M2Classifier(hidden_sizes=(64,), max_epochs=200, early_stopping=True,
                       n_iter_no_change=3, learning_rate=3e-3, random_state=0, verbose=1,
                       device="cpu").fit(X, y_semi)
    accuracy = clf.net_.history[:, "valid_acc"]
    assert len(accuracy) < 200  # it stopped early
    best = int(np.argmax(accuracy))
    assert len(accuracy) - 1 - best == 3  # three epochs without improvement after the best
    assert "valid_acc" in capsys.readouterr().out  # a column of the epoch table
    # The fitted model is the one of the best epoch, not the last.
    callback = validation_callback(clf)
    proba = clf.net_.map_batches(callback.X, lambda module, x: module(x))
    assert np.mean(proba.argmax(1) == callback.y) == pytest.approx(accuracy[best])


def test_validation_rows_are_a_stratified_share_of_the_labelled_rows(digits):
    X, y_semi = digits
    clf = M2Classifier(hidden_sizes=(32,), max_epochs=1, early_stopping=True,
                       validation_fraction=0.2, random_state=0, device="cpu").fit(X, y_semi)
    callback = validation_callback(clf)
    assert len(callback.y) == 40  # 20% of the 200 labels
    assert np.bincount(callback.y).tolist() == [4] * 10
    # Their labels were hidden from training: the objective saw 160 labelled rows.
    assert clf.net_.criterion_.labelled_fraction == pytest.approx(160 / len(X))


def test_stacked_model_stops_early_too(digits):
    X, y_semi = digits
    clf = StackedM1M2Classifier(m1=M1Classifier(max_epochs=2, random_state=0), max_epochs=50,
                                early_stopping=True, n_iter_no_change=2, random_state=0,
                                device="cpu").fit(X, y_semi)
    assert len(clf.net_.history[:, "valid_acc"]) <= 50


def test_too_few_labels_per_class_for_validation_is_refused():
    X = np.random.RandomState(0).rand(30, 4).astype(np.float32)
    y = np.array([0, 0, 1] + [-1] * 27)
    with pytest.raises(ValueError, match="at least 2 labelled rows per class; class 1 has 1"):
        M2Classifier(early_stopping=True, max_epochs=1).fit(X, y)
