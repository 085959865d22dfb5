"""Checks on semi-supervised targets, shared by every estimator."""

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import sklearn
import skorch
from sklearn.utils.multiclass import check_classification_targets

UNLABELLED = -1
# Code a warning should not point into: ours, and the libraries that call our fit.
_LIBRARY_DIRS = tuple(f"{Path(file).parent}{os.sep}"
                      for file in (__file__, sklearn.__file__, skorch.__file__))


def warn_user(message, category=UserWarning):
    """``warnings.warn`` pointing at the first caller outside this package, sklearn and skorch.

    A fixed ``stacklevel`` points into the package as soon as the call comes through
    sklearn's ``fit`` wrapper, a ``Pipeline`` or ``GridSearchCV``.
    """
    frame, level = sys._getframe(1), 2  # level 2: warn_user's caller
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def unlabelled_mask(y):
    """Rows of ``y`` marked unlabelled (-1).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Integer, float or object labels with -1 for unlabelled rows; string arrays hold no
        marker (use an object array to mix string labels with -1).

    Returns
    -------
    ndarray of bool
    """
    if y.dtype.kind in "US":
        if np.any(y == str(UNLABELLED)):
            raise ValueError(
                "y is a string array containing '-1'. The unlabelled marker is the number -1: "
                "pass y as an object array with -1 (the int) for unlabelled rows, e.g. "
                "y = np.array(labels, dtype=object); y[unlabelled] = -1."
            )
        return np.zeros(len(y), dtype=bool)
    if y.dtype == object:
        return np.array([not isinstance(v, str) and v == UNLABELLED for v in y], dtype=bool)
    return y == UNLABELLED


def encode_semi_supervised(y):
    """Classes of the labelled rows and ``y`` as class indices, -1 for unlabelled rows.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        Sorted labels seen in the labelled rows; never contains the marker.
    y_encoded : ndarray of int64, shape (n_samples,)
        Index into ``classes``, or -1.
    """
    unlabelled = unlabelled_mask(y)
    y_labelled = y[~unlabelled]
    if len(y_labelled) == 0:
        raise ValueError(
            "y has no labelled rows (every value is -1); at least one labelled row per class "
            "is needed to learn the classes."
        )
    if not unlabelled.any():
        warn_user("y contains no unlabeled samples")
    try:
        check_classification_targets(y_labelled)
        classes, y_index = np.unique(y_labelled, return_inverse=True)
    except TypeError as error:
        kinds = sorted({type(v).__name__ for v in y_labelled})
        raise ValueError(
            f"The labels of y mix types that cannot be ordered ({', '.join(kinds)}); use "
            "labels of one type."
        ) from error
    if len(classes) < 2:
        raise ValueError(
            f"The classifier needs labelled rows of at least 2 classes; got 1 class "
            f"({np.asarray(classes[0]).tolist()!r})."
        )
    y_encoded = np.full(len(y), UNLABELLED, dtype=np.int64)
    y_encoded[~unlabelled] = y_index
    return classes, y_encoded


def labelled_rows(y):
    """Boolean mask of the rows of ``y`` that carry a label."""
    return ~unlabelled_mask(np.asarray(y))
