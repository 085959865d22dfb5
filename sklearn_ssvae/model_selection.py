"""Cross-validation for semi-supervised data: split the labelled rows, keep the rest training.

With ``KFold`` the unlabelled rows (y == -1) land in test folds, where they cannot be scored and
are lost to training; a naive accuracy even counts -1 as a class. Here every unlabelled row is
in every training fold, the labelled rows are split stratified by class, and the scorer looks
at labelled rows only. Both work for any estimator that takes -1 for unlabelled rows
(``LabelSpreading`` as well as this package's).

Examples
--------
>>> from sklearn.model_selection import GridSearchCV
>>> from sklearn_ssvae import M2Classifier
>>> from sklearn_ssvae.model_selection import (SemiSupervisedStratifiedKFold,
...                                            labelled_accuracy_scorer)
>>> search = GridSearchCV(M2Classifier(), {"alpha": [0.1, 1.0]},
...                       cv=SemiSupervisedStratifiedKFold(3),
...                       scoring=labelled_accuracy_scorer)
"""

import numpy as np
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import BaseCrossValidator, StratifiedKFold
from sklearn.utils.validation import column_or_1d

from ._validation import labelled_rows


class SemiSupervisedStratifiedKFold(BaseCrossValidator):
    """Stratified K-fold over the labelled rows; every unlabelled row in every training fold.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds; every class needs at least this many labelled rows.
    shuffle : bool, default=False
        Shuffle each class's labelled rows before splitting them into folds.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffle when ``shuffle`` is True.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1, -1, -1])
    >>> for train, test in SemiSupervisedStratifiedKFold(2).split(np.zeros((6, 1)), y):
    ...     print(train, test)
    [1 3 4 5] [0 2]
    [0 2 4 5] [1 3]
    """

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def split(self, X, y=None, groups=None):
        """Indices of the training rows and the (labelled) test rows of each fold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels, -1 for unlabelled rows.
        groups : ignored

        Yields
        ------
        train : ndarray
            Every row not in this fold's test set, unlabelled rows included.
        test : ndarray
            Labelled rows only.
        """
        if y is None:
            raise ValueError("SemiSupervisedStratifiedKFold needs y to find the labelled rows.")
        y = column_or_1d(np.asarray(y))
        labelled = np.flatnonzero(labelled_rows(y))
        folds = StratifiedKFold(self.n_splits, shuffle=self.shuffle,
                                random_state=self.random_state)
        in_test = np.zeros(len(y), dtype=bool)
        for _, test in folds.split(np.zeros(len(labelled)), y[labelled].astype(str)):
            in_test[:] = False
            in_test[labelled[test]] = True
            yield np.flatnonzero(~in_test), labelled[test]

    def get_n_splits(self, X=None, y=None, groups=None):
        """The number of folds, ``n_splits``."""
        return self.n_splits


def labelled_accuracy_score(y_true, y_pred, *, sample_weight=None):
    """Accuracy over the rows of ``y_true`` that carry a label; rows marked -1 are ignored.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, -1 for rows without one.
    y_pred : array-like of shape (n_samples,)
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    float
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    mask = labelled_rows(y_true)
    if not mask.any():
        raise ValueError("y_true has no labelled rows to score (every value is -1).")
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight)[mask]
    return accuracy_score(y_true[mask], y_pred[mask], sample_weight=sample_weight)


labelled_accuracy_scorer = make_scorer(labelled_accuracy_score)
"""Scorer for ``scoring=``: accuracy on the labelled rows of the test fold only."""
