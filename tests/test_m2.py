"""M2Classifier's behaviour as a semi-supervised sklearn classifier."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits, make_blobs
from sklearn.model_selection import train_test_split
from skorch.exceptions import DeviceWarning

from sklearn_ssvae import M2Classifier
from sklearn_ssvae.datasets import make_semi_supervised

SMALL = dict(latent_dim=4, hidden_sizes=(16,), max_epochs=3, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(120, n_features=5, centers=3, random_state=0)
    return X, make_semi_supervised(y, 30, random_state=0), y


@pytest.fixture(scope="module")
def fitted(blobs):
    X, y_semi, _ = blobs
    return M2Classifier(**SMALL).fit(X, y_semi)


def test_unlabelled_rows_improve_accuracy_on_digits():
    """50 labels of load_digits: M2 with the unlabelled rows beats the same networks without."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.3, stratify=y, random_state=0
    )
    y_semi = make_semi_supervised(y_train, 50, random_state=0)
    labelled = y_semi != -1
    params = dict(latent_dim=16, hidden_sizes=(256,), batch_size=64, max_epochs=100,
                  random_state=0)
    semi = M2Classifier(**params).fit(X_train, y_semi).score(X_test, y_test)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # no unlabelled rows, by design
        alone = M2Classifier(**params).fit(X_train[labelled], y_semi[labelled].astype(int))
    supervised = alone.score(X_test, y_test)
    assert semi > supervised + 0.03, (semi, supervised)


@pytest.mark.parametrize(
    "names, marker",
    [
        (np.array([10, 20, 30]), -1),
        (np.array(["cat", "dog", "emu"], dtype=object), -1),
        (np.array(["cat", "dog", "emu"]), None),  # a str array holds no marker
    ],
)
def test_labels_round_trip(blobs, names, marker):
    X, _, y = blobs
    y_named = names[y]
    if marker is not None:
        y_named[::3] = marker
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf = M2Classifier(**{**SMALL, "max_epochs": 30}).fit(X, y_named)
    assert clf.classes_.tolist() == names.tolist()
    assert clf.predict(X).dtype == clf.classes_.dtype
    assert set(clf.predict(X)) <= set(names)
    assert clf.score(X, y_named) > 0.5


def test_labels_of_mixed_types_are_refused(blobs):
    X, _, y = blobs
    y_mixed = np.array(["cat", 2, "emu"], dtype=object)[y]
    with pytest.raises(ValueError):
        M2Classifier(**SMALL).fit(X, y_mixed)


def test_object_labels_with_int_marker(blobs):
    X, _, y = blobs
    y_obj = np.array(["cat", "dog", "emu"], dtype=object)[y]
    y_obj[::2] = -1
    clf = M2Classifier(**SMALL).fit(X, y_obj)
    assert clf.classes_.tolist() == ["cat", "dog", "emu"]
    assert clf.predict(X).dtype == object


def test_string_minus_one_is_refused(blobs):
    X, _, y = blobs
    y_str = np.array(["cat", "dog", "-1"])[y]
    with pytest.raises(ValueError, match="object array"):
        M2Classifier(**SMALL).fit(X, y_str)


def test_all_unlabelled_is_refused(blobs):
    X = blobs[0]
    with pytest.raises(ValueError, match="no labelled rows"):
        M2Classifier(**SMALL).fit(X, np.full(len(X), -1))


def test_no_unlabelled_rows_warns_and_fits_supervised(blobs):
    X, _, y = blobs
    with pytest.warns(UserWarning, match="no unlabeled samples"):
        clf = M2Classifier(**SMALL).fit(X, y)
    assert np.isfinite(clf.net_.history[:, "train_loss"]).all()


def test_training_losses_are_finite_with_few_labels(blobs):
    X, _, y = blobs
    y_semi = make_semi_supervised(y, 3, random_state=0)  # 1 label per class, 4 batches
    clf = M2Classifier(**SMALL).fit(X, y_semi)
    for name in ("train_loss", "reconstruction", "kl", "classification"):
        assert np.isfinite(clf.net_.history[:, name]).all()


def test_fit_warns_when_q_y_x_gives_every_labelled_row_one_class(blobs, collapse_q_y_x):
    X, y_semi, _ = blobs
    with pytest.warns(UserWarning, match="class 0: the classifier has collapsed"):
        clf = M2Classifier(**SMALL, callbacks=[collapse_q_y_x]).fit(X, y_semi)
    assert (clf.predict(X) == 0).all()


