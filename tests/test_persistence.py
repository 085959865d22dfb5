"""Saving and loading models: the safe format round-trips and refuses altered files."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_ssvae import M1Classifier, M2Classifier, StackedM1M2Classifier
from sklearn_ssvae.persistence import ModelFileError, load, save

RNG = np.random.RandomState(0)
X = RNG.rand(120, 16).astype(np.float32)
Y = np.where(np.arange(120) < 30, np.arange(120) % 3, -1)
SMALL = {"hidden_sizes": (8,), "latent_dim": 2, "max_epochs": 2, "random_state": 0,
         "device": "cpu"}

X_IMAGES = RNG.rand(120, 144).astype(np.float32)  # 12 x 12 images
MODELS = {
    "M1": (lambda: M1Classifier(**SMALL), X),
    "M2": (lambda: M2Classifier(**SMALL), X),
    "M2-cnn": (lambda: M2Classifier(**SMALL, network="cnn", image_shape=(12, 12)), X_IMAGES),
    "M1+M2": (lambda: StackedM1M2Classifier(m1=M1Classifier(**SMALL), **SMALL), X),
    "M1+M2-softplus": (lambda: StackedM1M2Classifier(
        m1=M1Classifier(**SMALL, activation="softplus"), activation="softplus", **SMALL), X),
    "M1+M2-heteroscedastic": (lambda: StackedM1M2Classifier(
        m1=M1Classifier(**SMALL), likelihood="gaussian_heteroscedastic", **SMALL), X),
    "M2-cnn-classifier": (lambda: M2Classifier(**SMALL, classifier_network="cnn",
                                               image_shape=(12, 12)), X_IMAGES),
    "M2-cnn-heteroscedastic": (lambda: M2Classifier(
        **SMALL, network="cnn", image_shape=(12, 12), likelihood="gaussian_heteroscedastic"),
        X_IMAGES),
}


@pytest.mark.parametrize(("make", "X"), MODELS.values(), ids=MODELS.keys())
def test_round_trip_gives_identical_outputs(make, X, tmp_path):
    clf = make().fit(X, Y)
    save(clf, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert type(loaded) is type(clf)
    assert loaded.get_params(deep=False).keys() == clf.get_params(deep=False).keys()
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.transform(X), clf.transform(X))
    np.testing.assert_array_equal(loaded.sample(5, random_state=0)[0],
                                  clf.sample(5, random_state=0)[0])


def test_string_labels_round_trip(tmp_path):
    y = np.array(["cat", "dog", "emu"] * 10 + [-1] * 90, dtype=object)
    clf = M2Classifier(**SMALL).fit(X, y)
    save(clf, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert loaded.classes_.tolist() == ["cat", "dog", "emu"]
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))


def test_altered_weights_are_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    save(M2Classifier(**SMALL).fit(X, Y), path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF  # flip bits in the last tensor's bytes
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="does not match its SHA-256 digest"):
        load(path)


def test_altered_parameters_are_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    save(M2Classifier(**SMALL).fit(X, Y), path)
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    model = json.loads(header["__metadata__"]["model"])
    model["params"]["alpha"] = 1000.0
    header["__metadata__"]["model"] = json.dumps(model, sort_keys=True)
    new = json.dumps(header).encode()
    new += b" " * (-len(new) % 8)
    path.write_bytes(len(new).to_bytes(8, "little") + new + data[8 + n:])
    with pytest.raises(ModelFileError, match="does not match its SHA-256 digest"):
        load(path)


def test_a_pickle_or_other_file_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"\x80\x04\x95not a safetensors file at all")
    with pytest.raises(ModelFileError, match="not a readable safetensors model file"):
        load(path)


def test_unsupported_m1_classifier_is_refused_at_save(tmp_path):
    from sklearn.neighbors import KNeighborsClassifier

    clf = M1Classifier(classifier=KNeighborsClassifier(3), **SMALL).fit(X, Y)
    with pytest.raises(TypeError, match="Use joblib.dump for other models"):
        save(clf, tmp_path / "m.safetensors")


def test_m1_logistic_regression_keeps_its_settings(tmp_path):
    clf = M1Classifier(classifier=LogisticRegression(C=0.5), **SMALL).fit(X, Y)
    save(clf, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert loaded.classifier_.C == 0.5 and loaded.classifier.C == 0.5


def test_unfitted_estimator_cannot_be_saved(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        save(M2Classifier(), tmp_path / "m.safetensors")
