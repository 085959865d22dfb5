"""What a user gets for each input the estimators cannot use: the table, and a test per row.

Every row names the input, the estimator method, and the exception (or warning) class and the
start of its message, exactly as raised. Each row runs for M1 and for M2.
"""

import re

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import check_is_fitted

from sklearn_ssvae import M1Classifier, M2Classifier
from sklearn_ssvae._net import NonFiniteLossError

RNG = np.random.RandomState(0)
X = RNG.rand(40, 16).astype(np.float32)
Y = np.array([0, 1] * 5 + [-1] * 30)
DIAGONAL = np.eye(40, 16, dtype=bool)

# (case, X, y, estimator parameters, exception class, start of the message)
FIT_ERRORS = [
    ("NaN in X", np.where(DIAGONAL, np.nan, X), Y, {},
     ValueError, "Input X contains NaN."),
    ("inf in X", np.where(DIAGONAL, np.inf, X), Y, {},
     ValueError, "Input X contains infinity or a value too large for dtype('float32')."),
    ("empty X", np.empty((0, 16)), np.empty(0, dtype=int), {},
     ValueError, "Found array with 0 sample(s) (shape=(0, 16)) while a minimum of 1 is "
                 "required"),
    ("X with one (labelled) row", X[:1], Y[:1], {},
     ValueError, "The classifier needs labelled rows of at least 2 classes; got 1 class"),
    ("X with one (unlabelled) row", X[-1:], Y[-1:], {},
     ValueError, "y has no labelled rows (every value is -1)"),
    ("1-D X", X[:, 0], Y, {},
     ValueError, "Expected 2D array, got 1D array instead"),
    ("complex X", X + 1j, Y, {},
     ValueError, "Complex data not supported"),
    ("object X of strings", np.full((40, 16), "a", dtype=object), Y, {},
     ValueError, "could not convert string to float: 'a'"),
    ("sparse X (refused)", sp.csr_matrix(X), Y, {},
     TypeError, "Sparse data was passed for X, but dense data is required. Use '.toarray()'"),
    ("y all -1", X, np.full(40, -1), {},
     ValueError, "y has no labelled rows (every value is -1); at least one labelled row per "
                 "class is needed to learn the classes."),
    ("one labelled class", X, np.where(Y >= 0, 0, -1), {},
     ValueError, "The classifier needs labelled rows of at least 2 classes; got 1 class"),
    ("float labels that are not classes", X, np.where(Y >= 0, Y + 0.5, -1.0), {},
     ValueError, "Unknown label type: continuous."),
    ("string labels with a string '-1'", X, np.array(["a", "b"] * 5 + ["-1"] * 30), {},
     ValueError, "y is a string array containing '-1'. The unlabelled marker is the number "
                 "-1"),
    ("y of another length than X", X, Y[:-1], {},
     ValueError, "X has 40 rows but y has 39."),
    ("Bernoulli likelihood on X outside [0, 1]", 3 * X, Y, {"likelihood": "bernoulli"},
     ValueError, "likelihood='bernoulli' needs every value of X in [0, 1]; got values in "
                 "[0.00811, 2.998]. Scale X into [0, 1]"),
    ("CNN image shape not matching n_features", X, Y,
     {"network": "cnn", "image_shape": (4, 5)},
     ValueError, "image_shape (4, 5) holds 20 values but X has 16 features per row."),
    ("non-finite loss in training (learning_rate=1e3)", X, Y,
     {"learning_rate": 1e3, "max_epochs": 30},
     NonFiniteLossError, "The training loss became nan at epoch"),
]

# Inputs that fit, with the warning the user gets.
FIT_WARNINGS = [
    ("y with no -1 (fits as supervised)", X, np.array([0, 1] * 20),
     UserWarning, "y contains no unlabeled samples"),
]

# (case, method call on a model fitted on X, exception class, start of the message)
PREDICT_ERRORS = [
    ("n_features at predict different from fit", lambda clf: clf.predict(X[:, :5]),
     ValueError, "X has 5 features, but {name} is expecting 16 features as input."),
    ("NaN in X at predict", lambda clf: clf.predict(np.where(DIAGONAL, np.nan, X)),
     ValueError, "Input X contains NaN."),
]

ESTIMATORS = [M1Classifier, M2Classifier]


def small(cls, **params):
    params = {"max_epochs": 3, "hidden_sizes": (8,), "latent_dim": 2, "random_state": 0,
              **params}
    return cls(**params)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(("case", "X", "y", "params", "error", "message"), FIT_ERRORS,
                         ids=[row[0] for row in FIT_ERRORS])
def test_fit_refuses_bad_input(cls, case, X, y, params, error, message):
    clf = small(cls, **params)
    with pytest.warns(UserWarning) if case.startswith("X with one (labelled)") else _nothing():
        with pytest.raises(error, match=re.escape(message)):
            clf.fit(X, y)
    # A failed fit never leaves a model behind: the estimator reads as unfitted.
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(("case", "X", "y", "warning", "message"), FIT_WARNINGS,
                         ids=[row[0] for row in FIT_WARNINGS])
@pytest.mark.parametrize("in_pipeline", [False, True], ids=["fit", "Pipeline.fit"])
def test_fit_warns(cls, case, X, y, warning, message, in_pipeline):
    clf = make_pipeline(small(cls)) if in_pipeline else small(cls)
    with pytest.warns(warning, match=re.escape(message)) as caught:
        clf.fit(X, y)
    assert set(clf.predict(X)) <= {0, 1}
    # The warning points at the user's line (this file), not into the package or sklearn.
    assert [w.filename for w in caught if issubclass(w.category, warning)] == [__file__]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(("case", "call", "error", "message"), PREDICT_ERRORS,
                         ids=[row[0] for row in PREDICT_ERRORS])
def test_predict_refuses_bad_input(fitted, cls, case, call, error, message):
    clf = fitted[cls]
    with pytest.raises(error, match=re.escape(message.format(name=cls.__name__))):
        call(clf)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("method", ["sample", "predict", "transform"])
def test_methods_before_fit(cls, method):
    args = (3,) if method == "sample" else (X,)
    with pytest.raises(NotFittedError, match=f"This {cls.__name__} instance is not fitted yet"):
        getattr(cls(), method)(*args)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_non_finite_loss_leaves_no_model(cls):
    clf = small(cls, learning_rate=1e3, max_epochs=30)
    with pytest.raises(NonFiniteLossError, match="Try a smaller learning rate") as info:
        clf.fit(X, Y)
    assert "The estimator is left unfitted." in str(info.value)
    assert not hasattr(clf, "net_")
    # The same estimator with a sane learning rate fits, and its weights are finite.
    clf.set_params(learning_rate=1e-3, max_epochs=3).fit(X, Y)
    assert all(np.isfinite(p.detach().numpy()).all() for p in clf.net_.module_.parameters())


@pytest.fixture(scope="module")
def fitted():
    return {cls: small(cls).fit(X, Y) for cls in ESTIMATORS}


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_float_labels_that_are_classes_fit(cls):
    # Floats that name classes (0.0, 1.0) with -1.0 for unlabelled rows are accepted.
    clf = small(cls).fit(X, Y.astype(float))
    assert clf.classes_.tolist() == [0.0, 1.0]
    assert set(clf.predict(X)) <= {0.0, 1.0}
