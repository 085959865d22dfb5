"""Semi-supervised cross-validation: splitter, scorer, a grid search with either model."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.semi_supervised import LabelSpreading

from sklearn_ssvae import M2Classifier
from sklearn_ssvae.datasets import make_semi_supervised
from sklearn_ssvae.model_selection import (
    SemiSupervisedStratifiedKFold,
    labelled_accuracy_score,
    labelled_accuracy_scorer,
)


def test_unlabelled_rows_always_train_and_labelled_rows_are_split_stratified():
    y = np.array([0] * 6 + [1] * 9 + [-1] * 30)
    labelled = np.flatnonzero(y >= 0)
    seen = []
    for train, test in SemiSupervisedStratifiedKFold(3, shuffle=True, random_state=0).split(
            np.zeros((len(y), 2)), y):
        assert set(np.flatnonzero(y < 0)) <= set(train)
        assert (y[test] >= 0).all()
        assert np.bincount(y[test]).tolist() == [2, 3]  # each class split evenly
        assert not set(train) & set(test)
        assert len(train) + len(test) == len(y)
        seen.extend(test)
    assert sorted(seen) == labelled.tolist()  # every labelled row is tested once


def test_splitter_takes_object_labels_with_the_int_marker():
    y = np.array(["cat", "dog"] * 4 + [-1] * 4, dtype=object)
    folds = list(SemiSupervisedStratifiedKFold(2).split(np.zeros((12, 1)), y))
    assert len(folds) == 2
    assert all(set(range(8, 12)) <= set(train) for train, _ in folds)


def test_splitter_needs_y():
    with pytest.raises(ValueError, match="needs y"):
        next(SemiSupervisedStratifiedKFold(2).split(np.zeros((4, 1))))


def test_scorer_ignores_unlabelled_rows():
    y_true = np.array([0, 1, -1, -1])
    assert labelled_accuracy_score(y_true, np.array([0, 1, 5, 5])) == 1.0
    assert labelled_accuracy_score(y_true, np.array([0, 0, 5, 5])) == 0.5
    with pytest.raises(ValueError, match="no labelled rows"):
        labelled_accuracy_score(np.array([-1, -1]), np.array([0, 1]))


def search(estimator, grid, X, y):
    """The user's search code: the same lines whichever semi-supervised estimator is passed."""
    cv = SemiSupervisedStratifiedKFold(3, shuffle=True, random_state=0)
    return GridSearchCV(estimator, grid, cv=cv, scoring=labelled_accuracy_scorer).fit(X, y)


def test_grid_search_m2_in_a_pipeline_and_label_spreading_with_the_same_code():
    X, y = load_digits(return_X_y=True)
    X, y = X[:600], y[:600]
    y_semi = make_semi_supervised(y, 60, random_state=0)

    m2 = make_pipeline(MinMaxScaler(), M2Classifier(hidden_sizes=(64,), max_epochs=30,
                                                    batch_size=64, random_state=0,
                                                    device="cpu"))
    m2_search = search(m2, {"m2classifier__alpha": [10.0, 100.0],
                            "m2classifier__latent_dim": [4, 16]}, X, y_semi)
    spreading = make_pipeline(MinMaxScaler(), LabelSpreading(kernel="knn"))
    spreading_search = search(spreading, {"labelspreading__n_neighbors": [5, 10]}, X, y_semi)

    for fitted in (m2_search, spreading_search):
        scores = fitted.cv_results_["mean_test_score"]
        assert np.isfinite(scores).all() and (scores > 0.8).all()  # chance is 0.1
        assert fitted.best_estimator_.score(X, y) > 0.85
    assert len(m2_search.cv_results_["params"]) == 4
