"""Data augmentation while training M1 and M2 (``augment``)."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from sklearn_ssvae import M1Classifier, M2Classifier
from sklearn_ssvae._augment import binarize, shift_and_flip
from sklearn_ssvae._batching import AugmentedBatches
from sklearn_ssvae.datasets import make_semi_supervised

SMALL = dict(latent_dim=4, hidden_sizes=(32,), max_epochs=2, batch_size=64, random_state=0)


def one_bright_pixel(n, image_shape, row, col):
    height, width, channels = image_shape
    images = torch.zeros(n, height, width, channels)
    images[:, row, col, :] = 1.0
    return images.reshape(n, -1)


def test_shift_moves_each_image_by_at_most_a_tenth_and_keeps_its_pixels():
    shape = (20, 30, 3)  # a tenth: 2 rows, 3 columns
    X = one_bright_pixel(500, shape, row=10, col=15)
    torch.manual_seed(0)
    out = shift_and_flip(X, shape, flip=False)
    images = out.reshape(500, *shape)
    assert images.sum(dim=(1, 2, 3)).eq(3).all()  # the pixel is moved, not lost or repeated
    where = images[..., 0].flatten(1).argmax(1)
    rows, cols = where // 30, where % 30
    assert set(rows.tolist()) == set(range(8, 13))
    assert set(cols.tolist()) == set(range(12, 19))


def test_flip_mirrors_about_half_of_the_images_left_to_right():
    shape = (10, 10, 1)
    X = one_bright_pixel(1000, shape, row=5, col=0)
    torch.manual_seed(0)
    out = shift_and_flip(X, shape, flip=True, max_shift=0.0)
    images = out.reshape(1000, 10, 10)
    mirrored = images[:, 5, 9] == 1
    assert torch.equal(images[~mirrored, 5, 0], torch.ones(int((~mirrored).sum())))
    assert 400 < int(mirrored.sum()) < 600


def test_edge_pixels_fill_the_space_a_shift_opens():
    shape = (10, 10, 1)
    torch.manual_seed(0)
    X = torch.rand(200, 100)
    out = shift_and_flip(X, shape, flip=True)
    # Every output value is one of its own image's values: nothing invented, range kept.
    for x, o in zip(X, out, strict=True):
        assert torch.isin(o, x).all()


def test_binarize_draws_ones_with_probability_the_value():
    torch.manual_seed(0)
    p = torch.tensor([0.0, 0.2, 0.5, 1.0])
    out = binarize(p.repeat(20000, 1))
    assert set(out.unique().tolist()) <= {0.0, 1.0}
    np.testing.assert_allclose(out.mean(0).numpy(), p.numpy(), atol=0.01)
    assert out[:, 0].eq(0).all() and out[:, 3].eq(1).all()


def test_only_training_batches_are_augmented():
    class Data:
        X = torch.arange(8.0).reshape(2, 4)
        y = torch.tensor([0, -1])

    def negate(X):
        return -X

    training = list(AugmentedBatches(Data, 2, augment=negate, training=True))
    assert (training[0][0] <= 0).all()
    prediction = list(AugmentedBatches(Data, 2, augment=negate))
    assert torch.equal(prediction[0][0], Data.X)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, make_semi_supervised(y, 100, random_state=0)


@pytest.mark.parametrize("Estimator", [M1Classifier, M2Classifier])
@pytest.mark.parametrize("augment", ["binarize", "shift"])
def test_augmented_fit_is_seeded_and_differs_from_the_plain_one(digits, Estimator, augment):
    X, y = digits
    plain = Estimator(**SMALL).fit(X, y).transform(X)
    a = Estimator(augment=augment, image_shape=(8, 8), **SMALL).fit(X, y).transform(X)
    b = Estimator(augment=augment, image_shape=(8, 8), **SMALL).fit(X, y).transform(X)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - plain).max() > 1e-3


@pytest.mark.parametrize("Estimator", [M1Classifier, M2Classifier])
def test_binarize_needs_no_image_shape_and_refuses_values_outside_0_1(digits, Estimator):
    X, y = digits
    assert Estimator(augment="binarize", **SMALL).fit(X, y).score(X, y) > 0
    clf = Estimator(augment="binarize", **SMALL)
    with pytest.raises(ValueError, match=r"needs every value of X in \[0, 1\]; got values "
                                         r"in \[0, 16\]"):
        clf.fit(X * 16, y)
    assert not hasattr(clf, "classes_")


@pytest.mark.parametrize("image_shape, message", [
    (None, "augment='flip_shift' shifts .* needs image_shape"),
    ((8, 9), "holds 72 values but X has 64 features"),
])
@pytest.mark.parametrize("Estimator", [M1Classifier, M2Classifier])
def test_augment_needs_an_image_shape_that_fits_the_rows(digits, image_shape, message, Estimator):
    X, y = digits
    clf = Estimator(augment="flip_shift", image_shape=image_shape, **SMALL)
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)
    assert not hasattr(clf, "classes_")


def test_an_unknown_augmentation_is_refused(digits):
    X, y = digits
    with pytest.raises(ValueError, match="'augment' parameter"):
        M2Classifier(augment="rotate", image_shape=(8, 8), **SMALL).fit(X, y)
