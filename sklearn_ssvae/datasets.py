"""Datasets for the benchmarks and examples, and a helper to hide labels.

The loaders read ``<data_home>/<name>.npz`` (keys ``x_train``, ``y_train``, ``x_test``,
``y_test``; uint8 images and labels as in the official files). ``data_home`` is, in order:
the argument, the ``SKLEARN_SSVAE_DATA`` environment variable, ``~/.cache/sklearn_ssvae``.
"""

import os
from pathlib import Path

import numpy as np
from sklearn.utils import check_random_state

from ._validation import UNLABELLED

DATA_HOME_ENV = "SKLEARN_SSVAE_DATA"


def get_data_home(data_home=None):
    """The folder datasets are read from (see the module docstring)."""
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV, Path.home() / ".cache" / "sklearn_ssvae")
    return Path(data_home).expanduser()


def _load_npz(name, data_home):
    path = get_data_home(data_home) / f"{name}.npz"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found. Put {name}.npz (keys x_train, y_train, x_test, y_test) in "
            f"that folder, or pass data_home= (or set {DATA_HOME_ENV}) to the folder that "
            "holds it."
        )
    with np.load(path) as data:
        return tuple(data[key] for key in ("x_train", "y_train", "x_test", "y_test"))


def load_mnist(data_home=None):
    """MNIST as flat float32 rows in [0, 1].

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding ``mnist.npz``.

    Returns
    -------
    X_train : ndarray of shape (60000, 784), float32
    y_train : ndarray of shape (60000,), int64
    X_test : ndarray of shape (10000, 784), float32
    y_test : ndarray of shape (10000,), int64
    """
    x_train, y_train, x_test, y_test = _load_npz("mnist", data_home)

    def rows(images):
        return images.reshape(len(images), -1).astype(np.float32) / 255.0

    return rows(x_train), y_train.astype(np.int64), rows(x_test), y_test.astype(np.int64)


def make_semi_supervised(y, n_labelled, random_state=None):
    """Keep ``n_labelled`` labels, balanced over the classes, and set the rest to -1.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Fully labelled target.
    n_labelled : int
        Labels to keep; must be a multiple of the number of classes.
    random_state : int, RandomState instance or None, default=None
        Seeds which rows keep their label.

    Returns
    -------
    ndarray of shape (n_samples,)
        ``y`` with all but the kept labels replaced by -1.
    """
    y = np.asarray(y)
    classes = np.unique(y)
    per_class, rest = divmod(n_labelled, len(classes))
    if rest:
        raise ValueError(
            f"n_labelled={n_labelled} is not a multiple of the {len(classes)} classes."
        )
    rng = check_random_state(random_state)
    keep = np.concatenate(
        [rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in classes]
    )
    if y.dtype.kind in "OUS":
        dtype = object  # strings hold no -1; object arrays mix labels with the int -1
    else:
        dtype = np.result_type(y.dtype, np.int8)  # signed, so -1 does not wrap (uint8 labels)
    y_semi = np.full(len(y), UNLABELLED, dtype=dtype)
    y_semi[keep] = y[keep]
    return y_semi
