"""Dataset loaders and the label-hiding helper."""

import numpy as np
import pytest

from sklearn_ssvae.datasets import DATA_HOME_ENV, get_data_home, load_mnist, make_semi_supervised


def test_load_mnist_from_shared_data(mnist):
    X_train, y_train, X_test, y_test = mnist
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert X_train.dtype == np.float32 and 0 <= X_train.min() and X_train.max() == 1
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974,
                                            1009]


def test_missing_file_error_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="mnist.npz"):
        load_mnist(tmp_path)


def test_data_home_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_HOME_ENV, str(tmp_path))
    assert get_data_home() == tmp_path
    assert get_data_home(tmp_path / "x") == tmp_path / "x"


def test_make_semi_supervised_is_balanced_and_seeded():
    y = np.repeat(np.arange(4), 50)
    y_semi = make_semi_supervised(y, 20, random_state=0)
    kept = y_semi != -1
    assert np.bincount(y_semi[kept]).tolist() == [5, 5, 5, 5]
    np.testing.assert_array_equal(y_semi[kept], y[kept])
    np.testing.assert_array_equal(y_semi, make_semi_supervised(y, 20, random_state=0))
    with pytest.raises(ValueError, match="multiple"):
        make_semi_supervised(y, 21)


def test_make_semi_supervised_string_labels_use_object_marker():
    y = np.array(["a", "b"] * 10)
    y_semi = make_semi_supervised(y, 4, random_state=0)
    assert y_semi.dtype == object and (y_semi == -1).sum() == 16


def test_make_semi_supervised_unsigned_labels_keep_the_marker():
    y = np.repeat(np.arange(3, dtype=np.uint8), 10)
    y_semi = make_semi_supervised(y, 6, random_state=0)
    assert (y_semi == -1).sum() == 24
    assert set(y_semi[y_semi != -1]) == {0, 1, 2}