def test_fit_does_not_warn_of_collapse_when_q_y_x_tells_classes_apart(blobs):
    X, y_semi, _ = blobs
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*collapsed")
        clf = M2Classifier(**SMALL).fit(X, y_semi)
    assert len(np.unique(clf.predict(X[y_semi != -1]))) > 1


def test_fit_warns_when_labelled_rows_per_batch_leave_labelled_rows_unseen(blobs):
    X, y_semi, _ = blobs  # 30 labelled rows; 90 unlabelled ones, 25 a batch: 4 batches
    with pytest.warns(UserWarning, match="=7 over 4 batches an epoch deals only 28 of the 30 "
                                         "labelled training rows"):
        M2Classifier(**SMALL, n_labelled_per_batch=7).fit(X, y_semi)


def test_fit_does_not_warn_when_every_labelled_row_is_dealt_an_epoch(blobs):
    X, y_semi, _ = blobs  # 8 a batch: 90 unlabelled rows, 24 a batch, 4 batches, 32 dealt
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="n_labelled_per_batch=.* deals only")
        M2Classifier(**SMALL, n_labelled_per_batch=8).fit(X, y_semi)


def test_held_out_validation_rows_do_not_count_as_dealt_labelled_rows(blobs):
    # Early stopping holds out 6 of the 30 labels: 24 left; 7 a batch deal 28 (over 96
    # unlabelled rows, 25 a batch, 4 batches), which would warn with all 30 in training.
    X, y_semi, _ = blobs
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="n_labelled_per_batch=.* deals only")
        M2Classifier(**SMALL, n_labelled_per_batch=7, early_stopping=True,
                     validation_fraction=0.2).fit(X, y_semi)
    # 3 a batch: 96 unlabelled rows (the 6 held out among them), 29 a batch, 4 batches
    with pytest.warns(UserWarning, match="only 12 of the 24 labelled training rows"):
        M2Classifier(**SMALL, n_labelled_per_batch=3, early_stopping=True,
                     validation_fraction=0.2).fit(X, y_semi)


def test_predict_proba_transform_score_samples_shapes(fitted, blobs):
    X = blobs[0]
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert fitted.transform(X).shape == (len(X), SMALL["latent_dim"])
    assert fitted.score_samples(X).shape == (len(X),)
    np.testing.assert_array_equal(fitted.score_samples(X), fitted.score_samples(X))


def test_predict_is_deterministic(fitted, blobs):
    X = blobs[0]
    np.testing.assert_array_equal(fitted.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(fitted.transform(X), fitted.transform(X))


def test_fit_leaves_torch_global_random_state_alone(blobs):
    X, y_semi, _ = blobs
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    M2Classifier(**SMALL).fit(X, y_semi)
    torch.testing.assert_close(torch.rand(3), expected)


def test_score_ignores_unlabelled_rows(fitted, blobs):
    X, _, y = blobs
    y_partial = y.copy()
    y_partial[::2] = -1
    expected = np.mean(fitted.predict(X[1::2]) == y[1::2])
    assert fitted.score(X, y_partial) == pytest.approx(expected)
    with pytest.raises(ValueError, match="no labelled rows"):
        fitted.score(X, np.full(len(y), -1))


def test_sample_given_and_uniform_classes(fitted):
    X_new, y_new = fitted.sample(6, y=[0, 1, 2, 0, 1, 2], random_state=0)
    assert X_new.shape == (6, 5)
    assert y_new.tolist() == [0, 1, 2, 0, 1, 2]
    X_a, y_a = fitted.sample(50, random_state=1)
    X_b, y_b = fitted.sample(50, random_state=1)
    np.testing.assert_array_equal(X_a, X_b)
    assert set(y_a) == {0, 1, 2}
    X_one, y_one = fitted.sample(4, y=2, random_state=0)
    assert y_one.tolist() == [2] * 4
    with pytest.raises(ValueError, match="not in classes_"):
        fitted.sample(2, y=[0, 7])


def test_sample_refuses_labels_that_only_share_a_prefix_with_a_class(blobs):
    X, _, y = blobs
    y_named = np.array(["cat", "dog", "emu"])[y]  # dtype <U3: 'catfish' would cast to 'cat'
    with pytest.warns(UserWarning, match="no unlabeled"):
        clf = M2Classifier(**SMALL).fit(X, y_named)
    assert clf.sample(2, y="dog", random_state=0)[1].tolist() == ["dog", "dog"]
    with pytest.raises(ValueError, match="catfish"):
        clf.sample(1, y="catfish")


def test_sample_is_class_conditional(blobs):
    """Generated rows of a class lie nearer that class's mean than other classes' means."""
    X, y_semi, y = blobs
    clf = M2Classifier(latent_dim=2, hidden_sizes=(64,), max_epochs=400, batch_size=32,
                       random_state=0).fit(X, y_semi)
    means = np.stack([X[y == k].mean(0) for k in range(3)])
    for k in range(3):
        X_new, _ = clf.sample(100, y=k, random_state=0)
        nearest = np.argmin(((X_new[:, None, :] - means) ** 2).sum(-1), axis=1)
        assert np.mean(nearest == k) > 0.9


@pytest.mark.parametrize(
    "X_scale, likelihood, expected",
    [(1.0, "auto", "bernoulli"), (5.0, "auto", "gaussian"), (1.0, "gaussian", "gaussian")],
)
def test_likelihood_resolution(X_scale, likelihood, expected):
    rng = np.random.RandomState(0)
    X = rng.rand(40, 3) * X_scale
    y = np.repeat([0, 1, -1, -1], 10)
    clf = M2Classifier(**{**SMALL, "likelihood": likelihood}).fit(X, y)
    assert clf.likelihood_ == expected


def test_bernoulli_on_data_outside_unit_interval_is_refused():
    X = np.linspace(-1, 2, 40).reshape(20, 2)
    y = np.repeat([0, 1, -1, -1], 5)
    with pytest.raises(ValueError, match=r"needs every value of X in \[0, 1\]"):
        M2Classifier(likelihood="bernoulli", **SMALL).fit(X, y)


def test_verbose_prints_the_loss_terms(blobs, capsys):
    X, y_semi, _ = blobs
    M2Classifier(**{**SMALL, "verbose": 1}).fit(X, y_semi)
    out = capsys.readouterr().out
    for column in ("reconstruction", "kl", "classification", "train_loss"):
        assert column in out


class _TagCpuStorageAsCuda:
    """Make torch.save record CPU tensors as stored on 'cuda:0', as a GPU-trained model's are."""

    def __enter__(self):
        from torch import serialization

        def tag(storage):
            return "cuda:0" if storage.device.type == "cpu" else None

        self.entry = (0, tag, lambda obj, location: None)
        serialization._package_registry.insert(0, self.entry)

    def __exit__(self, *exc):
        from torch import serialization

        serialization._package_registry.remove(self.entry)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks loading without CUDA")
def test_model_pickled_on_cuda_loads_on_cpu(fitted, blobs):
    X = blobs[0]
    expected = fitted.predict_proba(X)
    clf = pickle.loads(pickle.dumps(fitted))
    clf.device = "cuda"
    clf.net_.device = "cuda"
    with _TagCpuStorageAsCuda():
        data = pickle.dumps(clf)
    assert b"cuda:0" in data
    with pytest.warns(DeviceWarning):
        loaded = pickle.loads(data)
    assert torch.device(loaded.net_.device).type == "cpu"
    assert all(p.device.type == "cpu" for p in loaded.net_.module_.parameters())
    np.testing.assert_allclose(loaded.predict_proba(X), expected)


@pytest.mark.parametrize(("precision", "processor", "native", "warns"), [
    ("bfloat16", "x86_64", False, True), ("bfloat16", "x86_64", True, False),
    ("float32", "x86_64", False, False), ("bfloat16", "aarch64", False, False)])
def test_bfloat16_on_a_cpu_that_emulates_it_warns(blobs, monkeypatch, precision, processor,
                                                  native, warns):
    monkeypatch.setattr("platform.machine", lambda: processor)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: native)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    X, y_semi, _ = blobs
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        M2Classifier(**{**SMALL, "max_epochs": 1}, precision=precision, device="cpu").fit(
            X, y_semi)
    emulated = [w for w in caught if "without native bfloat16" in str(w.message)]
    assert [w.filename for w in emulated] == [__file__] * warns  # the user's line
